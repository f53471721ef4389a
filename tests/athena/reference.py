"""The DuckDB build of the same data, as the reference the Athena stand-in leans on.

moto executes no SQL, so what a real Athena would know after a statement comes from the
DuckDB warehouse that `dbt build --target local` made from the same raw files:

- the columns of each model (DuckDB's catalog), mapped to the types Glue and Athena's result
  metadata use, so a CTAS can be mirrored into Glue with its real columns;
- answers to the few SELECTs whose rows steer dbt (e.g. `select max(...)` of an incremental
  model), by transpiling the Athena SQL to DuckDB with sqlglot and running it here;
- the differential check: a mart's captured Athena SELECT, transpiled and run here, must give
  the rows of the DuckDB target's own table.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
import shutil
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

ATHENA_CATALOG = "awsdatacatalog"
RAW_SOURCE = "source.ecommerce_analytics.ecommerce_raw.events"
MANIFEST_SOURCE = "source.ecommerce_analytics.ecommerce_raw.landed_files"
# The DuckDB source's read_csv of the manifest: read_csv('<raw root>/manifest/landed_files/...', ...)
_MANIFEST_READER = re.compile(r"^read_csv\('((?:[^']|'')*)/manifest/landed_files/")
# The landing manifest's columns, as the on-run-start hook declares its external table on Athena
# (macros/cross_engine/create_landing_manifest_table.sql); DuckDB's read_csv gives the same types.
MANIFEST_COLUMNS = (
    "file_path", "landing_month", "first_event_day", "last_event_day", "last_event_at", "row_count", "sha256",
    "landed_at", "landing_run_id",
)  # fmt: skip

# ------------------------------------------------------------------ types

_DECIMAL = re.compile(r"^decimal\((\d+)\s*,\s*(\d+)\)$", re.IGNORECASE)

# DuckDB type -> the type Athena registers in Glue for an Iceberg column (Hive spelling).
_GLUE_TYPES = {
    "VARCHAR": "string",
    "BIGINT": "bigint",
    "HUGEINT": "bigint",  # DuckDB widens sum(bigint) to HUGEINT; Trino keeps bigint
    "UBIGINT": "bigint",
    "INTEGER": "int",
    "UINTEGER": "bigint",
    "SMALLINT": "smallint",
    "TINYINT": "tinyint",
    "DOUBLE": "double",
    "FLOAT": "float",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP_NS": "timestamp",
    "TIMESTAMP_MS": "timestamp",
    "TIMESTAMP_S": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamp",
    "BLOB": "binary",
}

# Glue (Hive) type -> the type name Athena's GetQueryResults metadata gives (Trino spelling).
_RESULT_FROM_GLUE = {"string": "varchar", "int": "integer", "float": "real", "binary": "varbinary"}


def glue_type(duckdb_type: str) -> str:
    """The Glue column type of a DuckDB column type."""
    upper = duckdb_type.upper()
    match = _DECIMAL.match(upper)
    if match:
        return f"decimal({match.group(1)},{match.group(2)})"
    if upper not in _GLUE_TYPES:
        raise ValueError(f"no Glue type for DuckDB type {duckdb_type!r}")
    return _GLUE_TYPES[upper]


def result_type(glue_or_trino_type: str) -> dict[str, Any]:
    """Athena ColumnInfo (Type, Precision, Scale) for a Glue or Trino type name."""
    lower = glue_or_trino_type.lower().strip()
    match = _DECIMAL.match(lower)
    if match:
        return {"Type": "decimal", "Precision": int(match.group(1)), "Scale": int(match.group(2))}
    base = re.sub(r"\(.*\)$", "", lower).strip()
    return {"Type": _RESULT_FROM_GLUE.get(base, base), "Precision": 0, "Scale": 0}


def athena_text(value: Any) -> str | None:
    """A value as Athena writes it in VarCharValue (None for NULL)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    return str(value)


# ------------------------------------------------------------------ Athena SQL -> DuckDB SQL


class NotTranspilable(Exception):
    """sqlglot could not turn the Athena SQL into DuckDB SQL."""


Schema = dict[str, Any]  # schema -> table -> column -> type, for sqlglot


def _trino_to_milliseconds_of_a_difference(node: exp.Expr) -> exp.Expr:
    """Trino's `to_milliseconds(a - b)` of two dates or timestamps (dbt-athena's datediff) is
    the interval in milliseconds; DuckDB's `date - date` is a number of days and its
    to_milliseconds builds an interval, which sqlglot leaves as is. Rewritten to the
    difference of epoch milliseconds, which means the same on both engines."""
    if isinstance(node, exp.Anonymous) and node.name.lower() == "to_milliseconds" and len(node.expressions) == 1:
        argument = node.expressions[0]
        while isinstance(argument, exp.Paren):
            argument = argument.this
        if isinstance(argument, exp.Sub):

            def epoch_ms(side: exp.Expr) -> exp.Expr:
                # typed as bigint so that the division by 86400000 after it stays an integer one
                epoch = exp.Anonymous(this="epoch_ms", expressions=[exp.cast(side.copy(), "timestamp")])
                return exp.cast(epoch, "bigint")

            return exp.Paren(this=exp.Sub(this=epoch_ms(argument.this), expression=epoch_ms(argument.expression)))
    return node


def parse_trino(trino_sql: str) -> exp.Expr:
    try:
        return sqlglot.parse_one(trino_sql, read="trino")
    except sqlglot.errors.ParseError as error:
        raise NotTranspilable(f"sqlglot cannot parse it as Trino: {str(error).splitlines()[0]}") from error


def to_duckdb(
    trino_sql: str | exp.Expr,
    schema: Schema | MappingSchema | None = None,
    raw_roots: tuple[str, str] | None = None,
) -> str:
    """Athena (Trino) SQL as DuckDB SQL, with `"awsdatacatalog"."schema"."table"` relations
    renamed to the DuckDB warehouse's `"schema"."table"`, and, with `raw_roots` (Athena's raw
    landing root, the DuckDB build's), a string literal under Athena's root moved under the
    DuckDB build's: the SQL that spells a raw file's path (stg_landed_files' `source_file`)
    then names the file the DuckDB build read, as `"$path"` does (DuckDBReference).

    With the warehouse's schema, the columns are qualified and typed first, so that Trino's
    integer division (`bigint / bigint` truncates) becomes an integer division on DuckDB, whose
    `/` always divides as doubles: without it `divide_to_cents` would round differently."""
    # (transform copies the tree, so a parsed statement passed in is left as it was)
    statement = parse_trino(trino_sql) if isinstance(trino_sql, str) else trino_sql

    def rename(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Table) and node.catalog.lower() == ATHENA_CATALOG:
            node.set("catalog", None)
        elif raw_roots is not None and isinstance(node, exp.Literal) and node.is_string:
            athena_root, duckdb_root = (root.rstrip("/") + "/" for root in raw_roots)
            if node.this.startswith(athena_root):
                return exp.Literal.string(duckdb_root + node.this[len(athena_root) :])
        return node

    statement = statement.transform(rename).transform(_trino_to_milliseconds_of_a_difference)
    if schema is not None:
        try:
            statement = annotate_types(
                qualify(statement, schema=schema, dialect="trino"), schema=schema, dialect="trino"
            )
        except sqlglot.errors.OptimizeError as error:
            raise NotTranspilable(f"sqlglot cannot resolve its columns: {str(error).splitlines()[0]}") from error
    try:
        return statement.sql("duckdb", unsupported_level=sqlglot.ErrorLevel.RAISE)
    except sqlglot.errors.UnsupportedError as error:
        raise NotTranspilable(f"sqlglot cannot write it for DuckDB: {error}") from error


def relations(trino_sql: str | exp.Expr) -> set[tuple[str, str]]:
    """The schema-qualified relations a statement reads."""
    statement = parse_trino(trino_sql) if isinstance(trino_sql, str) else trino_sql
    return {(table.db.lower(), table.name.lower()) for table in statement.find_all(exp.Table) if table.db}


# ------------------------------------------------------------------ the warehouse


@dataclass(frozen=True)
class Answer:
    """Rows of a query, with DuckDB's column types."""

    columns: list[tuple[str, str]]
    rows: list[tuple[Any, ...]]


class DuckDBReference:
    """A private copy of the DuckDB warehouse (the copy keeps other tests' dbt processes free to
    lock the original), with the raw source as Athena names it.

    On Athena the staging model reads the external table `ecommerce_raw.event_lines` (one
    `line` column, `year`/`month` partitions, the `"$path"` pseudo-column); the DuckDB build
    reads the landed files with read_csv. That read_csv becomes here a view of the Athena
    table's shape, so the Athena SQL of the staging model runs on the same files. The landing
    manifest likewise: `ecommerce_raw.landed_files` (an external table on Athena) is a view of
    the DuckDB source's read_csv of the same manifest files, and the Athena SQL's raw landing
    root (`athena_raw_root`, in literals such as stg_landed_files' paths) reads as the DuckDB
    build's raw folder (the one that source's read_csv names)."""

    def __init__(
        self,
        database: Path,
        workdir: Path,
        manifest: dict[str, Any] | None = None,
        athena_raw_root: str | None = None,
    ) -> None:
        """`manifest` is the DuckDB build's manifest.json: where each node landed, and the raw
        source's read_csv (its relation name on DuckDB); `athena_raw_root` the ECOM_RAW_S3_URI of
        the Athena runs."""
        workdir.mkdir(parents=True, exist_ok=True)
        self.path = workdir / "reference.duckdb"
        shutil.copyfile(database, self.path)
        self._connection = duckdb.connect(str(self.path))
        self._lock = threading.Lock()  # moto answers requests on several threads
        self._nodes: dict[str, tuple[str, str]] = {}
        self.raw_roots: tuple[str, str] | None = None  # (Athena's raw landing root, the DuckDB build's)
        if manifest is not None:
            for unique_id, node in manifest["nodes"].items():
                if node["resource_type"] in ("model", "seed", "snapshot"):
                    self._nodes[unique_id] = (node["schema"].lower(), (node.get("alias") or node["name"]).lower())
            raw = manifest["sources"].get(RAW_SOURCE)
            if raw is not None:
                self._connection.execute("create schema if not exists ecommerce_raw")
                self._connection.execute(
                    "create or replace view ecommerce_raw.event_lines as "
                    'select line, cast(year as integer) as year, cast(month as integer) as month, filename as "$path" '
                    f"from {raw['relation_name']}"
                )
            landed = manifest["sources"].get(MANIFEST_SOURCE)
            if landed is not None:
                self._connection.execute("create schema if not exists ecommerce_raw")
                self._connection.execute(
                    f"create or replace view ecommerce_raw.landed_files as select {', '.join(MANIFEST_COLUMNS)} "
                    f"from {landed['relation_name']}"
                )
                local = _MANIFEST_READER.match(landed["relation_name"])
                if athena_raw_root is not None and local is not None:
                    self.raw_roots = (athena_raw_root, local.group(1).replace("''", "'"))
        rows = self._connection.execute(
            "select table_schema, table_name, column_name, data_type from information_schema.columns "
            "where table_catalog = current_database() order by table_schema, table_name, ordinal_position"
        ).fetchall()
        self._columns: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self._schema: MappingSchema | None = None
        for schema, table, column, data_type in rows:
            self._columns.setdefault((schema.lower(), table.lower()), []).append((column.lower(), data_type))

    def freeze_sources(self) -> None:
        """Copy the raw files and the landing manifest into the reference as they are now: its
        views read them at query time, and a later landing must not change what it answers."""
        with self._lock:
            for view in ("event_lines", "landed_files"):
                found = self._connection.execute(
                    "select count(*) from information_schema.tables where table_schema = 'ecommerce_raw' "
                    "and table_name = ? and table_type = 'VIEW'",
                    [view],
                ).fetchone()
                if found is None or found[0] == 0:
                    continue
                self._connection.execute(
                    f'create table ecommerce_raw."{view}__frozen" as select * from ecommerce_raw."{view}"'
                )
                self._connection.execute(f'drop view ecommerce_raw."{view}"')
                self._connection.execute(f'alter table ecommerce_raw."{view}__frozen" rename to "{view}"')

    def mirror_schemas(self, prefix: str) -> None:
        """Answer for `<prefix><schema>.<table>` as for `<schema>.<table>`: a copy built under a
        schema prefix (a pull request's, `--vars '{schema_prefix: ...}'`) has the same tables."""
        with self._lock:
            for schema, table in sorted(self._columns):
                if schema in ("main", "information_schema", "pg_catalog") or schema.startswith(prefix):
                    continue
                self._connection.execute(f'create schema if not exists "{prefix}{schema}"')
                self._connection.execute(
                    f'create or replace view "{prefix}{schema}"."{table}" as select * from "{schema}"."{table}"'
                )
                self._columns[(f"{prefix}{schema}", table)] = list(self._columns[(schema, table)])
            self._schema = None

    def node_relation(self, unique_id: str) -> tuple[str, str] | None:
        """(schema, table) of a model, seed or snapshot in the DuckDB build."""
        return self._nodes.get(unique_id)

    def close(self) -> None:
        self._connection.close()

    def has(self, schema: str, table: str) -> bool:
        return (schema.lower(), table.lower()) in self._columns

    def columns(self, schema: str, table: str) -> list[tuple[str, str]] | None:
        """DuckDB name and type of each column of schema.table, in order; None if absent."""
        return self._columns.get((schema.lower(), table.lower()))

    def schema(self) -> MappingSchema:
        """Every table's columns, for sqlglot (built once: sqlglot normalises it on creation)."""
        if self._schema is None:
            mapping: Schema = {}
            for (schema, table), columns in self._columns.items():
                mapping.setdefault(schema, {})[table] = dict(columns)
            # trino: the dialect the queries are read in ("$path" is a DuckDB parameter, not a name)
            self._schema = MappingSchema(mapping, dialect="trino")
        return self._schema

    def execute(self, duckdb_sql: str) -> None:
        """A statement with no rows to read (copy, alter, create, drop) on this copy."""
        with self._lock:
            self._connection.execute(duckdb_sql)

    def create_table(self, schema: str, table: str, duckdb_select: str) -> None:
        """A work table of the adapter's (an incremental batch), from its query on this copy."""
        with self._lock:
            self._connection.execute(f'create schema if not exists "{schema}"')
            self._connection.execute(f'create or replace table "{schema}"."{table}" as {duckdb_select}')
            described = self._connection.execute(f'describe "{schema}"."{table}"').fetchall()
            self._columns[(schema.lower(), table.lower())] = [(str(row[0]).lower(), str(row[1])) for row in described]
            self._schema = None

    def drop_table(self, schema: str, table: str) -> None:
        with self._lock:
            self._connection.execute(f'drop table if exists "{schema}"."{table}"')
            self._columns.pop((schema.lower(), table.lower()), None)
            self._schema = None

    def query(self, duckdb_sql: str) -> Answer:
        with self._lock:
            described = self._connection.execute(f"describe {duckdb_sql}").fetchall()
            rows = self._connection.execute(duckdb_sql).fetchall()
        return Answer(columns=[(str(row[0]).lower(), str(row[1])) for row in described], rows=rows)

    def answer(self, trino_sql: str | exp.Expr) -> Answer | None:
        """The rows an Athena SELECT gives on the same data, if every relation it reads is here."""
        statement = parse_trino(trino_sql) if isinstance(trino_sql, str) else trino_sql
        if not all(self.has(schema, table) for schema, table in relations(statement)):
            return None
        return self.query(to_duckdb(statement, self.schema(), self.raw_roots))


# ------------------------------------------------------------------ the differential check


@dataclass(frozen=True)
class Comparison:
    """A model's captured Athena SELECT, run on DuckDB, against the DuckDB target's table."""

    relation: str
    status: str  # "equal", "different", "not transpilable", "failed on DuckDB"
    detail: str = ""
    rows: int = 0


RUN_STAMP_COLUMN = "loaded_in_run"


def _comparable(value: Any) -> tuple[bool, str, Any]:
    if isinstance(value, float):
        value = round(value, 9)  # rates are rounded doubles; this only absorbs float noise
    return (value is None, type(value).__name__, "" if value is None else value)


def compare(reference: DuckDBReference, schema: str, table: str, trino_select: str) -> Comparison:
    """Run the Athena SELECT of schema.table (transpiled) on DuckDB and compare its rows, as a
    multiset, and its column names, in order, with the DuckDB target's own table."""
    relation = f"{schema}.{table}"
    try:
        duckdb_sql = to_duckdb(trino_select, reference.schema(), reference.raw_roots)
    except NotTranspilable as error:
        return Comparison(relation, "not transpilable", str(error))
    try:
        got = reference.query(duckdb_sql)
    except duckdb.Error as error:
        return Comparison(relation, "failed on DuckDB", str(error).strip().splitlines()[0])
    want = reference.query(f'select * from "{schema}"."{table}"')
    got_names, want_names = [n for n, _ in got.columns], [n for n, _ in want.columns]
    if got_names != want_names:
        return Comparison(relation, "different", f"columns {got_names} != {want_names}", len(got.rows))
    # loaded_in_run stamps the run that wrote a row: the two builds are different runs
    kept = [i for i, name in enumerate(want_names) if name != RUN_STAMP_COLUMN]
    got_rows = Counter(tuple(_comparable(row[i]) for i in kept) for row in got.rows)
    want_rows = Counter(tuple(_comparable(row[i]) for i in kept) for row in want.rows)
    if got_rows != want_rows:
        only_athena = list((got_rows - want_rows).elements())[:3]
        only_duckdb = list((want_rows - got_rows).elements())[:3]
        return Comparison(
            relation,
            "different",
            f"{len(got.rows)} rows vs {len(want.rows)}; only from the Athena SQL: {only_athena}; "
            f"only in the DuckDB table: {only_duckdb}",
            len(got.rows),
        )
    return Comparison(relation, "equal", "", len(got.rows))
