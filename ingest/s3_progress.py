"""Progress of a long step of the S3 landing (checksum, gzip, upload): bytes done, rate, time left."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

MIB = 1024 * 1024


def _duration(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


class Progress:
    """Bytes done, rate and time left for one step at a time (hashing, compressing, uploading).

    On a terminal: one line redrawn in place. Otherwise: a plain log line at every tenth of a
    file of at least LOG_MIN_BYTES, so a log shows a long upload is alive without flooding.
    Thread-safe: the transfer threads report bytes as they send them.
    """

    LOG_MIN_BYTES = 32 * MIB
    REDRAW_SECONDS = 0.2

    def __init__(
        self, out: TextIO, interactive: bool | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._out = out
        self._interactive = out.isatty() if interactive is None else interactive
        self._clock = clock
        self._lock = threading.Lock()
        self._label = ""
        self._total = 0
        self._done = 0
        self._started = 0.0
        self._last_draw = 0.0
        self._next_tenth = 1

    def begin(self, label: str, total: int) -> None:
        with self._lock:
            self._label, self._total, self._done = label, total, 0
            self._started = self._last_draw = self._clock()
            self._next_tenth = 1

    def advance(self, amount: int) -> None:
        # A retried part reports negative progress as botocore rewinds its body.
        with self._lock:
            self._done = min(max(self._done + amount, 0), self._total)
            now = self._clock()
            if self._interactive:
                if now - self._last_draw >= self.REDRAW_SECONDS or self._done == self._total:
                    self._last_draw = now
                    self._out.write(f"\r\x1b[K{self._line(now)}")
                    self._out.flush()
            elif self._total >= self.LOG_MIN_BYTES and self._done * 10 >= self._next_tenth * self._total:
                self._next_tenth = self._done * 10 // self._total + 1
                print(self._line(now), file=self._out, flush=True)

    def end(self) -> None:
        if self._interactive:
            self._out.write("\r\x1b[K")
            self._out.flush()

    def _line(self, now: float) -> str:
        elapsed = max(now - self._started, 1e-9)
        rate = self._done / elapsed
        left = (self._total - self._done) / rate if rate > 0 else 0.0
        percent = 100 * self._done / self._total if self._total else 100.0
        return (
            f"  {self._label}: {self._done / 1e6:,.1f} / {self._total / 1e6:,.1f} MB ({percent:.0f}%), "
            f"{rate / 1e6:,.1f} MB/s, {_duration(left)} left"
        )


class ProgressSubscriber:
    """s3transfer subscriber feeding the bytes sent to a Progress."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress

    def on_queued(self, future: Any, **kwargs: Any) -> None:
        pass

    def on_progress(self, future: Any, bytes_transferred: int, **kwargs: Any) -> None:
        self._progress.advance(bytes_transferred)

    def on_done(self, future: Any, **kwargs: Any) -> None:
        pass
