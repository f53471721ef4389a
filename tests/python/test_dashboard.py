"""The HTML dashboard rendered from a real dbt build: every number equals its mart, every visual
is there, top-5 lists are the ranked rows in order, nothing is loaded from the network, the
dashboard reads exactly the exposure's marts, and the command line's errors are one line."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import duckdb
import pytest

from conftest import REPO, Warehouse
from dashboard.data import DASHBOARD_MARTS, MartTable
from dashboard.exposure import exposure_marts
from dashboard.render import VISUALS, render_html
from health.summary import NOT_CHECKED, NOT_RUN, read_health_of
from health_fixtures import (
    LANDING_RUNS,
    NOW,
    PASS_MONITOR,
    UNRUN_MONITOR,
    WARN_MONITOR,
    error_freshness,
    panel_of,
    write_landed_files,
    write_manifest,
    write_run_results,
)

pytestmark = pytest.mark.dbt


def run_dashboard(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dashboard", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


class Figures(HTMLParser):
    """Every element carrying data-mart, with the visual (section) it is in and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: list[dict[str, Any]] = []
        self.visuals: list[str] = []
        self._visual: str | None = None
        self._open: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "section" and (visual := found.get("data-visual")):
            self._visual = visual
            self.visuals.append(visual)
        if "data-mart" in found:
            figure = {**found, "visual": self._visual, "text": "", "tag": tag}
            self.figures.append(figure)
            self._open.append(figure)

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1]["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1]["tag"] == tag:
            self._open.pop()
        if tag == "section":
            self._visual = None


@pytest.fixture(scope="module")
def rendered(generated_build: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dashboard")
    target = generated_build.database.parent / "target"
    result = run_dashboard(
        "render", "--database", generated_build.database, "--out", out, "--no-export", "--target-path", target
    )
    assert result.returncode == 0, result.stderr
    assert f"dashboard: {out / 'dashboard.html'}" in result.stdout
    return out / "dashboard.html"


@pytest.fixture(scope="module")
def page(rendered: Path) -> Figures:
    parser = Figures()
    parser.feed(rendered.read_text())
    return parser


@pytest.fixture(scope="module")
def warehouse(generated_build: Warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(generated_build.database), read_only=True)
    yield connection
    connection.close()


def parse_key(text: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in text.split(";")) if text else {}


def as_read(text: str, like: Any) -> Any:
    """The data-value text as the type DuckDB returned, so equality is exact."""
    if like is None:
        return None if text == "null" else text
    if isinstance(like, Decimal):
        return Decimal(text)
    if isinstance(like, bool):
        return text == "true"
    if isinstance(like, int):
        return int(text)
    if isinstance(like, float):
        return float(text)
    if isinstance(like, dt.date):
        return dt.date.fromisoformat(text)
    return text


def expected_value(warehouse: duckdb.DuckDBPyConnection, figure: dict[str, Any]) -> Any:
    """The figure's value, read afresh from its mart."""
    mart, column, aggregate = figure["data-mart"], figure["data-column"], figure.get("data-aggregate")
    if aggregate == "sum":
        return warehouse.execute(f"select sum({column}) from marts.{mart}").fetchall()[0][0]
    if aggregate == "ratio":
        numerator, denominator = column.split("/")
        sql = f"select round(sum({numerator}) / sum({denominator}), 4) from marts.{mart}"
        return warehouse.execute(sql).fetchall()[0][0]
    assert aggregate is None, figure
    key = parse_key(figure["data-key"])
    where = " and ".join(f"cast({name} as varchar) = ?" for name in key) or "true"
    rows = warehouse.execute(f"select {column} from marts.{mart} where {where}", list(key.values())).fetchall()
    assert len(rows) == 1, f"{figure} matches {len(rows)} rows"
    return rows[0][0]


def test_every_number_in_the_html_equals_its_mart(page: Figures, warehouse: duckdb.DuckDBPyConnection) -> None:
    assert len(page.figures) > 200
    wrong = []
    for figure in page.figures:
        expected = expected_value(warehouse, figure)
        if as_read(figure["data-value"], expected) != expected:
            wrong.append(
                f"{figure['data-mart']}.{figure['data-column']} [{figure['data-key']}]: "
                f"html {figure['data-value']} != mart {expected}"
            )
    assert wrong == []


# visual -> (mart, columns that must be shown for every row, key columns, filter)
EVERY_ROW_SHOWN = {
    "revenue_month_over_month": ("revenue_month_over_month", ("revenue", "revenue_change_ratio"), ("month_start",), ""),
    "revenue_by_weekday": ("revenue_by_weekday", ("revenue",), ("month_start", "iso_weekday"), ""),
    "top_5_brands": ("revenue_by_brand", ("revenue", "revenue_rank"), ("brand_name",), "revenue_rank <= 5"),
    "top_5_categories": ("revenue_by_category", ("revenue", "revenue_rank"), ("category_name",), "revenue_rank <= 5"),
    "ltv_tier_donut": ("customers_by_ltv_tier", ("customers", "share_of_customers", "revenue"), ("ltv_tier",), ""),
    "daily_conversion": ("funnel_daily", ("session_conversion_rate", "purchase_rate", "cart_rate"), ("date_day",), ""),
    "customer_cohorts": ("customer_cohorts", ("retention_rate",), ("cohort_month", "month_offset"), ""),
}


@pytest.mark.parametrize("visual", sorted(EVERY_ROW_SHOWN))
def test_each_visual_shows_every_row_of_its_mart(
    visual: str, page: Figures, warehouse: duckdb.DuckDBPyConnection
) -> None:
    mart, columns, keys, where = EVERY_ROW_SHOWN[visual]
    rows = warehouse.execute(
        f"select {', '.join(keys)} from marts.{mart} {'where ' + where if where else ''}"
    ).fetchall()
    assert rows, f"marts.{mart} is empty: the test data should fill every visual"
    expected = {
        (
            column,
            ";".join(f"{k}={v.isoformat() if isinstance(v, dt.date) else v}" for k, v in zip(keys, row, strict=True)),
        )
        for row in rows
        for column in columns
    }
    shown = {(f["data-column"], f["data-key"]) for f in page.figures if f["visual"] == visual}
    assert expected <= shown
    assert {f["data-mart"] for f in page.figures if f["visual"] == visual} == {mart}


def test_every_visual_of_the_original_and_the_newer_marts_is_on_the_page(page: Figures) -> None:
    assert page.visuals == [visual for visual, _, _ in VISUALS]
    assert set(page.visuals) >= {
        "kpi_row",
        "revenue_month_over_month",
        "revenue_by_weekday",
        "top_5_brands",
        "top_5_categories",
        "ltv_tier_donut",
        "conversion_funnel",
        "daily_conversion",
        "customer_cohorts",
    }
    by_visual = defaultdict(set)
    for figure in page.figures:
        by_visual[figure["visual"]].add(figure["data-column"])
    assert by_visual["kpi_row"] == {"lifetime_revenue", "avg_customer_ltv", "total_customers", "repeat_customers"}
    assert by_visual["conversion_funnel"] >= {"views", "carts", "purchases", "carts/views", "purchases/views"}


@pytest.mark.parametrize(
    ("visual", "mart", "name"),
    [("top_5_brands", "revenue_by_brand", "brand_name"), ("top_5_categories", "revenue_by_category", "category_name")],
)
def test_top_five_lists_are_the_ranked_rows_in_rank_order(
    visual: str, mart: str, name: str, page: Figures, warehouse: duckdb.DuckDBPyConnection
) -> None:
    ranked = [
        row[0]
        for row in warehouse.execute(
            f"select {name} from marts.{mart} where revenue_rank <= 5 order by revenue_rank"
        ).fetchall()
    ]
    bars = [
        parse_key(f["data-key"])[name] for f in page.figures if f["visual"] == visual and f["data-column"] == "revenue"
    ]
    assert len(ranked) == 5
    assert bars == ranked
    assert "unknown" not in bars


def test_the_kpi_cards_show_the_values_they_carry(page: Figures) -> None:
    cards = {f["data-column"]: f for f in page.figures if f["visual"] == "kpi_row"}
    revenue = cards["lifetime_revenue"]
    assert revenue["text"] == f"{Decimal(revenue['data-value']):,.2f}"
    assert cards["total_customers"]["text"] == f"{int(cards['total_customers']['data-value']):,}"


def test_the_page_loads_nothing_from_anywhere(rendered: Path) -> None:
    html = rendered.read_text()
    assert not re.search(r"""\b(src|href|action|srcset|poster|data)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert not re.search(r"<(link|iframe|object|embed|img)\b", html, re.I)
    assert not re.search(r"@import|url\(\s*['\"]?(?!data:)", html, re.I)
    assert "<script src" not in html
    # And the browser is told to refuse any load, should one be added later.
    assert "Content-Security-Policy" in html and "default-src 'none'" in html


def test_the_html_reads_exactly_the_marts_of_the_exposure_and_only_contract_columns(generated_build: Warehouse) -> None:
    manifest = json.loads((generated_build.database.parent / "target" / "manifest.json").read_text())
    contracts = {mart.name: set(mart.column_names) for mart in exposure_marts(manifest)}
    assert set(DASHBOARD_MARTS) == set(contracts)
    assert {mart for _, _, mart in VISUALS} == set(contracts)
    for mart, query in DASHBOARD_MARTS.items():
        assert set(query.columns) <= contracts[mart], mart


def test_render_without_chromium_writes_the_html_and_says_so_in_one_line(
    generated_build: Warehouse, tmp_path: Path
) -> None:
    env = {**os.environ, "PATH": str(tmp_path / "empty"), "ECOM_CHROMIUM": ""}
    (tmp_path / "dashboard.png").write_bytes(b"an export of an earlier run")
    result = run_dashboard("render", "--database", generated_build.database, "--out", tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "dashboard.html").is_file()
    assert not (tmp_path / "dashboard.png").exists()
    notes = [line for line in result.stdout.splitlines() if not line.startswith(f"dashboard: {tmp_path}")]
    assert len(notes) == 1 and "no chromium" in notes[0], result.stdout


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_user_errors_are_one_line(tmp_path: Path, generated_build: Warehouse) -> None:
    assert "make demo" in _one_line_error(run_dashboard("render", "--database", tmp_path / "none.duckdb"))

    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    assert "marts.kpi_summary" in _one_line_error(run_dashboard("render", "--database", empty, "--no-export"))

    # A renamed mart column stops the render with its name, instead of drawing an empty chart.
    renamed = tmp_path / "renamed.duckdb"
    with duckdb.connect(str(renamed)) as connection:
        connection.execute("create schema marts")
        connection.execute(
            "create table marts.kpi_summary (revenue_total decimal(18, 2), total_customers bigint, "
            "avg_customer_ltv decimal(18, 2), repeat_customers bigint)"
        )
    assert "lifetime_revenue" in _one_line_error(run_dashboard("render", "--database", renamed, "--no-export"))

    assert "--bogus" in _one_line_error(run_dashboard("render", "--bogus"))
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    assert "cannot write" in _one_line_error(
        run_dashboard("render", "--database", generated_build.database, "--out", blocked, "--no-export")
    )
    assert "no chromium at" in _one_line_error(
        run_dashboard("render", "--database", renamed, "--chromium", tmp_path / "nope")
    )


@pytest.mark.parametrize("args", [(), ("render",), ("quicksight",), ("quicksight", "deploy")])
def test_help_everywhere(args: tuple[str, ...]) -> None:
    result = run_dashboard(*args, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: python -m dashboard" in result.stdout


def test_a_warehouse_with_empty_marts_still_renders_every_visual() -> None:
    empty = {name: MartTable(name, query.columns, ()) for name, query in DASHBOARD_MARTS.items()}
    page = Figures()
    page.feed(render_html(empty, "empty.duckdb"))
    assert page.visuals == [visual for visual, _, _ in VISUALS]
    assert {f["data-column"]: f["data-value"] for f in page.figures if f["visual"] == "kpi_row"} == {
        "lifetime_revenue": "null",
        "avg_customer_ltv": "null",
        "total_customers": "null",
        "repeat_customers": "null",
    }


# --- the Data health panel ----------------------------------------------------------------------------


def test_the_health_panel_shows_each_state_in_words(tmp_path: Path) -> None:
    database, target = tmp_path / "warehouse.duckdb", tmp_path / "target"
    write_landed_files(database, LANDING_RUNS)
    write_manifest(target)
    write_run_results(target)
    error_freshness(target)
    empty = {name: MartTable(name, query.columns, ()) for name, query in DASHBOARD_MARTS.items()}
    html = render_html(empty, "warehouse.duckdb", read_health_of(database, target, now=NOW))

    panel = panel_of(html)
    assert panel.panel_status == "error"
    warn = panel.row("monitor", WARN_MONITOR)
    # The state is the badge's word, not only its colour; the failures are shown beside it.
    assert (warn["data-status"], warn["cells"][0]) == ("warn", "warn")
    assert warn["cells"][2] == "row_accounting" and warn["cells"][-1] == "12 failures"
    assert panel.row("monitor", PASS_MONITOR)["cells"][0] == "pass"
    assert panel.row("monitor", UNRUN_MONITOR)["cells"][0] == NOT_RUN
    assert panel.row("freshness", "ecommerce_landing.landed_events")["cells"][0] == "error"
    assert panel.row("freshness", "ecommerce_landing.landed_files")["cells"][0] == "pass"
    (landing,) = [row for row in panel.rows if row["data-health"] == "landing"]
    assert landing["text"].startswith("20261203T070000Z-1a2b3c4d at 2026-12-03 08:15 UTC")
    # Not mart figures: the page's check of every data-mart number is not asked to find them.
    assert " data-mart=" not in html.split('data-panel="data_health"')[1].split("</section>")[0]


def test_without_health_the_page_has_no_panel() -> None:
    empty = {name: MartTable(name, query.columns, ()) for name, query in DASHBOARD_MARTS.items()}
    assert panel_of(render_html(empty, "empty.duckdb")).panel_status is None


def _manifest_monitors(target: Path) -> dict[str, str]:
    """Every test tagged monitor in a real build's manifest, with its status in run_results.json."""
    manifest = json.loads((target / "manifest.json").read_text())
    statuses = {r["unique_id"]: r["status"] for r in json.loads((target / "run_results.json").read_text())["results"]}
    return {
        node["name"]: statuses.get(unique_id, NOT_RUN)
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "test" and "monitor" in node["tags"]
    }


def test_the_health_panel_of_a_real_build_lists_every_monitor_and_unchecked_freshness(
    rendered: Path, generated_build: Warehouse
) -> None:
    panel = panel_of(rendered.read_text())
    assert panel.panel_status is not None, "the page has no Data health panel"
    monitors = _manifest_monitors(generated_build.database.parent / "target")
    shown = {row["data-name"]: row["cells"][0] for row in panel.rows if row["data-health"] == "monitor"}
    assert shown == monitors
    # The build ran no `dbt source freshness`: every check (or the section) says so.
    checks = [row for row in panel.rows if row["data-health"] == "freshness"]
    assert all(row["cells"][0] == NOT_CHECKED for row in checks)
    assert "run dbt source freshness" in panel.panel_text


def test_the_health_panel_of_a_real_build_shows_its_landing_run(rendered: Path, generated_build: Warehouse) -> None:
    """Needs the landing manifest staged as staging.stg_landed_files."""
    with duckdb.connect(str(generated_build.database), read_only=True) as connection:
        (newest,) = connection.execute(
            "select landing_run_id from staging.stg_landed_files order by landed_at desc limit 1"
        ).fetchone() or (None,)
    (landing,) = [row for row in panel_of(rendered.read_text()).rows if row["data-health"] == "landing"]
    assert newest and landing["text"].startswith(f"{newest} at ")
