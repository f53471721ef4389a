"""Applying a plan: the create and update calls, waiting for a data source to be ready and
publishing each new dashboard version."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from dashboard.errors import DashboardError
from dashboard.quicksight_desired import DASHBOARD, DATA_SOURCE
from dashboard.quicksight_plan import Call, Step, call_api

POLL_SECONDS = 2.0
WAIT_SECONDS = 300.0
_IN_PROGRESS = ("CREATION_IN_PROGRESS", "UPDATE_IN_PROGRESS")
_FAILED = ("CREATION_FAILED", "UPDATE_FAILED", "DELETED")


def _wait(
    client: Any,
    operation: str,
    params: Mapping[str, Any],
    status_of: Callable[[dict[str, Any]], Any],
    sleep: Callable[[float], None],
) -> None:
    """Poll a describe call until the resource is no longer being created or updated."""
    waited = 0.0
    while True:
        response = call_api(client, operation, params)
        status, errors = status_of(response)
        if status in _FAILED:
            raise DashboardError(f"QuickSight {operation} reports {status}: {errors or 'no detail'}")
        if status not in _IN_PROGRESS:
            return
        if waited >= WAIT_SECONDS:
            raise DashboardError(f"QuickSight {operation} still {status} after {WAIT_SECONDS:.0f} s")
        sleep(POLL_SECONDS)
        waited += POLL_SECONDS


def _version_number(version_arn: str) -> int:
    return int(version_arn.rsplit("/", 1)[-1])


def _after(client: Any, call: Call, response: dict[str, Any], sleep: Callable[[float], None]) -> None:
    """What a create or update needs before the next call: a ready data source, a published dashboard."""
    account = call.params["AwsAccountId"]
    if call.operation in (DATA_SOURCE.create, DATA_SOURCE.update):
        # Data sets cannot be created on a data source that is still being created.
        _wait(
            client,
            "describe_data_source",
            {"AwsAccountId": account, "DataSourceId": call.params["DataSourceId"]},
            lambda r: (r["DataSource"].get("Status"), r["DataSource"].get("ErrorInfo")),
            sleep,
        )
    elif call.operation in (DASHBOARD.create, DASHBOARD.update):
        # A dashboard update makes a new version; people see it only once it is published.
        ids = {"AwsAccountId": account, "DashboardId": call.params["DashboardId"]}
        version = _version_number(response["VersionArn"])
        _wait(
            client,
            "describe_dashboard",
            {**ids, "VersionNumber": version},
            lambda r: (r["Dashboard"]["Version"].get("Status"), r["Dashboard"]["Version"].get("Errors")),
            sleep,
        )
        call_api(client, "update_dashboard_published_version", {**ids, "VersionNumber": version})


def apply(client: Any, steps: Sequence[Step], sleep: Callable[[float], None] = time.sleep) -> None:
    for step in steps:
        for call in step.calls:
            response = call_api(client, call.operation, call.params)
            _after(client, call, response, sleep)
