"""Expected values computed in plain Python, independently of the SQL under test.

The dbt models and this module implement the same written definitions
(docs/metrics.md) in two languages that share no code, so a test comparing
them catches a mistake in either. Files are streamed line by line: memory
grows with the number of distinct valid lines (for duplicate detection) and
of purchases, not with the file size.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from ingest.rawfiles import open_text

EVENT_TYPES = frozenset({"view", "cart", "purchase", "remove_from_cart"})
FIELD_COUNT = 9

_EVENT_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} UTC")
_DIGITS = re.compile(r"[0-9]+")
_PRICE = re.compile(r"-?[0-9]+(\.[0-9]{1,2})?")
_BIGINT_MAX = 2**63 - 1
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Purchase:
    user_id: int
    user_session: str | None
    event_time: dt.datetime
    price: Decimal
    line_key: str

    @property
    def order_id(self) -> str:
        """A session with a purchase is an order; a purchase without one is its own."""
        return self.user_session if self.user_session else f"no-session-{self.line_key}"


@dataclass
class Tally:
    rows_read: int = 0
    rows_accepted: int = 0
    duplicates_removed: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    purchases: list[Purchase] = field(default_factory=list)

    @property
    def rows_quarantined(self) -> int:
        return sum(self.rejected.values())


def rejection_reason(line: str) -> str | None:
    """The first check a raw line fails, in the order of seeds/rejection_reasons.csv."""
    if line == "":
        return "empty_line"
    fields = line.split(",")
    if len(fields) != FIELD_COUNT:
        return "wrong_field_count"
    event_time, event_type, product_id, category_id, _code, _brand, price, user_id, _session = fields
    if not _EVENT_TIME.fullmatch(event_time) or _parse_time(event_time) is None:
        return "unparseable_event_time"
    if event_type not in EVENT_TYPES:
        return "unknown_event_type"
    for name, value in (("product_id", product_id), ("category_id", category_id), ("user_id", user_id)):
        if value == "":
            return f"missing_{name}"
        if not _DIGITS.fullmatch(value) or int(value) > _BIGINT_MAX:
            return f"non_numeric_{name}"
    if price == "":
        return "missing_price"
    if not _PRICE.fullmatch(price):
        return "non_numeric_price"
    if Decimal(price) < 0:
        return "negative_price"
    return None


def _parse_time(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(text[:19], "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None


def data_lines(path: Path) -> Iterator[str]:
    """The data lines of one raw file: header skipped, line endings and CRs removed."""
    with open_text(path) as handle:
        next(handle, None)
        for line in handle:
            yield line.rstrip("\n").replace("\r", "")


def tally(paths: Iterable[Path]) -> Tally:
    """Classify every line of the files the way the pipeline's rules say."""
    result = Tally()
    seen: set[bytes] = set()
    for path in sorted(paths):
        for line in data_lines(path):
            result.rows_read += 1
            reason = rejection_reason(line)
            if reason is not None:
                result.rejected[reason] += 1
                continue
            key = hashlib.md5(line.encode()).digest()
            if key in seen:
                result.duplicates_removed += 1
                continue
            seen.add(key)
            result.rows_accepted += 1
            fields = line.split(",")
            if fields[1] == "purchase":
                result.purchases.append(
                    Purchase(
                        user_id=int(fields[7]),
                        user_session=fields[8] or None,
                        event_time=_parse_time(fields[0]),  # type: ignore[arg-type]
                        price=Decimal(fields[6]),
                        line_key=key.hex(),
                    )
                )
    return result


def divide_to_cents(amount: Decimal, count: int) -> Decimal | None:
    """amount / count, rounded half up to the cent; None when count is zero."""
    if count == 0:
        return None
    return (amount / Decimal(count)).quantize(_CENT, rounding=ROUND_HALF_UP)


def kpi_summary(purchases: list[Purchase]) -> dict[str, object]:
    revenue = sum((p.price for p in purchases), Decimal("0.00"))
    orders_by_user: dict[int, set[str]] = defaultdict(set)
    for purchase in purchases:
        orders_by_user[purchase.user_id].add(purchase.order_id)
    customers = len(orders_by_user)
    return {
        "lifetime_revenue": revenue,
        "total_customers": customers,
        "avg_customer_ltv": divide_to_cents(revenue, customers),
        "repeat_customers": sum(1 for orders in orders_by_user.values() if len(orders) >= 2),
    }


def monthly_summary(purchases: list[Purchase]) -> list[dict[str, object]]:
    by_month: dict[dt.date, list[Purchase]] = defaultdict(list)
    for purchase in purchases:
        by_month[purchase.event_time.date().replace(day=1)].append(purchase)
    rows = []
    for month_start in sorted(by_month):
        month = by_month[month_start]
        revenue = sum((p.price for p in month), Decimal("0.00"))
        orders = len({p.order_id for p in month})
        rows.append(
            {
                "month_start": month_start,
                "revenue": revenue,
                "purchases": len(month),
                "orders": orders,
                "customers": len({p.user_id for p in month}),
                "avg_order_value": divide_to_cents(revenue, orders),
            }
        )
    return rows


def expected_values(paths: Iterable[Path]) -> dict[str, object]:
    """Everything the tests and the demo compare the marts with."""
    counted = tally(paths)
    return {
        "row_accounting": {
            "rows_read": counted.rows_read,
            "rows_accepted": counted.rows_accepted,
            "rows_quarantined": counted.rows_quarantined,
            "duplicates_removed": counted.duplicates_removed,
        },
        "rejections": dict(sorted(counted.rejected.items())),
        "kpi_summary": kpi_summary(counted.purchases),
        "fact_monthly_summary": monthly_summary(counted.purchases),
    }


def _to_json(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _to_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_to_json(item) for item in value]
    return value


def write_expected(values: dict[str, object], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_to_json(values), indent=2) + "\n")


def read_expected(path: Path) -> dict[str, object]:
    return json.loads(path.read_text())
