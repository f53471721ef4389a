"""The AWS side of the command line: help, configuration, dry runs, and each error as one line."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from aws_fixtures import StandIn, assert_one_line_error, run, stand_in
from conftest import run_ingest, write_csv

ROW_OCT = "2019-10-05 10:00:00 UTC,view,1,2053013555631882655,,,10.00,1,s1"
OCT_KEY = "events/year=2019/month=10/2019-Oct.csv"
ROLE = "arn:aws:iam::123456789012:role/glue-crawler"


@pytest.fixture
def aws() -> StandIn:
    return stand_in()


@pytest.fixture
def october(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "in" / "2019-Oct.csv", [ROW_OCT])


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ([], ["land", "crawl", "load"]),
        (["land"], ["s3://bucket/prefix", "--gzip", "--dry-run", "--part-size", "--max-attempts", "AWS_ENDPOINT_URL"]),
        (["crawl"], ["--database", "--crawler", "--role-arn", "--timeout", "ECOM_GLUE_DATABASE", "--dry-run"]),
        (["load"], ["--source", "--gzip", "--role-arn", "ECOM_CRAWLER_NAME", "--region", "--profile"]),
    ],
)
def test_every_command_has_help(command: list[str], words: list[str]) -> None:
    result = run_ingest(*command, "--help")

    assert result.returncode == 0
    for word in words:
        assert word in result.stdout


def test_without_credentials_each_command_says_so_in_one_line(aws: StandIn, tmp_path: Path, october: Path) -> None:
    env = aws.env(tmp_path, credentials=False)

    land = run("land", "--source", october, "--dest", "s3://no-creds", env=env)
    crawl = run("crawl", "--dest", "s3://no-creds", env=env)

    for result in (land, crawl):
        assert_one_line_error(result, "No usable AWS credentials were found", "AWS_PROFILE", "AWS_ACCESS_KEY_ID")
    assert aws.faults.seen == []


def test_a_dry_run_without_credentials_still_prints_the_local_plan(aws: StandIn, tmp_path: Path, october: Path) -> None:
    result = run(
        "load", "--source", october, "--dest", "s3://somewhere/raw", "--gzip", "--dry-run",
        env=aws.env(tmp_path, credentials=False),
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert "could not check S3, so this is the local plan only: No usable AWS credentials" in result.stdout
    assert f"would upload   {october} (gzip, 0.0 MB) -> s3://somewhere/raw/{OCT_KEY}.gz" in result.stdout
    assert "could not check Glue" in result.stdout and '"Path": "s3://somewhere/raw/events/"' in result.stdout


def test_an_unknown_profile_is_one_line(aws: StandIn, tmp_path: Path, october: Path) -> None:
    result = run("land", "--source", october, "--dest", "s3://any-bucket", env=aws.env(tmp_path, AWS_PROFILE="nope"))

    assert_one_line_error(result, "The AWS profile 'nope' is not in your AWS config files.")


def test_a_missing_bucket_is_one_line(aws: StandIn, tmp_path: Path, october: Path) -> None:
    result = run("land", "--source", october, "--dest", "s3://no-such-bucket-here/raw", env=aws.env(tmp_path))

    assert_one_line_error(result, "The S3 bucket 'no-such-bucket-here' does not exist", "fix --dest")


def test_access_denied_on_the_bucket_is_one_line(aws: StandIn, tmp_path: Path, october: Path) -> None:
    bucket = aws.bucket("denied-bucket")
    aws.faults.fail(lambda r: r.bucket == bucket, 403, "AccessDenied", times=100)

    result = run("land", "--source", october, "--dest", f"s3://{bucket}", env=aws.env(tmp_path))

    assert_one_line_error(result, f"Access to the S3 bucket '{bucket}' is denied", "IAM permissions")


def test_access_denied_on_upload_is_one_line_and_leaves_nothing(aws: StandIn, tmp_path: Path, october: Path) -> None:
    bucket = aws.bucket("denied-upload")
    aws.faults.fail(lambda r: r.operation == "PutObject", 403, "AccessDenied", times=100, message="Access Denied")

    result = run("land", "--source", october, "--dest", f"s3://{bucket}", env=aws.env(tmp_path))

    assert_one_line_error(result, "Access denied while uploading 2019-Oct.csv", f"s3://{bucket}/{OCT_KEY}")
    assert aws.faults.count("PutObject") == 1  # a refusal is not retried
    assert aws.keys(bucket) == []


def test_glue_access_denied_is_one_line(aws: StandIn, tmp_path: Path) -> None:
    aws.faults.fail(
        lambda r: r.operation == "CreateCrawler",
        400,
        "AccessDeniedException",
        message="User is not authorized to perform: iam:PassRole",
    )

    result = run(
        "crawl", "--dest", "s3://glue-denied/raw", "--crawler", "glue-denied", "--role-arn", ROLE,
        env=aws.env(tmp_path),
    )  # fmt: skip

    assert_one_line_error(
        result, "Access denied while creating the Glue crawler 'glue-denied'", "iam:PassRole", "IAM permissions"
    )


def test_rejected_credentials_are_one_line(aws: StandIn, tmp_path: Path) -> None:
    aws.faults.fail(
        lambda r: r.target.startswith("AWSGlue"),
        400,
        "UnrecognizedClientException",
        message="The security token included in the request is invalid.",
    )

    result = run("crawl", "--dest", "s3://any-bucket", env=aws.env(tmp_path))

    assert_one_line_error(result, "AWS rejected the credentials", "UnrecognizedClientException")


def test_an_unreachable_endpoint_is_one_line(aws: StandIn, tmp_path: Path, october: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = aws.env(tmp_path, AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}")

    result = run("land", "--source", october, "--dest", "s3://any-bucket", "--max-attempts", "1", env=env)

    assert_one_line_error(result, f"Could not reach http://127.0.0.1:{port}", "AWS_ENDPOINT_URL")


def test_no_region_for_glue_is_one_line(aws: StandIn, tmp_path: Path) -> None:
    env = aws.env(tmp_path)
    del env["AWS_DEFAULT_REGION"]

    result = run("crawl", "--dest", "s3://any-bucket", env=env)

    assert_one_line_error(result, "No AWS region is set", "--region", "AWS_REGION")


def test_the_region_flag_is_used(aws: StandIn, tmp_path: Path) -> None:
    env = aws.env(tmp_path)
    del env["AWS_DEFAULT_REGION"]

    result = run("crawl", "--dest", "s3://any-bucket", "--crawler", "region-flag", "--region", "eu-west-1", env=env)

    assert_one_line_error(result, "'region-flag' does not exist yet")  # Glue was reached, in eu-west-1
    assert any(s.operation == "GetCrawler" for s in aws.faults.seen)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["crawl"], ["No S3 location given", "--dest s3://bucket/prefix", "ECOM_S3_BUCKET"]),
        (["land", "--source", "SOURCE"], ["No destination given", "ECOM_S3_BUCKET"]),
        (["crawl", "--dest", "s3://Bad_Bucket/x"], ["'Bad_Bucket' in s3://Bad_Bucket/x is not a valid S3 bucket name"]),
        (["load", "--source", "SOURCE", "--dest", "/tmp/folder"], ["'/tmp/folder' is not an S3 location"]),
        (["land", "--source", "SOURCE", "--dest", "DEST", "--gzip"], ["--gzip applies only to an s3:// destination"]),
    ],
)
def test_configuration_mistakes_are_one_line(
    aws: StandIn, tmp_path: Path, october: Path, args: list[str], words: list[str]
) -> None:
    args = [str(october) if a == "SOURCE" else str(tmp_path / "raw") if a == "DEST" else a for a in args]

    result = run(*args, env=aws.env(tmp_path))

    assert_one_line_error(result, *words)
    assert aws.faults.seen == []


def test_dbt_athena_variables_serve_as_defaults_and_ours_win(aws: StandIn, tmp_path: Path) -> None:
    dbt_env = {"ECOM_RAW_S3_URI": "s3://dbt-bucket/raw/", "ECOM_RAW_DATABASE": "scratch_raw"}

    from_dbt = run("crawl", "--dry-run", env={**aws.env(tmp_path), **dbt_env})
    ours = run(
        "crawl", "--dry-run",
        env={**aws.env(tmp_path, ECOM_S3_BUCKET="our-bucket", ECOM_GLUE_DATABASE="our_db"), **dbt_env},
    )  # fmt: skip

    assert from_dbt.returncode == ours.returncode == 0, from_dbt.stderr
    assert (
        "crawler target s3://dbt-bucket/raw/events/" in from_dbt.stdout and "database: scratch_raw" in from_dbt.stdout
    )
    assert "crawler target s3://our-bucket/events/" in ours.stdout and "database: our_db" in ours.stdout


def test_a_local_dry_run_lands_nothing(tmp_path: Path, october: Path) -> None:
    result = run_ingest("land", "--source", october, "--dest", tmp_path / "raw", "--dry-run")

    assert result.returncode == 0, result.stderr
    assert f"would land    {october} -> {tmp_path / 'raw' / OCT_KEY}" in result.stdout
    assert not (tmp_path / "raw").exists()


def test_a_part_size_under_the_s3_minimum_is_refused_by_the_parser(tmp_path: Path, october: Path) -> None:
    result = run_ingest("land", "--source", october, "--dest", "s3://any-bucket", "--part-size", "4")

    assert result.returncode == 2 and "under S3's minimum part size of 5 MiB" in result.stderr
