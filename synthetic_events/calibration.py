"""The numbers that make the synthetic events look like the real REES46 files.

Volumes, shares, prices and the session funnel, measured on the published
October-November 2019 data; the catalogue, the users and the days are drawn with them.
"""

from __future__ import annotations

import numpy as np

# The event types written, and their codes in the arrays a day is drawn into.
EVENT_TYPES = ("view", "cart", "purchase")
VIEW, CART, PURCHASE = 0, 1, 2
SECONDS_PER_DAY = 86_400

# Real volumes: 42.4M events in October (31 days), 67.5M in November (30 days).
NOVEMBER_DAY_WEIGHT = (67.5 / 30) / (42.4 / 31)

ROWS_PER_SESSION = 4.6
ROWS_PER_USER = 14.0
DUPLICATE_RATE = 0.0015
EMPTY_SESSION_EVERY = 100_000
MIN_EMPTY_SESSIONS = 3
MIN_EMPTY_SESSION_PURCHASES = 2

EMPTY_CODE_SHARE = 0.32
EMPTY_BRAND_SHARE = 0.14
ZERO_PRICE_SHARE = 0.0015
PRICE_CHANGE_SHARE = 0.05
PRICE_MEDIAN = 165.0
PRICE_P90 = 758.0
MAX_PRICE_CENTS = 257_407
MIN_PRICE_CENTS = 77

# Session funnel. Views per session are 1 + negative binomial (skewed, with a
# long tail of heavy browsers); the rates below give ~96% views, ~2.2% carts
# and ~1.75% purchases, a tenth of purchases without a cart event.
VIEWS_EXTRA_MEAN = 3.41
VIEWS_SHAPE = 0.8
MAX_VIEWS = 400
CART_SESSION_RATE = 0.081
CART_ITEMS_PROBS = (0.80, 0.15, 0.05)
PURCHASE_AFTER_CART_RATE = 0.716
DIRECT_PURCHASE_RATE = 0.0088

# How the next view in a session is chosen: the same product again, another
# product of the session's category, or anything from the whole catalogue.
REPEAT_VIEW_RATE = 0.12
SAME_CATEGORY_RATE = 0.58

USER_ACTIVITY_SIGMA = 1.4

# Share of sessions starting in each UTC hour: the store is Russian (UTC+3),
# quiet at night Moscow time and busiest in the late afternoon.
HOUR_WEIGHTS = np.array(
    [1.3, 1.0, 1.2, 2.0, 3.2, 4.3, 5.0, 5.4, 5.7, 5.9, 6.0, 6.1,
     6.3, 6.5, 6.9, 7.3, 7.5, 7.3, 6.6, 5.4, 4.0, 2.8, 2.0, 1.6]
)  # fmt: skip
