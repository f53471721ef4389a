"""Landing: put Kaggle-format CSVs into the raw layout `DEST/events/year=YYYY/month=MM/<file>`.

Every file is checked end to end before any is landed (ingest.scan), so a bad file in a
folder lands nothing. A file lands under its own name in the partition of its first
parseable event_time, which must be a year Athena's partition projection reads; landing the
same content again lands nothing, and a file whose content changed replaces the earlier copy.
Copies are made atomically (ingest.atomic_copy): no reader ever sees half a file.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Generic

import yaml
from typing_extensions import TypeVar

from ingest.atomic_copy import copy_into_place, file_sha256, remove_stale_partials
from ingest.errors import IngestError
from ingest.manifest import refuse_unrecordable_names, utc_now
from ingest.rawfiles import find, header_problem, is_raw_file, read_header_and_first_lines
from ingest.scan import FileScan, scan_file

# Lines looked at to find the month of a file; a real file's first line has it.
_LINES_TO_FIND_MONTH = 1000
_YEAR_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])-[0-9]{2} ")
# The years Athena's partition projection reads are defined once, for dbt and for landing.
DBT_PROJECT = Path(__file__).resolve().parents[1] / "dbt_project.yml"
PARTITION_YEARS_VAR = "raw_partition_years"
# Files this large take a second or more to check: say so before checking them.
_ANNOUNCE_CHECK_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class PlannedFile:
    source: Path
    year: int
    month: int
    has_data: bool
    scan: FileScan | None = None

    def relative_destination(self) -> Path:
        return Path("events") / f"year={self.year:04d}" / f"month={self.month:02d}" / self.source.name


# Where a file landed: its local path, or its s3:// URL (ingest.s3).
Where = TypeVar("Where", Path, str, default=Path)


@dataclass(frozen=True)
class LandedFile(Generic[Where]):
    """One file after landing, locally or in S3: where it went, what happened, bytes written."""

    source: Path
    destination: Where
    outcome: str  # landed, replaced, unchanged, skipped-empty
    bytes_written: int
    planned: PlannedFile | None = None
    landed_at: dt.datetime = field(default_factory=utc_now)  # made right after the file is in place


@cache
def partition_years() -> tuple[int, int]:
    """The first and last year Athena's partition projection reads (dbt_project.yml vars)."""
    project = yaml.safe_load(DBT_PROJECT.read_text())
    first, last = project["vars"][PARTITION_YEARS_VAR]
    return int(first), int(last)


def plan_file(path: Path, progress: Callable[[str], None] | None = None) -> PlannedFile:
    """Check one file and find its partition, or raise IngestError naming the file."""
    header, lines = read_header_and_first_lines(path, _LINES_TO_FIND_MONTH)
    problem = header_problem(header)
    if problem is not None:
        raise IngestError(f"{path} {problem}; nothing was landed.")
    if not lines:
        return PlannedFile(source=path, year=0, month=0, has_data=False)
    year_month = _first_year_month(path, lines)
    scan = scan_file(path, progress)
    return PlannedFile(source=path, year=year_month[0], month=year_month[1], has_data=True, scan=scan)


def _first_year_month(path: Path, lines: list[str]) -> tuple[int, int]:
    for line in lines:
        match = _YEAR_MONTH.match(line)
        if match:
            year, month = int(match[1]), int(match[2])
            first, last = partition_years()
            if not first <= year <= last:
                raise IngestError(
                    f"{path} starts in {year:04d}-{month:02d}, outside {first}-{last}, the years Athena's "
                    f"partition projection reads (vars.{PARTITION_YEARS_VAR} in dbt_project.yml); nothing was landed."
                )
            return year, month
    raise IngestError(
        f"{path} has no parseable event_time in its first {_LINES_TO_FIND_MONTH} lines, "
        "so its month is unknown; nothing was landed."
    )


def plan(source: Path, progress: Callable[[str], None] | None = None, dest: Path | None = None) -> list[PlannedFile]:
    """Check every file under `source` before anything is written (leaving out `dest`'s own files
    when the destination is inside the source)."""
    found = find(source)
    if dest is not None:
        found.files = _outside(found.files, dest, progress)
    if found.in_hidden_folders and progress is not None:
        shown = ", ".join(str(path) for path in found.in_hidden_folders[:3])
        more = f" and {len(found.in_hidden_folders) - 3} more" if len(found.in_hidden_folders) > 3 else ""
        progress(f"left alone {len(found.in_hidden_folders)} file(s) in hidden folders: {shown}{more}")
    refuse_unrecordable_names(found.files)
    planned = []
    for path in found.files:
        if progress is not None and path.stat().st_size >= _ANNOUNCE_CHECK_BYTES:
            progress(f"checking {path} ({path.stat().st_size / 1e6:,.1f} MB)")
        planned.append(plan_file(path, progress))
    _refuse_name_clashes(planned)
    return planned


def _outside(files: list[Path], dest: Path, progress: Callable[[str], None] | None) -> list[Path]:
    real_dest = dest.resolve()
    kept = [path for path in files if real_dest not in path.resolve().parents]
    if len(kept) < len(files) and progress is not None:
        progress(f"left alone {len(files) - len(kept)} file(s) already in the destination {dest}")
    if not kept:
        raise IngestError(f"Every file under the source is already in the destination {dest}; nothing to land.")
    return kept


def _refuse_name_clashes(planned: list[PlannedFile]) -> None:
    """Two different files bound for one destination would overwrite each other."""
    by_destination: dict[Path, PlannedFile] = {}
    for item in planned:
        if not item.has_data:
            continue
        other = by_destination.setdefault(item.relative_destination(), item)
        if other is not item and _sha256(other) != _sha256(item):
            raise IngestError(
                f"{other.source} and {item.source} would both land as "
                f"{item.relative_destination()}; rename one of them; nothing was landed."
            )


def _sha256(planned: PlannedFile) -> str:
    return planned.scan.sha256 if planned.scan is not None else file_sha256(planned.source)


def _same_content(planned: PlannedFile, landed: Path) -> bool:
    return landed.stat().st_size == planned.source.stat().st_size and file_sha256(landed) == _sha256(planned)


def _already_landed_as(planned: PlannedFile, partition: Path) -> Path | None:
    """A file in the partition with the same content, under any name."""
    if not partition.is_dir():
        return None
    candidates = [p for p in sorted(partition.iterdir()) if is_raw_file(p)]
    return next((p for p in candidates if _same_content(planned, p)), None)


def land_file(planned: PlannedFile, dest: Path) -> LandedFile:
    if not planned.has_data:
        return LandedFile(planned.source, dest, "skipped-empty", 0, planned)
    destination = dest / planned.relative_destination()
    existing = destination.exists()
    if existing and _same_content(planned, destination):
        return LandedFile(planned.source, destination, "unchanged", 0, planned)
    twin = None if existing else _already_landed_as(planned, destination.parent)
    if twin is not None:
        return LandedFile(planned.source, twin, "unchanged", 0, planned)
    written = copy_into_place(planned.source, destination, dest, _sha256(planned))
    return LandedFile(planned.source, destination, "replaced" if existing else "landed", written, planned)


def land(
    source: Path,
    dest: Path,
    on_landed: Callable[[LandedFile], None] | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[LandedFile]:
    """Land every file under `source` into `dest`, after all of them passed their checks.
    `on_landed` hears about each file as soon as it is in place (a long landing shows progress)."""
    planned = plan(source, progress, dest)
    landed: list[LandedFile] = []
    try:
        for stale in remove_stale_partials(dest):
            if progress is not None:
                progress(f"removed {stale}, the partial copy of an earlier landing that was killed")
        for item in planned:
            landed.append(land_file(item, dest))
            if on_landed is not None:
                on_landed(landed[-1])
        return landed
    except OSError as error:
        raise IngestError(
            f"Landing into {dest} failed: {error.strerror or error}; the file being copied was removed, "
            f"{len(landed)} of {len(planned)} file(s) were landed before."
        ) from error
