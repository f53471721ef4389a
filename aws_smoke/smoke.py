"""`make athena-smoke`: the whole pipeline once on a real AWS account, then cleaned up.

Generates a small dataset, lands and crawls it under a throw-away prefix and Glue database, runs
`dbt build --target athena` into throw-away schemas, compares the KPI row read back from Athena
with the generator's expected values, and deletes everything it created. Without credentials or
settings it says what it needs and touches nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from command_line import run_command
from ingest.errors import IngestError

REPO = Path(__file__).resolve().parents[1]
SMOKE_EVENTS = 20_000
SCHEMAS = ("staging", "intermediate", "marts", "snapshots")


@dataclass(frozen=True)
class SmokeSettings:
    bucket: str
    staging_dir: str
    data_dir: str
    role_arn: str
    region: str
    workgroup: str
    run_id: str

    @property
    def raw_prefix(self) -> str:
        return f"smoke/{self.run_id}/raw"

    @property
    def raw_uri(self) -> str:
        return f"s3://{self.bucket}/{self.raw_prefix}"

    @property
    def raw_database(self) -> str:
        return f"smoke_{self.run_id}_raw"

    @property
    def schema_prefix(self) -> str:
        return f"smoke_{self.run_id}_"


NEEDED = {
    "ECOM_S3_BUCKET": "bucket for the raw files (a prefix smoke/<run>/ is used and deleted)",
    "ECOM_ATHENA_STAGING_DIR": "s3:// folder for Athena query results",
    "ECOM_ATHENA_DATA_DIR": "s3:// folder for the Iceberg tables (a dedicated prefix, never the raw bucket)",
    "ECOM_CRAWLER_ROLE_ARN": "IAM role the Glue crawler runs as",
}


def read_settings(environ: dict[str, str]) -> SmokeSettings:
    missing = [f"  {name}: {why}" for name, why in NEEDED.items() if not environ.get(name)]
    if missing:
        raise IngestError("athena-smoke needs these environment variables:\n" + "\n".join(missing))
    return SmokeSettings(
        bucket=environ["ECOM_S3_BUCKET"],
        staging_dir=environ["ECOM_ATHENA_STAGING_DIR"],
        data_dir=environ["ECOM_ATHENA_DATA_DIR"],
        role_arn=environ["ECOM_CRAWLER_ROLE_ARN"],
        region=environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        workgroup=environ.get("ECOM_ATHENA_WORKGROUP", "primary"),
        run_id=time.strftime("%Y%m%d%H%M%S"),
    )


def check_credentials(region: str) -> str:
    """The caller's account id, or a clear error before anything is created."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        identity = boto3.client("sts", region_name=region).get_caller_identity()
    except (BotoCoreError, ClientError) as error:
        raise IngestError(f"athena-smoke found no usable AWS credentials ({error}); nothing was created.") from error
    return str(identity["Account"])


def run(command: list[str], env: dict[str, str]) -> None:
    print("$ " + " ".join(command), flush=True)
    result = subprocess.run(command, cwd=REPO, env=env, check=False)
    if result.returncode != 0:
        raise IngestError(f"`{' '.join(command[:4])} ...` failed with exit status {result.returncode}.")


def athena_rows(settings: SmokeSettings, sql: str) -> list[dict[str, str | None]]:
    import boto3

    athena = boto3.client("athena", region_name=settings.region)
    execution = athena.start_query_execution(
        QueryString=sql, WorkGroup=settings.workgroup, ResultConfiguration={"OutputLocation": settings.staging_dir}
    )["QueryExecutionId"]
    while True:
        state = athena.get_query_execution(QueryExecutionId=execution)["QueryExecution"]["Status"]
        if state["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            break
        time.sleep(1)
    if state["State"] != "SUCCEEDED":
        raise IngestError(f"Athena query failed: {state.get('StateChangeReason', state['State'])}.")
    rows = athena.get_query_results(QueryExecutionId=execution)["ResultSet"]["Rows"]
    header = [cell.get("VarCharValue", "") for cell in rows[0]["Data"]]
    return [dict(zip(header, (cell.get("VarCharValue") for cell in row["Data"]), strict=True)) for row in rows[1:]]


def kpi_differences(got: dict[str, Any], want: dict[str, Any]) -> list[str]:
    return [
        f"kpi_summary.{column}: Athena has {got.get(column)}, expected {value}"
        for column, value in want.items()
        if str(got.get(column)) != str(value)
    ]


def clean_up(settings: SmokeSettings) -> None:
    """Delete the smoke run's Glue databases, crawler, classifier and S3 objects; report what remains."""
    import boto3
    from botocore.exceptions import ClientError

    glue = boto3.client("glue", region_name=settings.region)
    s3 = boto3.resource("s3", region_name=settings.region)
    steps: list[tuple[str, Callable[[], Any]]] = [
        (f"Glue database {settings.raw_database}", lambda: glue.delete_database(Name=settings.raw_database)),
        *(
            (
                f"Glue database {settings.schema_prefix}{schema}",
                partial(glue.delete_database, Name=f"{settings.schema_prefix}{schema}"),
            )
            for schema in SCHEMAS
        ),
        (f"crawler smoke_{settings.run_id}", lambda: glue.delete_crawler(Name=f"smoke_{settings.run_id}")),
        (
            f"classifier smoke_{settings.run_id}-csv",
            lambda: glue.delete_classifier(Name=f"smoke_{settings.run_id}-csv"),
        ),
        (
            f"s3://{settings.bucket}/smoke/{settings.run_id}/",
            lambda: s3.Bucket(settings.bucket).objects.filter(Prefix=f"smoke/{settings.run_id}/").delete(),
        ),
    ]

    def delete_objects(bucket: str, prefix: str) -> Any:
        return s3.Bucket(bucket).objects.filter(Prefix=prefix).delete()

    for data_prefix in (f"{settings.data_dir.rstrip('/')}/{settings.schema_prefix}",):
        bucket, _, prefix = data_prefix.removeprefix("s3://").partition("/")
        steps.append((f"s3://{bucket}/{prefix}", partial(delete_objects, bucket, prefix)))
    for label, step in steps:
        try:
            step()
            print(f"removed {label}")
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code != "EntityNotFoundException":
                print(f"could not remove {label}: {code or error}", file=sys.stderr)


def smoke(environ: dict[str, str]) -> int:
    settings = read_settings(environ)
    account = check_credentials(settings.region)
    print(f"athena-smoke run {settings.run_id} in account {account}, region {settings.region}")
    env = {
        **environ,
        "DBT_PROFILES_DIR": str(REPO),
        "ECOM_RAW_S3_URI": settings.raw_uri,
        "ECOM_RAW_DATABASE": settings.raw_database,
        "ECOM_ATHENA_SCHEMA": f"{settings.schema_prefix}marts",
    }
    python = sys.executable
    dbt = str(Path(python).with_name("dbt"))
    try:
        with tempfile.TemporaryDirectory(prefix="athena-smoke-") as work:
            generated = Path(work) / "generated"
            run([python, "-m", "synthetic_events", "--out", str(generated), "--events", str(SMOKE_EVENTS)], env)
            run(
                [
                    python,
                    "-m",
                    "ingest",
                    "load",
                    "--source",
                    str(generated),
                    "--dest",
                    settings.raw_uri,
                    "--database",
                    settings.raw_database,
                    "--crawler",
                    f"smoke_{settings.run_id}",
                    "--role-arn",
                    settings.role_arn,
                    "--poll-interval",
                    "5",
                ],
                env,
            )
            run(
                [
                    dbt,
                    "build",
                    "--target",
                    "athena",
                    "--exclude-resource-type",
                    "unit_test",
                    "--vars",
                    json.dumps({"schema_prefix": settings.schema_prefix}),
                ],
                env,
            )
            (got,) = athena_rows(settings, f'select * from "{settings.schema_prefix}marts"."kpi_summary"')
            want = json.loads((generated / "expected.json").read_text())["kpi_summary"]
            found = kpi_differences(got, want)
            for line in found:
                print(line, file=sys.stderr)
            print(
                "athena-smoke: KPIs on Athena equal the generator's expected values."
                if not found
                else "athena-smoke: KPIs differ."
            )
            return 1 if found else 0
    finally:
        clean_up(settings)


def main() -> int:
    return run_command(lambda: smoke(dict(os.environ)))
