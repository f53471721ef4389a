"""Landing into the local raw layout, through the command a user runs."""

from __future__ import annotations

import gzip
import subprocess
from pathlib import Path

from conftest import HEADER, run_ingest, write_csv

ROW_OCT = "2019-10-05 10:00:00 UTC,view,1,2053013555631882655,,,10.00,1,s1"
ROW_NOV = "2019-11-05 10:00:00 UTC,view,1,2053013555631882655,,,10.00,1,s1"


def landed_files(dest: Path) -> list[str]:
    """The landed files (the landing manifest is checked in test_landing_manifest.py)."""
    return sorted(
        str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file() and p.parts[len(dest.parts)] != "manifest"
    )


def test_files_land_in_the_partition_of_their_month(tmp_path: Path) -> None:
    source = tmp_path / "in"
    write_csv(source / "2019-Oct.csv", [ROW_OCT])
    write_csv(source / "nested" / "2019-Nov.csv", [ROW_NOV])
    dest = tmp_path / "raw"

    result = run_ingest("land", "--source", source, "--dest", dest)

    assert result.returncode == 0, result.stderr
    assert landed_files(dest) == [
        "events/year=2019/month=10/2019-Oct.csv",
        "events/year=2019/month=11/2019-Nov.csv",
    ]
    assert (dest / "events/year=2019/month=10/2019-Oct.csv").read_bytes() == (source / "2019-Oct.csv").read_bytes()
    assert "2 landed" in result.stdout


def test_landing_the_same_file_twice_lands_it_once(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in" / "2019-Oct.csv", [ROW_OCT])
    copy_under_other_name = write_csv(tmp_path / "again" / "october-copy.csv", [ROW_OCT])
    dest = tmp_path / "raw"

    first = run_ingest("land", "--source", source, "--dest", dest)
    second = run_ingest("land", "--source", source, "--dest", dest)
    third = run_ingest("land", "--source", copy_under_other_name, "--dest", dest)

    assert first.returncode == second.returncode == third.returncode == 0
    assert "1 landed" in first.stdout
    assert "1 unchanged" in second.stdout and "0.0 MB written" in second.stdout
    assert "1 unchanged" in third.stdout
    assert landed_files(dest) == ["events/year=2019/month=10/2019-Oct.csv"]


def test_a_changed_file_replaces_its_earlier_copy(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in" / "2019-Oct.csv", [ROW_OCT])
    dest = tmp_path / "raw"
    run_ingest("land", "--source", source, "--dest", dest)
    write_csv(source, [ROW_OCT, ROW_OCT.replace("10:00:00", "11:00:00")])

    result = run_ingest("land", "--source", source, "--dest", dest)

    assert "1 replaced" in result.stdout
    assert (dest / "events/year=2019/month=10/2019-Oct.csv").read_bytes() == source.read_bytes()


def test_gzip_crlf_and_truncated_files_are_landed_as_they_are(tmp_path: Path) -> None:
    source = tmp_path / "in"
    crlf = write_csv(source / "crlf.csv", [ROW_OCT, ROW_OCT], newline="\r\n")
    truncated = write_csv(source / "truncated.csv", [ROW_OCT, ROW_OCT[:30]], final_newline=False)
    zipped = source / "zipped.csv.gz"
    zipped.write_bytes(gzip.compress(f"{HEADER}\n{ROW_NOV}\n".encode()))
    dest = tmp_path / "raw"

    result = run_ingest("land", "--source", source, "--dest", dest)

    assert result.returncode == 0, result.stderr
    assert (dest / "events/year=2019/month=10/crlf.csv").read_bytes() == crlf.read_bytes()
    assert (dest / "events/year=2019/month=10/truncated.csv").read_bytes() == truncated.read_bytes()
    assert (dest / "events/year=2019/month=11/zipped.csv.gz").read_bytes() == zipped.read_bytes()


def _assert_refused(result: subprocess.CompletedProcess[str], file_name: str, words: str, dest: Path) -> None:
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ")
    assert file_name in result.stderr and words in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not dest.exists() or landed_files(dest) == []


def test_a_file_without_a_header_is_refused_and_nothing_lands(tmp_path: Path) -> None:
    source = tmp_path / "in"
    write_csv(source / "a-good.csv", [ROW_OCT])
    write_csv(source / "b-headless.csv", [ROW_OCT, ROW_OCT], header=None)
    dest = tmp_path / "raw"

    _assert_refused(run_ingest("land", "--source", source, "--dest", dest), "b-headless.csv", "has no header", dest)


def test_a_file_with_the_wrong_header_is_refused(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "wrong.csv", [ROW_OCT], header=HEADER.replace("brand", "maker"))
    dest = tmp_path / "raw"

    _assert_refused(run_ingest("land", "--source", source, "--dest", dest), "wrong.csv", "wrong header", dest)


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "empty.csv"
    source.write_bytes(b"")
    dest = tmp_path / "raw"

    _assert_refused(run_ingest("land", "--source", source, "--dest", dest), "empty.csv", "is empty", dest)


def test_a_corrupt_gzip_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "broken.csv.gz"
    source.write_bytes(b"this is not gzip")
    dest = tmp_path / "raw"

    _assert_refused(run_ingest("land", "--source", source, "--dest", dest), "broken.csv.gz", "cannot be read", dest)


def test_two_different_files_with_one_name_are_refused(tmp_path: Path) -> None:
    source = tmp_path / "in"
    write_csv(source / "a" / "2019-Oct.csv", [ROW_OCT])
    write_csv(source / "b" / "2019-Oct.csv", [ROW_OCT.replace("10:00:00", "12:00:00")])
    dest = tmp_path / "raw"

    _assert_refused(run_ingest("land", "--source", source, "--dest", dest), "2019-Oct.csv", "rename one", dest)


def test_a_header_only_file_is_skipped_with_a_message(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "header-only.csv", [])
    dest = tmp_path / "raw"

    result = run_ingest("land", "--source", source, "--dest", dest)

    assert result.returncode == 0
    assert "skipped-empty" in result.stdout
    assert not dest.exists() or landed_files(dest) == []


def test_a_missing_source_is_one_clear_line(tmp_path: Path) -> None:
    result = run_ingest("land", "--source", tmp_path / "nope", "--dest", tmp_path / "raw")

    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {tmp_path / 'nope'} does not exist."
