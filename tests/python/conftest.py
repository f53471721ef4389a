"""Shared fixtures: small Kaggle-format files written on the fly, and real dbt builds on DuckDB.

Expensive work that many tests only read (the generated warehouse, the dbt project parsed once)
is done once per test run, by whichever pytest-xdist worker asks first (`built_once`); the
other workers wait for it and read the same files. A test that changes such files works on its
own copy (`copy_warehouse`).
"""

from __future__ import annotations

import fcntl
import json
import os
import pickle
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pytest

from tests import dbt_forkserver

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO.parent / "shared" / "samples"
REAL_SAMPLE = SAMPLES / "kaggle-2019-Oct-first5019.csv"
HEADER = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session"


def write_csv(
    path: Path, rows: list[str], header: str | None = HEADER, newline: str = "\n", final_newline: bool = True
) -> Path:
    """A raw file with the given data lines, as bytes exactly as asked."""
    lines = ([header] if header is not None else []) + rows
    text = newline.join(lines) + (newline if final_newline and lines else "")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode())
    return path


def run_module(module: str, *args: str | Path | int, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    """`python -m <module> ...` as a user runs it (ingest, synthetic_events, mart_oracle, ...)."""
    return subprocess.run(
        [sys.executable, "-m", module, *map(str, args)], cwd=cwd, capture_output=True, text=True, check=False
    )


def run_ingest(*args: str | Path | int, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    """`python -m ingest ...` as a user runs it."""
    return run_module("ingest", *args, cwd=cwd)


T = TypeVar("T")


# The session fixtures that run dbt, and the one that starts a browser: a test that uses one of
# them (directly or through another fixture) carries the marker, which `make test-fast` leaves out.
MARKED_BY_FIXTURE = {
    "generated_build": "dbt",
    "generated_docs": "dbt",
    "athena_capture": "dbt",
    "chromium": "browser",
}


# A session build read by the tests of a few modules only: they share one worker, so that one
# worker waits for it while the other runs other tests.
GROUPED_BY_SESSION_FIXTURE = {"athena_capture": "athena-capture"}
# The groups that take longest (docs/testing.md), handed to the workers first (the suite runs
# with --no-loadscope-reorder, in this order), so that no long group starts last. Every other
# test follows in collection order.
LONGEST_FIRST = [
    "athena-capture",
    "test_late_files",
    "test_athena_late_files",
    # after the capture's worker has made the capture, which its tiny run reads
    "test_bench",
    "test_dbt_build_faults",
    "test_incremental",
    "test_settings_quoting",
]


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by these markers and xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if isinstance(item, pytest.Function):
            _mark_by_fixtures(item)
            _group_by_shared_fixture(item)
    items.sort(key=_longest_first)


def _longest_first(item: pytest.Item) -> int:
    marker = item.get_closest_marker("xdist_group")
    group = str(marker.args[0]).split(":")[0] if marker is not None and marker.args else ""
    return LONGEST_FIRST.index(group) if group in LONGEST_FIRST else len(LONGEST_FIRST)


# `make test-fast` sets it: a test that starts dbt, the stand-in's capture, the benchmark, the
# demo or a browser without its marker fails there instead of slowing the fast loop down.
FAST_SUITE = "TEST_FAST_SUITE"
_SLOW_MODULES = {
    "tests.athena.dbt_cli": "dbt",
    "tests.athena.capture": "dbt",
    "tests.dbt_forkserver": "dbt",
    "bench": "dbt",
    "athena_estimate": "dbt",
}
_SLOW_PROGRAMS = {
    "dbt": "dbt",
    "chromium": "browser",
    "google-chrome": "browser",
    "checkov": "scanner",
    "cfn-lint": "scanner",
}


def _slow_part(argv: list[str]) -> str | None:
    """The marker a command needs, when it starts one of the suite's slow parts."""
    program = Path(argv[0]).name if argv else ""
    if program in _SLOW_PROGRAMS:
        return _SLOW_PROGRAMS[program]
    if "-m" in argv[:-1]:
        module = argv[argv.index("-m") + 1]
        if module in _SLOW_MODULES and not (module == "athena_estimate" and "capture" not in argv):
            return _SLOW_MODULES[module]
    if program == "make" and "demo" in argv:
        return "dbt"
    return None


@pytest.fixture(autouse=True)
def _fast_suite_starts_nothing_slow(monkeypatch: pytest.MonkeyPatch) -> None:
    if os.environ.get(FAST_SUITE) != "1":
        return
    original = subprocess.Popen.__init__

    def guarded(self: subprocess.Popen[Any], args: Any, *rest: Any, **options: Any) -> None:
        argv = [str(word) for word in args] if isinstance(args, list | tuple) else [str(args)]
        marker = _slow_part(argv)
        if marker is not None:
            command = " ".join(argv[:3])
            pytest.fail(f"this test starts {command} but is not marked {marker}, which make test-fast leaves out")
        original(self, args, *rest, **options)

    monkeypatch.setattr(subprocess.Popen, "__init__", guarded)


def _mark_by_fixtures(item: pytest.Function) -> None:
    for fixture, marker in MARKED_BY_FIXTURE.items():
        if fixture in item.fixturenames and item.get_closest_marker(marker) is None:
            item.add_marker(marker)


def _group_by_shared_fixture(item: pytest.Function) -> None:
    """Tests that share a module-scoped fixture run on one xdist worker (`--dist loadgroup`), so
    the fixture is made once: their group is their module, and the fixture's parameter when it
    has one (each parameter is a fixture of its own). Session-wide builds are shared across
    workers by built_once and need no group."""
    for fixture, group in GROUPED_BY_SESSION_FIXTURE.items():
        if fixture in item.fixturenames and item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(group))
    if item.get_closest_marker("xdist_group") is None:
        shared = {
            name
            for name, definitions in item._fixtureinfo.name2fixturedefs.items()
            if definitions and definitions[-1].scope in ("module", "class", "package")
        }
        if shared:
            indices = getattr(item, "callspec", None) and item.callspec.indices
            params = sorted(f"{name}={indices[name]}" for name in shared if indices and name in indices)
            # no brackets: xdist reads a node id ending in "]" as one without a group
            group = ":".join([item.path.stem, *params])
            item.add_marker(pytest.mark.xdist_group(group))


def run_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The temporary folder of this test run that every xdist worker shares (each worker's own
    base folder is inside it; without xdist it is the base folder itself)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], T]) -> T:
    """`build(folder)` run once per test run in a new folder of the run's shared temporary
    folder, under a file lock: the first worker to ask builds, the others wait and get the same
    (pickled) value. A build that failed fails every later caller with the same message rather
    than being tried again."""
    root = run_root(tmp_path_factory)
    value_file, failure_file = root / f"{name}.value.pickle", root / f"{name}.failure.txt"
    with (root / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if failure_file.exists():
            pytest.fail(f"the shared {name} failed in another test: {failure_file.read_text()}")
        if value_file.exists():
            value: T = pickle.loads(value_file.read_bytes())
            return value
        folder = root / name
        folder.mkdir()
        try:
            value = build(folder)
        except BaseException as error:
            failure_file.write_text(f"{type(error).__name__}: {error}"[-8000:])
            raise
        value_file.write_bytes(pickle.dumps(value))
        return value


@dataclass(frozen=True)
class Warehouse:
    """A finished `dbt build` on DuckDB over one raw folder."""

    raw_dir: Path
    database: Path
    build_log: str


def copy_warehouse(warehouse: Warehouse, workdir: Path) -> Warehouse:
    """A copy of a shared build's warehouse file and dbt artifacts in `workdir`, for a test that
    runs dbt on it (dbt opens the file for writing, which no other process may then open)."""
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(warehouse.database, workdir / "warehouse.duckdb")
    shutil.copytree(warehouse.database.parent / "target", workdir / "target", dirs_exist_ok=True)
    return Warehouse(raw_dir=warehouse.raw_dir, database=workdir / "warehouse.duckdb", build_log=warehouse.build_log)


def run_dbt(
    command: str, raw_dir: Path, workdir: Path, *extra: str, database: Path | None = None, threads: int | None = 1
) -> subprocess.CompletedProcess[str]:
    """Run a real dbt command of this project on DuckDB, isolated in `workdir`."""
    call = dbt_invocation(command, raw_dir, workdir, *extra, database=database, threads=threads)
    return dbt_forkserver.run(call.argv, call.env, call.cwd)


def land_expect_and_build(incoming: Path, work: Path) -> Warehouse:
    """Land `incoming` into work/raw, compute work/expected.json with `mart_oracle expect`, and build."""
    raw = work / "raw"
    landed = run_ingest("land", "--source", incoming, "--dest", raw)
    assert landed.returncode == 0, landed.stderr
    expected = run_module("mart_oracle", "expect", "--source", raw, "--out", work / "expected.json")
    assert expected.returncode == 0, expected.stderr
    return dbt_build(raw, work)


def query(warehouse: Warehouse, sql: str) -> list[dict[str, Any]]:
    """Rows of a query on a built warehouse, as dictionaries."""
    with duckdb.connect(str(warehouse.database), read_only=True) as connection:
        cursor = connection.execute(sql)
        columns = [description[0] for description in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


# row_accounting has a row per landing run; the totals are what the expected values hold.
ROW_ACCOUNTING_TOTALS = (
    "select cast(sum(rows_read) as bigint) as rows_read, cast(sum(rows_accepted) as bigint) as rows_accepted, "
    "cast(sum(rows_quarantined) as bigint) as rows_quarantined, "
    "cast(sum(duplicates_removed) as bigint) as duplicates_removed from marts.row_accounting"
)


# A unit test's result depends on its model's SQL and the fixtures in its YAML, not on the
# warehouse: the shared generated build and the incremental test's second build run them (a
# first and an incremental build), every other build leaves them out.
WITHOUT_UNIT_TESTS = ("--exclude-resource-type", "unit_test")
# A reference build whose only job is to give the tables another build is compared with (a full
# refresh beside the incremental build under test) leaves the data tests out: they are about half
# of a small build's time, the build under test runs them on the rows it writes, and the shared
# generated build runs every one of them over a whole full build.
WITHOUT_DATA_TESTS = ("--exclude-resource-type", "test")


def dbt_build(
    raw_dir: Path,
    workdir: Path,
    *extra: str,
    unit_tests: bool = False,
    data_tests: bool = True,
    threads: int | None = 1,
) -> Warehouse:
    """Run the real dbt build of this project on DuckDB, isolated in `workdir`."""
    excluded = (() if unit_tests else WITHOUT_UNIT_TESTS) + (() if data_tests else WITHOUT_DATA_TESTS)
    result = run_dbt("build", raw_dir, workdir, *extra, *excluded, threads=threads)
    if result.returncode != 0:
        pytest.fail(f"dbt build failed:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}")
    return Warehouse(raw_dir=raw_dir, database=workdir / "warehouse.duckdb", build_log=result.stdout)


GENERATED_EVENTS = 60_000
# Valid lines with RFC 4180 quoting (a quoted comma, doubled quotes, quoted numbers, a quoted
# empty field), beside the generated files, which have no quote: every build of the generated
# data, the Athena conformance harness's differential check included, also goes through the
# quote-aware path of stg_event_lines. Both are accepted, so the generated data keeps no
# rejected row; the expected values are computed over all the files, these included.
QUOTED_LINES = [
    '2019-10-15 10:00:00 UTC,purchase,"1004237",2053013555631882655,electronics.smartphone,"acme, inc",1081.98,'
    '"535871217",aaaaaaaa-0000-4000-8000-0000000000a1',
    '2019-10-15 10:01:00 UTC,view,1004237,2053013555631882655,"","say ""hi""",1081.98,535871217,'
    "aaaaaaaa-0000-4000-8000-0000000000a1",
]


@pytest.fixture(scope="session")
def generated_build(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """Generated October-November data, landed and built by dbt once per test run: shared by
    every test that reads it (read-only: a test that runs dbt on it uses copy_warehouse)."""
    return built_once(tmp_path_factory, "generated-build", _build_generated)


def _build_generated(work: Path) -> Warehouse:
    generated = run_module(
        "synthetic_events", "--out", work / "generated", "--events", GENERATED_EVENTS, "--seed", 7, "--no-expected"
    )
    assert generated.returncode == 0, generated.stderr
    write_csv(work / "generated" / "quoted-fields.csv", QUOTED_LINES)
    expected = run_module(
        "mart_oracle", "expect", "--source", work / "generated", "--out", work / "generated" / "expected.json"
    )
    assert expected.returncode == 0, expected.stderr
    landed = run_ingest("land", "--source", work / "generated", "--dest", work / "raw")
    assert landed.returncode == 0, landed.stderr
    return dbt_build(work / "raw", work, unit_tests=True, threads=None)


@pytest.fixture(scope="session")
def generated_docs(generated_build: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`dbt docs generate` over a copy of the generated build, once per test run: its target
    folder (manifest.json, catalog.json, index.html), read by the docs tests and the docs site."""

    def generate(work: Path) -> Path:
        own = copy_warehouse(generated_build, work)
        result = run_dbt("docs generate", own.raw_dir, work)
        assert result.returncode == 0, result.stdout[-4000:]
        return work / "target"

    return built_once(tmp_path_factory, "generated-docs", generate)


@dataclass(frozen=True)
class AthenaCapture:
    """The statements' JSON of a capture through the Athena stand-in, and its work folder."""

    statements: Path
    workdir: Path


@pytest.fixture(scope="session")
def athena_capture(tmp_path_factory: pytest.TempPathFactory) -> AthenaCapture:
    """What dbt-athena sends through the stand-in for a full build, an incremental day, a run with
    nothing new, the weekly housekeeping run, a pull request's slim build, the unit tests and the
    source freshness checks, with the first three runs' cost ledgers read back: one `python -m
    tests.athena.capture --bill --vacuum --pull-request --conformance` per test run, read by the
    estimate, housekeeping, pull-request and conformance tests."""

    def capture(folder: Path) -> AthenaCapture:
        out, work = folder / "statements.json", folder / "work"
        flags = ("--bill", "--vacuum", "--pull-request", "--conformance")
        dbt_forkserver.server()  # the capture's dbt commands go through this worker's server
        result = run_module(
            "tests.athena.capture", "--out", out, "--events", 3_000, "--seed", 11, "--workdir", work, *flags
        )
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
        return AthenaCapture(statements=out, workdir=work)

    return built_once(tmp_path_factory, "athena-capture", capture)


# The two tables that describe the landing history (which runs landed what, and when) rather
# than the data: equal only between builds over the same landings. Between two separate
# landings of the same files they are compared without the times and run ids, as totals.
LANDING_HISTORY_QUERIES = {
    "staging.stg_landed_files": "select * exclude (landed_at, landing_run_id) from staging.stg_landed_files",
    "marts.row_accounting": (
        "select sum(files_landed), sum(rows_read), sum(rows_accepted), sum(rows_quarantined), "
        "sum(duplicates_removed) from marts.row_accounting"
    ),
}


def table_contents(warehouse: Warehouse, *, same_landings: bool = True) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of the staging, intermediate and marts schemas, rows sorted; file
    paths made relative to the raw folder, which differs between the two builds, and
    `loaded_in_run` left out: it names the run that wrote a row, which is what differs
    between one build and two. The snapshot is left out too: two builds are two points in
    its history by design. `same_landings=False` compares builds over separate landings of
    the same files (LANDING_HISTORY_QUERIES)."""

    def relative(value: Any) -> Any:
        return value.replace(str(warehouse.raw_dir), "<raw>") if isinstance(value, str) else value

    def select(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> str:
        if not same_landings and f"{schema}.{table}" in LANDING_HISTORY_QUERIES:
            return LANDING_HISTORY_QUERIES[f"{schema}.{table}"]
        if "loaded_in_run" in columns_of(connection, schema, table):
            return f'select * exclude (loaded_in_run) from "{schema}"."{table}"'
        return f'select * from "{schema}"."{table}"'

    with duckdb.connect(str(warehouse.database), read_only=True) as connection:
        tables = connection.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('staging', 'intermediate', 'marts') order by all"
        ).fetchall()
        return {
            f"{schema}.{table}": sorted(
                (tuple(map(relative, row)) for row in connection.execute(select(connection, schema, table)).fetchall()),
                key=repr,
            )
            for schema, table in tables
        }


def columns_of(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> set[str]:
    rows = connection.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchall()
    return {name for (name,) in rows}


@dataclass(frozen=True)
class DbtCall:
    """How to start one dbt command of this project: its argv, environment and working directory."""

    argv: list[str]
    env: dict[str, str]
    cwd: Path


# The warehouse as the profile names it when a test does not give one: relative to the working
# directory of the dbt process (its workdir), so that every test's profile is the same and its
# first dbt command parses the project partially from the run's one full parse (PARSED_PROJECT).
DEFAULT_DATABASE = Path("warehouse.duckdb")
PARSED_PROJECT = "dbt-parsed-project"


def dbt_invocation(
    command: str,
    raw_dir: Path,
    workdir: Path,
    *extra: str,
    database: Path | None = None,
    seeded: bool = True,
    threads: int | None = 1,
) -> DbtCall:
    """The argv, environment and working directory (`workdir`) of `run_dbt`, with profiles,
    target and logs in `workdir`, for a caller that starts dbt itself, e.g. to stop it part-way.
    `raw_dir` and `database` may be relative to `workdir`. A new target folder starts with the
    run's parsed project (dbt then re-reads only the files whose env vars differ), unless
    `seeded` is false. One dbt thread unless `threads` says otherwise (None: the profile's two):
    the suite runs a dbt process per core, where a second thread of the same process only
    waits for the first (dbt's work is Python's, one thread at a time); the shared generated
    build keeps the profile's threads."""
    profiles = workdir / "profiles"
    profiles.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "profiles.yml.example", profiles / "profiles.yml")
    target = workdir / "target"
    parsed = _parsed_project() if seeded and not (target / "partial_parse.msgpack").exists() else None
    if parsed is not None:
        target.mkdir(exist_ok=True)
        shutil.copyfile(parsed, target / "partial_parse.msgpack")
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(profiles),
        "ECOM_RAW_DIR": str(raw_dir),
        "ECOM_DUCKDB_PATH": str(database or DEFAULT_DATABASE),
        "DBT_TARGET": "local",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    argv = [
        str(Path(sys.executable).with_name("dbt")),
        *command.split(),  # "build", or a subcommand such as "docs generate"
        "--project-dir",
        str(REPO),
        "--target-path",
        str(target),
        "--log-path",
        str(workdir / "logs"),
        *(("--threads", str(threads)) if threads is not None else ()),
        *extra,
    ]
    return DbtCall(argv=argv, env=env, cwd=workdir)


_session_temp: pytest.TempPathFactory | None = None


@pytest.fixture(scope="session", autouse=True)
def _remember_session_temp(tmp_path_factory: pytest.TempPathFactory) -> None:
    global _session_temp
    _session_temp = tmp_path_factory
    # dbt commands of this worker go through one fork server (tests/dbt_forkserver.py), started
    # by the first of them: dbt's imports once per worker instead of once per command
    os.environ[dbt_forkserver.LAUNCH_ENV] = "1"
    # dbt's debug log file costs a fifth of every build's time; the tests that read it ask for it
    # with --log-level-file debug (a flag wins over this variable)
    os.environ.setdefault("DBT_LOG_LEVEL_FILE", "none")


def _parsed_project() -> Path | None:
    """The partial-parse file of one `dbt parse` of the project per test run (about 10 s, made
    when a test first runs dbt): every new target folder of dbt_invocation starts from it."""
    if _session_temp is None:
        return None
    return built_once(_session_temp, PARSED_PROJECT, _parse_project)


def parsed_manifest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The manifest.json of that one `dbt parse` (no database is opened)."""
    partial_parse = built_once(tmp_path_factory, PARSED_PROJECT, _parse_project)
    manifest: dict[str, Any] = json.loads((partial_parse.parent / "manifest.json").read_text())
    return manifest


def _parse_project(work: Path) -> Path:
    call = dbt_invocation("parse", work / "raw", work, seeded=False)
    result = dbt_forkserver.run(call.argv, call.env, call.cwd)
    assert result.returncode == 0, result.stdout[-4000:]
    return work / "target" / "partial_parse.msgpack"
