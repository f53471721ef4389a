"""`python -m athena_scratch`: the schema prefix of a pull request's Athena run, and dropping
everything that run made. Exit 0 when done (nothing to drop included), 1 when something could
not be dropped (each said on a line), 2 on a user mistake (one line)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from athena_scratch.drop import drop
from athena_scratch.names import pull_request_prefix
from command_line import run_command


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m athena_scratch", description="Throw-away Athena schemas of a pull request's run."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    prefix = commands.add_parser("prefix", help="print the schema prefix of a pull request's workflow run")
    prefix.add_argument("--pull-request", type=int, required=True, help="the pull request's number")
    prefix.add_argument("--run-id", type=int, required=True, help="the workflow run's id (github.run_id)")
    dropping = commands.add_parser("drop", help="drop the Glue databases and S3 data of one run's prefix")
    dropping.add_argument("--prefix", required=True, help="pr_<number>_<run id>_, as `prefix` printed it")
    dropping.add_argument(
        "--data-dir", default=os.environ.get("ECOM_ATHENA_DATA_DIR", ""),
        help="dbt's s3_data_dir (default: $ECOM_ATHENA_DATA_DIR)",
    )  # fmt: skip
    dropping.add_argument(
        "--region", default=os.environ.get("AWS_REGION") or None, help="AWS region (default: $AWS_REGION)"
    )
    return parser


def _run(args: argparse.Namespace) -> int:
    if args.command == "prefix":
        print(pull_request_prefix(args.pull_request, args.run_id))
        return 0
    dropped = drop(args.prefix, args.data_dir, args.region)
    for failure in dropped.failures:
        print(f"error: {failure}", file=sys.stderr)
    if not dropped.databases and not dropped.objects and not dropped.failures:
        print(f"Nothing to drop: no Glue database and no data starts with {args.prefix}.")
    return 1 if dropped.failures else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return run_command(lambda: _run(args))
