"""The `dbt source freshness` checks: each source with a freshness rule in the manifest, and its
result in target/sources.json."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from health.artifacts import NOT_CHECKED, first_line, load_json, results_by_id, timestamp

RUN_FRESHNESS = "run dbt source freshness"

# What each freshness check tells, by the column it watches.
FRESHNESS_MEANING = {
    "landed_at": "is data still arriving",
    "last_event_at": "how new the newest event is",
}


@dataclass(frozen=True)
class Freshness:
    """One `dbt source freshness` check."""

    source: str  # source_name.table_name
    field: str | None  # the loaded_at_field
    status: str  # pass, warn, error, runtime error, or "not checked"
    newest: dt.datetime | None  # max_loaded_at, UTC
    age_seconds: float | None  # the newest value's age when checked
    checked_at: dt.datetime | None
    warn_after: str | None  # "1 day"
    error_after: str | None
    note: str = ""  # why not checked, or the runtime error

    @property
    def meaning(self) -> str:
        return FRESHNESS_MEANING.get(self.field or "", "")


def read_freshness(folder: Path, manifest: dict[str, Any] | None) -> tuple[tuple[Freshness, ...], str]:
    """Each source with a freshness rule (from the manifest) and its result in sources.json."""
    sources_json = load_json(folder / "sources.json")
    results = results_by_id(sources_json)
    configured = _sources_with_freshness(manifest)
    checks: list[Freshness] = []
    for unique_id in sorted(configured.keys() | results.keys()):
        node = configured.get(unique_id, {})
        result = results.get(unique_id)
        checks.append(_freshness(unique_id, node, result, sources_json is None))
    if not checks:
        note = f"{NOT_CHECKED}: {RUN_FRESHNESS}" + ("" if manifest else " (no dbt manifest either: run dbt build)")
        return (), note
    return tuple(checks), ""


def _sources_with_freshness(manifest: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    found = {}
    for unique_id, source in (manifest or {}).get("sources", {}).items():
        rule = source.get("freshness") or source.get("config", {}).get("freshness") or {}
        has_rule = any((rule.get(limit) or {}).get("count") for limit in ("warn_after", "error_after"))
        if has_rule and (source.get("loaded_at_field") or source.get("loaded_at_query")):
            found[unique_id] = source
    return found


def _freshness(unique_id: str, node: dict[str, Any], result: dict[str, Any] | None, no_file: bool) -> Freshness:
    source = f"{node['source_name']}.{node['name']}" if node else ".".join(unique_id.split(".")[2:])
    field = _watched_field(node)
    rule = node.get("freshness") or {}
    if result is None:
        why = "no target/sources.json" if no_file else "no result for this source in target/sources.json"
        return Freshness(
            source,
            field,
            NOT_CHECKED,
            None,
            None,
            None,
            _period(rule.get("warn_after")),
            _period(rule.get("error_after")),
            f"{RUN_FRESHNESS} ({why})",
        )
    criteria = result.get("criteria") or rule
    age = result.get("max_loaded_at_time_ago_in_s")
    status = str(result.get("status") or "runtime error")
    return Freshness(
        source,
        field,
        status,
        timestamp(result.get("max_loaded_at")),
        float(age) if isinstance(age, int | float) else None,
        timestamp(result.get("snapshotted_at")),
        _period(criteria.get("warn_after")),
        _period(criteria.get("error_after")),
        first_line(result.get("error") or result.get("message") or "") if status not in ("pass", "warn") else "",
    )


def _watched_field(node: dict[str, Any]) -> str | None:
    """The loaded_at_field, or the known column a loaded_at_query reads (max(last_event_at))."""
    if node.get("loaded_at_field"):
        return str(node["loaded_at_field"])
    query = str(node.get("loaded_at_query") or "")
    return next((field for field in FRESHNESS_MEANING if re.search(rf"\b{field}\b", query)), None)


def _period(limit: Any) -> str | None:
    if not isinstance(limit, dict) or not limit.get("count") or not limit.get("period"):
        return None
    count = int(limit["count"])
    return f"{count} {limit['period']}{'' if count == 1 else 's'}"
