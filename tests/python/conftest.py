"""Shared fixtures: small Kaggle-format files written on the fly, and real dbt builds on DuckDB."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

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


@dataclass(frozen=True)
class Warehouse:
    """A finished `dbt build` on DuckDB over one raw folder."""

    raw_dir: Path
    database: Path
    build_log: str


def run_dbt(
    command: str, raw_dir: Path, workdir: Path, *extra: str, database: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a real dbt command of this project on DuckDB, isolated in `workdir`."""
    argv, env = dbt_invocation(command, raw_dir, workdir, *extra, database=database)
    return subprocess.run(argv, env=env, capture_output=True, text=True, check=False)


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


def dbt_build(raw_dir: Path, workdir: Path, *extra: str) -> Warehouse:
    """Run the real dbt build of this project on DuckDB, isolated in `workdir`."""
    result = run_dbt("build", raw_dir, workdir, *extra)
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
    """Generated October-November data, landed and built by dbt: shared by every test that reads it."""
    work = tmp_path_factory.mktemp("generated")
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
    return dbt_build(work / "raw", work)


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


def dbt_invocation(
    command: str, raw_dir: Path, workdir: Path, *extra: str, database: Path | None = None
) -> tuple[list[str], dict[str, str]]:
    """The argv and environment of `run_dbt` (profiles, target and logs in `workdir`), for a
    caller that starts dbt itself, e.g. to stop it part-way. `raw_dir` may be relative: DuckDB
    resolves it against the working directory of the dbt process."""
    profiles = workdir / "profiles"
    profiles.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "profiles.yml.example", profiles / "profiles.yml")
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(profiles),
        "ECOM_RAW_DIR": str(raw_dir),
        "ECOM_DUCKDB_PATH": str(database or workdir / "warehouse.duckdb"),
        "DBT_TARGET": "local",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    argv = [
        str(Path(sys.executable).with_name("dbt")),
        *command.split(),  # "build", or a subcommand such as "docs generate"
        "--project-dir",
        str(REPO),
        "--target-path",
        str(workdir / "target"),
        "--log-path",
        str(workdir / "logs"),
        *extra,
    ]
    return argv, env
