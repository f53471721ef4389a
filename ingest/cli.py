"""Command line: `python -m ingest {generate,land,expect,report,query} --help`.

A user mistake is reported as one line on stderr with exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from ingest.errors import IngestError

DEFAULT_DATABASE = Path(os.environ.get("ECOM_DUCKDB_PATH", "data/ecommerce.duckdb"))


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2019-10-01") from error


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from error
    if value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' must be at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ingest",
        description="Generate, land and check raw e-commerce clickstream files (Kaggle REES46 format).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    generate = commands.add_parser(
        "generate",
        help="write synthetic events in the Kaggle format, and their expected KPIs",
        description="Write synthetic events in the Kaggle format, one file per month (or day), "
        "and the expected values of the marts, computed in Python from the files written.",
    )
    generate.add_argument("--out", type=Path, required=True, help="folder to write the CSV files to")
    generate.add_argument("--events", type=_positive_int, default=1_000_000, help="about how many rows (default 1,000,000)")
    generate.add_argument("--seed", type=int, default=42, help="random seed; same seed, same files (default 42)")
    generate.add_argument("--start", type=_date, default=dt.date(2019, 10, 1), help="first day (default 2019-10-01)")
    generate.add_argument("--end", type=_date, default=dt.date(2019, 11, 30), help="last day, inclusive (default 2019-11-30)")
    generate.add_argument("--per-day", action="store_true", help="one file per day instead of per month")
    generate.add_argument("--gzip", action="store_true", help="write .csv.gz files")
    generate.add_argument(
        "--expected",
        type=Path,
        help="where to write the expected values as JSON (default OUT/expected.json)",
    )
    generate.add_argument("--no-expected", action="store_true", help="skip computing the expected values")

    land = commands.add_parser(
        "land",
        help="put Kaggle-format CSVs into the raw layout DEST/events/year=YYYY/month=MM/",
        description="Check every file's header, then copy each into DEST/events/year=YYYY/month=MM/ "
        "(the month of its first event). Landing the same content again changes nothing.",
    )
    land.add_argument("--source", type=Path, required=True, help="a .csv or .csv.gz file, or a folder of them")
    land.add_argument("--dest", type=Path, required=True, help="root of the raw layout, e.g. data/raw")

    expect = commands.add_parser(
        "expect",
        help="compute the expected values of the marts from raw files, in plain Python",
        description="Compute the expected content of every mart (row accounting, rejections, KPIs, "
        "dimensions, dashboard marts, funnels, cohorts) from raw files, independently of dbt, "
        "and write them as JSON.",
    )
    expect.add_argument("--source", type=Path, required=True, help="a .csv or .csv.gz file, or a folder of them")
    expect.add_argument("--out", type=Path, required=True, help="JSON file to write")

    report = commands.add_parser(
        "report",
        help="print the demo summary from the built DuckDB database",
        description="Print rows read, accepted, rejected and deduplicated, the KPI row and revenue by month; "
        "with --expected, compare the marts with expected values and fail on any difference.",
    )
    report.add_argument("--database", type=Path, default=DEFAULT_DATABASE, help=f"DuckDB file (default {DEFAULT_DATABASE})")
    report.add_argument("--expected", type=Path, help="expected values JSON from `generate` or `expect`")

    query = commands.add_parser(
        "query",
        help="run one SQL query on the built DuckDB database and print the result",
        description="Run one read-only SQL query on the DuckDB database, e.g. "
        "\"select * from marts.fact_monthly_summary\".",
    )
    query.add_argument("sql", help="the query")
    query.add_argument("--database", type=Path, default=DEFAULT_DATABASE, help=f"DuckDB file (default {DEFAULT_DATABASE})")
    return parser


def run_generate(args: argparse.Namespace) -> int:
    from ingest.expected import expected_values, write_expected
    from ingest.generate import GeneratorConfig, generate

    config = GeneratorConfig(
        events=args.events, seed=args.seed, start=args.start, end=args.end, per_day=args.per_day, gzip=args.gzip
    )
    started = time.perf_counter()
    try:
        files = generate(config, args.out)
    except ValueError as error:
        raise IngestError(str(error)) from error
    elapsed = time.perf_counter() - started
    size = sum(path.stat().st_size for path in files)
    print(f"generated {len(files)} file(s), {size / 1e6:,.1f} MB in {elapsed:.1f} s into {args.out}")
    if not args.no_expected:
        expected_path = args.expected or args.out / "expected.json"
        write_expected(expected_values(files), expected_path)
        print(f"expected values written to {expected_path}")
    return 0


def run_land(args: argparse.Namespace) -> int:
    from ingest.land import land

    landed = land(args.source, args.dest)
    for item in landed:
        print(f"{item.outcome:<14}{item.source} -> {item.destination}")
    written = sum(item.bytes_written for item in landed)
    counts = {outcome: sum(1 for item in landed if item.outcome == outcome) for outcome in sorted({i.outcome for i in landed})}
    summary = ", ".join(f"{count} {outcome}" for outcome, count in counts.items())
    print(f"{len(landed)} file(s): {summary}; {written / 1e6:,.1f} MB written")
    return 0


def run_expect(args: argparse.Namespace) -> int:
    from ingest.expected import expected_values, write_expected
    from ingest.rawfiles import find_raw_files

    files = find_raw_files(args.source)
    write_expected(expected_values(files), args.out)
    print(f"expected values of {len(files)} file(s) written to {args.out}")
    return 0


def run_report(args: argparse.Namespace) -> int:
    from ingest.expected import read_expected
    from ingest.report import connect, differences, format_summary, read_summary

    if args.expected is not None and not args.expected.exists():
        raise IngestError(f"{args.expected} does not exist.")
    with connect(args.database) as connection:
        print(format_summary(read_summary(connection), args.database))
        if args.expected is None:
            return 0
        found = differences(connection, read_expected(args.expected))
    if found:
        print(f"The marts differ from {args.expected}:", file=sys.stderr)
        for line in found:
            print(f"  {line}", file=sys.stderr)
        return 1
    print(f"Check: the marts equal the values computed independently in Python ({args.expected}).")
    return 0


def run_query(args: argparse.Namespace) -> int:
    import duckdb

    from ingest.report import connect

    with connect(args.database) as connection:
        try:
            connection.sql(args.sql).show(max_rows=200)
        except duckdb.Error as error:
            raise IngestError(f"The query failed: {str(error).splitlines()[0]}") from error
    return 0


COMMANDS = {
    "generate": run_generate,
    "land": run_land,
    "expect": run_expect,
    "report": run_report,
    "query": run_query,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except IngestError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted.", file=sys.stderr)
        return 130
