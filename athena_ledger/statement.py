"""What the ledger reads from a statement's text: dbt's query comment and the statement's kind.

dbt-athena writes the query comment on a line of its own, `-- /* {...json...} */`, before the
statement (or after it with `append: true`), and leaves it off statements that start with
ALTER, DROP, OPTIMIZE, VACUUM or MSCK. The kinds are named as the conformance harness and the
estimate name them (tests/athena/statements/kinds.py), from the leading keywords alone.
"""

from __future__ import annotations

import json
import re
from typing import Any

_QUERY_COMMENT = re.compile(r"^[ \t]*--[ \t]*/\*[ \t]*(\{.*\})[ \t]*\*/[ \t]*;?[ \t]*$", re.MULTILINE)
_LEADING_COMMENTS = re.compile(r"\A(\s*(--[^\n]*(\n|\Z)|/\*.*?\*/))*\s*", re.DOTALL)

# Leading keywords, tried in order on the statement without its leading comments.
_KINDS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"create\s+(or\s+replace\s+)?view\b"), "CREATE VIEW"),
    (re.compile(r"create\s+external\s+table\b"), "CREATE EXTERNAL TABLE"),
    (re.compile(r"create\s+(schema|database)\b"), "CREATE SCHEMA"),
    (re.compile(r"create\s+table\s+(if\s+not\s+exists\s+)?[^\s(]+\s+(with\s*\(|as\b)"), "CTAS"),
    (re.compile(r"create\s+table\b"), "CREATE TABLE (DDL)"),
    (re.compile(r"merge\s+into\b"), "MERGE"),
    (re.compile(r"delete\s+from\b"), "DELETE"),
    (re.compile(r"insert\s+(into|overwrite)\b"), "INSERT"),
    (re.compile(r"(select|with|values|\()"), "SELECT"),
    (re.compile(r"alter\s+table\s+\S+\s+rename\s+to\b"), "ALTER TABLE RENAME"),
    (re.compile(r"alter\s+table\b"), "ALTER TABLE"),
    (re.compile(r"drop\s+table\b"), "DROP TABLE"),
    (re.compile(r"drop\s+view\b"), "DROP VIEW"),
    (re.compile(r"drop\s+(schema|database)\b"), "DROP SCHEMA"),
    (re.compile(r"(show|describe|desc)\b"), "SHOW/DESCRIBE"),
    (re.compile(r"msck\b"), "MSCK"),
    (re.compile(r"(optimize|vacuum)\b"), "OPTIMIZE/VACUUM"),
]


def query_comment(sql: str) -> dict[str, Any]:
    """The dbt query comment of a statement (invocation_id, node_id...), {} when it has none."""
    match = _QUERY_COMMENT.search(sql)
    if not match:
        return {}
    try:
        parsed = json.loads(match.group(1))
    except json.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def kind(sql: str) -> str:
    """The statement's kind from its leading keywords ("OTHER" when none fits)."""
    leading = _LEADING_COMMENTS.match(sql)
    text = sql[leading.end() if leading else 0 :].lower()
    for pattern, name in _KINDS:
        if pattern.match(text):
            return name
    return "OTHER"


_TARGET = re.compile(
    r"(?:alter\s+table|drop\s+table(?:\s+if\s+exists)?|optimize|vacuum|msck\s+repair\s+table)\s+([`\"\w.]+)",
    re.IGNORECASE,
)
# Tables dbt-athena derives from a model's while building it (temporary, high-availability, backup,
# a snapshot's staging table): the estimate and the conformance stand-in use this rule too.
DERIVED_SUFFIX = re.compile(r"(__dbt_tmp(_[0-9a-f_]+)?|__ha|__bkp|__tmp_not_partitioned|__dbt_tmp_snapshot)$")


def target_table(sql: str) -> str | None:
    """`schema.table` an ALTER, DROP, OPTIMIZE, VACUUM or MSCK acts on (a derived table as the
    model's own), None for anything else."""
    leading = _LEADING_COMMENTS.match(sql)
    match = _TARGET.match(sql[leading.end() if leading else 0 :])
    if match is None:
        return None
    parts = [part.strip('"`').lower() for part in match.group(1).split(".")]
    if len(parts) < 2:
        return None
    return f"{parts[-2]}.{DERIVED_SUFFIX.sub('', parts[-1])}"


def node_of(comment: dict[str, Any]) -> str:
    """The node a statement belongs to: its node_id; "hook" for what dbt sends on its "master"
    connection outside any node (the on-run-start/on-run-end hooks, and the schemas it creates
    before them); otherwise the connection dbt named it after (`dbt:list_<schema>`)."""
    node_id = comment.get("node_id")
    if isinstance(node_id, str) and node_id and not node_id.startswith("operation."):
        return node_id
    connection = comment.get("connection_name")
    if node_id or not isinstance(connection, str) or connection in {"", "master"}:
        return "hook"
    return f"dbt:{connection}"
