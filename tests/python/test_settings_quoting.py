"""Settings are values, not SQL (macros/settings.sql), and both engines read the same files.

ECOM_RAW_DIR (DuckDB) and ECOM_RAW_S3_URI (Athena) reach SQL only checked and quoted: a
landing root, a warehouse or a clone of the project under a folder named like
`o'brien dépôt ($1)` builds, a hostile folder name is read as a folder name, and a value
of the wrong shape stops the run with one line naming the variable, the value and the shape
expected. DuckDB reads what Athena reads: no file or folder under events/ whose name starts
with `_` or `.` (Hadoop's hidden files), and Athena's partition projection covers the years
of the `raw_partition_years` var.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import HEADER, REPO, run_dbt, run_ingest, run_module, write_csv
from tests import dbt_forkserver
from tests.athena import statements as st

# A quote, spaces, accents, parentheses and a `$` (string.Template, which dbt-duckdb formats
# the source's external_location with, reads `$1` as a placeholder).
TRICKY = "o'brien dépôt ($1)"
# What a folder name could do to SQL that pasted it into a literal unquoted.
HOSTILE = "raw'); create table pwned as select 1; --"
# The dbt files a clone of the project needs (profiles.yml.example becomes its profiles.yml).
DBT_FILES = ["dbt_project.yml", "models", "macros", "seeds", "tests", "analyses", "snapshots", "selectors.yml"]
ROW = "2019-10-0{day} 10:00:00 UTC,view,1,2053013555631882655,,,1.00,5,s{day}"


def land_small(work: Path, dest: Path, seed: int) -> None:
    """Generated October-November files (a few thousand events), landed with the real landing."""
    generated = run_module(
        "synthetic_events", "--out", work / "generated", "--events", 2_000, "--seed", seed, "--no-expected"
    )
    assert generated.returncode == 0, generated.stderr
    landed = run_ingest("land", "--source", work / "generated", "--dest", dest)
    assert landed.returncode == 0, landed.stderr


def data_lines(raw: Path) -> dict[str, int]:
    """Lines after the header of each landed file, by path."""
    return {
        str(path): len(path.read_text().splitlines()) - 1 for path in sorted((raw / "events").glob("year=*/month=*/*"))
    }


def built(database: Path) -> tuple[int, dict[str, int], set[str]]:
    """row_accounting's rows read, stg_raw_files' lines by file, and every table name."""
    with duckdb.connect(str(database), read_only=True) as connection:
        rows_read = connection.execute("select sum(rows_read) from marts.row_accounting").fetchall()[0][0]
        files = dict(connection.execute("select source_file, lines_read from staging.stg_raw_files").fetchall())
        tables = {name for (name,) in connection.execute("select table_name from duckdb_tables()").fetchall()}
    return rows_read, files, tables


def dbt(*args: str, env: dict[str, str], project: Path = REPO, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    """The real dbt CLI with only the given ECOM_/DBT_/AWS_ settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ECOM_", "DBT_", "AWS_"))}
    command = [str(Path(sys.executable).with_name("dbt")), *args, "--project-dir", str(project)]
    return dbt_forkserver.run(command, {**clean, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **env}, cwd)


# When an on-run-start hook fails, dbt leaves a ThreadPool unclosed, and at interpreter exit
# Python may print "Exception ignored in: <function Pool.__del__ ...>" with an OSError traceback
# from the pool's own pipe, depending on timing (seen once in CI on a loaded machine, 7 of 8
# cases; never in the other runs). That is dbt's shutdown noise, not this project's error: it is
# taken out before the output is checked for a traceback.
_DBT_POOL_SHUTDOWN_NOISE = re.compile(
    r"Exception ignored in: <function Pool\.__del__ at 0x[0-9a-f]+>\n"
    r"Traceback \(most recent call last\):\n(?:[ ]+.*\n)*OSError: \[Errno 9\] Bad file descriptor\n?"
)


def assert_one_line_error(result: subprocess.CompletedProcess[str], variable: str, value: str, shape: str) -> None:
    """The run failed, and exactly one line names the variable, its value and the shape expected."""
    output = _DBT_POOL_SHUTDOWN_NOISE.sub("", result.stdout + result.stderr)
    assert result.returncode != 0, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    lines = [line for line in output.splitlines() if f"{variable}={value!r} is not valid: expected" in line]
    assert len(lines) == 1, output[-3000:]
    assert shape in lines[0]


# ------------------------------------------------------------------ DuckDB: real builds


@pytest.fixture(scope="module")
def tricky_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, int]]:
    """Raw folder and warehouse under TRICKY, with hidden files put in the raw layout by hand."""
    work = tmp_path_factory.mktemp("settings") / TRICKY
    raw = work / "raw"
    land_small(work, raw, seed=5)
    visible = data_lines(raw)
    month = raw / "events" / "year=2019" / "month=10"
    hidden = [
        month / "_hidden.csv",
        month / ".x.csv",
        month / "_tmp" / "inside.csv",
        raw / "events" / "year=2019" / "_tmp" / "month.csv",
        raw / "events" / "year=2019" / "month=1" / "one-digit.csv",
    ]
    for number, path in enumerate(hidden, start=1):
        write_csv(path, [ROW.format(day=number)] * 3)
    result = run_dbt("build", raw, work)
    assert result.returncode == 0, result.stdout[-6000:]
    return raw, work / "warehouse.duckdb", visible


@pytest.mark.dbt
def test_a_raw_folder_and_warehouse_under_a_quote_accents_and_a_dollar_build(
    tricky_build: tuple[Path, Path, dict[str, int]],
) -> None:
    raw, database, visible = tricky_build
    rows_read, files, _ = built(database)

    assert "'" in str(raw) and "$" in str(raw) and "ô" in str(database)
    assert rows_read == sum(visible.values()) > 1_000
    assert files == visible


@pytest.mark.dbt
def test_duckdb_reads_no_hidden_file_or_folder_as_athena_would(
    tricky_build: tuple[Path, Path, dict[str, int]],
) -> None:
    _, database, visible = tricky_build
    rows_read, files, _ = built(database)

    # row_accounting counts the landed files' lines only: none of the 15 lines put by hand
    assert rows_read == sum(visible.values())
    assert not [name for name in files if "_" in Path(name).name[:1] or "." in Path(name).name[:1]]
    assert not [name for name in files if "_tmp" in name or "month=1/" in name]


@pytest.mark.dbt
def test_a_hostile_folder_name_is_read_as_a_folder_name(tmp_path: Path) -> None:
    """An apostrophe is valid in a path, so a name that would end the literal and add a
    statement is a folder like any other: quoted, read, and nothing else runs."""
    raw = tmp_path / HOSTILE
    land_small(tmp_path, raw, seed=6)

    result = run_dbt("build", raw, tmp_path)

    assert result.returncode == 0, result.stdout[-6000:]
    rows_read, files, tables = built(tmp_path / "warehouse.duckdb")
    assert rows_read == sum(data_lines(raw).values()) > 1_000
    assert all(name.startswith(str(raw)) for name in files)
    assert "pwned" not in tables


@pytest.mark.dbt
def test_a_clone_of_the_project_under_a_quote_and_accents_builds(tmp_path: Path) -> None:
    """The project itself under `o'brien é/clone`, run from there on its defaults: ECOM_RAW_DIR
    unset (data/demo/raw, relative to the clone), the warehouse at data/demo/ecommerce.duckdb."""
    clone = tmp_path / "o'brien é" / "clone"
    clone.mkdir(parents=True)
    for name in DBT_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, clone / name, ignore=shutil.ignore_patterns("python", "athena", "__pycache__"))
        else:
            shutil.copy(source, clone / name)
    shutil.copy(REPO / "profiles.yml.example", clone / "profiles.yml")
    land_small(tmp_path, clone / "data" / "demo" / "raw", seed=7)

    result = dbt(
        "build", "--target-path", str(clone / "target"), "--log-path", str(clone / "logs"),
        env={"DBT_PROFILES_DIR": str(clone), "DBT_TARGET": "local"}, project=clone, cwd=clone,
    )  # fmt: skip

    assert result.returncode == 0, result.stdout[-6000:]
    rows_read, files, _ = built(clone / "data" / "demo" / "ecommerce.duckdb")
    assert rows_read == sum(data_lines(clone / "data" / "demo" / "raw").values()) > 1_000
    assert all(name.startswith("data/demo/raw/events/") for name in files)


DUCKDB_SHAPE = "a local folder path (not a URL like s3://...)"


@pytest.mark.dbt
@pytest.mark.parametrize(
    "value",
    ["/data/raw/2019-*", "/data/[raw]", "/data/{raw,old}", "s3://bucket/raw", "/data/r\naw"],
)
def test_a_bad_raw_dir_stops_the_build_with_one_line(value: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    work = tmp_path_factory.getbasetemp() / "bad-raw-dir"  # one target: later runs parse partially
    profiles = work / "profiles"
    profiles.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "profiles.yml.example", profiles / "profiles.yml")

    result = dbt(
        "build", "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
        env={
            "DBT_PROFILES_DIR": str(profiles), "DBT_TARGET": "local", "ECOM_RAW_DIR": value,
            "ECOM_DUCKDB_PATH": str(work / "warehouse.duckdb"),
        },
    )  # fmt: skip

    assert_one_line_error(result, "ECOM_RAW_DIR", value, DUCKDB_SHAPE)
    assert "PASS=" not in result.stdout  # stopped by on-run-start, before any node


# ------------------------------------------------------------------ Athena: the hook's DDL


@pytest.fixture(scope="module")
def athena_dirs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("athena-settings")
    (work / "profiles").mkdir()
    shutil.copy(REPO / "profiles.yml.example", work / "profiles" / "profiles.yml")
    return work


def render_athena_hook(work: Path, raw_uri: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """The on-run-start hook's SQL on the athena target, rendered by `dbt compile --inline`
    exactly as the hook renders it (no AWS call: the adapter's cache is not populated)."""
    return dbt(
        "compile", "--inline", "{{ create_raw_event_lines_table() }}", "--target", "athena", "--no-populate-cache",
        "--quiet", "--target-path", str(work / "target"), "--log-path", str(work / "logs"), *extra,
        env={
            "DBT_PROFILES_DIR": str(work / "profiles"), "AWS_REGION": "us-east-1", "ECOM_RAW_S3_URI": raw_uri,
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",  # never reached; nothing may leave this machine
        },
    )  # fmt: skip


@pytest.mark.dbt
def test_athena_ddl_quotes_a_tricky_prefix_and_reads_the_years_var(athena_dirs: Path) -> None:
    root = "s3://raw.landing-2019/land=eu(1)/r!a_w.v2"
    result = render_athena_hook(athena_dirs, root + "/", "--vars", "{raw_partition_years: [2018, 2021]}")
    assert result.returncode == 0, result.stdout[-3000:]
    ddl = result.stdout.strip()

    assert f"location '{root}/events/'" in ddl
    assert st.check(ddl, st.Kind.CREATE_EXTERNAL_TABLE).parsed, st.check(ddl).error
    table = st.parse_hive_create(ddl)
    assert table.location == f"{root}/events/"
    assert table.properties["storage.location.template"] == f"{root}/events/year=${{year}}/month=${{month}}/"
    assert table.properties["projection.year.range"] == "2018,2021"
    assert (table.schema, table.table, table.partition_keys) == (
        "ecommerce_raw", "event_lines", [("year", "int"), ("month", "int")],
    )  # fmt: skip


S3_SHAPE = "s3://bucket/prefix, the folder that holds events/"


@pytest.mark.parametrize(
    "value",
    [
        "raw-landing/raw",  # no s3://
        "",  # not set
        "s3://Raw-Landing/raw",  # upper-case bucket
        "s3://ab/raw",  # bucket too short
        "s3://raw-landing/ra'w",  # a quote would end the literal
        "s3://raw-landing/raw/${year}",  # Athena's storage.location.template placeholder
        "s3://raw-landing/raw?x=1",
        "s3://raw-landing/_tmp/raw",  # a folder Athena never reads
    ],
)
@pytest.mark.dbt
def test_a_malformed_raw_s3_uri_stops_with_one_line(value: str, athena_dirs: Path) -> None:
    assert_one_line_error(render_athena_hook(athena_dirs, value), "ECOM_RAW_S3_URI", value, S3_SHAPE)


@pytest.mark.parametrize("years", ["[2030, 2019]", "['2019', '2030']"])
@pytest.mark.dbt
def test_a_malformed_years_var_stops_with_one_line(years: str, athena_dirs: Path) -> None:
    result = render_athena_hook(athena_dirs, "s3://raw-landing/raw", "--vars", f"{{raw_partition_years: {years}}}")
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "Traceback" not in output
    assert len([line for line in output.splitlines() if "raw_partition_years=" in line and "expected" in line]) == 1


def test_the_years_var_is_two_years_in_dbt_project_yml() -> None:
    """The landing reads the same var (documented shape: [first, last], inclusive)."""
    import yaml

    years = yaml.safe_load((REPO / "dbt_project.yml").read_text())["vars"]["raw_partition_years"]
    assert isinstance(years, list) and len(years) == 2 and all(type(y) is int for y in years)
    assert years[0] <= years[1]


def test_the_rows_put_in_hidden_files_are_kaggle_rows() -> None:
    """The rows put in hidden files are well-formed, so only their names keep them out."""
    assert len(ROW.format(day=1).split(",")) == len(HEADER.split(","))
