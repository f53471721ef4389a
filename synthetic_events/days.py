"""The days of the period: how many rows each gets, and each day's rows as a frame in the Kaggle columns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from synthetic_events.calibration import (
    DUPLICATE_RATE,
    EMPTY_SESSION_EVERY,
    EVENT_TYPES,
    MIN_EMPTY_SESSION_PURCHASES,
    MIN_EMPTY_SESSIONS,
    NOVEMBER_DAY_WEIGHT,
    PURCHASE,
)
from synthetic_events.catalogue import Catalogue, largest_remainder
from synthetic_events.columns import event_time_column, session_column, uuid4_bytes
from synthetic_events.config import GeneratorConfig
from synthetic_events.seeding import DAY_STREAM, EMPTIES_STREAM, rng_for
from synthetic_events.sessions import draw_rows, draw_sessions, weighted_index
from synthetic_events.users import UserPool


@dataclass(frozen=True)
class DayPlan:
    day: date
    index: int  # position in the period, 0-based
    rows: int  # rows to write, duplicates included
    empty_sessions: int  # rows to write without a user_session ...
    empty_session_purchases: int  # ... of which purchase rows


def plan_days(config: GeneratorConfig) -> list[DayPlan]:
    """How many rows, and rows without a session, each day of the period gets."""
    days = [config.start + timedelta(days=i) for i in range((config.end - config.start).days + 1)]
    weight = np.array([NOVEMBER_DAY_WEIGHT if day.month == 11 else 1.0 for day in days])
    rows = largest_remainder(weight, config.events)
    empties, empty_purchases = _allocate_empty_sessions(config, rows)
    return [DayPlan(day, i, int(rows[i]), int(empties[i]), int(empty_purchases[i])) for i, day in enumerate(days)]


def _allocate_empty_sessions(config: GeneratorConfig, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Spread ~1 session-less row per 100k over the days, at least 3, at least 2 purchases.

    Decided for the whole period up front so that the days stay independent.
    The guaranteed purchases go to the busiest day, which has purchases to spare.
    """
    total = max(MIN_EMPTY_SESSIONS, round(config.events / EMPTY_SESSION_EVERY))
    purchases = np.zeros(len(rows), dtype=np.int64)
    purchases[np.argmax(rows)] = MIN_EMPTY_SESSION_PURCHASES
    rng = rng_for(config.seed, EMPTIES_STREAM)
    others = rng.choice(len(rows), size=total - MIN_EMPTY_SESSION_PURCHASES, p=rows / rows.sum())
    empties = purchases + np.bincount(others, minlength=len(rows))
    return empties, purchases


def generate_day(catalogue: Catalogue, users: UserPool, plan: DayPlan, n_days: int, seed: int) -> pl.DataFrame:
    """All rows of one day, sorted by event_time, as a frame in the Kaggle column order."""
    rng = rng_for(seed, DAY_STREAM, plan.day.toordinal())
    base_rows = round(plan.rows / (1 + DUPLICATE_RATE))
    sessions = draw_sessions(rng, base_rows)
    rows = draw_rows(rng, catalogue, sessions)
    order = np.argsort(rows.second, kind="stable")
    has_session = _session_mask(rng, rows.event_type[order], plan)
    repeat = _duplicate_counts(rng, len(order))
    order = np.repeat(order, repeat)
    has_session = np.repeat(has_session, repeat)

    session_user = users.user_id[weighted_index(rng, users.cum_weight, len(sessions.views))]
    session_uuid = uuid4_bytes(rng, len(sessions.views))
    session = rows.session[order]
    product = rows.product[order]
    # products with the day's price, gathered once for all product columns
    products = catalogue.static.with_columns(_price_texts_on(catalogue, plan.index, n_days))[product]
    return pl.DataFrame(
        [
            event_time_column(plan.day, rows.second[order]),
            pl.Series("event_type", EVENT_TYPES, dtype=pl.String).gather(rows.event_type[order]),
            products["product_id"],
            products["category_id"],
            products["category_code"],
            products["brand"],
            products["price"],
            pl.Series("user_id", session_user[session]),
            session_column(session_uuid, session, has_session),
        ]
    )


def _session_mask(rng: np.random.Generator, event_type: np.ndarray, plan: DayPlan) -> np.ndarray:
    """False for the rows written without a user_session (a tracking glitch in the real data)."""
    keep = np.ones(len(event_type), dtype=bool)
    purchases = np.flatnonzero(event_type == PURCHASE)
    others = np.flatnonzero(event_type != PURCHASE)
    wanted = min(plan.empty_session_purchases, len(purchases))
    keep[rng.choice(purchases, size=wanted, replace=False)] = False
    rest = min(plan.empty_sessions - wanted, len(others))
    keep[rng.choice(others, size=rest, replace=False)] = False
    return keep


def _duplicate_counts(rng: np.random.Generator, count: int) -> np.ndarray:
    """1 for most rows, 2 for the ~0.15% that the real feed delivered twice."""
    return 1 + (rng.random(count) < DUPLICATE_RATE).astype(np.int64)


def _changed_prices(catalogue: Catalogue, day_index: int, n_days: int) -> np.ndarray:
    """Which products sell at their new price on one day of the period."""
    if n_days < 2:
        return np.zeros(len(catalogue.change_at), dtype=bool)
    return day_index >= np.ceil(catalogue.change_at * (n_days - 1))


def _price_texts_on(catalogue: Catalogue, day_index: int, n_days: int) -> pl.Series:
    """Every product's price on one day of the period, as written."""
    changed = pl.Series(_changed_prices(catalogue, day_index, n_days))
    return pl.select(pl.when(changed).then(catalogue.new_price_text).otherwise(catalogue.price_text)).to_series()
