"""One day's sessions: views, carts and purchases with their products and seconds of the day."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from synthetic_events.calibration import (
    CART,
    CART_ITEMS_PROBS,
    CART_SESSION_RATE,
    DIRECT_PURCHASE_RATE,
    HOUR_WEIGHTS,
    MAX_VIEWS,
    PURCHASE,
    PURCHASE_AFTER_CART_RATE,
    REPEAT_VIEW_RATE,
    SAME_CATEGORY_RATE,
    SECONDS_PER_DAY,
    VIEW,
    VIEWS_EXTRA_MEAN,
    VIEWS_SHAPE,
)
from synthetic_events.catalogue import Catalogue


@dataclass(frozen=True)
class Sessions:
    """One day's sessions, before products and times are drawn."""

    views: np.ndarray
    cart_items: np.ndarray
    buys_cart: np.ndarray  # purchases every carted item at checkout
    buys_direct: np.ndarray  # purchases one viewed product without a cart event


@dataclass(frozen=True)
class Events:
    """Rows of one event type: session, seconds since the session started, product."""

    session: np.ndarray
    offset: np.ndarray
    product: np.ndarray


@dataclass(frozen=True)
class Rows:
    """One day's rows in generation order (grouped by session)."""

    session: np.ndarray
    second: np.ndarray
    event_type: np.ndarray
    product: np.ndarray


def draw_sessions(rng: np.random.Generator, target_rows: int) -> Sessions:
    """Enough sessions for exactly `target_rows` rows; the last one is cut short."""
    count = math.ceil(target_rows / 4.0) + 16 if target_rows > 0 else 0
    p = VIEWS_SHAPE / (VIEWS_SHAPE + VIEWS_EXTRA_MEAN)
    views = np.minimum(1 + rng.negative_binomial(VIEWS_SHAPE, p, count), MAX_VIEWS)
    carts = np.where(
        rng.random(count) < CART_SESSION_RATE,
        1 + rng.choice(len(CART_ITEMS_PROBS), size=count, p=CART_ITEMS_PROBS),
        0,
    )
    views = np.maximum(views, carts)  # every carted product was viewed first
    buys_cart = (carts > 0) & (rng.random(count) < PURCHASE_AFTER_CART_RATE)
    buys_direct = (carts == 0) & (rng.random(count) < DIRECT_PURCHASE_RATE)
    sessions = Sessions(views, carts, buys_cart, buys_direct)
    return _fill_exactly(sessions, target_rows)


def _fill_exactly(sessions: Sessions, target_rows: int) -> Sessions:
    """The first sessions that make `target_rows` rows, the last one trimmed to fit."""
    purchases = np.where(sessions.buys_cart, sessions.cart_items, sessions.buys_direct)
    ends = np.cumsum(sessions.views + sessions.cart_items + purchases)
    keep = min(int(np.searchsorted(ends, target_rows)) + 1, len(ends))
    views, carts = sessions.views[:keep].copy(), sessions.cart_items[:keep].copy()
    buys_cart, buys_direct = sessions.buys_cart[:keep].copy(), sessions.buys_direct[:keep].copy()
    if keep and ends[keep - 1] > target_rows:
        # the day is full: the last visitor only browses, and only as long as there is room
        views[-1] = target_rows - (ends[keep - 2] if keep > 1 else 0)
        carts[-1], buys_cart[-1], buys_direct[-1] = 0, False, False
    return Sessions(views, carts, buys_cart, buys_direct)


def draw_rows(rng: np.random.Generator, catalogue: Catalogue, sessions: Sessions) -> Rows:
    """Views, carts and purchases of every session with products and seconds of the day."""
    views = _draw_views(rng, catalogue, sessions)
    view_start = np.cumsum(sessions.views) - sessions.views
    carts, cart_item = _draw_carts(rng, sessions, views, view_start)
    purchases = _draw_purchases(rng, sessions, views, view_start, carts, cart_item)
    parts = (views, carts, purchases)
    session = np.concatenate([part.session for part in parts])
    offset = np.concatenate([part.offset for part in parts])
    event_type = np.repeat(np.array([VIEW, CART, PURCHASE], dtype=np.int8), [len(part.session) for part in parts])
    return Rows(
        session=session,
        second=_place_in_day(rng, session, offset, len(sessions.views)),
        event_type=event_type,
        product=np.concatenate([part.product for part in parts]),
    )


def _draw_views(rng: np.random.Generator, catalogue: Catalogue, sessions: Sessions) -> Events:
    """Every session's views, seconds to a few minutes apart."""
    view_start = np.cumsum(sessions.views) - sessions.views
    session = np.repeat(np.arange(len(sessions.views)), sessions.views)
    gaps = _gaps(rng, len(session), median=30, spread=1.0, low=1, high=600)
    gaps[view_start[sessions.views > 0]] = 0
    elapsed = np.cumsum(gaps)
    offset = elapsed - elapsed[view_start][session]
    return Events(session=session, offset=offset, product=_view_products(rng, catalogue, session, view_start))


def _draw_carts(
    rng: np.random.Generator, sessions: Sessions, views: Events, view_start: np.ndarray
) -> tuple[Events, np.ndarray]:
    """Cart events for products viewed earlier in the session, and each one's item number.

    Item k of m is a view from the k-th m-th of the session, so the items of
    one session are distinct views.
    """
    count = sessions.cart_items
    session = np.repeat(np.arange(len(count)), count)
    item = np.arange(len(session)) - np.repeat(np.cumsum(count) - count, count)
    session_views = sessions.views[session]
    position = ((item + rng.random(len(item))) * session_views / count[session]).astype(np.int64)
    carted = view_start[session] + np.minimum(position, session_views - 1)
    offset = views.offset[carted] + _gaps(rng, len(carted), median=20, spread=0.8, low=2, high=300)
    return Events(session=session, offset=offset, product=views.product[carted]), item


def _draw_purchases(
    rng: np.random.Generator,
    sessions: Sessions,
    views: Events,
    view_start: np.ndarray,
    carts: Events,
    cart_item: np.ndarray,
) -> Events:
    """Checkouts: every carted item of a buying session, or one viewed product bought directly.

    Checkout comes after the session's last view and last cart; the items of
    one order are a second apart, at the price of the day (the same as in the
    cart, as prices only change between days).
    """
    n_sessions = len(sessions.views)
    checkout = np.zeros(n_sessions, dtype=np.int64)
    np.maximum.at(checkout, views.session, views.offset)
    np.maximum.at(checkout, carts.session, carts.offset)
    checkout += _gaps(rng, n_sessions, median=60, spread=0.8, low=10, high=900)

    bought = sessions.buys_cart[carts.session]
    direct = np.flatnonzero(sessions.buys_direct)
    direct_view = view_start[direct] + (rng.random(len(direct)) * sessions.views[direct]).astype(np.int64)
    return Events(
        session=np.concatenate([carts.session[bought], direct]),
        offset=np.concatenate([checkout[carts.session[bought]] + cart_item[bought], checkout[direct]]),
        product=np.concatenate([carts.product[bought], views.product[direct_view]]),
    )


def _view_products(
    rng: np.random.Generator, catalogue: Catalogue, view_session: np.ndarray, view_start: np.ndarray
) -> np.ndarray:
    """Products viewed: the first by popularity, then browsing around that category."""
    n = len(view_session)
    first = np.zeros(n, dtype=bool)
    first[view_start] = True
    mode = rng.random(n)
    repeat = ~first & (mode < REPEAT_VIEW_RATE)
    same_category = ~first & ~repeat & (mode < REPEAT_VIEW_RATE + SAME_CATEGORY_RATE)

    # a session's category is the category of its first view; the other non-repeat views are
    # either from that category or from anywhere
    anywhere = first | (~repeat & ~same_category)
    product = np.zeros(n, dtype=np.int64)
    product[anywhere] = weighted_index(rng, catalogue.cum_weight, int(anywhere.sum()))
    category = catalogue.category_of[product[view_start]][view_session[same_category]]
    product[same_category] = _weighted_index_within(rng, catalogue, category)

    # a repeat view shows the product of the closest earlier non-repeat view (never across sessions,
    # as a session's first view is never a repeat)
    source = np.where(repeat, 0, np.arange(n))
    return product[np.maximum.accumulate(source)] if n else product


def weighted_index(rng: np.random.Generator, cum_weight: np.ndarray, count: int) -> np.ndarray:
    """Indices drawn with probability proportional to weight."""
    index = _search(cum_weight, rng.random(count) * cum_weight[-1])
    return np.minimum(index, len(cum_weight) - 1)


def _weighted_index_within(rng: np.random.Generator, catalogue: Catalogue, category: np.ndarray) -> np.ndarray:
    """Products drawn by popularity, each within its given category."""
    first = catalogue.category_first[category]
    last = catalogue.category_last[category]
    low = np.where(first > 0, catalogue.cum_weight[np.maximum(first - 1, 0)], 0.0)
    high = catalogue.cum_weight[last]
    index = _search(catalogue.cum_weight, low + rng.random(len(category)) * (high - low))
    return np.clip(index, first, last)


def _search(cumulative: np.ndarray, values: np.ndarray) -> np.ndarray:
    """np.searchsorted(side="right"), about 2x faster for many random values.

    Searching the values in (nearly) ascending order keeps the binary searches
    in cache; a radix sort on 16-bit buckets of the values is cheap enough to
    more than pay for itself.
    """
    bucket = (values * (65_535 / cumulative[-1])).astype(np.uint16)
    order = np.argsort(bucket, kind="stable")
    index = np.empty(len(values), dtype=np.int64)
    index[order] = np.searchsorted(cumulative, values[order], side="right")
    return index


def _gaps(rng: np.random.Generator, count: int, median: float, spread: float, low: int, high: int) -> np.ndarray:
    """Whole seconds, lognormal around `median`, within [low, high]."""
    return np.clip(np.round(rng.lognormal(math.log(median), spread, count)), low, high).astype(np.int64)


def _place_in_day(rng: np.random.Generator, session: np.ndarray, offset: np.ndarray, n_sessions: int) -> np.ndarray:
    """Second of the day of every row: a diurnal start per session, kept inside the day."""
    span = np.zeros(n_sessions, dtype=np.int64)
    np.maximum.at(span, session, offset)
    span = np.minimum(span, SECONDS_PER_DAY - 1)
    hour = rng.choice(24, size=n_sessions, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    start = hour * 3600 + rng.integers(0, 3600, n_sessions)
    start = np.minimum(start, SECONDS_PER_DAY - 1 - span)  # a session never crosses midnight
    return np.minimum(start[session] + offset, SECONDS_PER_DAY - 1).astype(np.int32)
