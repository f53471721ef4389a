"""The check of the table the crawler made: the Kaggle columns in order, types that lose no data,
partitions year and month, and the header skipped (docs/landing.md)."""

from __future__ import annotations

import re
from typing import Any

from ingest import KAGGLE_HEADER
from ingest.awsconfig import TABLE_NAME, aws_errors, error_code
from ingest.errors import IngestError

PARTITION_KEYS = ("year", "month")
_INTEGER = {"bigint", "int", "string"}
ALLOWED_TYPES: dict[str, set[str]] = {
    "event_time": {"string", "timestamp"},
    "event_type": {"string"},
    "product_id": _INTEGER,
    "category_id": {"bigint", "string"},
    "category_code": {"string"},
    "brand": {"string"},
    "price": {"double", "decimal", "string"},
    "user_id": _INTEGER,
    "user_session": {"string"},
}
_GENERATED_NAME = re.compile(r"^col[0-9]+$")


def schema_problems(table: dict[str, Any]) -> list[str]:
    """What in a cataloged table differs from the Kaggle layout; empty when it is right."""
    descriptor = table.get("StorageDescriptor", {})
    columns = [(c["Name"].lower(), c.get("Type", "").lower()) for c in descriptor.get("Columns", [])]
    names = [name for name, _ in columns]
    keys = [k["Name"].lower() for k in table.get("PartitionKeys", [])]
    problems = []
    if names and all(_GENERATED_NAME.match(name) for name in names):
        problems.append(
            f"the crawler missed the header: it made columns {names[0]} ... {names[-1]} instead of "
            f"{KAGGLE_HEADER[0]} ... {KAGGLE_HEADER[-1]} "
            "(check the CSV classifier and that every file starts with the header)"
        )
    elif names != list(KAGGLE_HEADER):
        problems.append(f"the columns are ({', '.join(names)}) where ({', '.join(KAGGLE_HEADER)}) were expected")
    else:
        for name, kind in columns:
            base = kind.split("(")[0]
            if base not in ALLOWED_TYPES[name]:
                problems.append(f"column {name} is {kind}, expected {' or '.join(sorted(ALLOWED_TYPES[name]))}")
    if keys != list(PARTITION_KEYS):
        found = ", ".join(keys) or "none"
        problems.append(
            f"the partition keys are ({found}) where (year, month) were expected, from events/year=YYYY/month=MM/"
        )
    parameters = {**descriptor.get("SerdeInfo", {}).get("Parameters", {}), **table.get("Parameters", {})}
    if not problems and parameters.get("skip.header.line.count") != "1":
        problems.append(
            "the table does not skip the header line (skip.header.line.count is not 1), "
            "so Athena would read headers as rows"
        )
    return problems


def check_table(glue: Any, database: str) -> dict[str, Any]:
    """The cataloged table, or IngestError saying why it is not the expected one."""
    from botocore.exceptions import ClientError

    with aws_errors(f"reading the table {database}.{TABLE_NAME}"):
        try:
            table = dict(glue.get_table(DatabaseName=database, Name=TABLE_NAME)["Table"])
        except ClientError as error:
            if error_code(error) != "EntityNotFoundException":
                raise
            pages = glue.get_paginator("get_tables").paginate(DatabaseName=database)
            names = [t["Name"] for page in pages for t in page.get("TableList", [])]
            found = ", ".join(names) if names else "none"
            raise IngestError(
                f"The crawler made no table {database}.{TABLE_NAME} (tables in {database}: {found}); "
                "check that the landed files are under the crawler's S3 target."
            ) from error
    problems = schema_problems(table)
    if problems:
        raise IngestError(f"The table {database}.{TABLE_NAME} is not the Kaggle layout: {'; '.join(problems)}.")
    return table


def count_partitions(glue: Any, database: str) -> list[str]:
    with aws_errors(f"listing the partitions of {database}.{TABLE_NAME}"):
        pages = glue.get_paginator("get_partitions").paginate(DatabaseName=database, TableName=TABLE_NAME)
        values = [p.get("Values", []) for page in pages for p in page.get("Partitions", [])]
    return sorted("/".join(f"{k}={v}" for k, v in zip(PARTITION_KEYS, vals, strict=False)) for vals in values)
