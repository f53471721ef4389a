"""Unfinished multipart uploads of the S3 landing: which to abort, which to leave, and a lost one.

A killed landing leaves its multipart upload unfinished: invisible to readers, billed as storage
until aborted. A landing running right now has one too, and aborting that would fail it. So a
run aborts only unfinished uploads older than STALE_UPLOAD_AGE under the events prefix (what an
S3 lifecycle rule for incomplete uploads does), names a younger one of a key it is about to
upload and leaves it alone. `watch_for_lost_upload` tells when someone else aborted this run's
own upload, so the error says that instead of blaming AWS.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TextIO

from ingest.awsconfig import S3Location, aws_errors, error_code

# An unfinished multipart upload older than this is debris of a killed run, whoever started it.
STALE_UPLOAD_AGE = dt.timedelta(hours=24)
_AGE_HOURS = int(STALE_UPLOAD_AGE.total_seconds() // 3600)
# Calls that S3 answers NoSuchUpload when the upload was aborted (or completed) meanwhile.
_UPLOAD_CALLS = {"UploadPart", "CompleteMultipartUpload", "AbortMultipartUpload"}


@dataclass(frozen=True)
class Unfinished:
    """One unfinished multipart upload, as ListMultipartUploads describes it."""

    key: str
    upload_id: str
    initiated: dt.datetime
    initiator: str | None  # the principal's ARN (or name) when S3 gives one

    @property
    def started(self) -> str:
        return f"{self.initiated.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"


def list_unfinished(s3: Any, location: S3Location, out: TextIO) -> list[Unfinished]:
    """Unfinished uploads under the events prefix; none (with a warning) when listing is denied."""
    from botocore.exceptions import ClientError

    with aws_errors(f"listing unfinished uploads under {location.url(location.events_prefix)}"):
        try:
            pages = s3.get_paginator("list_multipart_uploads").paginate(
                Bucket=location.bucket, Prefix=location.events_prefix
            )
            found = [upload for page in pages for upload in page.get("Uploads", [])]
        except ClientError as error:
            # The landing itself does not need s3:ListBucketMultipartUploads: carry on without the cleanup.
            if error_code(error) not in {"AccessDenied", "403"}:
                raise
            print("warning: not allowed to list unfinished uploads, so none were cleaned up", file=out)
            return []
    uploads = []
    for upload in found:
        initiator = upload.get("Initiator", {})
        uploads.append(
            Unfinished(
                key=upload["Key"],
                upload_id=upload["UploadId"],
                initiated=upload["Initiated"],
                initiator=initiator.get("ID") or initiator.get("DisplayName") or None,
            )
        )
    return sorted(uploads, key=lambda upload: (upload.key, upload.initiated))


def abort_stale_uploads(
    s3: Any, location: S3Location, keys: set[str], out: TextIO, now: dt.datetime | None = None
) -> int:
    """Abort unfinished uploads older than STALE_UPLOAD_AGE; name the younger ones of `keys`.

    A younger one may belong to a landing still running, so it is left alone: this run uploads
    its own copy, and S3 keeps whichever upload completes last (same content, same object).
    Returns how many were aborted.
    """
    now = now or dt.datetime.now(dt.UTC)
    aborted = 0
    for upload in list_unfinished(s3, location, out):
        url = location.url(upload.key)
        if now - upload.initiated >= STALE_UPLOAD_AGE:
            _abort(s3, location.bucket, upload)
            aborted += 1
            print(
                f"aborted an unfinished upload of {url} (started {upload.started}, over {_AGE_HOURS} hours ago)",
                file=out,
            )
        elif upload.key in keys:
            by = f" by {upload.initiator}" if upload.initiator else ""
            print(
                f"left alone: an unfinished upload of {url}, started {upload.started}{by}: another landing "
                f"may be running, or a killed run left it (a landing aborts it once it is {_AGE_HOURS} hours old)",
                file=out,
                flush=True,
            )
    return aborted


def _abort(s3: Any, bucket: str, upload: Unfinished) -> None:
    from botocore.exceptions import ClientError

    with aws_errors(f"aborting the unfinished upload of s3://{bucket}/{upload.key}"):
        try:
            s3.abort_multipart_upload(Bucket=bucket, Key=upload.key, UploadId=upload.upload_id)
        except ClientError as error:
            if error_code(error) != "NoSuchUpload":  # finished or aborted meanwhile: nothing left to do
                raise


@contextmanager
def watch_for_lost_upload(s3: Any) -> Iterator[threading.Event]:
    """An event set when S3 answers NoSuchUpload to a part, completion or abort made inside the block.

    That is how an upload learns that someone else aborted it, whatever error the transfer then
    raises: S3 answers NoSuchUpload to the next part or to the completion; a store that answers
    500 instead (moto 5.2 does) fails the transfer after its retries, and the transfer's own
    abort then gets NoSuchUpload.
    """
    lost = threading.Event()

    def seen(**kwargs: Any) -> None:
        model, parsed = kwargs.get("model"), kwargs.get("parsed")
        if not isinstance(parsed, dict) or getattr(model, "name", "") not in _UPLOAD_CALLS:
            return
        if parsed.get("Error", {}).get("Code") == "NoSuchUpload":
            lost.set()

    unique_id = f"ingest-lost-upload-{id(lost)}"
    s3.meta.events.register("after-call.s3", seen, unique_id=unique_id)
    try:
        yield lost
    finally:
        s3.meta.events.unregister("after-call.s3", unique_id=unique_id)


def lost_upload_message(url: str) -> str:
    return (
        f"A concurrent landing or cleanup aborted the upload of {url} while this run was sending it "
        "(S3 answered NoSuchUpload); nothing partial is visible; run the same command again to complete it."
    )
