"""`python -m ingest crawl`: the Glue database, CSV classifier and crawler, created or updated, then
the crawler run, waited for and its table checked (ingest.crawl_table). What each looks like:
docs/landing.md.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from ingest import KAGGLE_HEADER
from ingest.awsconfig import TABLE_NAME, Aws, AwsOptions, S3Location, aws_errors, error_code
from ingest.crawl_table import check_table, count_partitions
from ingest.errors import IngestError

CRAWLER_CONFIGURATION = {
    "Version": 1.0,
    "CrawlerOutput": {"Partitions": {"AddOrUpdateBehavior": "InheritFromTable"}},
    "Grouping": {"TableGroupingPolicy": "CombineCompatibleSchemas"},
}
DEFAULT_TIMEOUT_SECONDS = 1800.0
DEFAULT_POLL_SECONDS = 15.0
# A crawler that takes long still shows it is alive in a log, this often.
_ALIVE_EVERY_SECONDS = 60.0


@dataclass(frozen=True)
class CrawlSettings:
    location: S3Location
    database: str
    crawler: str
    role_arn: str | None
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    poll_interval: float = DEFAULT_POLL_SECONDS

    @property
    def classifier(self) -> str:
        return f"{self.crawler}-csv"

    @property
    def target(self) -> str:
        return f"s3://{self.location.bucket}/{self.location.events_prefix}"


# ---------------------------------------------------------------- definitions


def classifier_definition(settings: CrawlSettings) -> dict[str, Any]:
    return {
        "Name": settings.classifier,
        "Delimiter": ",",
        "QuoteSymbol": '"',
        "ContainsHeader": "PRESENT",
        "Header": list(KAGGLE_HEADER),
        "DisableValueTrimming": False,
        "AllowSingleColumn": False,
    }


def crawler_definition(settings: CrawlSettings) -> dict[str, Any]:
    """The crawler's fields, Role excluded (it is only sent when given)."""
    return {
        "Name": settings.crawler,
        "DatabaseName": settings.database,
        "Description": f"Raw Kaggle clickstream CSVs under {settings.target}, landed by `python -m ingest land`.",
        "Targets": {"S3Targets": [{"Path": settings.target}]},
        "Classifiers": [settings.classifier],
        "TablePrefix": "",
        # Glue accepts CRAWL_NEW_FOLDERS_ONLY only with LOG for both behaviours.
        "SchemaChangePolicy": {"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"},
        "RecrawlPolicy": {"RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"},
        "Configuration": json.dumps(CRAWLER_CONFIGURATION, sort_keys=True),
    }


def classifier_differences(existing: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    # Glue may leave out a flag that is false, which is the same as sending it false.
    def found(field: str, value: Any) -> Any:
        return existing.get(field, False if isinstance(value, bool) else None)

    return sorted(field for field, value in wanted.items() if found(field, value) != value)


def crawler_differences(existing: dict[str, Any], wanted: dict[str, Any], role_arn: str | None) -> list[str]:
    """Names of the crawler fields that differ from what this project wants."""
    differing = []
    for field, value in wanted.items():
        found = existing.get(field)
        if field == "Targets":
            found = {"S3Targets": [{"Path": t.get("Path")} for t in (found or {}).get("S3Targets", [])]}
            # Any other kind of target is not ours.
            if any(
                (existing.get("Targets") or {}).get(kind)
                for kind in ("JdbcTargets", "CatalogTargets", "DynamoDBTargets")
            ):
                found = None
        elif field == "Configuration":
            found = json.loads(found) if found else None
            value = json.loads(value)
        elif field == "TablePrefix":
            found = found or ""
        if found != value:
            differing.append(field)
    if role_arn is not None and existing.get("Role") != role_arn:
        differing.append("Role")
    return sorted(differing)


# ---------------------------------------------------------------- create or update


def _missing(error: BaseException) -> bool:
    return error_code(error) == "EntityNotFoundException"


def ensure_database(glue: Any, name: str) -> str:
    from botocore.exceptions import ClientError

    with aws_errors(f"creating the Glue database '{name}'"):
        try:
            glue.get_database(Name=name)
            return "unchanged"
        except ClientError as error:
            if not _missing(error):
                raise
        glue.create_database(
            DatabaseInput={
                "Name": name,
                "Description": "Raw e-commerce clickstream, cataloged by `python -m ingest crawl`.",
            }
        )
        return "created"


def ensure_classifier(glue: Any, settings: CrawlSettings) -> str:
    from botocore.exceptions import ClientError

    wanted = classifier_definition(settings)
    with aws_errors(f"creating the Glue classifier '{settings.classifier}'"):
        try:
            existing = glue.get_classifier(Name=settings.classifier)["Classifier"]
        except ClientError as error:
            if not _missing(error):
                raise
            glue.create_classifier(CsvClassifier=wanted)
            return "created"
        if "CsvClassifier" not in existing:
            raise IngestError(
                f"The Glue classifier '{settings.classifier}' exists but is not a CSV classifier; "
                "delete it or pick another --crawler name."
            )
        differing = classifier_differences(existing["CsvClassifier"], wanted)
        if not differing:
            return "unchanged"
        glue.update_classifier(CsvClassifier=wanted)
        return f"updated ({', '.join(differing)})"


def _get_crawler(glue: Any, name: str) -> dict[str, Any] | None:
    from botocore.exceptions import ClientError

    with aws_errors(f"reading the Glue crawler '{name}'"):
        try:
            return dict(glue.get_crawler(Name=name)["Crawler"])
        except ClientError as error:
            if _missing(error):
                return None
            raise


def _refuse_running(crawler: dict[str, Any]) -> None:
    if crawler.get("State", "READY") != "READY":
        raise IngestError(
            f"The crawler '{crawler['Name']}' is already running (state {crawler['State']}); "
            "wait for it to finish, then run the command again."
        )


def ensure_crawler(glue: Any, settings: CrawlSettings) -> str:
    wanted = crawler_definition(settings)
    existing = _get_crawler(glue, settings.crawler)
    if existing is None:
        if not settings.role_arn:
            raise IngestError(
                f"The crawler '{settings.crawler}' does not exist yet and creating it needs an IAM role: "
                "pass --role-arn or set ECOM_CRAWLER_ROLE_ARN."
            )
        with aws_errors(f"creating the Glue crawler '{settings.crawler}'"):
            glue.create_crawler(Role=settings.role_arn, **wanted)
        return "created"
    _refuse_running(existing)
    differing = crawler_differences(existing, wanted, settings.role_arn)
    if not differing:
        return "unchanged"
    role = {"Role": settings.role_arn} if settings.role_arn else {}
    with aws_errors(f"updating the Glue crawler '{settings.crawler}'"):
        glue.update_crawler(**wanted, **role)
    return f"updated ({', '.join(differing)})"


# ---------------------------------------------------------------- run and wait


def start_crawler(glue: Any, name: str) -> None:
    from botocore.exceptions import ClientError

    with aws_errors(f"starting the Glue crawler '{name}'"):
        try:
            glue.start_crawler(Name=name)
        except ClientError as error:
            if error_code(error) == "CrawlerRunningException":
                raise IngestError(
                    f"The crawler '{name}' is already running; wait for it to finish, then run the command again."
                ) from error
            raise


def wait_for_crawler(
    glue: Any,
    name: str,
    previous_start: Any,
    timeout: float,
    poll_interval: float,
    out: TextIO,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Poll until the crawler is READY after this run; return its LastCrawl, or raise on timeout.

    Right after StartCrawler the state may still read READY with the previous crawl's
    LastCrawl, so the run counts as over only once it was seen running or LastCrawl changed.
    """
    started = clock()
    seen_running = False
    last_state = None
    last_said = started
    while True:
        crawler = _get_crawler(glue, name)
        if crawler is None:
            raise IngestError(f"The crawler '{name}' disappeared while it was running.")
        state = crawler.get("State", "READY")
        last = crawler.get("LastCrawl") or {}
        elapsed = clock() - started
        if state != last_state or clock() - last_said >= _ALIVE_EVERY_SECONDS:
            print(f"crawler {name}: {state} ({elapsed:.0f} s)", file=out, flush=True)
            last_state, last_said = state, clock()
        seen_running = seen_running or state != "READY"
        if state == "READY" and last and (seen_running or last.get("StartTime") != previous_start):
            return dict(last)
        if elapsed >= timeout:
            raise IngestError(
                f"The crawler '{name}' was still {state} after {timeout:g} s (--timeout); it goes on in AWS, "
                "so check it in the Glue console and run crawl again once it is READY."
            )
        sleep(min(poll_interval, max(timeout - elapsed, 0.0)))


def outcome_of(name: str, last_crawl: dict[str, Any]) -> None:
    """Raise with the crawler's own reason unless the crawl SUCCEEDED."""
    status = last_crawl.get("Status")
    if status == "SUCCEEDED":
        return
    reason = " ".join(str(last_crawl.get("ErrorMessage") or "no reason given").split()).rstrip(".")
    group = last_crawl.get("LogGroup", "/aws-glue/crawlers")
    logs = f"CloudWatch log group {group}, stream {last_crawl.get('LogStream', name)}"
    if status == "CANCELLED":
        raise IngestError(f"The crawler '{name}' was cancelled before it finished ({reason}); run crawl again.")
    raise IngestError(f"The crawler '{name}' failed: {reason}; see {logs}.")


def crawl_metrics(glue: Any, name: str) -> dict[str, Any]:
    with aws_errors(f"reading the metrics of the Glue crawler '{name}'"):
        found = glue.get_crawler_metrics(CrawlerNameList=[name]).get("CrawlerMetricsList", [])
    return dict(found[0]) if found else {}


# ---------------------------------------------------------------- the command


def crawl(settings: CrawlSettings, aws_options: AwsOptions, out: TextIO = sys.stdout) -> dict[str, Any]:
    """Create or update, run, wait, report, check; return the cataloged table."""
    glue = Aws(aws_options).client("glue")
    print(f"database {settings.database}: {ensure_database(glue, settings.database)}", file=out)
    print(f"classifier {settings.classifier}: {ensure_classifier(glue, settings)}", file=out)
    print(f"crawler {settings.crawler}: {ensure_crawler(glue, settings)} (target {settings.target})", file=out)
    before = _get_crawler(glue, settings.crawler) or {}
    previous_start = (before.get("LastCrawl") or {}).get("StartTime")
    start_crawler(glue, settings.crawler)
    last = wait_for_crawler(glue, settings.crawler, previous_start, settings.timeout, settings.poll_interval, out)
    outcome_of(settings.crawler, last)
    metrics = crawl_metrics(glue, settings.crawler)
    print(
        f"crawler {settings.crawler}: SUCCEEDED in {metrics.get('LastRuntimeSeconds', 0):.0f} s; tables created "
        f"{metrics.get('TablesCreated', 0)}, updated {metrics.get('TablesUpdated', 0)}, "
        f"deleted {metrics.get('TablesDeleted', 0)}",
        file=out,
    )
    table = check_table(glue, settings.database)
    partitions = count_partitions(glue, settings.database)
    shown = ", ".join(partitions[:6]) + (", ..." if len(partitions) > 6 else "")
    print(
        f"table {settings.database}.{TABLE_NAME}: the nine Kaggle columns, partitioned by year, month; "
        f"{len(partitions)} partition(s){': ' + shown if partitions else ''}",
        file=out,
    )
    return table


def dry_run_crawl(settings: CrawlSettings, aws_options: AwsOptions, out: TextIO = sys.stdout) -> None:
    """Print the definitions `crawl` would create or update; read Glue when it can."""
    print(f"dry run: nothing is created, updated or started; crawler target {settings.target}", file=out)
    glue = None
    try:
        glue = Aws(aws_options.for_dry_run()).client("glue")
        existing = _get_crawler(glue, settings.crawler)
    except IngestError as error:
        glue = None
        print(f"could not check Glue, so this is the definition only: {error}", file=out)
    if glue is not None:
        if existing is None:
            state = "would be created" + ("" if settings.role_arn else " (needs --role-arn or ECOM_CRAWLER_ROLE_ARN)")
        else:
            differing = crawler_differences(existing, crawler_definition(settings), settings.role_arn)
            state = f"would be updated ({', '.join(differing)})" if differing else "unchanged"
            state += f", now {existing.get('State', 'READY')}"
        print(f"crawler {settings.crawler}: {state}", file=out)
    print(f"database: {settings.database}", file=out)
    print(f"classifier: {json.dumps(classifier_definition(settings))}", file=out)
    print(f"crawler: {json.dumps(crawler_definition(settings))}", file=out)
    print(f"role: {settings.role_arn or 'not set (kept when updating; needed to create the crawler)'}", file=out)
    print(f"then: start it, wait up to {settings.timeout:g} s, check {settings.database}.{TABLE_NAME}", file=out)
