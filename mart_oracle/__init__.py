"""The independent oracle of the marts: what every mart should hold, recomputed from raw files in Python.

It shares no code with the SQL under test. `python -m mart_oracle expect` writes the expected
values, `report` prints the demo's summary and compares the built marts with them, `query` runs
one read-only query on the warehouse.
"""
