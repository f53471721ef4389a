"""The Athena stand-in's answers to the SELECTs whose rows dbt reads (moto executes no SQL and
would give every query no rows): a data test gets a synthetic `failures = 0` row (counted), a
contract's empty-subquery probe the column types, a `select '<message>'` its message, and any
other query the rows the DuckDB build gives for the same SQL transpiled with sqlglot (or no
rows when it reads what DuckDB does not have). Results are registered per execution id.
"""

from __future__ import annotations

import re
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp

from tests.athena import statements as st
from tests.athena.captured import AthenaWouldFail, Captured
from tests.athena.reference import DuckDBReference, NotTranspilable, athena_text, glue_type, result_type


class Answers:
    """Serves each query's result rows from a DuckDB build of the same project."""

    def __init__(self, reference: DuckDBReference) -> None:
        self.reference = reference
        self.synthetic_test_rows = 0  # data tests answered with a 0-failures row

    def answer(self, backend: Any, captured: Captured, results_class: Any, tree: exp.Expr | None) -> None:
        """Register the result rows of one statement (none but for a SELECT); AthenaWouldFail when
        the query would fail on Athena."""
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
