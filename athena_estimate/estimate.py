"""Bytes scanned per read, statement, node and run, and what Athena bills for them.

A read of an Iceberg table is charged the compressed bytes of the columns it uses in the
partitions its filters may select; a read of the raw CSV table the whole size of every file
it may select (a text file has no columns to skip). The temporary table of an incremental
model (`<model>__dbt_tmp`) holds that run's batch: the rows the latest run wrote in the
measured warehouse on an incremental day, nothing when nothing is new, the whole table on a
full build. Athena bills each query's bytes rounded up to the megabyte, 10 MB at least.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlglot import exp

from athena_estimate.captured import Capture, Run, Statement
from athena_estimate.pruning import may_match
from athena_estimate.scan import Catalog, TableRead, statement_reads
from athena_estimate.sizes import RAW_RELATION, Sizes, TableSize, canonical_raw_path
from athena_ledger.billing import USD_PER_TB, billed_bytes  # the one billing rule, the ledger's
from athena_ledger.billing import usd as ledger_usd
from athena_ledger.statement import DERIVED_SUFFIX

TMP_SUFFIX = "__dbt_tmp"
BATCH_COLUMN = "loaded_in_run"
RAW_COLUMNS = {"line": "varchar", "year": "integer", "month": "integer", "$path": "varchar"}


def usd(billed: int) -> float:
    return ledger_usd(billed, USD_PER_TB)


@dataclass(frozen=True)
class ReadCost:
    read: TableRead
    bytes: int
    selected: tuple[str, ...] = ()  # partition keys (or raw files) read
    total: int = 0  # partitions (or raw files) of the table
    batch_bytes: int = 0  # of `bytes`, those of the rows the run itself wrote (incremental day)
    best_bytes: int | None = None  # if Athena skipped what it may (see `best_how`)
    best_how: str = ""  # "dynamic filtering" (a MERGE target) or "file statistics" (a literal filter)
    known: bool = True  # the table was measured

    @property
    def beyond_batch(self) -> int:
        return self.bytes - self.batch_bytes


@dataclass(frozen=True)
class StatementCost:
    statement: Statement
    reads: tuple[ReadCost, ...]
    error: str | None = None  # sqlglot could not read it: charged as scanning nothing

    @property
    def bytes(self) -> int:
        return sum(r.bytes for r in self.reads)

    @property
    def billed(self) -> int:
        return billed_bytes(self.bytes) if self.statement.charged else 0


@dataclass(frozen=True)
class Totals:
    queries: int = 0
    bytes: int = 0
    billed: int = 0

    def __add__(self, other: Totals) -> Totals:
        return Totals(self.queries + other.queries, self.bytes + other.bytes, self.billed + other.billed)

    @property
    def usd(self) -> float:
        return usd(self.billed)


def _statistics_prunable(read: TableRead, table: TableSize) -> bool:
    """A literal filter on `loaded_in_run` or on a date or timestamp column: Iceberg's per-file
    min/max statistics can skip the files of other runs or days (those written by one
    incremental run hold only its rows)."""
    for predicate in read.predicates:
        names = {c.name.lower() for c in predicate.find_all(exp.Column)}
        kinds = {table.types.get(name, "").upper() for name in names}
        if names and (names == {BATCH_COLUMN} or kinds <= {"DATE", "TIMESTAMP"}):
            return True
    return False


class Estimator:
    """Costs reads and statements against one set of sizes."""

    def __init__(self, sizes: Sizes, new_raw_file: str | None = None) -> None:
        self.sizes = sizes
        self.new_raw_file = new_raw_file  # canonical path of the file the incremental day landed
        catalog: dict[str, dict[str, dict[str, str]]] = {"ecommerce_raw": {"event_lines": dict(RAW_COLUMNS)}}
        for relation, table in sizes.tables.items():
            schema, name = relation.split(".", 1)
            columns = {column: "varchar" for column in table.columns}
            for suffix in ("", TMP_SUFFIX, "__ha", "__bkp"):
                catalog.setdefault(schema, {})[name + suffix] = columns
        self.catalog: Catalog = catalog

    def table(self, read: TableRead) -> TableSize | None:
        return self.sizes.tables.get(f"{read.schema}.{DERIVED_SUFFIX.sub('', read.table)}")

    def _raw(self, read: TableRead, run: Run) -> ReadCost:
        files = [
            f
            for f in self.sizes.raw_files
            if may_match(read.predicates, {"year": f.year, "month": f.month, "$path": f.path}, canonical_raw_path)
        ]
        scanned = sum(f.bytes for f in files)
        batch = sum(f.bytes for f in files if f.path == self.new_raw_file) if run is Run.DAY else 0
        return ReadCost(read, scanned, tuple(f.path for f in files), len(self.sizes.raw_files), batch)

    def read_cost(self, read: TableRead, run: Run) -> ReadCost:
        if read.relation == RAW_RELATION:
            return ReadCost(read, 0, (), len(self.sizes.raw_files)) if read.dead else self._raw(read, run)
        table = self.table(read)
        if table is None:
            return ReadCost(read, 0, known=False)
        if read.dead:
            return ReadCost(read, 0, (), len(table.partitions))
        columns = [c for c in table.columns if read.columns is None or c in read.columns]
        temporary = read.table.endswith(TMP_SUFFIX)
        scanned = batch = dynamic = 0.0
        selected = []
        window_from = self._window_from(read, table, run)
        for key, part in table.partitions.items():
            if not temporary and not may_match(read.predicates, table.partitioning.env(key, table.day_equivalents)):
                continue
            selected.append(key)
            column_bytes = sum(part.columns.get(c, 0) for c in columns)
            batch_share = part.batch_rows / part.rows if table.has_batch and part.rows else 1.0
            if temporary:  # the batch itself: what this run computed
                share = {Run.FULL: 1.0, Run.DAY: batch_share, Run.NOTHING: 0.0 if table.has_batch else 1.0}[run]
                scanned += column_bytes * share
                batch += column_bytes * share
                continue
            scanned += column_bytes
            if run is Run.DAY and table.has_batch:
                batch += column_bytes * batch_share
            if window_from is not None and key >= window_from:
                dynamic += column_bytes
        best: int | None = None
        how = ""
        if window_from is not None:
            best, how = round(dynamic), "dynamic filtering"
        elif not temporary and run is not Run.FULL and table.has_batch and _statistics_prunable(read, table):
            best, how = round(batch), "file statistics"
        return ReadCost(read, round(scanned), tuple(selected), len(table.partitions), round(batch), best, how)

    @staticmethod
    def _window_from(read: TableRead, table: TableSize, run: Run) -> str | None:
        """For a MERGE target with `target.c >= src.c` on its partition column: the first
        partition a dynamic filter would keep (the batch's earliest); '~' (after every key)
        when the batch is empty."""
        window = read.dynamic_window
        if read.role != "merge target" or window is None or run is Run.FULL:
            return None
        if window != table.partitioning.column and window not in table.day_equivalents:
            return None
        touched = table.touched() if run is Run.DAY else set()
        return min(touched) if touched else "~"

    def statement_cost(self, statement: Statement) -> StatementCost:
        if not statement.charged:
            return StatementCost(statement, ())
        try:
            reads = statement_reads(statement.body, self.catalog)
        except Exception as error:  # sqlglot's many error types: the statement is reported, not fatal
            return StatementCost(statement, (), error=f"{type(error).__name__}: {str(error).splitlines()[0][:200]}")
        return StatementCost(statement, tuple(self.read_cost(read, statement.run) for read in reads))


def new_raw_file(file_name: str) -> str:
    """The canonical path of the day file the incremental run landed (`2019-11-30.csv`)."""
    return f"year={file_name[:4]}/month={file_name[5:7]}/{file_name}"


def estimate(capture: Capture, sizes: Sizes) -> tuple[Estimator, list[StatementCost]]:
    """Every captured statement costed against `sizes`."""
    estimator = Estimator(sizes, new_raw_file(capture.last_day_file))
    return estimator, [estimator.statement_cost(statement) for statement in capture.statements]


def totals(costs: Iterable[StatementCost], run: Run) -> Totals:
    found = Totals()
    for cost in costs:
        if cost.statement.run is run and cost.statement.charged:
            found += Totals(1, cost.bytes, cost.billed)
    return found


def by_group(capture: Capture, costs: Iterable[StatementCost]) -> dict[str, dict[Run, Totals]]:
    """Totals per node row (a model, a seed, a snapshot, the tests on one model) and run."""
    found: dict[str, dict[Run, Totals]] = defaultdict(lambda: defaultdict(Totals))
    for cost in costs:
        if cost.statement.charged:
            row = found[capture.group(cost.statement.node_id)]
            row[cost.statement.run] += Totals(1, cost.bytes, cost.billed)
    return found
