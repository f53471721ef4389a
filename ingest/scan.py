"""The whole-file check every raw file passes before it is landed.

DuckDB stops a build on a file it cannot decode, and Athena reads such a file differently
(replacement characters, a line cut or not), so a file either engine would misread is refused
at landing, with its line number, before anything lands. The check reads the file once, as
stored (gzip members are decompressed on the way), and gives the facts landing and its manifest
need: the sha256 of the stored bytes, their size, the number of lines and the span of event
days (ingest.event_span).
"""

from __future__ import annotations

import codecs
import hashlib
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import IngestError
from ingest.event_span import Breaks, EventSpan

# The longest line a landed file may have. Real lines are under 300 bytes; DuckDB's CSV reader
# stops at 2 MiB, so a longer line would stop the local build.
MAX_LINE_BYTES = 1 << 20
# Read size; the line-length check below relies on it being at most MAX_LINE_BYTES.
_CHUNK_BYTES = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"
# How often a long check reports how far it got.
_PROGRESS_EVERY_BYTES = 1 << 30


@dataclass(frozen=True)
class FileScan:
    """What the check learned about one file."""

    sha256: str  # of the bytes as stored (compressed, for a .csv.gz)
    size: int  # bytes as stored
    modified_ns: int  # the file's modification time when checked: a later change shows
    lines: int  # text lines, header included, line breaks as the engines count them (LF, CRLF, CR)
    first_event_day: str | None = None  # YYYY-MM-DD, see ingest.event_span for which lines count
    last_event_day: str | None = None
    last_event_at: str | None = None  # YYYY-MM-DD HH:MM:SS

    @property
    def data_lines(self) -> int:
        """Lines after the header: what dbt's stg_raw_files.lines_read and the reference's rows_read count."""
        return max(self.lines - 1, 0)


def scan_file(path: Path, progress: Callable[[str], None] | None = None) -> FileScan:
    """Check one raw file end to end, or raise IngestError naming the file, the line and the problem."""
    before = path.stat()
    digest = hashlib.sha256()
    counter = _LineChecker(path)
    span = EventSpan()
    stored = _stored_chunks(path, digest)
    try:
        text_chunks = _gunzip(path, stored) if path.name.endswith(".gz") else stored
        next_report = _PROGRESS_EVERY_BYTES
        for chunk in text_chunks:
            breaks = Breaks.of(chunk)  # found once, for the line count and the event span
            counter.add(chunk, breaks)
            span.add(chunk, breaks)
            if progress is not None and counter.bytes_read >= next_report:
                progress(f"  {path.name}: {counter.bytes_read / 1e9:,.1f} GB checked")
                next_report += _PROGRESS_EVERY_BYTES
        counter.finish()
        span.finish()
    except OSError as error:
        raise IngestError(f"{path} cannot be read: {error.strerror or error}.") from error
    after = path.stat()
    if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
        raise IngestError(f"{path} changed while it was being checked; land it once it is complete.")
    return FileScan(
        sha256=digest.hexdigest(),
        size=after.st_size,
        modified_ns=after.st_mtime_ns,
        lines=counter.lines,
        first_event_day=span.first_event_day,
        last_event_day=span.last_event_day,
        last_event_at=span.last_event_at,
    )


def changed_since(path: Path, scan: FileScan) -> bool:
    """True when the file is no longer what was checked (another size or modification time)."""
    now = path.stat()
    return (now.st_size, now.st_mtime_ns) != (scan.size, scan.modified_ns)


def _stored_chunks(path: Path, digest: hashlib._Hash) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK_BYTES):
            digest.update(chunk)
            yield chunk


def _gunzip(path: Path, stored: Iterator[bytes]) -> Iterator[bytes]:
    """The text of every gzip member in turn (`cat a.gz b.gz` is one valid gzip file)."""
    inflater = zlib.decompressobj(wbits=31)
    seen_any = False
    for chunk in stored:
        seen_any = True
        data = chunk
        while data:
            try:
                yield inflater.decompress(data, _CHUNK_BYTES)
                data = inflater.unconsumed_tail
                while inflater.eof and not data and inflater.unused_data:
                    data = inflater.unused_data
                    if not data.startswith(_GZIP_MAGIC[: len(data)]):
                        raise IngestError(f"{path} has bytes after its gzip data that are not gzip; it is damaged.")
                    inflater = zlib.decompressobj(wbits=31)
            except zlib.error as error:
                raise IngestError(f"{path} is not a valid gzip file ({error}).") from error
    if not seen_any:
        raise IngestError(f"{path} is empty (0 bytes), so it is not a gzip file.")
    if not inflater.eof:
        raise IngestError(f"{path} ends in the middle of its gzip data: the file is truncated (an unfinished copy?).")


class _LineChecker:
    """Counts lines and refuses what an engine would misread: bad UTF-8, NUL bytes, overlong lines."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self.bytes_read = 0
        self.line_breaks = 0
        self.open_line_bytes = 0  # bytes since the last line break
        self.ends_with_cr = False

    def add(self, chunk: bytes, breaks: Breaks | None = None) -> None:
        if not chunk:
            return
        self._refuse_nul(chunk)
        self._decode(chunk)
        self._count_breaks(chunk, Breaks.of(chunk) if breaks is None else breaks)
        self.bytes_read += len(chunk)

    def finish(self) -> None:
        try:
            self.decoder.decode(b"", final=True)
        except UnicodeDecodeError as error:
            raise IngestError(
                f"{self.path} ends in the middle of a UTF-8 character (line {self._line_number()}); "
                "the file is truncated or not UTF-8."
            ) from error

    @property
    def lines(self) -> int:
        return self.line_breaks + (1 if self.open_line_bytes > 0 else 0)

    def _refuse_nul(self, chunk: bytes) -> None:
        at = chunk.find(b"\x00")
        if at >= 0:
            raise IngestError(
                f"{self.path} has a NUL byte on line {self._line_number(chunk[:at])}, "
                "a sign of a damaged copy; it was not landed."
            )

    def _decode(self, chunk: bytes) -> None:
        if chunk.isascii() and not self.decoder.getstate()[0]:
            return  # ASCII is UTF-8; the real files are ASCII, and this test is ten times faster than decoding
        try:
            self.decoder.decode(chunk)
        except UnicodeDecodeError as error:
            # the decoder may hold back up to 3 bytes of the previous chunk; the line is close enough
            line = self._line_number(chunk[: max(error.start, 0)])
            raise IngestError(
                f"{self.path} is not UTF-8 text: line {line} has bytes of another encoding "
                "(e.g. Latin-1); convert the file to UTF-8 (iconv -f latin1 -t utf-8)."
            ) from error

    def _count_breaks(self, chunk: bytes, breaks: Breaks) -> None:
        newlines = len(breaks.newlines)
        if self.ends_with_cr and chunk.startswith(b"\n"):
            newlines -= 1  # the second half of a CRLF split between two chunks
        newlines += breaks.lone_crs
        self.line_breaks += newlines
        first = _first_break(chunk)
        if first < 0:
            self.open_line_bytes += len(chunk)
        else:
            self._refuse_long(self.open_line_bytes + first)
            self.open_line_bytes = len(chunk) - 1 - max(chunk.rfind(b"\n"), chunk.rfind(b"\r"))
        # Lines inside one chunk are shorter than a chunk, itself at most MAX_LINE_BYTES.
        self._refuse_long(self.open_line_bytes)
        self.ends_with_cr = chunk.endswith(b"\r")

    def _refuse_long(self, length: int) -> None:
        if length > MAX_LINE_BYTES:
            raise IngestError(
                f"{self.path} has a line longer than {MAX_LINE_BYTES:,} bytes (line {self.line_breaks + 1} or so); "
                "real lines are under 300 bytes, so the file is damaged or not a clickstream export."
            )

    def _line_number(self, before: bytes = b"") -> int:
        return self.line_breaks + before.count(b"\n") + 1


def _first_break(chunk: bytes) -> int:
    positions = [at for at in (chunk.find(b"\n"), chunk.find(b"\r")) if at >= 0]
    return min(positions) if positions else -1
