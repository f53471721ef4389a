"""Faults during an S3 landing, through the command a user runs, against the moto server.

kill -9, Ctrl-C, two landings of the same files at once, and an upload aborted from outside.
In every case the user's files are left as they were, no partial object is ever readable at a
key, and what happened is said in one line, without a traceback.
"""

from __future__ import annotations

import hashlib
import shutil
import signal
import subprocess
from contextlib import nullcontext
from pathlib import Path

import pytest

from aws_fixtures import Seen, StandIn, assert_one_line_error, moto_500_for_aborted_uploads, run, stand_in, start
from conftest import HEADER, write_csv

KEY = "events/year=2019/month=10/big.csv"
NOV_KEY = "events/year=2019/month=11/2019-Nov.csv"
ROW_NOV = "2019-11-05 10:00:00 UTC,view,1,2053013555631882655,,,10.00,1,s1"
SLOW_PART_SECONDS = 0.25  # six parts: after the first one, at least 1.25 s of upload is left


@pytest.fixture
def aws() -> StandIn:
    return stand_in()


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding big.csv: about 26 MB of October rows, six parts of 5 MiB."""
    folder = tmp_path_factory.mktemp("faults") / "in"
    folder.mkdir()
    rows = (
        f"2019-10-05 10:{i // 60 % 60:02d}:{i % 60:02d} UTC,view,{i},2053013555631882655,,,10.00,{i},s{i}"
        for i in range(400_000)
    )
    (folder / "big.csv").write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    return folder


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files(folder: Path) -> dict[str, str]:
    """sha256 of every file under a folder, by relative path: the user's files as they are."""
    return {str(path.relative_to(folder)): sha256(path.read_bytes()) for path in sorted(folder.rglob("*"))}


def readable(aws: StandIn, bucket: str) -> dict[str, str]:
    """What a reader of the bucket sees: sha256 of every object, by key."""
    s3 = aws.client("s3")
    return {key: sha256(s3.get_object(Bucket=bucket, Key=key)["Body"].read()) for key in aws.keys(bucket)}


def land(aws: StandIn, tmp_path: Path, source: Path, bucket: str, *flags: str) -> subprocess.CompletedProcess[str]:
    return run(
        "land", "--source", source, "--dest", f"s3://{bucket}", "--part-size", "5", *flags, env=aws.env(tmp_path)
    )


def start_landing(aws: StandIn, tmp_path: Path, source: Path, bucket: str, *flags: str) -> subprocess.Popen[str]:
    """A landing sending one part at a time (slowed down by the test's fault rules, if any)."""
    return start(
        "land", "--source", source, "--dest", f"s3://{bucket}", "--part-size", "5", "--concurrency", "1", *flags,
        env=aws.env(tmp_path),
    )  # fmt: skip


def is_part(request: Seen) -> bool:
    return request.operation == "UploadPart"


def test_kill_9_leaves_nothing_readable_and_the_next_runs_name_then_abort_the_leftover(
    aws: StandIn, tmp_path: Path, source: Path
) -> None:
    bucket = aws.bucket("faults-killed")
    before = files(source)
    aws.faults.slow(is_part, SLOW_PART_SECONDS)
    process = start_landing(aws, tmp_path, source, bucket)
    leftover = aws.wait_for_part(bucket, process)

    process.kill()
    process.communicate(timeout=30)
    after_kill = (readable(aws, bucket), aws.upload_ids(bucket))
    aws.faults.reset()
    rerun = land(aws, tmp_path, source, bucket)
    after_rerun = (readable(aws, bucket), aws.upload_ids(bucket))
    aws.age_upload(bucket, leftover, 25)
    later = land(aws, tmp_path, source, bucket)

    assert process.returncode == -signal.SIGKILL
    assert after_kill == ({}, [leftover])  # invisible, but there until someone aborts it
    assert rerun.returncode == 0 and rerun.stderr == "", rerun.stderr
    named = [line for line in rerun.stdout.splitlines() if line.startswith("left alone")]
    assert len(named) == 1 and f"an unfinished upload of s3://{bucket}/{KEY}, started " in named[0], rerun.stdout
    assert "another landing may be running, or a killed run left it" in named[0]
    assert "aborted" not in rerun.stdout and "1 landed" in rerun.stdout
    assert after_rerun == ({KEY: before["big.csv"]}, [leftover])  # whole, and the leftover left alone
    assert later.returncode == 0, later.stderr
    assert f"aborted an unfinished upload of s3://{bucket}/{KEY} (started " in later.stdout
    assert "1 unchanged" in later.stdout
    assert aws.upload_ids(bucket) == [] and readable(aws, bucket) == {KEY: before["big.csv"]}
    assert files(source) == before


def test_ctrl_c_aborts_this_runs_upload_only_and_leaves_nothing_readable(
    aws: StandIn, tmp_path: Path, source: Path
) -> None:
    bucket = aws.bucket("faults-ctrl-c")
    before = files(source)
    # Another landing of the same key, started a moment ago and still running.
    other = aws.client("s3").create_multipart_upload(Bucket=bucket, Key=KEY)["UploadId"]
    aws.faults.slow(is_part, SLOW_PART_SECONDS)
    process = start_landing(aws, tmp_path, source, bucket)
    ours = aws.wait_for_part(bucket, process, besides=(other,))

    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)

    assert process.returncode == 130
    assert stderr.strip() == "error: interrupted.", stderr
    interrupted = [line for line in stdout.splitlines() if "interrupted" in line]
    assert interrupted == [
        "interrupted: this run's unfinished upload was aborted, nothing partial is visible in S3; "
        "run the same command again to finish."
    ], stdout
    assert readable(aws, bucket) == {}
    assert ours != other and aws.upload_ids(bucket) == [other]
    assert files(source) == before


def test_two_landings_of_the_same_files_at_once_both_finish(aws: StandIn, tmp_path: Path, source: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(source / "big.csv", folder)
    write_csv(folder / "2019-Nov.csv", [ROW_NOV])
    bucket = aws.bucket("faults-concurrent")
    before = files(folder)
    first_id: list[str] = []

    # The first landing's upload stays unfinished until the second one has its own under way.
    def completes_first(request: Seen) -> bool:
        return request.operation == "CompleteMultipartUpload" and request.query.get("uploadId") == first_id

    with aws.hold(completes_first):
        first = start_landing(aws, tmp_path, folder, bucket)
        first_id.append(aws.wait_for_part(bucket, first))
        second = start_landing(aws, tmp_path, folder, bucket)
        aws.wait_for_part(bucket, second, besides=tuple(first_id))
    outputs = [process.communicate(timeout=120) for process in (first, second)]

    assert first.returncode == second.returncode == 0, outputs
    for stdout, stderr in outputs:
        assert stderr == "", stderr
        assert "500" not in stdout and "error" not in stdout
    named = [line for line in outputs[1][0].splitlines() if line.startswith("left alone")]
    assert len(named) == 1 and f"s3://{bucket}/{KEY}, started " in named[0], outputs[1][0]
    assert "another landing may be running" in named[0]
    assert readable(aws, bucket) == {KEY: before["big.csv"], NOV_KEY: before["2019-Nov.csv"]}
    assert aws.upload_ids(bucket) == []
    assert files(folder) == before


def is_completion(request: Seen) -> bool:
    return request.operation == "CompleteMultipartUpload"


@pytest.mark.parametrize("held", ["part", "completion"])
@pytest.mark.parametrize("s3_like", [True, False], ids=["NoSuchUpload", "500-after-retries"])
def test_an_upload_aborted_from_outside_says_so(
    aws: StandIn, tmp_path: Path, source: Path, s3_like: bool, held: str
) -> None:
    bucket = aws.bucket("faults-aborted")
    before = files(source)
    s3 = aws.client("s3")
    requests = (lambda request: is_part(request) and request.part >= 2) if held == "part" else is_completion

    # S3 answers NoSuchUpload; moto answers 500 until the landing gives up (what users saw).
    with nullcontext() if s3_like else moto_500_for_aborted_uploads():
        with aws.hold(requests) as hold:
            process = start_landing(aws, tmp_path, source, bucket, "--max-attempts", "2")
            assert hold.holding.wait(30), "the upload did not get that far"
            (upload_id,) = aws.upload_ids(bucket)
            s3.abort_multipart_upload(Bucket=bucket, Key=KEY, UploadId=upload_id)
        stdout, stderr = process.communicate(timeout=60)
    result = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    left = (readable(aws, bucket), aws.upload_ids(bucket))
    sent = sum(1 for request in aws.faults.seen if requests(request))
    rerun = land(aws, tmp_path, source, bucket)

    assert_one_line_error(
        result,
        f"A concurrent landing or cleanup aborted the upload of s3://{bucket}/{KEY}",
        "nothing partial is visible",
        "run the same command again to complete it",
    )
    assert "500" not in stderr and "500" not in stdout
    assert sent == (1 if s3_like else 2)  # --max-attempts 2: a 500 is retried once, NoSuchUpload is not
    assert left == ({}, [])
    assert rerun.returncode == 0 and "1 landed" in rerun.stdout
    assert readable(aws, bucket) == {KEY: before["big.csv"]}
    assert files(source) == before


def test_an_upload_aborted_by_a_landing_that_completed_the_same_bytes_is_landed(
    aws: StandIn, tmp_path: Path, source: Path
) -> None:
    bucket = aws.bucket("faults-overtaken")
    before = files(source)
    s3 = aws.client("s3")
    data = (source / "big.csv").read_bytes()
    digest = sha256(data)
    metadata = {"sha256": digest, "source-sha256": digest, "source-bytes": str(len(data))}

    # Another landing (of an older version, which aborted every unfinished upload of its keys)
    # aborts this one's upload and puts the same file at the key first.
    with aws.hold(lambda request: is_part(request) and request.part >= 2) as hold:
        process = start_landing(aws, tmp_path, source, bucket)
        assert hold.holding.wait(30), "the upload did not get that far"
        (upload_id,) = aws.upload_ids(bucket)
        s3.abort_multipart_upload(Bucket=bucket, Key=KEY, UploadId=upload_id)
        s3.put_object(Bucket=bucket, Key=KEY, Body=data, Metadata=metadata)
    stdout, stderr = process.communicate(timeout=60)

    assert process.returncode == 0 and stderr == "", stderr
    assert "1 landed" in stdout
    assert readable(aws, bucket) == {KEY: digest} and aws.upload_ids(bucket) == []
    assert files(source) == before


def test_a_file_still_being_written_is_not_left_in_s3(aws: StandIn, tmp_path: Path, source: Path) -> None:
    """A download still in progress: it grows while its upload runs. The object this run made
    from it is deleted, the command says why, and a run on the finished file lands it whole."""
    folder = tmp_path / "downloads"
    folder.mkdir()
    shutil.copy(source / "big.csv", folder)
    bucket = aws.bucket("faults-growing")

    with aws.hold(lambda request: is_part(request) and request.part >= 2) as hold:
        process = start_landing(aws, tmp_path, folder, bucket)
        assert hold.holding.wait(30), "the upload did not get that far"
        with (folder / "big.csv").open("a") as handle:
            handle.write(ROW_NOV.replace("2019-11-05", "2019-10-31") + "\n")
    stdout, stderr = process.communicate(timeout=120)
    result = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)

    assert_one_line_error(result, "big.csv changed while it was being uploaded", "the copy was deleted")
    assert readable(aws, bucket) == {}
    assert aws.upload_ids(bucket) == []
    rerun = land(aws, tmp_path, folder, bucket)
    assert rerun.returncode == 0, rerun.stderr
    assert readable(aws, bucket) == {KEY: files(folder)["big.csv"]}


def test_a_file_changed_after_its_check_is_not_uploaded(aws: StandIn, tmp_path: Path, source: Path) -> None:
    """Every file is checked before the first upload; one that changes while an earlier file is
    uploading is refused when its turn comes, and the files before it stay landed."""
    folder = tmp_path / "downloads"
    folder.mkdir()
    shutil.copy(source / "big.csv", folder / "a-big.csv")
    late = write_csv(folder / "b-2019-Nov.csv", [ROW_NOV])
    bucket = aws.bucket("faults-changed")

    with aws.hold(lambda request: is_part(request) and request.part >= 2) as hold:
        process = start_landing(aws, tmp_path, folder, bucket)
        assert hold.holding.wait(30), "the upload did not get that far"
        with late.open("a") as handle:
            handle.write(ROW_NOV.replace("10:00:00", "11:00:00") + "\n")
    stdout, stderr = process.communicate(timeout=120)
    result = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)

    assert_one_line_error(result, "b-2019-Nov.csv changed after it was checked", "was not uploaded")
    assert sorted(readable(aws, bucket)) == ["events/year=2019/month=10/a-big.csv"]
