"""Faults during a local landing, through the command a user runs: kill -9, Ctrl-C, `kill`, a full
disk, two landings at once. Each asserts that the user's files did not change, that no reader
(`mart_oracle expect`, a landing from the raw folder, dbt's glob under events/) ever takes a partial
file, and that the next landing finishes the job."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import HEADER, REPO, run_ingest, run_module

ROW = "2019-10-05 10:00:00 UTC,view,1004237,2053013555631882655,electronics.smartphone,apple,1081.98,535871217,s1"
NOVEMBER_ROW = ROW.replace("2019-10-05", "2019-11-05")


def big_file(path: Path, megabytes: int, row: str = ROW) -> Path:
    """A valid Kaggle-format file of about `megabytes` MB, so a copy takes long enough to interrupt."""
    lines_per_block = 10_000
    block = (row + "\n") * lines_per_block
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        handle.write(HEADER + "\n")
        for _ in range(megabytes * 1_000_000 // len(block) + 1):
            handle.write(block)
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fingerprint(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def start_landing(source: Path, dest: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ingest", "land", "--source", str(source), "--dest", str(dest)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_partial(dest: Path, process: subprocess.Popen[str], timeout: float = 60) -> Path:
    """The moment a partial copy exists: the landing is in the middle of copying."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        partials = list((dest / ".landing").glob("*.partial")) if (dest / ".landing").is_dir() else []
        if partials:
            return partials[0]
        if process.poll() is not None:
            pytest.fail(f"the landing ended before it copied anything: {process.communicate()}")
        time.sleep(0.001)
    process.kill()
    pytest.fail("no partial copy appeared")


def visible_files(dest: Path) -> list[str]:
    """What dbt's glob `events/*/*/*.csv*` and a reader of the raw layout see."""
    return sorted(str(p.relative_to(dest)) for p in dest.glob("events/*/*/*.csv*"))


@pytest.fixture
def two_files(tmp_path: Path) -> Path:
    source = tmp_path / "downloads"
    big_file(source / "2019-Oct.csv", 300)
    big_file(source / "2019-Nov.csv", 1, NOVEMBER_ROW)
    return source


def test_kill_9_mid_copy_leaves_nothing_readable_and_the_next_landing_cleans_up(
    tmp_path: Path, two_files: Path
) -> None:
    before = fingerprint(two_files)
    dest = tmp_path / "raw"
    landing = start_landing(two_files, dest)
    partial = wait_for_partial(dest, landing)
    landing.send_signal(signal.SIGKILL)
    landing.wait()

    assert fingerprint(two_files) == before
    assert "2019-Oct.csv" not in " ".join(visible_files(dest))  # the partial is not where readers look
    # readers of the raw folder skip the hidden staging folder
    expected = run_module("mart_oracle", "expect", "--source", dest, "--out", tmp_path / "expected.json")
    relanded = run_ingest("land", "--source", dest, "--dest", tmp_path / "elsewhere")
    if visible_files(dest):
        assert expected.returncode == 0 and relanded.returncode == 0, expected.stderr + relanded.stderr
        assert "left alone 1 file(s) in hidden folders" in relanded.stderr
    else:
        assert "contains no .csv" in expected.stderr and "contains no .csv" in relanded.stderr

    rerun = run_ingest("land", "--source", two_files, "--dest", dest)

    assert rerun.returncode == 0, rerun.stderr
    assert f"removed {partial}" in rerun.stderr
    assert not (dest / ".landing").exists()
    assert fingerprint(dest / "events") == {
        "year=2019/month=10/2019-Oct.csv": before["2019-Oct.csv"],
        "year=2019/month=11/2019-Nov.csv": before["2019-Nov.csv"],
    }


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=["ctrl-c", "kill", "hangup"])
def test_a_signal_mid_copy_removes_the_partial_and_says_so(tmp_path: Path, two_files: Path, stop: int) -> None:
    before = fingerprint(two_files)
    dest = tmp_path / "raw"
    landing = start_landing(two_files, dest)
    wait_for_partial(dest, landing)
    landing.send_signal(stop)
    _, stderr = landing.communicate(timeout=60)

    assert landing.returncode == 130
    assert stderr.strip().splitlines()[-1] == "error: interrupted."
    assert "Traceback" not in stderr
    assert not (dest / ".landing").exists()
    assert "events/year=2019/month=10/2019-Oct.csv" not in visible_files(dest)
    assert fingerprint(two_files) == before


def test_a_landing_that_is_still_running_keeps_its_partial(tmp_path: Path, two_files: Path) -> None:
    """A second landing cleans up only after dead landings, never under a live one's feet."""
    dest = tmp_path / "raw"
    first = start_landing(two_files, dest)
    wait_for_partial(dest, first)
    second = run_ingest("land", "--source", two_files, "--dest", dest)
    _, first_err = first.communicate(timeout=120)

    assert first.returncode == 0, first_err
    assert second.returncode == 0, second.stderr
    assert "removed" not in second.stderr
    assert fingerprint(dest / "events")["year=2019/month=10/2019-Oct.csv"] == sha256(two_files / "2019-Oct.csv")


def test_two_landings_of_the_same_files_at_once_both_finish_whole(tmp_path: Path) -> None:
    source = tmp_path / "downloads"
    for day in range(1, 6):
        big_file(source / f"2019-10-0{day}.csv", 20, ROW.replace("2019-10-05", f"2019-10-0{day}"))
    before = fingerprint(source)
    dest = tmp_path / "raw"

    landings = [start_landing(source, dest) for _ in range(2)]
    results = [landing.communicate(timeout=300) for landing in landings]

    for landing, (_, stderr) in zip(landings, results, strict=True):
        assert landing.returncode == 0, stderr
        assert "Traceback" not in stderr
    assert fingerprint(source) == before
    assert fingerprint(dest / "events") == {f"year=2019/month=10/{name}": digest for name, digest in before.items()}
    assert not (dest / ".landing").exists()


FULL_DISK_SCRIPT = """
set -u
mount -t tmpfs -o size=4m tmpfs "$1"
"$2" -m ingest land --source "$3" --dest "$1/raw"; echo "exit=$?"
"$2" -m ingest land --source "$4" --dest "$1/raw"; echo "exit=$?"
find "$1" -type f | sort
"""


def _can_mount_in_a_user_namespace() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True, check=False)
    return probe.returncode == 0


def test_a_full_disk_mid_landing_leaves_only_whole_files(tmp_path: Path) -> None:
    small = tmp_path / "small"
    big_file(small / "2019-Nov.csv", 1, NOVEMBER_ROW)
    large = tmp_path / "large"
    big_file(large / "2019-Oct.csv", 8)
    before = fingerprint(small) | fingerprint(large)
    disk = tmp_path / "disk"
    disk.mkdir()

    if _can_mount_in_a_user_namespace():
        # a real 4 MB file system: the write fails with ENOSPC, as on a full disk
        result = subprocess.run(
            ["unshare", "-rm", "sh", "-c", FULL_DISK_SCRIPT, "sh", disk, sys.executable, small, large],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        out = result.stdout
        assert out.count("exit=") == 2, result.stderr
        first_exit, second_exit = (line for line in out.splitlines() if line.startswith("exit="))
        files = [line for line in out.splitlines() if line.startswith("/") and "/raw/manifest/" not in line]
        assert first_exit == "exit=0" and second_exit == "exit=2", result.stderr
        assert "No space left on device" in result.stderr
        assert files == [f"{disk}/raw/events/year=2019/month=11/2019-Nov.csv"]
    else:
        # no mount allowed: a file-size limit makes the write fail the same way (EFBIG)
        assert run_ingest("land", "--source", small, "--dest", disk / "raw").returncode == 0
        result = subprocess.run(
            [sys.executable, "-m", "ingest", "land", "--source", str(large), "--dest", str(disk / "raw")],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
            preexec_fn=lambda: __import__("resource").setrlimit(__import__("resource").RLIMIT_FSIZE, (4 << 20,) * 2),
        )
        assert result.returncode == 2 and "File too large" in result.stderr
        assert sorted(str(p) for p in disk.rglob("*") if p.is_file() and "manifest" not in p.parts) == [
            f"{disk}/raw/events/year=2019/month=11/2019-Nov.csv"
        ]
    assert result.stderr.count("error: ") == 1 and "Traceback" not in result.stderr
    assert "the file being copied was removed" in result.stderr
    assert fingerprint(small) | fingerprint(large) == before


def test_a_file_that_changes_while_it_is_landed_is_not_put_in_place(tmp_path: Path) -> None:
    source = big_file(tmp_path / "downloads" / "2019-Oct.csv", 300)
    dest = tmp_path / "raw"
    landing = start_landing(source.parent, dest)
    wait_for_partial(dest, landing)
    with source.open("a") as handle:  # a download still being written
        handle.write(ROW + "\n")
    _, stderr = landing.communicate(timeout=120)

    assert landing.returncode == 2
    assert "changed while it was being landed" in stderr
    assert visible_files(dest) == [] and not (dest / ".landing").exists()


def test_the_staging_folder_is_never_read_by_dbt_glob(tmp_path: Path) -> None:
    """The partials live outside events/, the only folder dbt's source and Athena's table read."""
    dest = tmp_path / "raw"
    assert run_ingest("land", "--source", big_file(tmp_path / "in" / "2019-Oct.csv", 1), "--dest", dest).returncode == 0
    assert sorted(os.listdir(dest)) == ["events", "manifest"]
