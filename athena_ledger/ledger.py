"""The ledger of one dbt invocation: its statements (those whose query comment carries the
invocation id), what each scanned and is billed, per node and in total, and the budget outcome.
dbt-athena sends ALTER, DROP, OPTIMIZE, VACUUM and MSCK without a query comment: such a
statement is the run's, and its node's, when Athena received it while the run ran and it acts on
a table one of the run's nodes built (its relation in run_results.json); any other statement of
the window without a comment is counted apart, as not attributed."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from athena_ledger import statement
from athena_ledger.billing import billed_bytes, is_charged, usd
from athena_ledger.history import Execution


@dataclass(frozen=True)
class Row:
    """One statement of the run."""

    execution: Execution
    node: str
    kind: str
    by_table: bool = False  # no query comment: attributed by the table it acts on

    @property
    def charged(self) -> bool:
        return is_charged(self.kind, self.execution.failed, self.execution.scanned)

    @property
    def billed(self) -> int:
        return billed_bytes(self.execution.scanned) if self.charged else 0


@dataclass
class Totals:
    statements: int = 0
    failed: int = 0
    scanned: int = 0
    billed: int = 0
    engine_ms: int = 0

    def add(self, row: Row) -> None:
        self.statements += 1
        self.failed += int(row.execution.failed)
        self.scanned += row.execution.scanned
        self.billed += row.billed
        self.engine_ms += row.execution.engine_ms

    def include(self, other: Totals) -> None:
        self.statements += other.statements
        self.failed += other.failed
        self.scanned += other.scanned
        self.billed += other.billed
        self.engine_ms += other.engine_ms


@dataclass(frozen=True)
class Budget:
    bytes: int | None = None  # billed bytes
    usd: float | None = None

    def overruns(self, total: Totals, price_per_tb: float) -> list[str]:
        """One phrase per limit the run went over."""
        over = []
        if self.bytes is not None and total.billed > self.bytes:
            over.append(f"billed {total.billed:,} bytes > budget {self.bytes:,} bytes")
        cost = usd(total.billed, price_per_tb)
        if self.usd is not None and cost > self.usd:
            over.append(f"${cost:,.4f} > budget ${self.usd:,.4f}")
        return over


@dataclass
class Ledger:
    invocation_id: str
    price_per_tb: float
    rows: list[Row] = field(default_factory=list)
    uncommented: Totals = field(default_factory=Totals)  # in the window, no query comment
    other_invocations: int = 0  # in the window, another run's

    def nodes(self) -> list[tuple[str, Totals]]:
        """Totals per node, the most expensive first (then the most scanned, then by name)."""
        by_node: dict[str, Totals] = {}
        for row in self.rows:
            by_node.setdefault(row.node, Totals()).add(row)
        return sorted(by_node.items(), key=lambda item: (-item[1].billed, -item[1].scanned, item[0]))

    def total(self) -> Totals:
        total = Totals()
        for row in self.rows:
            total.add(row)
        return total

    def usd(self, billed: int) -> float:
        return usd(billed, self.price_per_tb)


def build(
    invocation_id: str,
    executions: Iterable[Execution],
    price_per_tb: float,
    relations: Mapping[str, str] | None = None,
    ran_during: Callable[[datetime], bool] = lambda _: True,
) -> Ledger:
    """The ledger of `invocation_id` from a window's executions, oldest statement first;
    `relations` the run's tables by `schema.table`, `ran_during` whether Athena received a
    statement while the run ran."""
    ledger = Ledger(invocation_id=invocation_id, price_per_tb=price_per_tb)
    for execution in sorted(executions, key=lambda e: (e.submitted, e.execution_id)):
        comment = statement.query_comment(execution.sql)
        row = Row(execution=execution, node=statement.node_of(comment), kind=statement.kind(execution.sql))
        if not comment:
            table = statement.target_table(execution.sql)
            node = (relations or {}).get(table or "")
            if node and ran_during(execution.submitted):
                ledger.rows.append(Row(execution=execution, node=node, kind=row.kind, by_table=True))
            else:
                ledger.uncommented.add(row)
        elif comment.get("invocation_id") != invocation_id:
            ledger.other_invocations += 1
        else:
            ledger.rows.append(row)
    return ledger
