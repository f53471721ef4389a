"""Where a benchmark ran: the git commit, the machine and the engines' versions."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import psutil


@dataclass(frozen=True)
class Environment:
    commit: str  # short sha, "+dirty" when a tracked file differs from it
    logical_cores: int
    physical_cores: int | None
    memory_gb: float
    cpu_model: str
    versions: dict[str, str]  # distribution -> version, "not installed" when absent


def _git(repo: Path, *args: str) -> str | None:
    # --no-optional-locks: `git status` must not refresh (write) the index of the user's clone.
    try:
        done = subprocess.run(
            ["git", "--no-optional-locks", "-C", str(repo), *args],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return None
    return done.stdout if done.returncode == 0 else None


def git_commit(repo: Path) -> str:
    sha = _git(repo, "rev-parse", "--short", "HEAD")
    if sha is None:
        return "unknown (not a git checkout)"
    # untracked files (the report being appended, scratch work) do not change what was measured
    status = _git(repo, "status", "--porcelain", "--untracked-files=no")
    dirty = "+dirty" if status is None or status.strip() else ""
    return sha.strip() + dirty


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def version_of(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def java_version() -> str:
    """The first line of `java -version` (which prints to stderr), or "not found"."""
    try:
        done = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False)
    except OSError:
        return "not found"
    lines = (done.stderr or done.stdout).strip().splitlines()
    return lines[0].replace('"', "") if done.returncode == 0 and lines else "not found"


def describe(repo: Path) -> Environment:
    return Environment(
        commit=git_commit(repo),
        logical_cores=os.cpu_count() or 0,
        physical_cores=psutil.cpu_count(logical=False),
        memory_gb=psutil.virtual_memory().total / 1e9,
        cpu_model=cpu_model(),
        versions={
            **{name: version_of(name) for name in ("duckdb", "dbt-core", "dbt-duckdb", "pyspark")},
            "java": java_version(),
        },
    )
