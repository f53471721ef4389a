"""The slowest nodes of a dbt invocation, from the run_results.json it wrote."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SLOWEST = 5


@dataclass(frozen=True)
class NodeTime:
    name: str  # "model stg_events", "test unique_...", "seed ltv_tiers"
    seconds: float


def _short_name(unique_id: str) -> str:
    """'model.ecommerce_analytics.stg_events' -> 'model stg_events'."""
    parts = unique_id.split(".")
    return f"{parts[0]} {parts[-1]}" if len(parts) >= 3 else unique_id


def _node_time(result: Any) -> NodeTime | None:
    if not isinstance(result, dict):
        return None
    unique_id, seconds = result.get("unique_id"), result.get("execution_time")
    if not isinstance(unique_id, str) or not isinstance(seconds, int | float):
        return None
    return NodeTime(_short_name(unique_id), float(seconds))


def slowest_nodes(target_path: Path, count: int = SLOWEST) -> list[NodeTime]:
    """The `count` nodes with the longest execution time; empty when there is no readable file."""
    try:
        document = json.loads((target_path / "run_results.json").read_text())
    except (OSError, ValueError):
        return []
    results = document.get("results") if isinstance(document, dict) else None
    if not isinstance(results, list):
        return []
    times = [node for node in map(_node_time, results) if node is not None]
    return sorted(times, key=lambda node: node.seconds, reverse=True)[:count]
