"""The user pool: ids and skewed activity, sized so that ~14 rows per user show up."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthetic_events.calibration import ROWS_PER_SESSION, ROWS_PER_USER, USER_ACTIVITY_SIGMA
from synthetic_events.seeding import USERS_STREAM, rng_for
from synthetic_events.taxonomy import USER_ID_LOW, USER_ID_SPAN


@dataclass(frozen=True)
class UserPool:
    user_id: np.ndarray
    cum_weight: np.ndarray


def build_users(events: int, seed: int) -> UserPool:
    """A pool of users with skewed activity, sized so ~14 rows per user show up."""
    rng = rng_for(seed, USERS_STREAM)
    size = _user_pool_size(events)
    weight = rng.lognormal(0.0, USER_ACTIVITY_SIGMA, size)
    span = max(USER_ID_SPAN, 3 * size)
    gap = max(1, span // size)
    user_id = USER_ID_LOW + np.cumsum(rng.integers(1, 2 * gap, size))
    return UserPool(user_id=rng.permutation(user_id).astype(np.int64), cum_weight=np.cumsum(weight))


def _user_pool_size(events: int) -> int:
    """Pool size whose expected number of distinct active users is events / 14.

    Sessions pick users with replacement, so a pool of P users with lognormal
    weights shows P * E[1 - exp(-S w / P)] of them for S sessions; solve for P
    by bisection on a fixed sample of the weight distribution.
    """
    sessions = events / ROWS_PER_SESSION
    wanted = max(1.0, events / ROWS_PER_USER)
    z = np.random.default_rng(0).standard_normal(20_000)
    relative = np.exp(USER_ACTIVITY_SIGMA * z - USER_ACTIVITY_SIGMA**2 / 2)

    def active(pool: float) -> float:
        return pool * float(np.mean(-np.expm1(-sessions * relative / pool)))

    low, high = wanted, 100 * wanted
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if active(middle) < wanted else (low, middle)
    return max(1, round(high))
