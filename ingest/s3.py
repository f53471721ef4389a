"""Landing in S3 (`python -m ingest land --dest s3://...`): the local landing's checks, then one
object per file, uploaded in parts, skipped when S3 already holds the same content. How it
behaves: docs/landing.md; unfinished uploads: ingest.s3_uploads.
"""

from __future__ import annotations

import gzip
import hashlib
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TextIO

from ingest.awsconfig import Aws, AwsOptions, S3Location, aws_errors, error_code
from ingest.errors import IngestError
from ingest.land import LandedFile, PlannedFile, plan
from ingest.manifest import S3Manifest, utc_now
from ingest.rawfiles import RAW_SUFFIXES
from ingest.s3_progress import MIB, Progress, ProgressSubscriber
from ingest.s3_uploads import abort_stale_uploads, lost_upload_message, watch_for_lost_upload
from ingest.scan import changed_since

META_SHA256 = "sha256"
META_SOURCE_SHA256 = "source-sha256"
META_SOURCE_BYTES = "source-bytes"

# S3 refuses parts under 5 MiB (except the last) and more than 10,000 parts per object.
MIN_PART_SIZE_MIB = 5
DEFAULT_PART_SIZE_MIB = 16
DEFAULT_CONCURRENCY = 8
# zlib's default level: Kaggle-format CSVs shrink to about a fifth, at some 25 MB/s per core.
GZIP_LEVEL = 6
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


def _content_type(key: str) -> str:
    return "application/gzip" if key.endswith(".gz") else "text/csv"


def _upload(
    manager: Any, s3: Any, bucket: str, path: Path, key: str, metadata: dict[str, str], progress: Progress
) -> int:
    """One managed upload (multipart above the threshold), then a check of what S3 holds."""
    size = path.stat().st_size
    url = f"s3://{bucket}/{key}"
    progress.begin(f"upload {Path(key).name}", size)
    with watch_for_lost_upload(s3) as lost:
        try:
            with aws_errors(f"uploading {path.name} to {url}"):
                future = manager.upload(
                    str(path),
                    bucket,
                    key,
                    extra_args={"Metadata": metadata, "ContentType": _content_type(key)},
                    subscribers=[ProgressSubscriber(progress)],
                )
                future.result()
        except IngestError as error:
            # Aborted by someone else: fine if a concurrent landing already completed the same bytes.
            if not lost.is_set():
                raise
            if not _holds(head(s3, bucket, key), size, metadata):
                raise IngestError(lost_upload_message(url)) from error
    progress.end()
    if not _holds(head(s3, bucket, key), size, metadata):
        raise IngestError(f"{url} does not hold what was uploaded; run the command again.")
    return size


def _holds(stored: dict[str, Any] | None, size: int, metadata: dict[str, str]) -> bool:
    return (
        stored is not None
        and stored.get("ContentLength") == size
        and stored.get("Metadata", {}).get(META_SHA256) == metadata[META_SHA256]
    )


def land_item(manager: Any, s3: Any, location: S3Location, item: S3Item, progress: Progress) -> LandedFile[str]:
    source = item.planned.source
    if not item.planned.has_data:
        return LandedFile(source, location.url(item.key), "skipped-empty", 0, item.planned)
    # the landing's whole-file check already hashed the file; only an unchecked one is read again
    scan = item.planned.scan
    source_sha256 = scan.sha256 if scan is not None else _sha256(source, progress)
    outcome, key = decide(s3, location.bucket, item, source_sha256)
    if outcome == "unchanged":
        return LandedFile(source, location.url(key), outcome, 0, item.planned)
    metadata = {META_SOURCE_SHA256: source_sha256, META_SOURCE_BYTES: str(source.stat().st_size)}
    _refuse_if_changed(item, location, outcome, s3, uploaded=False)
    if not item.compress:
        size = _upload(
            manager, s3, location.bucket, source, item.key, {**metadata, META_SHA256: source_sha256}, progress
        )
        _refuse_if_changed(item, location, outcome, s3, uploaded=True)
        return LandedFile(source, location.url(item.key), outcome, size, item.planned)
    # Only a killed run leaves this folder behind; TMPDIR chooses where it goes.
    with tempfile.TemporaryDirectory(prefix="ingest-gzip-") as scratch:
        zipped = Path(scratch) / Path(item.key).name
        metadata[META_SHA256] = gzip_file(source, zipped, progress)
        _refuse_if_changed(item, location, outcome, s3, uploaded=False)  # what was gzipped was what was checked
        size = _upload(manager, s3, location.bucket, zipped, item.key, metadata, progress)
    return LandedFile(source, location.url(item.key), outcome, size, item.planned)


def _refuse_if_changed(item: S3Item, location: S3Location, outcome: str, s3: Any, uploaded: bool) -> None:
    """A source still being written (a download in progress) must not stay in S3 under the checked sha256.
    An object this run created from it is deleted; one it replaced is in the raw bucket's version history."""
    scan = item.planned.scan
    if scan is None or not changed_since(item.planned.source, scan):
        return
    url = location.url(item.key)
    if not uploaded:
        raise IngestError(
            f"{item.planned.source} changed after it was checked, so it was not uploaded to {url}; "
            "land it again once it is complete."
        )
    if outcome == "landed":
        with aws_errors(f"deleting {url}, uploaded from a file that changed meanwhile"):
            s3.delete_object(Bucket=location.bucket, Key=item.key)
        what = "the copy was deleted"
    else:
        what = "the copy it replaced is in the bucket's version history (the stack versions the raw bucket)"
    raise IngestError(
        f"{item.planned.source} changed while it was being uploaded to {url}; {what}; "
        "land it again once it is complete."
    )


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
) -> list[LandedFile[str]]:
    """Land every file under `source` in S3, after all of them passed their checks."""
    started = utc_now()  # the run id's time: the checks of 14 GB take a while
    items = plan_s3(source, location, options.gzip)
    aws = Aws(aws_options, max_pool_connections=options.concurrency + 2)
    s3 = aws.client("s3")
    check_bucket(s3, location)
    manifest = S3Manifest(s3, location, started)  # read before anything lands: a damaged one stops the run here
    abort_stale_uploads(s3, location, {item.key for item in items if item.planned.has_data}, out)
    progress = Progress(out)
    landed: list[LandedFile[str]] = []
    try:
        # Leaving this block with an exception (KeyboardInterrupt included) cancels the
        # transfer, and s3transfer aborts the multipart upload before the block exits.
        with _transfer_manager(s3, options) as manager:
            for item in items:
                landed.append(land_item(manager, s3, location, item, progress))
                print(f"{landed[-1].outcome:<14}{landed[-1].source} -> {landed[-1].destination}", file=out, flush=True)
    except KeyboardInterrupt:
        progress.end()
        print(
            "interrupted: this run's unfinished upload was aborted, nothing partial is visible in S3; "
            "run the same command again to finish.",
            file=out,
            flush=True,
        )
        raise
    except OSError as error:
        # A source file that vanished, or no room in TMPDIR for a --gzip copy.
        where = f" ({error.filename})" if error.filename else ""
        raise IngestError(f"Landing in {location.url()} failed: {error.strerror or error}{where}.") from error
    print(manifest.record(manifest.candidates(landed)), file=out, flush=True)
    return landed


def dry_run_s3(
    source: Path, location: S3Location, aws_options: AwsOptions, options: TransferOptions, out: TextIO = sys.stdout
) -> None:
    """Print what `land` would do; read S3 only when credentials and the bucket allow it."""
    items = plan_s3(source, location, options.gzip)
    print(f"dry run: nothing is uploaded; destination {location.url()}", file=out)
    s3 = None
    try:
        aws = Aws(aws_options.for_dry_run())
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
