"""Expected funnel marts: views, carts and purchases by product, day, category and brand, and sessions."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from mart_oracle.dimensions import category_names, latest_products
from mart_oracle.row_rules import ZERO, Funnel, Tally
from mart_oracle.values import Row, rate


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
    return [
        {
            "product_id": product_id,
            "category_id": category_id,
            "brand_name": brand or "unknown",
            "current_price": price,
            **funnel_columns(product.funnel),
        }
        for product_id, product, category_id, brand, price in latest_products(counted)
    ]


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
