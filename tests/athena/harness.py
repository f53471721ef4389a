"""Running `dbt build --target athena` against the moto stand-in, and checking what it sent.

`prepare` puts in moto what production has before dbt runs (the buckets, and the Glue
database of the raw data that the ingest crawler makes); `dbt_athena` runs the real dbt CLI
as a subprocess pointed at the stand-in; `check_statements` checks every captured statement
with its engine's parser and sums up what was checked.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests import dbt_forkserver
from tests.athena import statements as st
from tests.athena.moto_athena import Captured, MotoAthena

REPO = Path(__file__).resolve().parents[2]
STAGING_DIR = "s3://athena-results/staging/"
DATA_DIR = "s3://warehouse/dbt/"
RAW_URI = "s3://raw-landing/raw"
SCHEMA = "marts"

# The nine-column table the ingest crawler makes over the landing prefix (ingest/crawl.py):
# production has it, and its database, before dbt runs.
_CRAWLED_COLUMNS = [
    ("event_time", "string"), ("event_type", "string"), ("product_id", "bigint"),
    ("category_id", "bigint"), ("category_code", "string"), ("brand", "string"),
    ("price", "double"), ("user_id", "bigint"), ("user_session", "string"),
]  # fmt: skip
_CRAWLED_EVENTS = {
    "Name": "events",
    "TableType": "EXTERNAL_TABLE",
    "Parameters": {"classification": "csv", "skip.header.line.count": "1", "delimiter": ","},
    "StorageDescriptor": {
        "Columns": [{"Name": name, "Type": type_} for name, type_ in _CRAWLED_COLUMNS],
        "Location": f"{RAW_URI}/events/",
        "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"},
    },
    "PartitionKeys": [{"Name": "year", "Type": "string"}, {"Name": "month", "Type": "string"}],
}


def prepare(aws: MotoAthena) -> None:
    """Buckets for query results, table data and raw files, and the crawled raw database."""
    s3 = aws.client("s3")
    for url in (STAGING_DIR, DATA_DIR, RAW_URI):
        s3.create_bucket(Bucket=url.split("/")[2])
    glue = aws.client("glue")
    glue.create_database(DatabaseInput={"Name": "ecommerce_raw"})
    glue.create_table(DatabaseName="ecommerce_raw", TableInput=_CRAWLED_EVENTS)


@dataclass
class DbtRun:
    """One `dbt` invocation: exit code, output, and its run_results and manifest."""

    label: str
    args: list[str]
    returncode: int
    stdout: str = field(repr=False)
    run_results: dict[str, Any] = field(repr=False)
    manifest: dict[str, Any] = field(repr=False)
    statements: list[Captured] = field(default_factory=list, repr=False)
    seconds: float = 0.0

    def failed_nodes(self) -> list[str]:
        return [
            f"{result['unique_id']}: {result['status']} {result.get('message') or ''}".strip()
            for result in self.run_results.get("results", [])
            if result["status"] not in ("success", "pass", "no-op")  # an exposure is a no-op
        ]


def dbt_athena(aws: MotoAthena, workdir: Path, label: str, *args: str) -> DbtRun:
    """`dbt <args> --target athena` on this project, as a subprocess talking to the stand-in
    (dbt's own CLI, through tests/athena/dbt_cli.py for botocore's data cache)."""
    profiles = workdir / "profiles"
    profiles.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "profiles.yml.example", profiles / "profiles.yml")
    # One target path for both runs, so the second reuses the first's parse (partial parsing).
    target = workdir / "target"
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ECOM_", "DBT_"))}
    env = {
        **inherited,
        **aws.env(),
        "PYTHONPATH": str(REPO),
        "DBT_PROFILES_DIR": str(profiles),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "ECOM_ATHENA_STAGING_DIR": STAGING_DIR,
        "ECOM_ATHENA_DATA_DIR": DATA_DIR,
        "ECOM_ATHENA_SCHEMA": SCHEMA,
        "ECOM_RAW_S3_URI": RAW_URI,
        # dbt's debug log file costs a fifth of a build's time and no check reads it; the
        # caller's DBT_LOG_LEVEL_FILE (e.g. debug, to look into a failing run) wins.
        "DBT_LOG_LEVEL_FILE": os.environ.get("DBT_LOG_LEVEL_FILE", "none"),
    }
    command = [
        sys.executable, "-m", "tests.athena.dbt_cli", *args, "--target", "athena", "--project-dir", str(REPO),
        "--profiles-dir", str(profiles), "--target-path", str(target), "--log-path", str(workdir / f"logs-{label}"),
    ]  # fmt: skip
    run_results_path = target / "run_results.json"
    manifest_path = target / "manifest.json"
    artifacts = (run_results_path, manifest_path, target / "sources.json")  # sources.json: freshness only
    for path in artifacts:
        path.unlink(missing_ok=True)  # a run that dies early must not be read as the previous one
    started = time.monotonic()
    with aws.run(label) as log:
        result = dbt_forkserver.run(command, env, REPO, timeout=900)
    seconds = time.monotonic() - started
    for path in artifacts:  # keep each run's copy: the next run overwrites them
        if path.exists():
            shutil.copy(path, workdir / f"{path.stem}-{label}.json")
    (workdir / f"output-{label}.txt").write_text(result.stdout + result.stderr)
    return DbtRun(
        label=label,
        args=list(args),
        returncode=result.returncode,
        stdout=result.stdout + result.stderr,
        run_results=json.loads(run_results_path.read_text()) if run_results_path.exists() else {},
        manifest=json.loads(manifest_path.read_text()) if manifest_path.exists() else {},
        statements=log.statements,
        seconds=seconds,
    )


def saved_run(workdir: Path, label: str, outcome: dict[str, Any], statements: list[Captured]) -> DbtRun:
    """A run of a capture read back from what `dbt_athena` kept in its work folder; `outcome` is
    the run's entry in the capture's document, `statements` all the capture's statements."""

    def artifact(stem: str) -> dict[str, Any]:
        path = workdir / f"{stem}-{label}.json"
        return json.loads(path.read_text()) if path.exists() else {}

    output = workdir / f"output-{label}.txt"
    return DbtRun(
        label=label,
        args=[],
        returncode=outcome["returncode"],
        stdout=output.read_text() if output.exists() else "",
        run_results=artifact("run_results"),
        manifest=artifact("manifest"),
        statements=[statement for statement in statements if statement.run == label],
        seconds=outcome["seconds"],
    )


# ------------------------------------------------------------------ checking the statements


@dataclass(frozen=True)
class Checked:
    statement: Captured
    check: st.Check


@dataclass
class Report:
    """Every statement checked, and the totals printed in the summary line."""

    checked: list[Checked]

    @property
    def parse_failures(self) -> list[Checked]:
        return [c for c in self.checked if not c.check.parsed]

    @property
    def unknown_functions(self) -> Counter[str]:
        return Counter(name for c in self.checked for name in c.check.unknown_functions)

    @property
    def unknown_types(self) -> Counter[str]:
        return Counter(name for c in self.checked for name in c.check.unknown_types)

    def kinds(self) -> Counter[str]:
        return Counter(c.statement.kind.value for c in self.checked)

    def purposes(self) -> Counter[str]:
        return Counter(c.statement.purpose.value for c in self.checked if c.statement.purpose is not None)

    def summary_line(self, synthetic_test_rows: int) -> str:
        kinds = ", ".join(f"{count} {kind}" for kind, count in self.kinds().most_common())
        engines = Counter(c.statement.kind.engine.value for c in self.checked)
        return (
            f"athena conformance: {len(self.checked)} statements checked ({kinds}); "
            f"parsed as Trino: {engines.get('trino', 0)}, as Hive DDL: {engines.get('hive-ddl', 0)}; "
            f"{len(self.parse_failures)} parse failures; "
            f"{sum(self.unknown_functions.values())} unknown functions; "
            f"{sum(self.unknown_types.values())} unknown types; "
            f"{synthetic_test_rows} test queries answered with a synthetic 0-failures row"
        )

    def problems(self) -> list[str]:
        """One line per statement that failed to parse or used something outside the catalog."""
        lines = []
        for c in self.checked:
            if c.check.parsed and not c.check.unknown_functions and not c.check.unknown_types:
                continue
            what = []
            if c.check.error:
                what.append(f"parse error ({c.check.parser}): {c.check.error}")
            if c.check.unknown_functions:
                what.append(f"functions outside Trino's catalog: {', '.join(c.check.unknown_functions)}")
            if c.check.unknown_types:
                what.append(f"types outside Trino's catalog: {', '.join(c.check.unknown_types)}")
            lines.append(
                f"[{c.statement.run} #{c.statement.index} {c.statement.kind.value} "
                f"{c.statement.node_id or '-'}] {'; '.join(what)}\n    {st.body(c.statement.sql)[:400]}"
            )
        return lines


def check_statements(captured: list[Captured]) -> Report:
    return Report([Checked(statement, st.check(statement.sql, statement.kind)) for statement in captured])
