"""The Glue crawler: configuration, run, wait, outcome and the check of the table it makes.

End to end through the CLI against the moto server, where `CrawlerScript` plays the crawler
(moto's stays RUNNING and makes no table); state sequences moto cannot produce are driven
with botocore's Stubber; the table check is also run on tables written to moto directly.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from aws_fixtures import NINE, CrawlerScript, StandIn, assert_one_line_error, run, stand_in, table_input
from conftest import write_csv
from ingest.awsconfig import S3Location
from ingest.crawl import (
    CrawlSettings,
    classifier_definition,
    classifier_differences,
    crawler_definition,
    crawler_differences,
    start_crawler,
    wait_for_crawler,
)
from ingest.crawl_table import check_table, schema_problems
from ingest.errors import IngestError

ROLE = "arn:aws:iam::123456789012:role/glue-crawler"
ROW_OCT = "2019-10-05 10:00:00 UTC,view,1,2053013555631882655,,,10.00,1,s1"
ROW_NOV = "2019-11-05 10:00:00 UTC,view,1,2053013555631882655,,,10.00,1,s1"


@pytest.fixture
def aws() -> StandIn:
    return stand_in()


def crawl(aws: StandIn, tmp_path: Path, name: str, *flags: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`crawl` of s3://<name>-bucket/raw with crawler <name> and database <name>_db."""
    return run(
        "crawl", "--dest", f"s3://{name}-bucket/raw", "--crawler", name, "--database", f"{name.replace('-', '_')}_db",
        "--poll-interval", "0.05", *flags, env={**aws.env(tmp_path), **env},
    )  # fmt: skip


def test_load_lands_then_crawls_and_checks_the_table(aws: StandIn, tmp_path: Path) -> None:
    bucket = aws.bucket("crawl-load")
    write_csv(tmp_path / "in" / "2019-Oct.csv", [ROW_OCT])
    write_csv(tmp_path / "in" / "2019-Nov.csv", [ROW_NOV])

    with CrawlerScript("crawl-load").playing() as crawler:
        result = run(
            "load", "--source", tmp_path / "in", "--dest", f"s3://{bucket}/raw", "--crawler", "crawl-load",
            "--database", "load_db", "--role-arn", ROLE, "--poll-interval", "0.05", env=aws.env(tmp_path),
        )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert crawler.done.is_set()
    assert "2 landed" in result.stdout
    assert "database load_db: created" in result.stdout
    assert "classifier crawl-load-csv: created" in result.stdout
    assert f"crawler crawl-load: created (target s3://{bucket}/raw/events/)" in result.stdout
    assert "SUCCEEDED in 42 s; tables created 1, updated 0, deleted 0" in result.stdout
    assert "2 partition(s): year=2019/month=10, year=2019/month=11" in result.stdout
    assert aws.keys(bucket) == [
        "raw/events/year=2019/month=10/2019-Oct.csv",
        "raw/events/year=2019/month=11/2019-Nov.csv",
    ]


def test_the_crawler_and_its_classifier_are_configured_for_the_raw_layout(aws: StandIn, tmp_path: Path) -> None:
    with CrawlerScript("crawl-config").playing():
        result = crawl(aws, tmp_path, "crawl-config", "--role-arn", ROLE)

    assert result.returncode == 0, result.stderr
    glue = aws.client("glue")
    crawler = glue.get_crawler(Name="crawl-config")["Crawler"]
    assert crawler["Role"] == ROLE and crawler["DatabaseName"] == "crawl_config_db"
    assert crawler["Targets"]["S3Targets"] == [{"Path": "s3://crawl-config-bucket/raw/events/"}]
    assert crawler["Classifiers"] == ["crawl-config-csv"]
    assert crawler["RecrawlPolicy"] == {"RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"}
    assert crawler["SchemaChangePolicy"] == {"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"}
    assert json.loads(crawler["Configuration"]) == {
        "Version": 1.0,
        "CrawlerOutput": {"Partitions": {"AddOrUpdateBehavior": "InheritFromTable"}},
        "Grouping": {"TableGroupingPolicy": "CombineCompatibleSchemas"},
    }
    classifier = glue.get_classifier(Name="crawl-config-csv")["Classifier"]["CsvClassifier"]
    assert classifier["Header"] == NINE
    assert (classifier["ContainsHeader"], classifier["Delimiter"], classifier["QuoteSymbol"]) == ("PRESENT", ",", '"')
    assert glue.get_database(Name="crawl_config_db")["Database"]["Name"] == "crawl_config_db"


def test_a_second_crawl_changes_nothing_and_drift_is_put_back(aws: StandIn, tmp_path: Path) -> None:
    with CrawlerScript("crawl-again").playing():
        crawl(aws, tmp_path, "crawl-again", "--role-arn", ROLE)
    with CrawlerScript("crawl-again").playing():
        again = crawl(aws, tmp_path, "crawl-again")
    glue = aws.client("glue")
    drifted = {
        **glue.get_classifier(Name="crawl-again-csv")["Classifier"]["CsvClassifier"],
        "ContainsHeader": "UNKNOWN",
    }
    glue.update_classifier(CsvClassifier={k: v for k, v in drifted.items() if k not in ("Version", "CreationTime")})
    with CrawlerScript("crawl-again").playing():
        repaired = crawl(aws, tmp_path, "crawl-again", "--role-arn", ROLE.replace("glue-crawler", "other-role"))

    assert again.returncode == repaired.returncode == 0, repaired.stderr
    assert again.stdout.count(": unchanged") == 3
    assert "classifier crawl-again-csv: updated (ContainsHeader)" in repaired.stdout
    assert "crawler crawl-again: updated (Role)" in repaired.stdout
    classifier = glue.get_classifier(Name="crawl-again-csv")["Classifier"]["CsvClassifier"]
    assert classifier["ContainsHeader"] == "PRESENT"


def test_a_failed_crawl_is_one_line_with_the_crawlers_reason(aws: StandIn, tmp_path: Path) -> None:
    with CrawlerScript("crawl-fails", status="FAILED", error="Service is unable to assume role.").playing():
        result = crawl(aws, tmp_path, "crawl-fails", "--role-arn", ROLE)

    assert_one_line_error(
        result, "The crawler 'crawl-fails' failed: Service is unable to assume role", "log group /aws-glue/crawlers"
    )


def test_a_cancelled_crawl_is_an_error(aws: StandIn, tmp_path: Path) -> None:
    with CrawlerScript("crawl-cancel", status="CANCELLED").playing():
        result = crawl(aws, tmp_path, "crawl-cancel", "--role-arn", ROLE)

    assert_one_line_error(result, "'crawl-cancel' was cancelled")


def test_a_crawl_past_its_timeout_fails_and_the_next_run_finds_it_still_running(aws: StandIn, tmp_path: Path) -> None:
    # No CrawlerScript: moto's crawler stays RUNNING, as a slow real one would.
    timed_out = crawl(aws, tmp_path, "crawl-slow", "--role-arn", ROLE, "--timeout", "0.5")
    still_running = crawl(aws, tmp_path, "crawl-slow", "--role-arn", ROLE)

    assert_one_line_error(timed_out, "'crawl-slow' was still RUNNING after 0.5 s", "--timeout")
    assert "crawler crawl-slow: RUNNING" in timed_out.stdout
    assert_one_line_error(still_running, "'crawl-slow' is already running", "wait for it to finish")


def test_a_table_without_the_header_names_fails_the_crawl(aws: StandIn, tmp_path: Path) -> None:
    headerless = table_input(columns=[f"col{i}" for i in range(9)])

    with CrawlerScript("crawl-nohead", table=headerless).playing():
        result = crawl(aws, tmp_path, "crawl-nohead", "--role-arn", ROLE)

    assert "SUCCEEDED" in result.stdout
    assert_one_line_error(
        result, "crawl_nohead_db.events is not the Kaggle layout", "missed the header", "col0 ... col8"
    )


def test_creating_a_crawler_needs_a_role_and_settings_come_from_the_environment(aws: StandIn, tmp_path: Path) -> None:
    env = {
        "ECOM_S3_BUCKET": "crawl-env-bucket",
        "ECOM_S3_PREFIX": "team/raw",
        "ECOM_GLUE_DATABASE": "env_db",
        "ECOM_CRAWLER_NAME": "crawl-env",
    }
    no_role = run("crawl", "--poll-interval", "0.05", env={**aws.env(tmp_path), **env})
    with CrawlerScript("crawl-env").playing():
        with_role = run(
            "crawl", "--poll-interval", "0.05", env={**aws.env(tmp_path, ECOM_CRAWLER_ROLE_ARN=ROLE), **env}
        )

    assert_one_line_error(no_role, "'crawl-env' does not exist yet", "--role-arn", "ECOM_CRAWLER_ROLE_ARN")
    assert with_role.returncode == 0, with_role.stderr
    crawler = aws.client("glue").get_crawler(Name="crawl-env")["Crawler"]
    assert crawler["DatabaseName"] == "env_db" and crawler["Role"] == ROLE
    assert crawler["Targets"]["S3Targets"] == [{"Path": "s3://crawl-env-bucket/team/raw/events/"}]


def test_a_dry_run_prints_the_definitions_and_creates_nothing(aws: StandIn, tmp_path: Path) -> None:
    result = crawl(aws, tmp_path, "crawl-dry", "--dry-run")

    assert result.returncode == 0, result.stderr
    assert "crawler crawl-dry: would be created (needs --role-arn or ECOM_CRAWLER_ROLE_ARN)" in result.stdout
    assert (
        '"RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"' in result.stdout
        and '"ContainsHeader": "PRESENT"' in result.stdout
    )
    assert [s.operation for s in aws.faults.seen] == ["GetCrawler"]


# ---------------------------------------------------------------- state sequences, with Stubber


def _stubbed_glue() -> tuple[object, Stubber]:
    glue = boto3.client("glue", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    return glue, Stubber(glue)


def _crawler(state: str, started: dt.datetime | None = None, status: str = "SUCCEEDED") -> dict[str, object]:
    crawler: dict[str, object] = {"Name": "c", "State": state}
    if started is not None:
        crawler["LastCrawl"] = {"Status": status, "StartTime": started}
    return {"Crawler": crawler}


def test_waiting_follows_running_and_stopping_and_ignores_the_previous_crawl() -> None:
    previous = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    this_run = dt.datetime(2024, 1, 2, tzinfo=dt.UTC)
    glue, stubber = _stubbed_glue()
    for response in (
        _crawler("READY", previous, "FAILED"),  # StartCrawler not visible yet: the old crawl is not ours
        _crawler("RUNNING", previous, "FAILED"),
        _crawler("STOPPING", previous, "FAILED"),
        _crawler("READY", this_run, "SUCCEEDED"),
    ):
        stubber.add_response("get_crawler", response, {"Name": "c"})
    clock = iter(range(100))
    out = io.StringIO()

    with stubber:
        last = wait_for_crawler(
            glue, "c", previous, 600, 1, out, clock=lambda: float(next(clock)), sleep=lambda _: None
        )

    stubber.assert_no_pending_responses()
    assert last["Status"] == "SUCCEEDED" and last["StartTime"] == this_run
    assert [line.split(":")[1].split()[0] for line in out.getvalue().splitlines()] == [
        "READY",
        "RUNNING",
        "STOPPING",
        "READY",
    ]


def test_a_crawler_started_elsewhere_in_the_meantime_is_reported_as_running() -> None:
    glue, stubber = _stubbed_glue()
    stubber.add_client_error(
        "start_crawler", "CrawlerRunningException", "Crawler with name c has already started", 400, {"Name": "c"}
    )

    with stubber, pytest.raises(IngestError, match=r"^The crawler 'c' is already running; wait for it to finish"):
        start_crawler(glue, "c")


# ---------------------------------------------------------------- the table check


@pytest.mark.parametrize(
    ("table", "words"),
    [
        (table_input(), None),
        (table_input(columns=[f"col{i}" for i in range(9)]), "the crawler missed the header"),
        (table_input(columns=[*NINE[:8], "session"]), "the columns are (event_time, "),
        (table_input(partition_keys=("partition_0", "partition_1")), "partition keys are (partition_0, partition_1)"),
        (table_input(partition_keys=()), "partition keys are (none)"),
        (table_input(types=["string"] * 3 + ["double"] + ["string"] * 5), "column category_id is double"),
        (table_input(types=["string"] * 6 + ["bigint"] + ["string"] * 2), "column price is bigint"),
        (table_input(skip_header=False), "skip.header.line.count"),
    ],
)
def test_the_table_check_names_what_the_crawler_got_wrong(table: dict[str, object], words: str | None) -> None:
    problems = schema_problems(table)

    if words is None:
        assert problems == []
    else:
        assert len(problems) == 1 and words in problems[0]


def test_a_decimal_price_and_string_ids_pass_the_check() -> None:
    types = ["string", "string", "string", "string", "string", "string", "decimal(10,2)", "int", "string"]

    assert schema_problems(table_input(types=types)) == []


def test_a_crawl_that_made_no_events_table_says_which_tables_it_made() -> None:
    with mock_aws():
        # Any: the table is a crawler-shaped dict, not the stubs' TableInputTypeDef
        glue: Any = boto3.client("glue", region_name="us-east-1")
        glue.create_database(DatabaseInput={"Name": "raw_db"})
        glue.create_table(DatabaseName="raw_db", TableInput={**table_input(), "Name": "month_10"})

        with pytest.raises(IngestError) as refused:
            check_table(glue, "raw_db")
        glue.create_table(DatabaseName="raw_db", TableInput=table_input())
        table = check_table(glue, "raw_db")

    assert str(refused.value) == (
        "The crawler made no table raw_db.events (tables in raw_db: month_10); "
        "check that the landed files are under the crawler's S3 target."
    )
    assert table["Name"] == "events"


def test_the_crawler_targets_the_events_folder_under_the_prefix() -> None:
    settings = CrawlSettings(S3Location("bucket", "a/b"), "db", "c", None)

    assert settings.target == "s3://bucket/a/b/events/"
    assert CrawlSettings(S3Location("bucket", ""), "db", "c", None).target == "s3://bucket/events/"


def test_what_glue_leaves_out_or_adds_is_not_a_difference() -> None:
    settings = CrawlSettings(S3Location("bucket", "raw"), "db", "c", ROLE)
    classifier = {k: v for k, v in classifier_definition(settings).items() if not isinstance(v, bool)}
    crawler = {
        **{k: v for k, v in crawler_definition(settings).items() if k != "TablePrefix"},
        "Role": ROLE,
        "Targets": {"S3Targets": [{"Path": settings.target, "Exclusions": []}], "JdbcTargets": []},
        "Configuration": json.dumps(json.loads(crawler_definition(settings)["Configuration"]), indent=2),
        "State": "READY",
        "Version": 7,
    }

    assert classifier_differences({**classifier, "Version": 3}, classifier_definition(settings)) == []
    assert crawler_differences(crawler, crawler_definition(settings), ROLE) == []
    assert crawler_differences({**crawler, "Classifiers": []}, crawler_definition(settings), None) == ["Classifiers"]
