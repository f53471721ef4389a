"""What dbt-athena sends to Athena, statement by statement: its kind, which engine of Athena
runs it, and whether that engine's grammar accepts it.

Athena runs two engines behind one API. Hive DDL (CREATE EXTERNAL TABLE, CREATE SCHEMA,
ALTER TABLE, DROP TABLE, SHOW/DESCRIBE, MSCK) goes to the Hive metastore path, with
backtick quoting; everything else (SELECT, CTAS, MERGE, INSERT, DELETE, views,
OPTIMIZE/VACUUM) runs on Trino (MERGE and DELETE are Iceberg DML: Athena runs them on Iceberg
tables only). So each statement is checked with the parser of its engine:

- Trino statements with `trino-sql-validator` (Trino's grammar, plus warnings for functions
  and types that are not in Trino's documented catalog), and a scan of our own for the type
  names written in CAST/TRY_CAST, because the validator lets DuckDB-only types such as
  HUGEINT or TEXT through;
- Hive DDL with `sqlglot.parse_one(sql, read='athena')`, counting sqlglot's silent fallback
  to an opaque `Command` as a failure (sqlglot only logs a warning when it gives up);
- Athena's Iceberg maintenance (`OPTIMIZE ... REWRITE DATA USING BIN_PACK [WHERE ...]`,
  `VACUUM`), which is not in Trino's grammar, against Athena's syntax strictly, its predicate
  with the Trino validator (the stand-in checks the table is Iceberg and the predicate names
  partition columns only).

It also reads what the Iceberg and incremental checks need from a statement: the CTAS
target, its `WITH (...)` properties and SELECT body, and the ON clause of a MERGE.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import sqlglot
import trino_sql_validator
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

# the dbt query comment, parsed as the cost ledger parses it (one reading of the format)
from athena_ledger.statement import query_comment

_LINE_COMMENT = re.compile(r"^[ \t]*--[^\n]*$", re.MULTILINE)


class Engine(StrEnum):
    """The part of Athena that parses a statement."""

    TRINO = "trino"
    HIVE = "hive-ddl"


class Kind(StrEnum):
    """A statement's kind, as named in the summary."""

    CTAS = "CTAS"
    MERGE = "MERGE"
    DELETE = "DELETE"
    INSERT = "INSERT"
    SELECT = "SELECT"
    CREATE_VIEW = "CREATE VIEW"
    DROP_VIEW = "DROP VIEW"
    MAINTENANCE = "OPTIMIZE/VACUUM"
    CREATE_EXTERNAL_TABLE = "CREATE EXTERNAL TABLE"
    CREATE_TABLE_DDL = "CREATE TABLE (DDL)"
    CREATE_SCHEMA = "CREATE SCHEMA"
    ALTER_TABLE_RENAME = "ALTER TABLE RENAME"
    ALTER_TABLE = "ALTER TABLE"
    DROP_TABLE = "DROP TABLE"
    DROP_SCHEMA = "DROP SCHEMA"
    SHOW_DESCRIBE = "SHOW/DESCRIBE"
    MSCK = "MSCK"
    OTHER = "OTHER"

    @property
    def engine(self) -> Engine:
        return Engine.HIVE if self in _HIVE_KINDS else Engine.TRINO


_HIVE_KINDS = {
    Kind.CREATE_EXTERNAL_TABLE,
    Kind.CREATE_TABLE_DDL,
    Kind.CREATE_SCHEMA,
    Kind.ALTER_TABLE_RENAME,
    Kind.ALTER_TABLE,
    Kind.DROP_TABLE,
    Kind.DROP_SCHEMA,
    Kind.SHOW_DESCRIBE,
    Kind.MSCK,
}

# Leading keywords, tried in order on the statement without its comments.
_KIND_PATTERNS: list[tuple[re.Pattern[str], Kind]] = [
    (re.compile(r"^create\s+(or\s+replace\s+)?view\b"), Kind.CREATE_VIEW),
    (re.compile(r"^create\s+external\s+table\b"), Kind.CREATE_EXTERNAL_TABLE),
    (re.compile(r"^create\s+(schema|database)\b"), Kind.CREATE_SCHEMA),
    (re.compile(r"^create\s+table\b"), Kind.CTAS),  # refined below: CTAS or column-list DDL
    (re.compile(r"^merge\s+into\b"), Kind.MERGE),
    (re.compile(r"^delete\s+from\b"), Kind.DELETE),
    (re.compile(r"^insert\s+(into|overwrite)\b"), Kind.INSERT),
    (re.compile(r"^(select|with|values|\()"), Kind.SELECT),
    (re.compile(r"^alter\s+table\s+\S+\s+rename\s+to\b"), Kind.ALTER_TABLE_RENAME),
    (re.compile(r"^alter\s+table\b"), Kind.ALTER_TABLE),
    (re.compile(r"^drop\s+table\b"), Kind.DROP_TABLE),
    (re.compile(r"^drop\s+view\b"), Kind.DROP_VIEW),
    (re.compile(r"^drop\s+(schema|database)\b"), Kind.DROP_SCHEMA),
    (re.compile(r"^(show|describe|desc)\b"), Kind.SHOW_DESCRIBE),
    (re.compile(r"^msck\b"), Kind.MSCK),
    (re.compile(r"^(optimize|vacuum)\b"), Kind.MAINTENANCE),
]

# A CTAS names its properties with WITH (...) and ends in AS <query>; Athena's other
# CREATE TABLE is Hive-style DDL with a column list.
_CTAS_SHAPE = re.compile(r"^create\s+table\s+(if\s+not\s+exists\s+)?[^\s(]+\s+(with\s*\(|as\b)", re.DOTALL)


def body(sql: str) -> str:
    """The statement without its line comments and trailing semicolon, lower-cased keywords
    untouched: what the classification looks at."""
    text = _LINE_COMMENT.sub("", sql).strip()
    return text[:-1].rstrip() if text.endswith(";") else text


def classify(sql: str) -> Kind:
    """The kind of one statement, from its leading keywords."""
    text = body(sql).lower()
    for pattern, kind in _KIND_PATTERNS:
        if pattern.match(text):
            if kind is Kind.CTAS and not _CTAS_SHAPE.match(text):
                return Kind.CREATE_TABLE_DDL
            return kind
    return Kind.OTHER


class Purpose(StrEnum):
    """Why dbt sent a SELECT, which decides how the stand-in answers it."""

    DATA_TEST = "data test"
    UNIT_TEST = "unit test"
    CONTRACT_PROBE = "contract probe"
    RESULT_MARKER = "result marker"
    INTROSPECTION = "introspection"


_EMPTY_SUBQUERY = re.compile(r"\)\s*as\s+__dbt_sbq\s+where\s+false\s+limit\s+0\s*$", re.IGNORECASE | re.DOTALL)
_RESULT_MARKER = re.compile(r"^select\s+'[^']*'$", re.IGNORECASE | re.DOTALL)


def select_purpose(sql: str) -> Purpose:
    """A SELECT's purpose: a data or unit test (by the node in its query comment), a contract's
    empty-subquery probe, the `select '<result>'` a materialization ends with, or a query
    whose rows dbt reads (introspection, e.g. `select max(...)` of an incremental model)."""
    node_id = str(query_comment(sql).get("node_id", ""))
    text = body(sql)
    if node_id.startswith("unit_test."):
        return Purpose.UNIT_TEST
    if node_id.startswith("test."):
        return Purpose.DATA_TEST
    if _EMPTY_SUBQUERY.search(text):
        return Purpose.CONTRACT_PROBE
    if _RESULT_MARKER.match(text):
        return Purpose.RESULT_MARKER
    return Purpose.INTROSPECTION


# ------------------------------------------------------------------ parsing and the catalog

# Trino's documented types (https://trino.io/docs/current/language/types.html); the first
# word of a type name as written, lower case. Athena's geospatial types included.
TRINO_TYPES = frozenset(
    {
        "boolean", "tinyint", "smallint", "integer", "int", "bigint", "real", "double", "decimal",
        "varchar", "char", "varbinary", "json", "date", "time", "timestamp", "interval", "array",
        "map", "row", "ipaddress", "uuid", "hyperloglog", "p4hyperloglog", "setdigest", "qdigest",
        "tdigest", "khyperloglog", "geometry", "sphericalgeography", "bingtile", "color",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Check:
    """The outcome of checking one statement with its engine's parser."""

    parser: str
    error: str | None = None
    unknown_functions: tuple[str, ...] = ()
    unknown_types: tuple[str, ...] = ()

    @property
    def parsed(self) -> bool:
        return self.error is None


def cast_type_names(sql: str) -> list[str]:
    """The type names as written in every CAST / TRY_CAST of a Trino statement (lower case,
    first word only: `timestamp(6)` gives `timestamp`, `double precision` gives `double`)."""
    try:
        tokens = sqlglot.Dialect.get_or_raise("trino").tokenize(sql)
    except TokenError:
        return []
    names: list[str] = []
    stack: list[bool] = []  # one entry per open parenthesis: is it a cast's?
    previous = ""
    expect_type = False
    for token in tokens:
        text = token.text.lower()
        if expect_type:
            names.append(text)
            expect_type = False
        if token.token_type is sqlglot.TokenType.L_PAREN:
            stack.append(previous in ("cast", "try_cast"))
        elif token.token_type is sqlglot.TokenType.R_PAREN:
            if stack:
                stack.pop()
        elif text == "as" and stack and stack[-1]:
            expect_type = True
        previous = text
    return names


def duckdb_syntax(sql: str) -> list[str]:
    """DuckDB syntax that Trino does not have but trino-sql-validator 0.23 accepts (its grammar
    is shared with other dialects): found on the token stream, outside strings and comments."""
    try:
        tokens = sqlglot.Dialect.get_or_raise("trino").tokenize(sql)
    except TokenError:
        return []
    T = sqlglot.TokenType
    # a subscript follows an expression; a bracket anywhere else opens a DuckDB list literal
    subscriptable = {T.VAR, T.IDENTIFIER, T.R_BRACKET, T.R_PAREN, T.ARRAY, T.STRING}
    found: list[str] = []
    depth_brackets = 0
    for index, token in enumerate(tokens):
        before = tokens[index - 1] if index else None
        after = tokens[index + 1] if index + 1 < len(tokens) else None
        text = token.text.lower()
        # the type of the next token when nothing separates the two (`//`, `e'...'`)
        glued_next = after.token_type if after is not None and after.start == token.end + 1 else None
        if token.token_type is T.SLASH and glued_next is T.SLASH:
            found.append("'//' integer division (Trino: integer operands divide as integers)")
        elif token.token_type is T.CARET:
            found.append("'^' operator (Trino: power())")
        elif token.token_type is T.L_BRACE:
            found.append("'{...}' struct literal (Trino: ROW / MAP)")
        elif token.token_type is T.L_BRACKET:
            if after is not None and after.token_type is T.R_BRACKET:
                found.append("'type[]' array type (Trino: array(type))")
            elif before is None or before.token_type not in subscriptable:
                found.append("'[...]' list literal (Trino: ARRAY[...])")
            depth_brackets += 1
        elif token.token_type is T.R_BRACKET:
            depth_brackets = max(0, depth_brackets - 1)
        elif token.token_type is T.COLON and depth_brackets:
            found.append("'[a:b]' slice (Trino: slice())")
        elif token.token_type is T.DARROW:
            found.append("'->>' JSON operator (Trino: json_extract_scalar)")
        elif token.token_type is T.SIMILAR_TO:
            found.append("SIMILAR TO (Trino: regexp_like)")
        elif token.token_type is T.ASOF:
            found.append("ASOF join")
        elif before is not None and before.token_type is T.STAR and text in ("exclude", "replace"):
            found.append(f"'* {text.upper()} (...)' star modifier")
        elif before is not None and before.token_type is T.ORDER_BY and token.token_type is T.ALL:
            found.append("ORDER BY ALL")
        elif before is not None and before.token_type is T.UNION and text == "by":
            found.append("UNION BY NAME")
        elif index == 0 and token.token_type is T.FROM:
            found.append("FROM-first query")
        elif before is not None and before.token_type in (T.FROM, T.JOIN) and token.token_type is T.STRING:
            found.append("reading a file named in a string")
        elif token.token_type is T.VAR and text.startswith("$$"):
            found.append("$$ dollar-quoted string")
        elif text == "e" and token.token_type is T.VAR and glued_next is T.STRING:
            found.append("E'...' escape string")
    return list(dict.fromkeys(found))


def check_trino(sql: str) -> Check:
    """Trino grammar with trino-sql-validator (argument counts of built-in aggregates are
    errors) and a scan for the DuckDB syntax it lets through; plus the functions and types
    outside Trino's documented catalog."""
    result = trino_sql_validator.validate(sql, dialect="trino", jinja="reject", function_arguments="error")
    types = list(result.unknown_types)
    types += [name for name in cast_type_names(sql) if name not in TRINO_TYPES and name not in types]
    error = None if result.valid else str(result.error)
    if error is None and (duckdb_only := duckdb_syntax(sql)):
        error = "DuckDB syntax Trino does not have: " + "; ".join(duckdb_only)
    return Check(
        parser="trino-sql-validator (trino)",
        error=error,
        unknown_functions=tuple(dict.fromkeys(name.lower() for name in result.unknown_functions)),
        unknown_types=tuple(dict.fromkeys(types)),
    )


def check_hive_ddl(sql: str) -> Check:
    """Hive DDL with sqlglot's Athena dialect. sqlglot falls back to an opaque `Command` (with
    only a logged warning) when it cannot parse a statement; that counts as a failure here."""
    parser = "sqlglot (athena, Hive DDL)"
    try:
        parsed = [statement for statement in sqlglot.parse(sql, read="athena") if statement is not None]
    except (ParseError, TokenError) as error:
        return Check(parser=parser, error=str(error).splitlines()[0])
    if len(parsed) != 1:
        return Check(parser=parser, error=f"expected one statement, found {len(parsed)}")
    if isinstance(parsed[0], exp.Command):
        return Check(parser=parser, error=f"sqlglot could not parse it (fell back to Command): {body(sql)[:80]!r}")
    return Check(parser=parser)


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


def check_maintenance(sql: str) -> Check:
    """Athena's OPTIMIZE/VACUUM syntax, strictly; an OPTIMIZE predicate is checked as Trino SQL
    (as the WHERE of a query on the table) and must name at least one column."""
    parser = "athena maintenance syntax (+ trino-sql-validator for the predicate)"
    try:
        statement = parse_maintenance(sql)
    except ValueError as error:
        return Check(parser=parser, error=str(error))
    if statement.where is None:
        return Check(parser=parser)
    predicate = check_trino(f"select 1 from {statement.schema}.{statement.table} where {statement.where}")
    if predicate.error is None:
        try:
            if not statement.where_columns:
                return Check(parser=parser, error=f"an OPTIMIZE predicate on no column: {statement.where!r}")
        except (ParseError, TokenError) as error:
            return Check(parser=parser, error=str(error).splitlines()[0])
    return Check(
        parser=parser,
        error=predicate.error,
        unknown_functions=predicate.unknown_functions,
        unknown_types=predicate.unknown_types,
    )


def check(sql: str, kind: Kind | None = None) -> Check:
    """Check one statement with the parser of the engine that runs it."""
    kind = kind or classify(sql)
    if kind is Kind.OTHER:
        return Check(parser="none", error=f"unrecognised statement: {body(sql)[:80]!r}")
    if kind is Kind.MAINTENANCE:
        return check_maintenance(sql)
    return check_hive_ddl(sql) if kind.engine is Engine.HIVE else check_trino(sql)


# ------------------------------------------------------------------ reading statements


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


def _conjuncts(node: exp.Expr) -> Iterable[exp.Expr]:
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        yield from _conjuncts(node.left)
        yield from _conjuncts(node.right)
    else:
        yield node


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
