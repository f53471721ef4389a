"""Command line: `python -m mart_oracle {expect,report,query} --help`.

A user mistake is reported as one line on stderr with exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from command_line import progress_line, run_command
from ingest.errors import IngestError

DEFAULT_DATABASE = Path(os.environ.get("ECOM_DUCKDB_PATH", "data/demo/ecommerce.duckdb"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mart_oracle",
        description="Compute what every mart should hold from raw files in plain Python, and compare the built "
        "warehouse with it.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

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
        description="Print rows read, accepted, rejected and deduplicated (in total and by landing run), the KPI "
        "row and revenue by month; with --expected, compare the marts with expected values and fail on any "
        "difference. Then Data health: the last landing, source freshness and every monitor's state.",
    )
    report.add_argument(
        "--database", type=Path, default=DEFAULT_DATABASE, help=f"DuckDB file (default {DEFAULT_DATABASE})"
    )
    report.add_argument(
        "--expected", type=Path, help="expected values JSON from `python -m synthetic_events` or `expect`"
    )
    report.add_argument(
        "--target-path",
        type=Path,
        help="dbt's target folder with sources.json, run_results.json and manifest.json for the Data health "
        "section (default $DBT_TARGET_PATH, else target/ in the project)",
    )

    query = commands.add_parser(
        "query",
        help="run one SQL query on the built DuckDB database and print the result",
        description="Run one read-only SQL query on the DuckDB database, e.g. "
        '"select * from marts.fact_monthly_summary".',
    )
    query.add_argument("sql", help="the query")
    query.add_argument(
        "--database", type=Path, default=DEFAULT_DATABASE, help=f"DuckDB file (default {DEFAULT_DATABASE})"
    )
    return parser


def run_expect(args: argparse.Namespace) -> int:
    from ingest.rawfiles import find
    from mart_oracle.expected import expected_values, write_expected

    found = find(args.source)
    files = found.files
    if found.in_hidden_folders:
        progress_line("expect")(f"left alone {len(found.in_hidden_folders)} file(s) in hidden folders")
    write_expected(expected_values(files, progress=progress_line("expect")), args.out)
    print(f"expected values of {len(files)} file(s) written to {args.out}")
    return 0


def run_report(args: argparse.Namespace) -> int:
    from health.summary import read_health
    from health.text import format_health
    from mart_oracle.expected import read_expected
    from mart_oracle.report import connect, differences, format_summary, read_summary

    if args.expected is not None and not args.expected.exists():
        raise IngestError(f"{args.expected} does not exist.")
    with connect(args.database) as connection:
        print(format_summary(read_summary(connection), args.database), flush=True)
        found = None if args.expected is None else differences(connection, read_expected(args.expected))
        health = read_health(connection, args.target_path)
    status = 0
    if found:
        print(f"The marts differ from {args.expected}:", file=sys.stderr, flush=True)
        for line in found:
            print(f"  {line}", file=sys.stderr, flush=True)
        status = 1
    elif found is not None:
        print(f"Check: the marts equal the values computed independently in Python ({args.expected}).")
    # Monitors are warnings and freshness is a reading: the section never changes the exit status.
    print(f"\n{format_health(health)}")
    return status


def run_query(args: argparse.Namespace) -> int:
    import duckdb

    from mart_oracle.report import connect

    with connect(args.database, allow_files=False) as connection:
        try:
            connection.sql(args.sql).show(max_rows=200)
        except duckdb.Error as error:
            raise IngestError(f"The query failed: {str(error).splitlines()[0]}") from error
    return 0


COMMANDS = {"expect": run_expect, "report": run_report, "query": run_query}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(lambda: COMMANDS[args.command](args))
