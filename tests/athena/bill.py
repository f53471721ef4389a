"""The cost ledger of each captured run, read from the stand-in's query history.

While the stand-in still serves, every captured statement is given the bytes the estimate says
it scans (`python -m athena_estimate`, from the Parquet sizes of the capture's own DuckDB
warehouse or of a measured one), and the real `python -m athena_ledger` reads each run back
through Athena's API (ListQueryExecutions, BatchGetQueryExecution) with that run's
run_results.json: what the bill of these runs would say, in the ledger's own table and JSON.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from athena_estimate import captured
from athena_estimate.estimate import estimate
from athena_estimate.export import measure_warehouse
from athena_estimate.sizes import Sizes
from tests.athena import harness
from tests.athena.moto_athena import REGION, MotoAthena

WORKGROUP = "primary"  # profiles.yml's default, and moto's


def _sizes(workdir: Path, database: Path, raw: Path, sizes: Path | None) -> Sizes:
    if sizes is not None:
        return Sizes.load(sizes)
    measured = measure_warehouse(database, raw, workdir / "duckdb-target" / "manifest.json", workdir / "parquet-export")
    measured.save(workdir / "sizes.json")
    return measured


def _ledger(aws: MotoAthena, workdir: Path, label: str) -> dict[str, Any]:
    """`python -m athena_ledger` over the run's run_results.json, against the stand-in."""
    target = workdir / f"ledger-{label}"
    target.mkdir()
    shutil.copy(workdir / f"run_results-{label}.json", target / "run_results.json")
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ECOM_"))}
    command = [sys.executable, "-m", "athena_ledger", "--target-path", str(target), "--workgroup", WORKGROUP,
               "--region", REGION]  # fmt: skip
    result = subprocess.run(
        command, cwd=harness.REPO, env={**inherited, **aws.env()}, capture_output=True, text=True, check=False
    )
    out = target / "athena_ledger.json"
    return {
        "returncode": result.returncode,
        "table": result.stdout,
        "stderr": result.stderr,
        "ledger": json.loads(out.read_text()) if out.exists() else None,
    }


def bill(
    aws: MotoAthena, document: dict[str, Any], workdir: Path, database: Path, raw: Path, sizes: Path | None = None
) -> dict[str, dict[str, Any]]:
    """The ledger of each of the three runs the estimate prices, by run label, with the
    estimate's bytes in the query history."""
    _, costs = estimate(captured.from_document(document), _sizes(workdir, database, raw, sizes))
    for cost in costs:
        if cost.statement.execution_id:
            aws.report_scanned(cost.statement.execution_id, cost.bytes)
    return {run.value: _ledger(aws, workdir, run.value) for run in captured.Run}
