"""An in-process moto server standing in for S3, Glue and Athena, with a hook on Athena's
StartQueryExecution that records every statement and plays the part of the catalog.

moto executes no SQL: every query "succeeds" with no rows, and a CTAS leaves nothing in Glue.
dbt-athena, however, reads Glue after its statements (GetTable, GetTables, GetTableVersions,
column lists for MERGE), so without help the second, incremental `dbt build` could not take
the adapter's real incremental path. The hook therefore does, openly and nothing more:

- refuses, as Athena does, a write that fills more than 100 partitions of its table, counting
  them on the DuckDB build (tests/athena/partition_writers.py);
- mirrors each statement's effect on the catalog into moto's Glue backend, and fails the
  statements Athena would fail for catalog reasons, with the reason in the execution's
  StateChangeReason (tests/athena/glue_mirror.py);
- answers the SELECTs whose rows dbt reads: synthetic test rows, contract probes, result
  markers, and the DuckDB build's rows for the same SQL transpiled (tests/athena/answers.py).

This module holds the server (MotoAthena, RunLog) and the hook's installation and dispatch
(StatementHook). Each stand-in runs in a moto account of its own (credentials from an STS
assumed role) and deletes its buckets when it stops, so other tests that use moto in this
process see none of it.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import boto3
import sqlglot
from sqlglot import exp

from tests.athena import query_history
from tests.athena import statements as st
from tests.athena.answers import Answers
from tests.athena.captured import AthenaWouldFail, Captured
from tests.athena.glue_mirror import GlueMirror
from tests.athena.partition_writers import PartitionWriters
from tests.athena.reference import DuckDBReference

__all__ = ["REGION", "AthenaWouldFail", "Captured", "MotoAthena", "RunLog", "StatementHook"]

REGION = "us-east-1"
_accounts = itertools.count(424242420001)  # never moto's default account (123456789012)


def _new_account() -> str:
    """A moto account of its own for each stand-in: moto's state is global to the process, so
    other tests that use moto, and other stand-ins, never see this one's buckets and tables."""
    return str(next(_accounts))


# ------------------------------------------------------------------ the hook


class StatementHook:
    """Wraps moto's AthenaBackend.start_query_execution while installed; acts only on requests of
    its account (a failure reason reaches GetQueryExecution through tests/athena/query_history.py).
    Each statement goes to the open-writers limit (tests/athena/partition_writers.py), the Glue
    mirror, then to the answers (`_answer`, which a subclass may wrap)."""

    def __init__(self, reference: DuckDBReference, account: str) -> None:
        self.account = account
        self.mirror = GlueMirror(reference, account, REGION)
        self.answers = Answers(reference)
        self.partition_writers = PartitionWriters(reference)
        self.statements: list[Captured] = []
        self.run = ""
        self.seconds = 0.0  # time spent in the hook, reported with the run time
        self._lock = threading.RLock()  # moto serves requests on several threads
        self._originals: list[tuple[Any, str, Any]] = []

    @property
    def reference(self) -> DuckDBReference:
        """The DuckDB build the mirror takes CTAS columns from and the answers their rows."""
        return self.answers.reference

    @reference.setter
    def reference(self, reference: DuckDBReference) -> None:
        self.mirror.reference = reference
        self.answers.reference = reference
        self.partition_writers.reference = reference

    @property
    def synthetic_test_rows(self) -> int:
        return self.answers.synthetic_test_rows

    # -- installation

    def install(self) -> None:
        from moto.athena.models import AthenaBackend, QueryResults

        hook = self
        original_start = AthenaBackend.start_query_execution

        def start_query_execution(backend: Any, query: str, *args: Any, **kwargs: Any) -> str:
            execution_id: str = original_start(backend, query, *args, **kwargs)
            if backend.account_id == hook.account:
                hook._on_statement(backend, execution_id, query, QueryResults)
            return execution_id

        self._originals = [
            (AthenaBackend, "start_query_execution", original_start),
        ]
        setattr(AthenaBackend, "start_query_execution", start_query_execution)  # noqa: B010 (a patch, typed loosely)

    def uninstall(self) -> None:
        for owner, name, original in self._originals:
            setattr(owner, name, original)
        self._originals = []

    # -- one statement

    def _on_statement(self, backend: Any, execution_id: str, query: str, results_class: Any) -> None:
        started = time.perf_counter()
        try:
            self._handle(backend, execution_id, query, results_class)
        finally:
            elapsed = time.perf_counter() - started
            self.seconds += elapsed
            last = self.statements[-1] if self.statements else None
            if last is not None:
                last.seconds = elapsed

    def _handle(self, backend: Any, execution_id: str, query: str, results_class: Any) -> None:
        with self._lock:
            kind = st.classify(query)
            captured = Captured(
                index=len(self.statements),
                execution_id=execution_id,
                run=self.run,
                sql=query,
                kind=kind,
                node_id=str(st.query_comment(query).get("node_id", "")),
            )
            self.statements.append(captured)
            try:
                # Trino statements are parsed once here; the catalog and the answers share the tree.
                # (OPTIMIZE/VACUUM are not Trino's grammar: st.parse_maintenance reads them)
                trino = kind.engine is st.Engine.TRINO and kind is not st.Kind.MAINTENANCE
                tree = _parse_trino_or_none(st.body(query)) if trino else None
                self.partition_writers.check(captured, tree)
                self.mirror.apply(captured, tree)
                self.partition_writers.after(captured)
                self._answer(backend, captured, results_class, tree)
            except AthenaWouldFail as failure:
                captured.failure = str(failure)
            except Exception as error:  # a bug of the harness: fail the statement, never answer HTTP 500
                captured.failure = f"harness error: {type(error).__name__}: {error}"
            if captured.failure:
                execution = backend.executions[execution_id]
                execution.status = "FAILED"
                setattr(execution, query_history.FAILURE_ATTRIBUTE, captured.failure)

    def _answer(self, backend: Any, captured: Captured, results_class: Any, tree: exp.Expr | None) -> None:
        """Serve the statement's result rows (tests/athena/capture.py wraps this)."""
        self.answers.answer(backend, captured, results_class, tree)


def _parse_trino_or_none(sql: str) -> exp.Expr | None:
    try:
        return sqlglot.parse_one(sql, read="trino")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return None


# ------------------------------------------------------------------ the server


@dataclass
class RunLog:
    """The statements of one dbt invocation."""

    label: str
    statements: list[Captured] = field(default_factory=list)

    def by_kind(self) -> Counter[str]:
        return Counter(s.kind.value for s in self.statements)


class MotoAthena:
    """The moto server on loopback, the hook, and the AWS state a dbt-athena run expects."""

    def __init__(self, reference: DuckDBReference) -> None:
        from moto.server import ThreadedMotoServer

        # werkzeug logs one line per request; hundreds of them would bury pytest's output
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.account = _new_account()
        self.hook = StatementHook(reference, self.account)
        self.url = ""
        self.credentials: dict[str, str] = {}
        self._uninstall_history: Callable[[], None] = lambda: None

    def __enter__(self) -> MotoAthena:
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        self.hook.install()
        self._uninstall_history = query_history.install()
        # Credentials of a role in this stand-in's account: moto routes every request made with
        # them there (moto looks the access key up among the roles it handed out).
        sts = boto3.client(
            "sts",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        role = f"arn:aws:iam::{self.account}:role/dbt-athena-conformance"
        assumed = sts.assume_role(RoleArn=role, RoleSessionName="dbt-athena-conformance")["Credentials"]
        self.credentials = {
            "AWS_ACCESS_KEY_ID": assumed["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": assumed["SecretAccessKey"],
            "AWS_SESSION_TOKEN": assumed["SessionToken"],
        }
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._delete_buckets()  # bucket names are global across moto accounts, as on AWS
        finally:
            self.hook.uninstall()
            self._uninstall_history()
            self._server.stop()

    def _delete_buckets(self) -> None:
        s3 = self.client("s3")
        for bucket in s3.list_buckets().get("Buckets", []):
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket["Name"]):
                for item in page.get("Contents", []):
                    s3.delete_object(Bucket=bucket["Name"], Key=item["Key"])
            s3.delete_bucket(Bucket=bucket["Name"])

    def client(self, service: str) -> Any:
        # (boto3's stubs only type clients of literal service names)
        return cast(Any, boto3).client(
            service,
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=self.credentials["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.credentials["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=self.credentials["AWS_SESSION_TOKEN"],
        )

    def env(self, **extra: str) -> dict[str, str]:
        """AWS settings of a dbt process that talks to this server only."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_EC2_METADATA_DISABLED": "true",
            **self.credentials,
            **extra,
        }

    @contextmanager
    def run(self, label: str) -> Iterator[RunLog]:
        """Label the statements received inside the block with the run they belong to."""
        log = RunLog(label)
        start = len(self.hook.statements)
        self.hook.run = label
        try:
            yield log
        finally:
            self.hook.run = ""
            log.statements = self.hook.statements[start:]

    def report_scanned(self, execution_id: str, scanned_bytes: int) -> None:
        """Make Athena's query history say this execution scanned `scanned_bytes` (moto says 0)."""
        from moto.athena.models import athena_backends

        execution = athena_backends[self.account][REGION].executions[execution_id]
        setattr(execution, query_history.SCANNED_ATTRIBUTE, scanned_bytes)

    def statements_seen_by_moto(self) -> list[str]:
        """Every query of this account as Athena's own API lists it (ListQueryExecutions, then
        GetQueryExecution for the text), in the order they were started."""
        athena = self.client("athena")
        ids: list[str] = []
        token: str | None = None
        while True:
            page = athena.list_query_executions(**({"NextToken": token} if token else {}))
            ids += page["QueryExecutionIds"]
            token = page.get("NextToken")
            if not token:
                break
        return [athena.get_query_execution(QueryExecutionId=i)["QueryExecution"]["Query"] for i in ids]
