"""Generated data through the real commands and a real dbt build on DuckDB: the marts
equal the generator's expected values (computed in Python) to the cent."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from conftest import ROW_ACCOUNTING_TOTALS, Warehouse, query, run_module
from mart_oracle.report import MART_KEYS, connect, differences


def expected(warehouse: Warehouse) -> dict[str, Any]:
    return json.loads((warehouse.raw_dir.parent / "generated" / "expected.json").read_text())


@pytest.mark.dbt
def test_kpi_summary_equals_the_generator_expected_values_to_the_cent(generated_build: Warehouse) -> None:
    want = expected(generated_build)["kpi_summary"]
    (got,) = query(generated_build, "select * from marts.kpi_summary")

    assert got["lifetime_revenue"] == Decimal(want["lifetime_revenue"])
    assert got["avg_customer_ltv"] == Decimal(want["avg_customer_ltv"])
    assert got["total_customers"] == want["total_customers"]
    assert got["repeat_customers"] == want["repeat_customers"]
    assert got["total_customers"] > 100 and 0 < got["repeat_customers"] < got["total_customers"]


@pytest.mark.dbt
def test_fact_monthly_summary_equals_the_generator_expected_values(generated_build: Warehouse) -> None:
    want = expected(generated_build)["fact_monthly_summary"]
    got = query(generated_build, "select * from marts.fact_monthly_summary order by month_start")

    assert [row["month_start"].isoformat() for row in got] == ["2019-10-01", "2019-11-01"]
    for got_row, want_row in zip(got, want, strict=True):
        assert got_row["revenue"] == Decimal(want_row["revenue"])
        assert got_row["avg_order_value"] == Decimal(want_row["avg_order_value"])
        for column in ("purchases", "orders", "customers"):
            assert got_row[column] == want_row[column], column


@pytest.mark.dbt
def test_every_generated_row_is_accounted_for(generated_build: Warehouse) -> None:
    want = expected(generated_build)["row_accounting"]
    (got,) = query(generated_build, ROW_ACCOUNTING_TOTALS)

    assert got == want
    assert got["rows_read"] == got["rows_accepted"] + got["rows_quarantined"] + got["duplicates_removed"]
    assert got["rows_quarantined"] == 0, "generated rows are all valid"
    assert got["duplicates_removed"] > 0, "the generator writes exact duplicates"


@pytest.mark.dbt
def test_sessionless_purchases_are_orders_of_their_own(generated_build: Warehouse) -> None:
    (row,) = query(
        generated_build,
        "select count(*) as purchases, count(distinct order_id) as orders "
        "from marts.fact_purchases where user_session is null",
    )
    assert row["purchases"] >= 2
    assert row["orders"] == row["purchases"]


@pytest.mark.dbt
def test_every_mart_equals_the_python_reference(generated_build: Warehouse) -> None:
    expected_values = expected(generated_build)
    with connect(generated_build.database) as connection:
        found = differences(connection, expected_values)

    assert found == []
    assert set(expected_values["marts"]) == set(MART_KEYS) - {"fact_monthly_summary"}
    assert all(expected_values["marts"][name] for name in expected_values["marts"]), "no mart is empty"


@pytest.mark.dbt
def test_the_demo_report_prints_the_summary_and_confirms_the_check(generated_build: Warehouse) -> None:
    expected_path = generated_build.raw_dir.parent / "generated" / "expected.json"
    result = run_module("mart_oracle", "report", "--database", generated_build.database, "--expected", expected_path)

    assert result.returncode == 0, result.stderr
    want = expected(generated_build)
    assert f"{want['row_accounting']['rows_read']:,}" in result.stdout
    assert f"{Decimal(want['kpi_summary']['lifetime_revenue']):,.2f}" in result.stdout
    assert "equal the values computed independently" in result.stdout


@pytest.mark.dbt
def test_the_report_fails_loudly_when_a_mart_is_wrong(generated_build: Warehouse, tmp_path: Path) -> None:
    wrong = expected(generated_build)
    wrong["kpi_summary"]["repeat_customers"] += 1
    wrong_path = tmp_path / "wrong.json"
    wrong_path.write_text(json.dumps(wrong))

    result = run_module("mart_oracle", "report", "--database", generated_build.database, "--expected", wrong_path)

    assert result.returncode == 1
    assert "kpi_summary.repeat_customers" in result.stderr
