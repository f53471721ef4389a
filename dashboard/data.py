"""Read what the HTML dashboard shows from the DuckDB warehouse: exactly the marts of the
dbt exposure (a test compares `DASHBOARD_MARTS` with the exposure in target/manifest.json).

Each query names its columns, so a renamed mart column fails here with a one-line error
instead of rendering an empty chart.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from dashboard.errors import DashboardError

SCHEMA = "marts"


@dataclass(frozen=True)
class MartQuery:
    """What the dashboard reads from one mart: columns, an optional filter and the row order."""

    columns: tuple[str, ...]
    order_by: tuple[str, ...] = ()
    where: str | None = None

    def sql(self, mart: str) -> str:
        text = f"select {', '.join(self.columns)} from {SCHEMA}.{mart}"
        if self.where:
            text += f" where {self.where}"
        if self.order_by:
            text += f" order by {', '.join(self.order_by)}"
        return text


# The same selections as analyses/dashboard_*.sql (the SQL of each visual), plus the few
# extra columns the HTML shows in tooltips.
DASHBOARD_MARTS: dict[str, MartQuery] = {
    "kpi_summary": MartQuery(("lifetime_revenue", "avg_customer_ltv", "total_customers", "repeat_customers")),
    "revenue_month_over_month": MartQuery(
        (
            "month_start",
            "revenue",
            "orders",
            "customers",
            "previous_month_revenue",
            "revenue_change",
            "revenue_change_ratio",
        ),
        order_by=("month_start",),
    ),
    "revenue_by_weekday": MartQuery(
        ("month_start", "iso_weekday", "weekday_name", "revenue", "purchases"),
        order_by=("month_start", "iso_weekday"),
    ),
    "revenue_by_brand": MartQuery(
        ("revenue_rank", "brand_name", "revenue", "purchases"), order_by=("revenue_rank",), where="revenue_rank <= 5"
    ),
    "revenue_by_category": MartQuery(
        ("revenue_rank", "category_name", "revenue", "purchases"),
        order_by=("revenue_rank",),
        where="revenue_rank <= 5",
    ),
    "customers_by_ltv_tier": MartQuery(
        ("ltv_tier", "ltv_tier_order", "customers", "share_of_customers", "revenue"), order_by=("ltv_tier_order",)
    ),
    "funnel_daily": MartQuery(
        (
            "date_day",
            "views",
            "carts",
            "purchases",
            "cart_rate",
            "purchase_rate",
            "sessions",
            "converted_sessions",
            "session_conversion_rate",
        ),
        order_by=("date_day",),
    ),
    "customer_cohorts": MartQuery(
        ("cohort_month", "month_offset", "cohort_customers", "active_customers", "retention_rate"),
        order_by=("cohort_month", "month_offset"),
    ),
}


@dataclass(frozen=True)
class MartTable:
    """The rows the dashboard read from one mart, as dicts keyed by column name."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]


def read_marts(database: Path, marts: dict[str, MartQuery] = DASHBOARD_MARTS) -> dict[str, MartTable]:
    """Every dashboard mart from the DuckDB file, opened read-only."""
    if not database.is_file():
        raise DashboardError(f"no DuckDB warehouse at {database}: run `make demo` (or `make build`) first")
    try:
        connection = duckdb.connect(str(database), read_only=True)
    except duckdb.Error as error:
        raise DashboardError(f"cannot open {database}: {_first_line(error)}") from None
    try:
        return {name: _read(connection, name, query, database) for name, query in marts.items()}
    finally:
        connection.close()


def _read(connection: duckdb.DuckDBPyConnection, mart: str, query: MartQuery, database: Path) -> MartTable:
    try:
        rows = connection.execute(query.sql(mart)).fetchall()
    except duckdb.CatalogException:
        raise DashboardError(f"{database} has no table {SCHEMA}.{mart}: run `dbt build` first") from None
    except duckdb.BinderException as error:
        raise DashboardError(
            f"{SCHEMA}.{mart} does not have the columns the dashboard reads: {_first_line(error)}"
        ) from None
    return MartTable(mart, query.columns, tuple(dict(zip(query.columns, row, strict=True)) for row in rows))


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
