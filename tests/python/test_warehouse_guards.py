"""The Athena target refuses to build where it would delete what it reads: a warehouse location
(s3_data_dir) that overlaps the raw landing root or the query-results location, a missing
s3_data_dir, or an s3_data_naming that lets two tables share a location. Real `dbt build
--target athena` runs against the moto server (dbt-athena connects before its hooks run); one
line names each problem, and no statement but dbt's `create schema if not exists` reaches Athena."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from aws_fixtures import StandIn, stand_in
from conftest import REPO
from tests import dbt_forkserver

RAW = "s3://ecom-raw/raw"
RESULTS = "s3://ecom-results/athena/"


@pytest.fixture
def aws() -> StandIn:
    return stand_in()


def athena_build(aws: StandIn, tmp: Path, data_dir: str, naming: str = "schema_table_unique") -> str:
    profiles = tmp / "profiles"
    profiles.mkdir(exist_ok=True)
    profile = (REPO / "profiles.yml.example").read_text()
    assert "s3_data_naming: schema_table_unique" in profile
    (profiles / "profiles.yml").write_text(
        profile.replace("s3_data_naming: schema_table_unique", f"s3_data_naming: {naming}")
    )
    env = aws.env(
        tmp,
        DBT_PROFILES_DIR=str(profiles),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        AWS_REGION="us-east-1",
        ECOM_RAW_S3_URI=RAW,
        ECOM_ATHENA_STAGING_DIR=RESULTS,
        ECOM_ATHENA_DATA_DIR=data_dir,
    )
    athena = aws.client("athena")
    before = set(athena.list_query_executions().get("QueryExecutionIds", []))
    result = dbt_forkserver.run(
        [str(Path(sys.executable).with_name("dbt")), "build", "--target", "athena", "--select", "stg_raw_files",
         "--project-dir", str(REPO), "--target-path", str(tmp / "target"), "--log-path", str(tmp / "logs")],
        env, REPO, timeout=300,
    )  # fmt: skip
    sent = [
        athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Query"]
        for query_id in set(athena.list_query_executions().get("QueryExecutionIds", [])) - before
    ]
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "Traceback" not in output, output[-3000:]
    # dbt creates the schemas (Glue databases, no S3 data) before on-run-start; nothing else may be sent
    assert all("create schema if not exists" in query for query in sent), sent
    shutil.rmtree(tmp / "target", ignore_errors=True)
    return output


@pytest.mark.parametrize(
    ("data_dir", "words"),
    [
        (f"{RAW}/warehouse/", "overlaps the raw landing root ECOM_RAW_S3_URI"),
        ("s3://ecom-raw/", "overlaps the raw landing root ECOM_RAW_S3_URI"),
        ("s3://ecom-results/", "overlaps the query-results location s3_staging_dir"),
        (f"{RESULTS}tables/", "overlaps the query-results location s3_staging_dir"),
    ],
)
@pytest.mark.dbt
def test_a_warehouse_overlapping_what_athena_reads_is_refused_in_one_line(
    aws: StandIn, tmp_path: Path, data_dir: str, words: str
) -> None:
    output = athena_build(aws, tmp_path, data_dir)
    lines = [line for line in output.splitlines() if words in line]
    assert len(lines) == 1, output[-3000:]
    assert f"s3_data_dir={data_dir!r}" in lines[0]


@pytest.mark.parametrize("naming", ["table", "schema_table"])
@pytest.mark.dbt
def test_a_naming_that_lets_two_tables_share_a_location_is_refused(aws: StandIn, tmp_path: Path, naming: str) -> None:
    output = athena_build(aws, tmp_path, "s3://ecom-warehouse/dbt/", naming=naming)
    assert sum(f"s3_data_naming={naming!r} lets two tables share one S3 location" in line
               for line in output.splitlines()) == 1, output[-3000:]  # fmt: skip


@pytest.mark.dbt
def test_a_neighbouring_prefix_is_not_an_overlap(aws: StandIn, tmp_path: Path) -> None:
    """s3://ecom-raw/raw2 is beside s3://ecom-raw/raw, not inside it: the guard lets it through
    (the build then fails on moto for a reason of its own, after statements were sent)."""
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    shutil.copy(REPO / "profiles.yml.example", profiles / "profiles.yml")
    env = aws.env(
        tmp_path, DBT_PROFILES_DIR=str(profiles), DBT_SEND_ANONYMOUS_USAGE_STATS="false", AWS_REGION="us-east-1",
        ECOM_RAW_S3_URI=RAW, ECOM_ATHENA_STAGING_DIR=RESULTS, ECOM_ATHENA_DATA_DIR="s3://ecom-raw/raw2/",
    )  # fmt: skip
    athena = aws.client("athena")
    before = set(athena.list_query_executions().get("QueryExecutionIds", []))
    result = dbt_forkserver.run(
        [str(Path(sys.executable).with_name("dbt")), "build", "--target", "athena", "--select", "stg_raw_files",
         "--project-dir", str(REPO), "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        env, REPO, timeout=300,
    )  # fmt: skip
    sent = [
        athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Query"]
        for query_id in set(athena.list_query_executions().get("QueryExecutionIds", [])) - before
    ]
    assert "overlaps" not in result.stdout + result.stderr
    # past the guard: the hook's table DDL and the model's statements were sent
    assert any("create external table" in query for query in sent), sent
