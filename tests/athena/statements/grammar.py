"""Whether the grammar of the engine that runs a statement accepts it:

- Trino statements with `trino-sql-validator` (Trino's grammar, plus warnings for functions
  and types that are not in Trino's documented catalog), and a scan of our own for the type
  names written in CAST/TRY_CAST, because the validator lets DuckDB-only types such as
  HUGEINT or TEXT through, and for the DuckDB syntax it accepts;
- Hive DDL with `sqlglot.parse_one(sql, read='athena')`, counting sqlglot's silent fallback
  to an opaque `Command` as a failure (sqlglot only logs a warning when it gives up);
- Athena's Iceberg maintenance (`OPTIMIZE ... REWRITE DATA USING BIN_PACK [WHERE ...]`,
  `VACUUM`), which is not in Trino's grammar, against Athena's syntax strictly, its predicate
  with the Trino validator (the stand-in checks the table is Iceberg and the predicate names
  partition columns only).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
import trino_sql_validator
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from tests.athena.statements.kinds import Engine, Kind, body, classify
from tests.athena.statements.parsing import parse_maintenance

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


# DuckDB syntax that one token gives away, wherever it stands
_ONE_TOKEN = {
    sqlglot.TokenType.CARET: "'^' operator (Trino: power())",
    sqlglot.TokenType.L_BRACE: "'{...}' struct literal (Trino: ROW / MAP)",
    sqlglot.TokenType.DARROW: "'->>' JSON operator (Trino: json_extract_scalar)",
    sqlglot.TokenType.SIMILAR_TO: "SIMILAR TO (Trino: regexp_like)",
    sqlglot.TokenType.ASOF: "ASOF join",
}


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
        elif token.token_type in _ONE_TOKEN:
            found.append(_ONE_TOKEN[token.token_type])
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
