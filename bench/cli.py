"""Command line: `python -m bench run --help`.

A user mistake is reported as one line on stderr with exit status 2, never a traceback; a
failed step or a check that found a difference exits with status 1.
"""

from __future__ import annotations

import argparse
import importlib.util
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from bench.errors import BenchError

REPO = Path(__file__).resolve().parents[1]
DEFAULT_EVENTS = 10_000_000
DEFAULT_WORK_DIR = REPO / "data" / "bench"
DEFAULT_REPORT = REPO / "docs" / "benchmarks.md"


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from error
    if value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' must be at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark the dbt project on DuckDB against the floor (DuckDB reading the CSVs) "
        "and the original pipeline on PySpark, on generated data of a chosen size.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="generate, land, time every step, check the results, append a section to the report",
        description="Generate EVENTS events (one file per day of Oct-Nov 2019) and land all days but the "
        "last; time (a) DuckDB reading the landed CSVs once, (b) dbt build --full-refresh, (c) landing the "
        "last day and an incremental dbt build, (d) dbt build with nothing new, (e) PySpark doing the "
        "original pipeline's job over the files of (b); check that the incremental warehouse equals a full "
        "refresh and that Spark's totals equal dbt's marts; estimate what the same runs would scan on Athena at "
        "this run's sizes; print the report and append it to REPORT.",
    )
    run.add_argument(
        "--events", type=_positive_int, default=DEFAULT_EVENTS, help=f"about how many rows (default {DEFAULT_EVENTS:,})"
    )
    run.add_argument("--seed", type=int, default=42, help="the generator's random seed (default 42)")
    run.add_argument(
        "--work-dir",
        type=Path,
        default=DEFAULT_WORK_DIR,
        help="folder for the data and warehouses; must not exist unless an earlier bench run created it "
        f"(default {DEFAULT_WORK_DIR.relative_to(REPO)}/ in the repository)",
    )
    run.add_argument(
        "--report",
        type=Path,
        default=DEFAULT_REPORT,
        help=f"Markdown file the run's section is appended to (default {DEFAULT_REPORT.relative_to(REPO)})",
    )
    run.add_argument("--keep", action="store_true", help="keep the work folder at the end (it is removed otherwise)")
    run.add_argument("--no-spark", action="store_true", help="skip step e, the PySpark job")
    run.add_argument(
        "--no-athena", action="store_true", help="skip the Athena estimate (the capture and the Parquet sizes)"
    )
    run.add_argument(
        "--athena-statements",
        type=Path,
        help="estimate with this capture (`python -m athena_estimate capture --out FILE`) instead of capturing "
        "one (about 4 minutes)",
    )
    run.add_argument(
        "--compare-events",
        type=_positive_int,
        help="first run the whole bench on this smaller history, then on --events, and append a section on how "
        "the day's cost grew on each engine (the work folder is reused, so --keep keeps only the second)",
    )
    return parser


def run_command(args: argparse.Namespace) -> int:
    if importlib.util.find_spec("psutil") is None:
        raise BenchError("psutil is not installed: `make bench` installs requirements-bench.txt into .venv.")
    from bench.runner import Options, run_bench

    options = Options(
        events=args.events,
        seed=args.seed,
        work_dir=args.work_dir,
        report=args.report,
        keep=args.keep,
        spark=not args.no_spark,
        athena=not args.no_athena,
        athena_statements=args.athena_statements,
        compare_events=args.compare_events,
    )
    return run_bench(options, REPO)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM and SIGHUP stop the run like Ctrl-C: the running step's process tree is stopped too."""
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    try:
        return run_command(args)
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("error: interrupted.", file=sys.stderr)
        return 130
