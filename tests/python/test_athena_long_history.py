"""Years, not months: a 400-day history through the real dbt-athena adapter and the moto
stand-in, which refuses, as Athena does, any statement that writes more than 100 partitions of
a table (tests/athena/partition_writers.py).

Every test elsewhere builds the 61 days of the Kaggle files, which fit in one CTAS per table.
Here the generator makes 400 days (2019-01-01 to 2020-02-04, inside the raw source's partition
projection years); all but one are landed and built on DuckDB (the reference, W), then on the
stand-in: a full refresh, whose CTAS of each table partitioned by day is refused and written
again by the adapter in batches of at most 100 days, then the missing day lands (a late file for
a month long built) and an incremental build reads it.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from conftest import dbt_build, run_dbt, run_ingest, run_module
from tests.athena import harness
from tests.athena import statements as st
from tests.athena.moto_athena import Captured, MotoAthena
from tests.athena.partition_writers import OPEN_WRITERS_LIMIT, partition_value_sql, refusal
from tests.athena.reference import DuckDBReference

FIRST_DAY, LAST_DAY = dt.date(2019, 1, 1), dt.date(2020, 2, 4)
EVENTS = 40_000  # 100 a day: every day has events and purchases, so each day-partitioned table fills ~400
SEED = 23
LATE_DAY = dt.date(2019, 3, 14)
MODEL = "model.ecommerce_analytics."
DAY_PARTITIONED = ("stg_events", "int_product_days", "fact_purchases")
UNIT_TESTS_APART = ["--exclude", "test_type:unit"]  # as in test_athena_conformance.py


@dataclass
class HistoryRuns:
    full_refresh: harness.DbtRun
    incremental: harness.DbtRun
    days: int


def _land(work: Path, raw: Path, label: str, files: list[Path]) -> None:
    batch = work / "batches" / label
    batch.mkdir(parents=True)
    for file in files:
        shutil.copy(file, batch / file.name)
    landed = run_ingest("land", "--source", batch, "--dest", raw)
    assert landed.returncode == 0, landed.stderr


@pytest.fixture(scope="module")
def history_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HistoryRuns]:
    work = tmp_path_factory.mktemp("athena-long-history")
    generated = work / "generated"
    result = run_module(
        "synthetic_events", "--out", generated, "--events", EVENTS, "--seed", SEED, "--per-day", "--no-expected",
        "--start", FIRST_DAY.isoformat(), "--end", LAST_DAY.isoformat(),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    daily = {dt.date.fromisoformat(path.stem): path for path in sorted(generated.glob("*.csv"))}
    assert len(daily) == (LAST_DAY - FIRST_DAY).days + 1 == 400

    raw, warehouse = work / "raw", work / "warehouse"
    _land(work, raw, "history", [file for day, file in daily.items() if day != LATE_DAY])
    dbt_build(raw, warehouse, data_tests=False)
    _land(work, raw, "late", [daily[LATE_DAY]])
    # on Athena stg_landed_files is rebuilt at the start of the run, before any model asks it
    rebuilt = run_dbt("run", raw, warehouse, "--select", "stg_landed_files")
    assert rebuilt.returncode == 0, rebuilt.stdout[-3000:]

    manifest = json.loads((warehouse / "target" / "manifest.json").read_text())
    reference = DuckDBReference(warehouse / "warehouse.duckdb", work / "reference", manifest, harness.RAW_URI)
    try:
        with MotoAthena(reference) as aws:
            harness.prepare(aws)
            full = harness.dbt_athena(aws, work, "full-refresh", "build", "--full-refresh", *UNIT_TESTS_APART)
            incremental = harness.dbt_athena(aws, work, "incremental", "build", *UNIT_TESTS_APART)
        yield HistoryRuns(full_refresh=full, incremental=incremental, days=len(daily))
    finally:
        reference.close()


def _writes(run: harness.DbtRun, model: str) -> list[Captured]:
    return [
        s for s in run.statements
        if s.node_id == MODEL + model and s.kind in (st.Kind.CTAS, st.Kind.INSERT, st.Kind.MERGE)
    ]  # fmt: skip


def _target_table(statement: Captured) -> str:
    if statement.kind is st.Kind.CTAS:
        return st.parse_ctas(st.body(statement.sql)).table
    return st.body(statement.sql).split(None, 3)[2].split(".")[-1].strip('"').split()[0]


@pytest.mark.dbt
def test_both_runs_of_a_400_day_history_succeed(history_runs: HistoryRuns) -> None:
    for run in (history_runs.full_refresh, history_runs.incremental):
        assert (run.returncode, run.failed_nodes()) == (0, []), run.stdout[-3000:]


@pytest.mark.dbt
@pytest.mark.parametrize("model", DAY_PARTITIONED)
def test_a_full_refresh_of_a_day_partitioned_table_is_refused_then_written_in_batches(
    history_runs: HistoryRuns, model: str
) -> None:
    writes = _writes(history_runs.full_refresh, model)
    into_table = [w for w in writes if _target_table(w) == model]
    refused = [w for w in into_table if w.failure]
    # the one CTAS of all 400 days, refused as Athena refuses it
    assert len(refused) == 1 and refused[0].kind is st.Kind.CTAS, [(w.kind, w.failure) for w in into_table]
    assert "TOO_MANY_OPEN_PARTITIONS" in (refused[0].failure or "")
    assert (refused[0].partitions_written or 0) > OPEN_WRITERS_LIMIT
    # then the adapter's batches: a CTAS of the first, INSERTs of the rest, each within the limit,
    # together every day the table holds
    batches = [w for w in into_table if not w.failure]
    assert [w.kind for w in batches] == [st.Kind.CTAS] + [st.Kind.INSERT] * (len(batches) - 1)
    counted = [w.partitions_written for w in batches]
    assert None not in counted, "every batch's partitions were counted on the reference"
    assert all(0 < count <= OPEN_WRITERS_LIMIT for count in counted if count is not None), counted
    assert sum(count for count in counted if count is not None) == refused[0].partitions_written


@pytest.mark.dbt
def test_no_accepted_statement_writes_more_than_100_partitions(history_runs: HistoryRuns) -> None:
    for run in (history_runs.full_refresh, history_runs.incremental):
        over = [
            (s.node_id, s.kind.value, s.partitions_written)
            for s in run.statements
            if not s.failure and (s.partitions_written or 0) > OPEN_WRITERS_LIMIT
        ]
        assert over == []
        refused = [s for s in run.statements if s.failure]
        assert all("TOO_MANY_OPEN_PARTITIONS" in (s.failure or "") for s in refused), [s.failure for s in refused]


@pytest.mark.dbt
def test_the_late_file_writes_only_the_partitions_of_its_day(history_runs: HistoryRuns) -> None:
    refused = [s for s in history_runs.incremental.statements if s.failure]
    assert refused == [], "a late day fits in one statement per table"
    (append,) = [w for w in _writes(history_runs.incremental, "stg_event_lines") if w.kind is st.Kind.INSERT]
    assert append.partitions_written == 1, "the late file's month, and only it"


@pytest.mark.parametrize(
    ("spec", "partitions"),
    [("day(event_time)", 3), ("month(event_time)", 2), ("year(event_time)", 1), ("source_period", 2)],
)
def test_the_partitions_of_each_transform_are_counted_as_athena_forms_them(spec: str, partitions: int) -> None:
    rows = (
        "select * from (values (timestamp '2019-10-31 23:59:59', 201910), (timestamp '2019-11-01 00:00:00', 201911),"
        " (timestamp '2019-11-01 12:00:00', 201911), (timestamp '2019-11-02 00:00:00', 201910))"
        " as t(event_time, source_period)"
    )
    with duckdb.connect() as connection:
        counted = connection.execute(f"select count(distinct {partition_value_sql(spec)}) from ({rows})").fetchall()
    assert counted == [(partitions,)]


def test_the_refusal_carries_the_error_name_dbt_athena_catches() -> None:
    message = refusal(("staging", "stg_events"), 399, iceberg=True)
    assert message.startswith("ICEBERG_TOO_MANY_OPEN_PARTITIONS: Exceeded limit of 100 open writers for partitions")
    assert "399 partitions of staging.stg_events" in message
