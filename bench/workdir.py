"""The bench's work folder: created by the bench with a marker file, and the only folder it deletes.

A folder that exists without the marker is never used, emptied or deleted: it may hold
someone's data. A folder with the marker is a leftover of an earlier bench run and is
emptied before the new run.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from bench.errors import BenchError

MARKER = ".bench-owned"
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


def is_bench_owned(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink() and (path / MARKER).is_file()


def claim(path: Path) -> WorkDir:
    """Create the work folder with its marker, or empty a leftover one; refuse anything else."""
    root = path.expanduser().absolute()
    if root.exists() or root.is_symlink():
        if not is_bench_owned(root):
            raise BenchError(
                f"{root} already exists and was not created by the bench (no {MARKER} file in it), "
                "so the bench will not use or delete it; pass another --work-dir."
            )
        _empty(root)
    else:
        root.mkdir(parents=True)
        (root / MARKER).write_text("Created by `python -m bench`; deleted by it at the end of a run.\n")
    return WorkDir(root)


def _empty(root: Path) -> None:
    """Remove everything in a bench-owned folder but its marker."""
    for child in root.iterdir():
        if child.name == MARKER:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def remove(work: WorkDir) -> None:
    """Delete the work folder, only if it still carries the bench's marker."""
    if not is_bench_owned(work.root):
        raise BenchError(f"{work.root} no longer carries the {MARKER} marker, so the bench left it in place.")
    shutil.rmtree(work.root)
