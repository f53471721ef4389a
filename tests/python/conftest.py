"""Shared fixtures: small Kaggle-format files written on the fly, and real dbt builds on DuckDB."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO.parent / "shared" / "samples"
REAL_SAMPLE = SAMPLES / "kaggle-2019-Oct-first5019.csv"
HEADER = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session"


def write_csv(
    path: Path, rows: list[str], header: str | None = HEADER, newline: str = "\n", final_newline: bool = True
) -> Path:
    """A raw file with the given data lines, as bytes exactly as asked."""
    lines = ([header] if header is not None else []) + rows
    text = newline.join(lines) + (newline if final_newline and lines else "")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode())
    return path


def run_ingest(*args: str | Path | int, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    """`python -m ingest ...` as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "ingest", *map(str, args)], cwd=cwd, capture_output=True, text=True, check=False
    )


@dataclass(frozen=True)
class Warehouse:
    """A finished `dbt build` on DuckDB over one raw folder."""

    raw_dir: Path
    database: Path
    build_log: str


def run_dbt(
    command: str, raw_dir: Path, workdir: Path, *extra: str, database: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a real dbt command of this project on DuckDB, isolated in `workdir`."""
    profiles = workdir / "profiles"
    profiles.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "profiles.yml.example", profiles / "profiles.yml")
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(profiles),
        "ECOM_RAW_DIR": str(raw_dir),
        "ECOM_DUCKDB_PATH": str(database or workdir / "warehouse.duckdb"),
        "DBT_TARGET": "local",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    dbt = Path(sys.executable).with_name("dbt")
    return subprocess.run(
        [
            str(dbt),
            command,
            "--project-dir",
            str(REPO),
            "--target-path",
            str(workdir / "target"),
            "--log-path",
            str(workdir / "logs"),
            *extra,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def dbt_build(raw_dir: Path, workdir: Path, *extra: str) -> Warehouse:
    """Run the real dbt build of this project on DuckDB, isolated in `workdir`."""
    result = run_dbt("build", raw_dir, workdir, *extra)
    if result.returncode != 0:
        pytest.fail(f"dbt build failed:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}")
    return Warehouse(raw_dir=raw_dir, database=workdir / "warehouse.duckdb", build_log=result.stdout)


GENERATED_EVENTS = 60_000


@pytest.fixture(scope="session")
def generated_build(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """Generated October-November data, landed and built by dbt: shared by every test that reads it."""
    work = tmp_path_factory.mktemp("generated")
    generated = run_ingest("generate", "--out", work / "generated", "--events", GENERATED_EVENTS, "--seed", 7)
    assert generated.returncode == 0, generated.stderr
    landed = run_ingest("land", "--source", work / "generated", "--dest", work / "raw")
    assert landed.returncode == 0, landed.stderr
    return dbt_build(work / "raw", work)
