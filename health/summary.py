"""The Data health summary: the last landing, and the freshness checks and monitors
(health.freshness, health.monitors) with the worst state of them all.

Anything missing is said in words ("not checked", "not run", "not known"), never an exception:
the summary is for reading.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb

from health.artifacts import NOT_CHECKED, NOT_RUN, as_utc, first_line, load_json, severity, when
from health.freshness import Freshness, read_freshness
from health.monitors import Monitor, read_monitors

# The names health.text, the dashboard and the tests read from here.
__all__ = [
    "NOT_CHECKED",
    "NOT_RUN",
    "Freshness",
    "Health",
    "LastLanding",
    "Monitor",
    "age_text",
    "as_utc",
    "read_health",
    "read_health_of",
    "target_dir",
    "when",
]

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LANDED_FILES = "staging.stg_landed_files"


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
    manifest = load_json(folder / "manifest.json")
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
        return None, f"not known: {LANDED_FILES} cannot be read: {first_line(error)}"
    if row is None or row[1] is None:
        return None, "nothing landed yet (the landing manifest is empty)"
    run_id, landed_at, files, rows, runs = row
    landed = as_utc(landed_at)
    return LastLanding(str(run_id), landed, int(files), int(rows or 0), (now - landed).total_seconds(), int(runs)), ""


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
