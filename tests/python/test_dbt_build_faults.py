"""Fault tests for `dbt build` on DuckDB: a build stopped part-way, by kill -9 or by Ctrl-C
(SIGINT), then a plain `dbt build` (no --full-refresh) gives exactly the tables of a clean
`dbt build --full-refresh` over the same raw files, leaves every raw file as it was, and leaves
no temporary or backup relation behind.

The stop point is a statement in dbt's debug output, not a timer: dbt logs each statement just
before it sends it to DuckDB, and the process group gets the signal as soon as that line is read,
so it lands while the statement runs or before the model's COMMIT that follows it, and before
anything downstream of the model starts. Every dbt process here runs in its scenario's own
folder with the raw folder given as the relative path `raw`, so the lineage column
`source_file` reads the same in every warehouse: a scenario starts from a copy of the shared
first build, and its tables compare with the clean build's as they are.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import signal
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from conftest import (
    WITHOUT_DATA_TESTS,
    WITHOUT_UNIT_TESTS,
    Warehouse,
    built_once,
    dbt_invocation,
    run_ingest,
    run_module,
    table_contents,
)
from tests import dbt_forkserver

# Relative to each scenario's folder, the working directory of its dbt runs: the same profile
# everywhere, so every run but the first reuses the first build's parsed project.
RAW = Path("raw")
DATABASE = Path("warehouse.duckdb")
EVENTS = 30_000
# The first build reads every day but the last three; the incremental builds add those.
NEW_DAYS = ("2019-11-28.csv", "2019-11-29.csv")
LAST_DAY = ("2019-11-30.csv",)
BATCHES = ("first", "new-days", "last-day")
# A stopped build that never reaches its stop point, or a rerun that hangs, fails instead.
DBT_TIMEOUT_SECONDS = 300
# Relations dbt's materializations create beside a model and drop when they finish.
LEFTOVER = re.compile(r"__dbt_tmp|__dbt_backup|dbt_temp|__dbt_python_model_df", re.IGNORECASE)

Tables = dict[str, list[tuple[Any, ...]]]


def _relation(model: str) -> str:
    """The quoted name of `schema.name` in dbt's SQL, any database."""
    schema, name = model.split(".")
    return rf'"[^"]+"\."{schema}"\."{name}"'


def merge_into(model: str) -> str:
    """An incremental run's MERGE into the model's table (inside the model's transaction)."""
    return rf"MERGE INTO {_relation(model)} "


def create_table(model: str) -> str:
    """A first build's CREATE TABLE of an incremental model, straight under its own name."""
    return rf"create\s+table\s+{_relation(model)}\s"


def swap_out(model: str) -> str:
    """A table model's swap: the old table renamed to <name>__dbt_backup, the new one not yet in place."""
    name = model.split(".")[1]
    return rf'alter table {_relation(model)} rename to "{name}__dbt_backup"'


def drop_backup(model: str) -> str:
    """A table model's clean-up after its COMMIT: the old table, now <name>__dbt_backup, dropped."""
    schema, name = model.split(".")
    return rf'drop table if exists "[^"]+"\."{schema}"\."{name}__dbt_backup"'


@dataclass(frozen=True)
class Fault:
    """One way a build is stopped, and what is landed around it."""

    name: str
    signal: signal.Signals
    stop_at: str  # a regular expression on dbt's debug output: the statement that triggers the signal
    on_first_build: bool  # stop the very first build, on an empty warehouse
    landed_before: tuple[str, ...]  # batches landed before the stopped build
    landed_after: tuple[str, ...] = ()  # batches landed between the stopped build and the rerun


FAULTS = [
    Fault("kill9-incremental-in-stg_events", signal.SIGKILL, merge_into("staging.stg_events"), False, BATCHES[1:]),
    Fault(
        "kill9-incremental-in-fact_sessions-then-one-more-day",
        signal.SIGKILL,
        merge_into("marts.fact_sessions"),
        False,
        ("new-days",),
        ("last-day",),
    ),
    Fault("kill9-incremental-in-user_ltv-swap", signal.SIGKILL, swap_out("marts.user_ltv"), False, BATCHES[1:]),
    Fault("kill9-incremental-after-user_ltv-commit", signal.SIGKILL, drop_backup("marts.user_ltv"), False, BATCHES[1:]),
    Fault(
        "sigint-incremental-in-int_sessions", signal.SIGINT, merge_into("intermediate.int_sessions"), False, BATCHES[1:]
    ),
    Fault("kill9-first-build-in-stg_events", signal.SIGKILL, create_table("staging.stg_events"), True, BATCHES),
    Fault("kill9-first-build-in-fact_sessions", signal.SIGKILL, create_table("marts.fact_sessions"), True, BATCHES),
]


@dataclass(frozen=True)
class Stopped:
    returncode: int
    output: str
    reached_stop_point: bool


@dataclass(frozen=True)
class Outcome:
    """What a scenario observed: the stopped build, the state it left, the rerun."""

    fault: Fault
    stopped: Stopped
    files_landed_before: int
    files_read_after_stop: int  # distinct raw files in stg_event_lines after the stop
    tables_after_stop: Tables
    leftovers_after_stop: list[str]
    rerun: subprocess.CompletedProcess[str]
    tables_after_rerun: Tables
    leftovers_after_rerun: list[str]
    raw_before_stop: dict[str, str]
    raw_after_stop: dict[str, str]
    raw_before_rerun: dict[str, str]
    raw_after_rerun: dict[str, str]


def dbt_args(command: str, run_dir: Path, *extra: str) -> tuple[list[str], dict[str, str]]:
    """A build of the scenario's warehouse (unit tests left out: they read no warehouse)."""
    call = dbt_invocation(command, RAW, run_dir, "--no-use-colors", *WITHOUT_UNIT_TESTS, *extra, database=DATABASE)
    return call.argv, {**call.env, "PYTHONUNBUFFERED": "1"}


def run_dbt_in(run_dir: Path, command: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """A dbt command run to its end in `run_dir` (its working directory)."""
    argv, env = dbt_args(command, run_dir, *extra)
    return dbt_forkserver.run(argv, env, run_dir, timeout=DBT_TIMEOUT_SECONDS)


def build_or_fail(run_dir: Path, *extra: str) -> None:
    result = run_dbt_in(run_dir, "build", *extra)
    if result.returncode != 0:
        pytest.fail(f"dbt build failed:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}")


def stop_build_at(run_dir: Path, stop_at: str, sig: signal.Signals) -> Stopped:
    """Start `dbt build --debug`, send `sig` to its process group as soon as its output shows the
    statement `stop_at`, and wait for the process to end. The data tests are left out: the
    stopped build's models are what the scenario is about, and the rerun runs every data test."""
    argv, env = dbt_args("build", run_dir, "--debug", *WITHOUT_DATA_TESTS)
    statement = re.compile(stop_at)
    # its own session and process group: the signal reaches dbt and nothing else
    process = dbt_forkserver.start(argv, env, run_dir, new_session=True)

    def kill_group(group_signal: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):  # already ended
            os.killpg(process.pid, group_signal)

    watchdog = threading.Timer(DBT_TIMEOUT_SECONDS, kill_group, [signal.SIGKILL])
    watchdog.start()
    lines: list[str] = []
    reached = False
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if statement.search("".join(lines[-4:])):  # a statement's first lines
                kill_group(sig)
                reached = True
                break
        lines.append(process.stdout.read())
        returncode = process.wait(timeout=DBT_TIMEOUT_SECONDS)
    finally:
        watchdog.cancel()
        if process.poll() is None:
            kill_group(signal.SIGKILL)
            process.wait()
    return Stopped(returncode=returncode, output="".join(lines), reached_stop_point=reached)


def raw_checksums(run_dir: Path) -> dict[str, str]:
    """sha256 of every file under the raw folder, by path."""
    return {
        str(path.relative_to(run_dir)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted((run_dir / RAW).rglob("*"))
        if path.is_file()
    }


def landed_files(checksums: dict[str, str]) -> list[str]:
    return [path for path in checksums if path.endswith((".csv", ".csv.gz"))]


def warehouse_of(run_dir: Path) -> Warehouse:
    return Warehouse(raw_dir=run_dir / RAW, database=run_dir / DATABASE, build_log="")


def leftover_relations(run_dir: Path) -> list[str]:
    """Every table or view, in any schema, whose name is one of dbt's intermediate relations."""
    with duckdb.connect(str(run_dir / DATABASE), read_only=True) as connection:
        relations = connection.execute(
            "select table_schema || '.' || table_name from information_schema.tables order by 1"
        ).fetchall()
        schemas = connection.execute("select schema_name from information_schema.schemata").fetchall()
    return [name for (name,) in relations + schemas if LEFTOVER.search(name)]


def files_read(run_dir: Path) -> int:
    """Distinct raw files in stg_event_lines (0 when it does not exist yet)."""
    with duckdb.connect(str(run_dir / DATABASE), read_only=True) as connection:
        exists = connection.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'staging' and table_name = 'stg_event_lines'"
        ).fetchall()[0][0]
        if not exists:
            return 0
        return int(
            connection.execute("select count(distinct source_file) from staging.stg_event_lines").fetchall()[0][0]
        )


def land(batches: dict[str, Path], names: tuple[str, ...], run_dir: Path) -> None:
    for name in names:
        landed = run_ingest("land", "--source", batches[name], "--dest", run_dir / RAW)
        assert landed.returncode == 0, landed.stdout + landed.stderr


# The batches, the clean build and the first build are made once per test run (built_once):
# the scenarios are spread over the workers, each starting from a copy of the first build.


@pytest.fixture(scope="module")
def batches(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A small generated dataset, one file per day, split into the three landing batches."""
    return built_once(tmp_path_factory, "fault-data", _generate_batches)


def _generate_batches(work: Path) -> dict[str, Path]:
    generated = work / "generated"
    result = run_module(
        "synthetic_events", "--out", generated, "--events", EVENTS, "--seed", 7, "--per-day", "--no-expected"
    )
    assert result.returncode == 0, result.stderr
    folders = {name: work / name for name in BATCHES}
    for name, files in (("new-days", NEW_DAYS), ("last-day", LAST_DAY)):
        folders[name].mkdir()
        for file in files:
            shutil.move(generated / file, folders[name] / file)
    generated.rename(folders["first"])
    return folders


@pytest.fixture(scope="module")
def clean(batches: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Tables:
    """A clean `dbt build --full-refresh` over every batch, in its own warehouse: the reference
    every rerun's tables are compared with (each rerun runs the data tests)."""

    def build(run_dir: Path) -> Tables:
        land(batches, BATCHES, run_dir)
        build_or_fail(run_dir, "--full-refresh", *WITHOUT_DATA_TESTS)
        return table_contents(warehouse_of(run_dir), same_landings=False)

    return built_once(tmp_path_factory, "fault-clean", build)


@pytest.fixture(scope="module")
def first_build(batches: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first batch landed and built: the starting point of every incremental scenario."""

    def build(run_dir: Path) -> Path:
        land(batches, ("first",), run_dir)
        build_or_fail(run_dir)
        return run_dir

    return built_once(tmp_path_factory, "fault-first-build", build)


@pytest.fixture(scope="module", params=FAULTS, ids=[fault.name for fault in FAULTS])
def outcome(
    request: pytest.FixtureRequest,
    batches: dict[str, Path],
    first_build: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Outcome:
    fault: Fault = request.param
    run_dir = tmp_path_factory.mktemp(f"fault-{fault.name}") / "run"
    if fault.on_first_build:
        (run_dir / "target").mkdir(parents=True)
        shutil.copy(first_build / "target" / "partial_parse.msgpack", run_dir / "target")
    else:
        shutil.copytree(first_build, run_dir, ignore=shutil.ignore_patterns("logs"))
    land(batches, fault.landed_before, run_dir)

    raw_before_stop = raw_checksums(run_dir)
    stopped = stop_build_at(run_dir, fault.stop_at, fault.signal)
    raw_after_stop = raw_checksums(run_dir)
    files_read_after_stop = files_read(run_dir)
    tables_after_stop = table_contents(warehouse_of(run_dir), same_landings=False)
    leftovers_after_stop = leftover_relations(run_dir)

    land(batches, fault.landed_after, run_dir)
    raw_before_rerun = raw_checksums(run_dir)
    rerun = run_dbt_in(run_dir, "build")
    return Outcome(
        fault=fault,
        stopped=stopped,
        files_landed_before=len(landed_files(raw_before_stop)),
        files_read_after_stop=files_read_after_stop,
        tables_after_stop=tables_after_stop,
        leftovers_after_stop=leftovers_after_stop,
        rerun=rerun,
        tables_after_rerun=table_contents(warehouse_of(run_dir), same_landings=False),
        leftovers_after_rerun=leftover_relations(run_dir),
        raw_before_stop=raw_before_stop,
        raw_after_stop=raw_after_stop,
        raw_before_rerun=raw_before_rerun,
        raw_after_rerun=raw_checksums(run_dir),
    )


@pytest.mark.dbt
def test_the_build_was_stopped_part_way(outcome: Outcome, clean: Tables) -> None:
    """The signal reached dbt at the stop point: past reading the raw files, short of the end."""
    stopped = outcome.stopped
    assert stopped.reached_stop_point, f"dbt never ran {outcome.fault.stop_at!r}:\n{stopped.output[-6000:]}"
    if outcome.fault.signal == signal.SIGKILL:
        assert stopped.returncode == -signal.SIGKILL
    else:
        assert stopped.returncode != 0, stopped.output[-3000:]
        # dbt reports the interrupt; the worker threads are not interrupted, so the statement
        # being run may still commit before dbt cancels the open connections
        assert re.search(r"keyboard ?interrupt", stopped.output, re.IGNORECASE), stopped.output[-3000:]
    # the stopped build had read every landed file, and left the warehouse short of the clean one
    assert outcome.files_read_after_stop == outcome.files_landed_before
    assert outcome.tables_after_stop != clean


@pytest.mark.dbt
def test_the_next_plain_build_completes(outcome: Outcome) -> None:
    rerun = outcome.rerun
    assert rerun.returncode == 0, f"{rerun.stdout[-6000:]}\n{rerun.stderr[-2000:]}"


@pytest.mark.dbt
def test_the_next_plain_build_gives_the_tables_of_a_clean_full_refresh(outcome: Outcome, clean: Tables) -> None:
    tables = outcome.tables_after_rerun
    assert tables.keys() == clean.keys()
    assert len(tables) >= 20
    different = [name for name in clean if tables[name] != clean[name]]
    assert different == []


@pytest.mark.dbt
def test_no_raw_file_changes(outcome: Outcome) -> None:
    assert outcome.raw_after_stop == outcome.raw_before_stop
    assert outcome.raw_after_rerun == outcome.raw_before_rerun
    assert len(landed_files(outcome.raw_after_rerun)) == 61  # every day of October and November


@pytest.mark.dbt
def test_no_temporary_or_backup_relation_is_left_behind(outcome: Outcome) -> None:
    assert outcome.leftovers_after_rerun == []
