"""Malformed raw input through the real landing and a real dbt build on DuckDB:
every bad line is counted with its reason, none crashes the build, none is lost,
and the marts equal the Python reference over the same files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
import pytest

from conftest import HEADER, REAL_SAMPLE, Warehouse, land_expect_and_build, run_module, write_csv

# Raw CSV rows are kept whole, as they are in a file (hence the noqa).
P1 = "2019-10-03 12:00:00 UTC,purchase,1004237,2053013555631882655,electronics.smartphone,apple,1081.98,535871217,aaaaaaaa-0000-4000-8000-000000000001"  # noqa: E501
P2 = "2019-10-03 12:05:00 UTC,purchase,1005011,2053013555631882655,electronics.smartphone,samsung,900.64,535871217,aaaaaaaa-0000-4000-8000-000000000001"  # noqa: E501
P3 = "2019-11-04 08:00:00 UTC,purchase,3900821,2053013552326770905,appliances.environment.water_heater,aqua,33.20,554748717,"  # noqa: E501
# a brand of 100,000 characters: a long line, well under the landing's 1 MiB limit, is read whole
LONG_BRAND = 100_000
V1 = "2019-10-03 11:59:00 UTC,view,1004237,2053013555631882655,electronics.smartphone,apple,1081.98,535871217,aaaaaaaa-0000-4000-8000-000000000001"  # noqa: E501

# file name -> (lines, expected rejection reasons of that file)
BAD_LINES: dict[str, tuple[list[str], dict[str, int]]] = {
    "bad-time.csv": (
        [V1, P1.replace("12:00:00 UTC", "12:00 UTC"), P1.replace("2019-10-03", "2019-10-32")],
        {"unparseable_event_time": 2},
    ),
    "negative-price.csv": ([P1.replace("1081.98", "-1081.98")] * 2, {"negative_price": 2}),
    "bad-price.csv": (
        [P1.replace("1081.98", "N/A"), P1.replace("1081.98", "")],
        {"non_numeric_price": 1, "missing_price": 1},
    ),
    "bad-ids.csv": (
        [P1.replace("1004237", "1004237a"), P1.replace("535871217", ""), P1.replace("2053013555631882655", "cat")],
        {"non_numeric_product_id": 1, "missing_user_id": 1, "non_numeric_category_id": 1},
    ),
    "extra-field.csv": ([P1 + ",surprise", P1.rsplit(",", 2)[0]], {"wrong_field_count": 2}),
    "unknown-type.csv": ([P1.replace("purchase", "refund")], {"unknown_event_type": 1}),
    "blank-line.csv": ([V1, "", P2], {"empty_line": 1}),
}


@pytest.fixture(scope="module")
def malformed_build(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    work = tmp_path_factory.mktemp("malformed")
    incoming = work / "incoming"
    for name, (lines, _) in BAD_LINES.items():
        write_csv(incoming / name, lines)
    # lines of their own, so that the lines are counted under this file
    crlf_lines = [line.replace("000000000001", "0000000000c1") for line in (V1, P1, P2)]
    write_csv(incoming / "crlf.csv", crlf_lines, newline="\r\n")
    write_csv(incoming / "truncated.csv", [P3, P3[:40]], final_newline=False)
    (incoming / "zipped.csv.gz").write_bytes(gzip.compress(f"{HEADER}\n{P3.replace('08:00', '09:00')}\n".encode()))
    # awkward but readable files: each line made unique by its session
    awkward = {
        name: [line.replace("000000000001", f"0000000000{tag}") for line in (V1, P1, P2)]
        for name, tag in (
            ("bom.csv", "b1"),
            ("cr-only.csv", "c1"),
            ("two-members.csv.gz", "d1"),
            ("long-brand.csv", "e1"),
        )
    }
    (incoming / "bom.csv").write_bytes(("\ufeff" + HEADER + "\n" + "\n".join(awkward["bom.csv"]) + "\n").encode())
    write_csv(incoming / "cr-only.csv", awkward["cr-only.csv"], newline="\r")
    first, *rest = awkward["two-members.csv.gz"]
    (incoming / "two-members.csv.gz").write_bytes(
        gzip.compress(f"{HEADER}\n{first}\n".encode()) + gzip.compress(("\n".join(rest) + "\n").encode())
    )
    write_csv(
        incoming / "long-brand.csv",
        [line.replace(",apple,", "," + "a" * LONG_BRAND + ",") for line in awkward["long-brand.csv"]],
    )
    if REAL_SAMPLE.exists():
        (incoming / REAL_SAMPLE.name).write_bytes(REAL_SAMPLE.read_bytes())
    return land_expect_and_build(incoming, work)


def quarantine_by_file(warehouse: Warehouse) -> dict[str, dict[str, int]]:
    with duckdb.connect(str(warehouse.database), read_only=True) as connection:
        rows = connection.sql(
            "select source_file, rejection_reason, sum(occurrences) from staging.stg_events_quarantine group by all"
        ).fetchall()
    found: dict[str, dict[str, int]] = {}
    for source_file, reason, count in rows:
        found.setdefault(Path(source_file).name, {})[reason] = count
    return found


@pytest.mark.dbt
def test_every_bad_line_is_quarantined_with_its_reason(malformed_build: Warehouse) -> None:
    found = quarantine_by_file(malformed_build)

    for name, (_, reasons) in BAD_LINES.items():
        assert found.pop(name) == reasons, name
    assert found.pop("truncated.csv") == {"wrong_field_count": 1}
    assert found == {}, "only the files above have rejected lines: CRLF, gzip and real rows are clean"


@pytest.mark.dbt
def test_crlf_gzip_truncated_bom_cr_only_two_member_and_long_line_files_contribute_every_row(
    malformed_build: Warehouse,
) -> None:
    with duckdb.connect(str(malformed_build.database), read_only=True) as connection:
        per_file = dict(
            connection.sql(
                "select regexp_extract(source_file, '[^/]+$'), count(*) from staging.stg_event_lines "
                "where is_accepted group by all"
            ).fetchall()
        )
        sessions = connection.execute(
            "select count(*) from staging.stg_event_lines where raw_line like '%' || chr(13) || '%'"
        ).fetchone()
    assert per_file["crlf.csv"] == 3
    assert per_file["truncated.csv"] == 1
    assert per_file["zipped.csv.gz"] == 1
    for name in ("bom.csv", "cr-only.csv", "two-members.csv.gz", "long-brand.csv"):
        assert per_file[name] == 3, name
    assert sessions == (0,), "no carriage return may survive into a field"


@pytest.mark.dbt
def test_the_marts_equal_the_python_reference_on_the_same_files(malformed_build: Warehouse) -> None:
    expected_path = malformed_build.raw_dir.parent / "expected.json"
    report = run_module("mart_oracle", "report", "--database", malformed_build.database, "--expected", expected_path)

    assert report.returncode == 0, report.stdout + report.stderr
    expected = json.loads(expected_path.read_text())
    accounting = expected["row_accounting"]
    assert accounting["rows_read"] == (
        accounting["rows_accepted"] + accounting["rows_quarantined"] + accounting["duplicates_removed"]
    )
    assert accounting["rows_quarantined"] == sum(sum(r.values()) for _, r in BAD_LINES.values()) + 1


@pytest.mark.dbt
@pytest.mark.skipif(not REAL_SAMPLE.exists(), reason=f"the real Kaggle sample is not at {REAL_SAMPLE}")
def test_real_kaggle_rows_go_through_with_no_rejects(malformed_build: Warehouse) -> None:
    with duckdb.connect(str(malformed_build.database), read_only=True) as connection:
        row = connection.execute(
            "select count(*), count(*) filter (event_type = 'purchase') from staging.stg_events "
            f"where source_file like '%{REAL_SAMPLE.name}'"
        ).fetchone()
    assert REAL_SAMPLE.name not in quarantine_by_file(malformed_build)
    # published facts of this sample: 5,019 rows, 54 purchases, 3 exact duplicates
    assert row == (5019 - 3, 54)
