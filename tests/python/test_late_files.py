"""Data arrives on its own schedule (issue 13), on DuckDB for real: days landed in shuffled
order, a late file for a month already built, and a replaced file (same name, new content),
each followed by a plain `dbt build`, give after every build the same tables as a full refresh
over the same landed files. The Athena side of the same path is in
test_athena_late_files.py."""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import Warehouse, dbt_build, query, run_ingest, run_module, table_contents

EVENTS = 30_000


@dataclass
class Delivery:
    """A folder of generated daily files, landed a few at a time into one raw folder."""

    work: Path
    daily: dict[str, Path]
    raw: Path
    landings: int = 0

    def land(self, label: str, files: list[Path]) -> None:
        batch = self.work / "batches" / label
        batch.mkdir(parents=True)
        for file in files:
            shutil.copy(file, batch / file.name)
        landed = run_ingest("land", "--source", batch, "--dest", self.raw)
        assert landed.returncode == 0, landed.stderr
        self.landings += 1

    def build_both_ways(self, label: str) -> tuple[Warehouse, Warehouse]:
        """The incremental warehouse built again, with its data tests, and a fresh full refresh over
        the same files, the reference every table of the incremental one is compared with."""
        incremental = dbt_build(self.raw, self.work / "incremental")
        full = dbt_build(self.raw, self.work / f"full-{label}", "--full-refresh", data_tests=False)
        return incremental, full


@pytest.fixture(scope="module")
def delivery(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Delivery]:
    work = tmp_path_factory.mktemp("late-files")
    generated = work / "generated"
    result = run_module(
        "synthetic_events", "--out", generated, "--events", EVENTS, "--seed", 13, "--per-day", "--no-expected"
    )
    assert result.returncode == 0, result.stderr
    yield Delivery(work=work, daily={path.stem: path for path in sorted(generated.glob("*.csv"))}, raw=work / "raw")


def _assert_same_tables(incremental: Warehouse, full: Warehouse) -> None:
    got, want = table_contents(incremental), table_contents(full)
    assert sorted(got) == sorted(want)
    different = [name for name in want if got[name] != want[name]]
    assert different == [], {name: (len(got[name]), len(want[name])) for name in different}


def _runs_in_stg_event_lines(warehouse: Warehouse) -> int:
    (row,) = query(warehouse, "select count(distinct loaded_in_run) as runs from staging.stg_event_lines")
    return int(row["runs"])


@pytest.mark.dbt
def test_shuffled_days_late_and_replaced_files_build_incrementally_to_a_full_refresh(delivery: Delivery) -> None:
    days = sorted(delivery.daily)
    october = [day for day in days if day.startswith("2019-10")]
    late_october_day = october[len(october) // 2]
    shuffled = [day for day in days if day != late_october_day]
    random.Random(13).shuffle(shuffled)
    assert sorted(shuffled[:20]) != shuffled[:20]  # really out of order

    # 1. twenty days in shuffled order, then the rest, except one October day
    delivery.land("first", [delivery.daily[day] for day in shuffled[:20]])
    dbt_build(delivery.raw, delivery.work / "incremental")
    delivery.land("second", [delivery.daily[day] for day in shuffled[20:]])
    incremental, full = delivery.build_both_ways("shuffled")
    _assert_same_tables(incremental, full)
    assert _runs_in_stg_event_lines(incremental) == 2  # the first batch's lines were not read again

    # 2. a late file for October, after all of November was built
    delivery.land("late", [delivery.daily[late_october_day]])
    incremental, full = delivery.build_both_ways("late")
    _assert_same_tables(incremental, full)
    assert _runs_in_stg_event_lines(incremental) == 3
    (late,) = query(
        incremental,
        f"select count(*) as lines from staging.stg_event_lines where source_file like '%/{late_october_day}.csv'",
    )
    assert late["lines"] > 0

    # 3. a replaced file: an October day delivered again with every other line and one hour gone,
    # so events, purchases, products' latest events and whole sessions disappear
    replaced_day = october[3]
    lines = delivery.daily[replaced_day].read_text().splitlines()
    header, body = lines[0], lines[1:]
    kept = [line for index, line in enumerate(body) if index % 2 == 0 and f"{replaced_day} 10:" not in line]
    corrected = delivery.work / "corrected" / f"{replaced_day}.csv"
    corrected.parent.mkdir()
    corrected.write_text("\n".join([header, *kept]) + "\n")
    before = query(incremental, "select count(*) as n from staging.stg_events")[0]["n"]
    delivery.land("replaced", [corrected])
    incremental, full = delivery.build_both_ways("replaced")
    _assert_same_tables(incremental, full)
    after = query(incremental, "select count(*) as n from staging.stg_events")[0]["n"]
    assert after < before
    (replaced,) = query(
        incremental,
        "select count(*) as lines, count(distinct source_file_sha256) as versions from staging.stg_event_lines "
        f"where source_file like '%/{replaced_day}.csv'",
    )
    assert (replaced["lines"], replaced["versions"]) == (len(kept), 1)

    # every landing run has its row, and the rows add up to what was read
    accounting = query(incremental, "select * from marts.row_accounting")
    assert len(accounting) == delivery.landings
    (read,) = query(incremental, "select sum(lines_read) as n from staging.stg_raw_files")
    assert sum(row["rows_read"] for row in accounting) == read["n"]

    # 4. nothing new: a build changes nothing
    again = dbt_build(delivery.raw, delivery.work / "incremental")
    assert table_contents(again) == table_contents(incremental)
