"""What the stand-in's Glue mirror and the conformance checks read from a statement: the
target, `WITH (...)` properties and query of a CTAS, the columns of a Hive CREATE TABLE, the
names in a RENAME, DROP, CREATE SCHEMA or ALTER TABLE, the relations a query reads, the ON
clause of a MERGE, an OPTIMIZE/VACUUM, and the column an Iceberg partition spec reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp

# the ON clause split into its conjuncts as the scan estimator splits it
from athena_estimate.scan import _conjuncts
from tests.athena.statements.kinds import body

# Athena's Iceberg maintenance, which is not in Trino's grammar (Trino spells it ALTER TABLE
# EXECUTE): `OPTIMIZE [db.]table REWRITE DATA USING BIN_PACK [WHERE predicate]`, `VACUUM
# [db.]table`. Names unquoted here (VACUUM takes no double quotes; ours are plain identifiers).
_MAINTENANCE_NAME = r"([a-z0-9][a-z0-9_]*)\.([a-z0-9][a-z0-9_]*)"
_OPTIMIZE = re.compile(
    rf"^optimize\s+{_MAINTENANCE_NAME}\s+rewrite\s+data\s+using\s+bin_pack(?:\s+where\s+(\S.*))?$",
    re.IGNORECASE | re.DOTALL,
)
_VACUUM = re.compile(rf"^vacuum\s+{_MAINTENANCE_NAME}$", re.IGNORECASE)


@dataclass(frozen=True)
class Maintenance:
    """An `OPTIMIZE ... REWRITE DATA USING BIN_PACK [WHERE ...]` or a `VACUUM`."""

    action: str  # "optimize" or "vacuum"
    schema: str
    table: str
    where: str | None  # the OPTIMIZE predicate, Trino SQL

    @property
    def where_columns(self) -> set[str]:
        """The columns the predicate names."""
        if self.where is None:
            return set()
        tree = sqlglot.parse_one(self.where, read="trino")
        return {column.name.lower() for column in tree.find_all(exp.Column)}


def parse_maintenance(sql: str) -> Maintenance:
    """An OPTIMIZE or VACUUM in Athena's syntax; ValueError for anything else."""
    text = body(sql)
    if match := _OPTIMIZE.match(text):
        where = match.group(3)
        return Maintenance("optimize", match.group(1).lower(), match.group(2).lower(), where.strip() if where else None)
    if match := _VACUUM.match(text):
        return Maintenance("vacuum", match.group(1).lower(), match.group(2).lower(), None)
    raise ValueError(f"not Athena's OPTIMIZE ... REWRITE DATA USING BIN_PACK [WHERE ...] or VACUUM: {text[:80]!r}")


def _unquote(name: str) -> str:
    return name.strip().strip('`"').lower()


def _table_parts(table: exp.Table) -> tuple[str, str]:
    return (table.db or "").lower(), (table.name or "").lower()


@dataclass(frozen=True)
class Ctas:
    """A `create table <name> with (...) as <query>`."""

    schema: str
    table: str
    properties: dict[str, Any]
    select_sql: str  # the query, in Trino SQL

    @property
    def partitioning(self) -> list[str] | None:
        value = self.properties.get("partitioning", self.properties.get("partitioned_by"))
        return list(value) if value is not None else None


def _literal_value(node: exp.Expr) -> Any:
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Array):
        return [_literal_value(item) for item in node.expressions]
    if isinstance(node, exp.Literal):
        return node.this if node.is_string else node.to_py()
    return node.sql("trino")


def parse_ctas(sql: str | exp.Expr) -> Ctas:
    """Target, WITH properties and query of a CTAS (raises ValueError when it is not one)."""
    statement = sqlglot.parse_one(sql, read="trino") if isinstance(sql, str) else sql
    if not isinstance(statement, exp.Create) or not isinstance(statement.this, exp.Table):
        raise ValueError(f"not a CTAS: {statement.sql('trino')[:80]!r}")
    if statement.expression is None:
        raise ValueError(f"CTAS without a query: {statement.sql('trino')[:80]!r}")
    properties: dict[str, Any] = {}
    for prop in statement.args.get("properties", exp.Properties(expressions=[])).expressions:
        if isinstance(prop, exp.LocationProperty):
            properties["location"] = _literal_value(prop.this)
        elif isinstance(prop, exp.FileFormatProperty):
            properties["format"] = _literal_value(prop.this)
        elif type(prop) is exp.Property:
            properties[prop.name.lower()] = _literal_value(prop.args["value"])
        else:
            # any other property class sqlglot knows: keep it under its SQL so nothing is lost
            properties[prop.key] = prop.sql("trino")
    schema, table = _table_parts(statement.this)
    return Ctas(schema=schema, table=table, properties=properties, select_sql=statement.expression.sql("trino"))


@dataclass(frozen=True)
class HiveTable:
    """A `create external table` (or Hive-style `create table`) with its columns."""

    schema: str
    table: str
    columns: list[tuple[str, str]]
    partition_keys: list[tuple[str, str]]
    location: str | None
    properties: dict[str, str]
    if_not_exists: bool


def parse_hive_create(sql: str) -> HiveTable:
    """Columns, partition keys, location and TBLPROPERTIES of a Hive CREATE TABLE."""
    statement = sqlglot.parse_one(sql, read="athena")
    if not isinstance(statement, exp.Create) or not isinstance(statement.this, exp.Schema):
        raise ValueError(f"not a Hive CREATE TABLE with columns: {body(sql)[:80]!r}")
    schema_node = statement.this
    columns = [
        (column.name.lower(), column.args["kind"].sql("hive").lower())
        for column in schema_node.expressions
        if isinstance(column, exp.ColumnDef)
    ]
    partition_keys: list[tuple[str, str]] = []
    location: str | None = None
    properties: dict[str, str] = {}
    for prop in statement.args.get("properties", exp.Properties(expressions=[])).expressions:
        if isinstance(prop, exp.PartitionedByProperty):
            for column in prop.this.expressions:
                if isinstance(column, exp.ColumnDef):
                    partition_keys.append((column.name.lower(), column.args["kind"].sql("hive").lower()))
        elif isinstance(prop, exp.LocationProperty):
            location = str(_literal_value(prop.this))
        elif type(prop) is exp.Property:  # TBLPROPERTIES entries (subclasses are ROW FORMAT, STORED AS...)
            name = _literal_value(prop.this) if isinstance(prop.this, exp.Literal) else prop.name
            properties[str(name)] = str(_literal_value(prop.args["value"]))
    table = schema_node.this
    schema, name = _table_parts(table)
    return HiveTable(
        schema=schema,
        table=name,
        columns=columns,
        partition_keys=partition_keys,
        location=location,
        properties=properties,
        if_not_exists=bool(statement.args.get("exists")),
    )


_RENAME = re.compile(r"^alter\s+table\s+(\S+)\s+rename\s+to\s+(\S+)$", re.IGNORECASE | re.DOTALL)
_DROP = re.compile(r"^drop\s+(table|view)\s+(if\s+exists\s+)?(\S+)", re.IGNORECASE | re.DOTALL)
_CREATE_SCHEMA = re.compile(r"^create\s+(?:schema|database)\s+(if\s+not\s+exists\s+)?(\S+)", re.IGNORECASE)
_ALTER = re.compile(r"^alter\s+table\s+(\S+)\s+(.*)$", re.IGNORECASE | re.DOTALL)


def _split_name(name: str) -> tuple[str, str]:
    parts = [_unquote(part) for part in re.split(r"\.(?=(?:[^`\"]*[`\"][^`\"]*[`\"])*[^`\"]*$)", name)]
    if len(parts) < 2:
        return "", parts[-1]
    return parts[-2], parts[-1]


def parse_rename(sql: str) -> tuple[tuple[str, str], tuple[str, str]]:
    match = _RENAME.match(body(sql))
    if not match:
        raise ValueError(f"not a rename: {body(sql)[:80]!r}")
    return _split_name(match.group(1)), _split_name(match.group(2))


def parse_drop(sql: str) -> tuple[str, tuple[str, str], bool]:
    """(table|view, (schema, name), if_exists) of a DROP."""
    match = _DROP.match(body(sql))
    if not match:
        raise ValueError(f"not a drop: {body(sql)[:80]!r}")
    return match.group(1).lower(), _split_name(match.group(3)), bool(match.group(2))


def parse_create_schema(sql: str) -> tuple[str, bool]:
    match = _CREATE_SCHEMA.match(body(sql))
    if not match:
        raise ValueError(f"not a create schema: {body(sql)[:80]!r}")
    return _split_name(match.group(2))[1], bool(match.group(1))


def parse_alter(sql: str) -> tuple[tuple[str, str], str]:
    """((schema, table), the rest) of an ALTER TABLE other than a rename."""
    match = _ALTER.match(body(sql))
    if not match:
        raise ValueError(f"not an alter table: {body(sql)[:80]!r}")
    return _split_name(match.group(1)), match.group(2)


def referenced_tables(sql: str | exp.Expr) -> set[tuple[str, str]]:
    """The schema-qualified relations a Trino statement reads or writes. dbt always renders
    relations with their schema; unqualified names are CTEs and aliases."""
    statement = sqlglot.parse_one(sql, read="trino") if isinstance(sql, str) else sql
    return {_table_parts(table) for table in statement.find_all(exp.Table) if table.db}


# ------------------------------------------------------------------ MERGE


@dataclass(frozen=True)
class Merge:
    """A MERGE's target and source, and its ON clause split into conjuncts."""

    target: tuple[str, str]
    target_alias: str
    source_alias: str
    key_columns: list[str]  # target.k = src.k equalities
    other_conditions: list[str] = field(default_factory=list)  # everything else, as SQL

    def predicates_on(self, column: str) -> list[str]:
        """The non-key conditions that constrain `target.<column>`."""
        return [
            condition
            for condition in self.other_conditions
            if re.search(rf"\b{re.escape(self.target_alias)}\.\"?{re.escape(column)}\"?\b", condition, re.IGNORECASE)
        ]


def parse_merge(sql: str) -> Merge:
    statement = sqlglot.parse_one(sql, read="trino")
    if not isinstance(statement, exp.Merge):
        raise ValueError(f"not a MERGE: {body(sql)[:80]!r}")
    target = statement.this
    using = statement.args["using"]
    target_alias = (target.alias or target.name).lower()
    source_alias = (using.alias or getattr(using, "name", "")).lower()
    keys: list[str] = []
    others: list[str] = []
    for condition in _conjuncts(statement.args["on"]):
        if (
            isinstance(condition, exp.EQ)
            and isinstance(condition.left, exp.Column)
            and isinstance(condition.right, exp.Column)
            and {condition.left.table.lower(), condition.right.table.lower()} == {target_alias, source_alias}
            and condition.left.name.lower() == condition.right.name.lower()
        ):
            keys.append(condition.left.name.lower())
        else:
            others.append(condition.sql("trino"))
    return Merge(
        target=_table_parts(target),
        target_alias=target_alias,
        source_alias=source_alias,
        key_columns=keys,
        other_conditions=others,
    )


_TRANSFORM = re.compile(r"^\s*(?:year|month|day|hour)\s*\(\s*\"?(\w+)\"?\s*\)\s*$", re.IGNORECASE)
_BUCKET_OR_TRUNCATE = re.compile(r"^\s*(?:bucket|truncate)\s*\(\s*\"?(\w+)\"?\s*,\s*\d+\s*\)\s*$", re.IGNORECASE)


def partition_source_column(spec: str) -> str:
    """The column an Iceberg partition spec reads: `day(event_time)` -> event_time."""
    for pattern in (_TRANSFORM, _BUCKET_OR_TRUNCATE):
        match = pattern.match(spec)
        if match:
            return match.group(1).lower()
    return spec.strip().strip('"`').lower()
