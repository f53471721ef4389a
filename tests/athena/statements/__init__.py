"""What dbt-athena sends to Athena, statement by statement, as the conformance harness reads it
(`from tests.athena import statements as st`):

- kinds.py: a statement's kind, the engine of Athena that runs it (Trino, or the Hive
  metastore path for Hive DDL), and why dbt sent a SELECT;
- grammar.py: whether that engine's grammar accepts it (trino-sql-validator, sqlglot's Athena
  dialect for Hive DDL, Athena's own OPTIMIZE/VACUUM syntax);
- parsing.py: what the stand-in's Glue mirror and the checks read from it (CTAS target,
  properties and query; Hive columns; renamed, dropped and altered names; MERGE's ON clause).
"""

from tests.athena.statements.grammar import (
    TRINO_TYPES,
    Check,
    cast_type_names,
    check,
    check_hive_ddl,
    check_maintenance,
    check_trino,
    duckdb_syntax,
)
from tests.athena.statements.kinds import Engine, Kind, Purpose, body, classify, query_comment, select_purpose
from tests.athena.statements.parsing import (
    Ctas,
    HiveTable,
    Maintenance,
    Merge,
    parse_alter,
    parse_create_schema,
    parse_ctas,
    parse_drop,
    parse_hive_create,
    parse_maintenance,
    parse_merge,
    parse_rename,
    partition_source_column,
    referenced_tables,
)

__all__ = [
    "TRINO_TYPES",
    "Check",
    "Ctas",
    "Engine",
    "HiveTable",
    "Kind",
    "Maintenance",
    "Merge",
    "Purpose",
    "body",
    "cast_type_names",
    "check",
    "check_hive_ddl",
    "check_maintenance",
    "check_trino",
    "classify",
    "duckdb_syntax",
    "parse_alter",
    "parse_create_schema",
    "parse_ctas",
    "parse_drop",
    "parse_hive_create",
    "parse_maintenance",
    "parse_merge",
    "parse_rename",
    "partition_source_column",
    "query_comment",
    "referenced_tables",
    "select_purpose",
]
