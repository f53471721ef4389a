"""The benchmark harness (`python -m bench`, `make bench`): one whole run at a tiny size with its
Athena estimate, its refusal to touch a folder it did not create, the two-history comparison,
and the checks it relies on (the warehouse comparison, Spark's totals, the peak memory of a
process tree)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from athena_estimate.captured import Capture, Run
from athena_estimate.estimate import Totals as AthenaTotals
from bench import athena, runner
from bench.athena import AthenaEstimate, NodeBytes
from bench.compare import Totals, compare_warehouses, read_dbt_totals, totals_differences
from bench.errors import BenchFailed
from bench.machine import Environment
from bench.measure import run_measured
from bench.report import HEADER, append_section, format_growth, format_section
from bench.results import BenchRun, StepResult, Verdict
from bench.workdir import MARKER
from conftest import REPO

TINY_EVENTS = 20_000


def spark_available() -> bool:
    return importlib.util.find_spec("pyspark") is not None and shutil.which("java") is not None


def run_bench(*args: str | Path | int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench", "run", *map(str, args)], cwd=REPO, capture_output=True, text=True, check=False
    )


# --- one whole run ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_run(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> tuple[subprocess.CompletedProcess[str], Path, Path, bool]:
    with_spark = spark_available()
    if not with_spark and os.environ.get("CI"):
        pytest.fail("pyspark or java is missing in CI: `make test` installs requirements-bench.txt, .ci/run Java")
    tmp = tmp_path_factory.mktemp("bench")
    work, report = tmp / "work", tmp / "benchmarks.md"
    extra = [] if with_spark else ["--no-spark"]
    # The run's Athena estimate uses the suite's one capture (the bench's own capture is the same
    # command). Asked for at run time rather than as a parameter, so these tests keep a worker
    # group of their own instead of joining the capture's, which is already the longest.
    statements = request.getfixturevalue("athena_capture").statements
    result = run_bench(
        "--events", TINY_EVENTS, "--seed", 5, "--work-dir", work, "--report", report,
        "--athena-statements", statements, *extra,
    )  # fmt: skip
    return result, work, report, with_spark


# What Athena bills: queries and DML (DDL and catalog calls are free).
BILLED_KINDS = {"SELECT", "CTAS", "INSERT", "MERGE", "DELETE", "OPTIMIZE/VACUUM"}


def _charged_statements(statements: Path) -> dict[str, int]:
    """The queries Athena bills in each run of a capture, counted from its JSON."""
    document = json.loads(statements.read_text())
    counts: dict[str, int] = {}
    for item in document["statements"]:
        if item["kind"] in BILLED_KINDS and not item.get("failure"):
            counts[item["run"]] = counts.get(item["run"], 0) + 1
    return counts


@pytest.mark.dbt
def test_a_tiny_run_succeeds_and_removes_its_work_folder(tiny_run) -> None:
    result, work, _, _ = tiny_run
    assert result.returncode == 0, f"{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
    assert not work.exists()
    # a line before each step, counting down
    announced = re.findall(r"^==> \[(\d+)/(\d+)\] .*\((\d+) steps? left after this one\)$", result.stdout, re.M)
    assert announced, result.stdout[-3000:]
    assert [int(left) for _, _, left in announced] == list(range(len(announced) - 1, -1, -1))
    # dbt's own per-model lines reached the terminal
    assert re.search(r"\d+ of \d+ START sql \w+ model staging\.stg_events", result.stdout)
    # the timed builds run every data and unit test; the check's reference build runs none
    sections = dict(re.findall(r"^==> \[\d+/\d+\] \((\w+)\)(.*?)(?=^==> |\Z)", result.stdout, re.M | re.S))
    tests_started = {step: re.findall(r" START (test|unit_test) ", text) for step, text in sections.items()}
    assert {"test", "unit_test"} <= set(tests_started["b"]), sections["b"][-3000:]
    assert {"test", "unit_test"} <= set(tests_started["c"]), sections["c"][-3000:]
    assert tests_started["check"] == [], sections["check"][-3000:]


@pytest.mark.dbt
def test_the_report_has_every_step_the_ratios_and_equal_results(tiny_run) -> None:
    result, _, report, with_spark = tiny_run
    assert result.returncode == 0, result.stderr[-3000:]
    text = report.read_text()
    assert text.startswith(HEADER)
    assert text.count("\n## ") == 1
    numbers = r"\| [\d.,]+ \| [\d,]+ \| [\d.]+ \|"
    for step in ("a", "b", "c", "d", "check", *(["e"] if with_spark else [])):
        assert re.search(rf"^\| {step} \| [^|]+ {numbers}$", text, re.M), f"no timed row for step {step}"
    if not with_spark:
        assert re.search(r"^\| e \| .* \| skipped \|", text, re.M)
    assert re.search(
        r"^Ratios of wall times: b/a = [\d.,]+, b/e = ([\d.,]+|n/a), c/b = [\d.,]+, d/b = [\d.,]+$", text, re.M
    )
    assert re.search(
        r"^- incremental warehouse \(after c\) = full refresh over the same files: \*\*equal\*\*", text, re.M
    )
    spark_verdict = r"\*\*equal\*\*" if with_spark else "not checked"
    assert re.search(rf"^- Spark's totals = dbt's marts .*: {spark_verdict}", text, re.M)
    assert f"Events requested: {TINY_EVENTS:,}" in text
    for step in ("b", "c", "d"):
        assert re.search(rf"^- {step}: \w+ \w+ [\d.]+ s", text, re.M), f"no slowest nodes for {step}"
    # the same section was printed
    assert text[len(HEADER) :].strip() in result.stdout


@pytest.mark.dbt
def test_the_report_has_the_athena_estimate_of_the_run(tiny_run, request: pytest.FixtureRequest) -> None:
    result, _, report, _ = tiny_run
    assert result.returncode == 0, result.stderr[-3000:]
    text = report.read_text()
    raw = re.search(r"after c, ([\d.,]+) GB of raw files\):", text)
    assert raw is not None, text
    raw_gb = float(raw.group(1))
    rows = {
        label: (int(queries.replace(",", "")), float(scanned), float(billed), share)
        for label, queries, scanned, billed, share in re.findall(
            r"^\| (full build|incremental day|nothing new) \| ([\d,]+) \| ([\d.]+) \| ([\d.]+) \| \$[\d.]+ \| "
            r"([\d.]+) % \|$", text, re.M,
        )
    }  # fmt: skip
    assert set(rows) == {"full build", "incremental day", "nothing new"}, text
    # every billed statement of each run is charged, as counted from the capture itself
    counts = _charged_statements(request.getfixturevalue("athena_capture").statements)
    assert {label: row[0] for label, row in rows.items()} == {
        "full build": counts["full-refresh"], "incremental day": counts["incremental-day"],
        "nothing new": counts["nothing-new"],
    }  # fmt: skip
    full, day, nothing = rows["full build"], rows["incremental day"], rows["nothing new"]
    # the full build reads every raw file at least once; a day and a no-op read less than it
    assert full[1] >= raw_gb > 0
    assert full[3] == "100.0" and float(day[3]) < 100 and float(nothing[3]) < 100
    assert all(row[2] >= row[1] for row in rows.values())  # billed: at least the scanned, 10 MB minimums
    assert re.search(r"^The day scans [\d.,]+ GB per GB of new data \(the new file: [\d.,]+ [MG]B\)\. "
                     r"Its largest nodes: \w+ [\d.]+ GB", text, re.M)  # fmt: skip


# --- the work folder ----------------------------------------------------------------------


@pytest.mark.dbt
def test_it_refuses_a_folder_it_did_not_create_and_leaves_it_untouched(tmp_path: Path) -> None:
    work = tmp_path / "mine"
    work.mkdir()
    precious = work / "notes.txt"
    precious.write_text("keep me")
    report = tmp_path / "report.md"

    result = run_bench("--events", 1000, "--work-dir", work, "--report", report, "--no-spark")

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "was not made by python -m bench" in result.stderr
    assert "Traceback" not in result.stderr
    assert precious.read_text() == "keep me"
    assert sorted(work.iterdir()) == [precious]
    assert not report.exists()


def _fake_execute(ctx, options, run, shared) -> None:
    (ctx.work.root / "warehouse.duckdb").write_text("built")
    run.verdicts.append(Verdict("a check", True, "fine"))


@pytest.mark.parametrize("keep", [False, True])
def test_the_work_folder_is_removed_unless_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keep: bool) -> None:
    monkeypatch.setattr(runner, "_execute", _fake_execute)
    work, report = tmp_path / "work", tmp_path / "report.md"
    options = runner.Options(events=10, seed=1, work_dir=work, report=report, keep=keep, spark=False)

    assert runner.run_bench(options, REPO) == 0

    assert work.exists() == keep
    if keep:
        assert (work / MARKER).is_file() and (work / "warehouse.duckdb").read_text() == "built"
    assert "**equal**; fine" in report.read_text()


def test_a_leftover_bench_folder_is_emptied_and_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "_execute", _fake_execute)
    work = tmp_path / "work"
    work.mkdir()
    (work / MARKER).write_text("")
    (work / "old.duckdb").write_text("old")
    options = runner.Options(events=10, seed=1, work_dir=work, report=tmp_path / "r.md", keep=True, spark=False)

    assert runner.run_bench(options, REPO) == 0

    assert sorted(path.name for path in work.iterdir()) == [MARKER, "warehouse.duckdb"]


# --- the comparison of two warehouses -----------------------------------------------------


def make_warehouse(path: Path, statements: str) -> Path:
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema staging; create schema marts; create schema snapshots;")
        connection.execute(statements)
    return path


BASE = """
    create table staging.stg_events as select * from (values (1, 'a', 10.50), (2, 'b', 3.25)) t(id, name, price);
    create table marts.kpi as select 2 as customers, 13.75 as revenue;
"""


def test_identical_warehouses_are_equal(tmp_path: Path) -> None:
    left = make_warehouse(tmp_path / "left.duckdb", BASE)
    right = make_warehouse(tmp_path / "right.duckdb", BASE)
    assert compare_warehouses(left, right) == (2, [])


def test_one_differing_row_is_reported_by_table_name(tmp_path: Path) -> None:
    left = make_warehouse(tmp_path / "left.duckdb", BASE)
    right = make_warehouse(
        tmp_path / "right.duckdb", BASE + "update staging.stg_events set price = 10.51 where id = 1;"
    )
    compared, differences = compare_warehouses(left, right)
    assert compared == 2
    assert len(differences) == 1 and differences[0].startswith("staging.stg_events: ")


def test_values_swapped_between_rows_are_a_difference(tmp_path: Path) -> None:
    """Per-column sums would not see this; a checksum of whole rows does."""
    left = make_warehouse(tmp_path / "left.duckdb", BASE)
    swapped = BASE + "update staging.stg_events set name = case name when 'a' then 'b' else 'a' end;"
    right = make_warehouse(tmp_path / "right.duckdb", swapped)
    assert [line.split(":")[0] for line in compare_warehouses(left, right)[1]] == ["staging.stg_events"]


def test_missing_tables_columns_and_rows_are_differences(tmp_path: Path) -> None:
    left = make_warehouse(tmp_path / "left.duckdb", BASE + "create table marts.extra as select 1 as x;")
    changed = BASE.replace("13.75 as revenue", "13.75 as revenue, 1 as more")
    right = make_warehouse(tmp_path / "right.duckdb", changed + "insert into staging.stg_events values (2, 'b', 3.25);")
    _, differences = compare_warehouses(left, right)
    assert [line.split(":")[0] for line in differences] == ["marts.extra", "marts.kpi", "staging.stg_events"]
    assert "only in left.duckdb" in differences[0]
    assert "2 rows in left.duckdb, 3 in right.duckdb" in differences[2]


def test_the_run_column_and_other_schemas_are_left_out(tmp_path: Path) -> None:
    with_run = BASE + "alter table staging.stg_events add column loaded_in_run bigint default {run};"
    left = make_warehouse(tmp_path / "left.duckdb", with_run.format(run=1) + "create table snapshots.s as select 1;")
    right = make_warehouse(tmp_path / "right.duckdb", with_run.format(run=2) + "create table snapshots.s as select 2;")
    assert compare_warehouses(left, right) == (2, [])


# --- Spark's totals against dbt's marts ----------------------------------------------------

MARTS = """
    create table marts.fact_monthly_summary as
        select * from (values (date '2019-10-01', 100.10, 3), (date '2019-11-01', 50.05, 2))
            as t(month_start, revenue, purchases);
    create table marts.kpi_summary as select 150.15 as lifetime_revenue, 4 as total_customers;
"""


def test_dbt_totals_are_read_from_the_marts(tmp_path: Path) -> None:
    database = make_warehouse(tmp_path / "w.duckdb", MARTS)
    totals = read_dbt_totals(database)
    assert totals == Totals(purchases=5, revenue=Decimal("150.15"), customers=4)
    assert totals_differences(Totals(5, Decimal("150.150"), 4), totals) == []
    assert totals_differences(Totals(5, Decimal("150.14"), 4), totals) == ["revenue: Spark 150.14, dbt 150.15"]


def test_a_missing_mart_column_fails_with_one_sentence(tmp_path: Path) -> None:
    database = make_warehouse(tmp_path / "w.duckdb", MARTS.replace("4 as total_customers", "4 as customers"))
    with pytest.raises(BenchFailed, match=r"^marts\.kpi_summary has no column total_customers, .*\.$"):
        read_dbt_totals(database)


def test_a_missing_mart_fails_with_one_sentence(tmp_path: Path) -> None:
    database = make_warehouse(tmp_path / "w.duckdb", "select 1")
    with pytest.raises(BenchFailed, match=r"^The warehouse has no table marts\.fact_monthly_summary, .*\.$"):
        read_dbt_totals(database)


# --- measurement and report ---------------------------------------------------------------

GRANDCHILDREN = textwrap.dedent(
    """
    import subprocess, sys
    hold = "import time; block = b'x' * 200_000_000; time.sleep(1.5)"
    children = [subprocess.Popen([sys.executable, "-c", hold]) for _ in range(2)]
    sys.exit(max(child.wait() for child in children))
    """
)


def test_peak_memory_is_the_whole_tree_at_once(tmp_path: Path) -> None:
    """Two grandchildren of 200 MB each, alive together: more than any single process held."""
    measurement = run_measured([sys.executable, "-c", GRANDCHILDREN], env=dict(os.environ), cwd=tmp_path)
    assert measurement.returncode == 0
    assert measurement.peak_rss_bytes > 400_000_000
    assert measurement.wall_seconds >= 1.5


def test_a_small_child_of_a_large_harness_is_measured_at_its_own_size(tmp_path: Path) -> None:
    """On Linux a child's ru_maxrss starts at its parent's RSS at the fork: the harness, grown by
    comparing two warehouses in-process, must not lend its size to the next step."""
    harness_ballast = bytearray(800_000_000)
    for offset in range(0, len(harness_ballast), 4096):
        harness_ballast[offset] = 1  # touched, so resident
    script = "import time; time.sleep(0.5)"
    measurement = run_measured([sys.executable, "-c", script], env=dict(os.environ), cwd=tmp_path)
    assert measurement.returncode == 0
    assert 0 < measurement.peak_rss_bytes < 200_000_000
    del harness_ballast


def test_a_failing_command_reports_its_exit_status_and_last_lines(tmp_path: Path) -> None:
    script = "print('one'); print('{\"rows\": 3}'); raise SystemExit(3)"
    measurement = run_measured([sys.executable, "-c", script], env=dict(os.environ), cwd=tmp_path, capture_stdout=True)
    assert measurement.returncode == 3
    assert measurement.last_lines == ("one", '{"rows": 3}')


def test_sections_are_appended_newest_last_under_one_header(tmp_path: Path) -> None:
    environment = Environment("abc1234", 2, 2, 8.0, "cpu", {"duckdb": "2.0.1"})
    report = tmp_path / "benchmarks.md"
    for events in (1_000, 2_000):
        run = BenchRun(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), events, 42, environment, rows_landed_first=900)
        run.steps["a"] = StepResult("a", 2.0, 100_000_000, 900)
        run.steps["b"] = StepResult("b", 6.0, 200_000_000, 900)
        append_section(report, format_section(run))
    text = report.read_text()
    assert text.count(HEADER) == 1
    assert text.index("1,000 events") < text.index("2,000 events")
    assert "| a | floor: DuckDB reads the landed CSVs once | 2.00 | 450 | 0.10 |" in text
    assert "b/a = 3.00, b/e = n/a, c/b = n/a, d/b = n/a" in text


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_bench_defaults_to_ten_million_events_unless_events_is_given() -> None:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("MAKE") and key != "EVENTS"}

    def planned(*args: str, env: dict[str, str] = clean) -> str:
        done = subprocess.run(["make", "-n", "bench", *args], cwd=REPO, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "-m bench run --events 10000000 --seed 42" in planned()
    assert "-m bench run --events 123 --seed 7" in planned("EVENTS=123", "SEED=7")
    # EVENTS in the environment (the demo's size, say) is not a request for the bench's size
    assert "-m bench run --events 10000000 --seed 42" in planned(env={**clean, "EVENTS": "5"})
    assert "--compare-events 10000000" in planned("EVENTS=110000000", "COMPARE_EVENTS=10000000")
    assert "--compare-events" not in planned(env={**clean, "COMPARE_EVENTS": "5"})


# --- two history sizes --------------------------------------------------------------------


def _estimate(full: int, day: int, nothing: int) -> AthenaEstimate:
    runs = {Run.FULL: AthenaTotals(10, full, full), Run.DAY: AthenaTotals(12, day, day),
            Run.NOTHING: AthenaTotals(12, nothing, nothing)}  # fmt: skip
    return AthenaEstimate(runs, [NodeBytes("stg_events", day // 2)], "abc1234", 3_000, full // 2)


def _history(events: int, day_file: int, walls: dict[str, float], athena_bytes: tuple[int, int, int]) -> BenchRun:
    environment = Environment("abc1234", 2, 2, 8.0, "cpu", {"duckdb": "2.0.1"})
    run = BenchRun(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), events, 42, environment, rows_landed_first=events)
    run.held_back_bytes, run.landed_bytes = day_file, 60 * day_file
    run.steps = {key: StepResult(key, wall, 1, events) for key, wall in walls.items()}
    run.athena = _estimate(*athena_bytes)
    return run


def test_the_growth_section_compares_the_day_per_gb_of_new_data() -> None:
    small = _history(1_000, 100_000_000, {"b": 40.0, "c": 10.0, "d": 5.0}, (7_000_000_000, 400_000_000, 100_000_000))
    large = _history(11_000, 1_000_000_000, {"b": 400.0, "c": 30.0, "d": 6.0},
                     (70_000_000_000, 6_000_000_000, 500_000_000))  # fmt: skip

    text = format_growth(small, large)

    assert text.startswith("## Growth of a day's cost: 1,000 -> 11,000 events")
    # 10 s over a 0.1 GB day is 100 s per GB; 30 s over 1 GB is 30: the day got cheaper per GB
    assert "| DuckDB: one more day, per GB of new data | s per GB new | 100.0 | 30.0 | 0.30x |" in text
    assert "| DuckDB: one more day (c) | s | 10.0 | 30.0 | 3.00x |" in text
    # 0.4 GB scanned for 0.1 GB new is 4 per GB; 6 GB for 1 GB is 6: it grew 1.5x
    assert "| Athena: one more day, per GB of new data | GB scanned per GB new | 4.000 | 6.000 | 1.50x |" in text
    assert "| Athena: nothing new | GB scanned | 0.100 | 0.500 | 5.00x |" in text
    assert "| Athena: full build | GB scanned | 7.000 | 70.0 | 10.00x |" in text


def test_the_growth_section_says_n_a_for_what_a_run_skipped() -> None:
    small = _history(1_000, 100_000_000, {"b": 40.0, "c": 10.0, "d": 5.0}, (7, 4, 1))
    large = _history(11_000, 1_000_000_000, {"b": 400.0, "c": 30.0, "d": 6.0}, (70, 6, 5))
    small.athena = None
    text = format_growth(small, large)
    assert "| Athena: one more day | GB scanned | n/a | 0.000 | n/a |" in text


def test_compare_events_runs_the_shorter_history_first_then_appends_the_growth(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    histories: list[int] = []

    def execute(ctx, options, run, shared) -> None:
        histories.append(options.events)
        run.held_back_bytes, run.landed_bytes = options.events, 60 * options.events
        run.steps["c"] = StepResult("c", options.events / 1000, 1, options.events)
        run.verdicts.append(Verdict("a check", True, "fine"))

    monkeypatch.setattr(runner, "_execute", execute)
    report = tmp_path / "report.md"
    options = runner.Options(events=20_000, seed=1, work_dir=tmp_path / "work", report=report, keep=False,
                             spark=False, athena=False, compare_events=2_000)  # fmt: skip

    assert runner.run_bench(options, REPO) == 0

    assert histories == [2_000, 20_000]
    text = report.read_text()
    headings = re.findall(r"^## .*$", text, re.M)
    assert [h.split(": ", 1)[1] for h in headings[:2]] == ["2,000 events", "20,000 events"]
    assert headings[2] == "## Growth of a day's cost: 2,000 -> 20,000 events" and len(headings) == 3
    assert "| DuckDB: one more day (c) | s | 2.000 | 20.0 | 10.00x |" in text
    assert text.rstrip().endswith(
        "| Athena: one more day, per GB of new data | GB scanned per GB new | n/a | n/a | n/a |"
    )


def test_a_capture_is_made_once_and_shared_by_both_histories(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[Path] = []

    the_capture = Capture(statements=[])

    def capture(ctx, out: Path) -> Capture:
        made.append(out)
        return the_capture

    monkeypatch.setattr(athena, "capture_statements", capture)
    options = runner.Options(events=10, seed=1, work_dir=tmp_path, report=tmp_path / "r.md", keep=False, spark=False)
    ctx = runner.steps.Context(REPO, runner.steps.WorkDir(tmp_path))
    shared: list = []

    first = runner._statements(ctx, options, runner.Progress(2), shared)
    second = runner._statements(ctx, options, runner.Progress(2), shared)

    assert first is the_capture and second is the_capture and made == [tmp_path / "athena-statements.json"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--compare-events", "5000"],
            "--compare-events 5,000 must be smaller than --events 1,000: "
            "it is the shorter history the day is compared on.",
        ),
        (["--athena-statements", "no-such-capture.json"], "--athena-statements no-such-capture.json is not a file."),
    ],
)
def test_a_wrong_athena_or_comparison_option_is_refused_in_one_line(
    tmp_path: Path, extra: list[str], message: str
) -> None:
    work, report = tmp_path / "work", tmp_path / "report.md"
    result = run_bench("--events", 1000, "--work-dir", work, "--report", report, "--no-spark", *extra)
    assert result.returncode == 2
    assert result.stderr == f"error: {message}\n"
    assert not work.exists() and not report.exists()
