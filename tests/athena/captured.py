"""What the Athena stand-in (tests/athena/moto_athena.py) records of each statement it receives,
and the exception by which the Glue mirror and the answers fail a statement as Athena would:
shared by the hook, tests/athena/glue_mirror.py and tests/athena/answers.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.athena import statements as st


class AthenaWouldFail(Exception):
    """A statement that a real Athena would reject for a catalog reason."""


@dataclass
class Captured:
    """One statement as the stand-in received it, and what the stand-in did with it."""

    index: int
    execution_id: str
    run: str
    sql: str
    kind: st.Kind
    node_id: str
    purpose: st.Purpose | None = None
    answer: str = ""  # how its result rows were served
    effect: str = ""  # what it changed in the Glue mirror
    failure: str | None = None  # why the stand-in failed it, as Athena would
    seconds: float = 0.0  # time the hook spent on it
    # partitions of its target a write fills, counted on the reference (partition_writers.py);
    # None when not counted: not a partitioned write, or rows the reference cannot give
    partitions_written: int | None = None
