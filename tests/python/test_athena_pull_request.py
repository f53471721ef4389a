"""The per-pull-request Athena run (.github/workflows/pr-athena.yml) through the conformance
stand-in: after production's builds, a pull request that changed `user_ltv` builds exactly it
and its children into its own `pr_<n>_<run>_*` schemas, reads the unchanged parents from
production (`--defer`), writes nothing outside its prefix, and its teardown (`python -m
athena_scratch drop`) leaves no database of it and production as it was."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from conftest import AthenaCapture
from tests.athena import pull_request
from tests.athena import statements as st

WRITES = {st.Kind.CTAS, st.Kind.MERGE, st.Kind.INSERT, st.Kind.DELETE}


@pytest.fixture(scope="module")
def runs(athena_capture: AthenaCapture) -> dict[str, Any]:
    """The suite's one capture (conftest's athena_capture), whose last build is the pull request's."""
    document: dict[str, Any] = json.loads(athena_capture.statements.read_text())
    document["manifest"] = json.loads((athena_capture.workdir / "manifest-pull-request.json").read_text())
    return document


def _models_downstream(manifest: dict[str, Any], unique_id: str) -> set[str]:
    """The model and every model that depends on it, by name."""
    found, pending = set(), [unique_id]
    while pending:
        node = pending.pop()
        if node in found:
            continue
        found.add(node)
        pending.extend(manifest["child_map"].get(node, []))
    return {node.split(".")[-1] for node in found if node.startswith("model.")}


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in document["statements"] if s["run"] == pull_request.LABEL]


def _tables(sql: str, kind: type[exp.Expr]) -> set[str]:
    tree = sqlglot.parse_one(st.body(sql), read="trino")
    return {f"{t.db}.{t.name}".lower() for t in tree.find_all(exp.Table) if t.db and isinstance(t, kind)}


def _written(statement: dict[str, Any]) -> str:
    tree = sqlglot.parse_one(st.body(statement["sql"]), read="trino")
    target = tree.this
    while not isinstance(target, exp.Table):
        target = target.this
    return f"{target.db}.{target.name}".lower()


@pytest.mark.dbt
def test_the_pull_request_builds_what_changed_into_its_own_schemas(runs: dict[str, Any]) -> None:
    outcome = runs["runs"][pull_request.LABEL]
    assert outcome["returncode"] == 0 and outcome["failed_nodes"] == [], outcome
    statements = _statements(runs)
    assert statements and not [s for s in statements if s["failure"]]
    built = {s["node_id"].split(".")[-1] for s in statements if s["kind"] == st.Kind.CTAS.value and s["node_id"]}
    # user_ltv and what depends on it, and nothing else (its parents are production's)
    assert built == _models_downstream(runs["manifest"], pull_request.CHANGED)
    assert {"user_ltv", "customers_by_ltv_tier", "kpi_summary"} <= built and "fact_purchases" not in built
    writes = [_written(s) for s in statements if st.Kind(s["kind"]) in WRITES]
    assert writes and all(w.startswith(pull_request.PREFIX) for w in writes), writes
    assert f"{pull_request.PREFIX}marts.user_ltv" in {w.removesuffix("__dbt_tmp") for w in writes}
    # the unchanged parent is production's table
    user_ltv = next(s for s in statements if s["kind"] == st.Kind.CTAS.value and s["node_id"].endswith(".user_ltv"))
    assert "marts.fact_purchases" in _tables(user_ltv["sql"], exp.Table)
    assert not any(
        t.startswith(pull_request.PREFIX) and "fact_purchases" in t for t in _tables(user_ltv["sql"], exp.Table)
    )


@pytest.mark.dbt
def test_the_teardown_drops_the_pull_requests_schemas_and_nothing_of_production(runs: dict[str, Any]) -> None:
    after = runs["after"]
    made = {name for name in after["databases_built"] if name.startswith(pull_request.PREFIX)}
    assert f"{pull_request.PREFIX}marts" in made and after["databases_built"][f"{pull_request.PREFIX}marts"] > 0
    assert after["teardown"]["returncode"] == 0, after["teardown"]
    assert f"dropped Glue database {pull_request.PREFIX}marts" in after["teardown"]["stdout"]
    assert after["databases_after"] == after["databases_before"]  # production's, table for table
    assert {"staging", "marts", "ecommerce_raw"} <= set(after["databases_after"])
