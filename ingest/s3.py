"""Landing in S3: the local landing's checks and layout, uploaded with boto3's managed transfer.

`python -m ingest land --source PATH --dest s3://bucket/prefix` refuses exactly the files the
local landing refuses (it calls `ingest.land.plan`, so every file is checked before anything
is uploaded) and puts each file at `<prefix>/events/year=YYYY/month=MM/<file name>`, with
`.gz` added when `--gzip` compresses a plain .csv on the way (a .csv.gz is uploaded as it is).

Idempotence: every object carries three metadata entries,

- `x-amz-meta-sha256`: sha256 of the bytes stored in S3 (after gzip when --gzip compressed),
- `x-amz-meta-source-sha256`: sha256 of the local source file as it was read,
- `x-amz-meta-source-bytes`: the source file's size,

and a re-run skips a file whose source sha256 is already stored at its key, or at another key
of the same partition (so landing a file again with and without --gzip does not double it).
The source is hashed before anything is compressed, so a skipped file costs one read.

Partial uploads: large files go up in multipart uploads (boto3 TransferConfig). A failed or
interrupted upload is aborted by boto3's transfer manager, so no partial object is ever
visible; a run that was killed outright leaves an unfinished multipart upload behind, and the
next run aborts those of its own keys (and any older than a day under the events prefix)
before it starts, then uploads the file whole.

Memory stays flat: files are hashed, gzipped and uploaded in chunks (parts are read from disk
by the transfer threads), so a 9 GB file needs no more memory than a 5 MB one. --gzip writes
the compressed copy to a temporary file (TMPDIR) first, because its checksum must be known
before the upload starts.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TextIO

from ingest.awsconfig import Aws, AwsOptions, S3Location, aws_errors, error_code
from ingest.errors import IngestError
from ingest.land import PlannedFile, plan
from ingest.rawfiles import RAW_SUFFIXES

META_SHA256 = "sha256"
META_SOURCE_SHA256 = "source-sha256"
META_SOURCE_BYTES = "source-bytes"

MIB = 1024 * 1024
# S3 refuses parts under 5 MiB (except the last) and more than 10,000 parts per object.
MIN_PART_SIZE_MIB = 5
DEFAULT_PART_SIZE_MIB = 16
DEFAULT_CONCURRENCY = 8
# zlib's default level: Kaggle-format CSVs shrink to about a fifth, at some 25 MB/s per core.
GZIP_LEVEL = 6
# An unfinished multipart upload older than this is debris of a killed run, whoever started it.
STALE_UPLOAD_AGE = dt.timedelta(hours=24)
_CHUNK = MIB
_NOT_FOUND_CODES = {"404", "NoSuchKey", "NotFound"}


@dataclass(frozen=True)
class TransferOptions:
    gzip: bool = False
    part_size_mib: int = DEFAULT_PART_SIZE_MIB
    concurrency: int = DEFAULT_CONCURRENCY


@dataclass(frozen=True)
class S3Item:
    """One planned file and the key it goes to."""

    planned: PlannedFile
    key: str
    compress: bool


@dataclass(frozen=True)
class S3Landed:
    source: Path
    url: str
    outcome: str  # landed, replaced, unchanged, skipped-empty
    bytes_uploaded: int


# ---------------------------------------------------------------- progress


def _duration(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


class Progress:
    """Bytes done, rate and time left for one step at a time (hashing, compressing, uploading).

    On a terminal: one line redrawn in place. Otherwise: a plain log line at every tenth of a
    file of at least LOG_MIN_BYTES, so a log shows a long upload is alive without flooding.
    Thread-safe: the transfer threads report bytes as they send them.
    """

    LOG_MIN_BYTES = 32 * MIB
    REDRAW_SECONDS = 0.2

    def __init__(
        self, out: TextIO, interactive: bool | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._out = out
        self._interactive = out.isatty() if interactive is None else interactive
        self._clock = clock
        self._lock = threading.Lock()
        self._label = ""
        self._total = 0
        self._done = 0
        self._started = 0.0
        self._last_draw = 0.0
        self._next_tenth = 1

    def begin(self, label: str, total: int) -> None:
        with self._lock:
            self._label, self._total, self._done = label, total, 0
            self._started = self._last_draw = self._clock()
            self._next_tenth = 1

    def advance(self, amount: int) -> None:
        # A retried part reports negative progress as botocore rewinds its body.
        with self._lock:
            self._done = min(max(self._done + amount, 0), self._total)
            now = self._clock()
            if self._interactive:
                if now - self._last_draw >= self.REDRAW_SECONDS or self._done == self._total:
                    self._last_draw = now
                    self._out.write(f"\r\x1b[K{self._line(now)}")
                    self._out.flush()
            elif self._total >= self.LOG_MIN_BYTES and self._done * 10 >= self._next_tenth * self._total:
                self._next_tenth = self._done * 10 // self._total + 1
                print(self._line(now), file=self._out, flush=True)

    def end(self) -> None:
        if self._interactive:
            self._out.write("\r\x1b[K")
            self._out.flush()

    def _line(self, now: float) -> str:
        elapsed = max(now - self._started, 1e-9)
        rate = self._done / elapsed
        left = (self._total - self._done) / rate if rate > 0 else 0.0
        percent = 100 * self._done / self._total if self._total else 100.0
        return (
            f"  {self._label}: {self._done / 1e6:,.1f} / {self._total / 1e6:,.1f} MB ({percent:.0f}%), "
            f"{rate / 1e6:,.1f} MB/s, {_duration(left)} left"
        )


class _ProgressSubscriber:
    """s3transfer subscriber feeding the bytes sent to a Progress."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress

    def on_queued(self, future: Any, **kwargs: Any) -> None:
        pass

    def on_progress(self, future: Any, bytes_transferred: int, **kwargs: Any) -> None:
        self._progress.advance(bytes_transferred)

    def on_done(self, future: Any, **kwargs: Any) -> None:
        pass


# ---------------------------------------------------------------- local side


def plan_s3(source: Path, location: S3Location, compress: bool) -> list[S3Item]:
    """The local landing's checks (header, month, name clashes), then one key per file."""
    items = []
    for planned in plan(source):
        gzip_it = compress and not planned.source.name.endswith(".gz")
        relative = planned.relative_destination().as_posix() + (".gz" if gzip_it else "")
        items.append(S3Item(planned=planned, key=location.key(relative), compress=gzip_it))
    _refuse_gzip_clashes(items)
    return items


def _refuse_gzip_clashes(items: list[S3Item]) -> None:
    """--gzip turns `a.csv` into `a.csv.gz`, which may be the name of another source file."""
    by_key: dict[str, S3Item] = {}
    for item in items:
        if not item.planned.has_data:
            continue
        other = by_key.setdefault(item.key, item)
        if other.compress != item.compress:
            raise IngestError(
                f"{other.planned.source} and {item.planned.source} would both land as {item.key} "
                "with --gzip; rename one of them; nothing was landed."
            )


def _sha256(path: Path, progress: Progress) -> str:
    digest = hashlib.sha256()
    progress.begin(f"checksum {path.name}", path.stat().st_size)
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            progress.advance(len(chunk))
    progress.end()
    return digest.hexdigest()


class _HashingWriter:
    """A binary file that also hashes what is written to it."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return self._handle.write(data)

    def flush(self) -> None:
        self._handle.flush()


def gzip_file(source: Path, target: Path, progress: Progress) -> str:
    """Compress `source` into `target` in chunks; return the sha256 of the compressed bytes.

    mtime=0 and no file name in the gzip header: the same source gives the same bytes.
    """
    progress.begin(f"gzip {source.name}", source.stat().st_size)
    with source.open("rb") as reader, target.open("wb") as raw:
        writer = _HashingWriter(raw)
        with gzip.GzipFile(filename="", mode="wb", fileobj=writer, compresslevel=GZIP_LEVEL, mtime=0) as zipped:
            while chunk := reader.read(_CHUNK):
                zipped.write(chunk)
                progress.advance(len(chunk))
    progress.end()
    return writer.digest.hexdigest()


# ---------------------------------------------------------------- S3 side


def check_bucket(s3: Any, location: S3Location) -> None:
    """Fail early, in one sentence, when the bucket is missing or out of reach."""
    from botocore.exceptions import ClientError

    # HeadBucket answers without a body, so the HTTP status is all the error says.
    with aws_errors(f"checking the bucket '{location.bucket}'"):
        try:
            s3.head_bucket(Bucket=location.bucket)
        except ClientError as error:
            code = error_code(error)
            if code in {"404", "NoSuchBucket", "NotFound"}:
                raise IngestError(
                    f"The S3 bucket '{location.bucket}' does not exist; create it or fix --dest."
                ) from error
            if code in {"403", "AccessDenied", "Forbidden"}:
                raise IngestError(
                    f"Access to the S3 bucket '{location.bucket}' is denied; "
                    "check the IAM permissions of your AWS identity."
                ) from error
            raise


def head(s3: Any, bucket: str, key: str) -> dict[str, Any] | None:
    """HeadObject, or None when there is no object at that key."""
    from botocore.exceptions import ClientError

    with aws_errors(f"looking at s3://{bucket}/{key}"):
        try:
            return dict(s3.head_object(Bucket=bucket, Key=key))
        except ClientError as error:
            if error_code(error) in _NOT_FOUND_CODES:
                return None
            raise


def _find_twin(s3: Any, bucket: str, item: S3Item, source_sha256: str) -> str | None:
    """Another object in the same partition that was landed from the same content."""
    partition = item.key.rsplit("/", 1)[0] + "/"
    with aws_errors(f"listing s3://{bucket}/{partition}"):
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=partition)
        keys = [obj["Key"] for page in pages for obj in page.get("Contents", [])]
    for key in sorted(keys):
        if key == item.key or not key.endswith(RAW_SUFFIXES) or "/" in key[len(partition) :]:
            continue
        found = head(s3, bucket, key)
        if found is not None and found.get("Metadata", {}).get(META_SOURCE_SHA256) == source_sha256:
            return key
    return None


def decide(s3: Any, bucket: str, item: S3Item, source_sha256: str) -> tuple[str, str]:
    """(outcome, key holding the content): unchanged, landed (new) or replaced (content changed)."""
    existing = head(s3, bucket, item.key)
    if existing is not None:
        if existing.get("Metadata", {}).get(META_SOURCE_SHA256) == source_sha256:
            return "unchanged", item.key
        return "replaced", item.key
    twin = _find_twin(s3, bucket, item, source_sha256)
    return ("unchanged", twin) if twin is not None else ("landed", item.key)


def abort_stale_uploads(s3: Any, location: S3Location, keys: set[str], out: TextIO) -> int:
    """Abort unfinished multipart uploads of this run's keys, and any older than STALE_UPLOAD_AGE.

    They are what a killed run leaves: invisible, but billed as storage until aborted.
    """
    from botocore.exceptions import ClientError

    with aws_errors(f"listing unfinished uploads under {location.url(location.events_prefix)}"):
        try:
            pages = s3.get_paginator("list_multipart_uploads").paginate(
                Bucket=location.bucket, Prefix=location.events_prefix
            )
            uploads = [upload for page in pages for upload in page.get("Uploads", [])]
        except ClientError as error:
            # The landing itself does not need s3:ListBucketMultipartUploads: carry on without the cleanup.
            if error_code(error) not in {"AccessDenied", "403"}:
                raise
            print("warning: not allowed to list unfinished uploads, so none were cleaned up", file=out)
            return 0
    aborted = 0
    now = dt.datetime.now(dt.UTC)
    for upload in uploads:
        initiated = upload["Initiated"]
        if upload["Key"] not in keys and now - initiated < STALE_UPLOAD_AGE:
            continue
        _abort(s3, location.bucket, upload["Key"], upload["UploadId"])
        aborted += 1
        print(
            f"aborted an unfinished upload of {location.url(upload['Key'])} "
            f"(started {initiated.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC)",
            file=out,
        )
    return aborted


def _abort(s3: Any, bucket: str, key: str, upload_id: str) -> None:
    from botocore.exceptions import ClientError

    with aws_errors(f"aborting the unfinished upload of s3://{bucket}/{key}"):
        try:
            s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        except ClientError as error:
            if error_code(error) != "NoSuchUpload":  # finished or aborted meanwhile: nothing left to do
                raise


def _content_type(key: str) -> str:
    return "application/gzip" if key.endswith(".gz") else "text/csv"


def _upload(
    manager: Any, s3: Any, bucket: str, path: Path, key: str, metadata: dict[str, str], progress: Progress
) -> int:
    """One managed upload (multipart above the threshold), then a check of what S3 holds."""
    size = path.stat().st_size
    progress.begin(f"upload {Path(key).name}", size)
    with aws_errors(f"uploading {path.name} to s3://{bucket}/{key}"):
        future = manager.upload(
            str(path),
            bucket,
            key,
            extra_args={"Metadata": metadata, "ContentType": _content_type(key)},
            subscribers=[_ProgressSubscriber(progress)],
        )
        future.result()
    progress.end()
    stored = head(s3, bucket, key)
    if (
        stored is None
        or stored.get("ContentLength") != size
        or stored.get("Metadata", {}).get(META_SHA256) != metadata[META_SHA256]
    ):
        raise IngestError(f"s3://{bucket}/{key} does not hold what was uploaded; run the command again.")
    return size


def land_item(manager: Any, s3: Any, location: S3Location, item: S3Item, progress: Progress) -> S3Landed:
    source = item.planned.source
    if not item.planned.has_data:
        return S3Landed(source, location.url(item.key), "skipped-empty", 0)
    source_sha256 = _sha256(source, progress)
    outcome, key = decide(s3, location.bucket, item, source_sha256)
    if outcome == "unchanged":
        return S3Landed(source, location.url(key), outcome, 0)
    metadata = {META_SOURCE_SHA256: source_sha256, META_SOURCE_BYTES: str(source.stat().st_size)}
    if not item.compress:
        size = _upload(
            manager, s3, location.bucket, source, item.key, {**metadata, META_SHA256: source_sha256}, progress
        )
        return S3Landed(source, location.url(item.key), outcome, size)
    # Only a killed run leaves this folder behind; TMPDIR chooses where it goes.
    with tempfile.TemporaryDirectory(prefix="ingest-gzip-") as scratch:
        zipped = Path(scratch) / Path(item.key).name
        metadata[META_SHA256] = gzip_file(source, zipped, progress)
        size = _upload(manager, s3, location.bucket, zipped, item.key, metadata, progress)
    return S3Landed(source, location.url(item.key), outcome, size)


def _transfer_manager(s3: Any, options: TransferOptions) -> Any:
    from boto3.s3.transfer import TransferConfig, create_transfer_manager

    part_size = max(options.part_size_mib, MIN_PART_SIZE_MIB) * MIB
    config = TransferConfig(
        multipart_threshold=part_size,
        multipart_chunksize=part_size,
        max_concurrency=options.concurrency,
        use_threads=True,
    )
    return create_transfer_manager(s3, config)


def land_s3(
    source: Path, location: S3Location, aws_options: AwsOptions, options: TransferOptions, out: TextIO = sys.stdout
) -> list[S3Landed]:
    """Land every file under `source` in S3, after all of them passed their checks."""
    items = plan_s3(source, location, options.gzip)
    aws = Aws(aws_options, max_pool_connections=options.concurrency + 2)
    s3 = aws.client("s3")
    check_bucket(s3, location)
    abort_stale_uploads(s3, location, {item.key for item in items}, out)
    progress = Progress(out)
    landed: list[S3Landed] = []
    try:
        # Leaving this block with an exception (KeyboardInterrupt included) cancels the
        # transfer, and s3transfer aborts the multipart upload before the block exits.
        with _transfer_manager(s3, options) as manager:
            for item in items:
                landed.append(land_item(manager, s3, location, item, progress))
                print(f"{landed[-1].outcome:<14}{landed[-1].source} -> {landed[-1].url}", file=out, flush=True)
    except KeyboardInterrupt:
        progress.end()
        print(
            "interrupted: any unfinished upload was aborted, nothing partial is visible in S3; "
            "run the same command again to finish.",
            file=out,
            flush=True,
        )
        raise
    except OSError as error:
        # A source file that vanished, or no room in TMPDIR for a --gzip copy.
        where = f" ({error.filename})" if error.filename else ""
        raise IngestError(f"Landing in {location.url()} failed: {error.strerror or error}{where}.") from error
    return landed


def dry_run_s3(
    source: Path, location: S3Location, aws_options: AwsOptions, options: TransferOptions, out: TextIO = sys.stdout
) -> None:
    """Print what `land` would do; read S3 only when credentials and the bucket allow it."""
    items = plan_s3(source, location, options.gzip)
    print(f"dry run: nothing is uploaded; destination {location.url()}", file=out)
    s3 = None
    try:
        # Few attempts: a dry run should say quickly that it cannot reach S3.
        aws = Aws(AwsOptions(aws_options.region, aws_options.profile, min(aws_options.max_attempts, 2)))
        s3 = aws.client("s3")
        check_bucket(s3, location)
        print(f"checked against {aws.endpoint('s3')}", file=out)
    except IngestError as error:
        s3 = None
        print(f"could not check S3, so this is the local plan only: {error}", file=out)
    progress = Progress(out)
    for item in items:
        size = item.planned.source.stat().st_size
        if not item.planned.has_data:
            outcome, key = "skipped-empty", item.key
        elif s3 is None:
            outcome, key = "would upload", item.key
        else:
            found, key = decide(s3, location.bucket, item, _sha256(item.planned.source, progress))
            outcome = {"landed": "would land", "replaced": "would replace"}.get(found, found)
        how = "gzip, " if item.compress else ""
        print(f"{outcome:<15}{item.planned.source} ({how}{size / 1e6:,.1f} MB) -> {location.url(key)}", file=out)
