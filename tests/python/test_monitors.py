"""The volume and quality monitors (issue 13, item 4) fire on the data they watch for: a real
`dbt build` on DuckDB over landed files with one of each problem, and each monitor's outcome in
dbt's run_results.json (warn, with the rows it found), the build itself not failing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import Warehouse, dbt_build, query, run_ingest, write_csv

PRODUCT = "1004237,2053013555631882655,electronics.smartphone,apple,100.00"
NORMAL_DAY_EVENTS = 100
SPIKE_DAY, NO_PURCHASE_DAY, LAST_DAY = 8, 9, 10


def _events(day: int, count: int, purchases: int = 1, month: int = 10) -> list[str]:
    """`count` distinct events on one day, the first `purchases` of them purchases."""
    return [
        f"2019-{month:02d}-{day:02d} 10:{i // 60 % 60:02d}:{i % 60:02d} UTC,"
        f"{'purchase' if i < purchases else 'view'},{PRODUCT},{500000000 + i},s-{day}-{i}"
        for i in range(count)
    ]


def _land(source: Path, raw: Path) -> None:
    landed = run_ingest("land", "--source", source, "--dest", raw)
    assert landed.returncode == 0, landed.stderr


@pytest.fixture(scope="module")
def monitored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Warehouse, dict[str, dict[str, Any]]]:
    work = tmp_path_factory.mktemp("monitors")
    raw = work / "raw"
    # first landing: ten October days, one with ten times the events, one with no purchase
    for day in range(1, LAST_DAY):
        count = NORMAL_DAY_EVENTS * (10 if day == SPIKE_DAY else 1)
        write_csv(work / "first" / f"2019-10-{day:02d}.csv", _events(day, count, 0 if day == NO_PURCHASE_DAY else 1))
    _land(work / "first", raw)
    # second landing: the last day with 5 % quarantined lines and 5 % exact duplicates
    last_day = _events(LAST_DAY, NORMAL_DAY_EVENTS)
    write_csv(work / "second" / "2019-10-10.csv", last_day + last_day[:5] + ["not,a,line"] * 5)
    # and a file whose first line (unreadable, but dated November) put it in month=11 while
    # every readable row is from October
    october_rows = [line.replace(" 10:", " 11:", 1) for line in _events(LAST_DAY, 20, purchases=0)]
    misplaced = ["2019-11-01 25:61:61 UTC,view,1,2,,,1.00,3,s", *october_rows]
    write_csv(work / "second" / "misplaced.csv", misplaced)
    _land(work / "second", raw)
    assert (raw / "events" / "year=2019" / "month=11" / "misplaced.csv").exists()
    warehouse = dbt_build(raw, work)
    run_results = json.loads((work / "target" / "run_results.json").read_text())
    return warehouse, {result["unique_id"].split(".")[2]: result for result in run_results["results"]}


def _outcome(results: dict[str, dict[str, Any]], name_prefix: str) -> tuple[str, int]:
    (result,) = [result for name, result in results.items() if name.startswith(name_prefix)]
    return result["status"], result["failures"]


@pytest.mark.dbt
@pytest.mark.parametrize(
    "monitor",
    [
        "daily_events_within_trailing_median",  # the spike day
        "every_day_has_purchases",  # the day with views only
        "quarantine_share_per_landing_at_most",  # the second landing: 5 of 110 lines
        "duplicate_share_per_landing_at_most",  # the second landing: 5 copies
        "rows_in_folder_month_stg_event_lines",  # misplaced.csv
    ],
)
def test_each_monitor_warns_on_the_problem_it_watches(
    monitored: tuple[Warehouse, dict[str, dict[str, Any]]], monitor: str
) -> None:
    _, results = monitored
    assert _outcome(results, monitor) == ("warn", 1)


@pytest.mark.dbt
def test_monitors_warn_without_failing_the_build_and_name_what_they_found(
    monitored: tuple[Warehouse, dict[str, dict[str, Any]]],
) -> None:
    warehouse, results = monitored
    assert all(result["status"] != "error" for result in results.values())
    spike = query(warehouse, "select event_date, sum(events) as events from intermediate.int_product_days group by 1")
    by_day = {row["event_date"].day: row["events"] for row in spike}
    assert by_day[SPIKE_DAY] == 10 * NORMAL_DAY_EVENTS
    (run,) = query(
        warehouse,
        "select rows_read, rows_quarantined, duplicates_removed from marts.row_accounting "
        "order by landed_at desc limit 1",
    )
    # 5 unreadable lines and the misplaced file's first line; 5 copies
    assert (run["rows_read"], run["rows_quarantined"], run["duplicates_removed"]) == (131, 6, 5)
