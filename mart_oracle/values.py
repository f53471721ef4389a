"""How the oracle computes and spells values: exact money, rounded rates, purchases grouped, JSON text.

Money is exact (Decimal); money ratios are rounded half up to the cent; rates are floats
rounded to 4 decimals. In JSON, decimals are text and dates and times ISO: the expected values
are written that way, and a mart's values are spelled that way before they are compared.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

from mart_oracle.row_rules import ZERO, Event

Row = dict[str, Any]
Key = TypeVar("Key", bound=Hashable)

_CENT = Decimal("0.01")
MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def divide_to_cents(amount: Decimal, count: int) -> Decimal | None:
    """amount / count, rounded half up to the cent; None when count is zero."""
    if count == 0:
        return None
    return (amount / Decimal(count)).quantize(_CENT, rounding=ROUND_HALF_UP)


def rate(numerator: float | int | Decimal, denominator: float | int | Decimal) -> float | None:
    """A ratio rounded to 4 decimals; None when the denominator is zero."""
    if not denominator:
        return None
    return round(float(numerator) / float(denominator), 4)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def grouped(purchases: Iterable[Event], key: Callable[[Event], Key]) -> dict[Key, list[Event]]:
    """Purchases by `key`, each group in the order given."""
    groups: dict[Key, list[Event]] = defaultdict(list)
    for purchase in purchases:
        groups[key(purchase)].append(purchase)
    return groups


def orders_by(purchases: Iterable[Event], key: Callable[[Event], Key]) -> list[tuple[Key, list[Event], Decimal, int]]:
    """Purchases grouped by `key`, in key order: each group with its revenue and number of orders (sessions)."""
    groups = grouped(purchases, key)
    return [
        (name, bought, sum((p.price for p in bought), ZERO), len({p.session_id for p in bought}))
        for name, bought in sorted(groups.items())
    ]


def revenue_and_purchases(purchases: Iterable[Event], key: Callable[[Event], Key]) -> dict[Key, tuple[Decimal, int]]:
    """Revenue and number of purchases by `key`."""
    return {
        name: (sum((p.price for p in bought), ZERO), len(bought)) for name, bought in grouped(purchases, key).items()
    }


def to_json(value: Any) -> Any:
    """Decimals as text (exact), dates and times in ISO form, inside lists and dicts too."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_json(item) for item in value]
    return value
