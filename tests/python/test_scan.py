"""The landing's whole-file check: its line count agrees with Python's universal-newline reading
(the way DuckDB, Athena and the reference split lines) however the chunks fall, and each refusal
names the right line."""

from __future__ import annotations

import gzip
import hashlib
import io
import random
from pathlib import Path

import pytest

from ingest import scan
from ingest.errors import IngestError


@pytest.mark.parametrize("chunk_bytes", [1, 2, 3, 5, 64])
def test_lines_are_counted_as_universal_newlines_count_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk_bytes: int
) -> None:
    monkeypatch.setattr(scan, "_CHUNK_BYTES", chunk_bytes)
    pieces = ["a", "bb", "\r", "\n", "\r\n", "é", ","]
    generator = random.Random(chunk_bytes)
    for trial in range(200):
        data = "".join(generator.choice(pieces) for _ in range(generator.randint(0, 40))).encode()
        path = tmp_path / f"{trial}.csv"
        path.write_bytes(data)
        expected = len(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline=None).readlines())
        assert scan.scan_file(path).lines == expected, data


def test_a_gzip_of_several_members_is_counted_whole_and_hashed_as_stored(tmp_path: Path) -> None:
    path = tmp_path / "two.csv.gz"
    stored = gzip.compress(b"h\na\n") + gzip.compress(b"b\r\nc")
    path.write_bytes(stored)
    found = scan.scan_file(path)
    assert found.lines == 4
    assert found.size == len(stored)
    assert found.sha256 == hashlib.sha256(stored).hexdigest()


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"h\nok\nbad \x00 here\n", "NUL byte on line 3"),
        (b"h\nok\n" + "café".encode("latin-1") + b"\n", "line 3 has bytes of another encoding"),
        (b"h\n" + b"x" * (scan.MAX_LINE_BYTES + 1), "longer than 1,048,576 bytes"),
    ],
)
def test_each_refusal_names_its_line(tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    with pytest.raises(IngestError, match=words):
        scan.scan_file(path)


def test_a_line_of_exactly_the_limit_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"h\n" + b"x" * scan.MAX_LINE_BYTES + b"\n" + b"y" * scan.MAX_LINE_BYTES)
    assert scan.scan_file(path).lines == 3
