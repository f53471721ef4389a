"""Each step of a benchmark run as a subprocess: generate, land, the floor, dbt builds, Spark.

Untimed steps (generate, land) run plainly; timed ones go through `measure.run_measured`.
Every subprocess streams its output to the terminal. dbt runs from the repository root with
--project-dir, its target and log folders inside the work folder, so the user's own target/
is never touched; the floor and Spark run inside the work folder, so their scratch files
stay there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from bench.compare import Totals
from bench.errors import BenchError, BenchFailed
from bench.measure import Measurement, run_measured
from bench.workdir import WorkDir

LAST_DAY_FILE = "2019-11-30.csv"


@dataclass(frozen=True)
class Context:
    repo: Path
    work: WorkDir
    python: Path = Path(sys.executable)

    def env(self) -> dict[str, str]:
        """The user's environment, with unbuffered Python output, the repository importable, and
        temporary files in the work folder."""
        path = os.environ.get("PYTHONPATH")
        self.work.tmp.mkdir(exist_ok=True)
        return {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": f"{self.repo}{os.pathsep}{path}" if path else str(self.repo),
            "TMPDIR": str(self.work.tmp),
        }


def run_plain(ctx: Context, argv: Sequence[str | Path], what: str) -> None:
    sys.stdout.flush()
    done = subprocess.run([str(part) for part in argv], cwd=ctx.repo, env=ctx.env(), check=False)
    if done.returncode != 0:
        raise BenchFailed(f"{what} failed (exit status {done.returncode}); its output is above.")


def generate(ctx: Context, events: int, seed: int) -> None:
    out = ctx.work.generated
    argv: list[str | Path] = [
        ctx.python,
        "-m",
        "synthetic_events",
        "--out",
        out,
        "--events",
        str(events),
        "--seed",
        str(seed),
    ]
    run_plain(ctx, [*argv, "--per-day", "--no-expected"], "Generating the events")


def hold_back_last_day(work: WorkDir) -> Path:
    """Move the last day's file out of the generated folder, to be landed in step c."""
    source = work.generated / LAST_DAY_FILE
    if not source.is_file():
        raise BenchFailed(f"The generator wrote no {LAST_DAY_FILE} in {work.generated}, so no day can be held back.")
    work.held_back.mkdir()
    return Path(shutil.move(source, work.held_back / LAST_DAY_FILE))


def land(ctx: Context, source: Path) -> None:
    argv: list[str | Path] = [ctx.python, "-m", "ingest", "land", "--source", source, "--dest", ctx.work.raw]
    run_plain(ctx, argv, f"Landing {source}")


def count_data_rows(path: Path) -> int:
    """Lines of a CSV file after its header."""
    with path.open("rb") as lines:
        return max(sum(1 for _ in lines) - 1, 0)


def landed_bytes(raw: Path) -> int:
    return sum(path.stat().st_size for path in (raw / "events").rglob("*") if path.is_file())


def _last_json(measurement: Measurement, what: str) -> dict[str, Any]:
    """The JSON object a job prints on its last line."""
    for line in reversed(measurement.last_lines):
        try:
            found = json.loads(line)
        except ValueError:
            continue
        if isinstance(found, dict):
            return found
    raise BenchFailed(f"{what} printed no JSON totals on its last line.")


def _require_success(measurement: Measurement, what: str) -> None:
    if measurement.returncode != 0:
        raise BenchFailed(f"{what} failed (exit status {measurement.returncode}); its output is above.")


def run_floor(ctx: Context) -> tuple[Measurement, int]:
    """Step a; returns the measurement and the number of data rows read."""
    argv: list[str | Path] = [ctx.python, "-m", "bench.floor", "--raw", ctx.work.raw]
    measurement = run_measured(argv, env=ctx.env(), cwd=ctx.work.root, capture_stdout=True)
    _require_success(measurement, "The floor (DuckDB reading the CSVs)")
    rows = _last_json(measurement, "The floor").get("rows")
    if not isinstance(rows, int):
        raise BenchFailed("The floor's JSON totals have no whole number of rows.")
    return measurement, rows


def dbt_executable() -> Path:
    dbt = Path(sys.executable).with_name("dbt")
    if not dbt.exists():
        raise BenchError(f"dbt is not installed next to {sys.executable}; run `make setup` first.")
    return dbt


# The check's full refresh only gives the tables the incremental warehouse is compared with; the
# builds of (b) and (c) run every data and unit test, so the check leaves them out.
WITHOUT_TESTS = ("--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")


def run_dbt_build(ctx: Context, step: str, database: Path, full_refresh: bool, tests: bool = True) -> Measurement:
    """`dbt build` on the local DuckDB target, over the work folder's raw files, into `database`."""
    env = {
        **ctx.env(),
        "DBT_PROFILES_DIR": str(ctx.repo),
        "DBT_TARGET": "local",
        "ECOM_RAW_DIR": str(ctx.work.raw),
        "ECOM_DUCKDB_PATH": str(database),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    argv: list[str | Path] = [
        dbt_executable(),
        "build",
        *(["--full-refresh"] if full_refresh else []),
        *(() if tests else WITHOUT_TESTS),
        "--project-dir",
        ctx.repo,
        "--target-path",
        ctx.work.target(step),
        "--log-path",
        ctx.work.logs,
    ]
    measurement = run_measured(argv, env=env, cwd=ctx.repo)
    _require_success(measurement, f"Step {step}, `dbt build{' --full-refresh' if full_refresh else ''}`,")
    return measurement


def _totals(found: dict[str, Any]) -> Totals:
    try:
        return Totals(
            purchases=int(found["purchases"]), revenue=Decimal(found["revenue"]), customers=int(found["customers"])
        )
    except (KeyError, TypeError, ValueError, InvalidOperation) as error:
        raise BenchFailed(f"The Spark job's JSON totals are incomplete or malformed ({error}).") from error


def run_spark(ctx: Context) -> tuple[Measurement, Totals]:
    """Step e; returns the measurement and Spark's totals."""
    work = ctx.work
    argv: list[str | Path] = [ctx.python, "-m", "bench.spark_job", "--raw", work.raw, "--out", work.spark_out]
    argv += ["--local-dir", work.spark_tmp]
    work.spark_tmp.mkdir(exist_ok=True)
    measurement = run_measured(argv, env=ctx.env(), cwd=work.root, capture_stdout=True)
    _require_success(measurement, "Step e, the Spark job,")
    return measurement, _totals(_last_json(measurement, "The Spark job"))
