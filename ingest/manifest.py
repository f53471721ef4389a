"""The landing manifest: which files a landing put in place, read by dbt as a source.

One tab-separated file per landing run that recorded something, `<root>/manifest/landed_files/
<run_id>.tsv`, outside `events/` so that neither Athena's event table nor the crawler sees it.
A file is written once, whole (a local rename or one S3 PutObject), and never changed: readers
take the latest entry per file_path by landed_at. The columns are a contract with the dbt models.

A run records every file it landed or replaced, and every unchanged file whose latest entry is
missing or has another sha256: files landed before the manifest existed, or by a run that
failed before writing its manifest, are recorded the next time they are landed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.atomic_copy import flush_folder
from ingest.errors import IngestError
from ingest.rawfiles import is_hidden

if TYPE_CHECKING:
    from ingest.awsconfig import S3Location
    from ingest.land import LandedFile, PlannedFile

FOLDER = "manifest/landed_files"
SUFFIX = ".tsv"
COLUMNS = (
    "file_path",
    "landing_month",
    "first_event_day",
    "last_event_day",
    "last_event_at",
    "row_count",
    "sha256",
    "landed_at",
    "landing_run_id",
)
LANDED_AT_FORMAT = "%Y-%m-%d %H:%M:%S.%f"
RUN_ID_FORMAT = "%Y%m%dT%H%M%SZ"
# Outcomes that put a file in place in this run; "unchanged" is recorded only when missing.
_WRITTEN = ("landed", "replaced")
# Characters a TSV line cannot hold (tab, line breaks, other controls) or UTF-8 cannot encode
# (a name that was not UTF-8 reaches Python as lone surrogates).
_UNWRITABLE_CATEGORIES = {"Cc", "Zl", "Zp", "Cs"}


def new_run_id(now: dt.datetime | None = None) -> str:
    """`YYYYMMDDTHHMMSSZ-<8 hex>`: the UTC start of the command, sortable, and unique across machines."""
    started = now or dt.datetime.now(dt.UTC)
    return f"{started.strftime(RUN_ID_FORMAT)}-{secrets.token_hex(4)}"


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def refuse_unrecordable_names(paths: Iterable[Path]) -> None:
    """A name with a tab, a line break or another control character cannot be written to the manifest."""
    for path in paths:
        bad = next((char for char in path.name if unicodedata.category(char) in _UNWRITABLE_CATEGORIES), None)
        if bad is not None:
            raise IngestError(
                f"{str(path)!r} has a name with the character {bad!r}, which the landing manifest (tab-separated "
                "UTF-8 text) cannot record; rename it; nothing was landed."
            )


@dataclass(frozen=True)
class Entry:
    """One line of the manifest."""

    file_path: str
    landing_month: str
    first_event_day: str
    last_event_day: str
    last_event_at: str
    row_count: int
    sha256: str
    landed_at: str
    landing_run_id: str

    def line(self) -> str:
        return "\t".join(str(getattr(self, column)) for column in COLUMNS) + "\n"


@dataclass(frozen=True)
class Candidate:
    """A file the run dealt with: where it is under the landing root and what happened to it."""

    file_path: str
    planned: PlannedFile
    outcome: str
    landed_at: dt.datetime


def parse(text: str, name: str) -> dict[str, tuple[str, str]]:
    """file_path -> (landed_at, sha256) of one manifest file; IngestError when it is not one."""
    lines = text.split("\n")
    if lines[0] != "\t".join(COLUMNS):
        raise IngestError(f"{name} is not a landing manifest file (its first line is not the header); move it away.")
    found: dict[str, tuple[str, str]] = {}
    for number, line in enumerate(lines[1:], start=2):
        if line == "":
            continue
        fields = line.split("\t")
        if len(fields) != len(COLUMNS):
            raise IngestError(f"{name} line {number} has {len(fields)} fields instead of {len(COLUMNS)}; move it away.")
        row = dict(zip(COLUMNS, fields, strict=True))
        previous = found.get(row["file_path"])
        if previous is None or row["landed_at"] >= previous[0]:
            found[row["file_path"]] = (row["landed_at"], row["sha256"])
    return found


def latest(manifests: Iterable[tuple[str, str]]) -> dict[str, str]:
    """file_path -> sha256 of its latest entry (by landed_at) over (name, text) manifest files."""
    newest: dict[str, tuple[str, str]] = {}
    for name, text in manifests:
        for path, (landed_at, sha256) in parse(text, name).items():
            if path not in newest or landed_at >= newest[path][0]:
                newest[path] = (landed_at, sha256)
    return {path: sha256 for path, (_, sha256) in newest.items()}


def is_manifest_name(name: str) -> bool:
    return name.endswith(SUFFIX) and not is_hidden(name)


class Manifest:
    """What is already recorded (read when the run starts) and how to add this run's entries."""

    def __init__(self, recorded: dict[str, str], where: str, started: dt.datetime | None) -> None:
        self.run_id = new_run_id(started)
        self.recorded = recorded
        self.where = where  # the folder, for the message

    def entries(self, candidates: Iterable[Candidate]) -> list[Entry]:
        entries: list[Entry] = []
        for candidate in candidates:
            scan = candidate.planned.scan
            if scan is None:  # a header-only file: skipped, never landed
                continue
            known = self.recorded.get(candidate.file_path)
            if candidate.outcome not in _WRITTEN and known == scan.sha256:
                continue
            # the same content twice in one run (two sources, one destination): one entry
            self.recorded[candidate.file_path] = scan.sha256
            entries.append(
                Entry(
                    file_path=candidate.file_path,
                    landing_month=f"{candidate.planned.year:04d}-{candidate.planned.month:02d}",
                    first_event_day=scan.first_event_day or "",
                    last_event_day=scan.last_event_day or "",
                    last_event_at=scan.last_event_at or "",
                    row_count=scan.data_lines,
                    sha256=scan.sha256,
                    # an unchanged file was put in place earlier, by a run that did not record it
                    landed_at=(candidate.landed_at if candidate.outcome in _WRITTEN else utc_now()).strftime(
                        LANDED_AT_FORMAT
                    ),
                    landing_run_id=self.run_id,
                )
            )
        return entries

    def record(self, candidates: Iterable[Candidate]) -> str:
        """Write this run's entries, if any, in one new file; the one line that says what was recorded."""
        entries = self.entries(candidates)
        if not entries:
            return f"landing manifest: nothing new to record in {self.where}"
        name = f"{self.run_id}{SUFFIX}"
        try:
            self.write(name, ("\t".join(COLUMNS) + "\n" + "".join(entry.line() for entry in entries)).encode())
        except OSError as error:
            raise IngestError(
                f"Writing the landing manifest {self.where}/{name} failed: {error.strerror or error}; the files "
                "are landed, and the next landing of the same files records them."
            ) from error
        count = f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}"
        return f"landing manifest: {count} recorded in {self.where}/{name}"

    def write(self, name: str, data: bytes) -> None:
        raise NotImplementedError


# ---------------------------------------------------------------- local


class LocalManifest(Manifest):
    def __init__(self, dest: Path, started: dt.datetime | None = None) -> None:
        self.dest = dest
        self.folder = dest / FOLDER
        super().__init__(latest(self._read()), str(self.folder), started)

    def _read(self) -> Iterable[tuple[str, str]]:
        if not self.folder.is_dir():
            return
        for path in sorted(self.folder.iterdir()):
            if is_manifest_name(path.name) and path.is_file():
                yield str(path), path.read_text(encoding="utf-8")

    def candidates(self, landed: Iterable[LandedFile]) -> list[Candidate]:
        return [
            Candidate(item.destination.relative_to(self.dest).as_posix(), item.planned, item.outcome, item.landed_at)
            for item in landed
            if item.planned is not None
        ]

    def write(self, name: str, data: bytes) -> None:
        """A hidden partial (every reader skips it), flushed, then renamed into place."""
        missing = [folder for folder in (self.folder, self.folder.parent) if not folder.is_dir()]
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = self.folder / f".{name}.partial"
        try:
            with partial.open("xb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, self.folder / name)
            flush_folder(self.folder)
            for created in missing:  # the new folders' own names must survive a crash too
                flush_folder(created.parent)
        finally:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()


# ---------------------------------------------------------------- S3


class S3Manifest(Manifest):
    def __init__(self, s3: Any, location: S3Location, started: dt.datetime | None = None) -> None:
        from ingest.awsconfig import aws_errors

        self.s3 = s3
        self.location = location
        self.prefix = location.key(FOLDER + "/")
        with aws_errors(f"reading the landing manifest {location.url(self.prefix)}"):
            recorded = latest(self._read())
        super().__init__(recorded, location.url(self.prefix.rstrip("/")), started)

    def _read(self) -> Iterable[tuple[str, str]]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.location.bucket, Prefix=self.prefix)
        for page in pages:
            for obj in page.get("Contents", []):
                name = obj["Key"][len(self.prefix) :]
                if "/" not in name and is_manifest_name(name):
                    body = self.s3.get_object(Bucket=self.location.bucket, Key=obj["Key"])["Body"].read()
                    yield self.location.url(obj["Key"]), body.decode("utf-8")

    def candidates(self, landed: Iterable[LandedFile[str]]) -> list[Candidate]:
        root = f"s3://{self.location.bucket}/{self.location.key('')}"
        return [
            Candidate(item.destination.removeprefix(root), item.planned, item.outcome, item.landed_at)
            for item in landed
            if item.planned is not None
        ]

    def write(self, name: str, data: bytes) -> None:
        from ingest.awsconfig import aws_errors

        key = self.prefix + name
        # one PutObject: S3 shows the object whole or not at all
        with aws_errors(f"writing the landing manifest {self.location.url(key)}"):
            self.s3.put_object(Bucket=self.location.bucket, Key=key, Body=data, ContentType="text/tab-separated-values")
