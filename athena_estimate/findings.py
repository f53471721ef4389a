"""What an incremental run reads beyond what it needs: on the incremental day, anything but the
new day's raw file and the rows that day wrote; when nothing is new, anything at all of the
raw files and the event-level tables (those that carry `loaded_in_run`).

Each read of the raw table, or of a table with `loaded_in_run` (not the run's own temporary
table), that scans bytes beyond the day's rows counts, with the reason read off its statement:
no filter, a filter that does not constrain the partition column, a whole month selected for
one day, a MERGE target matched without a literal partition filter, a data test whose
`latest_batch` filter is a subquery. Reads are grouped by run, node row, table and role; a
group's reason is that of its largest read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp

from athena_estimate.captured import Capture, Run, Statement
from athena_estimate.estimate import TMP_SUFFIX, Estimator, ReadCost, StatementCost
from athena_estimate.sizes import RAW_RELATION, TableSize

_LATEST_BATCH = "loaded_in_run = (select max("


@dataclass
class Finding:
    run: Run
    group: str  # the node row (a model, "tests on <model>")
    relation: str
    role: str
    reason: str = ""  # of the largest read
    statements: list[int] = field(default_factory=list)
    bytes: int = 0
    beyond: int = 0  # bytes beyond the day's own rows (all of them when nothing is new)
    best: int = 0  # bytes if Athena skipped what it may (file statistics, dynamic filtering)
    largest: int = -1  # bytes of the largest read, whose reason the finding shows


def _short(text: str, limit: int = 110) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _columns(cost: ReadCost) -> str:
    columns = cost.read.columns
    if columns is None:
        return "every column"
    if not columns:
        return "no column"
    return _short(", ".join(sorted(columns)), 80)


def role(statement: Statement, cost: ReadCost, capture: Capture) -> str:
    node = capture.nodes.get(statement.node_id)
    if cost.read.role == "merge target":
        return "MERGE target"
    if statement.purpose in ("data test", "introspection", "contract probe"):
        return str(statement.purpose)
    if statement.kind == "CTAS" and node is not None and node.materialized == "incremental":
        return "incremental batch"
    if statement.kind == "CTAS" and node is not None:
        return f"{node.materialized} rebuilt every run"
    return statement.kind


def reason(statement: Statement, cost: ReadCost, table: TableSize | None, new_file: str | None) -> str:
    """Why this read scans what it does, in one sentence."""
    read = cost.read
    where = f"{len(cost.selected)}/{cost.total}"
    if read.relation == RAW_RELATION:
        others = [path for path in cost.selected if path != new_file]
        return f"{len(others)} raw file(s) besides the new day's ({where} files); filter: {_short(read.filters_sql())}"
    column = table.partitioning.column if table is not None else None
    if read.role == "merge target":
        if read.dynamic_window:
            return (
                f"ON `target.{read.dynamic_window} >= src.{read.dynamic_window}` is no literal: only dynamic "
                f"filtering could prune; without it {_columns(cost)} of {where} partitions"
            )
        return f"unpartitioned target: {_columns(cost)} of every row, to match the batch's keys"
    if _LATEST_BATCH in statement.body.lower():
        return (
            f"`where: latest_batch` is a subquery (`loaded_in_run = (select max(...))`), no partition filter: "
            f"{_columns(cost)} of {where} partitions"
        )
    if not read.predicates:
        return f"no filter: {_columns(cost)} of {where} partitions"
    filters = _short(read.filters_sql())
    if column is None:
        return f"unpartitioned; filter `{filters}` applies after reading {_columns(cost)}"
    names = {c.name.lower() for predicate in read.predicates for c in predicate.find_all(exp.Column)}
    if column not in names and not names & set(table.day_equivalents if table is not None else ()):
        return f"filter `{filters}` is not on the partition column {column}: {_columns(cost)} of {where} partitions"
    share = cost.batch_bytes / cost.bytes if cost.bytes else 0.0
    return (
        f"filter `{filters}` selects whole partition(s) {', '.join(cost.selected[:3])}"
        f"{'...' if len(cost.selected) > 3 else ''} ({where}), of which the day's rows are {share:.0%}"
    )


def findings(capture: Capture, costs: list[StatementCost], estimator: Estimator) -> list[Finding]:
    """The reads beyond the day's needs, grouped; per run, the largest first."""
    found: dict[tuple[Run, str, str, str], Finding] = {}
    for cost in costs:
        statement = cost.statement
        if statement.run is Run.FULL or not statement.charged:
            continue
        for read_cost in cost.reads:
            read = read_cost.read
            table = estimator.table(read)
            if read.table.endswith(TMP_SUFFIX) or read_cost.beyond_batch <= 0:
                continue
            if read.relation != RAW_RELATION and (table is None or not table.has_batch):
                continue
            what = role(statement, read_cost, capture)
            key = (statement.run, capture.group(statement.node_id), read.relation, what)
            finding = found.setdefault(key, Finding(*key))
            if statement.index not in finding.statements:
                finding.statements.append(statement.index)
            finding.bytes += read_cost.bytes
            finding.beyond += read_cost.beyond_batch
            finding.best += read_cost.best_bytes if read_cost.best_bytes is not None else read_cost.bytes
            if read_cost.bytes > finding.largest:
                finding.largest = read_cost.bytes
                finding.reason = reason(statement, read_cost, table, estimator.new_raw_file)
    return sorted(found.values(), key=lambda f: ([Run.DAY, Run.NOTHING].index(f.run), -f.beyond))
