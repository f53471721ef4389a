"""What one benchmark run found: timings per step, slowest dbt nodes, check verdicts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bench.athena import AthenaEstimate
from bench.dbt_results import NodeTime
from bench.machine import Environment

# The report's rows, in this order (the steps run as a, b, e, c, check, d).
STEP_KEYS = ("a", "b", "c", "d", "e", "check")
STEP_LABELS = {
    "a": "floor: DuckDB reads the landed CSVs once",
    "b": "dbt build --full-refresh",
    "c": "dbt build (incremental) after landing the last day",
    "d": "dbt build, nothing new landed",
    "e": "PySpark local[*]: the original pipeline",
    "check": "check: full refresh over all files, tests left out",
}


@dataclass(frozen=True)
class StepResult:
    key: str
    wall_seconds: float
    peak_rss_bytes: int
    rows: int  # rows landed when the step ran

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.wall_seconds if self.wall_seconds > 0 else 0.0


@dataclass(frozen=True)
class Verdict:
    name: str
    ok: bool | None  # None: not checked (Spark skipped, or the run stopped before it)
    summary: str
    details: tuple[str, ...] = ()


@dataclass
class BenchRun:
    started_at: dt.datetime
    events_requested: int
    seed: int
    environment: Environment
    rows_landed_first: int = 0  # all days but the last: what a, b and e read
    rows_held_back: int = 0  # the last day, landed in c
    landed_bytes: int = 0
    held_back_bytes: int = 0  # the last day's landed file: the new data of step c
    steps: dict[str, StepResult] = field(default_factory=dict)
    slowest: dict[str, list[NodeTime]] = field(default_factory=dict)  # b, c, d
    verdicts: list[Verdict] = field(default_factory=list)
    athena: AthenaEstimate | None = None  # None: --no-athena

    @property
    def rows_landed(self) -> int:
        return self.rows_landed_first + self.rows_held_back

    def ratio(self, numerator: str, denominator: str) -> float | None:
        top, bottom = self.steps.get(numerator), self.steps.get(denominator)
        if top is None or bottom is None or bottom.wall_seconds <= 0:
            return None
        return top.wall_seconds / bottom.wall_seconds

    @property
    def passed(self) -> bool:
        return all(verdict.ok is not False for verdict in self.verdicts)
