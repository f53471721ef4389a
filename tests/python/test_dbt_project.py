"""The dbt project as documentation and contract: dbt docs generate on the local target,
every model and column described, and the dashboard exposure reading only contracted marts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="module")
def docs(generated_docs: Path) -> dict[str, Any]:
    target = generated_docs
    return {
        "manifest": json.loads((target / "manifest.json").read_text()),
        "catalog": json.loads((target / "catalog.json").read_text()),
    }


def project_nodes(manifest: dict[str, Any], resource_type: str) -> dict[str, Any]:
    return {
        unique_id: node
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == resource_type and node["package_name"] == "ecommerce_analytics"
    }


@pytest.mark.dbt
def test_every_model_and_snapshot_and_every_built_column_is_described(docs: dict[str, Any]) -> None:
    manifest, catalog = docs["manifest"], docs["catalog"]
    nodes = {**project_nodes(manifest, "model"), **project_nodes(manifest, "snapshot")}
    missing = []
    for unique_id, node in nodes.items():
        if not node["description"].strip():
            missing.append(f"{unique_id}: no description")
        built_columns = catalog["nodes"][unique_id]["columns"]
        documented = {name.lower(): column for name, column in node["columns"].items()}
        for column in built_columns:
            if not documented.get(column.lower(), {}).get("description", "").strip():
                missing.append(f"{unique_id}.{column}: no description")
    assert len(nodes) >= 24
    assert missing == []


@pytest.mark.dbt
def test_the_dashboard_exposure_reads_only_marts_with_enforced_contracts(docs: dict[str, Any]) -> None:
    manifest = docs["manifest"]
    (exposure,) = [e for e in manifest["exposures"].values() if e["type"] == "dashboard"]
    read = exposure["depends_on"]["nodes"]

    assert {manifest["nodes"][node]["name"] for node in read} == {
        "kpi_summary",
        "revenue_month_over_month",
        "revenue_by_weekday",
        "revenue_by_brand",
        "revenue_by_category",
        "customers_by_ltv_tier",
        "funnel_daily",
        "customer_cohorts",
    }
    for node in read:
        model = manifest["nodes"][node]
        assert model["schema"] == "marts", node
        assert model["config"]["contract"]["enforced"], f"{node} has no enforced contract"


@pytest.mark.dbt
def test_models_land_in_the_real_schema_names(docs: dict[str, Any]) -> None:
    schemas = {node["name"]: node["schema"] for node in project_nodes(docs["manifest"], "model").values()}

    assert schemas["stg_events"] == "staging"
    assert schemas["int_sessions"] == "intermediate"
    assert {
        schemas[name]
        for name in (
            "fact_purchases",
            "dim_user",
            "dim_product",
            "dim_category",
            "dim_time",
            "fact_monthly_summary",
            "user_ltv",
        )
    } == {"marts"}
