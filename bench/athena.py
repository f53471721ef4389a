"""The Athena estimate of a bench run: what the SQL dbt-athena sends for a full build, one more
day and a build with nothing new would scan at the sizes this run measured.

The statements are captured once through the Athena stand-in (`python -m athena_estimate
capture`, a small generated data set: the SQL does not depend on the data's size, only the
partitions it selects do), or read from a capture the user passes. The sizes are the bench's
own warehouse after step c, exported to Parquet as Athena would store it (`python -m
athena_estimate sizes`); the statements' partition selections are charged against them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from athena_estimate import captured
from athena_estimate.captured import Capture, Run
from athena_estimate.errors import EstimateError
from athena_estimate.estimate import Totals, by_group, estimate, totals
from athena_estimate.sizes import Sizes
from bench.errors import BenchError, BenchFailed
from bench.steps import Context, run_plain

RUNS = (Run.FULL, Run.DAY, Run.NOTHING)
# The export's DuckDB stays well under the bench's 8 GB budget of memory.
EXPORT_MEMORY_LIMIT = "6GB"


@dataclass(frozen=True)
class NodeBytes:
    name: str
    bytes: int


@dataclass(frozen=True)
class AthenaEstimate:
    """The three runs' totals at one bench run's sizes, and the day's largest nodes."""

    runs: dict[Run, Totals]
    day_nodes: list[NodeBytes]
    capture_commit: str
    capture_events: int
    raw_bytes: int

    def share_of_full(self, run: Run) -> float | None:
        full = self.runs[Run.FULL].bytes
        return self.runs[run].bytes / full if full > 0 else None


def capture_statements(ctx: Context, out: Path) -> Capture:
    """Capture the three runs' statements through the stand-in (a few minutes) into `out`."""
    argv: list[str | Path] = [ctx.python, "-m", "athena_estimate", "capture", "--out", out]
    run_plain(ctx, argv, "Capturing the Athena statements")
    return load_statements(out)


def load_statements(path: Path) -> Capture:
    try:
        return captured.load(path)
    except (EstimateError, KeyError, ValueError) as error:
        raise BenchError(
            f"--athena-statements {path} is not a capture written by `python -m athena_estimate capture` ({error})."
        ) from error


def measure_sizes(ctx: Context, manifest: Path) -> Sizes:
    """The warehouse and raw files of this run as Athena would store them (Parquet zstd)."""
    work = ctx.work
    out = work.root / "athena-sizes.json"
    argv: list[str | Path] = [
        ctx.python, "-m", "athena_estimate", "sizes", "--warehouse", work.warehouse, "--raw", work.raw,
        "--manifest", manifest, "--export-dir", work.root / "athena-export", "--memory-limit", EXPORT_MEMORY_LIMIT,
        "--out", out,
    ]  # fmt: skip
    run_plain(ctx, argv, "Measuring the warehouse's sizes for the Athena estimate")
    try:
        return Sizes.load(out)
    except (EstimateError, KeyError, ValueError) as error:
        raise BenchFailed(f"The sizes written to {out} cannot be read ({error}).") from error


def estimate_run(capture: Capture, sizes: Sizes, top: int = 5) -> AthenaEstimate:
    """The capture's statements charged at `sizes`."""
    _, costs = estimate(capture, sizes)
    groups = by_group(capture, costs)
    day = sorted(
        (NodeBytes(name, cells[Run.DAY].bytes) for name, cells in groups.items()), key=lambda n: (-n.bytes, n.name)
    )
    return AthenaEstimate(
        runs={run: totals(costs, run) for run in RUNS},
        day_nodes=day[:top],
        capture_commit=str(capture.source.get("commit", "?")),
        capture_events=capture.events,
        raw_bytes=sizes.raw_bytes,
    )
