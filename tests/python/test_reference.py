"""The Python reference itself, on hand-made rows whose answers were worked out by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import HEADER
from mart_oracle.customers import customer_cohorts, read_ltv_tiers, tier_of
from mart_oracle.expected import expected_values
from mart_oracle.revenue import revenue_by_brand
from mart_oracle.row_rules import Event, rejection_reason
from mart_oracle.values import divide_to_cents

# Raw CSV rows are kept whole, as they are in a file (hence the noqa).
GOOD = "2019-10-01 00:00:04 UTC,purchase,1004237,2053013555631882655,electronics.smartphone,apple,1081.98,535871217,c6bd7419-2748-4c56-95b4-8cec9ff8b80d"  # noqa: E501


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (GOOD, None),
        (GOOD.replace("apple", ""), None),
        (GOOD.replace(",c6bd7419-2748-4c56-95b4-8cec9ff8b80d", ","), None),
        ("", "empty_line"),
        (HEADER, "repeated_header"),
        (GOOD.replace("apple", '"apple'), "unbalanced_quote"),
        (GOOD.replace("apple", 'apple"'), "unbalanced_quote"),
        (GOOD.replace("apple", '"apple" inc'), "unbalanced_quote"),
        (GOOD.replace("apple", '"apple, inc"'), None),
        (GOOD + ",extra", "wrong_field_count"),
        (GOOD + ',"extra, more"', "wrong_field_count"),
        (GOOD.rsplit(",", 1)[0], "wrong_field_count"),
        (GOOD.replace("00:00:04 UTC", "00:00:04"), "unparseable_event_time"),
        (GOOD.replace("2019-10-01", "2019-13-01"), "unparseable_event_time"),
        (GOOD.replace("2019-10-01", "2019-02-30"), "unparseable_event_time"),
        (GOOD.replace("purchase", "refund"), "unknown_event_type"),
        (GOOD.replace("1004237", ""), "missing_product_id"),
        (GOOD.replace("1004237", "10x4237"), "non_numeric_product_id"),
        (GOOD.replace("2053013555631882655", ""), "missing_category_id"),
        (GOOD.replace("2053013555631882655", "99999999999999999999"), "non_numeric_category_id"),
        (GOOD.replace("535871217", ""), "missing_user_id"),
        (GOOD.replace("535871217", "-535871217"), "non_numeric_user_id"),
        (GOOD.replace("1081.98", ""), "missing_price"),
        (GOOD.replace("1081.98", "12,34"), "wrong_field_count"),
        (GOOD.replace("1081.98", '"12,34"'), "non_numeric_price"),
        (GOOD.replace("1081.98", '"1081.98"'), None),
        (GOOD.replace("1081.98", "abc"), "non_numeric_price"),
        (GOOD.replace("1081.98", "1081.987"), "non_numeric_price"),
        (GOOD.replace("1081.98", "-1.00"), "negative_price"),
    ],
)
def test_rejection_reason_names_the_first_failing_check(line: str, reason: str | None) -> None:
    assert rejection_reason(line) == reason


@pytest.mark.parametrize(
    ("amount", "count", "expected"),
    [("10.01", 2, "5.01"), ("10.00", 3, "3.33"), ("0.05", 2, "0.03"), ("20.00", 3, "6.67"), ("1.00", 0, None)],
)
def test_divide_to_cents_rounds_half_up(amount: str, count: int, expected: str | None) -> None:
    result = divide_to_cents(Decimal(amount), count)
    assert (str(result) if result is not None else None) == expected


def test_expected_values_follow_the_metric_definitions(tmp_path: Path) -> None:
    header = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session"
    rows = [
        # user 1: two purchases in session s1 (one order), one in s2 (second order) -> repeat customer
        "2019-10-01 10:00:00 UTC,view,1,2053013555631882655,,,10.00,1,s1",
        "2019-10-01 10:01:00 UTC,purchase,1,2053013555631882655,,,10.00,1,s1",
        "2019-10-01 10:02:00 UTC,purchase,2,2053013555631882655,,,5.01,1,s1",
        "2019-11-02 09:00:00 UTC,purchase,1,2053013555631882655,,,10.00,1,s2",
        # the same purchase row twice: counted once
        "2019-11-02 09:00:00 UTC,purchase,1,2053013555631882655,,,10.00,1,s2",
        # user 2: two purchases without a session -> two orders -> repeat customer
        "2019-11-03 09:00:00 UTC,purchase,3,2053013555631882655,,,1.00,2,",
        "2019-11-03 09:05:00 UTC,purchase,3,2053013555631882655,,,1.00,2,",
        # user 3: one purchase, one order
        "2019-11-04 09:00:00 UTC,purchase,3,2053013555631882655,,,0.00,3,s3",
        # rejected lines
        "2019-11-04 09:00:00 UTC,purchase,3,2053013555631882655,,,-4.00,3,s3",
        "not a row",
    ]
    path = tmp_path / "events.csv"
    path.write_text("\n".join([header, *rows]) + "\n")

    values = expected_values([path])

    assert values["row_accounting"] == {
        "rows_read": 10,
        "rows_accepted": 7,
        "rows_quarantined": 2,
        "duplicates_removed": 1,
    }
    assert values["rejections"] == {"negative_price": 1, "wrong_field_count": 1}
    assert values["kpi_summary"] == {
        "lifetime_revenue": Decimal("27.01"),
        "total_customers": 3,
        "avg_customer_ltv": Decimal("9.00"),
        "repeat_customers": 2,
    }
    october, november = values["fact_monthly_summary"]
    assert (october["revenue"], october["purchases"], october["orders"], october["customers"]) == (
        Decimal("15.01"),
        2,
        1,
        1,
    )
    assert october["avg_order_value"] == Decimal("15.01")
    assert (november["revenue"], november["purchases"], november["orders"], november["customers"]) == (
        Decimal("12.00"),
        4,
        4,
        3,
    )
    assert november["avg_order_value"] == Decimal("3.00")


def _purchase(user_id: int, session: str, price: str, when: str, brand: str | None = None) -> Event:
    return Event(
        event_time=dt.datetime.fromisoformat(when),
        event_type="purchase",
        product_id=1,
        category_id=1,
        category_code=None,
        brand=brand,
        price=Decimal(price),
        user_id=user_id,
        user_session=session,
        line_key=f"{user_id}-{session}-{when}",
    )


def test_ltv_tiers_are_half_open_and_read_from_the_seed(tmp_path: Path) -> None:
    tiers = read_ltv_tiers()
    assert [
        tier_of(Decimal(v), tiers) for v in ("0.00", "99.99", "100.00", "499.99", "500.00", "999.99", "1000.00", "5000")
    ] == [
        "Low",
        "Low",
        "Mid",
        "Mid",
        "High",
        "High",
        "Premium",
        "Premium",
    ]
    other_seed = tmp_path / "ltv_tiers.csv"
    other_seed.write_text("ltv_tier,tier_order,min_lifetime_revenue,max_lifetime_revenue\nSmall,1,0,50\nBig,2,50,\n")
    assert tier_of(Decimal("60"), read_ltv_tiers(other_seed)) == "Big"


def test_cohorts_and_brand_ranks_follow_their_definitions() -> None:
    purchases = [
        _purchase(1, "a", "10.00", "2019-10-31 23:00:00", "apple"),
        _purchase(1, "b", "5.00", "2019-12-01 10:00:00", "samsung"),
        _purchase(2, "c", "10.00", "2019-10-02 10:00:00", "samsung"),
        _purchase(3, "d", "99.00", "2019-11-05 10:00:00", None),
    ]

    assert [
        (r["cohort_month"].isoformat(), r["month_offset"], r["active_customers"], r["retention_rate"])
        for r in customer_cohorts(purchases)
    ] == [
        ("2019-10-01", 0, 2, 1.0),
        ("2019-10-01", 2, 1, 0.5),
        ("2019-11-01", 0, 1, 1.0),
    ]
    ranks = {r["brand_name"]: (r["revenue"], r["revenue_rank"]) for r in revenue_by_brand(purchases)}
    assert ranks == {
        "samsung": (Decimal("15.00"), 1),
        "apple": (Decimal("10.00"), 2),
        "unknown": (Decimal("99.00"), None),
    }
