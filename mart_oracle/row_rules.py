"""The pipeline's row rules, in plain Python: every raw line read, classified and counted.

The dbt models and this package implement the same written definitions
(docs/metrics.md) in two languages that share no code, so a test comparing
them catches a mistake in either. Accepted events are folded into per-session,
per-day, per-product, per-category and per-brand counters (a Tally), which the
other modules of mart_oracle turn into the expected marts. Memory grows with the
number of distinct lines (16-byte digests), sessions, products and purchases.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ingest import KAGGLE_HEADER
from ingest.csvline import split_fields
from ingest.rawfiles import open_text

EVENT_TYPES = frozenset({"view", "cart", "purchase", "remove_from_cart"})
FIELD_COUNT = 9
HEADER_LINE = ",".join(KAGGLE_HEADER)

_EVENT_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} UTC")
_DIGITS = re.compile(r"[0-9]+")
_PRICE = re.compile(r"-?[0-9]+(\.[0-9]{1,2})?")
_BIGINT_MAX = 2**63 - 1
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Event:
    """One accepted, de-duplicated event."""

    event_time: dt.datetime
    event_type: str
    product_id: int
    category_id: int
    category_code: str | None
    brand: str | None
    price: Decimal
    user_id: int
    user_session: str | None
    line_key: str

    @property
    def session_id(self) -> str:
        """The source's session, or a session of its own for an event without one."""
        return self.user_session if self.user_session else f"no-session-{self.line_key}"


@dataclass
class Funnel:
    """View, cart and purchase counts and revenue over some events."""

    views: int = 0
    carts: int = 0
    purchases: int = 0
    revenue: Decimal = ZERO

    def add(self, event: Event) -> None:
        if event.event_type == "view":
            self.views += 1
        elif event.event_type == "cart":
            self.carts += 1
        elif event.event_type == "purchase":
            self.purchases += 1
            self.revenue += event.price


@dataclass
class Session:
    user_id: int
    start: dt.datetime
    end: dt.datetime
    events: int = 0
    funnel: Funnel = field(default_factory=Funnel)


@dataclass
class Product:
    first_seen: dt.datetime
    last_seen: dt.datetime
    min_price: Decimal
    max_price: Decimal
    latest: tuple[dt.datetime, str, int, str | None, Decimal]  # time, line key, category_id, brand, price
    funnel: Funnel = field(default_factory=Funnel)


@dataclass
class Tally:
    """Everything counted over the raw files."""

    rows_read: int = 0
    rows_accepted: int = 0
    duplicates_removed: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    purchases: list[Event] = field(default_factory=list)
    sessions: dict[str, Session] = field(default_factory=dict)
    products: dict[int, Product] = field(default_factory=dict)
    funnel_by_day: defaultdict[dt.date, Funnel] = field(default_factory=lambda: defaultdict(Funnel))
    funnel_by_category: defaultdict[int, Funnel] = field(default_factory=lambda: defaultdict(Funnel))
    funnel_by_brand: defaultdict[str, Funnel] = field(default_factory=lambda: defaultdict(Funnel))
    category_codes: dict[int, str | None] = field(default_factory=dict)
    first_day: dt.date | None = None
    last_day: dt.date | None = None

    @property
    def rows_quarantined(self) -> int:
        return sum(self.rejected.values())

    def add(self, event: Event) -> None:
        self.rows_accepted += 1
        if event.event_type == "purchase":
            self.purchases.append(event)
        day = event.event_time.date()
        self.first_day = day if self.first_day is None else min(self.first_day, day)
        self.last_day = day if self.last_day is None else max(self.last_day, day)
        self.funnel_by_day[day].add(event)
        self.funnel_by_category[event.category_id].add(event)
        self.funnel_by_brand[event.brand or "unknown"].add(event)
        self._add_category_code(event)
        self._add_to_session(event)
        self._add_to_product(event)

    def _add_category_code(self, event: Event) -> None:
        known = self.category_codes.get(event.category_id)
        if event.category_code is not None and (known is None or event.category_code > known):
            self.category_codes[event.category_id] = event.category_code
        else:
            self.category_codes.setdefault(event.category_id, known)

    def _add_to_session(self, event: Event) -> None:
        session = self.sessions.get(event.session_id)
        if session is None:
            session = self.sessions[event.session_id] = Session(event.user_id, event.event_time, event.event_time)
        session.user_id = min(session.user_id, event.user_id)
        session.start = min(session.start, event.event_time)
        session.end = max(session.end, event.event_time)
        session.events += 1
        session.funnel.add(event)

    def _add_to_product(self, event: Event) -> None:
        latest = (event.event_time, event.line_key, event.category_id, event.brand, event.price)
        product = self.products.get(event.product_id)
        if product is None:
            self.products[event.product_id] = product = Product(
                event.event_time, event.event_time, event.price, event.price, latest
            )
        product.first_seen = min(product.first_seen, event.event_time)
        product.last_seen = max(product.last_seen, event.event_time)
        product.min_price = min(product.min_price, event.price)
        product.max_price = max(product.max_price, event.price)
        if latest[:2] > product.latest[:2]:
            product.latest = latest
        product.funnel.add(event)


def rejection_reason(line: str) -> str | None:
    """The first check a raw line fails, in the order of seeds/rejection_reasons.csv."""
    if line == "":
        return "empty_line"
    if line == HEADER_LINE:  # a second file's header, when files were concatenated
        return "repeated_header"
    fields = split_fields(line)
    if fields is None:
        return "unbalanced_quote"
    if len(fields) != FIELD_COUNT:
        return "wrong_field_count"
    event_time, event_type, product_id, category_id, _code, _brand, price, user_id, _session = fields
    if not _EVENT_TIME.fullmatch(event_time) or _parse_time(event_time) is None:
        return "unparseable_event_time"
    if event_type not in EVENT_TYPES:
        return "unknown_event_type"
    for name, value in (("product_id", product_id), ("category_id", category_id), ("user_id", user_id)):
        if value == "":
            return f"missing_{name}"
        if not _DIGITS.fullmatch(value) or int(value) > _BIGINT_MAX:
            return f"non_numeric_{name}"
    if price == "":
        return "missing_price"
    if not _PRICE.fullmatch(price):
        return "non_numeric_price"
    if Decimal(price) < 0:
        return "negative_price"
    return None


def _parse_time(text: str) -> dt.datetime | None:
    """The first 19 characters as a date and time (the caller checked the shape), or None."""
    try:
        return dt.datetime.fromisoformat(text[:19])
    except ValueError:
        return None


def parse_event(line: str, line_key: str) -> Event:
    """An accepted line as an Event (call only when rejection_reason(line) is None)."""
    fields = split_fields(line)
    if fields is None or len(fields) != FIELD_COUNT:
        raise ValueError(f"not an accepted line: {line!r}")
    time_text, event_type, product_id, category_id, code, brand, price, user_id, session = fields
    return Event(
        event_time=dt.datetime.fromisoformat(time_text[:19]),
        event_type=event_type,
        product_id=int(product_id),
        category_id=int(category_id),
        category_code=code or None,
        brand=brand or None,
        price=Decimal(price),
        user_id=int(user_id),
        user_session=session or None,
        line_key=line_key,
    )


def data_lines(path: Path) -> Iterator[str]:
    """The data lines of one raw file: header skipped, line endings removed."""
    with open_text(path) as handle:
        next(handle, None)
        for line in handle:
            yield line.rstrip("\n").replace("\r", "")


# How often a long tally reports where it is, in lines.
PROGRESS_EVERY = 2_000_000


def tally(paths: Iterable[Path], progress: Callable[[str], None] | None = None) -> Tally:
    """Classify every line of the files the way the pipeline's rules say, and count the accepted ones.
    `progress`, when given, hears which file is read and every PROGRESS_EVERY lines."""
    result = Tally()
    seen: set[bytes] = set()
    ordered = sorted(paths)
    for number, path in enumerate(ordered, start=1):
        if progress is not None:
            progress(f"file {number}/{len(ordered)}: {path.name} ({result.rows_read:,} lines read so far)")
        for line in data_lines(path):
            result.rows_read += 1
            if progress is not None and result.rows_read % PROGRESS_EVERY == 0:
                progress(f"  {result.rows_read:,} lines read")
            reason = rejection_reason(line)
            if reason is not None:
                result.rejected[reason] += 1
                continue
            digest = hashlib.md5(line.encode()).digest()
            if digest in seen:
                result.duplicates_removed += 1
                continue
            seen.add(digest)
            result.add(parse_event(line, digest.hex()))
    return result
