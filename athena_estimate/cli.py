"""Command line: `python -m athena_estimate {capture,sizes,report} --help`.

    capture  the SQL of a full build, an incremental day and a nothing-new build, through the
             Athena conformance stand-in (tests/athena/capture.py), to JSON
    sizes    a DuckDB warehouse exported to Parquet (zstd, partitioned as on Athena) and
             measured per partition and column, plus the landed raw files, to JSON
    report   the two combined: the Markdown section, printed (and appended with --report)
    ledger   the two combined for one run, in the cost ledger's table and JSON (python -m athena_ledger)

A user mistake is one line on stderr with exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from athena_estimate import captured
from athena_estimate.as_ledger import estimated_ledger, relations_of
from athena_estimate.captured import Run
from athena_estimate.errors import EstimateError
from athena_estimate.estimate import estimate
from athena_estimate.export import measure_warehouse
from athena_estimate.report import render
from athena_estimate.sizes import Sizes
from athena_ledger import render as render_ledger
from athena_ledger.billing import USD_PER_TB
from athena_ledger.ledger import Budget

REPO = Path(__file__).resolve().parents[1]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m athena_estimate",
        description="Estimate what dbt's Athena SQL would scan (bytes, USD) for a full build, an incremental "
        "day and a nothing-new build, from captured statements and Parquet sizes of a DuckDB warehouse.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    capture = commands.add_parser("capture", help="capture the statements of the three Athena runs to JSON")
    capture.add_argument("--out", type=Path, required=True, help="JSON file to write")
    capture.add_argument("--events", type=int, default=20_000, help="events of the small generated data set")
    capture.add_argument("--workdir", type=Path, help="keep the capture's work folder here (must not exist)")
    capture.add_argument(
        "--bill", action="store_true", help="also read each run's cost ledger from the stand-in, at estimated bytes"
    )
    capture.add_argument("--sizes", type=Path, help="with --bill: the sizes JSON to estimate with (default: measure)")

    sizes = commands.add_parser("sizes", help="measure a warehouse and its raw files as Athena would store them")
    sizes.add_argument("--warehouse", type=Path, required=True, help="the DuckDB file built by this project")
    sizes.add_argument("--raw", type=Path, required=True, help="the raw layout root (holds events/year=/month=/)")
    sizes.add_argument(
        "--manifest",
        type=Path,
        default=REPO / "target" / "manifest.json",
        help="dbt manifest with each model's partitioned_by (default: target/manifest.json)",
    )
    sizes.add_argument("--export-dir", type=Path, required=True, help="scratch folder for the Parquet export")
    sizes.add_argument("--keep-export", action="store_true", help="keep the Parquet files (default: delete each)")
    sizes.add_argument("--threads", type=int, help="DuckDB threads (default: DuckDB's)")
    sizes.add_argument("--memory-limit", help="DuckDB memory_limit, e.g. 6GB")
    sizes.add_argument("--out", type=Path, required=True, help="JSON file to write")

    report = commands.add_parser("report", help="print the Markdown section (and append it to --report)")
    report.add_argument("--statements", type=Path, required=True, help="JSON written by `capture`")
    report.add_argument("--sizes", type=Path, required=True, help="JSON written by `sizes`")
    report.add_argument("--report", type=Path, help="Markdown file to append the section to")
    report.add_argument("--json", type=Path, help="also write every statement's estimate to this JSON file")

    ledger = commands.add_parser("ledger", help="one run's estimate as the cost ledger's table and JSON")
    ledger.add_argument("--statements", type=Path, required=True, help="JSON written by `capture`")
    ledger.add_argument("--sizes", type=Path, required=True, help="JSON written by `sizes`")
    ledger.add_argument("--run", choices=[run.value for run in Run], default=Run.DAY.value, help="default: %(default)s")
    ledger.add_argument("--price-per-tb", type=float, default=USD_PER_TB, help=f"USD per TB (default {USD_PER_TB:g})")
    ledger.add_argument("--out", type=Path, help="also write the ledger's JSON here")
    ledger.add_argument("--top", type=int, default=25, help="nodes shown, the rest on one line (0: all; default 25)")
    return parser


def _capture(args: argparse.Namespace) -> int:
    command = [sys.executable, "-m", "tests.athena.capture", "--out", str(args.out), "--events", str(args.events)]
    if args.workdir is not None:
        command += ["--workdir", str(args.workdir)]
    if args.bill:
        command += ["--bill", *(["--sizes", str(args.sizes)] if args.sizes is not None else [])]
    return subprocess.run(command, cwd=REPO, check=False).returncode


def _sizes(args: argparse.Namespace) -> int:
    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    measured = measure_warehouse(
        args.warehouse, args.raw, args.manifest, args.export_dir, keep=args.keep_export, threads=args.threads,
        memory_limit=args.memory_limit, progress=progress,
    )  # fmt: skip
    measured.save(args.out)
    print(f"{len(measured.tables)} tables, {len(measured.raw_files)} raw files measured into {args.out}")
    return 0


def _report(args: argparse.Namespace) -> int:
    capture = captured.load(args.statements)
    sizes = Sizes.load(args.sizes)
    estimator, costs = estimate(capture, sizes)
    section = render(capture, sizes, estimator, costs)
    print(section)
    if args.report is not None:
        with args.report.open("a") as handle:
            handle.write("\n" + section)
        print(f"appended to {args.report}", file=sys.stderr)
    if args.json is not None:
        args.json.write_text(json.dumps([
            {"run": c.statement.run.value, "index": c.statement.index, "node_id": c.statement.node_id,
             "kind": c.statement.kind, "purpose": c.statement.purpose, "bytes": c.bytes, "billed": c.billed,
             "error": c.error,
             "reads": [{"relation": r.read.relation, "role": r.read.role, "bytes": r.bytes,
                        "columns": sorted(r.read.columns) if r.read.columns is not None else None,
                        "filters": r.read.filters_sql(), "selected": list(r.selected), "of": r.total}
                       for r in c.reads]}
            for c in costs
        ], indent=1))  # fmt: skip
    return 0


def _ledger(args: argparse.Namespace) -> int:
    capture = captured.load(args.statements)
    _, costs = estimate(capture, Sizes.load(args.sizes))
    ledger = estimated_ledger(costs, Run(args.run), args.price_per_tb, relations_of(capture))
    print(f"Estimated, not billed: the {Run(args.run).label} of {args.statements}, sizes {args.sizes}")
    print(render_ledger.table(ledger, max(args.top, 0)))
    if args.out is not None:
        document = render_ledger.document(ledger, "estimate", Budget(), [])
        args.out.write_text(json.dumps(document, indent=2) + "\n")
        print(f"Written: {args.out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        commands = {"capture": _capture, "sizes": _sizes, "report": _report, "ledger": _ledger}
        return commands[args.command](args)
    except EstimateError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
