"""Command line: `python -m dashboard {render,quicksight} --help`.

    python -m dashboard render --database data/demo/ecommerce.duckdb --out data/dashboard
    python -m dashboard quicksight deploy --dry-run --principal-arn arn:aws:quicksight:...

A user mistake is reported as one line on stderr (`error: ...`) with exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from command_line import run_command
from dashboard.errors import DashboardError
from dashboard.exposure import DEFAULT_MANIFEST

DEFAULT_DATABASE = Path(os.environ.get("ECOM_DUCKDB_PATH", "data/demo/ecommerce.duckdb"))
DEFAULT_OUT = Path("data/dashboard")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one `error:` line and exit status 2 like every other error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def _render(args: argparse.Namespace) -> int:
    # Imported here so `quicksight` works without duckdb, and `render` without boto3.
    from dashboard.data import read_marts
    from dashboard.export import export, find_chromium
    from dashboard.render import render_html
    from health.summary import read_health_of

    # A wrong --chromium is reported before any work is done.
    chromium = None if args.no_export else find_chromium(args.chromium)
    marts = read_marts(args.database)
    health = read_health_of(args.database, args.target_path)
    html_path, png_path, pdf_path = (args.out / f"dashboard.{ext}" for ext in ("html", "png", "pdf"))
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        html_path.write_text(render_html(marts, args.database.name, health))
        if chromium is None:
            # An export left from an earlier run would no longer match the HTML.
            png_path.unlink(missing_ok=True)
            pdf_path.unlink(missing_ok=True)
    except OSError as error:
        raise DashboardError(f"cannot write {html_path}: {error.strerror or error}") from None
    print(f"dashboard: {html_path}")
    if args.no_export:
        return 0
    if chromium is None:
        print("dashboard: no chromium found (apt-get install chromium), so no PNG or PDF; the HTML is written")
        return 0
    exported = export(html_path, png_path, pdf_path, chromium)
    print(f"dashboard: {exported.png}\ndashboard: {exported.pdf}")
    return 0


def _quicksight_deploy(args: argparse.Namespace) -> int:
    from dashboard.quicksight import deploy_command, settings_from_args

    return deploy_command(settings_from_args(args), manifest_path=args.manifest, dry_run=args.dry_run, out=sys.stdout)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m dashboard", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="{render,quicksight}", parser_class=_Parser)

    render = commands.add_parser(
        "render",
        help="write dashboard.html (and .png, .pdf with chromium) from the marts",
        description="Render the dashboard from the DuckDB marts into one offline HTML "
        "file, and export it to PNG and PDF with headless Chromium.",
    )
    render.add_argument(
        "--database",
        type=Path,
        default=DEFAULT_DATABASE,
        help=f"DuckDB warehouse built by dbt (default $ECOM_DUCKDB_PATH or {DEFAULT_DATABASE})",
    )
    render.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    render.add_argument("--no-export", action="store_true", help="write only the HTML, no PNG or PDF")
    render.add_argument(
        "--target-path",
        type=Path,
        help="dbt's target folder (sources.json, run_results.json, manifest.json) for the Data health panel "
        "(default $DBT_TARGET_PATH, else target/ in the project)",
    )
    render.add_argument(
        "--chromium",
        default=os.environ.get("ECOM_CHROMIUM"),
        help="Chromium binary (default $ECOM_CHROMIUM, else chromium on PATH)",
    )
    render.set_defaults(handler=_render)

    quicksight = commands.add_parser(
        "quicksight",
        help="the dashboard as QuickSight resources on Athena",
        description="QuickSight as code: an Athena data source, one dataset per "
        "mart of the dbt exposure, an analysis and a dashboard.",
    )
    actions = quicksight.add_subparsers(dest="action", required=True, metavar="{deploy}", parser_class=_Parser)
    deploy = actions.add_parser(
        "deploy",
        help="create or update the QuickSight resources (--dry-run: plan only)",
        description="Create what is missing, update what differs, leave the rest: "
        "running it twice changes nothing the second time.",
    )
    from dashboard.quicksight import add_settings_arguments

    add_settings_arguments(deploy)
    deploy.add_argument(
        "--manifest",
        type=Path,
        default=DEFAULT_MANIFEST,
        help=f"dbt manifest with the exposure and the mart contracts (default {DEFAULT_MANIFEST})",
    )
    deploy.add_argument(
        "--dry-run",
        action="store_true",
        help="print the plan (create / update / unchanged per resource) and change nothing",
    )
    deploy.set_defaults(handler=_quicksight_deploy)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(lambda: args.handler(args))
