"""The Data health summary: what landed last, how fresh the sources are, and every monitor's state.

Read from the warehouse (staging.stg_landed_files) and from dbt's artifacts in its target folder:
`sources.json` (`dbt source freshness`), `run_results.json` (the last `dbt build`) and
`manifest.json` (which tests are monitors, their kind and model). Anything missing is said in
words ("not checked", "not run", "not known"), never an exception: the summary is for reading.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb

PROJECT_ROOT = Path(__file__).resolve().parents[1]
MONITOR_TAG = "monitor"
LANDED_FILES = "staging.stg_landed_files"

NOT_CHECKED = "not checked"
NOT_RUN = "not run"
RUN_FRESHNESS = "run dbt source freshness"

# What each freshness check tells, by the column it watches.
FRESHNESS_MEANING = {
    "landed_at": "is data still arriving",
    "last_event_at": "how new the newest event is",
}

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

# Worst first: the order problems are listed in, and how the overall state is chosen.
_SEVERITY = ("runtime error", "error", "fail", "warn", "skipped", NOT_RUN, NOT_CHECKED, "pass")


@dataclass(frozen=True)
class LastLanding:
    """The landing run with the newest landed_at."""

    run_id: str
    landed_at: dt.datetime  # UTC
    files: int
    rows: int
    age_seconds: float
    runs: int  # landing runs recorded in the manifest, this one included


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


@dataclass(frozen=True)
class Health:
    """Everything the Data health section and panel show."""

    now: dt.datetime
    target_dir: Path
    last_landing: LastLanding | None
    landing_note: str  # why there is no last landing
    freshness: tuple[Freshness, ...]
    freshness_note: str  # said when there is no freshness check at all
    monitors: tuple[Monitor, ...]
    monitors_note: str  # where the states come from, or why they are not known

    @property
    def overall(self) -> str:
        """The worst state of any freshness check or monitor: error, fail, warn, ... or pass."""
        states = [check.status for check in self.freshness] + [monitor.status for monitor in self.monitors]
        if not states:
            return NOT_CHECKED
        return min(states, key=severity)


def severity(status: str) -> int:
    """A sort key: the worst state first."""
    return _SEVERITY.index(status) if status in _SEVERITY else len(_SEVERITY)


def target_dir(explicit: Path | None = None) -> Path:
    """dbt's target folder: the explicit path, else $DBT_TARGET_PATH, else target/ in the project."""
    if explicit is not None:
        return explicit
    configured = os.environ.get("DBT_TARGET_PATH")
    path = Path(configured) if configured else Path("target")
    return path if path.is_absolute() else PROJECT_ROOT / path


def read_health(
    connection: duckdb.DuckDBPyConnection, target: Path | None = None, now: dt.datetime | None = None
) -> Health:
    """The summary from an open warehouse connection and the dbt artifacts in `target`."""
    now = as_utc(now) if now is not None else dt.datetime.now(dt.UTC)
    folder = target_dir(target)
    manifest = _load_json(folder / "manifest.json")
    landing, landing_note = read_last_landing(connection, now)
    freshness, freshness_note = read_freshness(folder, manifest)
    monitors, monitors_note = read_monitors(folder, manifest)
    return Health(now, folder, landing, landing_note, freshness, freshness_note, monitors, monitors_note)


def read_health_of(database: Path, target: Path | None = None, now: dt.datetime | None = None) -> Health:
    """The summary for a DuckDB file, opened read-only (a missing file is said in the summary)."""
    if not database.is_file():
        empty = duckdb.connect(":memory:")
        try:
            health = read_health(empty, target, now)
        finally:
            empty.close()
        return replace(health, last_landing=None, landing_note=f"not known: no warehouse at {database} (run dbt build)")
    connection = duckdb.connect(str(database), read_only=True)
    try:
        return read_health(connection, target, now)
    finally:
        connection.close()


# --- the last landing ----------------------------------------------------------------------------

_LAST_LANDING_SQL = f"""
    select landing_run_id, max(landed_at) as landed_at, count(*) as files, sum(lines_landed) as rows_landed,
           (select count(distinct landing_run_id) from {LANDED_FILES}) as runs
    from {LANDED_FILES}
    group by landing_run_id
    order by landed_at desc, landing_run_id desc
    limit 1"""


def read_last_landing(connection: duckdb.DuckDBPyConnection, now: dt.datetime) -> tuple[LastLanding | None, str]:
    """The newest landing run from the landing manifest's staged table, or why it is not known."""
    try:
        row = connection.execute(_LAST_LANDING_SQL).fetchone()
    except duckdb.CatalogException:
        return None, f"not known: the warehouse has no {LANDED_FILES} (run dbt build)"
    except duckdb.Error as error:
        return None, f"not known: {LANDED_FILES} cannot be read: {_first_line(error)}"
    if row is None or row[1] is None:
        return None, "nothing landed yet (the landing manifest is empty)"
    run_id, landed_at, files, rows, runs = row
    landed = as_utc(landed_at)
    return LastLanding(str(run_id), landed, int(files), int(rows or 0), (now - landed).total_seconds(), int(runs)), ""


# --- freshness -----------------------------------------------------------------------------------


def read_freshness(folder: Path, manifest: dict[str, Any] | None) -> tuple[tuple[Freshness, ...], str]:
    """Each source with a freshness rule (from the manifest) and its result in sources.json."""
    sources_json = _load_json(folder / "sources.json")
    results = {
        result["unique_id"]: result
        for result in (sources_json or {}).get("results", [])
        if isinstance(result, dict) and "unique_id" in result
    }
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
        _timestamp(result.get("max_loaded_at")),
        float(age) if isinstance(age, int | float) else None,
        _timestamp(result.get("snapshotted_at")),
        _period(criteria.get("warn_after")),
        _period(criteria.get("error_after")),
        _first_line(result.get("error") or result.get("message") or "") if status not in ("pass", "warn") else "",
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


# --- monitors ------------------------------------------------------------------------------------


def read_monitors(folder: Path, manifest: dict[str, Any] | None) -> tuple[tuple[Monitor, ...], str]:
    """Every test tagged `monitor` in the manifest with its status in run_results.json, worst first."""
    if manifest is None:
        return (), f"not known: no dbt manifest at {folder / 'manifest.json'} (run dbt build)"
    run_results = _load_json(folder / "run_results.json")
    results = {
        result["unique_id"]: result
        for result in (run_results or {}).get("results", [])
        if isinstance(result, dict) and "unique_id" in result
    }
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
        generated = _timestamp(metadata.get("generated_at"))
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
        message=_first_line(str(result.get("message") or "")) if result else "",
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
        return _first_line(str(node["description"]))
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


# --- small helpers -------------------------------------------------------------------------------


def _load_json(path: Path) -> dict[str, Any] | None:
    """A dbt artifact, or None when it is missing or unreadable (the summary says so)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _timestamp(text: Any) -> dt.datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return as_utc(dt.datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        return None


def as_utc(value: dt.datetime) -> dt.datetime:
    """A naive timestamp is UTC (the manifest's landed_at); an aware one is converted."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def when(value: dt.datetime) -> str:
    """2026-12-03 08:15 UTC."""
    return f"{as_utc(value):%Y-%m-%d %H:%M} UTC"


def age_text(seconds: float | None) -> str:
    """45 s, 12 min, 3 h 5 min, 2 days 4 h; "in the future" for a negative age."""
    if seconds is None:
        return "-"
    if seconds < 0:
        return "in the future"
    whole = int(seconds)
    days, rest = divmod(whole, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days:,} day{'' if days == 1 else 's'}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    return f"{minutes} min" if minutes else f"{secs} s"


def _first_line(error: object) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else ""
