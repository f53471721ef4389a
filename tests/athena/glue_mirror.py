"""The Athena stand-in's catalog: each statement's effect mirrored into moto's Glue backend, as
Athena's catalog would be after it (moto executes no SQL, and dbt-athena reads Glue back).

CREATE SCHEMA, CTAS (columns from the DuckDB build of the same model, Parameters
table_type=ICEBERG for Iceberg), CREATE EXTERNAL TABLE (columns as written), ALTER TABLE RENAME
(Iceberg only), ALTER TABLE ADD COLUMNS / SET TBLPROPERTIES and DROP TABLE change the mirror;
what Athena would refuse for a catalog reason (a CTAS onto an existing table, a MERGE into a
Hive table, a query of a missing relation, an OPTIMIZE predicate off the partitioning...)
raises AthenaWouldFail.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

from athena_ledger.statement import DERIVED_SUFFIX  # a derived table's columns are its model's
from tests.athena import statements as st
from tests.athena.captured import AthenaWouldFail, Captured
from tests.athena.reference import DuckDBReference, glue_type

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


class GlueMirror:
    """moto's Glue backend of one account and region, kept as Athena's catalog would be."""

    def __init__(self, reference: DuckDBReference, account: str, region: str) -> None:
        self.reference = reference  # the DuckDB build whose columns a CTAS's table gets
        self.account = account
        self.region = region
        # The partition source columns of each Iceberg table the stand-in created (Athena keeps
        # them in the Iceberg metadata, not in Glue): what an OPTIMIZE predicate may name.
        self.iceberg_partitions: dict[tuple[str, str], list[str]] = {}

    @property
    def glue(self) -> Any:
        from moto.glue.models import glue_backends

        return glue_backends[self.account][self.region]

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

    def apply(self, captured: Captured, tree: exp.Expr | None) -> None:
        """Mirror one statement (`tree`: its Trino parse, None for Hive DDL or what sqlglot
        cannot parse); AthenaWouldFail when Athena would refuse it."""
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
            self._mirror_rename(captured)
        elif kind is st.Kind.ALTER_TABLE:
            self._mirror_alter(captured)
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
            self._check_write(captured, tree)
        elif kind is st.Kind.SELECT and tree is not None:
            self._require_relations_exist(tree)
        # (a Trino statement sqlglot cannot parse is left to the parse check, which reports it)

    def _mirror_rename(self, captured: Captured) -> None:
        (schema, table), (to_schema, to_table) = st.parse_rename(captured.sql)
        source = self._require_table(schema, table)
        if not _is_iceberg(source):
            raise AthenaWouldFail(f"ALTER TABLE RENAME is only supported for Iceberg tables: {schema}.{table}")
        self._require_schema(to_schema)
        if self.glue_table(to_schema, to_table) is not None:
            raise AthenaWouldFail(f"Table '{to_schema}.{to_table}' already exists")
        self.glue.create_table(to_schema, to_table, {**_table_input(source), "Name": to_table})
        self.glue.delete_table(schema, table)
        self.iceberg_partitions[(to_schema, to_table)] = self.iceberg_partitions.pop((schema, table), [])
        captured.effect = f"renamed {schema}.{table} to {to_schema}.{to_table}"

    def _mirror_alter(self, captured: Captured) -> None:
        """ALTER TABLE ... ADD COLUMNS (...) or SET TBLPROPERTIES ('k'='v', ...)."""
        (schema, table), rest = st.parse_alter(captured.sql)
        updated = _table_input(self._require_table(schema, table))
        added = re.match(r"^add\s+columns\s*\((.*)\)\s*$", rest, re.IGNORECASE | re.DOTALL)
        if added:
            definitions = [part.strip().split(None, 1) for part in added.group(1).split(",") if part.strip()]
            updated["StorageDescriptor"]["Columns"] += [
                {"Name": name.strip('`"').lower(), "Type": type_.strip().lower()} for name, type_ in definitions
            ]
        for key, value in re.findall(r"'([^']+)'\s*=\s*'([^']*)'", rest):
            updated.setdefault("Parameters", {})[key] = value
        self.glue.update_table(schema, table, updated)
        captured.effect = f"altered {schema}.{table}"

    def _check_write(self, captured: Captured, tree: exp.Expr) -> None:
        """MERGE, DELETE, INSERT: the target exists (and is Iceberg for MERGE and DELETE), and
        so does every relation they read. Nothing changes: moto holds no data."""
        kind = captured.kind
        target = _write_target(tree)
        iceberg = _is_iceberg(self._require_table(*target))
        if kind is st.Kind.MERGE and not iceberg:
            raise AthenaWouldFail(f"NOT_SUPPORTED: MERGE INTO is only supported for Iceberg tables: {target}")
        if kind is st.Kind.DELETE and not iceberg:
            # Athena deletes rows of Iceberg tables only (a Hive table's files are immutable)
            raise AthenaWouldFail(f"NOT_SUPPORTED: DELETE FROM is only supported for Iceberg tables: {target}")
        self._require_relations_exist(tree, exclude={target})
        what = "deleted from" if kind is st.Kind.DELETE else "wrote into"
        captured.effect = f"{what} {target[0]}.{target[1]} (no data: moto executes nothing)"

    def _mirror_maintenance(self, captured: Captured) -> None:
        """OPTIMIZE/VACUUM: Athena runs them on Iceberg tables only, and an OPTIMIZE predicate may
        name partition columns only (for a `day(event_time)` partition, event_time)."""
        try:
            statement = st.parse_maintenance(captured.sql)
        except ValueError as error:
            raise AthenaWouldFail(f"line 1:1: mismatched input: {error}") from error
        found = self._require_table(statement.schema, statement.table)
        if not _is_iceberg(found):
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
                columns = found.get("StorageDescriptor", {}).get("Columns", []) + found.get("PartitionKeys", [])
                timestamp = "timestamp(6)" if _is_iceberg(found) else "timestamp(3)"
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
        base = DERIVED_SUFFIX.sub("", ctas.table)
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


def _is_iceberg(table: dict[str, Any]) -> bool:
    """Whether a Glue GetTable result is an Iceberg table's."""
    return str(table.get("Parameters", {}).get("table_type", "")).upper() == "ICEBERG"
