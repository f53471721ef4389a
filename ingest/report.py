"""The demo's summary: where the rows went, the KPI row, and whether the marts match the expected values."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from ingest.errors import IngestError

_KPI_COLUMNS = ("lifetime_revenue", "total_customers", "avg_customer_ltv", "repeat_customers")
_MONTHLY_COLUMNS = ("month_start", "revenue", "purchases", "orders", "customers", "avg_order_value")
_ACCOUNTING_COLUMNS = ("rows_read", "rows_accepted", "rows_quarantined", "duplicates_removed")


def read_marts(database: Path) -> dict[str, Any]:
    """The marts the summary shows, as plain Python values."""
    if not database.exists():
        raise IngestError(f"{database} does not exist: run `make demo` (or dbt build) first.")
    try:
        with duckdb.connect(str(database), read_only=True) as connection:
            return {
                "row_accounting": _one_row(connection, "marts.row_accounting", _ACCOUNTING_COLUMNS),
                "rejections": dict(
                    connection.sql(
                        "select rejection_reason, count(*) from staging.stg_events_quarantine "
                        "group by rejection_reason order by rejection_reason"
                    ).fetchall()
                ),
                "kpi_summary": _one_row(connection, "marts.kpi_summary", _KPI_COLUMNS),
                "fact_monthly_summary": _rows(
                    connection, "marts.fact_monthly_summary order by month_start", _MONTHLY_COLUMNS
                ),
            }
    except duckdb.Error as error:
        raise IngestError(f"{database} cannot be read as the built warehouse: {error}.") from error


def _rows(connection: duckdb.DuckDBPyConnection, relation: str, columns: tuple[str, ...]) -> list[dict[str, Any]]:
    result = connection.sql(f"select {', '.join(columns)} from {relation}").fetchall()
    return [dict(zip(columns, row, strict=True)) for row in result]


def _one_row(connection: duckdb.DuckDBPyConnection, relation: str, columns: tuple[str, ...]) -> dict[str, Any]:
    return _rows(connection, relation, columns)[0]


def _normalise(value: Any) -> Any:
    """Values as the expected-values JSON spells them: decimals and dates as text."""
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def differences(actual: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    """Every place the marts differ from the expected values, one line each; empty when equal."""
    found = []
    for section in ("row_accounting", "kpi_summary"):
        for column, want in expected[section].items():
            got = _normalise(actual[section].get(column))
            if got != want:
                found.append(f"{section}.{column}: marts have {got}, expected {want}")
    got_rejections = {reason: count for reason, count in actual["rejections"].items()}
    if got_rejections != expected["rejections"]:
        found.append(f"rejections: marts have {got_rejections}, expected {expected['rejections']}")
    got_months = [{k: _normalise(v) for k, v in row.items()} for row in actual["fact_monthly_summary"]]
    if got_months != expected["fact_monthly_summary"]:
        found.append(
            f"fact_monthly_summary: marts have {got_months}, expected {expected['fact_monthly_summary']}"
        )
    return found


def format_summary(marts: dict[str, Any], database: Path) -> str:
    accounting = marts["row_accounting"]
    kpis = marts["kpi_summary"]
    lines = [
        "Rows",
        f"  read                {accounting['rows_read']:>14,}",
        f"  accepted            {accounting['rows_accepted']:>14,}",
        f"  rejected            {accounting['rows_quarantined']:>14,}",
        f"  duplicates dropped  {accounting['duplicates_removed']:>14,}",
    ]
    lines += [f"    {reason:<26}{count:>10,}" for reason, count in marts["rejections"].items()]
    ltv = kpis["avg_customer_ltv"]
    lines += [
        "KPIs",
        f"  lifetime revenue    {kpis['lifetime_revenue']:>14,.2f}",
        f"  avg customer LTV    {ltv:>14,.2f}" if ltv is not None else "  avg customer LTV                 -",
        f"  total customers     {kpis['total_customers']:>14,}",
        f"  repeat customers    {kpis['repeat_customers']:>14,}",
        "Revenue by month",
    ]
    lines += [
        f"  {row['month_start']}  {row['revenue']:>14,.2f}  {row['orders']:>8,} orders  "
        f"{row['customers']:>8,} customers"
        for row in marts["fact_monthly_summary"]
    ]
    lines += [
        "Results",
        f"  DuckDB database     {database}",
        f"  query it with       .venv/bin/python -m ingest query \"select * from marts.kpi_summary\"",
    ]
    return "\n".join(lines)
