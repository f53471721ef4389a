"""The Athena cost ledger (`python -m athena_ledger`) against recorded Athena responses.

Athena's query history is replayed with botocore's Stubber (moto's Athena records no
statistics): one run of an incremental model (its CTAS of the temporary table, the MERGE, and
the DROP that dbt-athena sends without a query comment), a data test scanning under the 10 MB
minimum, an on-run-start hook, a failed query, another invocation's statements in the same
window, and a query older than the run, over two pages of ListQueryExecutions. The Stubber
checks every request's parameters and fails on any call it was not given, so paging past the
run's start, or a batch of more than 50 ids, fails the test.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.stub import Stubber

from athena_ledger import cli, history, statement
from athena_ledger import ledger as ledger_module
from athena_ledger.billing import MB, MIN_BILLED, billed_bytes, is_charged
from athena_ledger.errors import LedgerError
from conftest import run_dbt

REPO = Path(__file__).resolve().parents[2]
INVOCATION = "8c1e5a4e-0b7a-4d53-9a57-4f1f0f0c0a01"
OTHER = "2f9d7c11-5e55-4d8e-8d3c-1b2a3c4d5e6f"
WORKGROUP = "ecommerce-analytics"
STARTED = dt.datetime(2026, 12, 1, 6, 15, tzinfo=dt.UTC)
ELAPSED = 600.0
STG_EVENTS = "model.ecommerce_analytics.stg_events"
FACT_PURCHASES = "model.ecommerce_analytics.fact_purchases"
DATA_TEST = "test.ecommerce_analytics.not_null_stg_events_event_id.0a1b2c3d4e"


def _comment(invocation: str, node_id: str | None) -> str:
    fields: dict[str, str] = {
        "app": "dbt",
        "dbt_version": "1.11.16",
        "profile_name": "ecommerce_analytics",
        "target_name": "athena",
        "invocation_id": invocation,
    }
    if node_id is None:
        fields["connection_name"] = "master"  # on-run-start hooks: no node
    else:
        fields["node_id"] = node_id
    return f"-- /* {json.dumps(fields)} */\n"  # as dbt-athena writes it


def _execution(
    execution_id: str,
    sql: str,
    minutes: float,
    scanned: int,
    engine_ms: int,
    state: str = "SUCCEEDED",
    statement_type: str = "DML",
) -> dict[str, Any]:
    status: dict[str, Any] = {"State": state, "SubmissionDateTime": STARTED + dt.timedelta(minutes=minutes)}
    if state == "FAILED":
        reason = "COLUMN_NOT_FOUND: line 1:8: Column 'purchase_idd' cannot be resolved"
        status["StateChangeReason"] = reason
        status["AthenaError"] = {"ErrorCategory": 2, "ErrorType": 1006, "Retryable": False, "ErrorMessage": reason}
    return {
        "QueryExecutionId": execution_id,
        "Query": sql,
        "StatementType": statement_type,
        "WorkGroup": WORKGROUP,
        "Status": status,
        "Statistics": {"EngineExecutionTimeInMillis": engine_ms, "DataScannedInBytes": scanned},
    }


CTAS_SQL = "create table staging.stg_events__dbt_tmp\n    with (table_type='iceberg')\n  as\n    select 1"
MERGE_SQL = "merge into staging.stg_events as target using staging.stg_events__dbt_tmp as src on ..."
DROP_SQL = "drop table if exists `staging`.`stg_events__dbt_tmp`"  # dbt-athena sends it without a comment
TEST_SQL = "select count(*) as failures from (select 1) t"
HOOK_SQL = "create external table if not exists ecommerce_raw.event_lines (line string)"
FAILED_SQL = "select purchase_idd from marts.fact_purchases"

# Newest first, as ListQueryExecutions names them; two pages, then one that must not be read.
PAGE_1 = [
    _execution("after", _comment(OTHER, STG_EVENTS) + "select 1", 12, 4_000_000_000, 900),  # the next run
    _execution("test", _comment(INVOCATION, DATA_TEST) + TEST_SQL, 8, 2_500_000, 800),
    _execution("drop", DROP_SQL, 7, 0, 300, statement_type="DDL"),
    _execution("merge", _comment(INVOCATION, STG_EVENTS) + MERGE_SQL, 6, 734_003_201, 41_000),
]
PAGE_2 = [
    _execution("ctas", _comment(INVOCATION, STG_EVENTS) + CTAS_SQL, 4, 1_200_000_000, 95_500),
    _execution("failed", _comment(INVOCATION, FACT_PURCHASES) + FAILED_SQL, 3, 5_000_000, 1_200, state="FAILED"),
    _execution("other", _comment(OTHER, STG_EVENTS) + CTAS_SQL, 2, 9_000_000_000, 120_000),  # another run, same window
    _execution("hook", _comment(INVOCATION, None) + HOOK_SQL, 0.5, 0, 450, statement_type="DDL"),
    _execution("old", _comment(OTHER, STG_EVENTS) + MERGE_SQL, -60, 7_000_000_000, 50_000),  # before the run
]

# What the run was billed: the CTAS and the MERGE rounded up to the MB, the data test's 2.5 MB
# raised to the 10 MB minimum; the failed query, the hook's DDL and the DROP are free.
CTAS_BILLED, MERGE_BILLED = 1_200 * MB, 735 * MB
RUN_BILLED = CTAS_BILLED + MERGE_BILLED + MIN_BILLED


def _write_run_results(target: Path, invocation: str = INVOCATION, relations: dict[str, str] | None = None) -> Path:
    """dbt's run_results.json of the run; with `relations` (node -> relation_name), its results."""
    target.mkdir(parents=True, exist_ok=True)
    ended = STARTED + dt.timedelta(seconds=ELAPSED)
    metadata = {"dbt_version": "1.11.16", "generated_at": ended.isoformat().replace("+00:00", "Z"),
                "invocation_id": invocation}  # fmt: skip
    results = [
        {"unique_id": node, "status": "success", "relation_name": name} for node, name in (relations or {}).items()
    ]
    path = target / "run_results.json"
    path.write_text(json.dumps({"metadata": metadata, "results": results, "elapsed_time": ELAPSED, "args": {}}))
    return path


def _client() -> Any:
    return boto3.client("athena", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def _stub_history(stubber: Stubber) -> None:
    stubber.add_response(
        "list_query_executions",
        {"QueryExecutionIds": [e["QueryExecutionId"] for e in PAGE_1], "NextToken": "page-2"},
        {"WorkGroup": WORKGROUP, "MaxResults": 50},
    )
    stubber.add_response(
        "batch_get_query_execution",
        {"QueryExecutions": PAGE_1, "UnprocessedQueryExecutionIds": []},
        {"QueryExecutionIds": [e["QueryExecutionId"] for e in PAGE_1]},
    )
    stubber.add_response(
        "list_query_executions",
        {"QueryExecutionIds": [e["QueryExecutionId"] for e in PAGE_2], "NextToken": "page-3"},
        {"WorkGroup": WORKGROUP, "MaxResults": 50, "NextToken": "page-2"},
    )
    stubber.add_response(
        "batch_get_query_execution",
        {"QueryExecutions": PAGE_2, "UnprocessedQueryExecutionIds": []},
        {"QueryExecutionIds": [e["QueryExecutionId"] for e in PAGE_2]},
    )
    # No page-3: "old" is before the run, so the ledger stops; Stubber fails any further call.


def _run_ledger(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *extra: str, stub: bool = True) -> tuple[int, Stubber]:
    client = _client()
    stubber = Stubber(client)
    if stub:
        _stub_history(stubber)
    stubber.activate()
    monkeypatch.setattr(history, "athena_client", lambda region: client)
    code = cli.main(["--target-path", str(tmp_path / "target"), "--workgroup", WORKGROUP, *extra])
    return code, stubber


@pytest.fixture
def run_results(tmp_path: Path) -> Path:
    return _write_run_results(tmp_path / "target")


def test_the_ledger_counts_every_statement_of_the_run_and_nothing_else(monkeypatch, tmp_path, run_results, capsys):
    code, stubber = _run_ledger(monkeypatch, tmp_path)
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    stubber.assert_no_pending_responses()
    ledger = json.loads((tmp_path / "target" / "athena_ledger.json").read_text())

    statements = {row["execution_id"]: row for row in ledger["statements"]}
    assert set(statements) == {"hook", "failed", "ctas", "merge", "test"}  # not "other", "after", "old", "drop"
    assert [row["execution_id"] for row in ledger["statements"]] == ["hook", "failed", "ctas", "merge", "test"]
    assert {k: (r["node"], r["kind"], r["state"], r["billed_bytes"]) for k, r in statements.items()} == {
        "hook": ("hook", "CREATE EXTERNAL TABLE", "SUCCEEDED", 0),
        "failed": (FACT_PURCHASES, "SELECT", "FAILED", 0),
        "ctas": (STG_EVENTS, "CTAS", "SUCCEEDED", CTAS_BILLED),
        "merge": (STG_EVENTS, "MERGE", "SUCCEEDED", MERGE_BILLED),
        "test": (DATA_TEST, "SELECT", "SUCCEEDED", MIN_BILLED),
    }
    assert statements["failed"]["error"].startswith("COLUMN_NOT_FOUND")

    nodes = {row["node"]: row for row in ledger["nodes"]}
    assert [row["node"] for row in ledger["nodes"]] == [STG_EVENTS, DATA_TEST, FACT_PURCHASES, "hook"]  # by cost
    assert nodes[STG_EVENTS] == {
        "node": STG_EVENTS, "statements": 2, "failed": 0, "scanned_bytes": 1_934_003_201,
        "billed_bytes": CTAS_BILLED + MERGE_BILLED, "usd": 0.009675, "engine_ms": 136_500,
    }  # fmt: skip
    assert (nodes[FACT_PURCHASES]["failed"], nodes[FACT_PURCHASES]["scanned_bytes"]) == (1, 5_000_000)
    assert ledger["total"] == {
        "statements": 5, "failed": 1, "scanned_bytes": 1_941_503_201, "billed_bytes": RUN_BILLED,
        "usd": 0.009725, "engine_ms": 138_950,
    }  # fmt: skip
    # The DROP carries no query comment (dbt-athena leaves it off): counted apart, not in the run.
    assert (ledger["not_attributed"]["statements"], ledger["other_invocations_in_window"]) == (1, 2)
    assert ledger["budget"] == {"bytes": None, "usd": None, "over": False, "overruns": []}
    assert (ledger["invocation_id"], ledger["workgroup"], ledger["price_usd_per_tb"]) == (INVOCATION, WORKGROUP, 5.0)

    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("node "))
    assert lines[header].split() == ["node", "statements", "scanned", "MB", "billed", "MB", "USD", "engine", "s"]
    assert any(line.split()[:2] == ["test:not_null_stg_events_event_id", "1"] for line in lines)  # no hash
    assert lines[header + 2].split() == ["stg_events", "2", "1,934.0", "1,935.0", "0.0097", "136.5"]
    assert lines[header + 4].split() == ["fact_purchases", "1", "(1", "failed)", "5.0", "0.0", "0.0000", "1.2"]
    total = next(line for line in lines if line.startswith("total "))
    assert total.split() == ["total", "5", "(1", "failed)", "1,941.5", "1,945.0", "0.0097", "138.9"]
    assert any(line.startswith("Not attributed: 1 statement(s)") for line in lines)


def test_a_statement_without_comment_on_a_table_the_run_built_is_its_nodes(monkeypatch, tmp_path, capsys):
    # run_results names the tables the run built: the DROP of stg_events' temporary table,
    # received while the run ran, is stg_events' (dbt-athena sends it without a comment)
    _write_run_results(tmp_path / "target", relations={STG_EVENTS: '"awsdatacatalog"."staging"."stg_events"'})
    code, _ = _run_ledger(monkeypatch, tmp_path)
    capsys.readouterr()
    assert code == 0
    ledger = json.loads((tmp_path / "target" / "athena_ledger.json").read_text())
    drop = next(s for s in ledger["statements"] if s["execution_id"] == "drop")
    assert (drop["node"], drop["kind"], drop["attributed_by"]) == (STG_EVENTS, "DROP TABLE", "table name")
    assert {n["node"]: n["statements"] for n in ledger["nodes"]}[STG_EVENTS] == 3
    assert ledger["not_attributed"]["statements"] == 0
    assert ledger["total"]["billed_bytes"] == RUN_BILLED  # a DROP is free


def test_only_a_statement_received_during_the_run_is_attributed_by_its_table():
    generated = STARTED + dt.timedelta(seconds=ELAPSED)

    def optimize(execution_id: str, table: str, submitted: dt.datetime) -> history.Execution:
        sql = f"optimize {table} rewrite data using bin_pack where event_date = date '2019-11-30'"
        return history.Execution(execution_id, submitted, "SUCCEEDED", sql, 50 * MB, 1_000)

    def during(at: dt.datetime) -> bool:
        return STARTED - dt.timedelta(seconds=2) <= at <= generated + dt.timedelta(seconds=2)

    found = ledger_module.build(
        INVOCATION,
        [
            optimize("in-run", "staging.stg_events", generated - dt.timedelta(seconds=30)),
            optimize("just-after", "staging.stg_events", generated + dt.timedelta(seconds=1)),
            optimize("next-run", "staging.stg_events", generated + dt.timedelta(seconds=3)),
            optimize("other-table", "marts.fact_sessions", generated - dt.timedelta(seconds=30)),
        ],
        5.0,
        {"staging.stg_events": STG_EVENTS},
        during,
    )
    assert [(r.execution.execution_id, r.node, r.by_table) for r in found.rows] == [
        ("in-run", STG_EVENTS, True), ("just-after", STG_EVENTS, True),
    ]  # fmt: skip
    assert (found.uncommented.statements, found.uncommented.billed) == (2, 2 * 50 * MB)


@pytest.mark.parametrize(
    ("sql", "table"),
    [
        ("drop table if exists `staging`.`stg_events__dbt_tmp`", "staging.stg_events"),
        ('alter table "marts"."kpi_summary__ha" rename to "marts"."kpi_summary"', "marts.kpi_summary"),
        ("optimize awsdatacatalog.staging.stg_events rewrite data using bin_pack", "staging.stg_events"),
        ("VACUUM snapshots.product_attributes", "snapshots.product_attributes"),
        ("msck repair table ecommerce_raw.event_lines", "ecommerce_raw.event_lines"),
        ("select * from staging.stg_events", None),
        ("drop table x", None),
    ],
)
def test_the_table_a_statement_without_comment_acts_on(sql: str, table: str | None) -> None:
    assert statement.target_table(sql) == table


def test_top_shows_the_most_expensive_nodes_and_folds_the_rest_into_one_line(
    monkeypatch, tmp_path, run_results, capsys
):
    code, _ = _run_ledger(monkeypatch, tmp_path, "--top", "1")
    out, _ = capsys.readouterr()
    assert code == 0
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("node "))
    assert lines[header + 2].split()[0] == "stg_events"
    folded = lines[header + 3].split()
    nodes = json.loads((tmp_path / "target" / "athena_ledger.json").read_text())["nodes"]
    rest = nodes[1:]
    assert folded[:4] == [str(len(rest)), "other", "nodes", str(sum(n["statements"] for n in rest))]
    assert folded[-3] == f"{sum(n['billed_bytes'] for n in rest) / 1e6:,.1f}"
    total = next(line for line in lines if line.startswith("total "))
    assert total.split()[1] == "5"  # the total is the run's, whatever is shown
    assert len(nodes) > 2  # the JSON keeps every node


def test_the_price_per_tb_and_the_output_path_are_the_callers(monkeypatch, tmp_path, run_results):
    out = tmp_path / "elsewhere.json"
    code, _ = _run_ledger(monkeypatch, tmp_path, "--price-per-tb", "6.25", "--out", str(out))
    assert code == 0
    ledger = json.loads(out.read_text())
    assert (ledger["price_usd_per_tb"], ledger["total"]["usd"]) == (6.25, round(RUN_BILLED / 1e12 * 6.25, 6))
    assert not (tmp_path / "target" / "athena_ledger.json").exists()


@pytest.mark.parametrize(
    ("budget", "expected"),
    [
        (["--budget-bytes", str(RUN_BILLED)], 0),
        (["--budget-bytes", str(RUN_BILLED - 1)], 1),
        (["--budget-usd", "0.009725"], 0),
        (["--budget-usd", "0.0097"], 1),
        (["--budget-bytes", str(RUN_BILLED), "--budget-usd", "0.0097"], 1),
    ],
)
def test_a_run_over_its_budget_exits_1_with_one_line(monkeypatch, tmp_path, run_results, capsys, budget, expected):
    code, _ = _run_ledger(monkeypatch, tmp_path, *budget)
    out, err = capsys.readouterr()
    assert code == expected
    ledger = json.loads((tmp_path / "target" / "athena_ledger.json").read_text())
    assert ledger["budget"]["over"] is bool(expected)
    if expected:
        assert len(err.strip().splitlines()) == 1
        assert err.startswith("athena_ledger: over budget: ")
    else:
        assert err == ""
    assert "total " in out  # the table is printed either way


def test_a_missing_run_results_is_one_sentence(monkeypatch, tmp_path, capsys):
    code, _ = _run_ledger(monkeypatch, tmp_path, stub=False)
    out, err = capsys.readouterr()
    assert code == 2
    assert err.count("\n") == 1
    assert "No " in err and "run_results.json" in err and "Traceback" not in err
    assert out == ""


def test_athena_refusing_is_one_sentence(monkeypatch, tmp_path, run_results, capsys):
    client = _client()
    stubber = Stubber(client)
    stubber.add_client_error("list_query_executions", "AccessDeniedException", "not authorized to ListQueryExecutions")
    stubber.activate()
    monkeypatch.setattr(history, "athena_client", lambda region: client)
    code = cli.main(["--target-path", str(tmp_path / "target"), "--workgroup", WORKGROUP])
    _, err = capsys.readouterr()
    assert code == 2
    assert err == (
        f"athena_ledger: Athena refused ListQueryExecutions in workgroup {WORKGROUP}: "
        "AccessDeniedException: not authorized to ListQueryExecutions.\n"
    )


def test_a_run_results_that_is_not_dbts_is_one_sentence(monkeypatch, tmp_path, capsys):
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "run_results.json").write_text('{"results": []}')
    code, _ = _run_ledger(monkeypatch, tmp_path, stub=False)
    assert code == 2
    assert capsys.readouterr().err == (
        f"athena_ledger: {tmp_path / 'target' / 'run_results.json'} has no metadata.invocation_id: "
        "is it dbt's run_results.json?\n"
    )


def test_ids_are_described_50_at_a_time():
    client = _client()
    ids = [f"q{i:03}" for i in range(120)]
    with Stubber(client) as stubber:
        for first in (0, 50, 100):
            chunk = ids[first : first + 50]
            stubber.add_response(
                "batch_get_query_execution",
                {"QueryExecutions": [_execution(i, "select 1", 1, 1, 1) for i in chunk]},
                {"QueryExecutionIds": chunk},
            )
        assert [e.execution_id for e in history._describe(client, ids)] == ids
        stubber.assert_no_pending_responses()


def test_an_execution_athena_could_not_describe_is_an_error():
    client = _client()
    with Stubber(client) as stubber:
        stubber.add_response(
            "batch_get_query_execution",
            {"QueryExecutions": [], "UnprocessedQueryExecutionIds": [
                {"QueryExecutionId": "q1", "ErrorCode": "InternalServerException", "ErrorMessage": "try again"}]},
            {"QueryExecutionIds": ["q1"]},
        )  # fmt: skip
        with pytest.raises(LedgerError, match=r"could not describe 1 execution\(s\), e.g. q1: try again"):
            history._describe(client, ["q1"])


def test_billing_rounds_up_to_the_mb_with_a_10_mb_minimum_and_spares_ddl_and_failures():
    assert billed_bytes(0) == billed_bytes(1) == billed_bytes(10 * MB) == MIN_BILLED == 10 * MB
    assert billed_bytes(10 * MB + 1) == 11 * MB
    assert billed_bytes(734_003_201) == 735 * MB
    assert is_charged("SELECT", failed=False) and is_charged("MERGE", failed=False)
    assert not is_charged("SELECT", failed=True, scanned=5 * MB)
    assert not is_charged("CREATE EXTERNAL TABLE", failed=False) and not is_charged("DROP TABLE", failed=False)
    assert is_charged("DELETE", failed=False, scanned=1)  # an Iceberg DELETE scans what it rewrites


@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        ("-- /* {} */\ncreate table a.b__dbt_tmp\n  with (format='parquet')\n  as select 1", "CTAS"),
        ("create table a.b as select 1", "CTAS"),
        ("-- /* {} */\n  create table if not exists a.b (x int) location 's3://b/'", "CREATE TABLE (DDL)"),
        ("merge into a.b as target using c", "MERGE"),
        ("-- a line\n/* a block */ with x as (select 1) select * from x", "SELECT"),
        ("delete from a.b where d >= date '2019-11-01'", "DELETE"),
        ("insert into a.b select 1", "INSERT"),
        ("drop table if exists `a`.`b`", "DROP TABLE"),
        ("alter table a.b rename to a.c", "ALTER TABLE RENAME"),
        ("optimize a.b rewrite data using bin_pack", "OPTIMIZE/VACUUM"),
        ("vacuum a.b", "OPTIMIZE/VACUUM"),
        ("create or replace view a.v as select 1", "CREATE VIEW"),
        ("create schema if not exists a", "CREATE SCHEMA"),
        ("show tables", "SHOW/DESCRIBE"),
        ("unload (select 1) to 's3://b/'", "OTHER"),
    ],
)
def test_statement_kinds_are_named_as_the_conformance_harness_names_them(sql, kind):
    assert statement.kind(sql) == kind


def test_statements_are_attributed_to_their_node_or_to_the_hooks():
    assert statement.node_of({"node_id": STG_EVENTS}) == STG_EVENTS
    assert statement.node_of({"connection_name": "master"}) == "hook"  # on-run-start/end
    assert statement.node_of({"node_id": "operation.ecommerce_analytics.ecommerce_analytics-on-run-start-0"}) == "hook"
    assert statement.node_of({"connection_name": "list_awsdatacatalog_staging"}) == "dbt:list_awsdatacatalog_staging"
    sql = _comment(INVOCATION, STG_EVENTS) + "select 1"
    assert statement.query_comment(sql)["invocation_id"] == INVOCATION
    assert statement.query_comment("select 1\n-- /* " + json.dumps({"node_id": "x"}) + " */;") == {"node_id": "x"}
    assert statement.query_comment("select 1 -- no comment of dbt's") == {}


def test_the_project_query_comment_carries_the_invocation_id():
    project = (REPO / "dbt_project.yml").read_text()
    assert (
        '\nquery-comment:\n  comment: "{{ invocation_query_comment(node, connection_name) }}"\n  append: false\n'
        in project
    )
    macro = (REPO / "macros" / "query_comment.sql").read_text()
    for field in ("'app'", "'dbt_version'", "'profile_name'", "'target_name'", "'invocation_id': invocation_id",
                  "node_id=node.unique_id", "connection_name=connection_name"):  # fmt: skip
        assert field in macro


@pytest.mark.dbt
def test_dbt_sends_the_invocation_id_of_its_run_results(tmp_path):
    """Through real dbt on DuckDB: every statement's comment names the run's invocation id."""
    result = run_dbt("show", tmp_path / "raw", tmp_path, "--inline", "select 1 as a", "--log-level-file", "debug")
    assert result.returncode == 0, result.stdout[-2000:]
    invocation = json.loads((tmp_path / "target" / "run_results.json").read_text())["metadata"]["invocation_id"]
    log = (tmp_path / "logs" / "dbt.log").read_text()
    comments = [json.loads(found) for found in re.findall(r'/\* (\{"app": "dbt".*?\}) \*/', log)]
    assert comments, "dbt logged no statement with a query comment"
    assert {c.get("invocation_id") for c in comments} == {invocation}
    assert "sql_operation.ecommerce_analytics.inline_query" in {c.get("node_id") for c in comments}


def test_the_deploy_runs_the_ledger_after_each_build_and_keeps_its_json():
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "deploy.yml").read_text())
    steps = workflow["jobs"]["deploy"]["steps"]
    names = [step.get("name") for step in steps]
    ledger_at = next(i for i, step in enumerate(steps) if "-m athena_ledger" in str(step.get("run")))
    ledger = steps[ledger_at]
    builds = [i for i, step in enumerate(steps) if str(step.get("run", "")).startswith(".venv/bin/dbt build")]
    assert len(builds) == 2 and max(builds) < ledger_at < names.index("Keep dbt's logs and run results")
    assert "always()" in ledger["if"]  # also after a failed build
    for build in builds:
        assert f"steps.{steps[build]['id']}.outcome == 'failure'" in ledger["if"]
    run = ledger["run"]
    assert ".venv/bin/python -m athena_ledger --target-path target --out target/athena_ledger.json" in run
    assert '>> "$GITHUB_STEP_SUMMARY"' in run
    upload = steps[names.index("Keep dbt's logs and run results")]
    assert "target/athena_ledger.json" in upload["with"]["path"].split()


def test_the_deploy_role_may_read_the_workgroups_query_history():
    template = yaml.safe_load((REPO / "infra" / "ecommerce-analytics.yaml").read_text())
    statements = template["Resources"]["DbtPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    workgroup = next(s for s in statements if s.get("Sid") == "AthenaWorkGroup")
    assert {"athena:ListQueryExecutions", "athena:BatchGetQueryExecution"} <= set(workgroup["Action"])
    assert "workgroup/" in workgroup["Resource"]["Fn::Sub"]
    role = template["Resources"]["DeployRole"]["Properties"]
    assert {"Ref": "DbtPolicy"} in role["ManagedPolicyArns"]
