"""The dashboard's Data health panel: the same summary as `python -m mart_oracle report` (health/),
as hand-written HTML. Every state is a word (pass, warn, error, not run, ...) in a coloured
badge, so nothing is told by colour alone; each row carries `data-health`, `data-name` and
`data-status` for tests and curious readers (no `data-mart`: these are not mart figures)."""

from __future__ import annotations

from dashboard.figures import esc
from health.summary import Freshness, Health, Monitor, age_text, when
from health.text import failures_text, landing_line, thresholds

CSS = """
.health{line-height:20px}
.health h3{font-size:13px;margin:12px 0 4px;color:#374151}
.health .note{font-size:11px;line-height:16px;color:#6b7280}
.health p.line{margin:0 0 4px}
.health th,.health td{text-align:left;white-space:normal;vertical-align:top}
.health td.n{text-align:right;white-space:nowrap}
.state{display:inline-block;min-width:64px;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;
text-align:center;white-space:nowrap;border:1px solid #d1d5db;background:#f3f4f6;color:#374151}
.state-pass{background:#dcfce7;border-color:#86efac;color:#14532d}
.state-warn{background:#fef3c7;border-color:#fcd34d;color:#78350f}
.state-error,.state-fail,.state-runtime-error{background:#fee2e2;border-color:#fca5a5;color:#7f1d1d}
"""


def state(status: str) -> str:
    """A state as a word in a badge; the colour only repeats the word."""
    return f'<span class="state state-{esc(status.replace(" ", "-"))}">{esc(status)}</span>'


def _note(text: str) -> str:
    return f'<div class="note">{esc(text)}</div>'


def _row(kind: str, name: str, status: str, cells: list[str]) -> str:
    tds = "".join(cells)
    return (
        f'<tr data-health="{kind}" data-name="{esc(name)}" data-status="{esc(status)}">'
        f"<td>{state(status)}</td>{tds}</tr>"
    )


def _freshness_row(check: Freshness) -> str:
    what = esc(check.source) + (f" <code>{esc(check.field)}</code>" if check.field else "")
    if check.meaning:
        what += _note(check.meaning)
    newest = when(check.newest) if check.newest else check.note or "-"
    checked = f"when checked at {when(check.checked_at)}" if check.checked_at else ""
    note = _note(check.note) if check.note and check.newest else ""
    return _row(
        "freshness",
        check.source,
        check.status,
        [
            f"<td>{what}</td>",
            f"<td>{esc(newest)}{note}</td>",
            f'<td class="n">{esc(age_text(check.age_seconds))}{_note(checked)}</td>',
            f"<td>{esc(thresholds(check))}</td>",
        ],
    )


def _monitor_row(monitor: Monitor) -> str:
    message = _note(monitor.message) if monitor.message and monitor.status != "pass" else ""
    return _row(
        "monitor",
        monitor.name,
        monitor.status,
        [
            f"<td>{esc(monitor.name)}{_note(monitor.kind)}</td>",
            f"<td>{esc(monitor.model)}</td>",
            f"<td>{esc(monitor.checks)}{message}</td>",
            f'<td class="n">{esc(failures_text(monitor) or "-")}</td>',
        ],
    )


def _table(head: tuple[str, ...], rows: list[str], empty: str) -> str:
    if not rows:
        return f'<p class="line">{esc(empty)}</p>'
    cells = "".join(f"<th>{esc(title)}</th>" for title in head)
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def health_panel(health: Health) -> str:
    """The panel: last landing, freshness checks, monitors."""
    freshness = _table(
        ("State", "Check", "Newest value", "Age", "Thresholds"),
        [_freshness_row(check) for check in health.freshness],
        health.freshness_note,
    )
    monitors = _table(
        ("State", "Monitor", "Model", "Checks", "Failures"),
        [_monitor_row(monitor) for monitor in health.monitors],
        health.monitors_note,
    )
    monitors_note = f'<p class="sub">{esc(health.monitors_note)}</p>' if health.monitors else ""
    return (
        f'<section class="card span12 health" data-panel="data_health" data-status="{esc(health.overall)}">'
        f"<h2>Data health</h2>"
        f'<p class="sub">overall {state(health.overall)} · the last landing (staging.stg_landed_files), '
        f"source freshness and the dbt monitors (warn-severity tests tagged monitor) from "
        f"{esc(health.target_dir)}</p>"
        f'<h3>Last landing</h3><p class="line" data-health="landing">'
        f"{esc(landing_line(health.last_landing, health.landing_note))}</p>"
        f"<h3>Freshness</h3>{freshness}"
        f"<h3>Monitors</h3>{monitors_note}{monitors}"
        "</section>"
    )
