"""Incremental builds on DuckDB, for real: landing one more day and building again
gives the same tables as a full refresh over all the data."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest

from conftest import Warehouse, dbt_build, run_dbt, run_ingest, run_module, table_contents

LAST_DAY_FILE = "2019-11-30.csv"


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Warehouse, Warehouse, str]:
    work = tmp_path_factory.mktemp("incremental")
    generated = work / "generated"
    result = run_module(
        "synthetic_events", "--out", generated, "--events", 30_000, "--seed", 11, "--per-day", "--no-expected"
    )
    assert result.returncode == 0, result.stderr
    held_back = work / "held-back"
    held_back.mkdir()
    shutil.move(generated / LAST_DAY_FILE, held_back / LAST_DAY_FILE)

    # incremental: everything but the last day, then the last day on top
    incremental_raw = work / "incremental-raw"
    assert run_ingest("land", "--source", generated, "--dest", incremental_raw).returncode == 0
    dbt_build(incremental_raw, work / "incremental")
    assert run_ingest("land", "--source", held_back, "--dest", incremental_raw).returncode == 0
    # its debug log shows which statements ran (test_the_second_build_really_ran_incrementally)
    incremental = dbt_build(incremental_raw, work / "incremental", "--log-level-file", "debug", unit_tests=True)

    # full refresh over all the files at once, in its own warehouse
    shutil.copy(held_back / LAST_DAY_FILE, generated / LAST_DAY_FILE)
    full_raw = work / "full-raw"
    assert run_ingest("land", "--source", generated, "--dest", full_raw).returncode == 0
    # the reference every table of the incremental build (which runs the data tests) is compared with
    full = dbt_build(full_raw, work / "full", "--full-refresh", data_tests=False)
    return incremental, full, incremental.build_log


@pytest.mark.dbt
def test_the_second_build_really_ran_incrementally(builds: tuple[Warehouse, Warehouse, str]) -> None:
    incremental, _, _ = builds
    with duckdb.connect(str(incremental.database), read_only=True) as connection:
        last_day_rows = connection.execute(
            "select count(*) from staging.stg_events where cast(event_time as date) = date '2019-11-30'"
        ).fetchall()[0][0]
    assert last_day_rows > 0, "the held-back day reached stg_events"
    # the second build appended to or merged into the existing tables instead of rebuilding them
    debug_log = (incremental.database.parent / "logs" / "dbt.log").read_text()
    merged = set(re.findall(r'MERGE INTO "[^"]+"\."[^"]+"\."(\w+)"', debug_log))
    appended = set(re.findall(r'insert into "[^"]+"\."[^"]+"\."(\w+)"', debug_log))
    assert merged == {
        "stg_raw_files",
        "stg_events",
        "fact_purchases",
        "int_sessions",
        "fact_sessions",
        "int_product_days",
        "int_products",
    }
    assert "stg_event_lines" in appended


@pytest.mark.dbt
def test_appending_a_day_gives_the_same_tables_as_a_full_refresh(builds: tuple[Warehouse, Warehouse, str]) -> None:
    incremental, full, _ = builds
    incremental_tables = table_contents(incremental, same_landings=False)
    full_tables = table_contents(full, same_landings=False)

    assert incremental_tables.keys() == full_tables.keys()
    assert len(incremental_tables) >= 20
    different = [name for name in full_tables if incremental_tables[name] != full_tables[name]]
    assert different == []


@pytest.mark.dbt
def test_data_tests_on_event_tables_check_the_rows_of_the_latest_run(
    builds: tuple[Warehouse, Warehouse, str], tmp_path: Path
) -> None:
    """`where: latest_batch` (macros/get_where_subquery.sql): an incremental run tests the batch it
    wrote, not every event again; a bad row in that batch still fails the build."""
    incremental, _, _ = builds
    database = tmp_path / "warehouse.duckdb"
    shutil.copy(incremental.database, database)
    not_null_user_id = ["--select", "not_null_stg_events_user_id"]

    def break_one_event_of(run: str) -> None:
        with duckdb.connect(str(database)) as connection:
            connection.execute(
                "update staging.stg_events set user_id = null where event_id = ("
                f"  select min(event_id) from staging.stg_events"
                f"  where loaded_in_run = (select {run}(loaded_in_run) from staging.stg_events))"
            )

    break_one_event_of("min")  # a row of the first build: checked by that build, not again
    earlier = run_dbt("test", incremental.raw_dir, tmp_path, *not_null_user_id, database=database)
    assert earlier.returncode == 0, earlier.stdout[-3000:]
    assert re.search(r"PASS=[1-9]", earlier.stdout), earlier.stdout[-3000:]

    break_one_event_of("max")  # a row of the latest run: caught
    latest = run_dbt("test", incremental.raw_dir, tmp_path, *not_null_user_id, database=database)
    assert latest.returncode == 1, latest.stdout[-3000:]
    assert "Failure in test not_null_stg_events_user_id" in latest.stdout, latest.stdout[-3000:]
