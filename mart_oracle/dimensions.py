"""Expected dimensions: categories with their levels, products with their price history, the calendar."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

from mart_oracle.row_rules import Product, Tally
from mart_oracle.values import MONTH_NAMES, WEEKDAY_NAMES, Row, month_start


def category_names(counted: Tally) -> dict[int, str]:
    return {category_id: code or "unknown" for category_id, code in counted.category_codes.items()}


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


def latest_products(counted: Tally) -> Iterator[tuple[int, Product, int, str | None, Decimal]]:
    """Each product in id order, with its latest category, brand and price."""
    for product_id in sorted(counted.products):
        product = counted.products[product_id]
        _, _, category_id, brand, price = product.latest
        yield product_id, product, category_id, brand, price


def dim_product(counted: Tally) -> list[Row]:
    return [
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
        for product_id, product, category_id, brand, price in latest_products(counted)
    ]


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
