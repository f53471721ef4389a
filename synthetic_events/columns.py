"""Columns written in the Kaggle file's textual style, built straight from arrays of ASCII bytes."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pyarrow as pa

from synthetic_events.calibration import SECONDS_PER_DAY

_UUID_HEX_POSITIONS = np.array([i for i in range(36) if i not in (8, 13, 18, 23)])
_HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def cents_text(cents: np.ndarray) -> pl.Series:
    """Cents as text with exactly two decimals: 3579 -> "35.79", 0 -> "0.00"."""
    value = pl.Series(cents)
    return (
        pl.select((value // 100).cast(pl.String) + "." + (value % 100).cast(pl.String).str.zfill(2))
        .to_series()
        .alias("price")
    )


def event_time_column(day: date, second: np.ndarray) -> pl.Series:
    """event_time texts like `2019-10-01 00:00:04 UTC` for seconds of one day."""
    table = np.empty((SECONDS_PER_DAY, 23), dtype=np.uint8)
    table[:, :11] = np.frombuffer(f"{day.isoformat()} ".encode(), dtype=np.uint8)
    table[:, 11:19] = _CLOCK_TEXT
    table[:, 19:] = np.frombuffer(b" UTC", dtype=np.uint8)
    return _fixed_width_strings("event_time", table).gather(second)


def session_column(session_uuid: np.ndarray, session: np.ndarray, has_session: np.ndarray) -> pl.Series:
    """Each row's session UUID, null where the row has none."""
    index = pl.Series(session.astype(np.uint32)).scatter(np.flatnonzero(~has_session), None)
    return _fixed_width_strings("user_session", session_uuid).gather(index)


def _clock_text() -> np.ndarray:
    """`HH:MM:SS` of every second of a day, as a (86400, 8) array of ASCII bytes."""
    second = np.arange(SECONDS_PER_DAY)
    digits = np.stack(
        [second // 36000, second // 3600 % 10, second // 600 % 6, second // 60 % 10, second // 10 % 6, second % 10],
        axis=1,
    )
    text = np.full((SECONDS_PER_DAY, 8), ord(":"), dtype=np.uint8)
    text[:, [0, 1, 3, 4, 6, 7]] = ord("0") + digits
    return text


_CLOCK_TEXT = _clock_text()


def uuid4_bytes(rng: np.random.Generator, count: int) -> np.ndarray:
    """`count` random UUID4 strings as a (count, 36) array of ASCII bytes."""
    raw = np.frombuffer(rng.bytes(16 * count), dtype=np.uint8).reshape(count, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    digits = np.empty((count, 32), dtype=np.uint8)
    digits[:, 0::2] = _HEX_DIGITS[raw >> 4]
    digits[:, 1::2] = _HEX_DIGITS[raw & 0x0F]
    text = np.full((count, 36), ord("-"), dtype=np.uint8)
    text[:, _UUID_HEX_POSITIONS] = digits
    return text


def _fixed_width_strings(name: str, text: np.ndarray) -> pl.Series:
    """A string column built straight from a (rows, width) array of ASCII bytes."""
    count, width = text.shape
    offsets = np.arange(0, width * (count + 1), width, dtype=np.int64)
    array = pa.LargeStringArray.from_buffers(count, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(text)))
    return pl.Series(name, array)
