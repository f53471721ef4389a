"""An in-process moto server standing in for S3, Glue and Athena, with a hook on Athena's
StartQueryExecution that records every statement and plays the part of the catalog.

moto executes no SQL: every query "succeeds" with no rows, and a CTAS leaves nothing in Glue.
dbt-athena, however, reads Glue after its statements (GetTable, GetTables, GetTableVersions,
column lists for MERGE), so without help the second, incremental `dbt build` could not take
the adapter's real incremental path. The hook therefore does, openly and nothing more:

- mirrors each statement's effect on the catalog into moto's Glue backend: CREATE SCHEMA,
  CTAS (columns from the DuckDB build of the same model, Parameters table_type=ICEBERG for
  Iceberg), CREATE EXTERNAL TABLE (columns as written), ALTER TABLE RENAME (Iceberg only, as
  on Athena), ALTER TABLE ADD COLUMNS / SET TBLPROPERTIES, DROP TABLE;
- fails the statements Athena would fail for catalog reasons (a CTAS onto an existing table,
  a rename of a missing or non-Iceberg table, a MERGE into or a DELETE from a missing or
  non-Iceberg table, a query of a relation that does not exist, a Hive CTAS of timestamp(6)
  columns, an OPTIMIZE/VACUUM of a missing or non-Iceberg table or an OPTIMIZE predicate on
  a column the table is not partitioned on...), with the reason in the execution's
  StateChangeReason;
- answers SELECTs whose rows dbt reads: a data test gets a synthetic `failures = 0` row
  (counted and reported), a contract's empty-subquery probe gets the column types, a
  `select '<message>'` its message, and other queries the rows the DuckDB build gives for the
  same SQL transpiled with sqlglot (or no rows when it reads what DuckDB does not have).

Each stand-in runs in a moto account of its own (credentials from an STS assumed role) and
deletes its buckets when it stops, so other tests that use moto in this process see none of it.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import boto3
import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

from tests.athena import query_history
from tests.athena import statements as st
from tests.athena.reference import DuckDBReference, NotTranspilable, athena_text, glue_type, result_type

REGION = "us-east-1"
_accounts = itertools.count(424242420001)  # never moto's default account (123456789012)


def _new_account() -> str:
    """A moto account of its own for each stand-in: moto's state is global to the process, so
    other tests that use moto, and other stand-ins, never see this one's buckets and tables."""
    return str(next(_accounts))


# Suffixes of the relations dbt-athena derives from a model's (temporary, high-availability,
# backup...): their columns are the model's.
_DERIVED_SUFFIX = re.compile(r"(__dbt_tmp(_[0-9a-f_]+)?|__ha|__bkp|__tmp_not_partitioned|__dbt_tmp_snapshot)$")

_ICEBERG_SERDE = {
    "InputFormat": "org.apache.iceberg.mr.hive.HiveIcebergInputFormat",
    "OutputFormat": "org.apache.iceberg.mr.hive.HiveIcebergOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.apache.iceberg.mr.hive.HiveIcebergSerDe"},
}
_PARQUET_SERDE = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
}


class AthenaWouldFail(Exception):
    """A statement that a real Athena would reject for a catalog reason."""


@dataclass
class Captured:
    """One statement as the stand-in received it, and what the stand-in did with it."""

    index: int
    execution_id: str
    run: str
    sql: str
    kind: st.Kind
    node_id: str
    purpose: st.Purpose | None = None
    answer: str = ""  # how its result rows were served
    effect: str = ""  # what it changed in the Glue mirror
    failure: str | None = None  # why the stand-in failed it, as Athena would
    seconds: float = 0.0  # time the hook spent on it


# ------------------------------------------------------------------ the hook


class StatementHook:
    """Wraps moto's AthenaBackend.start_query_execution while installed; acts only on requests of
    its account (a failure reason reaches GetQueryExecution through tests/athena/query_history.py)."""

    def __init__(self, reference: DuckDBReference, account: str) -> None:
        self.reference = reference
        self.account = account
        self.statements: list[Captured] = []
        self.run = ""
        self.synthetic_test_rows = 0
        self.seconds = 0.0  # time spent in the hook, reported with the run time
        self._lock = threading.RLock()  # moto serves requests on several threads
        # The partition source columns of each Iceberg table the stand-in created (Athena keeps
        # them in the Iceberg metadata, not in Glue): what an OPTIMIZE predicate may name.
        self.iceberg_partitions: dict[tuple[str, str], list[str]] = {}
        self._originals: list[tuple[Any, str, Any]] = []

    # -- installation

    def install(self) -> None:
        from moto.athena.models import AthenaBackend, QueryResults

        hook = self
        original_start = AthenaBackend.start_query_execution

        def start_query_execution(backend: Any, query: str, *args: Any, **kwargs: Any) -> str:
            execution_id: str = original_start(backend, query, *args, **kwargs)
            if backend.account_id == hook.account:
                hook._on_statement(backend, execution_id, query, QueryResults)
            return execution_id

        self._originals = [
            (AthenaBackend, "start_query_execution", original_start),
        ]
        setattr(AthenaBackend, "start_query_execution", start_query_execution)  # noqa: B010 (a patch, typed loosely)

    def uninstall(self) -> None:
        for owner, name, original in self._originals:
            setattr(owner, name, original)
        self._originals = []

    # -- one statement

    def _on_statement(self, backend: Any, execution_id: str, query: str, results_class: Any) -> None:
        started = time.perf_counter()
        try:
            self._handle(backend, execution_id, query, results_class)
        finally:
            elapsed = time.perf_counter() - started
            self.seconds += elapsed
            last = self.statements[-1] if self.statements else None
            if last is not None:
                last.seconds = elapsed

    def _handle(self, backend: Any, execution_id: str, query: str, results_class: Any) -> None:
        with self._lock:
            kind = st.classify(query)
            captured = Captured(
                index=len(self.statements),
                execution_id=execution_id,
                run=self.run,
                sql=query,
                kind=kind,
                node_id=str(st.query_comment(query).get("node_id", "")),
            )
            self.statements.append(captured)
            try:
                # Trino statements are parsed once here; the catalog and the answers share the tree.
                # (OPTIMIZE/VACUUM are not Trino's grammar: st.parse_maintenance reads them)
                trino = kind.engine is st.Engine.TRINO and kind is not st.Kind.MAINTENANCE
                tree = _parse_trino_or_none(st.body(query)) if trino else None
                self._mirror(captured, tree)
                self._answer(backend, captured, results_class, tree)
            except AthenaWouldFail as failure:
                captured.failure = str(failure)
            except Exception as error:  # a bug of the harness: fail the statement, never answer HTTP 500
                captured.failure = f"harness error: {type(error).__name__}: {error}"
            if captured.failure:
                execution = backend.executions[execution_id]
                execution.status = "FAILED"
                setattr(execution, query_history.FAILURE_ATTRIBUTE, captured.failure)

    # -- Glue

    @property
    def glue(self) -> Any:
        from moto.glue.models import glue_backends

        return glue_backends[self.account][REGION]

    def glue_table(self, schema: str, table: str) -> dict[str, Any] | None:
        database = self.glue.databases.get(schema)
        if database is None or table not in database.tables:
            return None
        return database.tables[table].as_dict()

    def _require_schema(self, schema: str) -> None:
        if schema not in self.glue.databases:
            raise AthenaWouldFail(f"SCHEMA_NOT_FOUND: Schema '{schema}' does not exist")

    def _require_table(self, schema: str, table: str) -> dict[str, Any]:
        self._require_schema(schema)
        found = self.glue_table(schema, table)
        if found is None:
            raise AthenaWouldFail(f"TABLE_NOT_FOUND: Table 'awsdatacatalog.{schema}.{table}' does not exist")
        return found

    def _mirror(self, captured: Captured, tree: exp.Expr | None) -> None:
        kind, sql = captured.kind, captured.sql
        if kind is st.Kind.CREATE_SCHEMA:
            name, if_not_exists = st.parse_create_schema(sql)
            if name in self.glue.databases:
                if not if_not_exists:
                    raise AthenaWouldFail(f"Database {name} already exists")
                captured.effect = "schema exists"
            else:
                self.glue.create_database(name, {"Name": name})
                captured.effect = f"created database {name}"
        elif kind is st.Kind.CTAS:
            self._mirror_ctas(captured, tree)
        elif kind in (st.Kind.CREATE_EXTERNAL_TABLE, st.Kind.CREATE_TABLE_DDL):
            self._mirror_hive_create(captured)
        elif kind is st.Kind.ALTER_TABLE_RENAME:
            (schema, table), (to_schema, to_table) = st.parse_rename(sql)
            source = self._require_table(schema, table)
            if source.get("Parameters", {}).get("table_type", "").upper() != "ICEBERG":
                raise AthenaWouldFail(f"ALTER TABLE RENAME is only supported for Iceberg tables: {schema}.{table}")
            self._require_schema(to_schema)
            if self.glue_table(to_schema, to_table) is not None:
                raise AthenaWouldFail(f"Table '{to_schema}.{to_table}' already exists")
            self.glue.create_table(to_schema, to_table, {**_table_input(source), "Name": to_table})
            self.glue.delete_table(schema, table)
            self.iceberg_partitions[(to_schema, to_table)] = self.iceberg_partitions.pop((schema, table), [])
            captured.effect = f"renamed {schema}.{table} to {to_schema}.{to_table}"
        elif kind is st.Kind.ALTER_TABLE:
            (schema, table), rest = st.parse_alter(sql)
            current = self._require_table(schema, table)
            updated = _table_input(current)
            added = re.match(r"^add\s+columns\s*\((.*)\)\s*$", rest, re.IGNORECASE | re.DOTALL)
            if added:
                definitions = [part.strip().split(None, 1) for part in added.group(1).split(",") if part.strip()]
                updated["StorageDescriptor"]["Columns"] += [
                    {"Name": name.strip('`"').lower(), "Type": kind_.strip().lower()} for name, kind_ in definitions
                ]
            for key, value in re.findall(r"'([^']+)'\s*=\s*'([^']*)'", rest):
                updated.setdefault("Parameters", {})[key] = value
            self.glue.update_table(schema, table, updated)
            captured.effect = f"altered {schema}.{table}"
        elif kind in (st.Kind.DROP_TABLE, st.Kind.DROP_VIEW):
            _, (schema, table), if_exists = st.parse_drop(sql)
            if self.glue_table(schema, table) is None:
                if not if_exists:
                    raise AthenaWouldFail(f"Table {schema}.{table} does not exist")
                captured.effect = "nothing to drop"
            else:
                self.glue.delete_table(schema, table)
                self.iceberg_partitions.pop((schema, table), None)
                captured.effect = f"dropped {schema}.{table}"
        elif kind is st.Kind.MAINTENANCE:
            self._mirror_maintenance(captured)
        elif kind in (st.Kind.MERGE, st.Kind.DELETE, st.Kind.INSERT) and tree is not None:
            target = _write_target(tree)
            found = self._require_table(*target)
            iceberg = found.get("Parameters", {}).get("table_type", "").upper() == "ICEBERG"
            if kind is st.Kind.MERGE and not iceberg:
                raise AthenaWouldFail(f"NOT_SUPPORTED: MERGE INTO is only supported for Iceberg tables: {target}")
            if kind is st.Kind.DELETE and not iceberg:
                # Athena deletes rows of Iceberg tables only (a Hive table's files are immutable)
                raise AthenaWouldFail(f"NOT_SUPPORTED: DELETE FROM is only supported for Iceberg tables: {target}")
            self._require_relations_exist(tree, exclude={target})
            what = "deleted from" if kind is st.Kind.DELETE else "wrote into"
            captured.effect = f"{what} {target[0]}.{target[1]} (no data: moto executes nothing)"
        elif kind is st.Kind.SELECT and tree is not None:
            self._require_relations_exist(tree)
        # (a Trino statement sqlglot cannot parse is left to the parse check, which reports it)

    def _mirror_maintenance(self, captured: Captured) -> None:
        """OPTIMIZE/VACUUM: Athena runs them on Iceberg tables only, and an OPTIMIZE predicate may
        name partition columns only (for a `day(event_time)` partition, event_time)."""
        try:
            statement = st.parse_maintenance(captured.sql)
        except ValueError as error:
            raise AthenaWouldFail(f"line 1:1: mismatched input: {error}") from error
        found = self._require_table(statement.schema, statement.table)
        if found.get("Parameters", {}).get("table_type", "").upper() != "ICEBERG":
            raise AthenaWouldFail(
                f"NOT_SUPPORTED: {statement.action.upper()} is only supported for Iceberg tables: "
                f"{statement.schema}.{statement.table}"
            )
        partitions = self.iceberg_partitions.get((statement.schema, statement.table), [])
        try:
            outside = sorted(statement.where_columns - set(partitions))
        except sqlglot.errors.SqlglotError as error:
            raise AthenaWouldFail(f"the OPTIMIZE predicate does not parse: {error}") from error
        if outside:
            raise AthenaWouldFail(
                f"INVALID_ARGUMENT: only partition columns are allowed in the OPTIMIZE predicate, not {outside} "
                f"(partitioned on {partitions or 'nothing'}): {statement.schema}.{statement.table}"
            )
        where = f" where {statement.where}" if statement.where else ""
        captured.effect = f"{statement.action} of {statement.schema}.{statement.table}{where} (moto executes nothing)"

    def _require_relations_exist(self, tree: exp.Expr, exclude: set[tuple[str, str]] | None = None) -> None:
        for schema, table in sorted(st.referenced_tables(tree) - (exclude or set())):
            self._require_table(schema, table)

    def _mirror_ctas(self, captured: Captured, tree: exp.Expr | None) -> None:
        if tree is None:
            raise AthenaWouldFail("harness: sqlglot cannot parse this CTAS, so it cannot be mirrored into Glue")
        ctas = st.parse_ctas(tree)
        self._require_schema(ctas.schema)
        if self.glue_table(ctas.schema, ctas.table) is not None:
            raise AthenaWouldFail(
                f"TABLE_ALREADY_EXISTS: Table 'awsdatacatalog.{ctas.schema}.{ctas.table}' already exists"
            )
        self._require_relations_exist(tree, exclude={(ctas.schema, ctas.table)})
        table_type = str(ctas.properties.get("table_type", "hive")).lower()
        if table_type == "hive":
            # Athena engine v3 writes Hive tables with millisecond timestamps and refuses a CTAS
            # whose query gives timestamp(6) (what Iceberg tables and our casts carry).
            for column in self._microsecond_timestamps(tree):
                raise AthenaWouldFail(
                    "NOT_SUPPORTED: Incorrect timestamp precision for timestamp(6); the configured precision is "
                    f"MILLISECONDS; column name: {column}"
                )
        columns, source = self.ctas_columns(ctas, captured.node_id)
        location = str(ctas.properties.get("location") or ctas.properties.get("external_location") or "")
        file_format = str(ctas.properties.get("format", "parquet")).lower()
        table_input: dict[str, Any]
        if table_type == "iceberg":
            self.iceberg_partitions[(ctas.schema, ctas.table)] = [
                st.partition_source_column(spec) for spec in ctas.partitioning or []
            ]
            table_input = {
                "Name": ctas.table,
                "TableType": "EXTERNAL_TABLE",
                "Parameters": {
                    "table_type": "ICEBERG",
                    "metadata_location": f"{location.rstrip('/')}/metadata/00000-{uuid.uuid4()}.metadata.json",
                },
                "StorageDescriptor": {
                    "Columns": [
                        {
                            "Name": name,
                            "Type": type_,
                            "Parameters": {
                                "iceberg.field.current": "true",
                                "iceberg.field.id": str(position),
                                "iceberg.field.optional": "true",
                            },
                        }
                        for position, (name, type_) in enumerate(columns, start=1)
                    ],
                    "Location": location,
                    **_ICEBERG_SERDE,
                },
            }
        else:
            partition_names = [st.partition_source_column(spec) for spec in ctas.partitioning or []]
            table_input = {
                "Name": ctas.table,
                "TableType": "EXTERNAL_TABLE",
                "Parameters": {"EXTERNAL": "TRUE", "classification": file_format},
                "StorageDescriptor": {
                    "Columns": [{"Name": n, "Type": t} for n, t in columns if n not in partition_names],
                    "Location": location,
                    **_PARQUET_SERDE,
                },
                "PartitionKeys": [{"Name": n, "Type": t} for n, t in columns if n in partition_names],
            }
        self.glue.create_table(ctas.schema, ctas.table, table_input)
        captured.effect = (
            f"created {table_type} table {ctas.schema}.{ctas.table} with {len(columns)} columns ({source})"
        )

    def _microsecond_timestamps(self, ctas_tree: exp.Expr) -> list[str]:
        """Output columns of a CTAS's query typed timestamp(p > 3), from sqlglot's type inference
        over the Glue mirror (an Iceberg table's timestamp column is timestamp(6) on Athena)."""
        mapping: dict[str, Any] = {}
        for name, database in self.glue.databases.items():
            for table_name, table in database.tables.items():
                found = table.as_dict()
                iceberg = found.get("Parameters", {}).get("table_type", "").upper() == "ICEBERG"
                columns = found.get("StorageDescriptor", {}).get("Columns", []) + found.get("PartitionKeys", [])
                timestamp = "timestamp(6)" if iceberg else "timestamp(3)"
                mapping.setdefault(name, {})[table_name] = {
                    c["Name"]: timestamp if c["Type"] == "timestamp" else c["Type"] for c in columns
                }
        schema = MappingSchema(mapping, dialect="hive")
        query = ctas_tree.expression.copy()
        for table in query.find_all(exp.Table):
            if table.catalog.lower() == "awsdatacatalog":
                table.set("catalog", None)
        try:
            typed = annotate_types(
                qualify(query, schema=schema, dialect="trino", validate_qualify_columns=False),
                schema=schema,
                dialect="trino",
            )
        except sqlglot.errors.SqlglotError:
            return []  # types unknown: nothing to say
        found_columns = []
        for select in typed.selects:
            data_type = select.type
            if data_type is not None and data_type.is_type(exp.DataType.Type.TIMESTAMP) and data_type.expressions:
                precision = data_type.expressions[0].name  # timestamp(6) -> "6"
                if precision.isdigit() and int(precision) > 3:
                    found_columns.append(select.alias_or_name)
        return found_columns

    def ctas_columns(self, ctas: st.Ctas, node_id: str) -> tuple[list[tuple[str, str]], str]:
        """The Glue columns a CTAS's table gets, and where they came from."""
        base = _DERIVED_SUFFIX.sub("", ctas.table)
        if node_id.startswith("unit_test."):
            # a unit test's relation is named after the test; its columns are the tested model's
            model = self.reference.node_relation(f"model.{node_id.split('.')[1]}.{node_id.split('.')[2]}")
            base = model[1] if model is not None else base
        known = self.reference.columns(ctas.schema, base)
        if known is not None and node_id.startswith("snapshot.") and ctas.table != base:
            # dbt's snapshot staging table: the snapshot's columns plus the change type and
            # the unique key it joins on (dbt's default__snapshot_staging_table)
            columns = [(name, glue_type(type_)) for name, type_ in known]
            key_type = dict(columns).get(self._snapshot_unique_key(ctas.select_sql), "string")
            return (
                [("dbt_change_type", "string"), *columns, ("dbt_unique_key", key_type)],
                f"snapshot staging: columns of DuckDB {ctas.schema}.{base}, change type and unique key",
            )
        if known is None:
            raise AthenaWouldFail(
                f"harness: no columns for {ctas.schema}.{ctas.table}: the DuckDB build has no {ctas.schema}.{base}"
            )
        return [(name, glue_type(type_)) for name, type_ in known], f"columns of DuckDB {ctas.schema}.{base}"

    @staticmethod
    def _snapshot_unique_key(select_sql: str) -> str:
        match = re.search(r"\b(\w+)\s+AS\s+dbt_unique_key\b", select_sql, re.IGNORECASE)
        return match.group(1).lower() if match else ""

    def _mirror_hive_create(self, captured: Captured) -> None:
        table = st.parse_hive_create(captured.sql)
        self._require_schema(table.schema)
        if self.glue_table(table.schema, table.table) is not None:
            if table.if_not_exists:
                captured.effect = f"{table.schema}.{table.table} exists (IF NOT EXISTS)"
                return
            raise AthenaWouldFail(f"AlreadyExistsException: Table {table.schema}.{table.table} already exists")
        is_iceberg = table.properties.get("table_type", "").upper() == "ICEBERG"
        self.glue.create_table(
            table.schema,
            table.table,
            {
                "Name": table.table,
                "TableType": "EXTERNAL_TABLE",
                "Parameters": {
                    **table.properties,
                    **({"table_type": "ICEBERG"} if is_iceberg else {"EXTERNAL": "TRUE"}),
                },
                "StorageDescriptor": {
                    "Columns": [{"Name": n, "Type": t} for n, t in table.columns],
                    "Location": table.location or "",
                    **(_ICEBERG_SERDE if is_iceberg else {}),
                },
                "PartitionKeys": [{"Name": n, "Type": t} for n, t in table.partition_keys],
            },
        )
        captured.effect = f"created external table {table.schema}.{table.table} with {len(table.columns)} columns"

    # -- results

    def _answer(self, backend: Any, captured: Captured, results_class: Any, tree: exp.Expr | None) -> None:
        if captured.kind is not st.Kind.SELECT:
            captured.answer = "no rows (not a query)"
            return
        if tree is None:
            captured.answer = "no rows (sqlglot cannot parse it; see the parse check)"
            return
        purpose = st.select_purpose(captured.sql)
        captured.purpose = purpose
        if purpose is st.Purpose.DATA_TEST:
            # dbt reads failures / should_warn / should_error from the one row of a test query
            self.synthetic_test_rows += 1
            columns = [("failures", "bigint"), ("should_warn", "boolean"), ("should_error", "boolean")]
            _set_results(backend, results_class, captured.execution_id, columns, [(0, False, False)])
            captured.answer = "synthetic 0-failures row"
            return
        if purpose is st.Purpose.CONTRACT_PROBE:
            columns = self._probe_columns(captured, tree)
            _set_results(backend, results_class, captured.execution_id, columns, [])
            captured.answer = f"column types of {len(columns)} columns"
            return
        if purpose is st.Purpose.RESULT_MARKER:
            message = re.match(r"^select\s+'([^']*)'$", st.body(captured.sql), re.IGNORECASE | re.DOTALL)
            text = message.group(1) if message else ""
            _set_results(backend, results_class, captured.execution_id, [("_col0", "varchar")], [(text,)])
            captured.answer = "its message"
            return
        try:
            answer = self.reference.answer(tree)
        except (NotTranspilable, sqlglot.errors.ParseError) as error:
            if purpose is st.Purpose.UNIT_TEST:
                # e.g. a column the fixture does not provide: Athena fails it too (COLUMN_NOT_FOUND)
                raise AthenaWouldFail(f"unit test SQL cannot run on its fixtures: {error}") from error
            captured.answer = f"no rows (not answerable from DuckDB: {error})"
            return
        except duckdb.Error as error:
            # The Athena SQL, transpiled, fails on the same data: report it as Athena would.
            first = str(error).strip().splitlines()[0]
            raise AthenaWouldFail(f"failed when run (transpiled by sqlglot) on the DuckDB build: {first}") from error
        if answer is None:
            captured.answer = "no rows (reads relations the DuckDB build does not have)"
            return
        columns = [(name, glue_type(type_)) for name, type_ in answer.columns]
        _set_results(backend, results_class, captured.execution_id, columns, answer.rows)
        captured.answer = f"{len(answer.rows)} rows from DuckDB"

    def _probe_columns(self, captured: Captured, tree: exp.Expr) -> list[tuple[str, str]]:
        """Column types for dbt's empty-subquery probe `select * from (<sql>) as __dbt_sbq where
        false limit 0` (contracts, snapshots): the casts of a contract's schema-file side as
        written; a model's columns in the DuckDB build; otherwise what DuckDB describes for the
        same SQL transpiled."""
        inner = tree.find(exp.Subquery)
        query = inner.this if inner is not None else None
        if (
            isinstance(query, exp.Select)
            and query.expressions
            and all(
                isinstance(e, exp.Alias) and isinstance(e.this, exp.Cast) and isinstance(e.this.this, exp.Null)
                for e in query.expressions
            )
        ):
            return [(e.alias.lower(), e.this.to.sql("trino").lower()) for e in query.expressions]
        relation = self.reference.node_relation(captured.node_id) if captured.node_id.startswith("model.") else None
        known = self.reference.columns(*relation) if relation is not None else None
        if known is not None:
            # A model's contract probe reads the model's whole SQL; the DuckDB build of the same
            # model has its columns (cheaper than transpiling it, and the differential check
            # compares the Athena SQL's columns with them anyway).
            return [(name, _trino_type(type_)) for name, type_ in known]
        try:
            described = self.reference.answer(tree)
        except (NotTranspilable, sqlglot.errors.ParseError, duckdb.Error):
            described = None
        if described is not None:
            return [(name, _trino_type(type_)) for name, type_ in described.columns]
        raise AthenaWouldFail(f"harness: no DuckDB columns for the contract probe of {captured.node_id}")


def _trino_type(duckdb_type: str) -> str:
    glue = glue_type(duckdb_type)
    return {"string": "varchar", "int": "integer", "float": "real", "binary": "varbinary"}.get(glue, glue)


def _parse_trino_or_none(sql: str) -> exp.Expr | None:
    try:
        return sqlglot.parse_one(sql, read="trino")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return None


def _write_target(statement: exp.Expr) -> tuple[str, str]:
    target = statement.this
    while not isinstance(target, exp.Table) and target is not None:
        target = target.this
    if target is None:
        raise ValueError(f"no target in {statement.sql('trino')[:80]!r}")
    return target.db.lower(), target.name.lower()


def _table_input(table: dict[str, Any]) -> dict[str, Any]:
    """A Glue GetTable result as the TableInput of a new version or copy."""
    keep = ("Name", "Description", "Owner", "Retention", "StorageDescriptor", "PartitionKeys", "TableType",
            "Parameters")  # fmt: skip
    copied = json.loads(json.dumps({k: v for k, v in table.items() if k in keep}, default=str))
    copied.setdefault("StorageDescriptor", {}).setdefault("Columns", [])
    return copied


def _set_results(
    backend: Any,
    results_class: Any,
    execution_id: str,
    columns: list[tuple[str, str]],
    rows: list[tuple[Any, ...]],
) -> None:
    """Register the result of one execution, keyed by its id. (moto's public way is a FIFO
    queue of results, which dbt's concurrent threads would take in any order.)"""
    column_info = []
    for name, type_ in columns:  # Glue (Hive) or Trino type names: result_type reads both
        info = result_type(type_)
        column_info.append(
            {"CatalogName": "hive", "SchemaName": "", "TableName": "", "Name": name, "Label": name, **info,
             "Nullable": "UNKNOWN", "CaseSensitive": info["Type"] == "varchar"}
        )  # fmt: skip
    header = {"Data": [{"VarCharValue": name} for name, _ in columns]}
    data = [
        {"Data": [{} if (text := athena_text(value)) is None else {"VarCharValue": text} for value in row]}
        for row in rows
    ]
    backend.query_results[execution_id] = results_class(rows=[header, *data], column_info=column_info)


# ------------------------------------------------------------------ the server


@dataclass
class RunLog:
    """The statements of one dbt invocation."""

    label: str
    statements: list[Captured] = field(default_factory=list)

    def by_kind(self) -> Counter[str]:
        return Counter(s.kind.value for s in self.statements)


class MotoAthena:
    """The moto server on loopback, the hook, and the AWS state a dbt-athena run expects."""

    def __init__(self, reference: DuckDBReference) -> None:
        from moto.server import ThreadedMotoServer

        # werkzeug logs one line per request; hundreds of them would bury pytest's output
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.account = _new_account()
        self.hook = StatementHook(reference, self.account)
        self.url = ""
        self.credentials: dict[str, str] = {}
        self._uninstall_history: Callable[[], None] = lambda: None

    def __enter__(self) -> MotoAthena:
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        self.hook.install()
        self._uninstall_history = query_history.install()
        # Credentials of a role in this stand-in's account: moto routes every request made with
        # them there (moto looks the access key up among the roles it handed out).
        sts = boto3.client(
            "sts",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        role = f"arn:aws:iam::{self.account}:role/dbt-athena-conformance"
        assumed = sts.assume_role(RoleArn=role, RoleSessionName="dbt-athena-conformance")["Credentials"]
        self.credentials = {
            "AWS_ACCESS_KEY_ID": assumed["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": assumed["SecretAccessKey"],
            "AWS_SESSION_TOKEN": assumed["SessionToken"],
        }
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._delete_buckets()  # bucket names are global across moto accounts, as on AWS
        finally:
            self.hook.uninstall()
            self._uninstall_history()
            self._server.stop()

    def _delete_buckets(self) -> None:
        s3 = self.client("s3")
        for bucket in s3.list_buckets().get("Buckets", []):
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket["Name"]):
                for item in page.get("Contents", []):
                    s3.delete_object(Bucket=bucket["Name"], Key=item["Key"])
            s3.delete_bucket(Bucket=bucket["Name"])

    def client(self, service: str) -> Any:
        # (boto3's stubs only type clients of literal service names)
        return cast(Any, boto3).client(
            service,
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=self.credentials["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.credentials["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=self.credentials["AWS_SESSION_TOKEN"],
        )

    def env(self, **extra: str) -> dict[str, str]:
        """AWS settings of a dbt process that talks to this server only."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_EC2_METADATA_DISABLED": "true",
            **self.credentials,
            **extra,
        }

    @contextmanager
    def run(self, label: str) -> Iterator[RunLog]:
        """Label the statements received inside the block with the run they belong to."""
        log = RunLog(label)
        start = len(self.hook.statements)
        self.hook.run = label
        try:
            yield log
        finally:
            self.hook.run = ""
            log.statements = self.hook.statements[start:]

    def report_scanned(self, execution_id: str, scanned_bytes: int) -> None:
        """Make Athena's query history say this execution scanned `scanned_bytes` (moto says 0)."""
        from moto.athena.models import athena_backends

        execution = athena_backends[self.account][REGION].executions[execution_id]
        setattr(execution, query_history.SCANNED_ATTRIBUTE, scanned_bytes)

    def statements_seen_by_moto(self) -> list[str]:
        """Every query of this account as Athena's own API lists it (ListQueryExecutions, then
        GetQueryExecution for the text), in the order they were started."""
        athena = self.client("athena")
        ids: list[str] = []
        token: str | None = None
        while True:
            page = athena.list_query_executions(**({"NextToken": token} if token else {}))
            ids += page["QueryExecutionIds"]
            token = page.get("NextToken")
            if not token:
                break
        return [athena.get_query_execution(QueryExecutionId=i)["QueryExecution"]["Query"] for i in ids]
