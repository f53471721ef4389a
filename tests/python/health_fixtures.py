"""Small but real inputs of the Data health summary (health/): a DuckDB file with
staging.stg_landed_files and the report's marts, and dbt artifacts (manifest.json,
run_results.json, sources.json) written in dbt 1.11's format, shaped like a real build's."""

from __future__ import annotations

import datetime as dt
import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import duckdb

PROJECT = "ecommerce_analytics"
NOW = dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.UTC)

LANDED_AT_SOURCE = f"source.{PROJECT}.ecommerce_landing.landed_files"
EVENT_AT_SOURCE = f"source.{PROJECT}.ecommerce_landing.landed_events"

# (landing_run_id, landed_at, [(file_path, lines_landed), ...]); the newest landed_at is the
# middle one, and its id is not the largest (a long run started first, finished last), so
# neither the order of rows nor of ids finds it.
LANDING_RUNS: list[tuple[str, dt.datetime, list[tuple[str, int]]]] = [
    ("20261201T060000Z-0a0a0a0a", dt.datetime(2026, 12, 1, 6, 0), [("events/year=2019/month=10/a.csv", 100)]),
    (
        "20261203T070000Z-1a2b3c4d",
        dt.datetime(2026, 12, 3, 8, 15, 57),
        [("events/year=2019/month=11/b.csv", 250), ("events/year=2019/month=11/c.csv.gz", 50)],
    ),
    ("20261203T075000Z-ffffffff", dt.datetime(2026, 12, 3, 7, 55), [("events/year=2019/month=10/a.csv", 120)]),
]


def write_landed_files(database: Path, runs: list[tuple[str, dt.datetime, list[tuple[str, int]]]]) -> None:
    """staging.stg_landed_files with the columns of the landing manifest's staging model."""
    with duckdb.connect(str(database)) as connection:
        connection.execute("create schema if not exists staging")
        connection.execute(
            "create table staging.stg_landed_files (file_path varchar, source_file varchar, landing_month date, "
            "first_event_date date, last_event_date date, last_event_at timestamp, lines_landed bigint, "
            "file_sha256 varchar, landed_at timestamp, landing_run_id varchar, is_current_version boolean)"
        )
        newest: dict[str, dt.datetime] = {}
        for _, landed_at, files in runs:
            for path, _ in files:
                newest[path] = max(newest.get(path, landed_at), landed_at)
        for run_id, landed_at, files in runs:
            for path, rows in files:
                month = dt.date(int(path.split("year=")[1][:4]), int(path.split("month=")[1][:2]), 1)
                connection.execute(
                    "insert into staging.stg_landed_files values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        path,
                        f"/landing/{path}",
                        month,
                        month,
                        month + dt.timedelta(days=27),
                        dt.datetime.combine(month + dt.timedelta(days=27), dt.time(23, 59)),
                        rows,
                        "0" * 64,
                        landed_at,
                        run_id,
                        newest[path] == landed_at,
                    ],
                )


# (landing_run_id, landed_at, files_landed, rows_read, rows_accepted, rows_quarantined, duplicates_removed)
AccountingRow = tuple[str, dt.datetime | None, int, int, int, int, int]


def write_report_marts(database: Path, accounting: list[AccountingRow]) -> None:
    """The marts `mart_oracle report` reads, with row_accounting at one row per landing run."""
    with duckdb.connect(str(database)) as connection:
        connection.execute("create schema if not exists marts")
        connection.execute("create schema if not exists staging")
        connection.execute(
            "create table marts.row_accounting (landing_run_id varchar, landed_at timestamp, files_landed bigint, "
            "rows_read bigint, rows_accepted bigint, rows_quarantined bigint, duplicates_removed bigint)"
        )
        for row in accounting:
            connection.execute("insert into marts.row_accounting values (?, ?, ?, ?, ?, ?, ?)", row)
        connection.execute(
            "create table staging.stg_events_quarantine as "
            "select 'bad_price' as rejection_reason, 3::bigint as occurrences"
        )
        connection.execute(
            "create table marts.kpi_summary as select 10.50::decimal(18, 2) as lifetime_revenue, "
            "10.50::decimal(18, 2) as avg_customer_ltv, 1::bigint as total_customers, 0::bigint as repeat_customers"
        )
        connection.execute(
            "create table marts.fact_monthly_summary as select date '2019-10-01' as month_start, "
            "10.50::decimal(18, 2) as revenue, 1::bigint as orders, 1::bigint as customers"
        )


def _test_node(name: str, kind: str, model: str, kwargs: dict[str, Any], tags: list[str]) -> dict[str, Any]:
    model_id = f"model.{PROJECT}.{model}"
    return {
        "database": "warehouse",
        "schema": "dbt_test__audit",
        "name": name,
        "resource_type": "test",
        "package_name": PROJECT,
        "unique_id": f"test.{PROJECT}.{name}.0123456789",
        "tags": tags,
        "description": "",
        "config": {"enabled": True, "tags": tags, "severity": "warn" if "monitor" in tags else "ERROR"},
        "depends_on": {"macros": [f"macro.{PROJECT}.test_{kind}"], "nodes": [model_id]},
        "test_metadata": {
            "name": kind,
            "kwargs": {**kwargs, "model": f"{{{{ get_where_subquery(ref('{model}')) }}}}"},
            "namespace": None,
        },
        "column_name": kwargs.get("column_name"),
        "attached_node": model_id,
    }


def _source(table: str, field: str, warn_days: int, error_days: int) -> dict[str, Any]:
    freshness = {
        "warn_after": {"count": warn_days, "period": "day"},
        "error_after": {"count": error_days, "period": "day"},
        "filter": None,
    }
    return {
        "name": table,
        "source_name": "ecommerce_landing",
        "resource_type": "source",
        "unique_id": f"source.{PROJECT}.ecommerce_landing.{table}",
        "loaded_at_field": field,
        "loaded_at_query": None,
        "freshness": freshness,
        "config": {"enabled": True, "freshness": freshness, "loaded_at_field": field},
    }


# Monitors: (name, kind, model, kwargs); and one ordinary test that must never be listed.
WARN_MONITOR = "share_at_most_row_accounting_quarantine_rate"
PASS_MONITOR = "every_day_has_rows_fact_purchases_purchased_at"
UNRUN_MONITOR = "rows_in_folder_month_stg_landed_files"
ORDINARY_TEST = "not_null_fact_purchases_purchase_id"


def write_manifest(target: Path) -> None:
    """manifest.json: three monitors, one ordinary test, two sources with freshness and one without."""
    tests = [
        _test_node(WARN_MONITOR, "share_at_most", "row_accounting", {"column_name": "rows_quarantined"}, ["monitor"]),
        _test_node(PASS_MONITOR, "every_day_has_rows", "fact_purchases", {"column_name": "purchased_at"}, ["monitor"]),
        _test_node(UNRUN_MONITOR, "rows_in_folder_month", "stg_landed_files", {}, ["monitor"]),
        _test_node(ORDINARY_TEST, "not_null", "fact_purchases", {"column_name": "purchase_id"}, []),
    ]
    models = {
        f"model.{PROJECT}.{name}": {"name": name, "resource_type": "model"}
        for name in ("row_accounting", "fact_purchases", "stg_landed_files")
    }
    no_rule = _source("raw_events", "", 0, 0)
    no_rule["unique_id"] = f"source.{PROJECT}.ecommerce_raw.events"
    no_rule["freshness"] = no_rule["config"]["freshness"] = {
        "warn_after": {"count": None, "period": None},
        "error_after": {"count": None, "period": None},
        "filter": None,
    }
    manifest = {
        "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"},
        "nodes": {**models, **{test["unique_id"]: test for test in tests}},
        "sources": {
            LANDED_AT_SOURCE: _source("landed_files", "landed_at", 1, 3),
            EVENT_AT_SOURCE: _source("landed_events", "last_event_at", 2, 7),
            no_rule["unique_id"]: no_rule,
        },
    }
    target.mkdir(parents=True, exist_ok=True)
    (target / "manifest.json").write_text(json.dumps(manifest))


def _result(unique_id: str, status: str, failures: int | None, message: str | None) -> dict[str, Any]:
    return {
        "status": status,
        "timing": [],
        "thread_id": "Thread-1 (worker)",
        "execution_time": 0.01,
        "adapter_response": {"_message": "OK"},
        "message": message,
        "failures": failures,
        "unique_id": unique_id,
        "compiled": True,
        "compiled_code": "select 1",
        "relation_name": None,
        "batch_results": None,
    }


def write_run_results(target: Path, warn_failures: int = 12) -> None:
    """run_results.json of a `dbt build`: the warn monitor warned, another passed, the third did not run."""
    results = [
        _result(f"model.{PROJECT}.row_accounting", "success", None, "OK"),
        _result(
            f"test.{PROJECT}.{WARN_MONITOR}.0123456789",
            "warn",
            warn_failures,
            f"Got {warn_failures} results, configured to warn if != 0",
        ),
        _result(f"test.{PROJECT}.{PASS_MONITOR}.0123456789", "pass", 0, None),
        _result(f"test.{PROJECT}.{ORDINARY_TEST}.0123456789", "fail", 5, "Got 5 results, configured to fail if != 0"),
    ]
    run_results = {
        "metadata": {
            "dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json",
            "dbt_version": "1.11.16",
            "generated_at": "2026-12-03T08:20:00.000000Z",
            "invocation_id": "00000000-0000-0000-0000-000000000000",
        },
        "results": results,
        "elapsed_time": 3.2,
        "args": {"which": "build"},
    }
    target.mkdir(parents=True, exist_ok=True)
    (target / "run_results.json").write_text(json.dumps(run_results))


def freshness_result(unique_id: str, status: str, newest: str, age_s: float, warn_days: int, error_days: int) -> Any:
    """One entry of sources.json's results, as `dbt source freshness` writes it."""
    return {
        "unique_id": unique_id,
        "max_loaded_at": newest,
        "snapshotted_at": "2026-12-03T09:55:00+00:00",
        "max_loaded_at_time_ago_in_s": age_s,
        "status": status,
        "criteria": {
            "warn_after": {"count": warn_days, "period": "day"},
            "error_after": {"count": error_days, "period": "day"},
            "filter": None,
        },
        "adapter_response": {"_message": "OK"},
        "timing": [],
        "thread_id": "Thread-1 (worker)",
        "execution_time": 0.02,
    }


def write_sources(target: Path, results: list[Any]) -> None:
    """sources.json as `dbt source freshness` writes it."""
    target.mkdir(parents=True, exist_ok=True)
    (target / "sources.json").write_text(
        json.dumps(
            {
                "metadata": {
                    "dbt_schema_version": "https://schemas.getdbt.com/dbt/sources/v3.json",
                    "dbt_version": "1.11.16",
                    "generated_at": "2026-12-03T09:55:00.100000Z",
                },
                "results": results,
                "elapsed_time": 0.2,
            }
        )
    )


def error_freshness(target: Path) -> None:
    """landed_at is fresh (pass); the newest event is 2,559 days old (error)."""
    write_sources(
        target,
        [
            freshness_result(LANDED_AT_SOURCE, "pass", "2026-12-03T08:15:57+00:00", 6543.0, 1, 3),
            freshness_result(EVENT_AT_SOURCE, "error", "2019-11-30T23:59:59+00:00", 221_104_801.0, 2, 7),
        ],
    )


class PanelRows(HTMLParser):
    """The Data health panel of a dashboard page: its rows (`data-health`) with their attributes
    and the words of each cell, and the panel's whole text."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, Any]] = []
        self.panel_text = ""
        self.panel_status: str | None = None
        self._depth = 0  # open elements inside the panel
        self._row: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if self._depth == 0 and found.get("data-panel") == "data_health":
            self.panel_status = found.get("data-status")
            self._depth = 1
            return
        if self._depth == 0:
            return
        if tag not in ("br",):
            self._depth += 1
        if "data-health" in found:
            self._row = {**found, "cells": [], "text": ""}
            self.rows.append(self._row)
        if tag == "td" and self._row is not None:
            self._row["cells"].append("")

    def handle_endtag(self, tag: str) -> None:
        if self._depth == 0:
            return
        self._depth -= 1
        if tag in ("tr", "p") and self._row is not None:
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._depth == 0:
            return
        self.panel_text += data + " "
        if self._row is not None:
            self._row["text"] += data + " "
            if self._row["cells"]:
                self._row["cells"][-1] += data

    def row(self, kind: str, name: str) -> dict[str, Any]:
        (found,) = [row for row in self.rows if row.get("data-health") == kind and row.get("data-name") == name]
        return found


def panel_of(html: str) -> PanelRows:
    parser = PanelRows()
    parser.feed(html)
    return parser
