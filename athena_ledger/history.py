"""The statements a workgroup ran in a time window, from Athena's query history.

ListQueryExecutions names the workgroup's executions newest first, 50 a page; each page is read
with one BatchGetQueryExecution (at most 50 ids a call), and paging stops after the first page
that reaches back before the window. AWS errors become one sentence.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from athena_ledger.errors import LedgerError

if TYPE_CHECKING:
    from mypy_boto3_athena import AthenaClient
    from mypy_boto3_athena.type_defs import QueryExecutionTypeDef

BATCH = 50  # BatchGetQueryExecution's and ListQueryExecutions' most ids a call


@dataclass(frozen=True)
class Execution:
    """One query execution, as Athena recorded it."""

    execution_id: str
    submitted: datetime
    state: str  # QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED
    sql: str
    scanned: int  # DataScannedInBytes
    engine_ms: int  # EngineExecutionTimeInMillis
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.state == "FAILED"


def athena_client(region: str | None) -> AthenaClient:
    """An Athena client with standard retries (throttling on a busy workgroup is retried)."""
    try:
        retries = Config(retries={"mode": "standard", "max_attempts": 8})
        return boto3.client("athena", region_name=region, config=retries)
    except BotoCoreError as error:
        reason = str(error).rstrip(".")
        raise LedgerError(f"Cannot make an Athena client: {reason} (give --region or set AWS_REGION).") from None


def _execution(raw: QueryExecutionTypeDef) -> Execution | None:
    status = raw.get("Status", {})
    submitted = status.get("SubmissionDateTime")
    if submitted is None:
        return None
    statistics = raw.get("Statistics", {})
    error = raw.get("Status", {}).get("AthenaError", {}).get("ErrorMessage") or status.get("StateChangeReason")
    return Execution(
        execution_id=raw.get("QueryExecutionId", ""),
        submitted=submitted,
        state=str(status.get("State", "UNKNOWN")),
        sql=raw.get("Query", ""),
        scanned=int(statistics.get("DataScannedInBytes", 0)),
        engine_ms=int(statistics.get("EngineExecutionTimeInMillis", 0)),
        error=error or None,
    )


def _describe(client: AthenaClient, ids: Sequence[str]) -> list[Execution]:
    found: list[Execution] = []
    for first in range(0, len(ids), BATCH):
        answer = client.batch_get_query_execution(QueryExecutionIds=list(ids[first : first + BATCH]))
        unprocessed = answer.get("UnprocessedQueryExecutionIds", [])
        if unprocessed:
            item = unprocessed[0]
            raise LedgerError(
                f"Athena could not describe {len(unprocessed)} execution(s), e.g. {item.get('QueryExecutionId')}: "
                f"{item.get('ErrorMessage') or item.get('ErrorCode')}; run the ledger again."
            )
        found.extend(e for e in map(_execution, answer.get("QueryExecutions", [])) if e is not None)
    return found


def executions_between(client: AthenaClient, workgroup: str, start: datetime, end: datetime) -> Iterator[Execution]:
    """Every execution of `workgroup` submitted between `start` and `end`."""
    token: str | None = None
    try:
        while True:
            page = (
                client.list_query_executions(WorkGroup=workgroup, MaxResults=BATCH, NextToken=token)
                if token
                else client.list_query_executions(WorkGroup=workgroup, MaxResults=BATCH)
            )
            reached_start = False
            for execution in _describe(client, page.get("QueryExecutionIds", [])):
                if execution.submitted < start:
                    reached_start = True
                elif execution.submitted <= end:
                    yield execution
            token = page.get("NextToken")
            if reached_start or not token:
                return
    except ClientError as error:
        details = error.response.get("Error", {})
        reason = ": ".join(str(part) for part in (details.get("Code"), details.get("Message")) if part)
        message = f"Athena refused {error.operation_name} in workgroup {workgroup}: {reason or error}."
        raise LedgerError(message) from None
    except BotoCoreError as error:
        raise LedgerError(f"Cannot read the query history of workgroup {workgroup}: {error}.") from None
