"""Iceberg housekeeping on Athena (macros/cross_engine/iceberg_housekeeping.sql), through the
conformance stand-in: an incremental day compacts exactly the partitions its batch touched, the
weekly run (`--vars '{iceberg_vacuum: true}'`) compacts and vacuums every incremental table and
the snapshot, every such statement passes the harness's checks, and DuckDB runs none of it.

The four runs come from the suite's one capture (tests/athena/capture.py, conftest's
athena_capture): a full build of all days but the last, the last day landed and built
incrementally (each query answered from the DuckDB state a real Athena would be in), a run with
nothing new, and the vacuum run (the pull request's build after them is test_athena_pull_request's)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from conftest import AthenaCapture
from tests.athena import capture, pull_request
from tests.athena import statements as st

# The held-back day of the capture, and its month.
NEW_DAY = capture.LAST_DAY_FILE.removesuffix(".csv")
NEW_MONTH = int(NEW_DAY[:4] + NEW_DAY[5:7])

# The incremental models, the column their OPTIMIZE predicate is on (None: not partitioned).
INCREMENTAL = {
    "stg_raw_files": None,
    "stg_event_lines": "source_period",
    "stg_events": "event_time",
    "fact_purchases": "purchased_at",
    "int_product_days": "event_date",
    "int_products": None,
    "int_sessions": None,
    "fact_sessions": None,
}
SNAPSHOT = "product_attributes"  # a snapshot takes a merge every run too
_MAINTENANCE_TEXT = re.compile(r"\b(optimize\s+\S+\s+rewrite\s+data|vacuum\s+[\w.`\"]+)", re.IGNORECASE)


@pytest.fixture(scope="module")
def runs(athena_capture: AthenaCapture) -> tuple[dict[str, Any], Path]:
    return json.loads(athena_capture.statements.read_text()), athena_capture.workdir


def _maintenance(document: dict[str, Any], run: str) -> list[dict[str, Any]]:
    return [s for s in document["statements"] if s["run"] == run and s["kind"] == st.Kind.MAINTENANCE.value]


@pytest.mark.dbt
def test_every_run_succeeds_and_every_statement_passes_the_harness(runs: tuple[dict[str, Any], Path]) -> None:
    document, _ = runs
    assert set(document["runs"]) == {*capture.RUNS, capture.VACUUM_RUN, pull_request.LABEL, *capture.CONFORMANCE_RUNS}
    # the unit tests and freshness checks run last, and test_athena_conformance.py judges them
    builds = {label: run for label, run in document["runs"].items() if label not in capture.CONFORMANCE_RUNS}
    for label, run in builds.items():
        assert run["returncode"] == 0 and not run["failed_nodes"], (label, run)
    failures = [
        (s["run"], s["node_id"], s["failure"]) for s in document["statements"] if s["failure"] and s["run"] in builds
    ]
    assert failures == []
    for statement in document["statements"]:
        if statement["kind"] == st.Kind.MAINTENANCE.value:
            assert st.check(statement["sql"]).error is None, statement["sql"]


def _written(document: dict[str, Any], run: str) -> set[str]:
    """The tables a run merged into or appended to."""
    written = set()
    for statement in document["statements"]:
        if statement["run"] == run and statement["kind"] in (st.Kind.MERGE.value, st.Kind.INSERT.value):
            head = st.body(statement["sql"]).split("(", 1)[0].split()
            written.add(head[2].split(".")[-1].strip('"'))
    return written


@pytest.mark.dbt
def test_a_full_build_compacts_nothing_and_a_later_run_only_what_it_wrote(runs: tuple[dict[str, Any], Path]) -> None:
    document, _ = runs
    assert _maintenance(document, capture.RUNS[0]) == []
    for run in capture.RUNS[1:]:
        compacted = {st.parse_maintenance(s["sql"]).table for s in _maintenance(document, run)}
        assert compacted <= _written(document, run), run


@pytest.mark.dbt
def test_an_incremental_day_compacts_exactly_the_partitions_of_its_batch(runs: tuple[dict[str, Any], Path]) -> None:
    document, _ = runs
    found = {m.table: m for m in (st.parse_maintenance(s["sql"]) for s in _maintenance(document, capture.RUNS[1]))}
    partitioned = {name: column for name, column in INCREMENTAL.items() if column is not None}
    assert set(found) == set(partitioned), "only the partitioned incremental models compact, once each"
    next_day = (dt.date.fromisoformat(NEW_DAY) + dt.timedelta(days=1)).isoformat()
    expected_where = {
        "stg_event_lines": f"source_period in ({NEW_MONTH})",
        "stg_events": f"( (event_time >= timestamp '{NEW_DAY} 00:00:00'"
        f" and event_time < timestamp '{next_day} 00:00:00') )",
        "fact_purchases": f"( (purchased_at >= timestamp '{NEW_DAY} 00:00:00'"
        f" and purchased_at < timestamp '{next_day} 00:00:00') )",
        "int_product_days": f"( (event_date >= date '{NEW_DAY}' and event_date <= date '{NEW_DAY}') )",
    }
    for name, statement in found.items():
        assert statement.action == "optimize"
        assert statement.where_columns == {partitioned[name]}, "a predicate on the partition column only"
        assert " ".join((statement.where or "").split()) == expected_where[name]


@pytest.mark.dbt
def test_the_vacuum_run_compacts_and_vacuums_every_table_that_takes_merges(runs: tuple[dict[str, Any], Path]) -> None:
    document, _ = runs
    found = [st.parse_maintenance(s["sql"]) for s in _maintenance(document, capture.VACUUM_RUN)]
    assert sorted((m.table, m.action) for m in found) == sorted(
        (name, action) for name in [*INCREMENTAL, SNAPSHOT] for action in ("optimize", "vacuum")
    )
    assert all(m.where is None for m in found), "the weekly run compacts whole tables"


@pytest.mark.dbt
def test_duckdb_runs_no_housekeeping(runs: tuple[dict[str, Any], Path]) -> None:
    _, workdir = runs
    log = (workdir / "duckdb-logs" / "dbt.log").read_text()
    assert "stg_events" in log, "the DuckDB build's log holds its statements"
    assert _MAINTENANCE_TEXT.findall(log) == []


@pytest.mark.parametrize(
    ("sql", "valid"),
    [
        ("optimize s.t rewrite data using bin_pack", True),
        ("optimize s.t rewrite data using bin_pack where source_period in (201911)", True),
        ("vacuum s.t", True),
        ("optimize s.t rewrite data", False),
        ("optimize s.t rewrite data using bin_pack where", False),
        ("optimize s.t rewrite data using bin_pack where 1 = 1", False),
        ("optimize s.t rewrite data using bin_pack where x >>= 1", False),
        ('vacuum "s"."t"', False),
        ("vacuum s.t retain 7 days", False),
    ],
)
def test_maintenance_statements_are_checked_strictly(sql: str, valid: bool) -> None:
    assert st.classify(sql) is st.Kind.MAINTENANCE
    assert (st.check(sql).error is None) is valid, st.check(sql)
