"""The Athena side of "late files, any order" (issue 13; the DuckDB side, with data, is
test_late_files.py): what dbt sends to Athena when a late file and a replaced file arrive,
through the real dbt-athena adapter against the moto stand-in (tests/athena/moto_athena.py).

The data: generated per-day files, landed with `python -m ingest land` except one October
day, and built on DuckDB (the warehouse W). Then one landing brings the missing October day
(a late file for a month already built) and an already-read October day again with other
content (a replaced file: same name, new sha256); the landing manifest records both.

moto executes nothing, so the queries whose rows steer dbt (which files are unread, the days
of replaced files, each model's `loaded_in_run` watermark) are answered by a DuckDB reference,
as in the conformance harness. That reference is W after the landing, with two changes made
openly here so it answers as a real Athena would in the middle of the incremental run:

- `staging.stg_landed_files` rebuilt (`dbt run --select stg_landed_files` on DuckDB): on
  Athena it is a table rebuilt at the start of every run, before any model asks it anything;
- the replaced file's row in `staging.stg_raw_files` given a `loaded_in_run` newer than every
  model's watermark: what the stg_raw_files merge, earlier in the same Athena run, leaves for
  the models that run after it (days_of_replaced_files asks which replaced paths were read
  again since their own watermark). Its sha256 is left as it was: the reference answers every
  query of the run from one state, and stg_raw_files' own question (which current versions
  has it not counted?) comes before its merge, when it still holds the earlier version.

The raw paths the steering queries name are therefore the DuckDB build's local paths, not
s3:// ones: the test follows them through, it does not care where they point.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from conftest import dbt_build, run_dbt, run_ingest, run_module
from tests.athena import harness
from tests.athena import statements as st
from tests.athena.moto_athena import Captured, MotoAthena
from tests.athena.reference import DuckDBReference

EVENTS = 20_000
SEED = 17
MODEL = "model.ecommerce_analytics."
UNIT_TESTS_APART = ["--exclude", "test_type:unit"]  # as in test_athena_conformance.py


@dataclass
class LateRuns:
    full_refresh: harness.DbtRun
    incremental: harness.DbtRun
    late_file: str  # the raw paths as the raw source names them
    replaced_file: str
    replaced_day: dt.date
    report: harness.Report = field(repr=False)


def _land(work: Path, raw: Path, label: str, files: list[Path]) -> None:
    batch = work / "batches" / label
    batch.mkdir(parents=True)
    for file in files:
        shutil.copy(file, batch / file.name)
    landed = run_ingest("land", "--source", batch, "--dest", raw)
    assert landed.returncode == 0, landed.stderr


def _manifest_rows(raw: Path) -> dict[str, list[dict[str, str]]]:
    """file_path -> its rows in every landing manifest file, oldest landing first."""
    rows: dict[str, list[dict[str, str]]] = {}
    for path in sorted((raw / "manifest" / "landed_files").glob("[!._]*.tsv")):
        with path.open(newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                rows.setdefault(row["file_path"], []).append(row)
    return {name: sorted(found, key=lambda row: row["landed_at"]) for name, found in rows.items()}


@pytest.fixture(scope="module")
def late_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LateRuns]:
    work = tmp_path_factory.mktemp("athena-late-files")
    generated = work / "generated"
    result = run_module(
        "synthetic_events", "--out", generated, "--events", EVENTS, "--seed", SEED, "--per-day", "--no-expected"
    )
    assert result.returncode == 0, result.stderr
    daily = {path.stem: path for path in sorted(generated.glob("*.csv"))}
    october = [day for day in daily if day.startswith("2019-10")]
    late_day, replaced_day = october[len(october) // 2], october[3]

    # W: everything but the late day, built on DuckDB; it answers the stand-in's queries, the data
    # tests among them, which run on the Athena side
    raw, warehouse = work / "raw", work / "warehouse"
    _land(work, raw, "first", [file for day, file in daily.items() if day != late_day])
    dbt_build(raw, warehouse, data_tests=False)

    # one landing: the late day, and the replaced day with every other line
    header, *lines = daily[replaced_day].read_text().splitlines()
    corrected = work / "corrected" / f"{replaced_day}.csv"
    corrected.parent.mkdir()
    corrected.write_text("\n".join([header, *lines[::2]]) + "\n")
    _land(work, raw, "late-and-replaced", [daily[late_day], corrected])
    late_path, replaced_path = (f"events/year=2019/month=10/{day}.csv" for day in (late_day, replaced_day))
    recorded = _manifest_rows(raw)
    assert len(recorded[late_path]) == 1 and len(recorded[replaced_path]) == 2, "the manifest records both"
    assert recorded[late_path][-1]["landing_run_id"] == recorded[replaced_path][-1]["landing_run_id"]
    assert len({row["sha256"] for row in recorded[replaced_path]}) == 2

    # the reference: W as a real Athena would see it mid-run (module docstring)
    rebuilt = run_dbt("run", raw, warehouse, "--select", "stg_landed_files")
    assert rebuilt.returncode == 0, rebuilt.stdout[-3000:]
    steering = work / "steering.duckdb"
    shutil.copyfile(warehouse / "warehouse.duckdb", steering)
    with duckdb.connect(str(steering)) as connection:
        (watermark,) = connection.execute("select max(loaded_in_run) from staging.stg_raw_files").fetchone() or (0,)
        marker = max(int(time.time() * 1_000_000), watermark + 1)
        updated = connection.execute(
            "update staging.stg_raw_files set loaded_in_run = ? where source_file = ? returning source_file",
            [marker, str(raw / replaced_path)],
        ).fetchall()
        assert len(updated) == 1, "stg_raw_files names the replaced file by its path under ECOM_RAW_DIR"

    manifest = json.loads((warehouse / "target" / "manifest.json").read_text())
    reference = DuckDBReference(steering, work / "reference", manifest, harness.RAW_URI)
    try:
        with MotoAthena(reference) as aws:
            harness.prepare(aws)
            full = harness.dbt_athena(aws, work, "full-refresh", "build", "--full-refresh", *UNIT_TESTS_APART)
            incremental = harness.dbt_athena(aws, work, "incremental", "build", *UNIT_TESTS_APART)
            report = harness.check_statements(list(aws.hook.statements))
        yield LateRuns(
            full_refresh=full,
            incremental=incremental,
            late_file=str(raw / late_path),
            replaced_file=str(raw / replaced_path),
            replaced_day=dt.date.fromisoformat(replaced_day),
            report=report,
        )
    finally:
        reference.close()


# ------------------------------------------------------------------ reading the statements


def _tree(statement: Captured) -> exp.Expr:
    return sqlglot.parse_one(st.body(statement.sql), read="trino")


def _of(run: harness.DbtRun, kind: st.Kind, model: str) -> list[Captured]:
    return [s for s in run.statements if s.kind is kind and s.node_id == MODEL + model]


def _deletes(run: harness.DbtRun) -> dict[str, list[str]]:
    """Target table -> the body of each DELETE from it."""
    found: dict[str, list[str]] = {}
    for statement in run.statements:
        if statement.kind is st.Kind.DELETE:
            target = _tree(statement).this
            found.setdefault(target.name.lower(), []).append(st.body(statement.sql))
    return found


def _the_delete(run: harness.DbtRun, table: str) -> str:
    deletes = _deletes(run).get(table, [])
    assert len(deletes) == 1, f"expected one DELETE from {table} (its pre-hook), got {deletes}"
    return deletes[0]


def _raw_selection(statement: Captured) -> tuple[set[str], set[tuple[int, int]]]:
    """The `"$path" in (...)` paths and the (year, month) partitions a query of the raw source selects."""
    tree = _tree(statement)
    paths = {
        literal.name
        for found in tree.find_all(exp.In)
        if isinstance(found.this, exp.Column) and found.this.name == "$path"
        for literal in found.expressions
    }
    partitions = {
        (int(found.left.expression.name), int(found.right.expression.name))
        for found in tree.find_all(exp.And)
        if isinstance(found.left, exp.EQ) and found.left.this.name == "year"
        and isinstance(found.right, exp.EQ) and found.right.this.name == "month"
    }  # fmt: skip
    return paths, partitions


def _day_ranges(delete_sql: str, column: str) -> list[tuple[dt.date, dt.date]]:
    """The (first, last) days of each `column >= ... and column < / <= ...` range of a DELETE."""
    pattern = (
        rf"\(\s*{column}\s*>=\s*(timestamp|date)\s*'([0-9-]+)[^']*'\s+and\s+{column}\s*(<=?)\s*"
        rf"(?:timestamp|date)\s*'([0-9-]+)[^']*'\s*\)"
    )
    ranges = []
    for _, first, operator, bound in re.findall(pattern, delete_sql, re.IGNORECASE):
        last = dt.date.fromisoformat(bound) - dt.timedelta(days=1 if operator == "<" else 0)
        ranges.append((dt.date.fromisoformat(first), last))
    return ranges


# ------------------------------------------------------------------ the tests


@pytest.mark.dbt
def test_both_runs_succeed_and_every_statement_parses_as_athena_sql(late_runs: LateRuns) -> None:
    for run in (late_runs.full_refresh, late_runs.incremental):
        assert (run.returncode, run.failed_nodes()) == (0, []), run.stdout[-2000:]
        assert [(s.node_id, s.failure) for s in run.statements if s.failure] == []
    report = late_runs.report
    assert report.kinds()[st.Kind.OTHER.value] == 0
    assert report.kinds()[st.Kind.DELETE.value] >= 7
    assert report.parse_failures == [], "\n".join(report.problems())
    assert (dict(report.unknown_functions), dict(report.unknown_types)) == ({}, {}), "\n".join(report.problems())
    assert _deletes(late_runs.full_refresh) == {}, "a full refresh deletes nothing"


@pytest.mark.dbt
@pytest.mark.parametrize("model", ["stg_event_lines", "stg_raw_files"])
def test_the_raw_reading_models_read_only_the_late_and_the_replaced_file(late_runs: LateRuns, model: str) -> None:
    # the full refresh reads every file, unfiltered
    (full,) = _of(late_runs.full_refresh, st.Kind.CTAS, model)
    assert _raw_selection(full) == (set(), set())
    # the incremental run's batch (a CTAS of its __dbt_tmp table) names exactly the two files
    (batch,) = _of(late_runs.incremental, st.Kind.CTAS, model)
    assert st.parse_ctas(_tree(batch)).table == f"{model}__dbt_tmp"
    assert _raw_selection(batch) == ({late_runs.late_file, late_runs.replaced_file}, {(2019, 10)})


@pytest.mark.dbt
def test_the_replaced_files_earlier_lines_are_deleted_before_the_append(late_runs: LateRuns) -> None:
    delete = _the_delete(late_runs.incremental, "stg_event_lines")
    tree = sqlglot.parse_one(delete, read="trino")
    conditions = {
        found.this.name: {literal.name for literal in found.expressions}
        for found in tree.find_all(exp.In)
        if isinstance(found.this, exp.Column)
    }
    assert conditions == {"source_period": {"201910"}, "source_file": {late_runs.replaced_file}}
    order = [s.kind for s in late_runs.incremental.statements if s.node_id == MODEL + "stg_event_lines"]
    assert st.Kind.DELETE in order and st.Kind.INSERT in order
    assert order.index(st.Kind.DELETE) < order.index(st.Kind.INSERT)


@pytest.mark.dbt
@pytest.mark.parametrize(
    ("model", "column"),
    [("stg_events", "event_time"), ("fact_purchases", "purchased_at"), ("int_product_days", "event_date")],
)
def test_the_models_keyed_by_day_empty_the_replaced_files_days(late_runs: LateRuns, model: str, column: str) -> None:
    delete = _the_delete(late_runs.incremental, model)
    # the replaced file's day (a generated daily file, both versions), and only it: the late
    # file was never read, so none of its rows can go
    assert _day_ranges(delete, column) == [(late_runs.replaced_day, late_runs.replaced_day)], delete


@pytest.mark.dbt
@pytest.mark.parametrize("model", ["int_products", "int_sessions", "fact_sessions"])
def test_the_per_key_models_are_emptied_and_rebuilt(late_runs: LateRuns, model: str) -> None:
    delete = _the_delete(late_runs.incremental, model)
    assert sqlglot.parse_one(delete, read="trino").args.get("where") is None, delete


@pytest.mark.dbt
def test_the_stg_events_merge_keeps_its_partition_predicate(late_runs: LateRuns) -> None:
    (merge,) = _of(late_runs.incremental, st.Kind.MERGE, "stg_events")
    parsed = st.parse_merge(merge.sql)
    assert parsed.target == ("staging", "stg_events")
    assert parsed.predicates_on("event_time") != [], parsed.other_conditions
