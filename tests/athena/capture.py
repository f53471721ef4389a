"""`python -m tests.athena.capture --out statements.json`: the SQL dbt-athena sends for a full
build, an incremental day and a run with nothing new, captured by the conformance stand-in
(tests/athena/harness.py) and written to JSON for `python -m athena_estimate`.

A query that steers an incremental model (`select max(loaded_in_run) from <model>`, the days or
files its parent changed) is answered from the DuckDB state a real Athena would be in at that
moment, with one more day landed between the full and the incremental run, as production does:

1. generated per-day files, all but the last day landed, a DuckDB build (state *before*);
   `dbt build --full-refresh --target athena` through the stand-in;
2. the last day landed, an incremental DuckDB build (state *after*); `dbt build --target
   athena` where a query that reads only the running model's own table (its watermark, the
   raw files it already read) is answered from *before* (the model has not run yet) and any
   other query from *after* (its parents have);
3. `dbt build --target athena` again, everything answered from *after*: nothing new.

Unit tests are left out of the builds, as in the deploy workflow. `--vacuum` adds the weekly
housekeeping run, `--pull-request` a pull request's slim build and its teardown after the others
(tests/athena/pull_request.py), `--conformance` the unit tests and source freshness checks last
and a frozen reference of state *before* (for tests/python/test_athena_conformance.py), `--bill`
each of the three runs' cost ledger read back (tests/athena/bill.py). The test suite makes one
capture with all four (tests/python/conftest.py, athena_capture).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlglot import exp

from tests import dbt_forkserver
from tests.athena import bill, harness, pull_request
from tests.athena import statements as st
from tests.athena.moto_athena import Captured, MotoAthena, StatementHook
from tests.athena.reference import DuckDBReference, parse_trino, relations

LAST_DAY_FILE = "2019-11-30.csv"
RUNS = ("full-refresh", "incremental-day", "nothing-new")
# With capture(vacuum=True), a fourth run: the weekly housekeeping build (OPTIMIZE and VACUUM of
# every incremental table, macros/cross_engine/iceberg_housekeeping.sql), answered from *after*.
VACUUM_RUN = "vacuum"
VACUUM_ARGS = ["--vars", "{iceberg_vacuum: true}"]
_BUILD_ARGS = ["build", "--exclude", "test_type:unit"]
# With capture(conformance=True), after the others: the unit tests (apart, as the deploy runs them:
# dbt-athena builds a unit test's relation as a Hive table) and the source freshness checks, both
# answered from *after*; and a reference of the *before* state, frozen, for the conformance test's
# differential check of the full refresh's SELECTs (tests/python/test_athena_conformance.py).
CONFORMANCE_RUNS = {"unit-tests": ["test", "--select", "test_type:unit"], "freshness": ["source", "freshness"]}
CONFORMANCE_REFERENCE = "reference-conformance"

_current = threading.local()  # the node whose statement the stand-in is answering, per thread


class _NodeAwareHook(StatementHook):
    """The stand-in's hook, remembering which node sent the query being answered."""

    def _answer(self, backend: Any, captured: Captured, results_class: Any, tree: exp.Expr | None) -> None:
        _current.node_id = captured.node_id
        try:
            super()._answer(backend, captured, results_class, tree)
        finally:
            _current.node_id = ""


class BeforeAndAfter(DuckDBReference):
    """The *after* DuckDB build, except that the running model's own table is as it was
    *before* (the model has not run yet): a query reading only that table is answered from
    the *before* build, and one that also reads other tables (the raw-reading models join
    their own table with the landing manifest) from *after* with that one table swapped for
    its *before* rows for the time of the query."""

    def __init__(self, after: Path, workdir: Path, manifest: dict[str, Any], before: DuckDBReference) -> None:
        super().__init__(after, workdir, manifest)
        self.before = before
        self._exports = workdir / "before-tables"
        self._swap = threading.Lock()  # a swapped table must not be seen by another thread's query

    def answer(self, trino_sql: str | exp.Expr) -> Any:
        statement = parse_trino(trino_sql) if isinstance(trino_sql, str) else trino_sql
        own = self.node_relation(str(getattr(_current, "node_id", "")))
        read = relations(statement)
        with self._swap:
            if own is None or own not in read:
                return super().answer(statement)
            if read == {own}:
                return self.before.answer(statement)
            with self._as_before(own):
                return super().answer(statement)

    @contextmanager
    def _as_before(self, relation: tuple[str, str]) -> Iterator[None]:
        schema, table = relation
        exported = self._exports / f"{schema}__{table}.parquet"
        if not exported.exists():
            self._exports.mkdir(parents=True, exist_ok=True)
            self.before.execute(f'copy (select * from "{schema}"."{table}") to \'{exported}\' (format parquet)')
        self.execute(f'alter table "{schema}"."{table}" rename to "{table}__after"')
        self.execute(f'create table "{schema}"."{table}" as select * from read_parquet(\'{exported}\')')
        try:
            yield
        finally:
            self.execute(f'drop table "{schema}"."{table}"')
            self.execute(f'alter table "{schema}"."{table}__after" rename to "{table}"')


def _run(command: list[str], env: dict[str, str] | None = None) -> None:
    if Path(command[0]).name == "dbt" and env is not None:
        result = dbt_forkserver.run(command, env, os.getcwd())
    else:
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}")


def _ingest(*args: str | Path) -> None:
    _run([sys.executable, "-m", "ingest", *map(str, args)])


def _duckdb_build(raw: Path, workdir: Path, database: Path) -> dict[str, Any]:
    """`dbt build` on DuckDB (local target) over `raw` into `database`; its manifest. The build
    gives the tables the stand-in answers from, the Athena runs' data and unit tests included, so
    it leaves its own tests out: on DuckDB they are the rest of the suite's job."""
    profiles = workdir / "profiles"
    profiles.mkdir(parents=True, exist_ok=True)
    shutil.copy(harness.REPO / "profiles.yml.example", profiles / "profiles.yml")
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(profiles),
        "ECOM_RAW_DIR": str(raw),
        "ECOM_DUCKDB_PATH": str(database),
        "DBT_TARGET": "local",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    dbt = str(Path(sys.executable).with_name("dbt"))
    target = workdir / "duckdb-target"
    _run([dbt, "build", "--project-dir", str(harness.REPO), "--target-path", str(target),
          "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test",
          "--log-path", str(workdir / "duckdb-logs"), "--log-level-file", "debug"], env)  # fmt: skip
    manifest: dict[str, Any] = json.loads((target / "manifest.json").read_text())
    return manifest


def _statement(captured: Captured) -> dict[str, Any]:
    return {
        "run": captured.run,
        "index": captured.index,
        "execution_id": captured.execution_id,
        "kind": captured.kind.value,
        "node_id": captured.node_id,
        "purpose": captured.purpose.value if captured.purpose is not None else None,
        "failure": captured.failure,
        "sql": captured.sql,
    }


def captured_from_json(item: dict[str, Any]) -> Captured:
    """A statement of the document as the stand-in recorded it (the inverse of _statement)."""
    return Captured(
        index=item["index"],
        execution_id=item["execution_id"],
        run=item["run"],
        sql=item["sql"],
        kind=st.Kind(item["kind"]),
        node_id=item["node_id"],
        purpose=st.Purpose(item["purpose"]) if item["purpose"] is not None else None,
        failure=item["failure"],
    )


def _freeze_before(workdir: Path, database: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """The *before* build as a reference whose raw files and manifest do not move on with the
    next landing; where it is, and the local raw root Athena's raw URI stands for."""
    frozen = DuckDBReference(database, workdir / CONFORMANCE_REFERENCE, manifest, harness.RAW_URI)
    try:
        frozen.freeze_sources()
        raw_roots = frozen.raw_roots
    finally:
        frozen.close()
    return {"database": str(frozen.path), "raw_roots": list(raw_roots) if raw_roots is not None else None}


def _nodes(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What the estimate needs of each node: its relation, and the model a generic test tests."""
    found = {}
    for unique_id, node in manifest.get("nodes", {}).items():
        if node["resource_type"] not in ("model", "seed", "snapshot", "test"):
            continue
        found[unique_id] = {
            "resource_type": node["resource_type"],
            "relation": f"{node['schema']}.{node.get('alias') or node['name']}".lower(),
            "materialized": node["config"].get("materialized"),
            "partitioned_by": node["config"].get("partitioned_by"),
            "tests": node.get("attached_node"),  # a generic test's model; None for a singular test
        }
    return found


def _exposures(manifest: dict[str, Any]) -> dict[str, list[str]]:
    """Each exposure's models, as relations."""
    nodes = manifest.get("nodes", {})
    return {
        exposure["name"]: [
            f"{nodes[d]['schema']}.{nodes[d].get('alias') or nodes[d]['name']}".lower()
            for d in exposure.get("depends_on", {}).get("nodes", [])
            if d in nodes
        ]
        for exposure in manifest.get("exposures", {}).values()
    }


def _source_state() -> dict[str, Any]:
    """The commit, and the files of the dbt project that differ from it: the SQL captured is
    that of the work tree."""

    def git(*args: str) -> str:  # read-only: no optional locks, so the index is never refreshed
        result = subprocess.run(
            ["git", "--no-optional-locks", *args], cwd=harness.REPO, capture_output=True, text=True, check=False
        )
        # rstrip only: a porcelain line starts with its status columns, a space included
        return result.stdout.rstrip() if result.returncode == 0 else ""

    project = ["models", "macros", "snapshots", "seeds", "tests", "dbt_project.yml", "selectors.yml"]
    changed = [line[3:] for line in git("status", "--porcelain", "--", *project).splitlines()]
    # Python files under tests/ are not part of the dbt project (its tests are SQL and YAML)
    return {"commit": git("rev-parse", "--short", "HEAD"), "changed": [p for p in changed if not p.endswith(".py")]}


def capture(
    workdir: Path,
    events: int,
    seed: int,
    vacuum: bool = False,
    bills: bool = False,
    sizes: Path | None = None,
    after_runs: Callable[[MotoAthena, Path, list[harness.DbtRun]], dict[str, Any]] | None = None,
    conformance: bool = False,
) -> dict[str, Any]:
    """The three runs' statements (and each run's outcome) as a JSON-ready document; with
    `vacuum`, a fourth run with the weekly housekeeping on; with `bills`, each run's cost ledger
    read from the stand-in with the estimate's bytes (tests/athena/bill.py), from the Parquet
    sizes of the capture's warehouse or of `sizes`; with `after_runs`, what it returns (it may run
    more builds, appended to the runs, e.g. tests/athena/pull_request.py) as "after"; with
    `conformance`, the CONFORMANCE_RUNS last and the frozen *before* reference as "conformance"."""
    source = _source_state()
    generated, held_back, raw = workdir / "generated", workdir / "held-back", workdir / "raw"
    generate = ["--out", generated, "--events", events, "--seed", seed, "--per-day", "--no-expected"]
    _run([sys.executable, "-m", "synthetic_events", *map(str, generate)])
    held_back.mkdir()
    shutil.move(generated / LAST_DAY_FILE, held_back / LAST_DAY_FILE)
    _ingest("land", "--source", generated, "--dest", raw)
    database = workdir / "warehouse.duckdb"
    manifest = _duckdb_build(raw, workdir, database)
    before = DuckDBReference(database, workdir / "reference-before", manifest)
    references = [before]
    runs: list[harness.DbtRun] = []
    try:
        with MotoAthena(before) as aws:
            aws.hook.uninstall()
            aws.hook = _NodeAwareHook(before, aws.account)
            aws.hook.install()
            harness.prepare(aws)
            runs.append(harness.dbt_athena(aws, workdir, RUNS[0], *_BUILD_ARGS, "--full-refresh"))
            frozen = _freeze_before(workdir, database, manifest) if conformance else None
            _ingest("land", "--source", held_back, "--dest", raw)
            manifest = _duckdb_build(raw, workdir, database)
            after = DuckDBReference(database, workdir / "reference-after", manifest)
            hybrid = BeforeAndAfter(database, workdir / "reference-hybrid", manifest, before)
            references += [after, hybrid]
            aws.hook.reference = hybrid
            runs.append(harness.dbt_athena(aws, workdir, RUNS[1], *_BUILD_ARGS))
            aws.hook.reference = after
            runs.append(harness.dbt_athena(aws, workdir, RUNS[2], *_BUILD_ARGS))
            if vacuum:
                runs.append(harness.dbt_athena(aws, workdir, VACUUM_RUN, *_BUILD_ARGS, *VACUUM_ARGS))
            found_after = after_runs(aws, workdir, runs) if after_runs is not None else None
            if conformance:
                aws.hook.reference = after
                runs += [harness.dbt_athena(aws, workdir, label, *args) for label, args in CONFORMANCE_RUNS.items()]
            document = _document(source, raw, events, runs)
            document["stand_in"] = {
                "seen_by_moto": aws.statements_seen_by_moto(),
                "synthetic_test_rows": aws.hook.synthetic_test_rows,
                "hook_seconds": round(aws.hook.seconds, 1),
            }
            if found_after is not None:
                document["after"] = found_after
            if frozen is not None:
                document["conformance"] = frozen
            if bills:
                document["bills"] = bill.bill(aws, document, workdir, database, raw, sizes)
    finally:
        for reference in references:
            reference.close()
    return document


def _document(source: dict[str, Any], raw: Path, events: int, runs: list[harness.DbtRun]) -> dict[str, Any]:
    production = next(run for run in runs if run.label == RUNS[-1])  # not a pull request's schemas
    return {
        "source": source,
        "raw_root": str(raw),
        "last_day_file": LAST_DAY_FILE,
        "events": events,
        "nodes": _nodes(production.manifest),
        "exposures": _exposures(production.manifest),
        "runs": {
            run.label: {"returncode": run.returncode, "failed_nodes": run.failed_nodes(), "seconds": round(run.seconds)}
            for run in runs
        },
        "statements": [_statement(captured) for run in runs for captured in run.statements],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.athena.capture", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="JSON file to write the statements to")
    parser.add_argument("--events", type=int, default=20_000, help="events to generate (small: the SQL is the point)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, help="keep the work here (default: a temporary folder)")
    parser.add_argument("--bill", action="store_true", help="also each run's cost ledger, with the estimate's bytes")
    parser.add_argument("--sizes", type=Path, help="with --bill: sizes JSON to estimate with (default: measure)")
    parser.add_argument("--vacuum", action="store_true", help="a fourth run: the weekly housekeeping build")
    parser.add_argument(
        "--pull-request", action="store_true", help="then a pull request's slim build and teardown (pull_request.py)"
    )
    parser.add_argument(
        "--conformance", action="store_true", help="then the unit tests and source freshness, and a frozen reference"
    )
    args = parser.parse_args(argv)

    def capture_in(workdir: Path) -> dict[str, Any]:
        then = pull_request.run if args.pull_request else None
        return capture(
            workdir,
            args.events,
            args.seed,
            args.vacuum,
            args.bill,
            args.sizes,
            after_runs=then,
            conformance=args.conformance,
        )

    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=False)
        document = capture_in(args.workdir)
    else:
        with tempfile.TemporaryDirectory(prefix="athena-capture-") as folder:
            document = capture_in(Path(folder))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=1))
    # the conformance test judges the unit tests' and freshness checks' outcomes (some fail on purpose)
    judged = {label: run for label, run in document["runs"].items() if label not in CONFORMANCE_RUNS}
    failed = {label: run for label, run in judged.items() if run["returncode"] != 0 or run["failed_nodes"]}
    print(f"{len(document['statements'])} statements of {len(document['runs'])} runs written to {args.out}")
    for label, run in failed.items():
        print(f"warning: run {label} did not succeed: {run['failed_nodes'][:5]}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
