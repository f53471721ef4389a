"""The monitors: every dbt test tagged `monitor` in the manifest, what it checks in words, and its
state in target/run_results.json."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from health.artifacts import NOT_RUN, first_line, load_json, results_by_id, severity, timestamp, when

MONITOR_TAG = "monitor"

# What each monitor kind (the generic test's name) checks: in general, and with its arguments.
MONITOR_KINDS = {
    "volume_within_trailing_median": (
        "volume within the band of its trailing median",
        "{count_column} per {date_column} within {max_factor}x (or 1/{max_factor}) "
        "of the median of the {trailing_days} days before",
    ),
    "share_at_most": ("share at most the limit", "{numerator} / {denominator} at most {max_share} per row"),
    "every_day_has_rows": ("every day has rows", "a row on every day of {days_from}.{days_column} (by {date_column})"),
    "rows_in_folder_month": (
        "every landed file's rows are in its folder's month",
        "every {file_column} has rows in its folder's month ({period_column} vs {date_column})",
    ),
}


@dataclass(frozen=True)
class Monitor:
    """One dbt test tagged `monitor` and its result in the last run."""

    unique_id: str
    name: str
    kind: str
    model: str
    checks: str  # what it checks, in words
    status: str  # pass, warn, fail, error, skipped, or "not run"
    failures: int | None
    message: str


def read_monitors(folder: Path, manifest: dict[str, Any] | None) -> tuple[tuple[Monitor, ...], str]:
    """Every test tagged `monitor` in the manifest with its status in run_results.json, worst first."""
    if manifest is None:
        return (), f"not known: no dbt manifest at {folder / 'manifest.json'} (run dbt build)"
    run_results = load_json(folder / "run_results.json")
    results = results_by_id(run_results)
    monitors = [
        _monitor(unique_id, node, manifest, results.get(unique_id))
        for unique_id, node in manifest.get("nodes", {}).items()
        if node.get("resource_type") == "test" and MONITOR_TAG in _tags(node)
    ]
    monitors.sort(key=lambda monitor: (severity(monitor.status), monitor.model, monitor.name))
    if run_results is None:
        note = f"{NOT_RUN}: no {folder / 'run_results.json'} (run dbt build)"
    else:
        metadata = run_results.get("metadata", {})
        command = (run_results.get("args") or {}).get("which") or "dbt"
        generated = timestamp(metadata.get("generated_at"))
        note = f"from dbt {command} at {when(generated) if generated else 'an unknown time'}"
    if not monitors:
        note = "none: the dbt manifest has no test tagged monitor"
    return tuple(monitors), note


def _tags(node: dict[str, Any]) -> set[str]:
    return {*node.get("tags", []), *node.get("config", {}).get("tags", [])}


def _monitor(unique_id: str, node: dict[str, Any], manifest: dict[str, Any], result: dict[str, Any] | None) -> Monitor:
    metadata = node.get("test_metadata") or {}
    kind = str(metadata.get("name") or "singular")
    failures = result.get("failures") if result else None
    return Monitor(
        unique_id=unique_id,
        name=str(node.get("name", unique_id)),
        kind=kind,
        model=_model_name(node, manifest),
        checks=_checks(node, kind, metadata.get("kwargs") or {}),
        status=str(result.get("status")) if result else NOT_RUN,
        failures=int(failures) if isinstance(failures, int) else None,
        message=first_line(str(result.get("message") or "")) if result else "",
    )


def _model_name(node: dict[str, Any], manifest: dict[str, Any]) -> str:
    parents = [node.get("attached_node"), *node.get("depends_on", {}).get("nodes", [])]
    parent = next(filter(None, parents), None)
    if parent is None:
        return "-"
    found = manifest.get("nodes", {}).get(parent) or manifest.get("sources", {}).get(parent) or {}
    return str(found.get("name") or str(parent).rsplit(".", 1)[-1])


def _checks(node: dict[str, Any], kind: str, kwargs: dict[str, Any]) -> str:
    if node.get("description"):
        return first_line(str(node["description"]))
    arguments = {name: _argument(value) for name, value in kwargs.items() if name != "model"}
    general, detailed = MONITOR_KINDS.get(kind, (kind.replace("_", " "), ""))
    try:
        return detailed.format_map(arguments) if detailed else general
    except (KeyError, IndexError, ValueError):
        listed = ", ".join(f"{name}={value}" for name, value in arguments.items())
        return f"{general}; {listed}" if listed else general


def _argument(value: Any) -> str:
    """A test argument as a reader wants it: ref('funnel_daily') as funnel_daily."""
    text = str(value)
    found = re.fullmatch(r"\s*(?:ref|source)\((.*)\)\s*", text)
    if found:
        return ".".join(part.strip().strip("'\"") for part in found.group(1).split(","))
    return text
