"""`python -m athena_estimate`: which partitions, files and columns a captured Athena statement
reads, their bytes from a Parquet export, Athena's billing, the findings, and (with dbt) the
capture of the three runs through the conformance stand-in."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import duckdb
import pytest
from sqlglot import exp

from athena_estimate import captured
from athena_estimate.as_ledger import estimated_ledger, relations_of
from athena_estimate.captured import Capture, Node, Run, Statement
from athena_estimate.cli import main
from athena_estimate.errors import EstimateError
from athena_estimate.estimate import Estimator, estimate, totals
from athena_estimate.export import measure_warehouse
from athena_estimate.findings import findings
from athena_estimate.pruning import UNKNOWN, Range, compare, evaluate
from athena_estimate.scan import inline_ctes, parse, statement_reads
from athena_estimate.sizes import RAW_RELATION, Partitioning, PartitionSize, RawFile, Sizes, TableSize
from athena_ledger import render as render_ledger
from athena_ledger import statement as ledger_statement
from athena_ledger.billing import MB, MIN_BILLED, USD_PER_TB, billed_bytes
from athena_ledger.ledger import Budget
from conftest import AthenaCapture

DAYS = ["2019-11-28", "2019-11-29", "2019-11-30"]
EVENT_COLUMNS = ["event_id", "event_time", "event_date", "user_id", "price", "loaded_in_run"]
HARNESS_RAW = "/tmp/pytest-of-x/capture0/raw/events"


def _events_table(batch_day: str = "2019-11-30") -> TableSize:
    """stg_events as measured: day(event_time) partitions, 100 bytes per column and partition,
    the latest run's 10 rows all on `batch_day`."""
    return TableSize(
        relation="staging.stg_events",
        partitioning=Partitioning.parse(["day(event_time)"]),
        columns=EVENT_COLUMNS,
        has_batch=True,
        day_equivalents=["event_date"],
        partitions={
            day: PartitionSize(
                rows=10, batch_rows=10 if day == batch_day else 0, columns=dict.fromkeys(EVENT_COLUMNS, 100)
            )
            for day in DAYS
        },
        types={"event_time": "TIMESTAMP", "event_date": "DATE", "loaded_in_run": "BIGINT", "event_id": "VARCHAR"},
    )


def _raw_files() -> list[RawFile]:
    return [
        RawFile("year=2019/month=10/2019-10-31.csv", 2019, 10, 1000),
        RawFile("year=2019/month=11/2019-11-01.csv", 2019, 11, 2000),
        RawFile("year=2019/month=11/2019-11-29.csv", 2019, 11, 3000),
        RawFile("year=2019/month=11/2019-11-30.csv", 2019, 11, 5000),
    ]


def _sizes() -> Sizes:
    lines = TableSize(
        relation="staging.stg_event_lines",
        partitioning=Partitioning.parse(["source_period"]),
        columns=["event_date", "event_id", "loaded_in_run"],
        has_batch=True,
        partitions={
            "201910": PartitionSize(
                rows=30, batch_rows=0, columns={"event_date": 10, "event_id": 300, "loaded_in_run": 5}
            ),
            "201911": PartitionSize(
                rows=30, batch_rows=1, columns={"event_date": 10, "event_id": 300, "loaded_in_run": 5}
            ),
        },
        types={"event_date": "DATE", "loaded_in_run": "BIGINT"},
    )
    return Sizes(
        "w.duckdb", "raw", {"staging.stg_events": _events_table(), "staging.stg_event_lines": lines}, _raw_files()
    )


def _cost(sql: str, run: Run = Run.DAY, sizes: Sizes | None = None) -> list[tuple[str, tuple[str, ...], int]]:
    estimator = Estimator(sizes or _sizes(), "year=2019/month=11/2019-11-30.csv")
    statement = Statement(run=run, index=0, kind="SELECT", node_id="", sql=sql)
    cost = estimator.statement_cost(statement)
    assert cost.error is None, cost.error
    return [(r.read.relation, r.selected, r.bytes) for r in cost.reads]


# ------------------------------------------------------------------ partitions and files


def test_an_event_date_in_one_day_selects_that_day_of_a_day_partitioned_table() -> None:
    sql = 'select event_id from "awsdatacatalog"."staging"."stg_events" where event_date in (date \'2019-11-30\')'
    assert _cost(sql) == [("staging.stg_events", ("2019-11-30",), 200)]  # event_id and the filter's event_date


def test_a_timestamp_lower_bound_selects_its_day_and_the_later_ones() -> None:
    sql = (
        'select user_id from "awsdatacatalog"."staging"."stg_events" '
        "where event_time >= cast('2019-11-29 10:00:00' as timestamp)"
    )
    assert _cost(sql) == [("staging.stg_events", ("2019-11-29", "2019-11-30"), 400)]


def test_a_filter_on_another_column_selects_every_partition() -> None:
    sql = 'select user_id from "awsdatacatalog"."staging"."stg_events" where loaded_in_run > 5'
    assert _cost(sql) == [("staging.stg_events", tuple(DAYS), 600)]


def test_an_always_false_filter_reads_nothing_and_a_contract_probe_neither() -> None:
    empty = 'select user_id from "awsdatacatalog"."staging"."stg_events" where price > 0 and 1 = 0'
    probe = (
        'select * from (select user_id from "awsdatacatalog"."staging"."stg_events") as __dbt_sbq where false limit 0'
    )
    assert _cost(empty) == [("staging.stg_events", (), 0)]
    assert _cost(probe) == [("staging.stg_events", (), 0)]


def test_the_raw_table_reads_only_the_files_not_read_before_in_the_latest_month() -> None:
    read_before = ", ".join(f"'{HARNESS_RAW}/year=2019/month=11/2019-11-{day:02d}.csv'" for day in range(1, 30))
    sql = (
        'select "$path", line from "awsdatacatalog"."ecommerce_raw"."event_lines" '
        f'where year * 100 + month >= 201911 and "$path" not in ({read_before})'
    )
    assert _cost(sql) == [("ecommerce_raw.event_lines", ("year=2019/month=11/2019-11-30.csv",), 5000)]


def test_the_raw_table_without_a_path_filter_reads_the_whole_month_and_whole_files() -> None:
    sql = 'select count(*) from "awsdatacatalog"."ecommerce_raw"."event_lines" where year = 2019 and month = 11'
    ((_, files, scanned),) = _cost(sql)
    assert len(files) == 3 and scanned == 10_000  # a text file is read whole, whatever the columns


def test_a_month_partition_is_selected_by_its_identity_value_not_by_a_date_filter() -> None:
    by_period = 'select event_id from "awsdatacatalog"."staging"."stg_event_lines" where source_period >= 201911'
    by_date = 'select event_id from "awsdatacatalog"."staging"."stg_event_lines" where event_date = date \'2019-11-30\''
    assert _cost(by_period) == [("staging.stg_event_lines", ("201911",), 300)]
    assert _cost(by_date) == [("staging.stg_event_lines", ("201910", "201911"), 620)]


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("ge", dt.datetime(2019, 11, 30), True),
        ("ge", dt.datetime(2019, 12, 1), False),
        ("lt", dt.datetime(2019, 11, 30, 12), UNKNOWN),
        ("eq", dt.date(2019, 11, 29), False),  # a date against a timestamp range: that day's midnight
    ],
)
def test_a_range_compares_in_three_valued_logic(op: str, value: object, expected: object) -> None:
    day = Range(dt.datetime(2019, 11, 30), dt.datetime(2019, 11, 30, 23, 59, 59, 999999))
    assert compare(op, day, value) is expected  # type: ignore[arg-type]


def test_only_literals_prune() -> None:
    (predicate,) = parse("select 1 from t where d in (select d from u)").find_all(exp.In)
    assert evaluate(predicate, {"d": dt.date(2019, 11, 30)}) is UNKNOWN


# ------------------------------------------------------------------ columns, CTEs, MERGE


def test_a_select_of_two_columns_is_charged_only_those_columns(tmp_path: Path) -> None:
    database, manifest = _small_warehouse(tmp_path)
    sizes = measure_warehouse(database, _raw_dir(tmp_path), manifest, tmp_path / "export", keep=True, threads=1)
    with duckdb.connect() as connection:
        chunks = connection.execute(
            "select path_in_schema, sum(total_compressed_size) from parquet_metadata(?) group by 1",
            [str(tmp_path / "export" / "staging.stg_events" / "**" / "*.parquet")],
        ).fetchall()
    by_column = {str(name): int(size) for name, size in chunks}
    sql = 'select user_id, price from "awsdatacatalog"."staging"."stg_events"'
    ((_, selected, scanned),) = _cost(sql, Run.FULL, sizes)
    assert len(selected) == 3
    assert scanned == by_column["user_id"] + by_column["price"]
    assert scanned < sum(by_column.values())


def test_the_export_is_partitioned_as_on_athena_and_knows_the_batch(tmp_path: Path) -> None:
    database, manifest = _small_warehouse(tmp_path)
    sizes = measure_warehouse(database, _raw_dir(tmp_path), manifest, tmp_path / "export", threads=1)
    events = sizes.tables["staging.stg_events"]
    assert sorted(events.partitions) == DAYS
    assert {day: p.rows for day, p in events.partitions.items()} == {"2019-11-28": 2, "2019-11-29": 2, "2019-11-30": 3}
    assert events.touched() == {"2019-11-30"}  # the largest loaded_in_run
    assert events.day_equivalents == ["event_date"]  # event_date = day(event_time) on every row
    assert not (tmp_path / "export" / "staging.stg_events").exists()  # deleted once measured
    assert [f.path for f in sizes.raw_files] == ["year=2019/month=11/2019-11-30.csv"]


def test_the_export_refuses_a_folder_it_did_not_make_and_leaves_it_alone(tmp_path: Path) -> None:
    database, manifest = _small_warehouse(tmp_path)
    users_folder = tmp_path / "mine"
    keepsake = users_folder / "staging.stg_events" / "notes.txt"
    keepsake.parent.mkdir(parents=True)
    keepsake.write_text("mine")
    with pytest.raises(EstimateError, match="not made by python -m athena_estimate"):
        measure_warehouse(database, _raw_dir(tmp_path), manifest, users_folder, threads=1)
    assert keepsake.read_text() == "mine"
    # a folder it made itself is reused
    measure_warehouse(database, _raw_dir(tmp_path), manifest, tmp_path / "export", threads=1)
    measure_warehouse(database, _raw_dir(tmp_path), manifest, tmp_path / "export", threads=1)


def test_a_cte_read_twice_is_two_scans_each_of_its_own_columns() -> None:
    sql = (
        'with e as (select * from "awsdatacatalog"."staging"."stg_events" where event_date = date \'2019-11-30\') '
        "select a.user_id, b.price from e as a join e as b on a.event_id = b.event_id"
    )
    reads = statement_reads(sql, Estimator(_sizes()).catalog)
    assert sorted(sorted(r.columns or ()) for r in reads) == [
        ["event_date", "event_id", "price"],
        ["event_date", "event_id", "user_id"],
    ]
    assert "with" not in inline_ctes(parse(sql)).sql("trino").lower()


def test_a_merge_reads_its_source_and_the_targets_key_and_window_columns() -> None:
    sql = (
        'merge into "awsdatacatalog"."staging"."stg_events" as target using '
        '"awsdatacatalog"."staging"."stg_events__dbt_tmp" as src '
        "on (target.event_id = src.event_id and (target.event_time >= src.event_time)) "
        'when matched then update set "user_id" = src."user_id", "event_time" = src."event_time", '
        '"event_date" = src."event_date", "price" = src."price", "loaded_in_run" = src."loaded_in_run" '
        'when not matched then insert ("event_id") values (src."event_id")'
    )
    estimator = Estimator(_sizes())
    day = estimator.statement_cost(Statement(Run.DAY, 1, "MERGE", "model.p.stg_events", sql))
    target, source = day.reads
    assert (target.read.role, sorted(target.read.columns or ())) == ("merge target", ["event_id", "event_time"])
    assert target.read.dynamic_window == "event_time"
    assert (target.bytes, target.best_bytes) == (600, 200)  # every partition; dynamic filtering: the batch's day
    assert source.bytes == 600  # the batch: 10 rows of 2019-11-30, six columns
    nothing = estimator.statement_cost(Statement(Run.NOTHING, 2, "MERGE", "model.p.stg_events", sql))
    assert [r.bytes for r in nothing.reads] == [600, 0]  # an empty batch; the target is still scanned


# ------------------------------------------------------------------ billing and findings


def test_a_delete_reads_the_columns_of_its_filter_in_the_partitions_it_selects() -> None:
    estimator = Estimator(_sizes())
    delete = estimator.statement_cost(Statement(Run.DAY, 0, "DELETE", "model.p.stg_events", (
        "delete from staging.stg_events where event_time >= timestamp '2019-11-30 00:00:00' "
        "and event_time < timestamp '2019-12-01 00:00:00'")))  # fmt: skip
    (read,) = delete.reads
    assert (read.read.role, read.read.columns, read.selected, read.bytes) == (
        "delete target",
        frozenset({"event_time"}),
        ("2019-11-30",),
        100,
    )
    emptied = estimator.statement_cost(
        Statement(Run.DAY, 1, "DELETE", "model.p.stg_events", "delete from staging.stg_events")
    )
    assert [r.bytes for r in emptied.reads] == [0] and emptied.billed == MIN_BILLED  # whole files dropped, still billed


def test_an_optimize_rewrites_every_column_of_the_partitions_of_its_filter_and_a_vacuum_reads_nothing() -> None:
    estimator = Estimator(_sizes())
    optimize = estimator.statement_cost(Statement(Run.DAY, 0, "OPTIMIZE/VACUUM", "", (
        "optimize staging.stg_events rewrite data using bin_pack where (\n"
        "(event_time >= timestamp '2019-11-29 00:00:00'\n and event_time < timestamp '2019-12-01 00:00:00'))"
    )))  # fmt: skip
    (read,) = optimize.reads
    assert (read.selected, read.bytes) == (("2019-11-29", "2019-11-30"), 2 * 100 * len(EVENT_COLUMNS))
    vacuum = estimator.statement_cost(Statement(Run.DAY, 1, "OPTIMIZE/VACUUM", "", "vacuum staging.stg_events"))
    assert (vacuum.reads, vacuum.billed) == ((), MIN_BILLED)


def test_athena_bills_at_least_10_mb_per_query_rounded_up_to_the_megabyte() -> None:
    assert billed_bytes(0) == billed_bytes(1) == MIN_BILLED == 10 * MB
    assert billed_bytes(10 * MB + 1) == 11 * MB
    sql = 'select user_id from "awsdatacatalog"."staging"."stg_events" where event_date = date \'2019-11-30\''
    capture = Capture([Statement(Run.DAY, i, "SELECT", "", sql) for i in range(3)])
    _, costs = estimate(capture, _sizes())
    day = totals(costs, Run.DAY)
    assert (day.queries, day.bytes, day.billed) == (3, 600, 30 * MB)  # per query, not per run
    assert totals(costs, Run.FULL).billed == 0


def test_ddl_is_free() -> None:
    capture = Capture([Statement(Run.DAY, 0, "CREATE EXTERNAL TABLE", "", "create external table x (a int)")])
    _, costs = estimate(capture, _sizes())
    assert totals(costs, Run.DAY).billed == 0


def test_a_latest_batch_test_is_a_finding_and_a_day_filtered_read_is_not() -> None:
    latest = (
        'select count(*) from (select * from "awsdatacatalog"."staging"."stg_events" where loaded_in_run = '
        '(select max(latest.loaded_in_run) from "awsdatacatalog"."staging"."stg_events" as latest)) dbt_subquery '
        "where user_id is null"
    )
    day = 'select user_id from "awsdatacatalog"."staging"."stg_events" where event_date in (date \'2019-11-30\')'
    capture = Capture(
        [Statement(Run.DAY, 0, "SELECT", "test.p.not_null_x.1", latest, "data test"),
         Statement(Run.DAY, 1, "SELECT", "model.p.fact", day, "introspection")],
        nodes={"test.p.not_null_x.1": Node("test.p.not_null_x.1", "test", "", tests="model.p.stg_events"),
               "model.p.stg_events": Node("model.p.stg_events", "model", "staging.stg_events", "incremental")},
    )  # fmt: skip
    estimator, costs = estimate(capture, _sizes())
    (finding,) = findings(capture, costs, estimator)
    assert (finding.group, finding.relation, finding.role) == ("tests on stg_events", "staging.stg_events", "data test")
    assert "latest_batch" in finding.reason and "3/3 partitions" in finding.reason
    # user_id and loaded_in_run of the two days the run did not write, and the subquery's loaded_in_run
    assert (finding.bytes, finding.beyond) == (900, 600)


# ------------------------------------------------------------------ the command line


def test_the_report_command_prints_and_appends_the_section(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sql = 'select user_id from "awsdatacatalog"."staging"."stg_events" where event_date in (date \'2019-11-30\')'
    statements = tmp_path / "statements.json"
    statements.write_text(json.dumps({
        "statements": [{"run": run.value, "index": i, "kind": "SELECT", "node_id": "", "sql": sql}
                       for i, run in enumerate(Run)],
        "exposures": {"dash": ["staging.stg_events"]},
    }))  # fmt: skip
    sizes = tmp_path / "sizes.json"
    _sizes().save(sizes)
    report = tmp_path / "benchmarks.md"
    report.write_text("# Benchmarks\n")
    assert main(["report", "--statements", str(statements), "--sizes", str(sizes), "--report", str(report)]) == 0
    printed = capsys.readouterr().out
    assert "### Totals" in printed and "| incremental day | 1 | 0.000 | 0.010 |" in printed
    assert report.read_text().startswith("# Benchmarks\n") and "### Findings" in report.read_text()
    assert main(["report", "--statements", str(tmp_path / "none.json"), "--sizes", str(sizes)]) == 2


def test_the_ledger_command_prints_one_runs_estimate_as_the_ledgers_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    comment = '-- /* {"invocation_id": "%s", "node_id": "model.p.stg_events"} */\n'
    sql = 'select user_id from "awsdatacatalog"."staging"."stg_events" where event_date in (date \'2019-11-30\')'
    statements = tmp_path / "statements.json"
    statements.write_text(json.dumps({
        "statements": [{"run": run.value, "index": i, "kind": "SELECT", "node_id": "model.p.stg_events",
                        "sql": comment % f"run-{i}" + sql} for i, run in enumerate(Run)]
        + [{"run": "incremental-day", "index": 9, "kind": "OPTIMIZE/VACUUM", "node_id": "",
            "sql": "optimize staging.stg_events rewrite data using bin_pack"}],
    }))  # fmt: skip
    sizes = tmp_path / "sizes.json"
    _sizes().save(sizes)
    out = tmp_path / "ledger.json"
    args = ["ledger", "--statements", str(statements), "--sizes", str(sizes), "--out", str(out)]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "Athena cost of dbt invocation run-1 at $5/TB" in printed
    ledger = json.loads(out.read_text())
    # the day's read: user_id and event_date of its partition only; the OPTIMIZE (no query comment) apart
    assert [(n["node"], n["statements"], n["scanned_bytes"], n["billed_bytes"]) for n in ledger["nodes"]] == [
        ("model.p.stg_events", 1, 200, MIN_BILLED)
    ]
    assert ledger["not_attributed"]["statements"] == 1
    assert ledger["not_attributed"]["scanned_bytes"] == 3 * 100 * len(EVENT_COLUMNS)
    assert next(line for line in printed.splitlines() if line.startswith("stg_events ")).split()[1] == "1"
    assert main([*args[:-2], "--run", "full-refresh"]) == 0
    assert "dbt invocation run-0 " in capsys.readouterr().out


# ------------------------------------------------------------------ helpers and the capture


def _raw_dir(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    day_file = raw / "events" / "year=2019" / "month=11" / "2019-11-30.csv"
    day_file.parent.mkdir(parents=True, exist_ok=True)
    day_file.write_text("header\nline\n")
    return raw


def _small_warehouse(tmp_path: Path) -> tuple[Path, Path]:
    database = tmp_path / "w.duckdb"
    with duckdb.connect(str(database)) as connection:
        connection.execute("create schema staging")
        connection.execute(
            "create table staging.stg_events as select 'e' || i as event_id, "
            "timestamp '2019-11-28 10:00:00' + to_days(cast(least(i // 2, 2) as integer)) as event_time, "
            "i * 1000003 as user_id, cast(i * 1.5 as decimal(12, 2)) as price, "
            "case when i >= 4 then 2 else 1 end as loaded_in_run from range(7) as t(i)"
        )
        connection.execute("alter table staging.stg_events add column event_date date")
        connection.execute("update staging.stg_events set event_date = cast(event_time as date)")
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"nodes": {"model.p.stg_events": {
        "resource_type": "model", "schema": "staging", "name": "stg_events", "alias": "stg_events",
        "config": {"partitioned_by": ["day(event_time)"]}}}}))  # fmt: skip
    return database, manifest


@pytest.fixture(scope="module")
def billed_capture(athena_capture: AthenaCapture) -> tuple[Path, Path]:
    """The suite's capture (conftest's athena_capture: `capture --bill`, each run's ledger read
    back): the statements' JSON and the work folder (its sizes.json)."""
    return athena_capture.statements, athena_capture.workdir


def test_the_capture_command_runs_the_stand_in_capture_with_its_options(monkeypatch: pytest.MonkeyPatch) -> None:
    """`python -m athena_estimate capture` is the stand-in's capture (tests.athena.capture, which
    the suite's athena_capture runs for real) with the user's options."""
    commands: list[list[str]] = []

    def record(command: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        commands.append(command)
        return subprocess.CompletedProcess(command, 3)

    monkeypatch.setattr(subprocess, "run", record)
    assert main(["capture", "--out", "o.json", "--events", "500", "--workdir", "w", "--bill", "--sizes", "s"]) == 3
    assert main(["capture", "--out", "o.json"]) == 3
    module = ["-m", "tests.athena.capture", "--out", "o.json"]
    assert [command[1:] for command in commands] == [
        [*module, "--events", "500", "--workdir", "w", "--bill", "--sizes", "s"],
        [*module, "--events", "20000"],
    ]


@pytest.mark.dbt
def test_the_capture_lands_one_day_between_the_full_and_the_incremental_run(billed_capture: tuple[Path, Path]) -> None:
    capture = captured.load(billed_capture[0])
    assert {run: capture.runs[run]["returncode"] for run in Run} == dict.fromkeys(Run, 0)
    sizes = Sizes("w", "r", {"staging.stg_events": _events_table()}, _raw_files())
    estimator = Estimator(sizes, "year=2019/month=11/2019-11-30.csv")

    def raw_files_read(run: Run) -> list[tuple[str, ...]]:
        return [
            cost.selected
            for s in capture.of(run)
            if s.node_id.endswith(".stg_event_lines") and s.kind == "CTAS"
            for cost in estimator.statement_cost(s).reads
            if cost.read.relation == RAW_RELATION  # not the landing manifest it joins
        ]

    assert raw_files_read(Run.FULL) == [tuple(f.path for f in _raw_files())]
    assert raw_files_read(Run.DAY) == [("year=2019/month=11/2019-11-30.csv",)]  # only the new day's file
    assert raw_files_read(Run.NOTHING) == [()]
    batch = [s.body for s in capture.of(Run.DAY) if s.node_id.endswith(".int_product_days") and s.kind == "CTAS"]
    assert len(batch) == 1 and "event_date in (date '2019-11-30')" in batch[0]
    nothing = [s.body for s in capture.of(Run.NOTHING) if s.node_id.endswith(".int_product_days") and s.kind == "CTAS"]
    assert len(nothing) == 1 and "1 = 0" in nothing[0]


@pytest.mark.dbt
def test_the_estimate_and_the_ledger_of_a_captured_run_agree_node_by_node(billed_capture: tuple[Path, Path]) -> None:
    """The captured runs' statements, each reported by the stand-in's query history as scanning
    what the estimate says, read back by `python -m athena_ledger` through Athena's API: the
    estimate in the ledger's shape has the same statements, nodes, bytes and bill, and the
    report's totals are the ledger's (so estimate and bill use one attribution and one rule)."""
    out, work = billed_capture
    document = json.loads(out.read_text())
    capture = captured.from_document(document)
    _, costs = estimate(capture, Sizes.load(work / "sizes.json"))
    # the day's OPTIMIZE of the partitions it wrote is priced, and (sent without a query comment by
    # dbt-athena) is its model's by the table it acts on, or not attributed without the run's tables
    optimized = [c for c in costs if c.statement.run is Run.DAY and c.statement.kind == "OPTIMIZE/VACUUM"]
    assert optimized and sum(c.bytes for c in optimized) > 0
    assert estimated_ledger(costs, Run.DAY, USD_PER_TB).uncommented.scanned == sum(c.bytes for c in optimized)
    by_table = [r for r in estimated_ledger(costs, Run.DAY, USD_PER_TB, relations_of(capture)).rows if r.by_table]
    assert {r.node.split(".")[-1] for r in by_table if r.kind == "OPTIMIZE/VACUUM"} >= {"stg_events", "stg_event_lines"}
    for run in Run:
        bill = document["bills"][run.value]
        assert bill["returncode"] == 0, bill["stderr"]
        read_back = bill["ledger"]
        ours = estimated_ledger(costs, run, USD_PER_TB, relations_of(capture))
        expected = render_ledger.document(ours, read_back["workgroup"], Budget(), [])
        assert read_back["invocation_id"] == expected["invocation_id"]
        # the same statements (in submission order on the stand-in's clock, in capture order in the
        # estimate: dbt's threads may swap two that were sent in the same instant)
        assert sorted(s["execution_id"] for s in read_back["statements"]) == sorted(
            s["execution_id"] for s in expected["statements"]
        )
        assert read_back["nodes"] == expected["nodes"]
        assert read_back["total"] == expected["total"]
        # every statement the stand-in received for the run is in the ledger read back, but for
        # those without a query comment on no table of the run (none lost, none of another run's)
        unattributed = {
            s.execution_id
            for s in capture.of(run)
            if not ledger_statement.query_comment(s.sql)
            and relations_of(capture).get(ledger_statement.target_table(s.sql) or "") is None
        }
        assert {s["execution_id"] for s in read_back["statements"]} == {
            s.execution_id for s in capture.of(run)
        } - unattributed
        if run is Run.DAY:  # its OPTIMIZEs and DROPs have no comment (a full refresh sends none such)
            assert any(s["attributed_by"] == "table name" for s in read_back["statements"])
        # the window also holds the other runs' statements: the ledger tells them apart
        assert read_back["other_invocations_in_window"] > 0
        assert read_back["not_attributed"]["statements"] >= expected["not_attributed"]["statements"]
        # the report's figures are the ledger's: attributed plus the statements without a comment
        reported = totals(costs, run)
        assert reported.bytes == ours.total().scanned + ours.uncommented.scanned
        assert reported.billed == ours.total().billed + ours.uncommented.billed
        printed_total = next(line for line in bill["table"].splitlines() if line.startswith("total "))
        assert printed_total.split()[1:4] == [
            str(ours.total().statements),
            f"{ours.total().scanned / MB:,.1f}",
            f"{ours.total().billed / MB:,.1f}",
        ]
