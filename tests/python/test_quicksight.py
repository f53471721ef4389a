"""QuickSight as code, without AWS: every API call the deploy makes is checked against botocore's
QuickSight service model (botocore's Stubber and ParamValidator, plus enums, patterns and
lengths, which botocore leaves to the server); the datasets have exactly the columns and types
of the mart contracts in target/manifest.json; the exposure and the definition name the same
marts; deploy is idempotent (a second run only describes) and --dry-run changes nothing."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.model import StringShape
from botocore.stub import ANY, Stubber
from botocore.validate import ParamValidator

from conftest import REPO, Warehouse
from dashboard.errors import DashboardError
from dashboard.exposure import exposure_marts
from dashboard.quicksight import deploy
from dashboard.quicksight_definition import DEFINITION_VERSION, build_definition, referenced_columns
from dashboard.quicksight_desired import (
    DASHBOARD,
    DATA_SET,
    DATA_SOURCE,
    Desired,
    Settings,
    desired_resources,
    quicksight_type,
)

pytestmark = pytest.mark.dbt

ACCOUNT = "111122223333"
PRINCIPAL = "arn:aws:quicksight:eu-west-1:111122223333:group/default/analysts"
SETTINGS = Settings(principal_arn=PRINCIPAL, region="eu-west-1")
MODEL = botocore.session.get_session().get_service_model("quicksight")
NOW = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)

# The contract types the marts use, and the QuickSight type each must become: written out here,
# not taken from the code, so a new or changed type in a contract makes this test say so.
CONTRACT_TO_QUICKSIGHT = {
    "decimal(18, 2)": "DECIMAL",
    "double": "DECIMAL",
    "bigint": "INTEGER",
    "integer": "INTEGER",
    "varchar": "STRING",
    "date": "DATETIME",
}


@pytest.fixture(scope="module")
def manifest(generated_build: Warehouse) -> dict[str, Any]:
    return json.loads((generated_build.database.parent / "target" / "manifest.json").read_text())


@pytest.fixture(scope="module")
def contracts(manifest: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """Each exposure mart's contract columns, read straight from the manifest."""
    (exposure,) = [e for e in manifest["exposures"].values() if e["name"] == "ecommerce_performance_dashboard"]
    return {
        manifest["nodes"][node]["name"]: [
            (c["name"], c["data_type"]) for c in manifest["nodes"][node]["columns"].values()
        ]
        for node in exposure["depends_on"]["nodes"]
    }


@pytest.fixture(scope="module")
def resources(manifest: dict[str, Any]) -> list[Desired]:
    return desired_resources(SETTINGS, ACCOUNT, exposure_marts(manifest))


# --- checking parameters against the service model ----------------------------------------------------


def strict_errors(shape: Any, value: Any, path: str = "") -> list[str]:
    """What botocore's ParamValidator does not check: enums, patterns, maximum lengths and sizes.

    `shape` is Any: this walks botocore's shapes by `type_name`, where the stubs type each kind's
    attributes (members, member, key, value, enum) on its own subclass.
    """
    errors = []
    meta = shape.metadata
    if shape.type_name == "structure":
        errors += [f"{path}.{name}: required" for name in shape.required_members if name not in value]
        for name, item in value.items():
            if name not in shape.members:
                errors.append(f"{path}.{name}: unknown")
            else:
                errors += strict_errors(shape.members[name], item, f"{path}.{name}")
    elif shape.type_name in ("list", "map"):
        if len(value) > meta.get("max", len(value)) or len(value) < meta.get("min", 0):
            errors.append(f"{path}: {len(value)} items, allowed {meta.get('min', 0)}..{meta.get('max')}")
        if shape.type_name == "list":
            for index, item in enumerate(value):
                errors += strict_errors(shape.member, item, f"{path}[{index}]")
        else:
            for key, item in value.items():
                errors += strict_errors(shape.key, key, f"{path}<key {key}>")
                errors += strict_errors(shape.value, item, f"{path}[{key}]")
    elif shape.type_name == "string":
        if shape.enum and value not in shape.enum:
            errors.append(f"{path}: {value!r} not one of {shape.enum}")
        if not meta.get("min", 0) <= len(value) <= meta.get("max", len(value)):
            errors.append(f"{path}: length {len(value)} outside {meta.get('min', 0)}..{meta.get('max')}")
        if "pattern" in meta and not re.fullmatch(meta["pattern"], value):
            errors.append(f"{path}: {value!r} does not match {meta['pattern']}")
    elif shape.type_name in ("integer", "long", "double", "float") and not (
        meta.get("min", value) <= value <= meta.get("max", value)
    ):
        errors.append(f"{path}: {value} outside {meta.get('min')}..{meta.get('max')}")
    return errors


def validation_errors(operation: str, params: dict[str, Any]) -> list[str]:
    shape = MODEL.operation_model(operation).input_shape
    assert shape is not None, operation
    report = ParamValidator().validate(params, shape)
    return ([report.generate_report()] if report.has_errors() else []) + strict_errors(shape, params, operation)


def test_the_definition_validates_against_create_analysis_and_create_dashboard(resources: list[Desired]) -> None:
    definition = resources[-1].params["Definition"]
    analysis = {"AwsAccountId": ACCOUNT, "AnalysisId": "ecommerce-performance", "Name": "x", "Definition": definition}
    dashboard = {
        "AwsAccountId": ACCOUNT,
        "DashboardId": "ecommerce-performance",
        "Name": "x",
        "Definition": definition,
        "VersionDescription": f"definition version {DEFINITION_VERSION}",
    }
    assert validation_errors("CreateAnalysis", analysis) == []
    assert validation_errors("CreateDashboard", dashboard) == []
    assert validation_errors("UpdateDashboard", dashboard) == []


def test_the_strict_check_catches_what_botocore_leaves_to_the_server(resources: list[Desired]) -> None:
    broken = copy.deepcopy(resources[1].params)
    (table,) = broken["PhysicalTableMap"].values()
    table["RelationalTable"]["InputColumns"][0]["Type"] = "TEXT"
    broken["PhysicalTableMap"] = {"kpi_summary": table}
    errors = validation_errors("CreateDataSet", {"AwsAccountId": ACCOUNT, "DataSetId": "x", **broken})
    assert any("'TEXT' not one of" in error for error in errors)
    assert any("does not match" in error for error in errors)  # physical table ids allow no underscore


# --- the datasets and the definition against the contracts -------------------------------------------


def test_each_dataset_has_the_columns_and_types_of_its_mart_contract(
    resources: list[Desired], contracts: dict[str, list[tuple[str, str]]]
) -> None:
    data_sets = [r for r in resources if r.kind is DATA_SET]
    assert [r.params["Name"] for r in data_sets] == list(contracts)
    for data_set in data_sets:
        (table,) = data_set.params["PhysicalTableMap"].values()
        relational = table["RelationalTable"]
        mart = data_set.params["Name"]
        assert (relational["Catalog"], relational["Schema"], relational["Name"]) == ("AwsDataCatalog", "marts", mart)
        assert [(c["Name"], c["Type"]) for c in relational["InputColumns"]] == [
            (name, CONTRACT_TO_QUICKSIGHT[data_type]) for name, data_type in contracts[mart]
        ]
        assert data_set.params["ImportMode"] == "DIRECT_QUERY"
        assert relational["DataSourceArn"] == f"arn:aws:quicksight:eu-west-1:{ACCOUNT}:datasource/ecommerce-athena"


def test_every_column_a_visual_uses_is_in_its_marts_contract(
    resources: list[Desired], contracts: dict[str, list[tuple[str, str]]]
) -> None:
    used = set(referenced_columns(resources[-1].params["Definition"]))
    assert len(used) >= 25
    assert {f"{m}.{c}" for m, c in used} <= {f"{m}.{name}" for m, columns in contracts.items() for name, _ in columns}


def test_the_exposure_and_the_quicksight_definition_list_the_same_marts(
    resources: list[Desired], contracts: dict[str, list[tuple[str, str]]]
) -> None:
    definition = resources[-1].params["Definition"]
    declared = {d["Identifier"]: d["DataSetArn"] for d in definition["DataSetIdentifierDeclarations"]}
    assert set(declared) == set(contracts)
    assert {mart for mart, _ in referenced_columns(definition)} == set(contracts)
    assert declared == {mart: f"arn:aws:quicksight:eu-west-1:{ACCOUNT}:dataset/ecommerce-{mart}" for mart in contracts}


def _rename_column(manifest: dict[str, Any], mart: str, old: str, new: str) -> dict[str, Any]:
    doctored = copy.deepcopy(manifest)
    node = doctored["nodes"][f"model.ecommerce_analytics.{mart}"]
    node["columns"] = {
        (new if name == old else name): {**column, "name": new if name == old else name}
        for name, column in node["columns"].items()
    }
    return doctored


def test_renaming_a_mart_column_breaks_the_deploy_not_the_dashboard(manifest: dict[str, Any]) -> None:
    doctored = _rename_column(manifest, "revenue_by_brand", "revenue", "brand_revenue")
    with pytest.raises(DashboardError, match=r"revenue_by_brand\.revenue\b"):
        desired_resources(SETTINGS, ACCOUNT, exposure_marts(doctored))


def test_a_mart_in_the_exposure_that_no_visual_reads_is_refused(manifest: dict[str, Any]) -> None:
    doctored = copy.deepcopy(manifest)
    (exposure,) = [e for e in doctored["exposures"].values() if e["name"] == "ecommerce_performance_dashboard"]
    exposure["depends_on"]["nodes"].append("model.ecommerce_analytics.revenue_by_brand".replace("brand", "category"))
    exposure["depends_on"]["nodes"].append("model.ecommerce_analytics.fact_monthly_summary")
    doctored["nodes"]["model.ecommerce_analytics.fact_monthly_summary"]["config"]["contract"]["enforced"] = True
    with pytest.raises(DashboardError, match="fact_monthly_summary"):
        desired_resources(SETTINGS, ACCOUNT, exposure_marts(doctored))


@pytest.mark.parametrize(
    ("contract", "quicksight"),
    [
        ("decimal(18, 2)", "DECIMAL"),
        ("DECIMAL(38,6)", "DECIMAL"),
        ("double", "DECIMAL"),
        ("bigint", "INTEGER"),
        ("integer", "INTEGER"),
        ("varchar", "STRING"),
        ("varchar(20)", "STRING"),
        ("date", "DATETIME"),
        ("timestamp", "DATETIME"),
        ("timestamp(6)", "DATETIME"),
        ("boolean", "BOOLEAN"),
    ],
)
def test_contract_types_map_to_quicksight_input_column_types(contract: str, quicksight: str) -> None:
    assert quicksight_type(contract) == quicksight
    column_type = MODEL.shape_for("InputColumnDataType")
    assert isinstance(column_type, StringShape)
    assert quicksight in column_type.enum


def test_an_unknown_contract_type_is_an_error() -> None:
    with pytest.raises(DashboardError, match="struct"):
        quicksight_type("struct(a integer)")


# --- deploy against a stubbed QuickSight ----------------------------------------------------------------


class StubbedQuickSight:
    """A QuickSight client whose every call is stubbed, checked against the model and recorded."""

    def __init__(self) -> None:
        self.client = boto3.client(
            "quicksight", region_name="eu-west-1", aws_access_key_id="test", aws_secret_access_key="test"
        )
        self.stubber = Stubber(self.client)
        self.calls: list[str] = []
        self.invalid: list[str] = []
        self.client.meta.events.register("before-parameter-build.quicksight", self._record)

    def _record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls.append(model.name)
        self.invalid += validation_errors(model.name, params)

    def respond(self, operation: str, response: dict[str, Any], expected: dict[str, Any] | None = None) -> None:
        self.stubber.add_response(operation, response, expected)

    def missing(self, operation: str, expected: dict[str, Any]) -> None:
        self.stubber.add_client_error(
            operation, "ResourceNotFoundException", "not found", 404, expected_params=expected
        )

    def __enter__(self) -> StubbedQuickSight:
        self.stubber.activate()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stubber.deactivate()


def ids(desired: Desired) -> dict[str, str]:
    return {"AwsAccountId": ACCOUNT, desired.kind.id_param: desired.resource_id}


def arn_of(desired: Desired) -> str:
    return f"arn:aws:quicksight:eu-west-1:{ACCOUNT}:{desired.kind.arn_type}/{desired.resource_id}"


def granted(desired: Desired) -> list[dict[str, Any]]:
    return [
        {"Principal": PRINCIPAL, "Actions": list(desired.actions)},
        {
            "Principal": "arn:aws:quicksight:eu-west-1:111122223333:user/default/someone-else",
            "Actions": ["quicksight:DescribeDashboard"],
        },
    ]


def stub_described(
    qs: StubbedQuickSight,
    desired: Desired,
    permissions: list[dict[str, Any]] | None = None,
    change: dict[str, Any] | None = None,
) -> None:
    """QuickSight describing `desired` as deployed, with defaults of its own added, and its permissions."""
    params = {**copy.deepcopy(desired.params), **(change or {})}
    kind, arn = desired.kind, arn_of(desired)
    if kind is DATA_SOURCE:
        qs.respond(
            "describe_data_source",
            {
                "DataSource": {
                    "Arn": arn,
                    "DataSourceId": desired.resource_id,
                    "Status": "CREATION_SUCCESSFUL",
                    "CreatedTime": NOW,
                    "SslProperties": {"DisableSsl": False},
                    **params,
                },
                "Status": 200,
            },
            ids(desired),
        )
    elif kind is DATA_SET:
        (table_id,) = params["PhysicalTableMap"]
        logical = {"logical": {"Alias": params["Name"], "Source": {"PhysicalTableId": table_id}}}
        qs.respond(
            "describe_data_set",
            {
                "DataSet": {
                    "Arn": arn,
                    "DataSetId": desired.resource_id,
                    "LogicalTableMap": logical,
                    "ConsumedSpiceCapacityInBytes": 0,
                    **params,
                },
                "Status": 200,
            },
            ids(desired),
        )
    else:
        definition = params["Definition"]
        definition["Options"] = {"WeekStart": "SUNDAY"}  # a server-side default the desired state does not set
        definition["Sheets"][0]["ContentType"] = "INTERACTIVE"
        extra = {"AliasName": "$PUBLISHED"} if kind is DASHBOARD else {}
        qs.respond(
            kind.describe,
            {
                kind.id_param: desired.resource_id,
                "Name": params["Name"],
                "Definition": definition,
                "ResourceStatus": "CREATION_SUCCESSFUL",
                "Status": 200,
            },
            {**ids(desired), **extra},
        )
    arn_key = {
        "data source": "DataSourceArn",
        "data set": "DataSetArn",
        "analysis": "AnalysisArn",
        "dashboard": "DashboardArn",
    }[kind.noun]
    qs.respond(
        kind.describe_permissions,
        {
            arn_key: arn,
            kind.id_param: desired.resource_id,
            "Permissions": granted(desired) if permissions is None else permissions,
            "Status": 200,
        },
        ids(desired),
    )


def stub_missing(qs: StubbedQuickSight, desired: Desired) -> None:
    extra = {"AliasName": "$PUBLISHED"} if desired.kind is DASHBOARD else {}
    qs.missing(desired.kind.describe, {**ids(desired), **extra})


def stub_dashboard_published(qs: StubbedQuickSight, desired: Desired, version: int) -> None:
    qs.respond(
        "describe_dashboard",
        {
            "Dashboard": {
                "DashboardId": desired.resource_id,
                "Arn": arn_of(desired),
                "Name": desired.params["Name"],
                "Version": {"Status": "CREATION_SUCCESSFUL", "VersionNumber": version},
            },
            "Status": 200,
        },
        {**ids(desired), "VersionNumber": version},
    )
    qs.respond(
        "update_dashboard_published_version",
        {"DashboardId": desired.resource_id, "DashboardArn": arn_of(desired), "Status": 200},
        {**ids(desired), "VersionNumber": version},
    )


def expected_create(desired: Desired, contracts: dict[str, list[tuple[str, str]]]) -> dict[str, Any]:
    """The create parameters, written from the contracts and the settings rather than read from the code."""
    permissions = [{"Principal": PRINCIPAL, "Actions": ANY}]
    base = {**ids(desired), "Permissions": permissions, "Name": ANY}
    if desired.kind is DATA_SOURCE:
        return {**base, "Type": "ATHENA", "DataSourceParameters": {"AthenaParameters": {"WorkGroup": "primary"}}}
    if desired.kind is DATA_SET:
        mart = desired.resource_id.removeprefix("ecommerce-")
        columns = [{"Name": name, "Type": CONTRACT_TO_QUICKSIGHT[data_type]} for name, data_type in contracts[mart]]
        return {
            **base,
            "Name": mart,
            "ImportMode": "DIRECT_QUERY",
            "PhysicalTableMap": {
                mart.replace("_", "-"): {
                    "RelationalTable": {
                        "DataSourceArn": f"arn:aws:quicksight:eu-west-1:{ACCOUNT}:datasource/ecommerce-athena",
                        "Catalog": "AwsDataCatalog",
                        "Schema": "marts",
                        "Name": mart,
                        "InputColumns": columns,
                    }
                }
            },
        }
    extra = {"VersionDescription": f"definition version {DEFINITION_VERSION}"} if desired.kind is DASHBOARD else {}
    return {**base, "Definition": ANY, **extra}


def created_response(desired: Desired) -> dict[str, Any]:
    response = {"Arn": arn_of(desired), desired.kind.id_param: desired.resource_id, "Status": 202}
    if desired.kind is DATA_SET:
        return {**response, "Status": 201}
    response["CreationStatus"] = "CREATION_IN_PROGRESS"
    if desired.kind is DASHBOARD:
        response["VersionArn"] = f"{arn_of(desired)}/version/1"
    return response


def test_first_deploy_creates_everything_with_valid_parameters(
    resources: list[Desired], contracts: dict[str, list[tuple[str, str]]]
) -> None:
    out = io.StringIO()
    with StubbedQuickSight() as qs:
        for desired in resources:
            stub_missing(qs, desired)
        source = resources[0]
        for desired in resources:
            qs.respond(desired.kind.create, created_response(desired), expected_create(desired, contracts))
            if desired is source:
                # The deploy waits for the data source before creating data sets on it.
                for status in ("CREATION_IN_PROGRESS", "CREATION_SUCCESSFUL"):
                    qs.respond(
                        "describe_data_source",
                        {"DataSource": {"DataSourceId": source.resource_id, "Status": status}, "Status": 200},
                        ids(source),
                    )
        stub_dashboard_published(qs, resources[-1], 1)
        steps = deploy(qs.client, ACCOUNT, resources, PRINCIPAL, dry_run=False, out=out, sleep=lambda _: None)
        qs.stubber.assert_no_pending_responses()
    assert [step.action for step in steps] == ["create"] * len(resources)
    assert qs.invalid == []
    assert qs.calls.count("CreateDataSet") == len(contracts)
    assert qs.calls[-2:] == ["DescribeDashboard", "UpdateDashboardPublishedVersion"]
    assert f"deployed: {len(resources)} of {len(resources)} resources changed" in out.getvalue()


def test_a_second_deploy_only_describes(resources: list[Desired]) -> None:
    out = io.StringIO()
    with StubbedQuickSight() as qs:
        for desired in resources:
            stub_described(qs, desired)
        steps = deploy(qs.client, ACCOUNT, resources, PRINCIPAL, dry_run=False, out=out, sleep=lambda _: None)
        qs.stubber.assert_no_pending_responses()
    assert {step.action for step in steps} == {"unchanged"}
    assert qs.calls and all(call.startswith("Describe") for call in qs.calls), qs.calls
    assert qs.invalid == []
    assert f"deployed: 0 of {len(resources)} resources changed" in out.getvalue()


def test_what_differs_is_updated_and_nothing_else(manifest: dict[str, Any]) -> None:
    # Deployed with the defaults; now wanted: another workgroup, SPICE, a retitled visual, and a
    # principal who lost access to one dataset.
    deployed = desired_resources(SETTINGS, ACCOUNT, exposure_marts(manifest))
    settings = Settings(principal_arn=PRINCIPAL, region="eu-west-1", workgroup="analytics", import_mode="SPICE")
    wanted = desired_resources(settings, ACCOUNT, exposure_marts(manifest))
    old_definition = copy.deepcopy(deployed[-1].params["Definition"])
    old_definition["Sheets"][0]["Visuals"][0]["KPIVisual"]["Title"]["FormatText"]["PlainText"] = "Revenue"
    source, *data_sets, analysis, dashboard = deployed
    out = io.StringIO()
    with StubbedQuickSight() as qs:
        stub_described(qs, source)
        for index, data_set in enumerate(data_sets):
            stub_described(qs, data_set, permissions=granted(data_set)[1:] if index == 0 else None)
        stub_described(qs, analysis, change={"Definition": copy.deepcopy(old_definition)})
        stub_described(qs, dashboard, change={"Definition": copy.deepcopy(old_definition)})
        qs.respond(
            "update_data_source",
            {
                "Arn": arn_of(source),
                "DataSourceId": source.resource_id,
                "UpdateStatus": "UPDATE_IN_PROGRESS",
                "Status": 202,
            },
            {**ids(source), "Name": ANY, "DataSourceParameters": {"AthenaParameters": {"WorkGroup": "analytics"}}},
        )
        qs.respond("describe_data_source", {"DataSource": {"Status": "UPDATE_SUCCESSFUL"}, "Status": 200}, ids(source))
        for index, data_set in enumerate(data_sets):
            qs.respond(
                "update_data_set",
                {"Arn": arn_of(data_set), "DataSetId": data_set.resource_id, "Status": 201},
                {**ids(data_set), "Name": ANY, "PhysicalTableMap": ANY, "ImportMode": "SPICE"},
            )
            if index == 0:
                qs.respond(
                    "update_data_set_permissions",
                    {"DataSetId": data_set.resource_id, "Status": 200},
                    {**ids(data_set), "GrantPermissions": [{"Principal": PRINCIPAL, "Actions": ANY}]},
                )
        qs.respond(
            "update_analysis",
            {"AnalysisId": analysis.resource_id, "Status": 202},
            {**ids(analysis), "Name": ANY, "Definition": wanted[-2].params["Definition"]},
        )
        qs.respond(
            "update_dashboard",
            {"DashboardId": dashboard.resource_id, "Status": 202, "VersionArn": f"{arn_of(dashboard)}/version/4"},
            {**ids(dashboard), "Name": ANY, "Definition": wanted[-1].params["Definition"], "VersionDescription": ANY},
        )
        stub_dashboard_published(qs, dashboard, 4)
        steps = deploy(qs.client, ACCOUNT, wanted, PRINCIPAL, dry_run=False, out=out, sleep=lambda _: None)
        qs.stubber.assert_no_pending_responses()
    changes = {step.label: step.changes for step in steps}
    assert changes["data source ecommerce-athena"] == ("Name", "DataSourceParameters")
    assert changes["data set ecommerce-kpi_summary"] == ("ImportMode", "permissions")
    assert changes["data set ecommerce-funnel_daily"] == ("ImportMode",)
    assert changes["analysis ecommerce-performance"] == ("Definition",)
    assert qs.invalid == []
    assert re.search(
        r"dashboard ecommerce-performance\s+update \(Definition\), then publish the new version", out.getvalue()
    )


def test_a_principal_without_access_is_granted_it_on_every_resource_and_nothing_else(
    resources: list[Desired],
) -> None:
    responses = {
        "data source": {"DataSourceId": "x"},
        "data set": {"DataSetId": "x"},
        "analysis": {"AnalysisId": "x"},
        "dashboard": {"DashboardId": "x"},
    }
    with StubbedQuickSight() as qs:
        for desired in resources:
            stub_described(qs, desired, permissions=granted(desired)[1:])
        for desired in resources:
            qs.respond(
                desired.kind.update_permissions,
                {**responses[desired.kind.noun], "Status": 200},
                {**ids(desired), "GrantPermissions": [{"Principal": PRINCIPAL, "Actions": list(desired.actions)}]},
            )
        steps = deploy(qs.client, ACCOUNT, resources, PRINCIPAL, dry_run=False, out=io.StringIO(), sleep=lambda _: None)
        qs.stubber.assert_no_pending_responses()
    assert {step.changes for step in steps} == {("permissions",)}
    assert {call for call in qs.calls if not call.startswith("Describe")} == {
        "UpdateDataSourcePermissions",
        "UpdateDataSetPermissions",
        "UpdateAnalysisPermissions",
        "UpdateDashboardPermissions",
    }
    assert qs.invalid == []


def test_dry_run_prints_the_plan_and_calls_nothing_that_changes(resources: list[Desired]) -> None:
    out = io.StringIO()
    with StubbedQuickSight() as qs:
        stub_described(qs, resources[0])
        for desired in resources[1:]:
            stub_missing(qs, desired)
        # No create response is stubbed: a create call would fail this test.
        steps = deploy(qs.client, ACCOUNT, resources, PRINCIPAL, dry_run=True, out=out, sleep=lambda _: None)
        qs.stubber.assert_no_pending_responses()
    assert all(call.startswith("Describe") for call in qs.calls)
    text = out.getvalue()
    assert "data source ecommerce-athena" in text and "unchanged" in text
    assert re.search(r"data set\s+ecommerce-kpi_summary\s+create", text)
    assert re.search(r"dashboard\s+ecommerce-performance\s+create, then publish", text)
    assert f"dry run: {len(resources) - 1} of {len(resources)} resources would change" in text
    assert [step.action for step in steps] == ["unchanged"] + ["create"] * (len(resources) - 1)


# --- the command line -----------------------------------------------------------------------------------


def run_deploy(*args: str | Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dashboard", "quicksight", "deploy", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=60,
    )


@pytest.fixture
def no_aws(tmp_path: Path) -> Iterator[dict[str, str]]:
    """An environment with no AWS credentials anywhere, and no instance metadata to ask."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "ECOM_"))}
    env.update(
        {
            "AWS_CONFIG_FILE": str(tmp_path / "none"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_REGION": "eu-west-1",
        }
    )
    yield env


def test_dry_run_without_credentials_prints_the_desired_resources(
    generated_build: Warehouse, no_aws: dict[str, str]
) -> None:
    manifest = generated_build.database.parent / "target" / "manifest.json"
    result = run_deploy("--dry-run", "--manifest", manifest, "--principal-arn", PRINCIPAL, "--spice", env=no_aws)
    assert result.returncode == 0, result.stderr
    assert "dry run without AWS access" in result.stdout
    assert "data source ecommerce-athena: Athena workgroup primary" in result.stdout
    assert (
        "data set ecommerce-kpi_summary: AwsDataCatalog.marts.kpi_summary SPICE: lifetime_revenue DECIMAL, "
        "total_customers INTEGER"
    ) in result.stdout
    assert "dashboard ecommerce-performance: 'E-commerce performance', 12 visuals" in result.stdout


def test_deploy_errors_are_one_line(generated_build: Warehouse, no_aws: dict[str, str], tmp_path: Path) -> None:
    manifest = generated_build.database.parent / "target" / "manifest.json"
    for args, message in [
        (("--manifest", manifest), "no QuickSight principal"),
        (("--manifest", tmp_path / "none.json", "--principal-arn", PRINCIPAL), "no dbt manifest"),
        (("--manifest", manifest, "--principal-arn", PRINCIPAL), "cannot find the AWS account"),
    ]:
        result = run_deploy(*args, env=no_aws)
        assert result.returncode == 2, result.stdout
        assert "Traceback" not in result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.stderr


def test_definition_is_built_for_any_dataset_arns() -> None:
    definition = build_definition({"kpi_summary": "arn:x"})
    assert definition["DataSetIdentifierDeclarations"] == [{"Identifier": "kpi_summary", "DataSetArn": "arn:x"}]
