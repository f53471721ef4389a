"""One benchmark run, start to end: checks what it needs, runs the steps in order, checks the
results, prints and appends the report, and removes the work folder.

The steps run as: (capture) the SQL dbt-athena sends, through the stand-in, unless given or
--no-athena; generate, land all days but the last, (a) the floor, (b) a full refresh, (e)
Spark over the same files as (b), (c) landing the last day and an incremental build,
(athena) the warehouse's Parquet sizes and the estimate at them, (check) a full refresh over
all the files into a second warehouse and the comparison of the two, (d) a build with nothing
new. A failed step stops the run; a failed check still writes the report. The work folder is
removed after a successful run unless --keep; after a failure it is kept for inspection (the
next run empties it). With --compare-events the whole run is made twice in the same work
folder, the shorter history first, and a growth section compares the day on both.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import shutil
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from athena_estimate.captured import Capture
from bench import athena, steps
from bench.compare import COMPARED_SCHEMAS, RUN_COLUMNS, Totals, compare_warehouses, read_dbt_totals, totals_differences
from bench.dbt_results import slowest_nodes
from bench.errors import BenchError
from bench.machine import describe
from bench.measure import Measurement
from bench.report import append_section, format_growth, format_section
from bench.results import BenchRun, StepResult, Verdict
from bench.workdir import claim, remove

WAREHOUSE_CHECK = "incremental warehouse (after c) = full refresh over the same files"
SPARK_CHECK = "Spark's totals = dbt's marts (kpi_summary, fact_monthly_summary) after b"


@dataclass(frozen=True)
class Options:
    events: int
    seed: int
    work_dir: Path
    report: Path
    keep: bool
    spark: bool
    athena: bool = True
    athena_statements: Path | None = None  # a capture to reuse; None: capture one
    compare_events: int | None = None  # a smaller history run first, for the growth section


class Progress:
    """Prints a line before each step: what it does and how many steps are left."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0

    def step(self, text: str) -> None:
        self.done += 1
        left = self.total - self.done
        print(f"\n==> [{self.done}/{self.total}] {text} ({left} step{'' if left == 1 else 's'} left after this one)")


def _java_available() -> bool:
    java_home = os.environ.get("JAVA_HOME")
    return shutil.which("java") is not None or bool(java_home and Path(java_home, "bin", "java").exists())


def check_prerequisites(options: Options, repo: Path) -> None:
    """Refuse, before anything is written, what would make the run fail later."""
    if not (repo / "profiles.yml").is_file():
        raise BenchError(f"{repo / 'profiles.yml'} is missing: `make setup` copies it from profiles.yml.example.")
    steps.dbt_executable()
    if options.spark and importlib.util.find_spec("pyspark") is None:
        raise BenchError("pyspark is not installed: `make bench` installs requirements-bench.txt, or pass --no-spark.")
    if options.spark and not _java_available():
        raise BenchError("Spark needs Java 17 or newer and no `java` was found: install one, or pass --no-spark.")
    if options.athena_statements is not None and not options.athena_statements.is_file():
        raise BenchError(f"--athena-statements {options.athena_statements} is not a file.")
    if options.compare_events is not None and options.compare_events >= options.events:
        raise BenchError(
            f"--compare-events {options.compare_events:,} must be smaller than --events {options.events:,}: "
            "it is the shorter history the day is compared on."
        )
    if options.report.is_dir() or not options.report.parent.is_dir():
        raise BenchError(f"--report {options.report} must be a file in an existing folder.")
    work = options.work_dir.expanduser().absolute()
    if options.report.absolute().is_relative_to(work):
        raise BenchError(f"--report {options.report} is inside the work folder, which the run deletes.")


def _result(key: str, measurement: Measurement, rows: int) -> StepResult:
    return StepResult(key, measurement.wall_seconds, measurement.peak_rss_bytes, rows)


def _spark_verdict(spark: Totals, dbt: Totals) -> Verdict:
    differences = totals_differences(spark, dbt)
    summary = f"purchases {dbt.purchases:,}, revenue {dbt.revenue}, customers {dbt.customers:,} in dbt's marts"
    return Verdict(SPARK_CHECK, not differences, summary, tuple(differences))


def _warehouse_verdict(left: Path, right: Path) -> Verdict:
    compared, differences = compare_warehouses(left, right)
    schemas = ", ".join(COMPARED_SCHEMAS)
    left_out = ", ".join(RUN_COLUMNS)
    summary = f"{compared} tables in {schemas} compared (columns, row count, checksum of all rows but {left_out})"
    if differences:
        summary += f"; {len(differences)} differ"
    return Verdict(WAREHOUSE_CHECK, not differences, summary, tuple(differences))


def _statements(ctx: steps.Context, options: Options, progress: Progress, shared: list[Capture]) -> Capture:
    """The captured Athena statements: the user's, the one an earlier run of this bench made, or
    a new capture (the SQL does not depend on the history's size, so one serves every run)."""
    if shared:
        return shared[0]
    if options.athena_statements is not None:
        capture = athena.load_statements(options.athena_statements)
    else:
        progress.step("capturing the SQL dbt-athena sends (full, one more day, nothing new) through the stand-in")
        capture = athena.capture_statements(ctx, ctx.work.root / "athena-statements.json")
    shared.append(capture)
    return capture


def _step_count(options: Options, shared: list[Capture]) -> int:
    count = 9 if options.spark else 8
    if options.athena:
        count += 1 if shared or options.athena_statements is not None else 2
    return count


def _execute(ctx: steps.Context, options: Options, run: BenchRun, shared: list[Capture]) -> None:
    work = ctx.work
    progress = Progress(_step_count(options, shared))
    capture = _statements(ctx, options, progress, shared) if options.athena else None

    progress.step(f"generating about {options.events:,} events, one file per day, into {work.generated}")
    steps.generate(ctx, options.events, options.seed)
    held_back = steps.hold_back_last_day(work)
    run.rows_held_back = steps.count_data_rows(held_back)
    run.held_back_bytes = held_back.stat().st_size

    progress.step(f"landing all days but the last ({held_back.name} is held back) into {work.raw}")
    steps.land(ctx, work.generated)
    # landed copies are what every step reads; at 110 M events the generated ones are 14 GB more
    shutil.rmtree(work.generated)

    progress.step("(a) the floor: DuckDB reads the landed CSVs once")
    floor, run.rows_landed_first = steps.run_floor(ctx)
    run.steps["a"] = _result("a", floor, run.rows_landed_first)

    progress.step("(b) dbt build --full-refresh over the landed files")
    run.steps["b"] = _result("b", steps.run_dbt_build(ctx, "b", work.warehouse, True), run.rows_landed_first)
    run.slowest["b"] = slowest_nodes(work.target("b"))

    if options.spark:
        dbt_totals = read_dbt_totals(work.warehouse)
        progress.step("(e) PySpark local[*]: the original pipeline's job over the same files as (b)")
        spark, spark_totals = steps.run_spark(ctx)
        run.steps["e"] = _result("e", spark, run.rows_landed_first)
        run.verdicts.append(_spark_verdict(spark_totals, dbt_totals))
    else:
        run.verdicts.append(Verdict(SPARK_CHECK, None, "Spark skipped (--no-spark)"))

    progress.step(f"(c) landing {held_back.name}, then an incremental dbt build")
    steps.land(ctx, work.held_back)
    run.landed_bytes = steps.landed_bytes(work.raw)
    run.steps["c"] = _result("c", steps.run_dbt_build(ctx, "c", work.warehouse, False), run.rows_landed)
    run.slowest["c"] = slowest_nodes(work.target("c"))

    if capture is not None:
        progress.step("(athena) measuring the warehouse after c as Parquet, for the Athena estimate of b, c and d")
        sizes = athena.measure_sizes(ctx, work.target("c") / "manifest.json")
        run.athena = athena.estimate_run(capture, sizes)

    progress.step(
        f"(check) dbt build --full-refresh, tests left out, over all the files into {work.check_warehouse.name}"
    )
    check = steps.run_dbt_build(ctx, "check", work.check_warehouse, True, tests=False)
    run.steps["check"] = _result("check", check, run.rows_landed)

    progress.step(f"comparing every table of {work.warehouse.name} with {work.check_warehouse.name}")
    run.verdicts.insert(0, _warehouse_verdict(work.warehouse, work.check_warehouse))

    progress.step("(d) dbt build again, nothing new landed")
    run.steps["d"] = _result("d", steps.run_dbt_build(ctx, "d", work.warehouse, False), run.rows_landed)
    run.slowest["d"] = slowest_nodes(work.target("d"))


def _failure_lines(run: BenchRun) -> list[str]:
    return [
        f"{verdict.name}: {detail}" for verdict in run.verdicts if verdict.ok is False for detail in verdict.details
    ]


def _one_run(options: Options, repo: Path, events: int, shared: list[Capture]) -> BenchRun:
    """One history size, start to end; its section is printed and appended to the report."""
    run = BenchRun(
        started_at=dt.datetime.now(dt.UTC),
        events_requested=events,
        seed=options.seed,
        environment=describe(repo),
    )
    work = claim(options.work_dir)
    print(f"work folder: {work.root}")
    finished = False
    try:
        _execute(steps.Context(repo, work), replace(options, events=events), run, shared)
        finished = True
    finally:
        if finished and run.passed and not options.keep:
            remove(work)
            print(f"\nremoved the work folder {work.root}")
        else:
            print(f"\nthe work folder {work.root} is kept (the next bench run empties it)")
    section = format_section(run)
    print("\n" + section)
    append_section(options.report, section)
    print(f"appended to {options.report}")
    return run


def run_bench(options: Options, repo: Path) -> int:
    """The whole run (two, shorter history first, with --compare-events); 0 when every check
    passed, 1 when one found a difference."""
    check_prerequisites(options, repo)
    sizes = [options.events] if options.compare_events is None else [options.compare_events, options.events]
    shared: list[Capture] = []
    runs: list[BenchRun] = []
    for events in sizes:
        if len(sizes) > 1:
            print(f"\n=== the history of {events:,} events ({len(runs) + 1} of {len(sizes)}) ===")
        runs.append(_one_run(options, repo, events, shared))
    if len(runs) == 2:
        section = format_growth(runs[0], runs[1])
        print("\n" + section)
        append_section(options.report, section)
        print(f"appended to {options.report}")
    failed = [line for run in runs for line in _failure_lines(run)]
    if failed:
        print("error: the results differ:\n  " + "\n  ".join(failed), file=sys.stderr)
        return 1
    return 0
