"""Folders a command owns: made with a marker file, and only then emptied or deleted.

A folder that exists without the marker may hold someone's data (a Kaggle download, an
earlier warehouse), so no command uses, empties or deletes it: the command stops with one
line instead. `make demo`, `make bench`, `python -m athena_estimate sizes` and `make clean`
all go through here.
"""

from __future__ import annotations

import shutil
from pathlib import Path

MARKER = ".made-by-ecommerce-analytics"


class NotOwnedError(Exception):
    """A folder the command did not make: one sentence saying which and what to do."""


def is_owned(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink() and (path / MARKER).is_file()


def claim(path: Path, owner: str) -> Path:
    """Make `path` with its marker, or empty it if `owner`'s earlier run made it; refuse anything else."""
    root = path.expanduser().absolute()
    if root.exists() or root.is_symlink():
        if not is_owned(root):
            raise NotOwnedError(
                f"{root} already exists and was not made by {owner} (it has no {MARKER} file), "
                "so it is left untouched; move it away or choose another folder."
            )
        empty(root)
    else:
        root.mkdir(parents=True)
    (root / MARKER).write_text(f"Made by {owner}; everything in this folder is deleted by its next run.\n")
    return root


def empty(root: Path) -> None:
    """Remove everything in an owned folder but its marker."""
    _require_owned(root)
    for child in root.iterdir():
        if child.name == MARKER:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def remove(root: Path) -> bool:
    """Delete an owned folder; False (and nothing touched) when it does not exist."""
    if not (root.exists() or root.is_symlink()):
        return False
    _require_owned(root)
    shutil.rmtree(root)
    return True


def _require_owned(root: Path) -> None:
    if not is_owned(root):
        raise NotOwnedError(f"{root} does not carry the {MARKER} marker, so it is left untouched.")


def refuse_inside(path: Path, folder: Path, why: str) -> None:
    """Refuse a user's `path` that lies in an owned `folder` (its files are deleted on the next run)."""
    real_path, real_folder = path.expanduser().resolve(), folder.expanduser().resolve()
    if real_path == real_folder or real_folder in real_path.parents:
        raise NotOwnedError(f"{path} is inside {folder}, {why}; move it elsewhere and pass that path.")
