"""The synthetic generator: exact Kaggle format, calibrated shape, determinism and file layout.

Most checks share one ~200k-row run (about a second to generate); the
layout and determinism checks use small runs of their own.
"""

from __future__ import annotations

import gzip
import re
import subprocess
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from ingest import KAGGLE_HEADER
from synthetic_events import GeneratorConfig, generate

HEADER = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session"
EVENTS = 200_000
SMALL = 20_000

# One strict pattern per field, as the real file writes them.
LINE = re.compile(
    r"(?P<time>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) UTC"
    r",(?:view|cart|purchase)"
    r",[1-9]\d{5,7}"  # product_id: 6-8 digits
    r",[1-9]\d{18}"  # category_id: 19 digits
    r",(?:[a-z_]+(?:\.[a-z_]+){1,3})?"  # category_code: 2-4 dotted levels, or empty
    r",(?:[a-z0-9]+(?:-[a-z0-9]+)*)?"  # brand: a lower-case word, or empty
    r",(?:0|[1-9]\d*)\.\d{2}"  # price: exactly two decimals
    r",[1-9]\d{8}"  # user_id: 9 digits
    r",(?:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})?"  # UUID4, or empty
)


# ------------------------------------------------------------------ helpers


def data_lines(path: Path) -> list[str]:
    """The data lines of one file (gzip or not), header dropped."""
    raw = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
    return raw.decode().split("\n")[1:-1]


def in_time_order(paths: list[Path]) -> list[Path]:
    """Files in the order of their first event (the sorted names put Nov before Oct)."""
    return sorted(paths, key=lambda path: data_lines(path)[0][:19] if data_lines(path) else path.name)


def read_events(paths: list[Path]) -> pl.DataFrame:
    """All rows as text (empty fields as null), with their file and line number."""
    frames = [
        pl.read_csv(path, infer_schema=False).with_columns(
            pl.lit(path.name).alias("file"), pl.int_range(pl.len()).alias("line")
        )
        for path in paths
    ]
    return pl.concat(frames).with_columns(pl.col("price").cast(pl.Float64))


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return generate(GeneratorConfig(events=EVENTS, seed=42), tmp_path_factory.mktemp("generated"))


@pytest.fixture(scope="module")
def events(run: list[Path]) -> pl.DataFrame:
    return read_events(run)


def number(value: object) -> float:
    """A polars aggregate (typed as any Python value) as the number it is on these columns."""
    assert isinstance(value, int | float), value
    return value


def share(frame: pl.DataFrame, condition: pl.Expr) -> float:
    return frame.select(condition.mean()).item()


# ------------------------------------------------------------------- format


def test_monthly_files_are_named_like_kaggle_and_returned_sorted(run: list[Path]) -> None:
    assert [path.name for path in run] == ["2019-Nov.csv", "2019-Oct.csv"]
    assert run == sorted(run)
    assert all(path.is_file() for path in run)


def test_header_is_exactly_the_kaggle_header(run: list[Path]) -> None:
    assert ",".join(KAGGLE_HEADER) == HEADER
    for path in run:
        assert path.read_bytes().split(b"\n", 1)[0] == HEADER.encode()


def test_every_line_has_the_exact_field_formats(run: list[Path]) -> None:
    for path in run:
        raw = path.read_bytes()
        assert b"\r" not in raw and b'"' not in raw
        assert raw.endswith(b"\n")
        month = "2019-10" if path.name == "2019-Oct.csv" else "2019-11"
        for line in data_lines(path):
            match = LINE.fullmatch(line)
            assert match, f"{path.name}: {line!r}"
            assert match["time"].startswith(month), f"{path.name}: {line!r}"


def test_rows_are_sorted_by_event_time_within_each_file(events: pl.DataFrame) -> None:
    unsorted = events.group_by("file").agg(pl.col("event_time").is_sorted().alias("ok")).filter(~pl.col("ok"))
    assert unsorted.is_empty()


def test_ids_are_in_the_real_ranges(events: pl.DataFrame) -> None:
    ids = events.select(pl.col("product_id", "category_id", "user_id").cast(pl.Int64))  # overflow would fail
    assert number(ids["category_id"].min()) >= 10**18
    assert number(ids["user_id"].min()) >= 10**8 and number(ids["user_id"].max()) < 10**9


# -------------------------------------------------------------- calibration


def test_row_count_is_within_two_percent_of_the_request(events: pl.DataFrame) -> None:
    assert abs(events.height - EVENTS) <= 0.02 * EVENTS


def test_event_type_shares(events: pl.DataFrame) -> None:
    assert share(events, pl.col("event_type") == "view") == pytest.approx(0.96, abs=0.008)
    assert share(events, pl.col("event_type") == "cart") == pytest.approx(0.022, abs=0.004)
    assert share(events, pl.col("event_type") == "purchase") == pytest.approx(0.0175, abs=0.004)


def test_missing_category_code_and_brand_shares(events: pl.DataFrame) -> None:
    assert share(events, pl.col("category_code").is_null()) == pytest.approx(0.32, abs=0.03)
    assert share(events, pl.col("brand").is_null()) == pytest.approx(0.14, abs=0.025)


def test_product_attributes_never_change(events: pl.DataFrame) -> None:
    per_product = events.group_by("product_id").agg(
        pl.col("category_id", "category_code", "brand").n_unique()  # null counts as a value
    )
    assert per_product.filter(pl.any_horizontal(pl.exclude("product_id") > 1)).is_empty()
    per_category = events.group_by("category_id").agg(pl.col("category_code").n_unique())
    assert (per_category["category_code"] == 1).all()


def test_price_distribution(events: pl.DataFrame) -> None:
    price = events["price"]
    assert price.median() == pytest.approx(165, rel=0.12)
    assert price.quantile(0.9) == pytest.approx(758, rel=0.12)
    assert number(price.min()) >= 0 and number(price.max()) <= 2574.07
    assert 0.0005 <= number((price == 0).mean()) <= 0.003


def test_some_products_change_price_once(events: pl.DataFrame) -> None:
    prices = events.group_by("product_id").agg(pl.col("price").n_unique().alias("prices"))
    assert prices["prices"].max() == 2
    assert 0.005 <= number((prices["prices"] == 2).mean()) <= 0.1


def test_popularity_is_skewed_and_the_catalogue_sized_for_the_run(events: pl.DataFrame) -> None:
    per_product = events["product_id"].value_counts(sort=True)["count"]
    top_one_percent = per_product.head(len(per_product) // 100).sum() / events.height
    assert top_one_percent > 0.15
    assert 100 <= events["category_id"].n_unique() <= 680
    assert 500 <= events["brand"].n_unique() <= 4_000
    assert events["category_code"].value_counts(sort=True)["category_code"][1] == "electronics.smartphone"


def test_november_is_busier_than_october(events: pl.DataFrame) -> None:
    months = events["file"].value_counts()
    counts = dict(zip(months["file"], months["count"], strict=True))
    assert counts["2019-Nov.csv"] / counts["2019-Oct.csv"] == pytest.approx(67.5 / 42.4, rel=0.05)


def test_events_follow_the_day(events: pl.DataFrame) -> None:
    hours = events.group_by(pl.col("event_time").str.slice(11, 2).alias("hour")).len()
    by_hour = dict(zip(hours["hour"], hours["len"], strict=True))
    assert by_hour["15"] > 3 * by_hour["01"]


# ---------------------------------------------------------- users, sessions


def test_users_and_sessions_have_the_real_proportions(events: pl.DataFrame) -> None:
    with_session = events.filter(pl.col("user_session").is_not_null())
    assert events.height / events["user_id"].n_unique() == pytest.approx(14, rel=0.1)
    assert with_session.height / with_session["user_session"].n_unique() == pytest.approx(4.6, rel=0.08)
    days_per_user = with_session.group_by("user_id").agg(pl.col("event_time").str.slice(0, 10).n_unique())
    assert number((days_per_user["event_time"] >= 2).mean()) > 0.3  # users come back on other days


def test_a_session_is_one_user_within_one_day(events: pl.DataFrame) -> None:
    sessions = (
        events.filter(pl.col("user_session").is_not_null())
        .group_by("user_session")
        .agg(pl.col("user_id").n_unique(), pl.col("event_time").str.slice(0, 10).n_unique(), pl.col("file").n_unique())
    )
    assert (sessions["user_id"] == 1).all()
    assert (sessions["event_time"] == 1).all()
    assert (sessions["file"] == 1).all()


def test_purchases_come_after_the_cart_at_the_cart_price(events: pl.DataFrame) -> None:
    carts = (
        events.filter(pl.col("event_type") == "cart")
        .group_by("user_session", "product_id")
        .agg(pl.col("line").min().alias("cart_line"), pl.col("price").first().alias("cart_price"))
    )
    purchases = events.filter((pl.col("event_type") == "purchase") & pl.col("user_session").is_not_null())
    after_cart = purchases.join(carts, on=["user_session", "product_id"], how="inner")
    assert after_cart.height > 0.8 * purchases.height  # most purchases were carted first ...
    assert after_cart.height < purchases.height  # ... but not all
    assert (after_cart["line"] > after_cart["cart_line"]).all()
    assert (after_cart["price"] == after_cart["cart_price"]).all()


def test_some_orders_have_several_products(events: pl.DataFrame) -> None:
    orders = (
        events.filter((pl.col("event_type") == "purchase") & pl.col("user_session").is_not_null())
        .group_by("user_session")
        .agg(pl.col("product_id").n_unique().alias("products"))
    )
    assert 0.05 < number((orders["products"] >= 2).mean()) < 0.4


def test_few_rows_lack_a_session_and_two_of_them_are_purchases(events: pl.DataFrame) -> None:
    missing = events.filter(pl.col("user_session").is_null())
    assert 3 <= missing.height <= 10
    assert (missing["event_type"] == "purchase").sum() >= 2


def test_duplicates_are_rare_and_written_next_to_their_original(events: pl.DataFrame) -> None:
    columns = list(KAGGLE_HEADER)
    same_as_previous = events.select(
        pl.all_horizontal(pl.col(name).eq_missing(pl.col(name).shift()) for name in columns)
        & (pl.col("file") == pl.col("file").shift())
    ).to_series()
    adjacent = int(same_as_previous.sum())
    assert adjacent / events.height == pytest.approx(0.0015, abs=0.0007)
    assert events.height - events.select(columns).unique().height == adjacent  # no other duplicates


# ------------------------------------------------------ layout, determinism


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    config = GeneratorConfig(events=SMALL, seed=7)
    first = generate(config, tmp_path / "first")
    second = generate(config, tmp_path / "second")
    assert [path.name for path in first] == [path.name for path in second]
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(first, second, strict=True))
    other = generate(GeneratorConfig(events=SMALL, seed=8), tmp_path / "other")
    assert all(a.read_bytes() != b.read_bytes() for a, b in zip(first, other, strict=True))


def test_per_day_files_hold_the_same_rows_in_the_same_order(tmp_path: Path) -> None:
    monthly = generate(GeneratorConfig(events=SMALL, seed=3), tmp_path / "monthly")
    daily = generate(GeneratorConfig(events=SMALL, seed=3, per_day=True), tmp_path / "daily")
    assert len(daily) == 61
    assert [path.name for path in daily[:2]] == ["2019-10-01.csv", "2019-10-02.csv"]
    assert daily[-1].name == "2019-11-30.csv"
    for path in daily:
        assert path.read_bytes().startswith(HEADER.encode() + b"\n")
        assert all(line.startswith(path.name[:10]) for line in data_lines(path))
    monthly_rows = [line for path in in_time_order(monthly) for line in data_lines(path)]
    daily_rows = [line for path in daily for line in data_lines(path)]
    assert daily_rows == monthly_rows
    assert abs(len(monthly_rows) - SMALL) <= 0.02 * SMALL


def test_gzip_files_are_readable_by_gzip_and_hold_the_same_rows(tmp_path: Path) -> None:
    plain = generate(GeneratorConfig(events=SMALL), tmp_path / "plain")
    packed = generate(GeneratorConfig(events=SMALL, gzip=True), tmp_path / "packed")
    assert [path.name for path in packed] == ["2019-Nov.csv.gz", "2019-Oct.csv.gz"]
    for csv, gz in zip(plain, packed, strict=True):
        unpacked = subprocess.run(["gzip", "-dc", str(gz)], capture_output=True, check=True).stdout
        assert unpacked == csv.read_bytes()
    again = generate(GeneratorConfig(events=SMALL, gzip=True), tmp_path / "again")
    assert [path.read_bytes() for path in again] == [path.read_bytes() for path in packed]


def test_a_short_range_gives_one_file_per_month_touched(tmp_path: Path) -> None:
    config = GeneratorConfig(events=5_000, start=date(2019, 12, 30), end=date(2020, 1, 2))
    paths = generate(config, tmp_path)
    assert [path.name for path in paths] == ["2019-Dec.csv", "2020-Jan.csv"]
    lines = [line for path in paths for line in data_lines(path)]
    assert {line[:10] for line in lines} == {"2019-12-30", "2019-12-31", "2020-01-01", "2020-01-02"}
    assert abs(len(lines) - 5_000) <= 100


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (GeneratorConfig(events=0), "events must be at least 1"),
        (GeneratorConfig(events=-5), "events must be at least 1"),
        (GeneratorConfig(start=date(2019, 11, 2), end=date(2019, 11, 1)), "must not be before start"),
    ],
)
def test_a_bad_config_is_refused_in_one_sentence(tmp_path: Path, config: GeneratorConfig, message: str) -> None:
    with pytest.raises(ValueError, match=message) as error:
        generate(config, tmp_path / "out")
    text = str(error.value)
    assert text.endswith(".") and "\n" not in text
    assert not (tmp_path / "out").exists()
