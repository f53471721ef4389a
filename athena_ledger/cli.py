"""`python -m athena_ledger`: what a finished `dbt build --target athena` cost, from the
workgroup's query history. Exit 0 within budget, 1 over it, 2 on a user error (one line)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from athena_ledger import history, render
from athena_ledger.billing import USD_PER_TB
from athena_ledger.errors import LedgerError
from athena_ledger.ledger import Budget, build
from athena_ledger.run import read_run

OUT_NAME = "athena_ledger.json"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m athena_ledger",
        description="Per-node Athena cost of a finished dbt run (its target/run_results.json), from the "
        "workgroup's query history; statements are matched by the invocation id in dbt's query comment.",
    )
    parser.add_argument("--target-path", type=Path, default=Path("target"), help="dbt's target folder (default target)")
    parser.add_argument(
        "--workgroup", default=os.environ.get("ECOM_ATHENA_WORKGROUP") or "primary",
        help="Athena workgroup (default: $ECOM_ATHENA_WORKGROUP, else primary, as profiles.yml)",
    )  # fmt: skip
    parser.add_argument(
        "--region", default=os.environ.get("AWS_REGION") or None, help="AWS region (default: $AWS_REGION, else boto3's)"
    )
    parser.add_argument("--price-per-tb", type=float, default=USD_PER_TB, help=f"USD per TB (default {USD_PER_TB:g})")
    parser.add_argument("--budget-bytes", type=int, default=None, help="exit 1 when the run was billed more bytes")
    parser.add_argument("--budget-usd", type=float, default=None, help="exit 1 when the run cost more dollars")
    parser.add_argument("--out", type=Path, default=None, help=f"the JSON (default {OUT_NAME} by run_results.json)")
    parser.add_argument(
        "--top", type=int, default=25, help="nodes shown, the most expensive first, the rest on one line (0: all; "
        "default 25); the JSON has every node",
    )  # fmt: skip
    return parser


def _check(args: argparse.Namespace) -> None:
    if args.price_per_tb < 0:
        raise LedgerError(f"--price-per-tb must not be negative, not {args.price_per_tb:g}.")
    if args.budget_bytes is not None and args.budget_bytes < 0:
        raise LedgerError(f"--budget-bytes must not be negative, not {args.budget_bytes}.")
    if args.top < 0:
        raise LedgerError(f"--top must not be negative, not {args.top}.")
    if args.budget_usd is not None and args.budget_usd < 0:
        raise LedgerError(f"--budget-usd must not be negative, not {args.budget_usd:g}.")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        _check(args)
        run = read_run(args.target_path)
        client = history.athena_client(args.region)
        executions = history.executions_between(client, args.workgroup, run.window_start, run.window_end)
        ledger = build(run.invocation_id, executions, args.price_per_tb, run.relations, run.ran_during)
        budget = Budget(bytes=args.budget_bytes, usd=args.budget_usd)
        overruns = budget.overruns(ledger.total(), args.price_per_tb)
        out = args.out or run.path.with_name(OUT_NAME)
        document = render.document(ledger, args.workgroup, budget, overruns)
        try:
            out.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        except OSError as error:
            raise LedgerError(f"Cannot write {out}: {error.strerror or error}.") from None
    except LedgerError as error:
        print(f"athena_ledger: {error}", file=sys.stderr)
        return 2
    print(render.table(ledger, args.top))
    if not ledger.rows:
        print(
            f"No statement of invocation {run.invocation_id} in workgroup {args.workgroup}: was it a run "
            "with --target athena, in this workgroup and region, and with the project's query comment?"
        )
    print(f"Written: {out}")
    if overruns:
        print(f"athena_ledger: over budget: {'; '.join(overruns)}.", file=sys.stderr)
        return 1
    return 0
