"""Synthetic clickstream in the exact format of the REES46 Kaggle dataset.

The public "eCommerce behavior data from multi category store" files are
large (110M rows for Oct-Nov 2019), so local runs and tests use this
generator instead. It writes the same nine columns in the same textual style
(`2019-10-01 00:00:04 UTC`, two-decimal prices, empty fields for missing
values, no quoting, LF endings) and mimics the published shape of the data:
event-type shares, missing category codes and brands, the price distribution,
skewed popularity, users with several sessions, view -> cart -> purchase
funnels, a few exact duplicate rows and a few rows without a session.

How it is built:

* a catalogue (products, categories, brands, prices) and a user pool are drawn
  once from the seed, sized by the number of events requested;
* each day is generated independently from a child seed of (seed, day), so
  writing one file per day or one per month gives the same rows in the same
  order, and memory stays flat: a day is generated, written and dropped;
* everything per row is vectorised with numpy; polars writes the CSV.
"""

from __future__ import annotations

import gzip
import math
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import groupby
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import polars as pl
import pyarrow as pa

from ingest import KAGGLE_HEADER

COLUMNS = KAGGLE_HEADER
EVENT_TYPES = ("view", "cart", "purchase")
VIEW, CART, PURCHASE = 0, 1, 2

# Kaggle names the monthly files `2019-Oct.csv`; a fixed table keeps the names
# independent of the machine's locale (which %b is not).
MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

SECONDS_PER_DAY = 86_400
GZIP_LEVEL = 1  # fast; level 6 is 2.3x slower for files 15% smaller

# ---------------------------------------------------------------- calibration
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

# ------------------------------------------------------------------ taxonomy
# Category codes in rough order of real popularity: the most popular coded
# category gets the first code, so smartphones dominate as in the real data.
CATEGORY_CODES = (
    "electronics.smartphone", "electronics.clocks", "electronics.video.tv", "computers.notebook",
    "electronics.audio.headphone", "appliances.kitchen.washer", "appliances.environment.vacuum",
    "appliances.kitchen.refrigerators", "apparel.shoes", "electronics.tablet", "auto.accessories.player",
    "appliances.environment.water_heater", "computers.desktop", "furniture.living_room.sofa",
    "apparel.shoes.keds", "furniture.bedroom.bed", "appliances.environment.air_heater",
    "electronics.telephone", "appliances.kitchen.microwave", "appliances.kitchen.hob",
    "appliances.kitchen.blender", "appliances.kitchen.kettle", "computers.peripherals.monitor",
    "furniture.living_room.cabinet", "appliances.iron", "auto.accessories.videoregister",
    "appliances.kitchen.meat_grinder", "appliances.kitchen.mixer", "computers.components.videocards",
    "apparel.shoes.slipons", "apparel.shoes.sandals", "construction.tools.drill", "kids.carriage",
    "appliances.kitchen.coffee_machine", "electronics.audio.subwoofer", "appliances.personal.hair_cutter",
    "sport.bicycle", "appliances.kitchen.hood", "appliances.kitchen.oven", "appliances.sewing_machine",
    "computers.components.hdd", "auto.accessories.alarm", "electronics.camera.photo",
    "furniture.kitchen.table", "computers.peripherals.printer", "apparel.trousers",
    "electronics.audio.acoustic", "construction.tools.saw", "kids.toys", "accessories.bag",
    "appliances.environment.air_conditioner", "appliances.kitchen.dishwasher",
    "computers.peripherals.mouse", "computers.peripherals.keyboard", "furniture.kitchen.chair",
    "construction.tools.welding", "construction.tools.generator", "construction.tools.pump",
    "construction.components.faucet", "appliances.kitchen.grill", "appliances.kitchen.toster",
    "appliances.kitchen.steam_cooker", "appliances.ironing_board", "auto.accessories.radar",
    "auto.accessories.compressor", "computers.components.cpu", "computers.components.memory",
    "computers.components.motherboard", "computers.components.power_supply", "computers.ebooks",
    "electronics.video.projector", "electronics.camera.video", "electronics.audio.microphone",
    "electronics.audio.music_tools.piano", "furniture.bathroom.bath", "furniture.bathroom.toilet",
    "furniture.bedroom.pillow", "furniture.living_room.chair", "kids.dolls", "kids.fmcg.diapers",
    "kids.skates", "medicine.tools.tonometer", "sport.snowboard", "sport.trainer", "stationery.cartrige",
    "country_yard.furniture.hammok", "accessories.umbrella", "accessories.wallet", "apparel.dress",
    "apparel.sock", "apparel.underwear", "apparel.shoes.moccasins", "apparel.costume", "apparel.jeans",
    "apparel.shirt", "apparel.jacket", "apparel.scarf", "apparel.glove", "apparel.belt",
    "apparel.shoes.espadrilles", "apparel.shoes.step_ins", "apparel.shoes.ballet_shoes",
    "appliances.kitchen.juicer", "appliances.kitchen.fryer", "appliances.kitchen.coffee_grinder",
    "appliances.personal.scales", "appliances.personal.massager", "appliances.environment.fan",
    "appliances.environment.climate", "auto.accessories.parktronic", "auto.accessories.light",
    "computers.components.cooler", "computers.components.sound_card", "computers.network.router",
    "computers.peripherals.camera", "computers.peripherals.scanner", "construction.tools.screw",
    "construction.tools.heater", "construction.tools.painting", "construction.tools.light",
    "country_yard.cultivator", "country_yard.lawn_mower", "country_yard.watering",
    "electronics.audio.dictaphone", "furniture.universal.light", "furniture.living_room.shelving",
    "kids.bottles", "kids.swing", "sport.tennis", "sport.ski", "sport.diving",
)  # fmt: skip

# Departments that exist only behind uncoded category ids (the real file has
# tyres, cosmetics and jewellery without a category_code).
HIDDEN_DEPARTMENTS = ("tyres", "beauty", "jewelry", "household")
HIDDEN_DEPARTMENT_RATE = 0.6

# Typical price (USD) of a department; categories and products scatter around it.
DEPARTMENT_PRICE = {
    "electronics": 250.0, "appliances": 120.0, "computers": 400.0, "furniture": 150.0,
    "apparel": 60.0, "construction": 100.0, "kids": 60.0, "auto": 80.0, "sport": 250.0,
    "accessories": 40.0, "medicine": 40.0, "stationery": 20.0, "country_yard": 150.0,
    "tyres": 70.0, "beauty": 40.0, "jewelry": 150.0, "household": 25.0,
}  # fmt: skip

# Real brands, roughly most popular first, with the departments they sell in.
KNOWN_BRANDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("samsung", ("electronics", "appliances", "computers")), ("apple", ("electronics", "computers")),
    ("xiaomi", ("electronics", "appliances", "computers")), ("huawei", ("electronics", "computers")),
    ("lucente", ("jewelry",)), ("cordiant", ("tyres",)), ("lg", ("electronics", "appliances", "computers")),
    ("bosch", ("appliances", "construction", "auto")), ("acer", ("computers",)),
    ("lenovo", ("computers", "electronics")), ("oppo", ("electronics",)), ("sony", ("electronics", "auto")),
    ("respect", ("apparel", "accessories")), ("nokia", ("electronics",)), ("hp", ("computers",)),
    ("artel", ("appliances", "electronics")), ("redmond", ("appliances",)), ("elenberg", ("appliances",)),
    ("polaris", ("appliances",)), ("casio", ("electronics",)), ("dauscher", ("appliances",)),
    ("stels", ("sport", "kids")), ("indesit", ("appliances",)), ("vitek", ("appliances",)),
    ("starline", ("auto",)), ("triangle", ("tyres",)), ("asus", ("computers", "electronics")),
    ("oasis", ("appliances",)), ("vivo", ("electronics",)), ("karcher", ("appliances", "construction")),
    ("janome", ("appliances",)), ("pulser", ("computers",)), ("oneplus", ("electronics",)),
    ("ariston", ("appliances",)), ("omron", ("medicine",)), ("force", ("construction", "auto")),
    ("philips", ("appliances", "electronics")), ("luminarc", ("household",)),
    ("electrolux", ("appliances",)), ("meizu", ("electronics",)), ("baden", ("apparel", "accessories")),
    ("midea", ("appliances",)), ("gerat", ("household",)), ("haier", ("appliances", "electronics")),
    ("tefal", ("appliances", "household")), ("nokian", ("tyres",)), ("yokohama", ("tyres",)),
    ("elari", ("electronics", "kids")), ("bts", ("furniture",)), ("kingston", ("computers",)),
    ("beko", ("appliances",)), ("brw", ("furniture",)), ("viatti", ("tyres",)), ("svc", ("household",)),
    ("longines", ("electronics",)), ("carters", ("kids", "apparel")), ("skad", ("tyres",)),
    ("garmin", ("electronics", "auto")), ("panasonic", ("appliances", "electronics")),
    ("gigabyte", ("computers",)), ("strobbs", ("apparel",)), ("tp-link", ("computers", "electronics")),
    ("bq", ("electronics",)), ("gran-stone", ("household",)), ("honor", ("electronics",)),
    ("microsoft", ("computers", "electronics")), ("scarlett", ("appliances", "beauty")),
    ("tissot", ("electronics",)), ("denzel", ("construction", "country_yard")),
    ("leo", ("construction", "country_yard")), ("shimano", ("sport",)), ("dewalt", ("construction",)),
    ("transcend", ("computers", "auto")), ("crown", ("construction",)), ("lorelli", ("kids", "furniture")),
    ("fender", ("electronics",)), ("jbl", ("electronics",)), ("viking", ("country_yard", "construction")),
    ("dell", ("computers",)), ("epson", ("computers",)), ("zeta", ("furniture",)), ("sokolov", ("jewelry",)),
    ("canon", ("electronics", "computers")), ("sho-me", ("auto",)), ("maxxis", ("tyres",)),
    ("crucial", ("computers",)), ("gorenje", ("appliances",)), ("qmax", ("computers",)),
    ("shiseido", ("beauty",)), ("braun", ("appliances", "beauty")), ("delonghi", ("appliances",)),
    ("kenwood", ("appliances",)), ("moulinex", ("appliances",)), ("atlant", ("appliances",)),
    ("makita", ("construction",)), ("intel", ("computers",)), ("amd", ("computers",)), ("msi", ("computers",)),
    ("logitech", ("computers",)), ("pioneer", ("auto", "electronics")), ("nikon", ("electronics",)),
    ("adidas", ("apparel", "sport")), ("nike", ("apparel", "sport")), ("puma", ("apparel", "sport")),
    ("chicco", ("kids",)), ("lego", ("kids",)), ("pampers", ("kids",)), ("huggies", ("kids",)),
    ("michelin", ("tyres",)), ("pirelli", ("tyres",)), ("bridgestone", ("tyres",)), ("loreal", ("beauty",)),
    ("nivea", ("beauty",)), ("tramontina", ("household",)), ("rondell", ("household",)),
    ("hama", ("computers", "electronics")), ("defender", ("computers",)), ("sven", ("computers", "electronics")),
    ("hyundai", ("electronics", "appliances")), ("supra", ("electronics", "auto")), ("bbk", ("electronics",)),
    ("digma", ("electronics", "computers")), ("prestigio", ("electronics",)), ("alcatel", ("electronics",)),
    ("motorola", ("electronics",)), ("texet", ("electronics",)), ("thomson", ("electronics",)),
    ("zanussi", ("appliances",)), ("liebherr", ("appliances",)), ("ballu", ("appliances",)),
    ("timberk", ("appliances",)), ("hansa", ("appliances",)), ("weissgauff", ("appliances",)),
)  # fmt: skip

# Syllables for made-up brand names once the real ones run out.
_ONSETS = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "st", "tr")
_VOWELS = ("a", "e", "i", "o", "u")
_CODAS = ("", "", "", "n", "r", "x", "s", "l")

# Real id ranges: category ids are 19 digits starting 2053013..., newer ones
# 2.1e18; user ids are 9 digits around 512M-566M.
CATEGORY_ID_BASES = (2_053_013_552_000_000_000, 2_103_807_459_000_000_000)
CATEGORY_ID_SPAN = 14_000_000_000
NEW_CATEGORY_ID_RATE = 0.15
USER_ID_LOW = 512_000_000
USER_ID_SPAN = 54_000_000
PRODUCT_BLOCK = 100_000  # product ids are `block * 100_000 + n`, one block per category

_UUID_HEX_POSITIONS = np.array([i for i in range(36) if i not in (8, 13, 18, 23)])
_HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


@dataclass(frozen=True)
class GeneratorConfig:
    events: int = 1_000_000  # approximate number of data rows to write, duplicates included
    seed: int = 42
    start: date = date(2019, 10, 1)
    end: date = date(2019, 11, 30)  # inclusive
    per_day: bool = False  # one file per day instead of one file per month
    gzip: bool = False  # write .csv.gz instead of .csv


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


@dataclass(frozen=True)
class UserPool:
    user_id: np.ndarray
    cum_weight: np.ndarray


@dataclass(frozen=True)
class DayPlan:
    day: date
    index: int  # position in the period, 0-based
    rows: int  # rows to write, duplicates included
    empty_sessions: int  # rows to write without a user_session ...
    empty_session_purchases: int  # ... of which purchase rows


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


# ---------------------------------------------------------------- public API


def generate(config: GeneratorConfig, out_dir: Path) -> list[Path]:
    """Write the files and return their paths, sorted."""
    validate(config)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    catalogue = build_catalogue(config.events, config.seed)
    users = build_users(config.events, config.seed)
    plans = plan_days(config)

    def make_day(plan: DayPlan) -> pl.DataFrame:
        return generate_day(catalogue, users, plan, len(plans), config.seed)

    files = [(out_dir / name, group) for name, group in _group_by_file(plans, config)]
    _write_files(files, config.gzip, make_day)
    paths = [path for path, _ in files]
    return sorted(paths)


def validate(config: GeneratorConfig) -> None:
    """Raise ValueError with one sentence when the config cannot be generated."""
    if config.events < 1:
        raise ValueError(f"events must be at least 1, got {config.events}.")
    if config.end < config.start:
        raise ValueError(f"end ({config.end}) must not be before start ({config.start}).")
    if config.seed < 0:
        raise ValueError(f"seed must be zero or positive, got {config.seed}.")


def file_name(day: date, per_day: bool, compressed: bool) -> str:
    """`2019-Oct.csv` for a month file (as on Kaggle), `2019-10-01.csv` for a day file."""
    stem = day.isoformat() if per_day else f"{day.year}-{MONTH_ABBR[day.month - 1]}"
    return stem + (".csv.gz" if compressed else ".csv")


# ------------------------------------------------------------------ seeding


def _rng(seed: int, *path: int) -> np.random.Generator:
    """A generator for one purpose; `path` keeps purposes and days independent."""
    return np.random.default_rng(np.random.SeedSequence([seed, *path]))


_CATALOGUE_STREAM, _USERS_STREAM, _EMPTIES_STREAM, _DAY_STREAM = 1, 2, 3, 4


# ---------------------------------------------------------------- catalogue


def catalogue_sizes(events: int) -> tuple[int, int, int]:
    """Products, categories and brands for a run, growing with it up to the real sizes."""
    products = int(np.clip(round(50 * math.sqrt(events)), 60, 170_000))
    categories = int(np.clip(round(300 * (events / 1e6) ** 0.25), 20, 680))
    brands = int(np.clip(round(3_200 * (events / 1e6) ** 0.3), 20, 4_000))
    return products, categories, min(brands, products // 2)


def build_catalogue(events: int, seed: int) -> Catalogue:
    """Categories, brands and products with their popularity and prices, the same for every day."""
    rng = _rng(seed, _CATALOGUE_STREAM)
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
        price_text=_cents_text(price),
        new_price_text=_cents_text(new_price),
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
    counts = 1 + _largest_remainder(share, n_products - len(share))
    return np.minimum(counts, PRODUCT_BLOCK - 1_000)


def _largest_remainder(share: np.ndarray, total: int) -> np.ndarray:
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
    onsets = rng.integers(0, len(_ONSETS), (count, 3))
    vowels = rng.integers(0, len(_VOWELS), (count, 3))
    codas = rng.integers(0, len(_CODAS), count)
    return [
        "".join(_ONSETS[onsets[i, j]] + _VOWELS[vowels[i, j]] for j in range(syllables[i])) + _CODAS[codas[i]]
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


# -------------------------------------------------------------------- users


def build_users(events: int, seed: int) -> UserPool:
    """A pool of users with skewed activity, sized so ~14 rows per user show up."""
    rng = _rng(seed, _USERS_STREAM)
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


# --------------------------------------------------------------------- days


def plan_days(config: GeneratorConfig) -> list[DayPlan]:
    """How many rows, and rows without a session, each day of the period gets."""
    days = [config.start + timedelta(days=i) for i in range((config.end - config.start).days + 1)]
    weight = np.array([NOVEMBER_DAY_WEIGHT if day.month == 11 else 1.0 for day in days])
    rows = _largest_remainder(weight, config.events)
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
    rng = _rng(config.seed, _EMPTIES_STREAM)
    others = rng.choice(len(rows), size=total - MIN_EMPTY_SESSION_PURCHASES, p=rows / rows.sum())
    empties = purchases + np.bincount(others, minlength=len(rows))
    return empties, purchases


def generate_day(catalogue: Catalogue, users: UserPool, plan: DayPlan, n_days: int, seed: int) -> pl.DataFrame:
    """All rows of one day, sorted by event_time, as a frame in the Kaggle column order."""
    rng = _rng(seed, _DAY_STREAM, plan.day.toordinal())
    base_rows = round(plan.rows / (1 + DUPLICATE_RATE))
    sessions = _draw_sessions(rng, base_rows)
    rows = _draw_rows(rng, catalogue, sessions)
    order = np.argsort(rows.second, kind="stable")
    has_session = _session_mask(rng, rows.event_type[order], plan)
    repeat = _duplicate_counts(rng, len(order))
    order = np.repeat(order, repeat)
    has_session = np.repeat(has_session, repeat)

    session_user = users.user_id[_weighted_index(rng, users.cum_weight, len(sessions.views))]
    session_uuid = _uuid4_bytes(rng, len(sessions.views))
    session = rows.session[order]
    product = rows.product[order]
    # products with the day's price, gathered once for all product columns
    products = catalogue.static.with_columns(_price_texts_on(catalogue, plan.index, n_days))[product]
    return pl.DataFrame(
        [
            _event_time_column(plan.day, rows.second[order]),
            pl.Series("event_type", EVENT_TYPES, dtype=pl.String).gather(rows.event_type[order]),
            products["product_id"],
            products["category_id"],
            products["category_code"],
            products["brand"],
            products["price"],
            pl.Series("user_id", session_user[session]),
            _session_column(session_uuid, session, has_session),
        ]
    )


def _draw_sessions(rng: np.random.Generator, target_rows: int) -> Sessions:
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


def _draw_rows(rng: np.random.Generator, catalogue: Catalogue, sessions: Sessions) -> Rows:
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
    product[anywhere] = _weighted_index(rng, catalogue.cum_weight, int(anywhere.sum()))
    category = catalogue.category_of[product[view_start]][view_session[same_category]]
    product[same_category] = _weighted_index_within(rng, catalogue, category)

    # a repeat view shows the product of the closest earlier non-repeat view (never across sessions,
    # as a session's first view is never a repeat)
    source = np.where(repeat, 0, np.arange(n))
    return product[np.maximum.accumulate(source)] if n else product


def _weighted_index(rng: np.random.Generator, cum_weight: np.ndarray, count: int) -> np.ndarray:
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


def _cents_text(cents: np.ndarray) -> pl.Series:
    """Cents as text with exactly two decimals: 3579 -> "35.79", 0 -> "0.00"."""
    value = pl.Series(cents)
    return (
        pl.select((value // 100).cast(pl.String) + "." + (value % 100).cast(pl.String).str.zfill(2))
        .to_series()
        .alias("price")
    )


def _event_time_column(day: date, second: np.ndarray) -> pl.Series:
    """event_time texts like `2019-10-01 00:00:04 UTC` for seconds of one day."""
    table = np.empty((SECONDS_PER_DAY, 23), dtype=np.uint8)
    table[:, :11] = np.frombuffer(f"{day.isoformat()} ".encode(), dtype=np.uint8)
    table[:, 11:19] = _CLOCK_TEXT
    table[:, 19:] = np.frombuffer(b" UTC", dtype=np.uint8)
    return _fixed_width_strings("event_time", table).gather(second)


def _session_column(session_uuid: np.ndarray, session: np.ndarray, has_session: np.ndarray) -> pl.Series:
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


def _uuid4_bytes(rng: np.random.Generator, count: int) -> np.ndarray:
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


# ------------------------------------------------------------------- output


def _group_by_file(plans: list[DayPlan], config: GeneratorConfig) -> Iterator[tuple[str, list[DayPlan]]]:
    """Consecutive days that go into the same file, with the file's name."""
    for name, group in groupby(plans, key=lambda plan: file_name(plan.day, config.per_day, config.gzip)):
        yield name, list(group)


def _write_files(
    files: list[tuple[Path, list[DayPlan]]],
    compressed: bool,
    make_day: Callable[[DayPlan], pl.DataFrame],
) -> None:
    """Write each file: the header, then its days in order.

    A single writer thread writes (polars, outside the GIL) and closes files
    in submission order while the next day is generated, across file
    boundaries too; at most one day waits to be written, so memory stays flat.
    """
    header = (",".join(COLUMNS) + "\n").encode()
    submitted: list[Future[Any]] = []
    with ThreadPoolExecutor(max_workers=1) as writer:
        last_write: Future[Any] | None = None
        for path, plans in files:
            output = ExitStack()
            handle = output.enter_context(_open_output(path, compressed))
            try:
                submitted.append(writer.submit(handle.write, header))
                for plan in plans:
                    frame = make_day(plan)
                    if last_write is not None:
                        last_write.result()
                    last_write = writer.submit(_write_rows, frame, handle)
                    submitted.append(last_write)
            finally:
                submitted.append(writer.submit(output.close))  # after the file's last write
    for future in submitted:
        future.result()  # a failed write or close raises here


@contextmanager
def _open_output(path: Path, compressed: bool) -> Iterator[BinaryIO]:
    """A file to write to; gzip without a name or time stamp so output is byte-identical."""
    with path.open("wb") as raw:
        if not compressed:
            yield raw
            return
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=GZIP_LEVEL) as packed:
            yield packed  # type: ignore[misc]


def _write_rows(frame: pl.DataFrame, handle: BinaryIO) -> None:
    """Append a day's rows: no header, no quotes, empty fields for nulls, LF endings."""
    if frame.height == 0:
        return
    frame.write_csv(
        handle,
        include_header=False,
        separator=",",
        line_terminator="\n",
        quote_style="never",
        null_value="",
    )
