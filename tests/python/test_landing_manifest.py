"""The landing manifest (`<root>/manifest/landed_files/<run_id>.tsv`) through the command a user runs,
locally and in S3 (moto): the fields of each entry against independent computations (the Python
reference's row counts, hashlib, a line-by-line reading of the day rule), what a run records and
what it does not, and that no partial manifest is ever visible."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from aws_fixtures import StandIn, assert_one_line_error, run, stand_in
from conftest import HEADER, REPO, run_ingest, write_csv
from ingest.event_span import EventSpan
from ingest.manifest import COLUMNS, FOLDER
from mart_oracle.row_rules import data_lines, tally

RUN_ID = re.compile(r"[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}")
DAY = re.compile(r'"?([0-9]{4}-[0-9]{2}-[0-9]{2}) ')
STAMP = re.compile(r'"?([0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2})')
TAIL = ",view,1004237,2053013555631882655,electronics.smartphone,apple,1081.98,535871217,s1"


def row(stamp: str, quoted: bool = False) -> str:
    return (f'"{stamp} UTC"' if quoted else f"{stamp} UTC") + TAIL


OCT = row("2019-10-05 10:00:00")
NOV = row("2019-11-05 10:00:00")


def awkward_sources(folder: Path) -> None:
    """The line-ending, gzip, BOM and quoting cases of test_malformed_input and test_csv_quoting, plus
    lines made to defeat a min/max shortcut: a quoted latest line, an invalid date or time sorting last."""
    write_csv(folder / "crlf.csv", [OCT, row("2019-10-06 09:00:00"), ""], newline="\r\n")
    write_csv(folder / "cr-only.csv", [OCT, row("2019-10-07 09:00:00")], newline="\r")
    write_csv(folder / "truncated.csv", [OCT, row("2019-10-08 09:00:00")[:40]], final_newline=False)
    write_csv(folder / "blank-lines.csv", [OCT, "", "", row("2019-10-02 01:00:00"), ""])
    (folder / "bom.csv").write_bytes(("\ufeff" + HEADER + "\n" + OCT + "\n").encode())
    (folder / "zipped.csv.gz").write_bytes(gzip.compress(f"{HEADER}\n{OCT}\n{NOV}\n".encode()))
    (folder / "two-members.csv.gz").write_bytes(
        gzip.compress(f"{HEADER}\n{OCT}\n".encode()) + gzip.compress(f"{row('2019-10-09 00:00:01')}".encode())
    )
    write_csv(
        folder / "traps.csv",
        [
            OCT,
            row("2019-10-20 08:00:00", quoted=True),  # quoted first field: dbt accepts it
            row("2019-10-32 10:00:00"),  # not a date, sorts last
            row("2019-10-19 25:00:00"),  # a day, not a time
            "2019-10-18 garbage",
            HEADER,  # a repeated header
            'x,"unbalanced',
            row("2019-10-04 10:00:00").replace(",apple,", ',"acme\ninc",'),  # a line break in quotes: two lines
        ],
    )
    write_csv(folder / "garbage-after.csv", ["2019-10-01 12:00:00 UTC" + TAIL, "nonsense", "2019-13-01 x"])
    # several 1 MiB chunks, out of order, with the latest line in the middle and a CRLF on a chunk edge
    rows = [
        row(f"2019-10-{day:02d} {hour:02d}:{minute:02d}:00")
        for day in range(10, 20)
        for hour in range(24)
        for minute in range(0, 60, 4)
    ]
    random.Random(7).shuffle(rows)
    rows.insert(len(rows) // 2, row("2019-10-29 23:59:58"))
    rows.insert(len(rows) // 3, row("2019-10-03 00:00:00", quoted=True))
    write_csv(folder / "big-shuffled.csv", rows * 5, newline="\r\n")


def expected_span(lines: Iterable[str]) -> tuple[str, str, str]:
    """The days and last time of data lines by the written rule, line by line (no shortcut)."""
    days, stamps = [], []
    for line in lines:
        if (day := DAY.match(line)) and _valid(dt.date.fromisoformat, day[1]):
            days.append(day[1])
        if (stamp := STAMP.match(line)) and _valid(dt.datetime.fromisoformat, stamp[1]):
            stamps.append(stamp[1])
    return (min(days, default=""), max(days, default=""), max(stamps, default=""))


def _valid(parse: Callable[[str], object], text: str) -> bool:
    try:
        parse(text)
    except ValueError:
        return False
    return True


PIECES = [
    *(row(f"2019-10-{day:02d} {hour:02d}:00:00") for day in (1, 5, 31) for hour in (0, 23)),
    *("2019-10-32 10:00:00", "2019-10-19 25:00:00", '"2019-11-01 00:00:00 UTC"', '"2019-09-30 00:00:01"'),
    *("2019-10-07 12:00 UTC", "", "x", '"', "2019-10-08 ", HEADER, "2019-02-29 10:00:00", "2019-10-0", "9" * 30),
]


@pytest.mark.parametrize("seed", range(4))
def test_the_span_shortcut_equals_the_line_by_line_rule_on_random_text_and_chunks(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(300):
        breaks = rng.choice([["\n"], ["\r\n"], ["\r"], ["\n", "\r\n", "\r"]])
        lines = [rng.choice(PIECES) for _ in range(rng.randint(0, 300))]
        text = HEADER + "".join(rng.choice(breaks) + line for line in lines) + rng.choice(["", *breaks])
        span, data, at = EventSpan(), text.encode(), 0
        while at < len(data):  # chunks of any size: CRLF, quotes and lines cut anywhere
            size = rng.choice([1, 7, 64, 4096])
            span.add(data[at : at + size])
            at += size
        span.finish()
        found = (span.first_event_day or "", span.last_event_day or "", span.last_event_at or "")
        assert found == expected_span(lines), text


def manifest_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.tsv") if not p.name.startswith((".", "_")))


def parse(text: str) -> list[dict[str, str]]:
    assert text.endswith("\n") and "\r" not in text
    header, *lines = text.rstrip("\n").split("\n")
    assert header.split("\t") == list(COLUMNS)
    return [dict(zip(COLUMNS, line.split("\t"), strict=True)) for line in lines]


def entries(dest: Path) -> list[dict[str, str]]:
    return [entry for path in manifest_files(dest / FOLDER) for entry in parse(path.read_text(encoding="utf-8"))]


def land(source: Path, dest: Path) -> subprocess.CompletedProcess[str]:
    result = run_ingest("land", "--source", source, "--dest", dest)
    assert result.returncode == 0, result.stderr
    return result


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_each_entry_holds_the_files_days_rows_checksum_and_run(tmp_path: Path) -> None:
    source, dest = tmp_path / "in", tmp_path / "raw"
    awkward_sources(source)
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)

    result = land(source, dest)

    [written] = manifest_files(dest / FOLDER)
    run_id = written.name.removesuffix(".tsv")
    assert RUN_ID.fullmatch(run_id) and dt.datetime.strptime(run_id[:16], "%Y%m%dT%H%M%SZ") >= started
    assert f"10 entries recorded in {dest / FOLDER}/{written.name}" in result.stdout
    found = {entry["file_path"]: entry for entry in entries(dest)}
    assert len(found) == 10
    for path in sorted(source.iterdir()):
        entry = found[f"events/year=2019/month=10/{path.name}"]
        first_day, last_day, last_at = expected_span(data_lines(path))
        assert (entry["first_event_day"], entry["last_event_day"], entry["last_event_at"]) == (
            first_day,
            last_day,
            last_at,
        ), path.name
        assert int(entry["row_count"]) == tally([path]).rows_read, path.name
        assert entry["sha256"] == sha256(path) == sha256(dest / entry["file_path"])
        assert entry["landing_month"] == "2019-10" and entry["landing_run_id"] == run_id
        landed_at = dt.datetime.strptime(entry["landed_at"], "%Y-%m-%d %H:%M:%S.%f")
        assert started <= landed_at <= dt.datetime.now(dt.UTC).replace(tzinfo=None)
    # the spans: what the traps must not fool, and the days dbt accepts lie inside
    assert found["events/year=2019/month=10/traps.csv"]["last_event_day"] == "2019-10-20"
    assert found["events/year=2019/month=10/traps.csv"]["last_event_at"] == "2019-10-20 08:00:00"
    assert found["events/year=2019/month=10/big-shuffled.csv"]["first_event_day"] == "2019-10-03"
    assert found["events/year=2019/month=10/big-shuffled.csv"]["last_event_at"] == "2019-10-29 23:59:58"
    assert found["events/year=2019/month=10/zipped.csv.gz"]["last_event_day"] == "2019-11-05"
    assert found["events/year=2019/month=10/two-members.csv.gz"]["last_event_at"] == "2019-10-09 00:00:01"
    accepted = tally(sorted(source.iterdir()))
    assert accepted.first_day is not None and accepted.last_day is not None
    assert min(e["first_event_day"] for e in found.values()) <= accepted.first_day.isoformat()
    assert max(e["last_event_day"] for e in found.values()) >= accepted.last_day.isoformat()


def test_days_without_a_time_or_without_a_valid_date_leave_fields_empty(tmp_path: Path) -> None:
    source, dest = tmp_path / "in", tmp_path / "raw"
    write_csv(source / "no-time.csv", ["2019-10-01 12:00 UTC" + TAIL, "junk"])  # a day, no HH:MM:SS
    write_csv(source / "no-date.csv", ["2019-10-32 12:00:00 UTC" + TAIL, '"bad'])  # lands in October, no day
    land(source, dest)
    found = {Path(e["file_path"]).name: e for e in entries(dest)}
    spans = {name: (e["first_event_day"], e["last_event_day"], e["last_event_at"]) for name, e in found.items()}
    assert spans == {"no-time.csv": ("2019-10-01", "2019-10-01", ""), "no-date.csv": ("", "", "")}
    assert found["no-time.csv"]["row_count"] == found["no-date.csv"]["row_count"] == "2"


def test_landing_unchanged_files_again_records_nothing(tmp_path: Path) -> None:
    source, dest = tmp_path / "in", tmp_path / "raw"
    write_csv(source / "2019-Oct.csv", [OCT])
    write_csv(source / "2019-Nov.csv", [NOV])
    land(source, dest)
    before = {path.name: path.read_bytes() for path in (dest / FOLDER).iterdir()}

    again = land(source, dest)
    copy = land(write_csv(tmp_path / "copy" / "october-copy.csv", [OCT]), dest)  # the same content, another name

    assert "landing manifest: nothing new to record" in again.stdout and "nothing new" in copy.stdout
    assert {path.name: path.read_bytes() for path in (dest / FOLDER).iterdir()} == before


def test_a_replaced_file_gets_a_new_entry_with_its_new_checksum(tmp_path: Path) -> None:
    source, dest = write_csv(tmp_path / "in" / "2019-Oct.csv", [OCT]), tmp_path / "raw"
    land(source, dest)
    old = sha256(source)
    write_csv(source, [OCT, row("2019-10-30 07:00:00")])

    result = land(source, dest)

    assert "1 replaced" in result.stdout and "1 entry recorded" in result.stdout
    # two runs in one second: their ids sort by the random part, so order by landed_at
    first, second = sorted(
        (parse(p.read_text()) for p in manifest_files(dest / FOLDER)), key=lambda e: e[0]["landed_at"]
    )
    assert [e["sha256"] for e in first] == [old] and [e["sha256"] for e in second] == [sha256(source)]
    assert second[0]["last_event_day"] == "2019-10-30" and second[0]["row_count"] == "2"
    latest = max(entries(dest), key=lambda entry: entry["landed_at"])
    assert latest["sha256"] == sha256(source) and latest["landing_run_id"] == second[0]["landing_run_id"]


def test_a_late_file_for_an_older_month_is_one_more_entry_in_a_new_file(tmp_path: Path) -> None:
    dest = tmp_path / "raw"
    land(write_csv(tmp_path / "nov" / "2019-Nov.csv", [NOV]), dest)
    [november] = manifest_files(dest / FOLDER)
    recorded = november.read_bytes()

    land(write_csv(tmp_path / "late" / "2019-Oct-late.csv", [OCT]), dest)

    assert november.read_bytes() == recorded  # never rewritten
    [late] = [parse(p.read_text()) for p in manifest_files(dest / FOLDER) if p != november]
    assert [(e["file_path"], e["landing_month"]) for e in late] == [
        ("events/year=2019/month=10/2019-Oct-late.csv", "2019-10")
    ]


def test_files_landed_before_the_manifest_existed_are_recorded_when_landed_again(tmp_path: Path) -> None:
    source, dest = tmp_path / "in", tmp_path / "raw"
    write_csv(source / "2019-Oct.csv", [OCT])
    land(source, dest)
    for path in (dest / FOLDER).iterdir():
        path.unlink()
    (dest / FOLDER / ".20190101T000000Z-00000000.tsv.partial").write_text("left by a kill -9\tx\n")
    (dest / FOLDER / "_notes.tsv").write_text("not a manifest\n")
    write_csv(source / "2019-Nov.csv", [NOV])

    result = land(source, dest)

    assert "1 landed, 1 unchanged" in result.stdout and "2 entries recorded" in result.stdout
    assert sorted(e["file_path"] for e in entries(dest)) == [
        "events/year=2019/month=10/2019-Oct.csv",
        "events/year=2019/month=11/2019-Nov.csv",
    ]
    assert "nothing new" in land(source, dest).stdout


def test_a_damaged_manifest_stops_the_landing_before_anything_lands(tmp_path: Path) -> None:
    dest = tmp_path / "raw"
    (dest / FOLDER).mkdir(parents=True)
    (dest / FOLDER / "20190101T000000Z-00000000.tsv").write_text("file_path\tnot the header\n")
    result = run_ingest("land", "--source", write_csv(tmp_path / "in" / "2019-Oct.csv", [OCT]), "--dest", dest)
    assert_one_line_error(result, "is not a landing manifest file", "20190101T000000Z-00000000.tsv")
    assert not (dest / "events").exists()


@pytest.mark.parametrize("name", ["tab\there.csv", "line\nbreak.csv", "bell\x07.csv", "cr\r.csv"])
def test_a_name_the_manifest_cannot_hold_is_refused_before_anything_lands(tmp_path: Path, name: str) -> None:
    source = tmp_path / "in"
    write_csv(source / "2019-Oct.csv", [OCT])
    write_csv(source / name, [OCT])
    dest = tmp_path / "raw"
    result = run_ingest("land", "--source", source, "--dest", dest)
    assert_one_line_error(result, repr(name)[1:-1], "cannot record", "nothing was landed")
    assert not dest.exists()


def test_a_killed_landing_leaves_no_manifest_and_the_next_one_records_its_files(tmp_path: Path) -> None:
    source, dest = tmp_path / "in", tmp_path / "raw"
    write_csv(source / "2019-Oct.csv", [OCT] * 400_000)  # ~40 MB: the copy takes a moment
    for sig in (signal.SIGINT, signal.SIGKILL):
        process = subprocess.Popen(
            [sys.executable, "-m", "ingest", "land", "--source", str(source), "--dest", str(dest)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while not list(dest.glob(".landing/*.partial")) and time.monotonic() < deadline:
            time.sleep(0.005)
        process.send_signal(sig)
        process.communicate(timeout=60)
        assert process.returncode != 0
        assert not (dest / FOLDER).exists() or manifest_files(dest / FOLDER) == []
    land(source, dest)
    assert [e["file_path"] for e in entries(dest)] == ["events/year=2019/month=10/2019-Oct.csv"]


# ---------------------------------------------------------------- S3 (moto)


@pytest.fixture
def aws() -> StandIn:
    return stand_in()


def s3_entries(aws: StandIn, bucket: str, prefix: str) -> dict[str, list[dict[str, str]]]:
    s3 = aws.client("s3")
    folder = f"{prefix}/{FOLDER}/" if prefix else f"{FOLDER}/"
    keys = [key for key in aws.keys(bucket, manifest=True) if key.startswith(folder)]
    return {key: parse(s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()) for key in keys}


def test_s3_landing_records_keys_under_the_prefix_once_and_again_after_a_change(aws: StandIn, tmp_path: Path) -> None:
    bucket = aws.bucket("manifest-s3")
    source = tmp_path / "in"
    october = write_csv(source / "2019-Oct.csv", [OCT, row("2019-10-06 11:00:00"), ""], newline="\r\n")
    (source / "2019-Nov.csv.gz").write_bytes(gzip.compress(f"{HEADER}\n{NOV}\n".encode()))
    env, dest = aws.env(tmp_path), f"s3://{bucket}/raw/shop"

    dry = run("land", "--source", source, "--dest", dest, "--gzip", "--dry-run", env=env)
    first = run("land", "--source", source, "--dest", dest, "--gzip", env=env)
    recorded = s3_entries(aws, bucket, "raw/shop")
    oct_key = "raw/shop/events/year=2019/month=10/2019-Oct.csv.gz"
    metadata = aws.client("s3").head_object(Bucket=bucket, Key=oct_key)["Metadata"]
    again = run("land", "--source", source, "--dest", dest, "--gzip", env=env)
    write_csv(october, [OCT, row("2019-10-28 11:00:00")])
    changed = run("land", "--source", source, "--dest", dest, "--gzip", env=env)

    assert dry.returncode == 0 and "entr" not in dry.stdout
    assert first.returncode == again.returncode == changed.returncode == 0, first.stderr + changed.stderr
    [(key, lines)] = recorded.items()
    assert RUN_ID.fullmatch(key.removeprefix(f"raw/shop/{FOLDER}/").removesuffix(".tsv"))
    assert f"2 entries recorded in s3://{bucket}/{key}" in first.stdout
    by_path = {e["file_path"]: e for e in lines}
    oct_entry = by_path["events/year=2019/month=10/2019-Oct.csv.gz"]
    assert (
        oct_entry["sha256"]
        == metadata["source-sha256"]
        == hashlib.sha256(f"{HEADER}\r\n{OCT}\r\n{row('2019-10-06 11:00:00')}\r\n\r\n".encode()).hexdigest()
    )
    assert (oct_entry["first_event_day"], oct_entry["last_event_day"], oct_entry["row_count"]) == (
        "2019-10-05",
        "2019-10-06",
        "3",
    )
    nov_entry = by_path["events/year=2019/month=11/2019-Nov.csv.gz"]
    assert (nov_entry["landing_month"], nov_entry["last_event_at"], nov_entry["row_count"]) == (
        "2019-11",
        "2019-11-05 10:00:00",
        "1",
    )
    assert "nothing new to record" in again.stdout
    after = s3_entries(aws, bucket, "raw/shop")
    [new] = [lines for k, lines in after.items() if k != key]
    assert [(e["file_path"], e["sha256"], e["last_event_day"]) for e in new] == [
        ("events/year=2019/month=10/2019-Oct.csv.gz", sha256(october), "2019-10-28")
    ]


def test_s3_files_landed_before_the_manifest_existed_are_recorded(aws: StandIn, tmp_path: Path) -> None:
    bucket = aws.bucket("manifest-upgrade")
    source = write_csv(tmp_path / "in" / "2019-Oct.csv", [OCT])
    env, dest = aws.env(tmp_path), f"s3://{bucket}"
    assert run("land", "--source", source, "--dest", dest, env=env).returncode == 0
    s3 = aws.client("s3")
    for key in aws.keys(bucket, manifest=True):
        if key.startswith(FOLDER):
            s3.delete_object(Bucket=bucket, Key=key)

    again = run("land", "--source", source, "--dest", dest, env=env)

    assert again.returncode == 0 and "1 unchanged" in again.stdout and "1 entry recorded" in again.stdout
    [lines] = s3_entries(aws, bucket, "").values()
    assert [(e["file_path"], e["sha256"]) for e in lines] == [
        ("events/year=2019/month=10/2019-Oct.csv", sha256(source))
    ]
