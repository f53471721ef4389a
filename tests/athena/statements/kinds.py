"""Which statement dbt-athena sent: its kind, the engine of Athena that runs it, and, for a
SELECT, why dbt sent it (which decides how the stand-in answers it).

Athena runs two engines behind one API. Hive DDL (CREATE EXTERNAL TABLE, CREATE SCHEMA,
ALTER TABLE, DROP TABLE, SHOW/DESCRIBE, MSCK) goes to the Hive metastore path, with
backtick quoting; everything else (SELECT, CTAS, MERGE, INSERT, DELETE, views,
OPTIMIZE/VACUUM) runs on Trino (MERGE and DELETE are Iceberg DML: Athena runs them on Iceberg
tables only).
"""

from __future__ import annotations

import re
from enum import StrEnum

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
