"""The Data health summary (health/) and the report around it, on real DuckDB files and dbt
artifacts in dbt's own format (tests/python/health_fixtures.py): a warn monitor is shown as warn
with its failures, a missing sources.json as "not checked", an error freshness as error, the
last landing is the run with the newest landed_at, and row_accounting's sums are what is compared."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from conftest import run_module
from health.summary import NOT_CHECKED, NOT_RUN, Health, age_text, read_health_of, target_dir
from health.text import format_health
from health_fixtures import (
    EVENT_AT_SOURCE,
    LANDED_AT_SOURCE,
    LANDING_RUNS,
    NOW,
    ORDINARY_TEST,
    PASS_MONITOR,
    UNRUN_MONITOR,
    WARN_MONITOR,
    AccountingRow,
    error_freshness,
    freshness_result,
    write_landed_files,
    write_manifest,
    write_report_marts,
    write_run_results,
    write_sources,
)
from mart_oracle.report import connect, differences, format_summary, read_summary


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    database = tmp_path / "warehouse.duckdb"
    write_landed_files(database, LANDING_RUNS)
    return database


@pytest.fixture
def target(tmp_path: Path) -> Path:
    folder = tmp_path / "target"
    write_manifest(folder)
    write_run_results(folder)
    return folder


def health(warehouse: Path, target: Path) -> Health:
    return read_health_of(warehouse, target, now=NOW)


def line_with(text: str, name: str) -> str:
    (line,) = [line for line in text.splitlines() if name in line]
    return line


def test_a_warn_monitor_shows_as_warn_with_its_failures(warehouse: Path, target: Path) -> None:
    summary = health(warehouse, target)
    states = {monitor.name: (monitor.status, monitor.failures, monitor.model) for monitor in summary.monitors}
    assert states == {
        WARN_MONITOR: ("warn", 12, "row_accounting"),
        PASS_MONITOR: ("pass", 0, "fact_purchases"),
        UNRUN_MONITOR: (NOT_RUN, None, "stg_landed_files"),
    }
    # Worst first; an ordinary failing test is not a monitor.
    assert [monitor.name for monitor in summary.monitors] == [WARN_MONITOR, UNRUN_MONITOR, PASS_MONITOR]
    warn = summary.monitors[0]
    assert warn.kind == "share_at_most" and "rows_quarantined" in warn.checks

    text = format_health(summary)
    assert ORDINARY_TEST not in text
    line = line_with(text, WARN_MONITOR)
    assert line.split()[0] == "warn"
    assert "row_accounting" in line and line.endswith("12 failures")
    assert line_with(text, UNRUN_MONITOR).split()[:2] == ["not", "run"]
    assert "from dbt build at 2026-12-03 08:20 UTC" in text

    # The failures are read, not made up: another count shows.
    write_run_results(target, warn_failures=1)
    assert line_with(format_health(health(warehouse, target)), WARN_MONITOR).endswith("1 failure")


def test_monitors_without_run_results_are_not_run_and_without_manifest_not_known(warehouse: Path, target: Path) -> None:
    (target / "run_results.json").unlink()
    summary = health(warehouse, target)
    assert {monitor.status for monitor in summary.monitors} == {NOT_RUN}
    assert "run dbt build" in summary.monitors_note

    (target / "manifest.json").unlink()
    summary = health(warehouse, target)
    assert summary.monitors == ()
    assert summary.monitors_note.startswith("not known: no dbt manifest")


def test_a_missing_sources_json_is_not_checked(warehouse: Path, target: Path) -> None:
    summary = health(warehouse, target)
    assert [(check.source, check.field, check.status) for check in summary.freshness] == [
        ("ecommerce_landing.landed_events", "last_event_at", NOT_CHECKED),
        ("ecommerce_landing.landed_files", "landed_at", NOT_CHECKED),
    ]
    text = format_health(summary)
    for field in ("landed_at", "last_event_at"):
        line = line_with(text, f" {field} ")
        assert line.split()[:2] == ["not", "checked"]
        assert "run dbt source freshness" in line

    # A sources.json with no result for one source: that one is not checked, the other is.
    write_sources(target, [freshness_result(LANDED_AT_SOURCE, "pass", "2026-12-03T08:15:57+00:00", 6543.0, 1, 3)])
    by_field = {check.field: check for check in health(warehouse, target).freshness}
    assert by_field["landed_at"].status == "pass"
    assert by_field["last_event_at"].status == NOT_CHECKED
    assert "no result for this source" in by_field["last_event_at"].note

    # No manifest and no sources.json: nothing to list, and it says so.
    (target / "sources.json").unlink()
    (target / "manifest.json").unlink()
    summary = health(warehouse, target)
    assert summary.freshness == ()
    assert "not checked: run dbt source freshness" in format_health(summary)


def test_an_error_freshness_shows_error(warehouse: Path, target: Path) -> None:
    error_freshness(target)
    summary = health(warehouse, target)
    by_field = {check.field: check for check in summary.freshness}
    landed, events = by_field["landed_at"], by_field["last_event_at"]
    assert (landed.status, events.status) == ("pass", "error")
    assert events.newest == dt.datetime(2019, 11, 30, 23, 59, 59, tzinfo=dt.UTC)
    assert (events.warn_after, events.error_after) == ("2 days", "7 days")
    assert summary.overall == "error"

    text = format_health(summary)
    line = line_with(text, " last_event_at ")
    assert line.split()[0] == "error"
    assert "newest 2019-11-30 23:59 UTC, 2,559 days" in line
    below = text.splitlines()[text.splitlines().index(line) + 1]
    assert below.strip() == "warn after 2 days, error after 7 days; checked 2026-12-03 09:55 UTC"
    assert line_with(text, " landed_at ").split()[0] == "pass"
    assert text.splitlines()[0].endswith("overall: error")


def test_a_runtime_error_freshness_is_shown_with_its_error(warehouse: Path, target: Path) -> None:
    broken = {"unique_id": EVENT_AT_SOURCE, "status": "runtime error", "error": "Binder Error: no column x\nmore"}
    write_sources(target, [broken])
    check = next(check for check in health(warehouse, target).freshness if check.field == "last_event_at")
    assert (check.status, check.newest, check.note) == ("runtime error", None, "Binder Error: no column x")
    assert "runtime error" in line_with(format_health(health(warehouse, target)), " last_event_at ")


def test_the_last_landing_is_the_run_with_the_newest_landed_at(warehouse: Path, target: Path) -> None:
    landing = health(warehouse, target).last_landing
    assert landing is not None
    assert landing.run_id == "20261203T070000Z-1a2b3c4d"
    assert landing.landed_at == dt.datetime(2026, 12, 3, 8, 15, 57, tzinfo=dt.UTC)
    assert (landing.files, landing.rows, landing.runs) == (2, 300, 3)
    assert landing.age_seconds == (NOW - landing.landed_at).total_seconds()
    assert "20261203T070000Z-1a2b3c4d at 2026-12-03 08:15 UTC (1 h 44 min ago): 2 files, 300 rows" in (
        format_health(health(warehouse, target))
    )


def test_no_landing_manifest_is_said_in_words(tmp_path: Path, target: Path) -> None:
    empty = tmp_path / "empty.duckdb"
    write_report_marts(empty, [])
    assert "has no staging.stg_landed_files" in health(empty, target).landing_note
    write_landed_files(empty, [])
    assert health(empty, target).landing_note.startswith("nothing landed yet")
    assert "no warehouse at" in health(tmp_path / "absent.duckdb", target).landing_note


def test_the_target_folder_is_the_argument_else_dbt_target_path_else_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DBT_TARGET_PATH", raising=False)
    assert target_dir() == Path(__file__).resolve().parents[2] / "target"
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "elsewhere"))
    assert target_dir() == tmp_path / "elsewhere"
    monkeypatch.setenv("DBT_TARGET_PATH", "relative/target")
    assert target_dir() == Path(__file__).resolve().parents[2] / "relative/target"
    assert target_dir(tmp_path / "given") == tmp_path / "given"


def test_ages_read_as_words() -> None:
    assert [age_text(s) for s in (None, -5, 42, 600, 3 * 3600 + 300, 86_400, 2 * 86_400 + 4 * 3600)] == [
        "-",
        "in the future",
        "42 s",
        "10 min",
        "3 h 5 min",
        "1 day",
        "2 days 4 h",
    ]


# --- the report: row_accounting by landing run -----------------------------------------------------

RUNS: list[AccountingRow] = [
    ("20261201T060000Z-0a0a0a0a", dt.datetime(2026, 12, 1, 6, 0), 1, 100, 90, 4, 6),
    ("unrecorded", None, 2, 10, 10, 0, 0),
    ("20261203T081557Z-1a2b3c4d", dt.datetime(2026, 12, 3, 8, 15, 57), 2, 300, 280, 5, 15),
]
TOTALS = {"rows_read": 410, "rows_accepted": 380, "rows_quarantined": 9, "duplicates_removed": 21}


def expected_values(row_accounting: dict[str, int]) -> dict[str, object]:
    return {
        "row_accounting": row_accounting,
        "rejections": {"bad_price": 3},
        "kpi_summary": {
            "lifetime_revenue": "10.50",
            "avg_customer_ltv": "10.50",
            "total_customers": 1,
            "repeat_customers": 0,
        },
        "fact_monthly_summary": [{"month_start": "2019-10-01", "revenue": "10.50", "orders": 1, "customers": 1}],
    }


def test_row_accounting_sums_are_compared_with_the_expected_totals(tmp_path: Path) -> None:
    database = tmp_path / "report.duckdb"
    write_report_marts(database, RUNS)
    with connect(database) as connection:
        assert read_summary(connection)["row_accounting"] == TOTALS
        assert differences(connection, expected_values(TOTALS)) == []
        # One run's rows alone, or a total off by one, is a difference.
        assert differences(connection, expected_values({**TOTALS, "rows_read": 300})) == [
            "row_accounting.rows_read: marts have 410, expected 300"
        ]
        assert differences(connection, expected_values({**TOTALS, "duplicates_removed": 22})) == [
            "row_accounting.duplicates_removed: marts have 21, expected 22"
        ]


def test_the_report_prints_the_landing_runs_newest_first_and_at_most_ten(tmp_path: Path) -> None:
    database = tmp_path / "report.duckdb"
    write_report_marts(database, RUNS)
    with connect(database) as connection:
        text = format_summary(read_summary(connection), database)
    runs = [line.split()[0] for line in text.splitlines() if line.startswith("  20261") or "unrecorded" in line]
    assert runs == ["20261203T081557Z-1a2b3c4d", "20261201T060000Z-0a0a0a0a", "unrecorded"]
    assert "  read                           410" in text

    many = tmp_path / "many.duckdb"
    write_report_marts(
        many, [(f"202612{day:02}T000000Z-00000000", dt.datetime(2026, 12, day), 1, 1, 1, 0, 0) for day in range(1, 14)]
    )
    with connect(many) as connection:
        text = format_summary(read_summary(connection), many)
    shown = [line.split()[0] for line in text.splitlines() if line.startswith("  202612")]
    assert shown == [f"202612{day:02}T000000Z-00000000" for day in range(13, 3, -1)]
    assert "  ... and 3 more landing runs" in text


def test_the_report_command_prints_data_health_and_keeps_its_exit_status(tmp_path: Path) -> None:
    database = tmp_path / "report.duckdb"
    write_report_marts(database, RUNS)
    write_landed_files(database, LANDING_RUNS)
    target = tmp_path / "target"
    write_manifest(target)
    write_run_results(target)
    error_freshness(target)
    expected = tmp_path / "expected.json"
    expected.write_text(json.dumps(expected_values(TOTALS)))

    result = run_module(
        "mart_oracle", "report", "--database", database, "--expected", expected, "--target-path", target
    )
    assert result.returncode == 0, result.stderr  # a warn monitor and a freshness error change nothing
    out = result.stdout
    assert out.index("Check: the marts equal") < out.index("Data health")
    assert line_with(out, " last_event_at ").split()[0] == "error"
    assert line_with(out, WARN_MONITOR).split()[0] == "warn"
    assert "Last landing        20261203T070000Z-1a2b3c4d" in out

    expected.write_text(json.dumps(expected_values({**TOTALS, "rows_read": 1})))
    result = run_module(
        "mart_oracle", "report", "--database", database, "--expected", expected, "--target-path", target
    )
    assert result.returncode == 1
    assert "row_accounting.rows_read: marts have 410, expected 1" in result.stderr
    assert "Data health" in result.stdout
