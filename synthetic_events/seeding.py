"""Seeded random generators: one independent stream per purpose and per day, so days can be made alone."""

from __future__ import annotations

import numpy as np


def rng_for(seed: int, *path: int) -> np.random.Generator:
    """A generator for one purpose; `path` keeps purposes and days independent."""
    return np.random.default_rng(np.random.SeedSequence([seed, *path]))


CATALOGUE_STREAM, USERS_STREAM, EMPTIES_STREAM, DAY_STREAM = 1, 2, 3, 4
