"""Landing: put Kaggle-format CSVs into the raw layout `DEST/events/year=YYYY/month=MM/<file>`.

Every file is checked before any is landed, so a bad file in a folder lands
nothing. A file lands under its own name in the partition of its first
parseable event_time; landing the same content again lands nothing, and a file
whose content changed replaces the earlier copy. Files are copied to a staging
folder first and then renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import IngestError
from ingest.rawfiles import find_raw_files, header_problem, is_raw_file, iter_chunks, read_header_and_first_lines

# Lines looked at to find the month of a file; a real file's first line has it.
_LINES_TO_FIND_MONTH = 1000
_YEAR_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])-[0-9]{2} ")
_STAGING_FOLDER = ".landing"


@dataclass(frozen=True)
class PlannedFile:
    source: Path
    year: int
    month: int
    has_data: bool

    def relative_destination(self) -> Path:
        return Path("events") / f"year={self.year:04d}" / f"month={self.month:02d}" / self.source.name


@dataclass(frozen=True)
class LandedFile:
    source: Path
    destination: Path
    outcome: str  # landed, replaced, unchanged, skipped-empty
    bytes_written: int


def plan_file(path: Path) -> PlannedFile:
    """Check one file's header and find its partition, or raise IngestError naming the file."""
    header, lines = read_header_and_first_lines(path, _LINES_TO_FIND_MONTH)
    problem = header_problem(header)
    if problem is not None:
        raise IngestError(f"{path} {problem}; nothing was landed.")
    if not lines:
        return PlannedFile(source=path, year=0, month=0, has_data=False)
    for line in lines:
        match = _YEAR_MONTH.match(line)
        if match:
            return PlannedFile(source=path, year=int(match[1]), month=int(match[2]), has_data=True)
    raise IngestError(
        f"{path} has no parseable event_time in its first {_LINES_TO_FIND_MONTH} lines, "
        "so its month is unknown; nothing was landed."
    )


def plan(source: Path) -> list[PlannedFile]:
    """Check every file under `source` before anything is written."""
    planned = [plan_file(path) for path in find_raw_files(source)]
    _refuse_name_clashes(planned)
    return planned


def _refuse_name_clashes(planned: list[PlannedFile]) -> None:
    """Two different files bound for one destination would overwrite each other."""
    by_destination: dict[Path, PlannedFile] = {}
    for item in planned:
        if not item.has_data:
            continue
        other = by_destination.setdefault(item.relative_destination(), item)
        if other is not item and not _same_content(other.source, item.source):
            raise IngestError(
                f"{other.source} and {item.source} would both land as "
                f"{item.relative_destination()}; rename one of them; nothing was landed."
            )


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    for chunk in iter_chunks(path):
        digest.update(chunk)
    return digest.hexdigest()


def _same_content(first: Path, second: Path) -> bool:
    return first.stat().st_size == second.stat().st_size and file_digest(first) == file_digest(second)


def _already_landed_as(planned: PlannedFile, partition: Path) -> Path | None:
    """A file in the partition with the same content, under any name."""
    if not partition.is_dir():
        return None
    size = planned.source.stat().st_size
    candidates = [p for p in partition.iterdir() if is_raw_file(p) and p.stat().st_size == size]
    if not candidates:
        return None
    source_digest = file_digest(planned.source)
    return next((p for p in sorted(candidates) if file_digest(p) == source_digest), None)


def land_file(planned: PlannedFile, dest: Path) -> LandedFile:
    if not planned.has_data:
        return LandedFile(planned.source, dest, "skipped-empty", 0)
    destination = dest / planned.relative_destination()
    existing = destination.exists()
    if existing and _same_content(planned.source, destination):
        return LandedFile(planned.source, destination, "unchanged", 0)
    twin = None if existing else _already_landed_as(planned, destination.parent)
    if twin is not None:
        return LandedFile(planned.source, twin, "unchanged", 0)
    staging = dest / _STAGING_FOLDER
    staging.mkdir(parents=True, exist_ok=True)
    partial = staging / f"{os.getpid()}-{planned.source.name}"
    shutil.copyfile(planned.source, partial)
    destination.parent.mkdir(parents=True, exist_ok=True)
    os.replace(partial, destination)
    outcome = "replaced" if existing else "landed"
    return LandedFile(planned.source, destination, outcome, destination.stat().st_size)


def land(source: Path, dest: Path, on_landed: Callable[[LandedFile], None] | None = None) -> list[LandedFile]:
    """Land every file under `source` into `dest`, after all of them passed their checks.
    `on_landed` hears about each file as soon as it is in place (a long landing shows progress)."""
    planned = plan(source)
    landed: list[LandedFile] = []
    try:
        for item in planned:
            landed.append(land_file(item, dest))
            if on_landed is not None:
                on_landed(landed[-1])
        return landed
    except OSError as error:
        raise IngestError(f"Landing into {dest} failed: {error.strerror or error}.") from error
