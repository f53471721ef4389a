"""The estimate of one captured run in the cost ledger's shape.

Each captured statement becomes the execution Athena would record (its SQL with dbt's query
comment, the bytes the estimate says it scans, failed if the stand-in failed it) and goes through
the ledger's own attribution and billing (`athena_ledger.ledger.build`), so an estimate made
before a build and the ledger read after it have the same nodes, columns and JSON, and
`tests/python/test_athena_estimate.py` holds the two against each other on one captured run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

from athena_estimate.captured import Capture, Run, Statement
from athena_estimate.errors import EstimateError
from athena_estimate.estimate import StatementCost
from athena_ledger import statement as ledger_statement
from athena_ledger.history import Execution
from athena_ledger.ledger import Ledger, build

_EPOCH = datetime(2019, 12, 1, tzinfo=UTC)  # any instant: only the statements' order matters


def invocation_of(statements: Iterable[Statement], run: Run) -> str:
    """The dbt invocation id every commented statement of the run carries."""
    found = {
        str(comment["invocation_id"])
        for s in statements
        if (comment := ledger_statement.query_comment(s.sql)).get("invocation_id")
    }
    if len(found) != 1:
        what = "no" if not found else f"{len(found)} different"
        raise EstimateError(
            f"the {run.label} run's statements carry {what} dbt invocation ids in their query comments: "
            "capture it again with the project's query-comment"
        )
    return found.pop()


def execution(cost: StatementCost) -> Execution:
    """The statement as Athena's query history would record it, scanning what the estimate says."""
    statement = cost.statement
    return Execution(
        execution_id=statement.execution_id or f"{statement.run.value}-{statement.index:05d}",
        submitted=_EPOCH + timedelta(milliseconds=statement.index),
        state="FAILED" if statement.failure else "SUCCEEDED",
        sql=statement.sql,
        scanned=cost.bytes,
        engine_ms=0,
        error=statement.failure,
    )


def relations_of(capture: Capture) -> dict[str, str]:
    """The tables the captured runs' models, seeds and snapshots build, as run_results.json names
    them to the ledger: a statement without a query comment on one of them is that node's."""
    return {
        node.relation: unique_id
        for unique_id, node in capture.nodes.items()
        if node.resource_type in ("model", "seed", "snapshot")
    }


def estimated_ledger(
    costs: Iterable[StatementCost], run: Run, price_per_tb: float, relations: Mapping[str, str] | None = None
) -> Ledger:
    """The ledger the run's statements would make if each scanned its estimated bytes (every one
    of them sent while the run ran)."""
    of_run = [cost for cost in costs if cost.statement.run is run]
    invocation_id = invocation_of((cost.statement for cost in of_run), run)
    return build(invocation_id, (execution(cost) for cost in of_run), price_per_tb, relations)
