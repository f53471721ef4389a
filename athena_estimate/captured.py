"""The statements dbt-athena sent in the three runs, as `python -m tests.athena.capture` wrote
them: each with its run, kind, the node that sent it, and its SQL."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from athena_estimate.errors import EstimateError
from athena_ledger.billing import CHARGED_KINDS  # what Athena bills: the ledger's rule


class Run(StrEnum):
    """The runs of a capture, by their label."""

    FULL = "full-refresh"
    DAY = "incremental-day"
    NOTHING = "nothing-new"

    @property
    def label(self) -> str:
        return {Run.FULL: "full build", Run.DAY: "incremental day", Run.NOTHING: "nothing new"}[self]


_QUERY_COMMENT = re.compile(r"^[ \t]*--[^\n]*$", re.MULTILINE)


@dataclass(frozen=True)
class Statement:
    run: Run
    index: int
    kind: str
    node_id: str
    sql: str
    purpose: str | None = None
    failure: str | None = None
    execution_id: str = ""  # the stand-in's QueryExecutionId

    @property
    def charged(self) -> bool:
        """Athena bills it: a query or DML statement that did not fail."""
        return self.kind in CHARGED_KINDS and self.failure is None

    @property
    def body(self) -> str:
        """The SQL without its comment lines and trailing semicolon."""
        text = _QUERY_COMMENT.sub("", self.sql).strip()
        return text[:-1].rstrip() if text.endswith(";") else text


@dataclass(frozen=True)
class Node:
    unique_id: str
    resource_type: str
    relation: str
    materialized: str | None = None
    tests: str | None = None  # for a test: the node it tests

    @property
    def name(self) -> str:
        return self.unique_id.split(".")[-1] if self.resource_type != "test" else self.unique_id.split(".")[2]


@dataclass
class Capture:
    statements: list[Statement]
    nodes: dict[str, Node] = field(default_factory=dict)
    exposures: dict[str, list[str]] = field(default_factory=dict)
    last_day_file: str = "2019-11-30.csv"
    events: int = 0
    runs: dict[str, Any] = field(default_factory=dict)
    source: dict[str, Any] = field(default_factory=dict)  # commit and changed project files at capture

    def of(self, run: Run) -> list[Statement]:
        return [s for s in self.statements if s.run is run]

    def group(self, node_id: str) -> str:
        """The row a node's cost goes to: a model, seed or snapshot by name; a generic test under
        the node it tests ("tests on stg_events"), a singular test by name; statements of no
        node (hooks) together."""
        node = self.nodes.get(node_id)
        if not node_id:
            return "(run hooks and adapter)"
        if node is None:
            return node_id
        if node.resource_type == "test":
            tested = self.nodes.get(node.tests or "")
            return f"tests on {tested.name}" if tested is not None else f"test {node.name}"
        return node.name


def load(path: Path) -> Capture:
    try:
        document: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        raise EstimateError(f"no captured statements at {path}: run `python -m athena_estimate capture`") from None
    return from_document(document, str(path))


def from_document(document: dict[str, Any], origin: str = "the capture") -> Capture:
    """The capture in a document written by `python -m tests.athena.capture`."""
    labels = {run.value for run in Run}
    statements = [
        Statement(
            run=Run(item["run"]),
            index=int(item["index"]),
            kind=str(item["kind"]),
            node_id=str(item.get("node_id") or ""),
            sql=str(item["sql"]),
            purpose=item.get("purpose"),
            failure=item.get("failure"),
            execution_id=str(item.get("execution_id") or ""),
        )
        for item in document["statements"]
        if item["run"] in labels
    ]
    missing = labels - {s.run.value for s in statements}
    if missing:
        raise EstimateError(f"{origin} has no statements of run(s) {', '.join(sorted(missing))}")
    nodes = {
        unique_id: Node(
            unique_id=unique_id,
            resource_type=str(info["resource_type"]),
            relation=str(info["relation"]),
            materialized=info.get("materialized"),
            tests=info.get("tests"),
        )
        for unique_id, info in document.get("nodes", {}).items()
    }
    return Capture(
        statements=statements,
        nodes=nodes,
        exposures={name: list(relations) for name, relations in document.get("exposures", {}).items()},
        last_day_file=str(document.get("last_day_file", "2019-11-30.csv")),
        events=int(document.get("events", 0)),
        runs=dict(document.get("runs", {})),
        source=dict(document.get("source", {})),
    )
