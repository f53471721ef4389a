"""Dropping one pull request run's throw-away warehouse: every Glue database whose name starts
with its prefix (their tables first, so no table is left orphaned while Glue deletes them
asynchronously) and every S3 object under `<data dir>/<prefix>`. Nothing else is listed for
deletion; what could not be dropped is reported, and the rest is still dropped."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from athena_scratch.errors import ScratchError
from athena_scratch.names import checked_prefix, data_prefix

if TYPE_CHECKING:
    from mypy_boto3_glue import GlueClient

GLUE_BATCH = 100  # BatchDeleteTable's most names a call
S3_BATCH = 1000  # DeleteObjects' most keys a call


@dataclass
class Dropped:
    databases: list[str] = field(default_factory=list)
    tables: int = 0
    objects: int = 0
    failures: list[str] = field(default_factory=list)  # one sentence each


def _reason(error: ClientError | BotoCoreError) -> str:
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return ": ".join(str(part) for part in (details.get("Code"), details.get("Message")) if part) or str(error)
    return str(error)


def _tables(glue: GlueClient, database: str) -> list[str]:
    pages = glue.get_paginator("get_tables").paginate(DatabaseName=database)
    return [table["Name"] for page in pages for table in page.get("TableList", [])]


def _drop_database(glue: GlueClient, database: str) -> int:
    """Its tables, then the database; the number of tables."""
    names = _tables(glue, database)
    for first in range(0, len(names), GLUE_BATCH):
        answer = glue.batch_delete_table(DatabaseName=database, TablesToDelete=names[first : first + GLUE_BATCH])
        errors = answer.get("Errors", [])
        if errors:
            detail = errors[0].get("ErrorDetail", {})
            raise ScratchError(
                f"Glue did not delete {len(errors)} table(s) of {database}, e.g. {errors[0].get('TableName')}: "
                f"{detail.get('ErrorCode')}: {detail.get('ErrorMessage')}."
            )
    glue.delete_database(Name=database)
    return len(names)


def _drop_objects(
    s3: Any,  # (no S3 stubs installed)
    bucket: str,
    key_prefix: str,
) -> int:
    deleted = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key_prefix):
        keys = [item["Key"] for item in page.get("Contents", [])]
        for first in range(0, len(keys), S3_BATCH):
            batch = [{"Key": key} for key in keys[first : first + S3_BATCH]]
            answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
            errors = answer.get("Errors", [])
            if errors:
                raise ScratchError(
                    f"S3 did not delete {len(errors)} object(s) under s3://{bucket}/{key_prefix}, e.g. "
                    f"{errors[0].get('Key')}: {errors[0].get('Code')}."
                )
            deleted += len(batch)
    return deleted


def drop(prefix: str, data_dir: str, region: str | None, progress: Callable[[str], None] = print) -> Dropped:
    """Drop the databases and data of the run whose schemas start with `prefix`."""
    prefix = checked_prefix(prefix)
    bucket, key_prefix = data_prefix(data_dir, prefix)
    try:
        glue = boto3.client("glue", region_name=region)
        s3 = boto3.client("s3", region_name=region)
    except BotoCoreError as error:
        reason = _reason(error)
        raise ScratchError(f"Cannot make the AWS clients: {reason} (give --region or set AWS_REGION).") from None
    dropped = Dropped()
    try:
        pages = glue.get_paginator("get_databases").paginate()
        databases = [d["Name"] for page in pages for d in page.get("DatabaseList", []) if d["Name"].startswith(prefix)]
    except (ClientError, BotoCoreError) as error:
        raise ScratchError(f"Cannot list the Glue databases: {_reason(error)}.") from None
    for database in sorted(databases):
        try:
            tables = _drop_database(glue, database)
        except (ClientError, BotoCoreError) as error:
            dropped.failures.append(f"Could not drop Glue database {database}: {_reason(error)}.")
            continue
        except ScratchError as error:
            dropped.failures.append(str(error))
            continue
        dropped.databases.append(database)
        dropped.tables += tables
        progress(f"dropped Glue database {database} and its {tables} table(s)")
    try:
        dropped.objects = _drop_objects(s3, bucket, key_prefix)
        progress(f"deleted {dropped.objects} object(s) under s3://{bucket}/{key_prefix}")
    except (ClientError, BotoCoreError) as error:
        dropped.failures.append(f"Could not delete the objects under s3://{bucket}/{key_prefix}: {_reason(error)}.")
    except ScratchError as error:
        dropped.failures.append(str(error))
    return dropped
