"""`dbt source freshness` on DuckDB, for real (issue 13, item 3): the landing manifest's
landed_at and its newest event time against the thresholds in dbt_project.yml's vars. The
Athena statements of the same checks are in test_athena_conformance.py."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conftest import Warehouse, copy_warehouse, dbt_invocation

LANDING = "source.ecommerce_analytics.ecommerce_raw.landed_files"
EVENTS = "source.ecommerce_analytics.ecommerce_raw.events"


def _freshness(warehouse: Warehouse, workdir: Path, *extra: str) -> tuple[int, dict[str, dict[str, Any]]]:
    own = copy_warehouse(warehouse, workdir)
    call = dbt_invocation("source freshness", own.raw_dir, workdir, *extra)  # own.database, as the profile names it
    result = subprocess.run(call.argv, cwd=call.cwd, env=call.env, capture_output=True, text=True, check=False)
    sources = json.loads((workdir / "target" / "sources.json").read_text())
    return result.returncode, {entry["unique_id"]: entry for entry in sources["results"]}


@pytest.mark.dbt
def test_freshness_reads_the_manifest_with_the_projects_thresholds(generated_build: Warehouse, tmp_path: Path) -> None:
    code, results = _freshness(generated_build, tmp_path / "defaults")
    # landed minutes ago: fresh; the newest generated event is from November 2019: stale
    assert (results[LANDING]["status"], results[EVENTS]["status"]) == ("pass", "error")
    assert code == 1
    assert results[EVENTS]["max_loaded_at"].startswith("2019-11-30")
    assert results[LANDING]["criteria"]["warn_after"] == {"count": 24, "period": "hour"}
    assert results[EVENTS]["criteria"]["error_after"] == {"count": 96, "period": "hour"}


@pytest.mark.dbt
def test_a_team_sets_its_own_thresholds_with_vars(generated_build: Warehouse, tmp_path: Path) -> None:
    # seven years of history allowed before an error, one hour before a warning
    thresholds = "{events_freshness: {warn_after_hours: 1, error_after_hours: 1000000}}"
    code, results = _freshness(generated_build, tmp_path / "team", "--vars", thresholds)
    assert (results[LANDING]["status"], results[EVENTS]["status"]) == ("pass", "warn")
    assert code == 0
    assert results[EVENTS]["criteria"]["error_after"] == {"count": 1000000, "period": "hour"}
