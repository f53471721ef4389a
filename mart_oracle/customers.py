"""Expected customer marts: the KPI row, lifetime value and its tiers, cohorts, and dim_user's totals."""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from mart_oracle.row_rules import ZERO, Event, Tally
from mart_oracle.values import Row, divide_to_cents, month_start, orders_by, rate

LTV_TIERS_SEED = Path(__file__).resolve().parents[1] / "seeds" / "ltv_tiers.csv"


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
    return [
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
        for user_id, bought, revenue, orders in orders_by(purchases, lambda p: p.user_id)
    ]


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


def user_totals(counted: Tally, customers: list[Row]) -> Row:
    """dim_user is one row per user: compared through its totals."""
    return {
        "users": len({s.user_id for s in counted.sessions.values()}),
        "sessions": len(counted.sessions),
        "customers": len(customers),
        "repeat_customers": sum(1 for c in customers if c["is_repeat_customer"]),
    }
