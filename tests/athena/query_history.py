"""Athena's query history as the stand-in reports it, for the cost ledger (athena_ledger).

moto answers GetQueryExecution with `DataScannedInBytes: 0` and no failure reason, and has no
BatchGetQueryExecution at all. While installed, these patches make GetQueryExecution carry the
reason the statement hook failed a statement for (as Athena's StateChangeReason and AthenaError)
and the bytes scanned a test assigned to the execution (`scanned_bytes`), and answer
BatchGetQueryExecution with the same document per id (an unknown id is reported unprocessed, as
Athena does).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

FAILURE_ATTRIBUTE = "conformance_failure"  # set on a moto Execution by the statement hook
SCANNED_ATTRIBUTE = "conformance_scanned_bytes"  # set by MotoAthena.report_scanned


class _OneExecution:
    """What moto's GetQueryExecution handler reads of its response object, for one id."""

    def __init__(self, response: Any, execution_id: str) -> None:
        self.athena_backend = response.athena_backend
        self._execution_id = execution_id

    def _get_param(self, name: str) -> str:
        return self._execution_id


def _with_history(document: dict[str, Any], execution: Any) -> dict[str, Any]:
    reason = getattr(execution, FAILURE_ATTRIBUTE, None)
    if reason:
        status = document["Status"]
        status["StateChangeReason"] = reason
        status["AthenaError"] = {"ErrorCategory": 2, "ErrorType": 1006, "Retryable": False, "ErrorMessage": reason}
    scanned = getattr(execution, SCANNED_ATTRIBUTE, None)
    if scanned is not None:
        document["Statistics"]["DataScannedInBytes"] = scanned
    return document


def install() -> Callable[[], None]:
    """Patch moto's Athena responses; returns the function that takes the patches out."""
    from moto.athena.responses import AthenaResponse

    original_get: Callable[[Any], str] = AthenaResponse.get_query_execution

    def document(response: Any, execution_id: str) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(original_get(_OneExecution(response, execution_id)))["QueryExecution"]
        return _with_history(found, response.athena_backend.executions[execution_id])

    def get_query_execution(response: Any) -> str:
        return json.dumps({"QueryExecution": document(response, response._get_param("QueryExecutionId"))})

    def batch_get_query_execution(response: Any) -> str:
        ids: list[str] = response._get_param("QueryExecutionIds") or []
        known = [i for i in ids if i in response.athena_backend.executions]
        unknown = [
            {"QueryExecutionId": i, "ErrorCode": "INVALID_INPUT", "ErrorMessage": "QueryExecution not found"}
            for i in ids
            if i not in response.athena_backend.executions
        ]
        return json.dumps({
            "QueryExecutions": [document(response, i) for i in known], "UnprocessedQueryExecutionIds": unknown,
        })  # fmt: skip

    setattr(AthenaResponse, "get_query_execution", get_query_execution)  # noqa: B010 (a patch, typed loosely)
    setattr(AthenaResponse, "batch_get_query_execution", batch_get_query_execution)  # noqa: B010

    def uninstall() -> None:
        setattr(AthenaResponse, "get_query_execution", original_get)  # noqa: B010
        delattr(AthenaResponse, "batch_get_query_execution")

    return uninstall
