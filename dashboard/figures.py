"""Numbers on the dashboard: how each is displayed, and where it came from.

Every number drawn from a mart is rendered with `data-mart`, `data-column`, `data-key` and
`data-value` attributes holding the exact value read (Decimal as written, not rounded for
display), so a test, or a curious reader, can check any figure against the warehouse.
Figures computed over a mart's rows say how in `data-aggregate` ("sum", or "ratio" of two
sums for a column written "numerator/denominator").
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


def raw(value: Any) -> str:
    """The exact value as text: what data-value and data-key hold."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class Figure:
    """One number shown on the dashboard and its source in the marts."""

    mart: str
    column: str
    value: Any
    key: tuple[tuple[str, Any], ...] = ()
    aggregate: str | None = None

    def attrs(self) -> str:
        """The data-* attributes, escaped, ready to put inside a tag."""
        key = ";".join(f"{name}={raw(value)}" for name, value in self.key)
        parts = [
            ("data-mart", self.mart),
            ("data-column", self.column),
            ("data-key", key),
            ("data-value", raw(self.value)),
        ]
        if self.aggregate:
            parts.append(("data-aggregate", self.aggregate))
        return " ".join(f'{name}="{html.escape(text)}"' for name, text in parts)


def esc(text: Any) -> str:
    return html.escape(str(text))


def number(value: Any, decimals: int = 0) -> str:
    """12,345 or 12,345.67; an em dash for a missing value."""
    if value is None:
        return "—"
    return f"{Decimal(str(value)):,.{decimals}f}"


def money(value: Any) -> str:
    return number(value, 2)


def percent(ratio: Any, decimals: int = 1, signed: bool = False) -> str:
    """0.5104 as 51.0% (or +51.0%)."""
    if ratio is None:
        return "—"
    return f"{float(ratio) * 100:{'+' if signed else ''}.{decimals}f}%"


def compact(value: float) -> str:
    """Axis labels: 950, 12k, 1.5M."""
    magnitude = abs(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if magnitude >= limit:
            scaled = value / limit
            return f"{scaled:.1f}".rstrip("0").rstrip(".") + suffix
    return f"{value:.2f}".rstrip("0").rstrip(".") if magnitude < 10 else f"{value:.0f}"


def month_label(day: dt.date) -> str:
    return day.strftime("%b %Y")


def day_label(day: dt.date) -> str:
    return f"{day:%b} {day.day}"


def total(values: Iterable[Any]) -> Any:
    """Sum that keeps Decimals exact and ignores NULLs."""
    present = [value for value in values if value is not None]
    return sum(present[1:], present[0]) if present else 0
