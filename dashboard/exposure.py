"""The dbt exposure `ecommerce_performance_dashboard` as read from `target/manifest.json`.

The exposure is the single source of truth for what the dashboard reads: its `depends_on`
names the marts, and each mart's enforced contract names the columns and their data types.
The QuickSight datasets are built from this, so renaming or retyping a mart column changes
(or breaks) the dataset definitions and the tests, not the deployed dashboard.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dashboard.errors import DashboardError

EXPOSURE_NAME = "ecommerce_performance_dashboard"
DEFAULT_MANIFEST = Path("target/manifest.json")


@dataclass(frozen=True)
class MartContract:
    """A mart the dashboard reads: its schema and its contract's columns, in contract order."""

    name: str
    schema: str
    columns: tuple[tuple[str, str], ...]  # (column name, contract data type)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)


def load_manifest(path: Path) -> dict[str, Any]:
    """The parsed manifest, or a DashboardError saying how to produce it."""
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise DashboardError(f"no dbt manifest at {path}: run `dbt build` (or `dbt parse`) first") from None
    except (OSError, ValueError) as error:
        raise DashboardError(f"cannot read the dbt manifest {path}: {error}") from None


def _find_exposure(manifest: dict[str, Any], name: str) -> dict[str, Any]:
    for exposure in manifest.get("exposures", {}).values():
        if exposure.get("name") == name:
            return exposure
    raise DashboardError(f"the dbt manifest has no exposure named {name}")


def _contract(node_id: str, node: dict[str, Any]) -> MartContract:
    name = node["name"]
    if node.get("resource_type") != "model":
        raise DashboardError(f"the dashboard exposure depends on {node_id}, which is not a model")
    if not node.get("config", {}).get("contract", {}).get("enforced"):
        raise DashboardError(f"mart {name} has no enforced contract, so its columns cannot be trusted")
    columns = []
    for column in node.get("columns", {}).values():
        if not column.get("data_type"):
            raise DashboardError(f"mart {name} column {column['name']} has no data_type in its contract")
        columns.append((column["name"], column["data_type"]))
    if not columns:
        raise DashboardError(f"mart {name} declares no columns in its contract")
    return MartContract(name=name, schema=node["schema"], columns=tuple(columns))


def exposure_marts(manifest: dict[str, Any], exposure_name: str = EXPOSURE_NAME) -> tuple[MartContract, ...]:
    """The marts the exposure depends on, in the exposure's order, each with its contract."""
    exposure = _find_exposure(manifest, exposure_name)
    node_ids = exposure.get("depends_on", {}).get("nodes", [])
    if not node_ids:
        raise DashboardError(f"the exposure {exposure_name} depends on no model")
    return tuple(_contract(node_id, manifest["nodes"][node_id]) for node_id in node_ids)
