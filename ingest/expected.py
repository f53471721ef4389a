"""The expected content of every mart, from a Tally, following docs/metrics.md in plain Python.

Nothing here reads SQL or the warehouse. Money is exact (Decimal); money ratios
are rounded half up to the cent; rates are floats rounded to 4 decimals.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from ingest.reference import ZERO, Event, Funnel, Tally, tally

LTV_TIERS_SEED = Path(__file__).resolve().parents[1] / "seeds" / "ltv_tiers.csv"
_CENT = Decimal("0.01")
MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

Row = dict[str, Any]


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


# ---------------------------------------------------------------- customers


def orders_by_user(purchases: list[Event]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = defaultdict(set)
    for purchase in purchases:
        found[purchase.user_id].add(purchase.session_id)
    return found


def kpi_summary(purchases: list[Event]) -> Row:
    revenue = sum((p.price for p in purchases), ZERO)
    orders = orders_by_user(purchases)
    return {
        "lifetime_revenue": revenue,
        "total_customers": len(orders),
        "avg_customer_ltv": divide_to_cents(revenue, len(orders)),
        "repeat_customers": sum(1 for sessions in orders.values() if len(sessions) >= 2),
    }


def read_ltv_tiers(path: Path = LTV_TIERS_SEED) -> list[Row]:
    with path.open(newline="") as handle:
        return [
            {
                "ltv_tier": row["ltv_tier"],
                "tier_order": int(row["tier_order"]),
                "min": Decimal(row["min_lifetime_revenue"]),
                "max": Decimal(row["max_lifetime_revenue"]) if row["max_lifetime_revenue"] else None,
            }
            for row in csv.DictReader(handle)
        ]


def tier_of(revenue: Decimal, tiers: list[Row]) -> str | None:
    for tier in tiers:
        if revenue >= tier["min"] and (tier["max"] is None or revenue < tier["max"]):
            return str(tier["ltv_tier"])
    return None


def user_ltv(purchases: list[Event], tiers: list[Row]) -> list[Row]:
    by_user: dict[int, list[Event]] = defaultdict(list)
    for purchase in purchases:
        by_user[purchase.user_id].append(purchase)
    rows = []
    for user_id in sorted(by_user):
        bought = by_user[user_id]
        revenue = sum((p.price for p in bought), ZERO)
        orders = len({p.session_id for p in bought})
        rows.append(
            {
                "user_id": user_id,
                "lifetime_revenue": revenue,
                "purchases": len(bought),
                "orders": orders,
                "first_purchase_at": min(p.event_time for p in bought),
                "last_purchase_at": max(p.event_time for p in bought),
                "ltv_tier": tier_of(revenue, tiers),
                "is_repeat_customer": orders >= 2,
            }
        )
    return rows


def customers_by_ltv_tier(customers: list[Row], tiers: list[Row]) -> list[Row]:
    total = len(customers)
    rows = []
    for tier in tiers:
        members = [c for c in customers if c["ltv_tier"] == tier["ltv_tier"]]
        rows.append(
            {
                "ltv_tier": tier["ltv_tier"],
                "ltv_tier_order": tier["tier_order"],
                "customers": len(members),
                "revenue": sum((c["lifetime_revenue"] for c in members), ZERO),
                "share_of_customers": rate(len(members), total),
            }
        )
    return rows


def customer_cohorts(purchases: list[Event]) -> list[Row]:
    first_month: dict[int, dt.date] = {}
    active: set[tuple[int, dt.date]] = set()
    for purchase in purchases:
        month = month_start(purchase.event_time.date())
        active.add((purchase.user_id, month))
        first_month[purchase.user_id] = min(first_month.get(purchase.user_id, month), month)
    cohort_size: dict[dt.date, int] = defaultdict(int)
    for month in first_month.values():
        cohort_size[month] += 1
    retained: dict[tuple[dt.date, int], int] = defaultdict(int)
    for user_id, month in active:
        cohort = first_month[user_id]
        offset = (month.year - cohort.year) * 12 + month.month - cohort.month
        retained[(cohort, offset)] += 1
    return [
        {
            "cohort_month": cohort,
            "month_offset": offset,
            "cohort_customers": cohort_size[cohort],
            "active_customers": count,
            "retention_rate": rate(count, cohort_size[cohort]),
        }
        for (cohort, offset), count in sorted(retained.items())
    ]


# ---------------------------------------------------------------- revenue over time


def fact_monthly_summary(purchases: list[Event]) -> list[Row]:
    by_month: dict[dt.date, list[Event]] = defaultdict(list)
    for purchase in purchases:
        by_month[month_start(purchase.event_time.date())].append(purchase)
    rows = []
    for month in sorted(by_month):
        bought = by_month[month]
        revenue = sum((p.price for p in bought), ZERO)
        orders = len({p.session_id for p in bought})
        rows.append(
            {
                "month_start": month,
                "revenue": revenue,
                "purchases": len(bought),
                "orders": orders,
                "customers": len({p.user_id for p in bought}),
                "avg_order_value": divide_to_cents(revenue, orders),
            }
        )
    return rows


def revenue_month_over_month(monthly: list[Row]) -> list[Row]:
    rows = []
    previous: Decimal | None = None
    for month in monthly:
        change = None if previous is None else month["revenue"] - previous
        rows.append(
            {
                "month_start": month["month_start"],
                "revenue": month["revenue"],
                "previous_month_revenue": previous,
                "revenue_change": change,
                "revenue_change_ratio": None if previous is None else rate(change, previous),  # type: ignore[arg-type]
            }
        )
        previous = month["revenue"]
    return rows


def revenue_by_weekday(purchases: list[Event]) -> list[Row]:
    totals: dict[tuple[dt.date, int], list[Any]] = defaultdict(lambda: [ZERO, 0])
    for purchase in purchases:
        day = purchase.event_time.date()
        bucket = totals[(month_start(day), day.isoweekday())]
        bucket[0] += purchase.price
        bucket[1] += 1
    return [
        {
            "month_start": month,
            "iso_weekday": weekday,
            "weekday_name": WEEKDAY_NAMES[weekday - 1],
            "revenue": revenue,
            "purchases": count,
        }
        for (month, weekday), (revenue, count) in sorted(totals.items())
    ]


# ---------------------------------------------------------------- brands, categories, products


def ranked_revenue(totals: dict[str, list[Any]], name_column: str, unranked: set[str]) -> list[Row]:
    """Rank by revenue (ties by name) among names not in `unranked`, which get no rank."""
    ranked = sorted((n for n in totals if n not in unranked), key=lambda n: (-totals[n][0], n))
    rank = {name: position for position, name in enumerate(ranked, start=1)}
    return [
        {name_column: name, "revenue": totals[name][0], "purchases": totals[name][1], "revenue_rank": rank.get(name)}
        for name in sorted(totals)
    ]


def revenue_by_brand(purchases: list[Event]) -> list[Row]:
    totals: dict[str, list[Any]] = defaultdict(lambda: [ZERO, 0])
    for purchase in purchases:
        bucket = totals[purchase.brand or "unknown"]
        bucket[0] += purchase.price
        bucket[1] += 1
    has_no_brand = {"unknown"} if any(p.brand is None for p in purchases) else set()
    return ranked_revenue(totals, "brand_name", has_no_brand)


def category_names(counted: Tally) -> dict[int, str]:
    return {category_id: code or "unknown" for category_id, code in counted.category_codes.items()}


def revenue_by_category(counted: Tally) -> list[Row]:
    names = category_names(counted)
    totals: dict[str, list[Any]] = defaultdict(lambda: [ZERO, 0])
    for purchase in counted.purchases:
        bucket = totals[names[purchase.category_id]]
        bucket[0] += purchase.price
        bucket[1] += 1
    unknown = {"unknown"} if any(counted.category_codes[p.category_id] is None for p in counted.purchases) else set()
    return ranked_revenue(totals, "category_name", unknown)


def dim_category(counted: Tally) -> list[Row]:
    rows = []
    for category_id in sorted(counted.category_codes):
        code = counted.category_codes[category_id]
        levels = code.split(".") if code else []
        rows.append(
            {
                "category_id": category_id,
                "category_code": code,
                "category_name": code or "unknown",
                "category_level_1": levels[0] if levels else "unknown",
                "category_level_2": levels[1] if len(levels) > 1 else None,
                "category_level_3": levels[2] if len(levels) > 2 else None,
                "has_category_code": code is not None,
            }
        )
    return rows


def funnel_columns(funnel: Funnel) -> Row:
    return {
        "views": funnel.views,
        "carts": funnel.carts,
        "purchases": funnel.purchases,
        "revenue": funnel.revenue,
        "cart_rate": rate(funnel.carts, funnel.views),
        "purchase_rate": rate(funnel.purchases, funnel.views),
        "cart_to_purchase_rate": rate(funnel.purchases, funnel.carts),
    }


def product_performance(counted: Tally) -> list[Row]:
    rows = []
    for product_id in sorted(counted.products):
        product = counted.products[product_id]
        _, _, category_id, brand, price = product.latest
        rows.append(
            {
                "product_id": product_id,
                "category_id": category_id,
                "brand_name": brand or "unknown",
                "current_price": price,
                **funnel_columns(product.funnel),
            }
        )
    return rows


def dim_product(counted: Tally) -> list[Row]:
    rows = []
    for product_id in sorted(counted.products):
        product = counted.products[product_id]
        _, _, category_id, brand, price = product.latest
        rows.append(
            {
                "product_id": product_id,
                "category_id": category_id,
                "brand": brand,
                "current_price": price,
                "min_price": product.min_price,
                "max_price": product.max_price,
                "first_seen_at": product.first_seen,
                "last_seen_at": product.last_seen,
            }
        )
    return rows


# ---------------------------------------------------------------- days and sessions


def dim_time(counted: Tally) -> list[Row]:
    if counted.first_day is None or counted.last_day is None:
        return []
    rows = []
    day = counted.first_day
    while day <= counted.last_day:
        rows.append(
            {
                "date_day": day,
                "month_start": month_start(day),
                "month_name": MONTH_NAMES[day.month - 1],
                "quarter_number": (day.month - 1) // 3 + 1,
                "iso_week": day.isocalendar().week,
                "iso_weekday": day.isoweekday(),
                "weekday_name": WEEKDAY_NAMES[day.isoweekday() - 1],
                "is_weekend": day.isoweekday() >= 6,
            }
        )
        day += dt.timedelta(days=1)
    return rows


def funnel_daily(counted: Tally) -> list[Row]:
    sessions: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0])
    for session in counted.sessions.values():
        bucket = sessions[session.start.date()]
        bucket[0] += 1
        bucket[1] += session.funnel.purchases > 0
    rows = []
    for day in sorted(counted.funnel_by_day):
        started, converted = sessions.get(day, [0, 0])
        rows.append(
            {
                "date_day": day,
                **funnel_columns(counted.funnel_by_day[day]),
                "sessions": started,
                "converted_sessions": converted,
                "session_conversion_rate": rate(converted, started),
            }
        )
    return rows


def funnel_by_category(counted: Tally) -> list[Row]:
    names = category_names(counted)
    return [
        {"category_id": category_id, "category_name": names[category_id], **funnel_columns(funnel)}
        for category_id, funnel in sorted(counted.funnel_by_category.items())
    ]


def funnel_by_brand(counted: Tally) -> list[Row]:
    return [
        {"brand_name": brand, **funnel_columns(funnel)} for brand, funnel in sorted(counted.funnel_by_brand.items())
    ]


def session_totals(counted: Tally) -> Row:
    """fact_sessions is one row per session: compared through its totals."""
    sessions = counted.sessions.values()
    return {
        "sessions": len(counted.sessions),
        "converted_sessions": sum(1 for s in sessions if s.funnel.purchases > 0),
        "events": sum(s.events for s in sessions),
        "duration_seconds": sum(int((s.end - s.start).total_seconds()) for s in sessions),
        "revenue": sum((s.funnel.revenue for s in sessions), ZERO),
    }


def user_totals(counted: Tally, customers: list[Row]) -> Row:
    """dim_user is one row per user: compared through its totals."""
    return {
        "users": len({s.user_id for s in counted.sessions.values()}),
        "sessions": len(counted.sessions),
        "customers": len(customers),
        "repeat_customers": sum(1 for c in customers if c["is_repeat_customer"]),
    }


# ---------------------------------------------------------------- all together


def expected_values(
    paths: Iterable[Path], tiers_seed: Path = LTV_TIERS_SEED, progress: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Everything the tests and `ingest report` compare the marts with."""
    counted = tally(paths, progress)
    tiers = read_ltv_tiers(tiers_seed)
    customers = user_ltv(counted.purchases, tiers)
    monthly = fact_monthly_summary(counted.purchases)
    return {
        "row_accounting": {
            "rows_read": counted.rows_read,
            "rows_accepted": counted.rows_accepted,
            "rows_quarantined": counted.rows_quarantined,
            "duplicates_removed": counted.duplicates_removed,
        },
        "rejections": dict(sorted(counted.rejected.items())),
        "kpi_summary": kpi_summary(counted.purchases),
        "fact_monthly_summary": monthly,
        "totals": {"fact_sessions": session_totals(counted), "dim_user": user_totals(counted, customers)},
        "marts": {
            "user_ltv": customers,
            "customers_by_ltv_tier": customers_by_ltv_tier(customers, tiers),
            "customer_cohorts": customer_cohorts(counted.purchases),
            "revenue_month_over_month": revenue_month_over_month(monthly),
            "revenue_by_weekday": revenue_by_weekday(counted.purchases),
            "revenue_by_brand": revenue_by_brand(counted.purchases),
            "revenue_by_category": revenue_by_category(counted),
            "dim_category": dim_category(counted),
            "dim_product": dim_product(counted),
            "dim_time": dim_time(counted),
            "product_performance": product_performance(counted),
            "funnel_daily": funnel_daily(counted),
            "funnel_by_category": funnel_by_category(counted),
            "funnel_by_brand": funnel_by_brand(counted),
        },
    }


def to_json(value: Any) -> Any:
    """Decimals as text (exact), dates and times in ISO form."""
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


def write_expected(values: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_json(values), indent=1) + "\n")


def read_expected(path: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(path.read_text())
    return result
