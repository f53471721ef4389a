"""The ledger as a text table (stdout, the job summary) and as JSON (beside run_results.json)."""

from __future__ import annotations

from typing import Any

from athena_ledger.billing import MB, MIN_BILLED
from athena_ledger.ledger import Budget, Ledger, Row, Totals


def _mb(value: int) -> str:
    return f"{value / MB:,.1f}"


def short_name(node: str) -> str:
    """A node as the table shows it: a model, seed or snapshot by its name, a test as
    `test:<name>` (without the hash dbt appends); the JSON keeps the unique id."""
    parts = node.split(".")
    if len(parts) >= 3 and parts[0] in {"model", "seed", "snapshot"}:
        return parts[-1]
    if len(parts) >= 3 and parts[0] == "test":
        return f"test:{parts[2]}"
    return node


def table(ledger: Ledger, top: int = 0) -> str:
    """One line per node, the most expensive first (with `top`, that many and one line for the
    rest), and the run's total."""
    header = ["node", "statements", "scanned MB", "billed MB", "USD", "engine s"]

    def line(name: str, totals: Totals) -> list[str]:
        failed = f" ({totals.failed} failed)" if totals.failed else ""
        return [
            name,
            f"{totals.statements}{failed}",
            _mb(totals.scanned),
            _mb(totals.billed),
            f"{ledger.usd(totals.billed):.4f}",
            f"{totals.engine_ms / 1000:,.1f}",
        ]

    nodes = ledger.nodes()
    shown, rest = (nodes[:top], nodes[top:]) if top > 0 else (nodes, [])
    rows = [line(short_name(name), totals) for name, totals in shown]
    if rest:
        folded = Totals()
        for _, totals in rest:
            folded.include(totals)
        rows.append(line(f"{len(rest)} other nodes", folded))
    rows.append(line("total", ledger.total()))
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]

    def text(cells: list[str]) -> str:
        first, *numbers = cells
        return "  ".join([first.ljust(widths[0]), *(c.rjust(w) for c, w in zip(numbers, widths[1:], strict=True))])

    rule = "  ".join("-" * w for w in widths)
    lines = [
        f"Athena cost of dbt invocation {ledger.invocation_id} at ${ledger.price_per_tb:g}/TB "
        f"(billed: each query rounded up to the MB, {MIN_BILLED // MB} MB at least; DDL and failed queries free)",
        text(header),
        rule,
        *(text(r) for r in rows[:-1]),
        rule,
        text(rows[-1]),
    ]
    if ledger.uncommented.statements:
        u = ledger.uncommented
        lines.append(
            f"Not attributed: {u.statements} statement(s) near the run without a query comment (ALTER, DROP, "
            f"OPTIMIZE, VACUUM, MSCK) on no table of this run or outside its time, {_mb(u.scanned)} MB scanned, "
            f"{_mb(u.billed)} MB billed."
        )
    return "\n".join(lines)


def _totals(ledger: Ledger, totals: Totals) -> dict[str, Any]:
    return {
        "statements": totals.statements,
        "failed": totals.failed,
        "scanned_bytes": totals.scanned,
        "billed_bytes": totals.billed,
        "usd": round(ledger.usd(totals.billed), 6),
        "engine_ms": totals.engine_ms,
    }


def _statement(ledger: Ledger, row: Row) -> dict[str, Any]:
    execution = row.execution
    return {
        "execution_id": execution.execution_id,
        "submitted_at": execution.submitted.isoformat(),
        "node": row.node,
        "kind": row.kind,
        "attributed_by": "table name" if row.by_table else "query comment",
        "state": execution.state,
        "scanned_bytes": execution.scanned,
        "billed_bytes": row.billed,
        "usd": round(ledger.usd(row.billed), 6),
        "engine_ms": execution.engine_ms,
        "error": execution.error,
    }


def document(ledger: Ledger, workgroup: str, budget: Budget, overruns: list[str]) -> dict[str, Any]:
    """The JSON the ledger writes: statements, per-node and run totals, price and budget."""
    return {
        "invocation_id": ledger.invocation_id,
        "workgroup": workgroup,
        "price_usd_per_tb": ledger.price_per_tb,
        "billing": {"min_billed_bytes": MIN_BILLED, "rounded_to_bytes": MB},
        "statements": [_statement(ledger, row) for row in ledger.rows],
        "nodes": [{"node": name, **_totals(ledger, totals)} for name, totals in ledger.nodes()],
        "total": _totals(ledger, ledger.total()),
        "not_attributed": _totals(ledger, ledger.uncommented),
        "other_invocations_in_window": ledger.other_invocations,
        "budget": {"bytes": budget.bytes, "usd": budget.usd, "over": bool(overruns), "overruns": overruns},
    }
