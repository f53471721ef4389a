"""Putting a file in place so that no reader ever sees half of it.

A file is copied into a hidden staging folder under the destination (hidden: every reader
skips names starting with `.`), flushed to disk, checked against the sha256 it was planned
with, and renamed into place in one step. A failure or a signal removes the partial copy; a
run killed outright (kill -9, power loss) leaves one behind, which the next landing removes
once its process is gone. Partials are named `<host>~<pid>~<file>.partial`, so a landing on
another machine sharing the folder is never mistaken for a dead one (its partials are removed
only after a day).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import time
from pathlib import Path
from typing import BinaryIO

from ingest.errors import IngestError

STAGING_FOLDER = ".landing"
_PARTIAL_SUFFIX = ".partial"
_SEPARATOR = "~"
# A partial of another machine untouched for this long belongs to no running landing.
_FOREIGN_PARTIAL_AGE_SECONDS = 24 * 3600
_CHUNK_BYTES = 1 << 20
_CREATE_ATTEMPTS = 5


def staging_folder(dest: Path) -> Path:
    return dest / STAGING_FOLDER


def partial_path(dest: Path, name: str) -> Path:
    return staging_folder(dest) / f"{socket.gethostname()}{_SEPARATOR}{os.getpid()}{_SEPARATOR}{name}{_PARTIAL_SUFFIX}"


def remove_stale_partials(dest: Path) -> list[Path]:
    """Remove the partial copies of landings that are no longer running; return what was removed."""
    folder = staging_folder(dest)
    if not folder.is_dir():
        return []
    removed = []
    for path in sorted(folder.iterdir()):
        if path.name.endswith(_PARTIAL_SUFFIX) and _is_stale(path):
            path.unlink(missing_ok=True)
            removed.append(path)
    _remove_if_empty(folder)
    return removed


def _is_stale(partial: Path) -> bool:
    host, _, rest = partial.name.partition(_SEPARATOR)
    pid_text, _, _ = rest.partition(_SEPARATOR)
    if host == socket.gethostname() and pid_text.isdigit():
        return not _is_running(int(pid_text))
    try:
        return time.time() - partial.stat().st_mtime > _FOREIGN_PARTIAL_AGE_SECONDS
    except FileNotFoundError:
        return False


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not empty (another landing is copying), or already gone
        folder.rmdir()


def copy_into_place(source: Path, destination: Path, dest_root: Path, expected_sha256: str) -> int:
    """Copy `source` to `destination` atomically; return the bytes written.
    Raise IngestError if the source changed since it was checked (its sha256 differs)."""
    partial = partial_path(dest_root, destination.name)
    try:
        written, sha256 = _copy_and_flush(source, partial)
        if sha256 != expected_sha256:
            raise IngestError(f"{source} changed while it was being landed; land it again once it is complete.")
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.replace(partial, destination)
        flush_folder(destination.parent)
        return written
    finally:
        # on success the partial was renamed away; on any failure or signal it goes
        partial.unlink(missing_ok=True)
        _remove_if_empty(partial.parent)


def _copy_and_flush(source: Path, target: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    written = 0
    with source.open("rb") as reader, _create(target) as writer:
        while chunk := reader.read(_CHUNK_BYTES):
            writer.write(chunk)
            digest.update(chunk)
            written += len(chunk)
        writer.flush()
        os.fsync(writer.fileno())
    return written, digest.hexdigest()


def _create(partial: Path) -> BinaryIO:
    """A new partial file; another landing may remove the empty staging folder at any moment."""
    for _ in range(_CREATE_ATTEMPTS - 1):
        partial.parent.mkdir(parents=True, exist_ok=True)
        try:
            return partial.open("xb")
        except FileNotFoundError:
            continue
    partial.parent.mkdir(parents=True, exist_ok=True)
    return partial.open("xb")


def flush_folder(folder: Path) -> None:
    """Make the rename itself durable (a crash right after it keeps the new name)."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as reader:
        while chunk := reader.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()
