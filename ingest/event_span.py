"""The first and last event day, and the last event time, of a raw file, found during its whole-file check.

The landing manifest (ingest.manifest) records them so that dbt knows which days a file touches
without opening it. They must cover every day dbt accepts, so the rule here is wider than dbt's:
a data line counts for its day when its first field (optionally after a double quote) starts with
`YYYY-MM-DD ` and that is a calendar date, and for the last event time when it starts with
`YYYY-MM-DD HH:MM:SS` and that is a valid time, whatever follows.

Speed (real files are 14 GB): lines that start with a timestamp sort by time as bytes, so for
each chunk the lowest and highest 19-byte line start give the chunk's first and last event.
They are found with numpy, reading each line start as three big-endian 8-byte integers (bytes
0-7, 8-15, 11-18) without making a Python object per line; a line that opens with a double quote
is read from the byte after it, and lines that cannot hold a day (blank, not starting with a
digit) are left out. Only when a line that starts with a digit is too short for a timestamp, or
the lowest or highest start is not a valid timestamp (garbage, `2019-10-32`), is the chunk
searched line by line with a regular expression.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

_TIMESTAMP_BYTES = 19  # YYYY-MM-DD HH:MM:SS
_DAY_BYTES = 10
_TIMESTAMP = re.compile(rb"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")
_DAY_LINE = re.compile(rb'^"?([0-9]{4}-[0-9]{2}-[0-9]{2}) ', re.MULTILINE)
_TIMESTAMP_LINE = re.compile(rb'^"?([0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2})', re.MULTILINE)
# A line's first 19 bytes as three 8-byte words, at offsets 0, 8 and 11: compared in this order they
# sort line starts as bytes do (the overlap of the last two is equal once the second is).
_TAIL_OFFSET = _TIMESTAMP_BYTES - 8
_NEWLINE, _QUOTE, _ZERO, _NINE = ord("\n"), ord('"'), ord("0"), 9


@lru_cache(maxsize=4096)
def _is_day(text: bytes) -> bool:
    try:
        dt.date.fromisoformat(text.decode("ascii"))
    except ValueError:
        return False
    return True


def _is_timestamp(text: bytes) -> bool:
    try:
        dt.datetime.fromisoformat(text.decode("ascii"))
    except ValueError:
        return False
    return True


def _is_timestamp_line(line: bytes) -> bool:
    return _TIMESTAMP.match(line) is not None and _is_timestamp(line[:_TIMESTAMP_BYTES])


Positions = npt.NDArray[np.intp]


def newline_positions(chunk: bytes) -> Positions:
    return np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == _NEWLINE)


@dataclass(frozen=True)
class Breaks:
    """The line breaks of a chunk, found once for the whole-file check's line count and for EventSpan."""

    newlines: Positions  # where the LF bytes are
    lone_crs: int  # CR bytes not followed by an LF in the chunk (one ending the chunk included)

    @staticmethod
    def of(chunk: bytes) -> Breaks:
        lone = chunk.count(b"\r") - chunk.count(b"\r\n") if b"\r" in chunk else 0
        return Breaks(newline_positions(chunk), lone)


class EventSpan:
    """Fed the text of a file chunk by chunk (header included); knows its event days and last event time."""

    def __init__(self) -> None:
        self._carry = b""  # the unfinished last line of the chunks so far
        self._in_header = True  # the first line is the header, never an event
        self._first_day: bytes | None = None
        self._last_day: bytes | None = None
        self._last_at: bytes | None = None

    def add(self, chunk: bytes, breaks: Breaks | None = None) -> None:
        """`breaks`: Breaks.of(chunk), when the caller has it already."""
        found = Breaks.of(chunk) if breaks is None else breaks
        if self._has_lone_carriage_return(chunk, found.lone_crs):
            self._add_with_carriage_returns(chunk)
            return
        # LF or CRLF: the CR of a CRLF stays at its line's end, where it changes neither the first
        # 19 bytes of a line nor whether a line is long enough to hold an event.
        newlines = found.newlines
        if len(newlines) == 0:
            self._carry += chunk
            return
        first, last = int(newlines[0]) + 1, int(newlines[-1]) + 1
        # The line the previous chunk left unfinished, now whole; then the chunk's own lines, in place.
        head = self._carry + chunk[:first]
        self._take(head, 0, len(head), newline_positions(head))
        self._take(chunk, first, last, newlines[1:])
        self._carry = chunk[last:]

    def _has_lone_carriage_return(self, chunk: bytes, lone_crs: int) -> bool:
        """A CR that is a line break of its own (CR-only or mixed text); a CR ending the chunk waits for the next."""
        if self._carry.endswith(b"\r") and not chunk.startswith(b"\n"):
            return True
        return lone_crs - chunk.endswith(b"\r") > 0

    def _add_with_carriage_returns(self, chunk: bytes) -> None:
        """Text with a lone CR: every CR, CRLF and LF made one LF, as the engines count them (copied, not in place)."""
        buffer = self._carry + chunk
        held = b""
        if buffer.endswith(b"\r"):  # maybe the first half of a CRLF: decide with the next chunk
            buffer, held = buffer[:-1], b"\r"
        buffer = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        end = buffer.rfind(b"\n") + 1  # after the last whole line
        self._carry = buffer[end:] + held
        self._take(buffer, 0, end, newline_positions(buffer[:end]))

    def finish(self) -> None:
        """Take the last line when the file does not end with a line break."""
        last = self._carry.replace(b"\r", b"") + b"\n"
        self._carry = b""
        if len(last) > 1:
            self._take(last, 0, len(last), newline_positions(last))

    @property
    def first_event_day(self) -> str | None:
        return None if self._first_day is None else self._first_day.decode("ascii")

    @property
    def last_event_day(self) -> str | None:
        return None if self._last_day is None else self._last_day.decode("ascii")

    @property
    def last_event_at(self) -> str | None:
        return None if self._last_at is None else self._last_at.decode("ascii")

    def _take(self, buffer: bytes, start: int, end: int, breaks: Positions) -> None:
        """Take the whole lines of `buffer[start:end]`; `breaks`: their line breaks' positions in `buffer`."""
        if self._in_header and len(breaks) > 0:
            self._in_header = False
            start, breaks = int(breaks[0]) + 1, breaks[1:]
        if len(breaks) == 0:
            return
        extremes = _lowest_and_highest_start(buffer, start, end, breaks)
        if extremes is not None:
            if not extremes:
                return  # no line of this chunk can hold an event day
            low, high = extremes
            if _is_timestamp_line(low) and _is_timestamp_line(high):
                # every line that counts lies between these two, and so does its day and time
                self._note(low[:_DAY_BYTES], high[:_DAY_BYTES], high[:_TIMESTAMP_BYTES])
                return
        days = [day for day in set(_DAY_LINE.findall(buffer, start, end)) if _is_day(day)]
        stamps = sorted(set(_TIMESTAMP_LINE.findall(buffer, start, end)), reverse=True)
        last_at = next((stamp for stamp in stamps if _is_timestamp(stamp)), None)
        if days:
            self._note(min(days), max(days), last_at)

    def _note(self, first_day: bytes, last_day: bytes, last_at: bytes | None) -> None:
        if self._first_day is None or first_day < self._first_day:
            self._first_day = first_day
        if self._last_day is None or last_day > self._last_day:
            self._last_day = last_day
        if last_at is not None and (self._last_at is None or last_at > self._last_at):
            self._last_at = last_at


def _lowest_and_highest_start(buffer: bytes, start: int, end: int, breaks: Positions) -> list[bytes] | None:
    """The lowest and highest first 19 bytes (after a double quote that opens a line) over the lines of
    `buffer[start:end]` that start with a digit, each ending in the line break at `breaks`; [] when no line
    can hold an event day, None when a line that could is shorter than a timestamp (a regex decides then)."""
    data = np.frombuffer(buffer, dtype=np.uint8, count=end)
    starts = np.empty_like(breaks)
    starts[0] = start
    starts[1:] = breaks[:-1] + 1
    starts += data[starts] == _QUOTE  # a quoted first field: its text starts one byte later
    lengths = breaks - starts
    digit = data[starts] - _ZERO <= _NINE  # uint8: a byte below "0" wraps around above 9
    if bool(np.any(digit & (lengths >= _DAY_BYTES + 1) & (lengths < _TIMESTAMP_BYTES))):
        return None
    starts = starts[digit & (lengths >= _TIMESTAMP_BYTES)]
    if len(starts) == 0:
        return []
    # Views with an item at every byte offset (nothing is copied): 16 bytes (bytes 0-15 of a line, as
    # two words) and 8 bytes (bytes 11-18). Read as big-endian numbers they compare as the bytes do.
    heads = np.ndarray((end - 15,), dtype="V16", buffer=buffer, strides=(1,))[starts].view(np.uint64)
    tails = np.ndarray((end - 7,), dtype=np.uint64, buffer=buffer, strides=(1,))[starts + _TAIL_OFFSET]
    if sys.byteorder == "little":
        heads, tails = heads.byteswap(), tails.byteswap()
    keys = [heads[0::2], heads[1::2], tails]
    low, high = (int(starts[_extreme(keys, pick)]) for pick in (np.min, np.max))
    return [buffer[low : low + _TIMESTAMP_BYTES], buffer[high : high + _TIMESTAMP_BYTES]]


def _extreme(keys: list[npt.NDArray[np.uint64]], pick: Callable[[npt.NDArray[np.uint64]], np.uint64]) -> int:
    """Index of the lexicographically lowest or highest row of the columns `keys`."""
    rows = np.arange(len(keys[0]))
    for key in keys:
        values = key[rows]
        rows = rows[values == pick(values)]
    return int(rows[0])
