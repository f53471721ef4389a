"""Landing in S3, through the command a user runs, against a moto server on loopback."""

from __future__ import annotations

import gzip
import hashlib
import io
import shutil
import subprocess
from pathlib import Path

import pytest

from aws_fixtures import StandIn, assert_one_line_error, run, stand_in
from conftest import HEADER, REAL_SAMPLE, run_module, write_csv
from ingest.s3 import MIB, Progress

ROW_OCT = "2019-10-05 10:00:00 UTC,view,1,2053013555631882655,,,10.00,1,s1"
ROW_NOV = "2019-11-05 10:00:00 UTC,view,1,2053013555631882655,,,10.00,1,s1"
OCT_KEY = "events/year=2019/month=10/2019-Oct.csv"
NOV_KEY = "events/year=2019/month=11/2019-Nov.csv"
UPLOADS = ("PutObject", "UploadPart", "CreateMultipartUpload")


@pytest.fixture
def aws() -> StandIn:
    return stand_in()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two generated months, 5.1 MB and 8.2 MB: the November file goes up in parts of 5 MiB."""
    out = tmp_path_factory.mktemp("generated") / "months"
    result = run_module("synthetic_events", "--out", out, "--events", 100_000, "--no-expected")
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 26 MB of October rows: six parts of 5 MiB."""
    path = tmp_path_factory.mktemp("big") / "big.csv"
    rows = (
        f"2019-10-05 10:{i // 60 % 60:02d}:{i % 60:02d} UTC,view,{i},2053013555631882655,,,10.00,{i},s{i}"
        for i in range(400_000)
    )
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    return path


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored(aws: StandIn, bucket: str, key: str) -> tuple[bytes, dict[str, str], str]:
    found = aws.client("s3").get_object(Bucket=bucket, Key=key)
    return found["Body"].read(), found["Metadata"], found["ContentType"]


def land(
    aws: StandIn, tmp_path: Path, source: Path, dest: str, *flags: str, **env: str
) -> subprocess.CompletedProcess[str]:
    return run("land", "--source", source, "--dest", dest, "--part-size", "5", *flags, env={**aws.env(tmp_path), **env})


def test_a_generated_month_lands_under_its_partition_with_its_checksums_once(
    aws: StandIn, tmp_path: Path, generated: Path
) -> None:
    bucket = aws.bucket("land-layout")

    result = land(aws, tmp_path, generated, f"s3://{bucket}/raw/clickstream")
    parts = aws.faults.count("UploadPart")
    aws.faults.reset()
    second = land(aws, tmp_path, generated, f"s3://{bucket}/raw/clickstream")

    assert result.returncode == second.returncode == 0, result.stderr + second.stderr
    assert aws.keys(bucket) == [f"raw/clickstream/{OCT_KEY}", f"raw/clickstream/{NOV_KEY}"]
    total = 0
    for name, key in (("2019-Oct.csv", OCT_KEY), ("2019-Nov.csv", NOV_KEY)):
        source = (generated / name).read_bytes()
        body, metadata, content_type = stored(aws, bucket, f"raw/clickstream/{key}")
        assert body == source
        assert metadata == {"sha256": sha256(source), "source-sha256": sha256(source), "source-bytes": str(len(source))}
        assert content_type == "text/csv"
        total += len(source)
    assert parts == 2  # the 8.2 MB file in two parts, the 5.1 MB one in one request
    assert "2 landed" in result.stdout and f"{total:,} bytes uploaded" in result.stdout
    assert "2 unchanged" in second.stdout and "; 0 bytes uploaded" in second.stdout
    assert aws.faults.count(*UPLOADS) == 0


def test_the_real_kaggle_sample_lands_byte_for_byte(aws: StandIn, tmp_path: Path) -> None:
    if not REAL_SAMPLE.exists():
        pytest.skip(f"the real Kaggle sample is not on this machine ({REAL_SAMPLE})")
    bucket = aws.bucket("land-real")

    first = land(aws, tmp_path, REAL_SAMPLE, f"s3://{bucket}/kaggle")
    second = land(aws, tmp_path, REAL_SAMPLE, f"s3://{bucket}/kaggle")

    key = f"kaggle/events/year=2019/month=10/{REAL_SAMPLE.name}"
    assert first.returncode == second.returncode == 0, first.stderr
    assert aws.keys(bucket) == [key]
    assert stored(aws, bucket, key)[0] == REAL_SAMPLE.read_bytes()
    assert "1 unchanged" in second.stdout and "; 0 bytes uploaded" in second.stdout


def test_gzip_on_the_way_is_deterministic_and_a_gz_source_goes_up_as_it_is(
    aws: StandIn, tmp_path: Path, generated: Path
) -> None:
    source = tmp_path / "in"
    source.mkdir()
    shutil.copy(generated / "2019-Oct.csv", source)
    zipped = source / "zipped.csv.gz"
    zipped.write_bytes(gzip.compress(f"{HEADER}\n{ROW_NOV}\n".encode(), mtime=0))
    bucket = aws.bucket("land-gzip")
    october = (source / "2019-Oct.csv").read_bytes()

    first = land(aws, tmp_path, source, f"s3://{bucket}", "--gzip")
    body, metadata, content_type = stored(aws, bucket, OCT_KEY + ".gz")
    for key in aws.keys(bucket):
        aws.client("s3").delete_object(Bucket=bucket, Key=key)
    again = land(aws, tmp_path, source, f"s3://{bucket}", "--gzip")
    aws.faults.reset()
    third = land(aws, tmp_path, source, f"s3://{bucket}", "--gzip")

    assert first.returncode == again.returncode == 0, first.stderr
    assert aws.keys(bucket) == [OCT_KEY + ".gz", "events/year=2019/month=11/zipped.csv.gz"]
    assert gzip.decompress(body) == october and len(body) < len(october) / 2
    assert metadata == {"sha256": sha256(body), "source-sha256": sha256(october), "source-bytes": str(len(october))}
    assert content_type == "application/gzip"
    assert stored(aws, bucket, OCT_KEY + ".gz")[0] == body  # same source, same bytes
    assert "2 unchanged" in third.stdout and aws.faults.count(*UPLOADS) == 0
    assert stored(aws, bucket, "events/year=2019/month=11/zipped.csv.gz")[0] == zipped.read_bytes()


def test_landing_again_with_or_without_gzip_uploads_nothing(aws: StandIn, tmp_path: Path, generated: Path) -> None:
    bucket = aws.bucket("land-gzip-twice")
    first = land(aws, tmp_path, generated / "2019-Oct.csv", f"s3://{bucket}", "--gzip")
    aws.faults.reset()

    plain = land(aws, tmp_path, generated / "2019-Oct.csv", f"s3://{bucket}")

    assert first.returncode == plain.returncode == 0, plain.stderr
    assert "1 unchanged" in plain.stdout
    assert f"s3://{bucket}/{OCT_KEY}.gz" in plain.stdout  # the twin already there, under its .gz name
    assert aws.faults.count(*UPLOADS) == 0
    assert aws.keys(bucket) == [OCT_KEY + ".gz"]


def test_a_changed_file_replaces_its_object(aws: StandIn, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in" / "2019-Oct.csv", [ROW_OCT])
    bucket = aws.bucket("land-changed")
    land(aws, tmp_path, source, f"s3://{bucket}")
    write_csv(source, [ROW_OCT, ROW_OCT.replace("10:00:00", "11:00:00")])

    result = land(aws, tmp_path, source, f"s3://{bucket}")

    assert "1 replaced" in result.stdout
    assert stored(aws, bucket, OCT_KEY)[0] == source.read_bytes()


def test_a_file_without_its_header_is_refused_before_any_request(aws: StandIn, tmp_path: Path) -> None:
    source = tmp_path / "in"
    write_csv(source / "a-good.csv", [ROW_OCT])
    write_csv(source / "b-headless.csv", [ROW_OCT], header=None)
    write_csv(source / "c-wrong.csv", [ROW_OCT], header=HEADER.replace("brand", "maker"))
    bucket = aws.bucket("land-refused")
    aws.faults.reset()

    headless = land(aws, tmp_path, source, f"s3://{bucket}")
    (source / "b-headless.csv").unlink()
    wrong = land(aws, tmp_path, source, f"s3://{bucket}")

    assert_one_line_error(headless, "b-headless.csv", "has no header line", "nothing was landed")
    assert_one_line_error(wrong, "c-wrong.csv", "has the wrong header")
    assert aws.faults.seen == []
    assert aws.keys(bucket) == []


def test_gzip_refuses_a_csv_that_would_take_the_name_of_a_csv_gz(aws: StandIn, tmp_path: Path) -> None:
    source = tmp_path / "in"
    write_csv(source / "2019-Oct.csv", [ROW_OCT])
    (source / "2019-Oct.csv.gz").write_bytes(gzip.compress(f"{HEADER}\n{ROW_OCT}\n".encode()))
    bucket = aws.bucket("land-clash")

    result = land(aws, tmp_path, source, f"s3://{bucket}", "--gzip")

    assert_one_line_error(result, "2019-Oct.csv", "with --gzip", "rename one")
    assert aws.keys(bucket) == []


def test_a_header_only_file_is_skipped(aws: StandIn, tmp_path: Path) -> None:
    bucket = aws.bucket("land-empty")

    result = land(aws, tmp_path, write_csv(tmp_path / "header-only.csv", []), f"s3://{bucket}")

    assert result.returncode == 0 and "1 skipped-empty" in result.stdout
    assert aws.keys(bucket) == []


def test_bucket_and_prefix_come_from_the_environment(aws: StandIn, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "2019-Oct.csv", [ROW_OCT])
    bucket = aws.bucket("land-env")
    env = aws.env(tmp_path, ECOM_S3_BUCKET=bucket, ECOM_S3_PREFIX="/team/raw/")

    result = run("land", "--source", source, env=env)

    assert result.returncode == 0, result.stderr
    assert aws.keys(bucket) == [f"team/raw/{OCT_KEY}"]


def test_a_dry_run_shows_the_plan_and_uploads_nothing(aws: StandIn, tmp_path: Path, generated: Path) -> None:
    bucket = aws.bucket("land-dry")

    before = land(aws, tmp_path, generated, f"s3://{bucket}", "--dry-run", "--gzip")
    sent_before = aws.faults.count(*UPLOADS)
    land(aws, tmp_path, generated, f"s3://{bucket}")
    after = land(aws, tmp_path, generated, f"s3://{bucket}", "--dry-run")

    assert before.returncode == after.returncode == 0, before.stderr
    assert sent_before == 0
    assert before.stdout.count("would land") == 2 and f"s3://{bucket}/{OCT_KEY}.gz" in before.stdout
    assert "(gzip, 5.1 MB)" in before.stdout
    assert after.stdout.count("unchanged") == 2 and "would" not in after.stdout


def test_only_unfinished_uploads_older_than_a_day_are_aborted(aws: StandIn, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "2019-Oct.csv", [ROW_OCT])
    bucket = aws.bucket("land-stale")
    s3 = aws.client("s3")

    def unfinished(key: str, hours_old: float) -> str:
        upload_id: str = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        aws.age_upload(bucket, upload_id, hours_old)
        return upload_id

    old_ours = unfinished(OCT_KEY, 25)
    s3.upload_part(Bucket=bucket, Key=OCT_KEY, UploadId=old_ours, PartNumber=1, Body=b"x" * (5 * MIB))
    unfinished("events/year=2019/month=09/old.csv", 48)
    young_ours = unfinished(OCT_KEY, 23)  # maybe another landing's, still running
    young_other = unfinished("events/year=2019/month=09/young.csv", 0)
    not_under_events = unfinished("elsewhere/not-ours.csv", 48)

    result = land(aws, tmp_path, source, f"s3://{bucket}")

    assert result.returncode == 0, result.stderr
    assert f"aborted an unfinished upload of s3://{bucket}/{OCT_KEY} (started " in result.stdout
    assert f"aborted an unfinished upload of s3://{bucket}/events/year=2019/month=09/old.csv" in result.stdout
    left_alone = [line for line in result.stdout.splitlines() if line.startswith("left alone")]
    assert len(left_alone) == 1, result.stdout
    assert f"an unfinished upload of s3://{bucket}/{OCT_KEY}, started " in left_alone[0]
    assert "UTC by arn:aws:iam::123456789012:user/lander: another landing may be running" in left_alone[0]
    assert "a killed run left it (a landing aborts it once it is 24 hours old)" in left_alone[0]
    assert aws.upload_ids(bucket) == sorted([young_ours, young_other, not_under_events])
    assert aws.keys(bucket) == [OCT_KEY]
    assert stored(aws, bucket, OCT_KEY)[0] == source.read_bytes()


def test_without_permission_to_list_unfinished_uploads_the_landing_goes_on(aws: StandIn, tmp_path: Path) -> None:
    bucket = aws.bucket("land-no-list")
    aws.faults.fail(lambda r: r.operation == "ListMultipartUploads", 403, "AccessDenied")

    result = land(aws, tmp_path, write_csv(tmp_path / "2019-Oct.csv", [ROW_OCT]), f"s3://{bucket}")

    assert result.returncode == 0, result.stderr
    assert "warning: not allowed to list unfinished uploads, so none were cleaned up" in result.stdout
    assert aws.keys(bucket) == [OCT_KEY]


def test_throttling_and_server_errors_on_parts_are_retried(aws: StandIn, tmp_path: Path, big_file: Path) -> None:
    bucket = aws.bucket("land-retry")
    aws.faults.fail(lambda r: r.operation == "UploadPart" and r.part == 2, 503, "SlowDown")
    aws.faults.fail(lambda r: r.operation == "UploadPart" and r.part == 3, 500, "InternalError")
    aws.faults.fail(lambda r: r.operation == "CreateMultipartUpload", 503, "ServiceUnavailable")

    result = land(aws, tmp_path, big_file, f"s3://{bucket}", "--max-attempts", "3")

    assert result.returncode == 0, result.stderr
    parts = [r.part for r in aws.faults.seen if r.operation == "UploadPart"]
    assert sorted(parts) == [1, 2, 2, 3, 3, 4, 5, 6]
    assert aws.faults.count("CreateMultipartUpload") == 2
    key = "events/year=2019/month=10/big.csv"
    assert sha256(stored(aws, bucket, key)[0]) == sha256(big_file.read_bytes())
    assert aws.unfinished_uploads(bucket) == []


def test_an_upload_that_keeps_failing_is_aborted_and_a_rerun_completes_it(
    aws: StandIn, tmp_path: Path, big_file: Path
) -> None:
    bucket = aws.bucket("land-give-up")
    aws.faults.fail(lambda r: r.operation == "UploadPart" and r.part == 2, 503, "SlowDown", times=100)

    failed = land(aws, tmp_path, big_file, f"s3://{bucket}", "--max-attempts", "2")
    aborted = aws.faults.count("AbortMultipartUpload")
    left_after_failure = (aws.keys(bucket), aws.unfinished_uploads(bucket))
    aws.faults.reset()
    rerun = land(aws, tmp_path, big_file, f"s3://{bucket}")

    assert_one_line_error(failed, "kept throttling", "2 attempt(s)", "big.csv")
    assert aborted == 1 and left_after_failure == ([], [])
    assert rerun.returncode == 0 and "1 landed" in rerun.stdout
    assert sha256(stored(aws, bucket, "events/year=2019/month=10/big.csv")[0]) == sha256(big_file.read_bytes())


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_is_one_line_with_rate_and_time_left() -> None:
    clock = iter(float(t) for t in range(100))
    out = _Terminal()
    progress = Progress(out, clock=lambda: next(clock))

    progress.begin("upload 2019-Nov.csv", 100_000_000)
    for _ in range(4):
        progress.advance(10_000_000)
    progress.advance(-5_000_000)  # a retried part rewinds

    text = out.getvalue()
    assert "\n" not in text and text.count("\r") == 5
    last = text.rsplit("\r", 1)[-1]
    assert "35.0 / 100.0 MB (35%), 7.0 MB/s, 9s left" in last


def test_progress_in_a_log_is_a_line_per_tenth_of_a_large_file_only() -> None:
    out = io.StringIO()
    progress = Progress(out, clock=lambda: 1.0)

    progress.begin("upload big", 100 * MIB)
    for _ in range(20):
        progress.advance(5 * MIB)
    progress.begin("upload small", MIB)
    progress.advance(MIB)

    lines = out.getvalue().splitlines()
    assert len(lines) == 10 and all("upload big" in line for line in lines)
    assert "(100%)" in lines[-1]
