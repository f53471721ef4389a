"""Reading raw Kaggle-format files: which files, how to open them, what their header says.

Every reader of raw files (landing, `expect`) finds them here, so all of them take the same
files: names starting with `.` or `_` are hidden, as Athena (Hadoop) hides them, and a hidden
folder (a landing's `.landing/` partials, a tool's `_temporary/`) is never read.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from ingest import KAGGLE_HEADER
from ingest.errors import IngestError

RAW_SUFFIXES = (".csv", ".csv.gz")
# Athena skips files and folders whose names start with these (Hadoop's hidden-file rule).
HIDDEN_PREFIXES = (".", "_")


def is_hidden(name: str) -> bool:
    return name.startswith(HIDDEN_PREFIXES)


def has_raw_suffix(path: Path) -> bool:
    return path.name.endswith(RAW_SUFFIXES)


def is_raw_file(path: Path) -> bool:
    return path.is_file() and has_raw_suffix(path) and not is_hidden(path.name)


@dataclass
class FoundFiles:
    """The raw files under a source, and the raw-looking files in hidden folders it left alone."""

    files: list[Path] = field(default_factory=list)
    in_hidden_folders: list[Path] = field(default_factory=list)


def find_raw_files(source: Path) -> list[Path]:
    """The CSV files named by `source`: the file itself, or those under a folder."""
    return find(source).files


def find(source: Path) -> FoundFiles:
    """Like find_raw_files, and say which files were left alone because their folder is hidden.
    Symbolic links to folders are followed (each real folder once); a hidden or broken file is refused."""
    if source.is_file():
        _refuse_unreadable_name(source)
        return FoundFiles(files=[source])
    if source.is_dir():
        found = FoundFiles()
        _walk(source, found)
        found.files.sort()
        found.in_hidden_folders.sort()
        if not found.files:
            raise IngestError(f"{source} contains no .csv or .csv.gz files.")
        return found
    if source.is_symlink():
        raise IngestError(f"{source} is a broken symbolic link.")
    raise IngestError(f"{source} does not exist.")


def _refuse_unreadable_name(path: Path) -> None:
    if not has_raw_suffix(path):
        raise IngestError(f"{path} is not a .csv or .csv.gz file.")
    if is_hidden(path.name):
        raise IngestError(
            f"{path} has a name starting with '{path.name[0]}', which Athena treats as hidden and never reads; "
            "rename it."
        )


def _walk(source: Path, found: FoundFiles) -> None:
    seen_folders: set[str] = set()
    for folder, subfolders, names in os.walk(source, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen_folders:  # a link back up the tree: each real folder is read once
            subfolders.clear()
            continue
        seen_folders.add(real)
        for hidden in sorted(name for name in subfolders if is_hidden(name)):
            found.in_hidden_folders.extend(
                path for path in Path(folder, hidden).rglob("*") if has_raw_suffix(path) and path.is_file()
            )
        subfolders[:] = sorted(name for name in subfolders if not is_hidden(name))
        for name in sorted(names):
            path = Path(folder, name)
            if not has_raw_suffix(path):
                continue
            if path.is_symlink() and not path.exists():
                raise IngestError(f"{path} is a broken symbolic link.")
            _refuse_unreadable_name(path)
            found.files.append(path)


def open_text(path: Path) -> IO[str]:
    """Open a raw file for reading text; gzip by name. Universal newlines, as the engines split lines."""
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8", errors="replace", newline=None)
    return path.open("r", encoding="utf-8", errors="replace", newline=None)


def read_header_and_first_lines(path: Path, limit: int) -> tuple[str | None, list[str]]:
    """The header line (None for an empty file) and up to `limit` data lines."""
    try:
        with open_text(path) as handle:
            header = handle.readline()
            if header == "":
                return None, []
            lines = []
            for line in handle:
                lines.append(line.rstrip("\n"))
                if len(lines) >= limit:
                    break
            return header.rstrip("\n").lstrip("\ufeff"), lines
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise IngestError(f"{path} cannot be read: {error}.") from error


def header_problem(header: str | None) -> str | None:
    """Why a header is not the Kaggle header, or None when it is."""
    expected = ",".join(KAGGLE_HEADER)
    if header is None:
        return "is empty (no header line)"
    if header == expected:
        return None
    if header.split(",")[0] != KAGGLE_HEADER[0]:
        return f"has no header line (expected '{expected}', found '{_shorten(header)}')"
    return f"has the wrong header (expected '{expected}', found '{_shorten(header)}')"


def _shorten(text: str, width: int = 120) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def iter_chunks(path: Path, size: int = 1 << 20) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(size):
            yield chunk
