"""Measuring a DuckDB warehouse as Athena would store it: each table exported to Parquet with
zstd, partitioned as its Iceberg table is (the model's `partitioned_by` in the dbt manifest),
and the compressed size of each column chunk summed per partition and column
(`parquet_metadata().total_compressed_size`). One table at a time, each export deleted once
measured unless asked to keep it.
"""

from __future__ import annotations

import json
import re
import shutil
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from athena_estimate.errors import EstimateError
from athena_estimate.sizes import Partitioning, PartitionSize, Sizes, TableSize, raw_files
from workspace import owned

SCHEMAS = ("staging", "intermediate", "marts", "snapshots")
BATCH_COLUMN = "loaded_in_run"
_PARTITION_DIR = re.compile(r"__partition=([^/\\]+)[/\\]")


def manifest_partitioning(manifest: Path) -> dict[str, list[str]]:
    """`schema.table` -> `partitioned_by` of every model, seed and snapshot that has one."""
    try:
        document: dict[str, Any] = json.loads(manifest.read_text())
    except FileNotFoundError:
        raise EstimateError(f"no dbt manifest at {manifest}: run `dbt parse` (or any dbt command) first") from None
    found = {}
    for node in document.get("nodes", {}).values():
        if node.get("resource_type") in ("model", "seed", "snapshot") and node["config"].get("partitioned_by"):
            relation = f"{node['schema']}.{node.get('alias') or node['name']}".lower()
            found[relation] = list(node["config"]["partitioned_by"])
    return found


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _tables(connection: duckdb.DuckDBPyConnection, schemas: tuple[str, ...]) -> dict[str, dict[str, str]]:
    rows = connection.execute(
        "select c.table_schema, c.table_name, c.column_name, c.data_type from information_schema.columns c "
        "join information_schema.tables t using (table_catalog, table_schema, table_name) "
        "where c.table_catalog = current_database() and t.table_type = 'BASE TABLE' "
        f"and c.table_schema in ({', '.join(map(_literal, schemas))}) order by 1, 2, c.ordinal_position"
    ).fetchall()
    tables: dict[str, dict[str, str]] = {}
    for schema, table, column, data_type in rows:
        tables.setdefault(f"{schema}.{table}".lower(), {})[str(column).lower()] = str(data_type)
    return tables


def _export(connection: duckdb.DuckDBPyConnection, source: str, partitioning: Partitioning, out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    if partitioning.column is None:
        out.mkdir(parents=True)
        target, options = out / "data.parquet", ""
    else:
        target, options = out, ", PARTITION_BY (__partition)"
    select = (
        f"select * from {source}"
        if partitioning.column is None
        else (f"select *, {partitioning.key_sql()} as __partition from {source}")
    )
    connection.execute(f"copy ({select}) to {_literal(str(target))} (format parquet, compression zstd{options})")


def _measure(connection: duckdb.DuckDBPyConnection, out: Path) -> dict[str, PartitionSize]:
    files = _literal(str(out / "**" / "*.parquet"))
    partitions: dict[str, PartitionSize] = {}

    def key_of(file_name: str) -> str:
        match = _PARTITION_DIR.search(file_name)
        return urllib.parse.unquote(match.group(1)) if match else ""

    chunks = connection.execute(
        f"select file_name, path_in_schema, sum(total_compressed_size) from parquet_metadata({files}) group by all"
    ).fetchall()
    for file_name, column, size in chunks:
        part = partitions.setdefault(key_of(file_name), PartitionSize(rows=0, batch_rows=0, columns={}))
        name = str(column).lower()
        part.columns[name] = part.columns.get(name, 0) + int(size)
    row_groups = connection.execute(
        f"select file_name, row_group_id, any_value(row_group_num_rows) from parquet_metadata({files}) group by all"
    ).fetchall()
    for file_name, _, rows in row_groups:
        partitions[key_of(file_name)].rows += int(rows)
    return partitions


def _batch_rows(connection: duckdb.DuckDBPyConnection, source: str, partitioning: Partitioning) -> dict[str, int]:
    rows = connection.execute(
        f"select cast({partitioning.key_sql()} as varchar), count(*) filter (where {BATCH_COLUMN} = latest.m) "
        f"from {source}, (select max({BATCH_COLUMN}) as m from {source}) as latest group by 1"
    ).fetchall()
    return {str(key) if key is not None else "NULL": int(count) for key, count in rows}


def _day_equivalents(
    connection: duckdb.DuckDBPyConnection, source: str, partitioning: Partitioning, columns: dict[str, str]
) -> list[str]:
    """The DATE columns equal to the day of a `day(column)` partition on every row (so a filter
    on them prunes like one on the partition: each data file holds one day)."""
    if partitioning.transform != "day" or partitioning.column is None:
        return []
    candidates = [name for name, kind in columns.items() if kind.upper() == "DATE" and name != partitioning.column]
    if not candidates:
        return []
    day = f"cast({_quote(partitioning.column)} as date)"
    counts = connection.execute(
        "select "
        + ", ".join(f"count(*) filter (where {_quote(name)} is distinct from {day})" for name in candidates)
        + f" from {source}"
    ).fetchone()
    return [name for name, differing in zip(candidates, counts or (), strict=True) if differing == 0]


def _claim_export_dir(export_dir: Path) -> None:
    """The export replaces folders inside it, so it must be a folder this tool made (workspace.owned)."""
    try:
        owned.claim(export_dir, "python -m athena_estimate sizes")
    except owned.NotOwnedError as error:
        raise EstimateError(f"{error} (--export-dir chooses the folder)") from error


def measure_warehouse(
    warehouse: Path,
    raw_root: Path,
    manifest: Path,
    export_dir: Path,
    *,
    keep: bool = False,
    threads: int | None = None,
    memory_limit: str | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> Sizes:
    """Every table of the warehouse's staging, intermediate, marts and snapshots schemas, and
    the raw files, measured."""
    if not warehouse.is_file():
        raise EstimateError(f"no DuckDB warehouse at {warehouse}")
    specs = manifest_partitioning(manifest)
    _claim_export_dir(export_dir)
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        connection.execute("set preserve_insertion_order = false")
        connection.execute(f"set temp_directory = {_literal(str(export_dir / 'duckdb-tmp'))}")
        if threads:
            connection.execute(f"set threads = {int(threads)}")
        if memory_limit:
            connection.execute(f"set memory_limit = {_literal(memory_limit)}")
        tables: dict[str, TableSize] = {}
        found = _tables(connection, SCHEMAS)
        raw_lines = 0
        if "lines_read" in found.get("staging.stg_raw_files", {}):
            (total,) = connection.execute(
                "select coalesce(sum(lines_read), 0) from staging.stg_raw_files"
            ).fetchone() or (0,)
            raw_lines = int(total)
        for relation, columns in found.items():
            started = time.monotonic()
            schema, table = relation.split(".", 1)
            source = f"{_quote(schema)}.{_quote(table)}"
            partitioning = Partitioning.parse(specs.get(relation))
            out = export_dir / relation
            _export(connection, source, partitioning, out)
            size = TableSize(
                relation=relation,
                partitioning=partitioning,
                columns=list(columns),
                has_batch=BATCH_COLUMN in columns,
                day_equivalents=_day_equivalents(connection, source, partitioning, columns),
                partitions=_measure(connection, out),
                types=dict(columns),
            )
            if size.has_batch:
                for key, count in _batch_rows(connection, source, partitioning).items():
                    if key in size.partitions:
                        size.partitions[key].batch_rows = count
            if not keep:
                shutil.rmtree(out)
            tables[relation] = size
            progress(
                f"{relation}: {size.rows:,} rows, {len(size.partitions)} partition(s), "
                f"{size.bytes / 1e6:,.1f} MB as Parquet zstd ({time.monotonic() - started:.0f} s)"
            )
    finally:
        connection.close()
    return Sizes(str(warehouse), str(raw_root), tables, raw_files(raw_root), raw_lines)
