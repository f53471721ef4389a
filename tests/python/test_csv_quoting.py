"""RFC 4180 CSV quoting, read the same way by the real dbt build on DuckDB and by the Python
reference: a quoted field is one field whatever commas it holds and loses its quotes (`""`
read as `"`); quotes that are not well formed quarantine the line as `unbalanced_quote`; a
second header line in the middle of a file is `repeated_header`."""

from __future__ import annotations

import csv
import io
import json
import random
import re
import time
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from conftest import HEADER, ROW_ACCOUNTING_TOTALS, Warehouse, land_expect_and_build, query, run_module, write_csv
from ingest.csvline import split_fields
from mart_oracle.row_rules import parse_event, rejection_reason

SESSION = "aaaaaaaa-0000-4000-8000-0000000000f1"
# One Kaggle line, field by field, as written in the file (quotes included where given).
BASE = {
    "event_time": "",
    "event_type": "view",
    "product_id": "1004237",
    "category_id": "2053013555631882655",
    "category_code": "electronics.smartphone",
    "brand": "apple",
    "price": "1081.98",
    "user_id": "535871217",
    "user_session": SESSION,
}


def at(second: int) -> str:
    return f"2019-10-03 12:00:{second:02d} UTC"


def line(second: int, **written: str) -> str:
    """A raw line at 12:00:<second> (which tells the lines apart), with some fields written as given."""
    return ",".join({**BASE, "event_time": at(second), **written}.values())


# accepted lines: event time -> (line, what stg_events holds for it)
ACCEPTED: dict[str, tuple[str, dict[str, Any]]] = {
    at(1): (
        line(1, event_type="purchase", product_id="1005011", brand='"acme, inc"'),
        {"event_type": "purchase", "product_id": 1005011, "brand": "acme, inc"},
    ),
    at(2): (line(2, category_code='"computers.notebook, 15in"'), {"category_code": "computers.notebook, 15in"}),
    at(3): (line(3, brand='"say ""hi"""'), {"brand": 'say "hi"'}),
    at(4): (
        ",".join(f'"{value}"' for value in {**BASE, "event_time": at(4)}.values()),
        {"product_id": 1004237, "category_id": 2053013555631882655, "price": Decimal("1081.98"), "user_id": 535871217},
    ),
    at(5): (line(5, event_type="cart", brand='""'), {"event_type": "cart", "brand": None}),
    # the two files of the concatenation: the lines on both sides of the second header count
    at(21): (line(21), {"brand": "apple"}),
    at(22): (line(22, brand='"acme, inc"'), {"brand": "acme, inc"}),
}

UNCLOSED = line(11, brand='"acme, inc')
STRAY_QUOTE = line(12, brand='12" screen')
TEXT_AFTER_CLOSING_QUOTE = line(13, brand='"acme" inc')
# a quoted field holding a line break: a line reader sees two lines, each with a lone quote
LINE_BREAK_IN_QUOTES = line(14, brand='"acme\ninc"')
TOO_MANY_FIELDS = line(15, brand='"acme, inc"') + ',"x,y"'
QUOTED_BAD_NUMBER = line(16, product_id='"10x4237"')

# raw line as read (one physical line) -> (reason, occurrences in its file)
REJECTED: dict[str, tuple[str, int]] = {
    UNCLOSED: ("unbalanced_quote", 1),
    STRAY_QUOTE: ("unbalanced_quote", 1),
    TEXT_AFTER_CLOSING_QUOTE: ("unbalanced_quote", 1),
    LINE_BREAK_IN_QUOTES.split("\n")[0]: ("unbalanced_quote", 1),
    LINE_BREAK_IN_QUOTES.split("\n")[1]: ("unbalanced_quote", 1),
    TOO_MANY_FIELDS: ("wrong_field_count", 1),
    QUOTED_BAD_NUMBER: ("non_numeric_product_id", 1),
    HEADER: ("repeated_header", 1),
}


@pytest.fixture(scope="module")
def quoted_build(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    work = tmp_path_factory.mktemp("quoting")
    incoming = work / "incoming"
    write_csv(
        incoming / "quoted.csv",
        [ACCEPTED[at(s)][0] for s in (1, 2, 3, 4, 5)]
        + [UNCLOSED, STRAY_QUOTE, TEXT_AFTER_CLOSING_QUOTE, LINE_BREAK_IN_QUOTES]
        + [TOO_MANY_FIELDS, QUOTED_BAD_NUMBER],
    )
    write_csv(incoming / "concatenated.csv", [ACCEPTED[at(21)][0], HEADER, ACCEPTED[at(22)][0]])
    return land_expect_and_build(incoming, work)


@pytest.mark.dbt
def test_quoted_fields_are_one_field_each_and_lose_their_quotes(quoted_build: Warehouse) -> None:
    events = {
        row["event_time"].strftime("%Y-%m-%d %H:%M:%S UTC"): row
        for row in query(quoted_build, "select * from staging.stg_events")
    }

    assert set(events) == set(ACCEPTED)
    for when, (_, want) in ACCEPTED.items():
        got = events[when]
        assert {name: got[name] for name in want} == want, when
        assert got["user_session"] == SESSION, when


@pytest.mark.dbt
def test_badly_quoted_lines_and_a_repeated_header_are_quarantined_with_their_reason(quoted_build: Warehouse) -> None:
    rows = query(
        quoted_build,
        "select raw_line, rejection_reason, occurrences, field_count from staging.stg_events_quarantine",
    )

    assert {row["raw_line"]: (row["rejection_reason"], row["occurrences"]) for row in rows} == REJECTED
    assert {row["field_count"] for row in rows if row["raw_line"] == TOO_MANY_FIELDS} == {10}
    accounting = query(quoted_build, ROW_ACCOUNTING_TOTALS)[0]
    physical_lines = len(ACCEPTED) + sum(count for _, count in REJECTED.values())
    assert (accounting["rows_read"], accounting["rows_accepted"]) == (physical_lines, len(ACCEPTED))


@pytest.mark.dbt
def test_a_brand_with_a_comma_reaches_the_marts(quoted_build: Warehouse) -> None:
    by_brand = query(quoted_build, "select * from marts.revenue_by_brand where brand_name = 'acme, inc'")
    product = query(quoted_build, "select brand from marts.dim_product where product_id = 1005011")

    assert [(row["revenue"], row["purchases"]) for row in by_brand] == [(Decimal("1081.98"), 1)]
    assert product == [{"brand": "acme, inc"}]


@pytest.mark.dbt
def test_the_marts_equal_the_python_reference_on_the_same_files(quoted_build: Warehouse) -> None:
    expected_path = quoted_build.raw_dir.parent / "expected.json"
    report = run_module("mart_oracle", "report", "--database", quoted_build.database, "--expected", expected_path)

    assert report.returncode == 0, report.stdout + report.stderr
    rejections = json.loads(expected_path.read_text())["rejections"]
    want: dict[str, int] = {}
    for reason, count in REJECTED.values():
        want[reason] = want.get(reason, 0) + count
    assert rejections == want


# ------------------------------------------------------------------ the Python splitter


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("a,b,c", ["a", "b", "c"]),
        ("", [""]),
        (",", ["", ""]),
        ('"acme, inc"', ["acme, inc"]),
        ('a,"acme, inc",c', ["a", "acme, inc", "c"]),
        ('"say ""hi"""', ['say "hi"']),
        ('""', [""]),
        ('"",""', ["", ""]),
        ('""""', ['"']),
        ('"a""",b', ['a"', "b"]),
        ('a,""', ["a", ""]),
        ('"1004237",x', ["1004237", "x"]),
        ('",",","', [",", ","]),
        ('"a,b",', ["a,b", ""]),
        # not RFC 4180: an unclosed quote, a quote in an unquoted field, text after a closing quote
        ('"acme, inc', None),
        ('a,"b', None),
        ('"', None),
        ('"""', None),
        ('12" screen', None),
        ('a,b"', None),
        ('"acme" inc', None),
        ('"a"b,c', None),
        ('"a" ,b', None),
        ('acme\ninc"', None),
    ],
)
def test_the_splitter_reads_rfc_4180_quoting(text: str, fields: list[str] | None) -> None:
    assert split_fields(text) == fields


def test_the_splitter_gives_back_what_a_csv_writer_quoted() -> None:
    # random fields of commas, quotes, spaces and letters, written by Python's csv module
    rng = random.Random(4180)
    for _ in range(2000):
        fields = ["".join(rng.choice('a," ') for _ in range(rng.randrange(6))) for _ in range(rng.randrange(1, 5))]
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="", quoting=rng.choice([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])).writerow(fields)
        assert split_fields(buffer.getvalue()) == fields, buffer.getvalue()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (HEADER, "repeated_header"),
        (UNCLOSED, "unbalanced_quote"),
        (STRAY_QUOTE, "unbalanced_quote"),
        (TEXT_AFTER_CLOSING_QUOTE, "unbalanced_quote"),
        (TOO_MANY_FIELDS, "wrong_field_count"),
        (QUOTED_BAD_NUMBER, "non_numeric_product_id"),
        *((half, "unbalanced_quote") for half in LINE_BREAK_IN_QUOTES.split("\n")),
        *((text, None) for text, _ in ACCEPTED.values()),
    ],
)
def test_the_reference_reads_quoted_lines_as_the_sql_does(text: str, reason: str | None) -> None:
    assert rejection_reason(text) == reason


def test_the_reference_parses_quoted_fields_unquoted() -> None:
    event = parse_event(ACCEPTED[at(4)][0], "key")
    assert (event.product_id, event.price, event.user_session) == (1004237, Decimal("1081.98"), SESSION)
    assert parse_event(ACCEPTED[at(3)][0], "key").brand == 'say "hi"'
    assert parse_event(ACCEPTED[at(5)][0], "key").brand is None
    with pytest.raises(ValueError):
        parse_event(UNCLOSED, "key")


def test_the_fields_above_are_the_kaggle_header_in_order() -> None:
    assert split_fields(HEADER) == list(BASE)


# ------------------------------------------------------------------ the SQL patterns themselves


def compiled_patterns(warehouse: Warehouse) -> tuple[str, str, str]:
    """The well-quoted-line, quoted-section and nine-field patterns of the compiled model."""
    compiled = next((warehouse.database.parent / "target" / "compiled").rglob("stg_event_lines.sql")).read_text()
    (well_quoted,) = set(re.findall(r"regexp_matches\(raw_line, '([^']*)'\)", compiled))
    (quoted_section,) = set(re.findall(r"regexp_replace\(raw_line, '([^']*)', '', 'g'\)", compiled))
    (nine_fields,) = set(re.findall(r"regexp_extract\(raw_line, '([^']*)', [1-9]\)", compiled))
    return well_quoted, quoted_section, nine_fields


def random_lines(count: int) -> list[str]:
    """Lines of commas, quotes, spaces and letters: well quoted (written by the csv module,
    nine fields half the time) and the same with one character changed, added or removed."""
    rng = random.Random(9)
    lines = []
    for _ in range(count):
        width = 9 if rng.random() < 0.5 else rng.randrange(1, 12)
        fields = ["".join(rng.choice('a," ') for _ in range(rng.randrange(5))) for _ in range(width)]
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="", quoting=rng.choice([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])).writerow(fields)
        text = buffer.getvalue()
        lines.append(text)
        at_ = rng.randrange(len(text) + 1)
        lines.append(text[:at_] + rng.choice('"a,') + text[at_ + rng.randrange(2) :])
    return lines


@pytest.mark.dbt
def test_the_sql_patterns_split_as_the_python_state_machine_does(quoted_build: Warehouse) -> None:
    well_quoted, quoted_section, nine_fields = compiled_patterns(quoted_build)
    lines = [text for text in random_lines(3000) if '"' in text]
    with duckdb.connect() as connection:  # RE2, DuckDB's engine
        connection.execute("create table lines (n integer, line varchar)")
        connection.executemany("insert into lines values (?, ?)", list(enumerate(lines)))
        rows = connection.execute(
            f"select n, regexp_matches(line, ?), regexp_replace(line, ?, '', 'g'), "
            f"{', '.join(f'regexp_extract(line, ?, {k})' for k in range(1, 10))} from lines order by n",
            [well_quoted, quoted_section, *[nine_fields] * 9],
        ).fetchall()
    checked_nine = 0
    for n, is_well_quoted, outside, *extracted in rows:
        fields = split_fields(lines[n])
        assert is_well_quoted == (fields is not None), lines[n]
        # Python's re backtracks, as Trino's joni does: both must read the patterns as RE2 does
        assert (re.fullmatch(well_quoted, lines[n]) is not None) == is_well_quoted, lines[n]
        assert re.sub(quoted_section, "", lines[n]) == outside, lines[n]
        if fields is None:
            continue
        assert outside.count(",") + 1 == len(fields), lines[n]
        if len(fields) == 9:
            checked_nine += 1
            unquoted = [f[1:-1].replace('""', '"') if f.startswith('"') else f for f in extracted]
            assert unquoted == fields, lines[n]
            match = re.fullmatch(nine_fields, lines[n])
            assert match is not None and list(match.groups()) == extracted, lines[n]
    assert checked_nine > 200


@pytest.mark.dbt
@pytest.mark.parametrize(
    "text",
    [
        '"' + 'a""' * 20_000,  # a quoted field never closed, full of doubled quotes
        "," * 20_000 + '"',  # many empty fields, then a lone quote
        '"a",' * 10_000 + '"',  # many quoted fields, then one left open
        'a"' * 20_000,  # a quote in every unquoted field
    ],
)
def test_the_patterns_do_not_backtrack_badly(quoted_build: Warehouse, text: str) -> None:
    well_quoted, quoted_section, nine_fields = compiled_patterns(quoted_build)
    started = time.monotonic()
    assert re.fullmatch(well_quoted, text) is None
    re.sub(quoted_section, "", text)
    assert re.fullmatch(nine_fields, text) is None
    assert time.monotonic() - started < 2, "a backtracking engine (Python's re, Trino's joni) took too long"
