"""The demo's summary, and the comparison of every mart with the expected values.

The summary shows where the rows went (in total and by landing run), the KPI row
and revenue by month. The comparison reads each mart named in the expected values
and reports every row that differs; money and counts must be equal, rates within
0.0001. row_accounting has a row per landing run: its sums are what is compared.
The Data health section that follows comes from health/ (shared with the dashboard).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb

from ingest.errors import IngestError
from mart_oracle.values import to_json

Row = dict[str, Any]

# How each mart's rows are identified when compared.
MART_KEYS: dict[str, tuple[str, ...]] = {
    "user_ltv": ("user_id",),
    "customers_by_ltv_tier": ("ltv_tier",),
    "customer_cohorts": ("cohort_month", "month_offset"),
    "revenue_month_over_month": ("month_start",),
    "revenue_by_weekday": ("month_start", "iso_weekday"),
    "revenue_by_brand": ("brand_name",),
    "revenue_by_category": ("category_name",),
    "dim_category": ("category_id",),
    "dim_product": ("product_id",),
    "dim_time": ("date_day",),
    "product_performance": ("product_id",),
    "funnel_daily": ("date_day",),
    "funnel_by_category": ("category_id",),
    "funnel_by_brand": ("brand_name",),
    "fact_monthly_summary": ("month_start",),
}

# Tables with a row per session or user are compared through totals.
TOTALS_SQL = {
    "fact_sessions": """
        select count(*) as sessions,
               sum(case when is_converted then 1 else 0 end) as converted_sessions,
               sum(events) as events,
               sum(duration_seconds) as duration_seconds,
               sum(revenue) as revenue
        from marts.fact_sessions""",
    "dim_user": """
        select count(*) as users,
               sum(sessions) as sessions,
               sum(case when is_customer then 1 else 0 end) as customers,
               sum(case when is_repeat_customer then 1 else 0 end) as repeat_customers
        from marts.dim_user""",
}

_RATE_TOLERANCE = 1e-4 + 1e-9
_MAX_LINES_PER_MART = 5

# row_accounting has a row per landing run; these columns are summed into the totals compared
# with the expected values (mart_oracle/expected.py) and printed.
ACCOUNTING_COLUMNS = ("rows_read", "rows_accepted", "rows_quarantined", "duplicates_removed")
MAX_LANDING_RUNS_SHOWN = 10


def connect(database: Path, allow_files: bool = True) -> duckdb.DuckDBPyConnection:
    """The warehouse, read-only. With allow_files=False a query can read nothing but the
    warehouse's tables: no other file, no URL, no ATTACH, no COPY TO, no extension install."""
    if not database.exists():
        raise IngestError(f"{database} does not exist: run `make demo` (or dbt build) first.")
    config: dict[str, str | bool | int | float | list[str]] = (
        {} if allow_files else {"enable_external_access": False, "lock_configuration": True}
    )
    try:
        return duckdb.connect(str(database), read_only=True, config=config)
    except duckdb.Error as error:
        raise IngestError(f"{database} cannot be opened: {str(error).splitlines()[0]}") from error


def fetch(connection: duckdb.DuckDBPyConnection, sql: str) -> list[Row]:
    try:
        cursor = connection.execute(sql)
    except duckdb.Error as error:
        raise IngestError(f"The warehouse is missing a built mart: {str(error).splitlines()[0]}") from error
    columns = [description[0] for description in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def read_row_accounting(connection: duckdb.DuckDBPyConnection) -> tuple[Row, list[Row]]:
    """row_accounting's totals (the sums of its rows, one per landing run) and its rows, newest first."""
    runs = fetch(connection, "select * from marts.row_accounting")
    runs.sort(key=_newest_first)
    totals = {column: sum(int(run.get(column) or 0) for run in runs) for column in ACCOUNTING_COLUMNS}
    return totals, runs


def _newest_first(run: Row) -> tuple[bool, float, str]:
    landed_at = run.get("landed_at")
    stamp = 0.0
    if isinstance(landed_at, dt.datetime):
        stamp = (landed_at if landed_at.tzinfo else landed_at.replace(tzinfo=dt.UTC)).timestamp()
    # Runs with no landed_at ("unrecorded": files with no manifest entry) come last.
    return (landed_at is None, -stamp, str(run.get("landing_run_id", "")))


def read_summary(connection: duckdb.DuckDBPyConnection) -> Row:
    """The few marts the summary prints."""
    totals, runs = read_row_accounting(connection)
    return {
        "row_accounting": totals,
        "row_accounting_runs": runs,
        "rejections": {
            row["rejection_reason"]: row["rows"]
            for row in fetch(
                connection,
                "select rejection_reason, sum(occurrences) as rows from staging.stg_events_quarantine "
                "group by rejection_reason order by rejection_reason",
            )
        },
        "kpi_summary": fetch(connection, "select * from marts.kpi_summary")[0],
        "fact_monthly_summary": fetch(connection, "select * from marts.fact_monthly_summary order by month_start"),
    }


def same(got: Any, want: Any) -> bool:
    if isinstance(want, float) and isinstance(got, float):
        return abs(got - want) <= _RATE_TOLERANCE
    return bool(to_json(got) == want)


def row_differences(name: str, got: Row, want: Row) -> list[str]:
    return [
        f"{name}.{column}: marts have {to_json(got.get(column))}, expected {value}"
        for column, value in want.items()
        if not same(got.get(column), value)
    ]


def table_differences(name: str, got_rows: list[Row], want_rows: list[Row], keys: tuple[str, ...]) -> list[str]:
    def key_of(row: Row) -> tuple[Any, ...]:
        return tuple(to_json(row[column]) for column in keys)

    got_by_key = {key_of(row): row for row in got_rows}
    want_by_key = {key_of(row): row for row in want_rows}
    found = [f"{name}: row {key} is missing" for key in sorted(want_by_key.keys() - got_by_key.keys(), key=str)]
    found += [f"{name}: row {key} is not expected" for key in sorted(got_by_key.keys() - want_by_key.keys(), key=str)]
    for key in sorted(want_by_key.keys() & got_by_key.keys(), key=str):
        found += row_differences(f"{name}[{', '.join(map(str, key))}]", got_by_key[key], want_by_key[key])
    if len(found) > _MAX_LINES_PER_MART:
        found = [*found[:_MAX_LINES_PER_MART], f"{name}: ... {len(found) - _MAX_LINES_PER_MART} more differences"]
    return found


def differences(connection: duckdb.DuckDBPyConnection, expected: Row) -> list[str]:
    """Every place the warehouse differs from the expected values, one line each; empty when equal."""
    summary = read_summary(connection)
    found = row_differences("row_accounting", summary["row_accounting"], expected["row_accounting"])
    found += row_differences("kpi_summary", summary["kpi_summary"], expected["kpi_summary"])
    if summary["rejections"] != expected["rejections"]:
        found.append(f"rejections: marts have {summary['rejections']}, expected {expected['rejections']}")
    found += table_differences(
        "fact_monthly_summary", summary["fact_monthly_summary"], expected["fact_monthly_summary"], ("month_start",)
    )
    for name, want_rows in expected.get("marts", {}).items():
        columns = ", ".join(want_rows[0]) if want_rows else "*"
        got_rows = fetch(connection, f"select {columns} from marts.{name}")
        found += table_differences(name, got_rows, want_rows, MART_KEYS[name])
    for name, want in expected.get("totals", {}).items():
        found += row_differences(name, fetch(connection, TOTALS_SQL[name])[0], want)
    return found


def format_summary(summary: Row, database: Path) -> str:
    accounting = summary["row_accounting"]
    kpis = summary["kpi_summary"]
    ltv = kpis["avg_customer_ltv"]
    lines = [
        "Rows",
        f"  read                {accounting['rows_read']:>14,}",
        f"  accepted            {accounting['rows_accepted']:>14,}",
        f"  rejected            {accounting['rows_quarantined']:>14,}",
        *(f"    {reason:<26}{count:>10,}" for reason, count in summary["rejections"].items()),
        f"  duplicates dropped  {accounting['duplicates_removed']:>14,}",
        *format_landing_runs(summary["row_accounting_runs"]),
        "KPIs",
        f"  lifetime revenue    {kpis['lifetime_revenue']:>14,.2f}",
        f"  avg customer LTV    {ltv:>14,.2f}" if ltv is not None else "  avg customer LTV                 -",
        f"  total customers     {kpis['total_customers']:>14,}",
        f"  repeat customers    {kpis['repeat_customers']:>14,}",
        "Revenue by month",
        *(
            f"  {row['month_start']}  {row['revenue']:>14,.2f}  {row['orders']:>8,} orders  "
            f"{row['customers']:>8,} customers"
            for row in summary["fact_monthly_summary"]
        ),
        "Results",
        f"  DuckDB database     {database}",
        '  query it with       .venv/bin/python -m mart_oracle query "select * from marts.kpi_summary"',
    ]
    return "\n".join(lines)


def format_landing_runs(runs: list[Row], limit: int = MAX_LANDING_RUNS_SHOWN) -> list[str]:
    """row_accounting's rows, one line per landing run, newest first; at most `limit` of them."""
    if not runs or "landing_run_id" not in runs[0]:
        return []
    lines = [
        "Rows by landing run (newest first)",
        f"  {'landing run':<28}{'landed at':<22}{'files':>7}{'read':>14}{'accepted':>14}{'rejected':>12}"
        f"{'duplicates':>12}",
    ]
    for run in runs[:limit]:
        landed_at = run.get("landed_at")
        when = f"{landed_at:%Y-%m-%d %H:%M} UTC" if isinstance(landed_at, dt.datetime) else "-"
        lines.append(
            f"  {run['landing_run_id']!s:<28}{when:<22}{int(run.get('files_landed') or 0):>7,}"
            f"{int(run['rows_read'] or 0):>14,}{int(run['rows_accepted'] or 0):>14,}"
            f"{int(run['rows_quarantined'] or 0):>12,}{int(run['duplicates_removed'] or 0):>12,}"
        )
    if len(runs) > limit:
        more = len(runs) - limit
        lines.append(f"  ... and {more:,} more landing run{'' if more == 1 else 's'}")
    return lines
