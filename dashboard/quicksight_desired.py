"""The QuickSight resources as they should be: data source, data sets, analysis and dashboard.

Built from the deploy settings and the mart contracts of the dbt exposure; docs/quicksight.md
describes the resources and their ids.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dashboard.errors import DashboardError
from dashboard.exposure import MartContract
from dashboard.quicksight_definition import DEFINITION_VERSION, build_definition, referenced_columns

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
