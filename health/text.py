"""The Data health summary as plain text, the section `python -m mart_oracle report` prints."""

from __future__ import annotations

from health.summary import Freshness, Health, LastLanding, Monitor, age_text, when

_STATUS_WIDTH = 13  # "runtime error"


def landing_line(landing: LastLanding | None, note: str) -> str:
    """The last landing in one sentence, or why it is not known."""
    if landing is None:
        return note
    runs = f" ({landing.runs:,} landing runs in all)" if landing.runs > 1 else ""
    return (
        f"{landing.run_id} at {when(landing.landed_at)} ({age_text(landing.age_seconds)} ago): "
        f"{landing.files:,} file{'' if landing.files == 1 else 's'}, {landing.rows:,} rows{runs}"
    )


def thresholds(check: Freshness) -> str:
    """'warn after 1 day, error after 3 days', or 'no thresholds'."""
    limits = (("warn", check.warn_after), ("error", check.error_after))
    parts = [f"{word} after {limit}" for word, limit in limits if limit]
    return ", ".join(parts) or "no thresholds"


def freshness_detail(check: Freshness) -> str:
    """The newest value and its age, or why it was not checked."""
    if check.newest is None:
        return check.note or "no value"
    return f"newest {when(check.newest)}, {age_text(check.age_seconds)} old"


def freshness_limits(check: Freshness) -> str:
    """The thresholds, when it was checked, and a runtime error's message."""
    parts = [thresholds(check)]
    if check.checked_at:
        parts.append(f"checked {when(check.checked_at)}")
    if check.note and check.newest is not None:
        parts.append(check.note)
    return "; ".join(parts)


def check_name(check: Freshness) -> str:
    field = f" {check.field}" if check.field else ""
    meaning = f" ({check.meaning})" if check.meaning else ""
    return f"{check.source}{field}{meaning}"


def failures_text(monitor: Monitor) -> str:
    if monitor.failures is None:
        return ""
    return f"{monitor.failures:,} failure{'' if monitor.failures == 1 else 's'}"


def format_health(health: Health) -> str:
    """The section: last landing, one line per freshness check, one line per monitor."""
    lines = [
        f"Data health         overall: {health.overall}",
        f"  Last landing        {landing_line(health.last_landing, health.landing_note)}",
        "  Freshness" + (f"           {health.freshness_note}" if health.freshness_note else ""),
    ]
    for check in health.freshness:
        lines.append(f"    {check.status:<{_STATUS_WIDTH}} {check_name(check)}: {freshness_detail(check)}")
        lines.append(f"    {'':<{_STATUS_WIDTH}} {freshness_limits(check)}")
    lines.append(f"  Monitors            {health.monitors_note}")
    for monitor in health.monitors:
        failures = failures_text(monitor)
        lines.append(
            f"    {monitor.status:<{_STATUS_WIDTH}} {monitor.name} on {monitor.model}: {monitor.checks}"
            + (f"; {failures}" if failures else "")
        )
    return "\n".join(lines)
