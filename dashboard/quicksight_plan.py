"""Planning a deploy: describe each QuickSight resource, compare it with the desired one, and
decide per resource to create, update (naming what differs) or leave it unchanged."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dashboard.errors import DashboardError
from dashboard.quicksight_desired import Desired


@dataclass(frozen=True)
class Call:
    operation: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Step:
    """What deploy does to one resource."""

    desired: Desired
    action: str  # "create", "update" or "unchanged"
    changes: tuple[str, ...]
    calls: tuple[Call, ...]

    @property
    def label(self) -> str:
        return f"{self.desired.kind.noun} {self.desired.resource_id}"


def contains(described: Any, desired: Any) -> bool:
    """Whether the described value says at least everything the desired value says."""
    if isinstance(desired, Mapping):
        return isinstance(described, Mapping) and all(
            key in described and contains(described[key], value) for key, value in desired.items()
        )
    if isinstance(desired, list):
        return (
            isinstance(described, list)
            and len(described) == len(desired)
            and all(contains(got, want) for got, want in zip(described, desired, strict=True))
        )
    if isinstance(desired, bool) or isinstance(described, bool):
        return desired is described
    if isinstance(desired, int | float) and isinstance(described, int | float):
        return float(desired) == float(described)
    return bool(described == desired)


def _client_error_code(error: Exception) -> str | None:
    response = getattr(error, "response", None)
    return response.get("Error", {}).get("Code") if isinstance(response, dict) else None


def _aws_error(operation: str, error: Exception) -> DashboardError:
    from botocore.exceptions import ClientError

    if isinstance(error, ClientError):
        message = error.response.get("Error", {}).get("Message", "")
        return DashboardError(f"QuickSight {operation} failed: {_client_error_code(error)}: {message}")
    return DashboardError(f"QuickSight {operation} failed: {error}")


def call_api(client: Any, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """One API call; AWS errors become one readable line."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return getattr(client, operation)(**params)
    except (BotoCoreError, ClientError) as error:
        raise _aws_error(operation, error) from None


def _describe(client: Any, account: str, desired: Desired) -> dict[str, Any] | None:
    """The resource as QuickSight has it, or None when it does not exist."""
    from botocore.exceptions import BotoCoreError, ClientError

    kind = desired.kind
    params = {"AwsAccountId": account, kind.id_param: desired.resource_id, **kind.describe_extra}
    try:
        return kind.created(getattr(client, kind.describe)(**params))
    except (BotoCoreError, ClientError) as error:
        if _client_error_code(error) == "ResourceNotFoundException":
            return None
        raise _aws_error(kind.describe, error) from None


def _permission_calls(client: Any, account: str, desired: Desired, principal: str) -> tuple[Call, ...]:
    kind = desired.kind
    ids = {"AwsAccountId": account, kind.id_param: desired.resource_id}
    granted = call_api(client, kind.describe_permissions, ids).get("Permissions") or []
    have = {action for entry in granted if entry.get("Principal") == principal for action in entry.get("Actions", [])}
    if set(desired.actions) <= have:
        return ()
    return (
        Call(
            kind.update_permissions,
            {**ids, "GrantPermissions": [{"Principal": principal, "Actions": list(desired.actions)}]},
        ),
    )


def plan_step(client: Any, account: str, desired: Desired, principal: str) -> Step:
    """Describe one resource and decide what to do with it."""
    kind = desired.kind
    ids = {"AwsAccountId": account, kind.id_param: desired.resource_id}
    described = _describe(client, account, desired)
    if described is not None and described.get("ResourceStatus") == "DELETED":
        # A deleted analysis lingers (restorable) and blocks its id: say so rather than fail on create.
        raise DashboardError(
            f"{kind.noun} {desired.resource_id} is deleted but not yet purged: restore it "
            "(quicksight restore-analysis) or use another --id-prefix"
        )
    if described is None:
        permissions = [{"Principal": principal, "Actions": list(desired.actions)}]
        return Step(desired, "create", (), (Call(kind.create, {**ids, **desired.params, "Permissions": permissions}),))
    changes = tuple(key for key in kind.compared_keys if not contains(described.get(key), desired.params[key]))
    calls: tuple[Call, ...] = ()
    if changes:
        calls += (Call(kind.update, {**ids, **{key: desired.params[key] for key in kind.update_keys}}),)
    permission_calls = _permission_calls(client, account, desired, principal)
    if permission_calls:
        changes += ("permissions",)
        calls += permission_calls
    return Step(desired, "update" if changes else "unchanged", changes, calls)


def plan(client: Any, account: str, resources: Sequence[Desired], principal: str) -> list[Step]:
    """Describe calls only: what deploy would do to each resource."""
    return [plan_step(client, account, desired, principal) for desired in resources]
