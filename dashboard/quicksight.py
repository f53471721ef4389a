"""QuickSight as code (boto3): the dashboard's resources on Athena, created or updated idempotently.

Resources, all named from `--id-prefix` (default `ecommerce`):

| resource    | id                       | from                                                    |
|-------------|--------------------------|---------------------------------------------------------|
| data source | `<prefix>-athena`        | the Athena workgroup                                    |
| data sets   | `<prefix>-<mart>`        | each mart of the dbt exposure, with the columns and     |
|             |                          | types of its contract in target/manifest.json           |
| analysis    | `<prefix>-performance`   | dashboard/quicksight_definition.py                      |
| dashboard   | `<prefix>-performance`   | the same definition, published                          |

each shared with one principal (a QuickSight user or group ARN) with owner rights.

`deploy` first describes every resource, and plans per resource: create (missing), update
(what differs from the desired state, named), or unchanged. Only then does it make the
create/update calls, so a second run makes describe calls only. A described definition
"matches" when it contains everything the desired one says: QuickSight adds defaults of its
own to what it returns, which must not count as a difference. Permissions are only granted,
never revoked: other people's access to the resources is left alone.

Settings are flags with environment variables behind them:

| setting       | flag              | environment                      | default          |
|---------------|-------------------|----------------------------------|------------------|
| account       | --account-id      | ECOM_AWS_ACCOUNT_ID              | from STS         |
| region        | --region          | AWS_REGION, AWS_DEFAULT_REGION   | the profile's    |
| profile       | --profile         | AWS_PROFILE                      | default chain    |
| workgroup     | --workgroup       | ECOM_ATHENA_WORKGROUP            | primary          |
| catalog       | --catalog         | ECOM_ATHENA_CATALOG              | AwsDataCatalog   |
| Glue database | --schema          |                                  | mart's, marts    |
| principal     | --principal-arn   | ECOM_QUICKSIGHT_PRINCIPAL_ARN    | none (required)  |
| import mode   | --spice           |                                  | DIRECT_QUERY     |
"""

from __future__ import annotations

import argparse
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from dashboard.errors import DashboardError
from dashboard.exposure import MartContract, exposure_marts, load_manifest
from dashboard.quicksight_definition import DEFINITION_VERSION, build_definition, referenced_columns

ENV_ACCOUNT = "ECOM_AWS_ACCOUNT_ID"
ENV_WORKGROUP = "ECOM_ATHENA_WORKGROUP"
ENV_CATALOG = "ECOM_ATHENA_CATALOG"
ENV_PRINCIPAL = "ECOM_QUICKSIGHT_PRINCIPAL_ARN"
UNKNOWN_ACCOUNT = "<account-id>"
UNKNOWN_REGION = "<region>"

# Owner rights on each kind of resource (the sets the QuickSight console grants an owner).
DATA_SOURCE_ACTIONS = (
    "quicksight:DescribeDataSource",
    "quicksight:DescribeDataSourcePermissions",
    "quicksight:PassDataSource",
    "quicksight:UpdateDataSource",
    "quicksight:DeleteDataSource",
    "quicksight:UpdateDataSourcePermissions",
)
DATA_SET_ACTIONS = (
    "quicksight:DescribeDataSet",
    "quicksight:DescribeDataSetPermissions",
    "quicksight:PassDataSet",
    "quicksight:DescribeIngestion",
    "quicksight:ListIngestions",
    "quicksight:UpdateDataSet",
    "quicksight:DeleteDataSet",
    "quicksight:CreateIngestion",
    "quicksight:CancelIngestion",
    "quicksight:UpdateDataSetPermissions",
)
ANALYSIS_ACTIONS = (
    "quicksight:RestoreAnalysis",
    "quicksight:UpdateAnalysisPermissions",
    "quicksight:DeleteAnalysis",
    "quicksight:DescribeAnalysisPermissions",
    "quicksight:QueryAnalysis",
    "quicksight:DescribeAnalysis",
    "quicksight:UpdateAnalysis",
)
DASHBOARD_ACTIONS = (
    "quicksight:DescribeDashboard",
    "quicksight:ListDashboardVersions",
    "quicksight:UpdateDashboardPermissions",
    "quicksight:QueryDashboard",
    "quicksight:UpdateDashboard",
    "quicksight:DeleteDashboard",
    "quicksight:DescribeDashboardPermissions",
    "quicksight:UpdateDashboardPublishedVersion",
)

# dbt contract data types (DuckDB and Athena spellings) -> QuickSight InputColumn types.
_TYPE_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"(varchar|char|string|text)(\(\d+\))?", "STRING"),
    (r"(bigint|integer|int|smallint|tinyint|hugeint|int\d+)", "INTEGER"),
    (r"(decimal|numeric)(\(\s*\d+\s*(,\s*\d+\s*)?\))?", "DECIMAL"),
    (r"(double|float|real|double precision)", "DECIMAL"),
    (r"(date|timestamp(\(\d+\))?( with(out)? time zone)?|timestamptz)", "DATETIME"),
    (r"(boolean|bool)", "BOOLEAN"),
)


def quicksight_type(data_type: str) -> str:
    """The QuickSight input column type of a contract data type, e.g. decimal(18, 2) -> DECIMAL."""
    text = data_type.strip().lower()
    for pattern, quicksight in _TYPE_PATTERNS:
        if re.fullmatch(pattern, text):
            return quicksight
    raise DashboardError(f"the contract data type '{data_type}' has no QuickSight column type")


@dataclass(frozen=True)
class Settings:
    """Where and how the QuickSight resources are deployed."""

    principal_arn: str
    account_id: str | None = None
    region: str | None = None
    profile: str | None = None
    workgroup: str = "primary"
    catalog: str = "AwsDataCatalog"
    schema: str | None = None  # None: each mart's schema in the manifest (marts)
    import_mode: str = "DIRECT_QUERY"
    id_prefix: str = "ecommerce"

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Settings:
        if not args.principal_arn:
            raise DashboardError(
                f"no QuickSight principal: pass --principal-arn or set {ENV_PRINCIPAL} (a user "
                "or group ARN such as arn:aws:quicksight:us-east-1:111122223333:user/default/me)"
            )
        if not re.fullmatch(r"[\w\-]+", args.id_prefix):
            raise DashboardError(f"--id-prefix '{args.id_prefix}' may only hold letters, digits, _ and -")
        return cls(
            principal_arn=args.principal_arn,
            account_id=args.account_id,
            region=args.region,
            profile=args.profile,
            workgroup=args.workgroup,
            catalog=args.catalog,
            schema=args.schema,
            import_mode="SPICE" if args.spice else "DIRECT_QUERY",
            id_prefix=args.id_prefix,
        )


def add_settings_arguments(parser: argparse.ArgumentParser) -> None:
    env = os.environ.get
    parser.add_argument(
        "--principal-arn",
        default=env(ENV_PRINCIPAL),
        help=f"QuickSight user or group ARN given owner rights (default ${ENV_PRINCIPAL})",
    )
    parser.add_argument(
        "--account-id",
        default=env(ENV_ACCOUNT),
        help=f"AWS account id (default ${ENV_ACCOUNT}, else the caller's, from STS)",
    )
    parser.add_argument(
        "--region",
        default=env("AWS_REGION") or env("AWS_DEFAULT_REGION"),
        help="AWS region of QuickSight and Athena (default $AWS_REGION, else the profile's)",
    )
    parser.add_argument("--profile", default=env("AWS_PROFILE"), help="AWS profile (default $AWS_PROFILE)")
    parser.add_argument(
        "--workgroup",
        default=env(ENV_WORKGROUP, "primary"),
        help=f"Athena workgroup of the data source (default ${ENV_WORKGROUP} or primary)",
    )
    parser.add_argument(
        "--catalog", default=env(ENV_CATALOG, "AwsDataCatalog"), help="Athena data catalog (default AwsDataCatalog)"
    )
    parser.add_argument(
        "--schema",
        default=None,
        help="Glue database holding the marts (default: each mart's schema in the dbt manifest, marts)",
    )
    parser.add_argument(
        "--spice", action="store_true", help="import the datasets into SPICE instead of querying Athena directly"
    )
    parser.add_argument("--id-prefix", default="ecommerce", help="prefix of every resource id (default ecommerce)")


# --- the desired resources --------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """One kind of QuickSight resource and the API operations that manage it."""

    noun: str
    id_param: str
    describe: str
    created: Callable[[dict[str, Any]], dict[str, Any]]  # the described resource, out of the describe response
    create: str
    update: str
    update_keys: tuple[str, ...]  # the create parameters the update call takes
    compared_keys: tuple[str, ...]  # the create parameters a describe call returns (and so can be compared)
    describe_permissions: str
    update_permissions: str
    arn_type: str
    describe_extra: Mapping[str, str] = field(default_factory=dict)


DATA_SOURCE = Kind(
    "data source",
    "DataSourceId",
    "describe_data_source",
    lambda r: r["DataSource"],
    "create_data_source",
    "update_data_source",
    ("Name", "DataSourceParameters"),
    ("Name", "Type", "DataSourceParameters"),
    "describe_data_source_permissions",
    "update_data_source_permissions",
    "datasource",
)
DATA_SET = Kind(
    "data set",
    "DataSetId",
    "describe_data_set",
    lambda r: r["DataSet"],
    "create_data_set",
    "update_data_set",
    ("Name", "PhysicalTableMap", "ImportMode"),
    ("Name", "PhysicalTableMap", "ImportMode"),
    "describe_data_set_permissions",
    "update_data_set_permissions",
    "dataset",
)
ANALYSIS = Kind(
    "analysis",
    "AnalysisId",
    "describe_analysis_definition",
    lambda r: r,
    "create_analysis",
    "update_analysis",
    ("Name", "Definition"),
    ("Name", "Definition"),
    "describe_analysis_permissions",
    "update_analysis_permissions",
    "analysis",
)
# The published version is what people see, so that is what is compared.
DASHBOARD = Kind(
    "dashboard",
    "DashboardId",
    "describe_dashboard_definition",
    lambda r: r,
    "create_dashboard",
    "update_dashboard",
    ("Name", "Definition", "VersionDescription"),
    ("Name", "Definition"),
    "describe_dashboard_permissions",
    "update_dashboard_permissions",
    "dashboard",
    describe_extra={"AliasName": "$PUBLISHED"},
)


@dataclass(frozen=True)
class Desired:
    """A resource as it should be: its create parameters (without account, id and permissions)."""

    kind: Kind
    resource_id: str
    params: dict[str, Any]
    actions: tuple[str, ...]


def arn(settings: Settings, account: str, kind: Kind, resource_id: str) -> str:
    return f"arn:aws:quicksight:{settings.region or UNKNOWN_REGION}:{account}:{kind.arn_type}/{resource_id}"


def data_set_id(settings: Settings, mart: str) -> str:
    return f"{settings.id_prefix}-{mart}"


def _data_set(settings: Settings, source_arn: str, mart: MartContract) -> Desired:
    # Physical table ids may hold letters, digits and dashes only.
    table_id = mart.name.replace("_", "-")
    table = {
        "RelationalTable": {
            "DataSourceArn": source_arn,
            "Catalog": settings.catalog,
            "Schema": settings.schema or mart.schema,
            "Name": mart.name,
            "InputColumns": [{"Name": name, "Type": quicksight_type(data_type)} for name, data_type in mart.columns],
        }
    }
    return Desired(
        DATA_SET,
        data_set_id(settings, mart.name),
        {"Name": mart.name, "PhysicalTableMap": {table_id: table}, "ImportMode": settings.import_mode},
        DATA_SET_ACTIONS,
    )


def check_definition(definition: Mapping[str, Any], marts: Sequence[MartContract]) -> None:
    """The definition reads exactly the exposure's marts, and only columns of their contracts."""
    contracts = {mart.name: set(mart.column_names) for mart in marts}
    used = set(referenced_columns(definition))
    unknown = sorted(f"{mart}.{name}" for mart, name in used if name not in contracts.get(mart, set()))
    if unknown:
        raise DashboardError(f"the QuickSight definition reads columns no mart contract has: {', '.join(unknown)}")
    unused = sorted(set(contracts) - {mart for mart, _ in used})
    if unused:
        raise DashboardError(f"the exposure lists marts no QuickSight visual reads: {', '.join(unused)}")


def desired_resources(settings: Settings, account: str, marts: Sequence[MartContract]) -> list[Desired]:
    """Everything to deploy, in dependency order: data source, data sets, analysis, dashboard."""
    source_id = f"{settings.id_prefix}-athena"
    source = Desired(
        DATA_SOURCE,
        source_id,
        {
            "Name": f"{settings.id_prefix} Athena ({settings.workgroup})",
            "Type": "ATHENA",
            "DataSourceParameters": {"AthenaParameters": {"WorkGroup": settings.workgroup}},
        },
        DATA_SOURCE_ACTIONS,
    )
    source_arn = arn(settings, account, DATA_SOURCE, source_id)
    data_sets = [_data_set(settings, source_arn, mart) for mart in marts]
    definition = build_definition(
        {mart.name: arn(settings, account, DATA_SET, data_set_id(settings, mart.name)) for mart in marts}
    )
    check_definition(definition, marts)
    name = "E-commerce performance"
    resource_id = f"{settings.id_prefix}-performance"
    analysis = Desired(ANALYSIS, resource_id, {"Name": name, "Definition": definition}, ANALYSIS_ACTIONS)
    dashboard = Desired(
        DASHBOARD,
        resource_id,
        {"Name": name, "Definition": definition, "VersionDescription": f"definition version {DEFINITION_VERSION}"},
        DASHBOARD_ACTIONS,
    )
    return [source, *data_sets, analysis, dashboard]


# --- planning: describe, then compare ----------------------------------------------------------------


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


def _call(client: Any, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
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
    granted = _call(client, kind.describe_permissions, ids).get("Permissions") or []
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


# --- applying the plan -------------------------------------------------------------------------------

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
        response = _call(client, operation, params)
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
        _call(client, "update_dashboard_published_version", {**ids, "VersionNumber": version})


def apply(client: Any, steps: Sequence[Step], sleep: Callable[[float], None] = time.sleep) -> None:
    for step in steps:
        for call in step.calls:
            response = _call(client, call.operation, call.params)
            _after(client, call, response, sleep)


# --- the command -------------------------------------------------------------------------------------


def describe_plan(steps: Sequence[Step]) -> list[str]:
    width = max((len(step.label) for step in steps), default=0)
    lines = []
    for step in steps:
        detail = f" ({', '.join(step.changes)})" if step.changes else ""
        if any(call.operation in (DASHBOARD.create, DASHBOARD.update) for call in step.calls):
            detail += ", then publish the new version"
        lines.append(f"  {step.label:<{width}}  {step.action}{detail}")
    return lines


def describe_desired(resources: Sequence[Desired]) -> list[str]:
    """The desired resources, for a dry run that cannot reach AWS."""
    lines = []
    for desired in resources:
        params = desired.params
        if desired.kind is DATA_SOURCE:
            what = f"Athena workgroup {params['DataSourceParameters']['AthenaParameters']['WorkGroup']}"
        elif desired.kind is DATA_SET:
            (table,) = params["PhysicalTableMap"].values()
            relational = table["RelationalTable"]
            columns = ", ".join(f"{c['Name']} {c['Type']}" for c in relational["InputColumns"])
            what = (
                f"{relational['Catalog']}.{relational['Schema']}.{relational['Name']} {params['ImportMode']}: {columns}"
            )
        else:
            visuals = sum(len(sheet["Visuals"]) for sheet in params["Definition"]["Sheets"])
            what = f"'{params['Name']}', {visuals} visuals, definition version {DEFINITION_VERSION}"
        lines.append(f"  {desired.kind.noun} {desired.resource_id}: {what}")
    return lines


def deploy(
    client: Any,
    account: str,
    resources: Sequence[Desired],
    principal: str,
    *,
    dry_run: bool,
    out: TextIO,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Step]:
    """Plan, print the plan, and (unless a dry run) apply it."""
    steps = plan(client, account, resources, principal)
    print(f"QuickSight plan for account {account} (definition version {DEFINITION_VERSION}):", file=out)
    print("\n".join(describe_plan(steps)), file=out)
    pending = [step for step in steps if step.calls]
    if dry_run:
        print(f"dry run: {len(pending)} of {len(steps)} resources would change; nothing was changed", file=out)
        return steps
    apply(client, pending, sleep)
    print(f"deployed: {len(pending)} of {len(steps)} resources changed", file=out)
    return steps


def _session(settings: Settings) -> Any:
    import boto3
    from botocore.exceptions import BotoCoreError

    try:
        return boto3.Session(profile_name=settings.profile or None, region_name=settings.region or None)
    except BotoCoreError as error:
        raise DashboardError(str(error)) from None


def _caller_account(session: Any) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return session.client("sts").get_caller_identity()["Account"]
    except (BotoCoreError, ClientError) as error:
        raise DashboardError(f"cannot find the AWS account ({error}); set {ENV_ACCOUNT} or --account-id") from None


def _print_desired(resources: Sequence[Desired], reason: str, out: TextIO) -> None:
    print(f"dry run without AWS access ({reason}); the desired resources:", file=out)
    print("\n".join(describe_desired(resources)), file=out)


def deploy_command(settings: Settings, *, manifest_path: Path, dry_run: bool, out: TextIO) -> int:
    """`python -m dashboard quicksight deploy`: settings in, plan printed, resources deployed."""
    marts = exposure_marts(load_manifest(manifest_path))
    session = _session(settings)
    settings = replace(settings, region=settings.region or session.region_name)
    try:
        if not settings.region:
            raise DashboardError("no AWS region: pass --region or set AWS_REGION")
        account = settings.account_id or _caller_account(session)
    except DashboardError as error:
        if not dry_run:
            raise
        # Without AWS there is nothing to compare with: show what would be deployed.
        _print_desired(desired_resources(settings, settings.account_id or UNKNOWN_ACCOUNT, marts), str(error), out)
        return 0
    resources = desired_resources(settings, account, marts)
    from botocore.config import Config

    client = session.client("quicksight", config=Config(retries={"max_attempts": 10, "mode": "adaptive"}))
    try:
        deploy(client, account, resources, settings.principal_arn, dry_run=dry_run, out=out)
    except DashboardError as error:
        if not dry_run:
            raise
        _print_desired(resources, str(error), out)
    return 0
