"""`make bench`: time the floor (DuckDB reading the CSVs once), full and incremental dbt builds,
and the original pipeline's job on PySpark over the same generated files, check that the results
agree, and append a section to docs/benchmarks.md. `python -m bench run --help`."""
