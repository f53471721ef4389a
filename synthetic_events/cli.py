"""Command line: `python -m synthetic_events --out DIR`, the generated files and their expected values.

The expected values are the marts recomputed from the files written by the independent Python
oracle (mart_oracle), unless --no-expected.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections.abc import Sequence
from pathlib import Path

from command_line import progress_line, run_command
from ingest.errors import IngestError
from synthetic_events.config import GeneratorConfig
from synthetic_events.generator import generate


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2019-10-01") from error


def _whole_number(text: str) -> int:
    try:
        return int(text.replace("_", ""))
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from error


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m synthetic_events",
        description="Write synthetic events in the Kaggle format, one file per month (or day), "
        "and the expected values of the marts, computed in Python from the files written.",
    )
    parser.add_argument("--out", type=Path, required=True, help="folder to write the CSV files to")
    parser.add_argument(
        "--events", type=_whole_number, default=1_000_000, help="about how many rows (default 1,000,000)"
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed; same seed, same files (default 42)")
    parser.add_argument("--start", type=_date, default=dt.date(2019, 10, 1), help="first day (default 2019-10-01)")
    parser.add_argument(
        "--end", type=_date, default=dt.date(2019, 11, 30), help="last day, inclusive (default 2019-11-30)"
    )
    parser.add_argument("--per-day", action="store_true", help="one file per day instead of per month")
    parser.add_argument("--gzip", action="store_true", help="write .csv.gz files")
    parser.add_argument(
        "--expected",
        type=Path,
        help="where to write the expected values as JSON (default OUT/expected.json)",
    )
    parser.add_argument("--no-expected", action="store_true", help="skip computing the expected values")
    return parser


def run_generate(args: argparse.Namespace) -> int:
    config = GeneratorConfig(
        events=args.events, seed=args.seed, start=args.start, end=args.end, per_day=args.per_day, gzip=args.gzip
    )
    started = time.perf_counter()
    progress_line("generate")(f"writing about {args.events:,} events into {args.out} ...")
    try:
        files = generate(config, args.out)
    except ValueError as error:
        raise IngestError(str(error)) from error
    elapsed = time.perf_counter() - started
    size = sum(path.stat().st_size for path in files)
    print(f"generated {len(files)} file(s), {size / 1e6:,.1f} MB in {elapsed:.1f} s into {args.out}")
    if not args.no_expected:
        from mart_oracle.expected import expected_values, write_expected

        expected_path = args.expected or args.out / "expected.json"
        write_expected(expected_values(files, progress=progress_line("generate: expected values")), expected_path)
        print(f"expected values written to {expected_path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(lambda: run_generate(args))
