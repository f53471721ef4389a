"""The expected content of every mart from raw files, following docs/metrics.md in plain Python.

Nothing here reads SQL or the warehouse: the raw files are classified and counted by row_rules,
and each mart is recomputed by the module of its subject. Written and read as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from mart_oracle.customers import (
    LTV_TIERS_SEED,
    customer_cohorts,
    customers_by_ltv_tier,
    kpi_summary,
    read_ltv_tiers,
    user_ltv,
    user_totals,
)
from mart_oracle.dimensions import dim_category, dim_product, dim_time
from mart_oracle.funnels import funnel_by_brand, funnel_by_category, funnel_daily, product_performance, session_totals
from mart_oracle.revenue import (
    fact_monthly_summary,
    revenue_by_brand,
    revenue_by_category,
    revenue_by_weekday,
    revenue_month_over_month,
)
from mart_oracle.row_rules import tally
from mart_oracle.values import to_json


def expected_values(
    paths: Iterable[Path], tiers_seed: Path = LTV_TIERS_SEED, progress: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Everything the tests and `python -m mart_oracle report` compare the marts with."""
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


def write_expected(values: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_json(values), indent=1) + "\n")


def read_expected(path: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(path.read_text())
    return result
