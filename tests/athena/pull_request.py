"""A pull request's slim build through the stand-in, as .github/workflows/pr-athena.yml runs it:
after production's builds, one model is changed (its SQL in production's manifest differs, as an
edit would make it), `dbt build --select state:modified+ --defer
--state <production manifest> --vars '{schema_prefix: pr_<n>_<run>_}'` builds it and its children
into the run's own schemas reading unchanged parents from production, and `python -m
athena_scratch drop` removes the run's databases. Used by capture(..., after_runs=pull_request.run)."""

from __future__ import annotations

import copy
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.athena import harness
from tests.athena.moto_athena import MotoAthena

PREFIX = "pr_7_1234_"  # pull request 7, workflow run 1234 (athena_scratch.names)
LABEL = "pull-request"
CHANGED = "model.ecommerce_analytics.user_ltv"
WORKFLOW = harness.REPO / ".github" / "workflows" / "pr-athena.yml"  # its parent fact_purchases stays production's


def workflow_build_args(state: Path) -> list[str]:
    """The dbt arguments of pr-athena.yml's build step, with this run's prefix and state folder
    (the harness adds `--target athena` and its own paths)."""
    workflow = yaml.safe_load(WORKFLOW.read_text())
    step = next(s for s in workflow["jobs"]["athena"]["steps"] if s.get("id") == "build")
    words = shlex.split(step["run"].replace("$SCHEMA_PREFIX", PREFIX))
    args = words[words.index(".venv/bin/dbt") + 1 :]
    target = args.index("--target")
    del args[target : target + 2]
    return [str(state) if word == "prod-state" else word for word in args]


def production_state(workdir: Path, manifest: dict[str, Any]) -> Path:
    """Production's manifest as the last deploy left it, where CHANGED had other SQL (dbt's
    state:modified compares a node's SQL text, and its configured, not resolved, schema: the
    prefix alone changes nothing)."""
    state = workdir / "prod-state"
    state.mkdir()
    changed = copy.deepcopy(manifest)
    changed["nodes"][CHANGED]["raw_code"] += "\n-- as production has it, before the pull request"
    (state / "manifest.json").write_text(json.dumps(changed))
    return state


def _databases(aws: MotoAthena) -> dict[str, int]:
    """Every Glue database of the stand-in with its number of tables."""
    glue = aws.client("glue")
    names = [d["Name"] for d in glue.get_databases()["DatabaseList"]]
    return {name: len(glue.get_tables(DatabaseName=name)["TableList"]) for name in names}


def run(aws: MotoAthena, workdir: Path, runs: list[harness.DbtRun]) -> dict[str, Any]:
    """The pull request's build (appended to `runs`), then its teardown; the Glue databases
    before the build, after it and after the teardown."""
    state = production_state(workdir, runs[-1].manifest)
    aws.hook.reference.mirror_schemas(PREFIX)  # the pull request's tables are production's, rebuilt
    before = _databases(aws)
    runs.append(harness.dbt_athena(aws, workdir, LABEL, *workflow_build_args(state)))
    built = _databases(aws)
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ECOM_"))}
    teardown = subprocess.run(
        [sys.executable, "-m", "athena_scratch", "drop", "--prefix", PREFIX, "--data-dir", harness.DATA_DIR],
        cwd=harness.REPO, env={**inherited, **aws.env()}, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    return {
        "databases_before": before,
        "databases_built": built,
        "databases_after": _databases(aws),
        "teardown": {"returncode": teardown.returncode, "stdout": teardown.stdout, "stderr": teardown.stderr},
    }
