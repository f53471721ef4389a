"""Expected revenue marts: by month, month over month, by weekday, and ranked by brand and category."""

from __future__ import annotations

from decimal import Decimal

from mart_oracle.dimensions import category_names
from mart_oracle.row_rules import Event, Tally
from mart_oracle.values import (
    WEEKDAY_NAMES,
    Row,
    divide_to_cents,
    month_start,
    orders_by,
    rate,
    revenue_and_purchases,
)


def fact_monthly_summary(purchases: list[Event]) -> list[Row]:
    return [
        {
            "month_start": month,
            "revenue": revenue,
            "purchases": len(bought),
            "orders": orders,
            "customers": len({p.user_id for p in bought}),
            "avg_order_value": divide_to_cents(revenue, orders),
        }
        for month, bought, revenue, orders in orders_by(purchases, lambda p: month_start(p.event_time.date()))
    ]


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
    totals = revenue_and_purchases(
        purchases, lambda p: (month_start(p.event_time.date()), p.event_time.date().isoweekday())
    )
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


def ranked_revenue(totals: dict[str, tuple[Decimal, int]], name_column: str, unranked: set[str]) -> list[Row]:
    """Rank by revenue (ties by name) among names not in `unranked`, which get no rank."""
    ranked = sorted((n for n in totals if n not in unranked), key=lambda n: (-totals[n][0], n))
    rank = {name: position for position, name in enumerate(ranked, start=1)}
    return [
        {name_column: name, "revenue": totals[name][0], "purchases": totals[name][1], "revenue_rank": rank.get(name)}
        for name in sorted(totals)
    ]


def revenue_by_brand(purchases: list[Event]) -> list[Row]:
    totals = revenue_and_purchases(purchases, lambda p: p.brand or "unknown")
    has_no_brand = {"unknown"} if any(p.brand is None for p in purchases) else set()
    return ranked_revenue(totals, "brand_name", has_no_brand)


def revenue_by_category(counted: Tally) -> list[Row]:
    names = category_names(counted)
    totals = revenue_and_purchases(counted.purchases, lambda p: names[p.category_id])
    unknown = {"unknown"} if any(counted.category_codes[p.category_id] is None for p in counted.purchases) else set()
    return ranked_revenue(totals, "category_name", unknown)
