"""What the health readers share: the state words and their order, dbt's JSON artifacts, and
UTC timestamps."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

NOT_CHECKED = "not checked"
NOT_RUN = "not run"

# Worst first: the order problems are listed in, and how the overall state is chosen.
_SEVERITY = ("runtime error", "error", "fail", "warn", "skipped", NOT_RUN, NOT_CHECKED, "pass")


def severity(status: str) -> int:
    """A sort key: the worst state first."""
    return _SEVERITY.index(status) if status in _SEVERITY else len(_SEVERITY)


def load_json(path: Path) -> dict[str, Any] | None:
    """A dbt artifact, or None when it is missing or unreadable (the summary says so)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def results_by_id(artifact: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The results of sources.json or run_results.json, by unique_id."""
    return {
        result["unique_id"]: result
        for result in (artifact or {}).get("results", [])
        if isinstance(result, dict) and "unique_id" in result
    }


def timestamp(text: Any) -> dt.datetime | None:
    """An artifact's ISO timestamp in UTC, or None."""
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


def first_line(error: object) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else ""
