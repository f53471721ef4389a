"""Athena's limit of 100 open writers: a CTAS, INSERT or MERGE whose rows fall into more than
100 partitions of the table it writes fails ("ICEBERG_TOO_MANY_OPEN_PARTITIONS: Exceeded limit
of 100 open writers for partitions"; HIVE_ for a Hive table), and dbt-athena, which catches
that error, writes the table again in batches of at most `partitions_limit` partitions
(`create_table_as_with_partitions`, `batch_incremental_insert`, `batch_iceberg_merge`).

moto writes no rows, so the stand-in counts the partitions a statement would write on the
DuckDB reference: the statement's rows (a CTAS's or INSERT's query, a MERGE's source),
transpiled, grouped by the target's partition transforms. The adapter's own work tables hold
rows the reference lacks, and are given them openly:

- `<model>__tmp_not_partitioned` (made only when a CTAS was refused: the model's whole query,
  unpartitioned) is created in the reference as a copy of the model's table there, which is that
  query's result on the same data;
- `<model>__dbt_tmp` (an incremental batch, unpartitioned) is created in the reference from its
  own query, when that query transpiles, and dropped with it.

A write whose partitions cannot be counted (its query does not transpile, or reads a table the
reference lacks) is let through and marked `partitions_written = None`, so a test can require
that every write it cares about was counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb
import sqlglot
from sqlglot import exp

from tests.athena import statements as st
from tests.athena.captured import AthenaWouldFail, Captured
from tests.athena.reference import DuckDBReference, NotTranspilable, relations, to_duckdb

OPEN_WRITERS_LIMIT = 100
_NOT_PARTITIONED = "__tmp_not_partitioned"
_BATCH = re.compile(r"__dbt_tmp(_[0-9a-f_]+)?$")
_TRANSFORM = re.compile(r"^\s*(year|month|day|hour)\s*\(\s*\"?(\w+)\"?\s*\)\s*$", re.IGNORECASE)
_BUCKET = re.compile(r"^\s*bucket\s*\(\s*\"?(\w+)\"?\s*,\s*(\d+)\s*\)\s*$", re.IGNORECASE)
_TRUNCATE = re.compile(r"^\s*truncate\s*\(\s*\"?(\w+)\"?\s*,\s*(\d+)\s*\)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class PartitionedTable:
    """A table's partition specs as its CTAS declared them, and whether it is Iceberg."""

    specs: tuple[str, ...]
    iceberg: bool


def partition_value_sql(spec: str) -> str:
    """The DuckDB expression whose distinct values are the partitions of one spec: `day(t)` ->
    `date_trunc('day', "t")`; a bucket spec counts distinct values modulo its width (DuckDB's
    hash is not Iceberg's murmur3, but the count of buckets a few rows fill is what matters)."""
    transform = _TRANSFORM.match(spec)
    if transform:
        return f"date_trunc('{transform.group(1).lower()}', \"{transform.group(2).lower()}\")"
    bucket = _BUCKET.match(spec)
    if bucket:
        return f'hash("{bucket.group(1).lower()}") % {int(bucket.group(2))}'
    if _TRUNCATE.match(spec):
        raise ValueError(f"the stand-in does not count truncate partitions: {spec}")
    return f'"{st.partition_source_column(spec)}"'


def refusal(table: tuple[str, str], written: int, iceberg: bool) -> str:
    """Athena's message for a write into too many partitions."""
    prefix = "ICEBERG" if iceberg else "HIVE"
    suffix = "" if iceberg else "/buckets"
    return (
        f"{prefix}_TOO_MANY_OPEN_PARTITIONS: Exceeded limit of {OPEN_WRITERS_LIMIT} open writers for "
        f"partitions{suffix} (the statement writes {written} partitions of {table[0]}.{table[1]})"
    )


class PartitionWriters:
    """Counts, and refuses past the limit, the partitions each write statement fills."""

    def __init__(self, reference: DuckDBReference) -> None:
        self.reference = reference
        self.tables: dict[tuple[str, str], PartitionedTable] = {}
        self.work_tables: set[tuple[str, str]] = set()  # the adapter's work tables created in the reference

    def check(self, captured: Captured, tree: exp.Expr | None) -> None:
        """Before the catalog sees a statement: AthenaWouldFail when it writes too many partitions."""
        if tree is None:
            return
        kind = captured.kind
        if kind is st.Kind.CTAS:
            self._check_ctas(captured, tree)
        elif kind in (st.Kind.INSERT, st.Kind.MERGE):
            target = _target(tree)
            table = self.tables.get(target)
            rows = tree.expression if kind is st.Kind.INSERT else tree.args.get("using")
            if table is not None and table.specs and rows is not None:
                self._limit(captured, target, table, rows)

    def after(self, captured: Captured) -> None:
        """After the catalog accepted a statement: follow renames and drops of partitioned tables."""
        if captured.failure:
            return
        if captured.kind is st.Kind.DROP_TABLE:
            _, dropped, _ = st.parse_drop(captured.sql)
            self.tables.pop(dropped, None)
            if dropped in self.work_tables:
                self.work_tables.discard(dropped)
                self.reference.drop_table(*dropped)
        elif captured.kind is st.Kind.ALTER_TABLE_RENAME:
            source, renamed = st.parse_rename(captured.sql)
            if source in self.tables:
                self.tables[renamed] = self.tables.pop(source)

    def _check_ctas(self, captured: Captured, tree: exp.Expr) -> None:
        ctas = st.parse_ctas(tree)
        target = (ctas.schema, ctas.table)
        table = PartitionedTable(
            specs=tuple(ctas.partitioning or ()),
            iceberg=str(ctas.properties.get("table_type", "hive")).lower() == "iceberg",
        )
        rows = tree.expression
        if table.specs:
            self._limit(captured, target, table, rows)
            self.tables[target] = table
        if _BATCH.search(ctas.table):
            self._create_work_table(target, self._rows_sql(rows))
        elif ctas.table.endswith(_NOT_PARTITIONED):
            model = self.reference.node_relation(captured.node_id)
            if model is not None and self.reference.has(*model):
                self._create_work_table(target, f'select * from "{model[0]}"."{model[1]}"')

    def _limit(self, captured: Captured, target: tuple[str, str], table: PartitionedTable, rows: exp.Expr) -> None:
        written = self._count(rows, table.specs)
        captured.partitions_written = written
        if written is not None and written > OPEN_WRITERS_LIMIT:
            raise AthenaWouldFail(refusal(target, written, table.iceberg))

    def _count(self, rows: exp.Expr, specs: tuple[str, ...]) -> int | None:
        duckdb_rows = self._rows_sql(rows)
        if duckdb_rows is None:
            return None
        try:
            values = ", ".join(partition_value_sql(spec) for spec in specs)
            answer = self.reference.query(
                f"select count(*) from (select distinct {values} from ({duckdb_rows}) as written) as partitions"
            )
        except (ValueError, duckdb.Error):
            return None
        return int(answer.rows[0][0])

    def _rows_sql(self, rows: exp.Expr) -> str | None:
        """The rows as a DuckDB query on the reference, or None when it cannot answer."""
        query = rows.copy()
        if isinstance(query, exp.Table):
            query = exp.select("*").from_(query)
        elif isinstance(query, exp.Subquery):
            query = query.this
        if not all(self.reference.has(schema, name) for schema, name in relations(query)):
            return None
        try:
            return to_duckdb(query, self.reference.schema(), self.reference.raw_roots)
        except (NotTranspilable, sqlglot.errors.SqlglotError):
            return None

    def _create_work_table(self, target: tuple[str, str], duckdb_rows: str | None) -> None:
        if duckdb_rows is None:
            return
        try:
            self.reference.create_table(*target, duckdb_rows)
        except duckdb.Error:
            return
        self.work_tables.add(target)


def _target(statement: exp.Expr) -> tuple[str, str]:
    target = statement.this
    while target is not None and not isinstance(target, exp.Table):
        target = target.this
    if target is None:
        return ("", "")
    return target.db.lower(), target.name.lower()
