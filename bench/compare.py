"""Result checks: an incremental warehouse against a full refresh, and Spark's totals against dbt's marts.

Two DuckDB files are attached read-only in one connection. Every table and view of the compared
schemas must exist in both, with the same columns (names and types, in order), the same row
count and the same order-independent checksum: the sum of the hashes of whole rows, which counts
a duplicated row twice and changes when any value of any row changes. Columns that name the dbt
run which wrote a row (RUN_COLUMNS) differ by design between one build and two, so they are left
out of the checksum (not out of the column check).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb

from bench.errors import BenchFailed

COMPARED_SCHEMAS = ("staging", "intermediate", "marts")
# Lineage of the run, not content: see loaded_in_run in models/_docs.md.
RUN_COLUMNS = ("loaded_in_run",)
_LEFT, _RIGHT = "left_db", "right_db"


@dataclass(frozen=True)
class TableState:
    columns: tuple[tuple[str, str], ...]
    rows: int
    checksum: int


@dataclass(frozen=True)
class Totals:
    """The figures both pipelines produce: purchases, revenue to the cent, customers."""

    purchases: int
    revenue: Decimal
    customers: int


COMPARE_MEMORY_LIMIT = "2GB"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _attach(connection: duckdb.DuckDBPyConnection, path: Path, alias: str) -> None:
    if not path.is_file():
        raise BenchFailed(f"{path} does not exist, so it cannot be compared.")
    literal = str(path).replace("'", "''")
    connection.execute(f"attach '{literal}' as {alias} (read_only)")


def _table_names(connection: duckdb.DuckDBPyConnection, catalog: str, schemas: Iterable[str]) -> set[str]:
    wanted = list(schemas)
    found = connection.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = ? and list_contains(?, table_schema)",
        [catalog, wanted],
    ).fetchall()
    return {f"{schema}.{table}" for schema, table in found}


def _table_state(connection: duckdb.DuckDBPyConnection, catalog: str, name: str) -> TableState:
    schema, table = name.split(".", 1)
    columns = connection.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = ? and table_name = ? order by ordinal_position",
        [catalog, schema, table],
    ).fetchall()
    run_columns = [_quote(name) for name, _ in columns if name in RUN_COLUMNS]
    exclude = f" exclude ({', '.join(run_columns)})" if run_columns else ""
    # `bench_row` names the whole row (a struct), so hash() covers every column but the run's.
    relation = f"(select *{exclude} from {catalog}.{_quote(schema)}.{_quote(table)})"
    found = connection.execute(
        f"select count(*), coalesce(sum(hash(bench_row)), 0) from {relation} as bench_row"
    ).fetchone()
    rows, checksum = found if found is not None else (0, 0)
    return TableState(tuple((str(c), str(t)) for c, t in columns), int(rows), int(checksum))


def _difference(name: str, left: TableState, right: TableState, left_label: str, right_label: str) -> str | None:
    if left.columns != right.columns:
        return f"{name}: the columns differ ({left_label}: {len(left.columns)}, {right_label}: {len(right.columns)})"
    if left.rows != right.rows:
        return f"{name}: {left.rows:,} rows in {left_label}, {right.rows:,} in {right_label}"
    if left.checksum != right.checksum:
        return f"{name}: same row count ({left.rows:,}), different content (checksum)"
    return None


def compare_warehouses(left: Path, right: Path, schemas: Iterable[str] = COMPARED_SCHEMAS) -> tuple[int, list[str]]:
    """The number of tables compared, and one line per table that differs (empty when all are equal)."""
    wanted = tuple(schemas)
    # the harness itself stays small: its size is the parent of every later step
    with duckdb.connect(config={"memory_limit": COMPARE_MEMORY_LIMIT}) as connection:
        _attach(connection, left, _LEFT)
        _attach(connection, right, _RIGHT)
        left_names = _table_names(connection, _LEFT, wanted)
        right_names = _table_names(connection, _RIGHT, wanted)
        differences = [f"{name}: only in {left.name}" for name in sorted(left_names - right_names)]
        differences += [f"{name}: only in {right.name}" for name in sorted(right_names - left_names)]
        for name in sorted(left_names & right_names):
            found = _difference(
                name,
                _table_state(connection, _LEFT, name),
                _table_state(connection, _RIGHT, name),
                left.name,
                right.name,
            )
            if found is not None:
                differences.append(found)
    return len(left_names | right_names), differences


def _require_columns(connection: duckdb.DuckDBPyConnection, table: str, columns: Iterable[str]) -> None:
    schema, name = table.split(".", 1)
    present = {
        row[0]
        for row in connection.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchall()
    }
    if not present:
        raise BenchFailed(f"The warehouse has no table {table}, which the bench compares with Spark's totals.")
    missing = [column for column in columns if column not in present]
    if missing:
        raise BenchFailed(f"{table} has no column {', '.join(missing)}, which the bench compares with Spark's totals.")


def read_dbt_totals(database: Path) -> Totals:
    """Purchases and revenue from marts.fact_monthly_summary, customers from marts.kpi_summary;
    revenue must also agree with kpi_summary.lifetime_revenue."""
    with duckdb.connect(str(database), read_only=True) as connection:
        _require_columns(connection, "marts.fact_monthly_summary", ("revenue", "purchases"))
        _require_columns(connection, "marts.kpi_summary", ("lifetime_revenue", "total_customers"))
        monthly = connection.execute(
            "select coalesce(sum(revenue), 0), coalesce(sum(purchases), 0) from marts.fact_monthly_summary"
        ).fetchone()
        kpi = connection.execute("select lifetime_revenue, total_customers from marts.kpi_summary").fetchall()
    if monthly is None or len(kpi) != 1:
        raise BenchFailed(f"marts.kpi_summary should have exactly one row and has {len(kpi)}.")
    revenue, purchases = Decimal(monthly[0]), int(monthly[1])
    kpi_revenue, customers = Decimal(kpi[0][0]), int(kpi[0][1])
    if kpi_revenue != revenue:
        raise BenchFailed(
            f"dbt's marts disagree with themselves: kpi_summary.lifetime_revenue is {kpi_revenue}, "
            f"the sum of fact_monthly_summary.revenue is {revenue}."
        )
    return Totals(purchases=purchases, revenue=revenue, customers=customers)


def totals_differences(spark: Totals, dbt: Totals) -> list[str]:
    """One line per figure on which Spark and dbt disagree."""
    return [
        f"{name}: Spark {getattr(spark, name)}, dbt {getattr(dbt, name)}"
        for name in ("purchases", "revenue", "customers")
        if getattr(spark, name) != getattr(dbt, name)
    ]
