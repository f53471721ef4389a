"""The bench's work folder and its layout: a folder the bench owns (workspace.owned), emptied
before a run and deleted after it; a folder it did not make is never used."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench.errors import BenchError
from workspace import owned
from workspace.owned import MARKER

__all__ = ["MARKER", "WorkDir", "claim", "remove"]
SHARED_TARGET_STEPS = frozenset({"b", "c", "d"})


@dataclass(frozen=True)
class WorkDir:
    root: Path

    @property
    def generated(self) -> Path:
        return self.root / "generated"

    @property
    def held_back(self) -> Path:
        return self.root / "held-back"

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def check_warehouse(self) -> Path:
        return self.root / "check.duckdb"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def spark_out(self) -> Path:
        return self.root / "spark"

    @property
    def spark_tmp(self) -> Path:
        return self.root / "spark-tmp"

    @property
    def tmp(self) -> Path:
        """TMPDIR of every subprocess, so that their temporary files stay in the work folder too."""
        return self.root / "tmp"

    def target(self, step: str) -> Path:
        """dbt's target folder of a step. Steps b, c and d share one, as a user's successive
        builds do, so c and d parse the project partially; read each step's run_results.json
        right after it ran."""
        return self.root / ("target" if step in SHARED_TARGET_STEPS else f"target-{step}")


def claim(path: Path) -> WorkDir:
    """Create the work folder with its marker, or empty a leftover one; refuse anything else."""
    try:
        return WorkDir(owned.claim(path, "python -m bench"))
    except owned.NotOwnedError as error:
        raise BenchError(f"{error} (--work-dir chooses the folder)") from error


def remove(work: WorkDir) -> None:
    """Delete the work folder, only if it still carries the bench's marker."""
    try:
        owned.remove(work.root)
    except owned.NotOwnedError as error:
        raise BenchError(str(error)) from error
