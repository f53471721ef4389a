"""The catalogue: categories, brands and products with their popularity and prices, drawn once per run."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from synthetic_events.calibration import (
    EMPTY_BRAND_SHARE,
    EMPTY_CODE_SHARE,
    MAX_PRICE_CENTS,
    MIN_PRICE_CENTS,
    PRICE_CHANGE_SHARE,
    PRICE_MEDIAN,
    PRICE_P90,
    ZERO_PRICE_SHARE,
)
from synthetic_events.columns import cents_text
from synthetic_events.seeding import CATALOGUE_STREAM, rng_for
from synthetic_events.taxonomy import (
    CATEGORY_CODES,
    CATEGORY_ID_BASES,
    CATEGORY_ID_SPAN,
    DEPARTMENT_PRICE,
    HIDDEN_DEPARTMENT_RATE,
    HIDDEN_DEPARTMENTS,
    KNOWN_BRANDS,
    NAME_CODAS,
    NAME_ONSETS,
    NAME_VOWELS,
    NEW_CATEGORY_ID_RATE,
    PRODUCT_BLOCK,
)


@dataclass(frozen=True)
class Catalogue:
    """Products in category order; everything a row needs is indexed by product."""

    static: pl.DataFrame  # product_id, category_id, category_code, brand
    cum_weight: np.ndarray  # cumulative popularity over products
    category_of: np.ndarray  # category index of each product
    category_first: np.ndarray  # first product index of each category
    category_last: np.ndarray  # last product index of each category (inclusive)
    price_cents: np.ndarray  # price before the change
    new_price_cents: np.ndarray  # price from the change on (same as before for most)
    change_at: np.ndarray  # fraction of the period after which the price changes; inf = never
    price_text: pl.Series  # price_cents as written, e.g. "35.79"
    new_price_text: pl.Series


def catalogue_sizes(events: int) -> tuple[int, int, int]:
    """Products, categories and brands for a run, growing with it up to the real sizes."""
    products = int(np.clip(round(50 * math.sqrt(events)), 60, 170_000))
    categories = int(np.clip(round(300 * (events / 1e6) ** 0.25), 20, 680))
    brands = int(np.clip(round(3_200 * (events / 1e6) ** 0.3), 20, 4_000))
    return products, categories, min(brands, products // 2)


def build_catalogue(events: int, seed: int) -> Catalogue:
    """Categories, brands and products with their popularity and prices, the same for every day."""
    rng = rng_for(seed, CATALOGUE_STREAM)
    n_products, n_categories, n_brands = catalogue_sizes(events)

    category_weight = _zipf_weights(n_categories, 1.1)
    code_of_category = _assign_codes(rng, category_weight)
    department = _category_departments(rng, code_of_category)
    per_category = _products_per_category(category_weight, n_products)
    category_of = np.repeat(np.arange(n_categories), per_category)
    category_first = np.cumsum(per_category) - per_category

    weight = _product_weights(rng, category_weight, per_category)
    brand_names, brand_departments = _brands(rng, n_brands)
    brand_of = _assign_brands(rng, per_category, department, brand_names, brand_departments)
    brand_of[_pick_by_weight_share(rng, weight, EMPTY_BRAND_SHARE, tail_bias=0.5)] = -1

    price = _product_prices(rng, category_of, department, weight)
    price[_pick_by_weight_share(rng, weight, ZERO_PRICE_SHARE, tail_bias=0.0)] = 0
    new_price, change_at = _price_changes(rng, price)

    codes = pl.Series([CATEGORY_CODES[c] if c >= 0 else None for c in code_of_category], dtype=pl.String)
    brands = pl.Series(brand_names, dtype=pl.String)
    static = pl.DataFrame(
        {
            "product_id": _product_ids(rng, per_category),
            "category_id": _category_ids(rng, code_of_category)[category_of],
            "category_code": codes.gather(category_of),
            "brand": _gather_or_null(brands, brand_of),
        }
    )
    return Catalogue(
        static=static,
        cum_weight=np.cumsum(weight),
        category_of=category_of,
        category_first=category_first,
        category_last=category_first + per_category - 1,
        price_cents=price,
        new_price_cents=new_price,
        change_at=change_at,
        price_text=cents_text(price),
        new_price_text=cents_text(new_price),
    )


def _gather_or_null(values: pl.Series, index: np.ndarray) -> pl.Series:
    """values[index], null where index is negative."""
    picked = values.gather(np.maximum(index, 0))
    return pl.select(pl.when(pl.Series(index) >= 0).then(picked)).to_series()


def _zipf_weights(n: int, exponent: float) -> np.ndarray:
    """Popularity by rank: index 0 is the most popular."""
    return 1.0 / np.arange(1, n + 1) ** exponent


def _assign_codes(rng: np.random.Generator, weight: np.ndarray) -> np.ndarray:
    """Code index per category (-1 = no code), so that ~32% of the popularity has none.

    Every code is used by at most one category id. The most popular category
    always has a code (it becomes electronics.smartphone); heavier coded
    categories get codes from the front of CATEGORY_CODES.
    """
    n = len(weight)
    share = np.cumsum(weight) / weight.sum()
    needed = int(np.searchsorted(share, 1 - EMPTY_CODE_SHARE + 0.04)) + 1
    count = min(max(round(0.2 * n), needed), len(CATEGORY_CODES), n)
    coded = _subset_near_share(rng, weight, count, 1 - EMPTY_CODE_SHARE)
    codes = np.full(n, -1)
    codes[coded[np.argsort(-weight[coded], kind="stable")]] = np.arange(len(coded))
    return codes


def _subset_near_share(rng: np.random.Generator, weight: np.ndarray, count: int, target: float) -> np.ndarray:
    """`count` indices whose weight share is close to `target`, index 0 always included.

    Gumbel top-k sampling with keys `alpha * log(weight) + noise`: alpha = 0 is
    a uniform random subset, a large alpha is the heaviest items. The noise is
    drawn once, so the share grows (almost) monotonically with alpha and a
    bisection finds the alpha that lands nearest the target.
    """
    noise = rng.gumbel(size=len(weight))
    log_weight = np.log(weight)
    total = weight.sum()

    def subset(alpha: float) -> np.ndarray:
        keys = alpha * log_weight + noise
        keys[0] = np.inf
        return np.sort(np.argsort(-keys, kind="stable")[:count])

    low, high = 0.0, 10.0
    for _ in range(40):
        middle = (low + high) / 2
        if weight[subset(middle)].sum() / total < target:
            low = middle
        else:
            high = middle
    candidates = [subset(low), subset(high)]
    return min(candidates, key=lambda s: abs(weight[s].sum() / total - target))


def _category_departments(rng: np.random.Generator, code_of_category: np.ndarray) -> list[str]:
    """The department of each category: from its code, or made up for uncoded ones."""
    visible = sorted({code.split(".")[0] for code in CATEGORY_CODES})
    hidden = rng.random(len(code_of_category)) < HIDDEN_DEPARTMENT_RATE
    hidden_pick = rng.integers(0, len(HIDDEN_DEPARTMENTS), len(code_of_category))
    visible_pick = rng.integers(0, len(visible), len(code_of_category))
    departments = []
    for i, code in enumerate(code_of_category):
        if code >= 0:
            departments.append(CATEGORY_CODES[code].split(".")[0])
        elif hidden[i]:
            departments.append(HIDDEN_DEPARTMENTS[hidden_pick[i]])
        else:
            departments.append(visible[visible_pick[i]])
    return departments


def _products_per_category(category_weight: np.ndarray, n_products: int) -> np.ndarray:
    """Popular categories have more products, every category at least one.

    The cap keeps a category within its block of product ids; at the real
    sizes the biggest category has ~11k products, far below it.
    """
    share = category_weight**0.7 / (category_weight**0.7).sum()
    counts = 1 + largest_remainder(share, n_products - len(share))
    return np.minimum(counts, PRODUCT_BLOCK - 1_000)


def largest_remainder(share: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to `share` that add up to exactly `total`."""
    exact = share / share.sum() * total
    counts = np.floor(exact).astype(np.int64)
    short = total - int(counts.sum())
    counts[np.argsort(-(exact - counts), kind="stable")[:short]] += 1
    return counts


def _product_weights(rng: np.random.Generator, category_weight: np.ndarray, per_category: np.ndarray) -> np.ndarray:
    """A product's popularity is its category's popularity times a Zipf share within it."""
    weights = []
    for weight, count in zip(category_weight, per_category, strict=True):
        within = _zipf_weights(int(count), 1.0)
        within = rng.permutation(within)  # id order says nothing about popularity
        weights.append(weight * within / within.sum())
    return np.concatenate(weights)


def _brands(rng: np.random.Generator, count: int) -> tuple[list[str], list[tuple[str, ...]]]:
    """Brand names (real ones first, then made-up words) and their departments."""
    known = KNOWN_BRANDS[:count]
    names = [name for name, _ in known]
    departments = [deps for _, deps in known]
    all_departments = tuple(DEPARTMENT_PRICE)  # every department has a price level
    taken = set(names)
    while len(names) < count:
        for name in _made_up_names(rng, 2 * (count - len(names))):
            if name not in taken and len(names) < count:
                taken.add(name)
                names.append(name)
                departments.append((all_departments[rng.integers(len(all_departments))],))
    return names, departments


def _made_up_names(rng: np.random.Generator, count: int) -> list[str]:
    """Pronounceable lower-case words of two or three syllables."""
    syllables = rng.integers(2, 4, count)
    onsets = rng.integers(0, len(NAME_ONSETS), (count, 3))
    vowels = rng.integers(0, len(NAME_VOWELS), (count, 3))
    codas = rng.integers(0, len(NAME_CODAS), count)
    return [
        "".join(NAME_ONSETS[onsets[i, j]] + NAME_VOWELS[vowels[i, j]] for j in range(syllables[i]))
        + NAME_CODAS[codas[i]]
        for i in range(count)
    ]


def _assign_brands(
    rng: np.random.Generator,
    per_category: np.ndarray,
    department: list[str],
    brand_names: list[str],
    brand_departments: list[tuple[str, ...]],
) -> np.ndarray:
    """A brand per product, drawn from brands that sell in the category's department.

    Each category carries a handful of brands (more for bigger categories),
    chosen with a lean towards popular brands, so samsung turns up in many
    categories and a made-up brand in one or two.
    """
    brand_weight = _zipf_weights(len(brand_names), 1.0)
    by_department: dict[str, list[int]] = {}
    for index, departments in enumerate(brand_departments):
        for name in departments:
            by_department.setdefault(name, []).append(index)
    everyone = np.arange(len(brand_names))
    brand_of = []
    for count, name in zip(per_category, department, strict=True):
        candidates = np.array(by_department.get(name, everyone))
        wanted = min(len(candidates), int(3 + 2 * math.sqrt(count)))
        keys = 0.3 * np.log(brand_weight[candidates]) + rng.gumbel(size=len(candidates))
        carried = candidates[np.argsort(-keys, kind="stable")[:wanted]]
        p = brand_weight[carried] ** 0.7 / (brand_weight[carried] ** 0.7).sum()
        brand_of.append(rng.choice(carried, size=int(count), p=p))
    return np.concatenate(brand_of).astype(np.int64)


def _pick_by_weight_share(rng: np.random.Generator, weight: np.ndarray, share: float, tail_bias: float) -> np.ndarray:
    """Indices whose weights add up to just under `share` of the total.

    Items are taken in a random order that, with tail_bias > 0, prefers
    unpopular ones (unbranded goods are mostly niche). Items heavier than a
    fifth of the target go last so that one best-seller cannot overshoot it.
    """
    target = share * weight.sum()
    keys = tail_bias * -np.log(weight) + rng.gumbel(size=len(weight))
    keys[weight > target / 5] = -np.inf
    order = np.argsort(-keys, kind="stable")
    taken = np.cumsum(weight[order]) <= target
    return np.sort(order[taken])


def _product_prices(
    rng: np.random.Generator, category_of: np.ndarray, department: list[str], weight: np.ndarray
) -> np.ndarray:
    """Prices in cents: lognormal around a per-category level, then calibrated.

    The raw draw gives the shape (department and category levels); a linear
    map in log space then puts the popularity-weighted median and p90 on the
    real values whatever the seed, and a soft cap keeps the top under the
    real maximum.
    """
    level = np.log([DEPARTMENT_PRICE[name] for name in department]) + rng.normal(0, 0.6, len(department))
    log_price = level[category_of] + rng.normal(0, 0.8, len(category_of))
    median, p90 = _weighted_quantiles(log_price, weight, (0.5, 0.9))
    scale = (math.log(PRICE_P90) - math.log(PRICE_MEDIAN)) / (p90 - median)
    log_price = math.log(PRICE_MEDIAN) + (log_price - median) * scale
    cents = np.round(np.exp(_soft_cap(log_price, math.log(MAX_PRICE_CENTS / 100))) * 100).astype(np.int64)
    cents = np.clip(cents, MIN_PRICE_CENTS, MAX_PRICE_CENTS)
    cents[np.argmax(cents)] = MAX_PRICE_CENTS  # the real maximum exists
    return cents


def _weighted_quantiles(values: np.ndarray, weight: np.ndarray, quantiles: tuple[float, ...]) -> list[float]:
    """Quantiles of `values` when each one counts as often as its weight (its share of events)."""
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weight[order]) / weight.sum()
    return [float(values[order][min(int(np.searchsorted(cumulative, q)), len(values) - 1)]) for q in quantiles]


def _soft_cap(log_price: np.ndarray, log_max: float, knee: float = 0.7) -> np.ndarray:
    """Compress log prices above `log_max - knee` smoothly so they stay below `log_max`."""
    start = log_max - knee
    above = log_price > start
    capped = log_price.copy()
    capped[above] = start + knee * np.tanh((log_price[above] - start) / knee)
    return capped


def _price_changes(rng: np.random.Generator, price: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A new price for ~5% of products, from a random point of the period on.

    The point is a fraction of the period, turned into a day when the period
    is known, so any date range shows a price history.
    """
    changes = (rng.random(len(price)) < PRICE_CHANGE_SHARE) & (price > 0)
    factor = np.exp(rng.normal(-0.03, 0.12, len(price)))  # mostly discounts, some rises
    new_price = np.clip(np.round(price * factor), MIN_PRICE_CENTS, MAX_PRICE_CENTS).astype(np.int64)
    same = new_price == price
    new_price[same] = np.where(price[same] > MIN_PRICE_CENTS, price[same] - 1, price[same] + 1)
    new_price = np.where(changes, new_price, price)
    change_at = np.where(changes, rng.uniform(0.05, 0.95, len(price)), np.inf)
    return new_price, change_at


def _category_ids(rng: np.random.Generator, code_of_category: np.ndarray) -> np.ndarray:
    """Distinct 19-digit ids; some uncoded categories get ids from the newer 2.1e18 range."""
    n = len(code_of_category)
    newer = (code_of_category < 0) & (rng.random(n) < NEW_CATEGORY_ID_RATE)
    offsets = _distinct_integers(rng, n, CATEGORY_ID_SPAN)
    return np.where(newer, CATEGORY_ID_BASES[1], CATEGORY_ID_BASES[0]) + offsets


def _distinct_integers(rng: np.random.Generator, count: int, span: int) -> np.ndarray:
    """`count` distinct integers in [0, span), in random order."""
    values = np.unique(rng.integers(0, span, count))
    while len(values) < count:
        values = np.unique(np.concatenate([values, rng.integers(0, span, count - len(values))]))
    return rng.permutation(values)


def _product_ids(rng: np.random.Generator, per_category: np.ndarray) -> np.ndarray:
    """7-8 digit ids, one block of 100,000 per category (as 1004237 are all phones)."""
    blocks = 10 + rng.choice(990, size=len(per_category), replace=False)
    ids = []
    for block, count in zip(blocks, per_category, strict=True):
        gap = max(1, min(50, (PRODUCT_BLOCK - 1_000) // int(count)))
        first = int(rng.integers(0, 1_000))
        ids.append(block * PRODUCT_BLOCK + first + np.cumsum(rng.integers(1, gap + 1, int(count))))
    return np.concatenate(ids).astype(np.int64)
