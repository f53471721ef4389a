"""Reading raw Kaggle-format files: which files, how to open them, what their header says."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from ingest import KAGGLE_HEADER
from ingest.errors import IngestError

RAW_SUFFIXES = (".csv", ".csv.gz")


def is_raw_file(path: Path) -> bool:
    return path.is_file() and path.name.endswith(RAW_SUFFIXES) and not path.name.startswith(".")


def find_raw_files(source: Path) -> list[Path]:
    """The CSV files named by `source`: the file itself, or those under a folder."""
    if source.is_file():
        if not source.name.endswith(RAW_SUFFIXES):
            raise IngestError(f"{source} is not a .csv or .csv.gz file.")
        return [source]
    if source.is_dir():
        files = sorted(path for path in source.rglob("*") if is_raw_file(path))
        if not files:
            raise IngestError(f"{source} contains no .csv or .csv.gz files.")
        return files
    raise IngestError(f"{source} does not exist.")


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
