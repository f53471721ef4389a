"""`python -m athena_scratch`: a pull request run's schema prefix, and dropping exactly what that
run made (its Glue databases and tables, its Iceberg data) on the moto stand-in, never
production's or another run's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from athena_scratch.names import checked_prefix, data_prefix, pull_request_prefix
from aws_fixtures import StandIn, stand_in, table_input
from conftest import REPO

WAREHOUSE = "scratch-warehouse"
DATA_DIR = f"s3://{WAREHOUSE}/iceberg/"
PREFIX = "pr_12_3456_"
OTHER_RUN = "pr_12_3457_"  # the same pull request's next push


def _scratch(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "athena_scratch", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def aws() -> StandIn:
    return stand_in()


def _warehouse(aws: StandIn, tables_per_schema: int = 3, tables_in_runs_marts: int | None = None) -> None:
    """Production's schemas, this run's and the next run's, each with tables and data; this
    run's marts with `tables_in_runs_marts` tables when given."""
    glue, s3 = aws.client("glue"), aws.client("s3")
    aws.bucket(WAREHOUSE)
    for database in {d["Name"] for d in glue.get_databases()["DatabaseList"]}:
        if database.startswith(("pr_", "staging", "marts")):
            for table in glue.get_tables(DatabaseName=database)["TableList"]:
                glue.delete_table(DatabaseName=database, Name=table["Name"])
            glue.delete_database(Name=database)
    for schema in ("staging", "marts", f"{PREFIX}staging", f"{PREFIX}marts", f"{OTHER_RUN}marts"):
        glue.create_database(DatabaseInput={"Name": schema})
        count = tables_in_runs_marts if schema == f"{PREFIX}marts" and tables_in_runs_marts else tables_per_schema
        for i in range(count):
            name = f"table_{i}"
            glue.create_table(
                DatabaseName=schema, TableInput={**table_input(location=f"{DATA_DIR}{schema}/{name}/"), "Name": name}
            )
            s3.put_object(Bucket=WAREHOUSE, Key=f"iceberg/{schema}/{name}/abc/data/00000.parquet", Body=b"x")


def _databases(aws: StandIn) -> set[str]:
    return {d["Name"] for d in aws.client("glue").get_databases()["DatabaseList"]}


def test_drop_removes_the_runs_databases_tables_and_data_and_nothing_else(aws: StandIn, tmp_path: Path) -> None:
    # 120 tables: more than one BatchDeleteTable call (100 at most each); 3 in every other schema
    _warehouse(aws, tables_per_schema=3, tables_in_runs_marts=120)
    result = _scratch("drop", "--prefix", PREFIX, "--data-dir", DATA_DIR, env=aws.env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert f"dropped Glue database {PREFIX}marts and its 120 table(s)" in result.stdout
    assert f"dropped Glue database {PREFIX}staging and its 3 table(s)" in result.stdout
    assert f"deleted 123 object(s) under s3://{WAREHOUSE}/iceberg/{PREFIX}" in result.stdout
    assert _databases(aws) >= {"staging", "marts", f"{OTHER_RUN}marts"}
    assert not {d for d in _databases(aws) if d.startswith(PREFIX)}
    keys = aws.keys(WAREHOUSE)
    assert not [k for k in keys if k.startswith(f"iceberg/{PREFIX}")]
    assert len([k for k in keys if k.startswith(("iceberg/staging/", "iceberg/marts/"))]) == 6
    assert len([k for k in keys if k.startswith(f"iceberg/{OTHER_RUN}")]) == 3
    for schema in ("staging", "marts", f"{OTHER_RUN}marts"):
        assert len(aws.client("glue").get_tables(DatabaseName=schema)["TableList"]) == 3

    again = _scratch("drop", "--prefix", PREFIX, "--data-dir", DATA_DIR, env=aws.env(tmp_path))
    assert again.returncode == 0 and "Nothing to drop" in again.stdout  # a second teardown is harmless


@pytest.mark.parametrize("prefix", ["", "pr_", "pr_12_", "staging", "pr_12_3456", "pr_12_3456_marts", "PR_12_3456_"])
def test_a_prefix_that_is_not_one_runs_is_refused_before_anything_is_touched(
    aws: StandIn, tmp_path: Path, prefix: str
) -> None:
    _warehouse(aws, tables_per_schema=1)
    before = (_databases(aws), aws.keys(WAREHOUSE))
    result = _scratch("drop", "--prefix", prefix, "--data-dir", DATA_DIR, env=aws.env(tmp_path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and "pr_<number>_<run id>_" in result.stderr
    assert (_databases(aws), aws.keys(WAREHOUSE)) == before


def test_a_data_dir_that_is_no_s3_uri_is_one_line(aws: StandIn, tmp_path: Path) -> None:
    result = _scratch("drop", "--prefix", PREFIX, "--data-dir", "/tmp/iceberg", env=aws.env(tmp_path))
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "ECOM_ATHENA_DATA_DIR" in result.stderr


def test_what_cannot_be_dropped_is_said_and_the_rest_is_still_dropped(aws: StandIn, tmp_path: Path) -> None:
    _warehouse(aws, tables_per_schema=2)
    # the first database dropped (they go in name order: marts, then staging) is refused
    aws.faults.fail(lambda seen: seen.operation == "DeleteDatabase", status=403, code="AccessDeniedException")
    result = _scratch("drop", "--prefix", PREFIX, "--data-dir", DATA_DIR, env=aws.env(tmp_path))
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert f"Could not drop Glue database {PREFIX}marts: AccessDeniedException" in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    assert f"{PREFIX}staging" not in _databases(aws) and f"{PREFIX}marts" in _databases(aws)
    assert not [k for k in aws.keys(WAREHOUSE) if k.startswith(f"iceberg/{PREFIX}")]


def test_the_prefix_names_one_run_of_one_pull_request() -> None:
    assert pull_request_prefix(12, 3456) == PREFIX == checked_prefix(PREFIX)
    assert _scratch("prefix", "--pull-request", "12", "--run-id", "3456", env={"PATH": ""}).stdout == f"{PREFIX}\n"
    assert data_prefix("s3://w/iceberg/", PREFIX) == ("w", f"iceberg/{PREFIX}")
    assert data_prefix("s3://w", PREFIX) == ("w", PREFIX)
