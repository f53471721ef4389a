"""A moto server on loopback standing in for S3 and Glue, shared by the AWS tests.

- One server per test session (in this process, so tests can reach moto's backends), on a
  free port of 127.0.0.1; the CLI runs as a subprocess with AWS_ENDPOINT_URL pointing at it.
- Fault injection in front of moto (a WSGI layer): chosen requests get a real HTTP error
  (503 SlowDown, 500, 403 ...) or a delay, so botocore's real retry code is what is tested.
  Every request is recorded, so a test can count uploads.
- What moto's S3 does unlike S3 with unfinished multipart uploads is made like S3 here: each
  upload is listed with the time it was initiated (moto says 2010-11-10 for all; tests move it
  back with `StandIn.age_upload`), and a part or completion of an aborted upload is answered
  404 NoSuchUpload (moto fails with a KeyError, which is a 500, retried).
- What moto's Glue lacks for the crawler flow (classifiers, UpdateCrawler, GetCrawlerMetrics,
  the crawl statuses SUCCEEDED/FAILED/CANCELLED with an ErrorMessage) is added here, and
  `CrawlerScript` plays the crawler: moto's stays RUNNING forever and makes no table.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import boto3
from werkzeug.serving import make_server
from werkzeug.wrappers import Request

from conftest import REPO
from ingest import KAGGLE_HEADER
from ingest.manifest import FOLDER as MANIFEST_FOLDER

ACCOUNT = "123456789012"
REGION = "us-east-1"
NINE = list(KAGGLE_HEADER)
GLUE_TYPES = ["string", "string", "bigint", "bigint", "string", "string", "double", "bigint", "string"]
_ENV_OURS = (
    "ECOM_S3_BUCKET",
    "ECOM_S3_PREFIX",
    "ECOM_GLUE_DATABASE",
    "ECOM_CRAWLER_NAME",
    "ECOM_CRAWLER_ROLE_ARN",
    "ECOM_RAW_S3_URI",
    "ECOM_RAW_DATABASE",
)


# ---------------------------------------------------------------- requests and faults


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    target: str  # X-Amz-Target of JSON APIs (Glue), '' for S3

    @property
    def bucket(self) -> str:
        return self.path.lstrip("/").split("/", 1)[0]

    @property
    def operation(self) -> str:
        if self.target:
            return self.target.rsplit(".", 1)[-1]
        has_key = "/" in self.path.lstrip("/")
        if self.method == "PUT" and "partNumber" in self.query:
            return "UploadPart"
        if self.method == "PUT" and has_key:
            return "PutObject"
        if self.method == "GET" and "uploads" in self.query:
            return "ListMultipartUploads"
        if self.method == "POST" and "uploads" in self.query:
            return "CreateMultipartUpload"
        if self.method == "POST" and "uploadId" in self.query:
            return "CompleteMultipartUpload"
        if self.method == "DELETE" and "uploadId" in self.query:
            return "AbortMultipartUpload"
        return f"{self.method} {'object' if has_key else 'bucket'}"

    @property
    def part(self) -> int:
        return int(self.query.get("partNumber", ["0"])[0])


@dataclass
class _Rule:
    matches: Callable[[Seen], bool]
    status: int
    code: str
    message: str
    times: int


# moto's fixed canonical user id of a bucket owner: not a credential
MOTO_OWNER_ID = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"  # pragma: allowlist secret


class Faults:
    """WSGI layer in front of moto: records requests, answers some with errors, delays others."""

    def __init__(self, app: Any) -> None:
        self._app = app
        self._lock = threading.Lock()
        self.seen: list[Seen] = []
        self.answered: list[Seen] = []  # requests moto answered (not the injected errors)
        self._rules: list[_Rule] = []
        self._delays: list[tuple[Callable[[Seen], bool], float]] = []

    def reset(self) -> None:
        with self._lock:
            self.seen, self.answered, self._rules, self._delays = [], [], [], []

    def fail(self, matches: Callable[[Seen], bool], status: int, code: str, times: int = 1, message: str = "") -> None:
        with self._lock:
            self._rules.append(_Rule(matches, status, code, message or f"Injected {code}", times))

    def slow(self, matches: Callable[[Seen], bool], seconds: float) -> None:
        with self._lock:
            self._delays.append((matches, seconds))

    def count(self, *operations: str, answered: bool = False) -> int:
        """Requests of these operations received (or, answered=True, passed on to moto and answered)."""
        with self._lock:
            requests = self.answered if answered else self.seen
            return sum(1 for s in requests if s.operation in operations)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        seen = Seen(
            method=environ["REQUEST_METHOD"],
            path=environ.get("PATH_INFO", ""),
            query=parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True),
            target=environ.get("HTTP_X_AMZ_TARGET", ""),
        )
        with self._lock:
            self.seen.append(seen)
            rule = next((r for r in self._rules if r.times > 0 and r.matches(seen)), None)
            if rule is not None:
                rule.times -= 1
            delay = sum(seconds for matches, seconds in self._delays if matches(seen))
        if rule is not None:
            Request(environ).get_data()  # read the body, as a real server would, before answering
            return _error_response(seen, rule, start_response)
        if delay:
            time.sleep(delay)
        result = self._app(environ, start_response)
        with self._lock:
            self.answered.append(seen)
        return result


def _error_response(seen: Seen, rule: _Rule, start_response: Callable[..., Any]) -> list[bytes]:
    if seen.target:  # JSON protocol (Glue)
        body = json.dumps({"__type": rule.code, "message": rule.message}).encode()
        content_type = "application/x-amz-json-1.1"
    else:
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{rule.code}</Code>'
            f"<Message>{rule.message}</Message><RequestId>injected</RequestId></Error>"
        ).encode()
        content_type = "application/xml"
    if seen.method == "HEAD":
        body = b""
    start_response(f"{rule.status} Injected", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def seen_of(environ: dict[str, Any]) -> Seen:
    """A request as `Faults` records it."""
    return Seen(
        method=environ["REQUEST_METHOD"],
        path=environ.get("PATH_INFO", ""),
        query=parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True),
        target=environ.get("HTTP_X_AMZ_TARGET", ""),
    )


class Hold:
    """WSGI layer between `Faults` and moto: a matching request waits until `release()` (or 60 s)."""

    def __init__(self, app: Any, matches: Callable[[Seen], bool]) -> None:
        self.app = app
        self._matches = matches
        self._released = threading.Event()
        self.holding = threading.Event()  # set once a request is held

    def release(self) -> None:
        self._released.set()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if not self._released.is_set() and self._matches(seen_of(environ)):
            self.holding.set()
            self._released.wait(60)
        return self.app(environ, start_response)


# ---------------------------------------------------------------- S3 additions to moto


def _install_s3_additions() -> None:
    """Unfinished multipart uploads as S3 has them: real initiation times, NoSuchUpload once aborted."""
    from moto.core.responses import ActionResult
    from moto.s3.exceptions import NoSuchUpload
    from moto.s3.models import FakeMultipart, S3Backend
    from moto.s3.responses import S3Response

    if getattr(S3Response, "_ingest_additions", False):
        return
    original_init = FakeMultipart.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.ingest_initiated = dt.datetime.now(dt.UTC)

    def list_multipart_uploads(self: Any) -> Any:
        # moto 5.2's own, with each upload's time instead of 2010-11-10T20:48:33.000Z.
        uploads = list(self.backend.list_multipart_uploads(self.bucket_name).values())
        prefix = self.querystring.get("prefix", [""])[0]
        listed = [
            {
                "Key": upload.key_name,
                "UploadId": upload.id,
                "Initiator": {"ID": f"arn:aws:iam::{self.current_account}:user/lander", "DisplayName": "lander"},
                "Owner": {"ID": MOTO_OWNER_ID},
                "StorageClass": "STANDARD",
                "Initiated": upload.ingest_initiated.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            }
            for upload in uploads
            if upload.key_name.startswith(prefix)
        ]
        self.data["Action"] = "ListMultipartUploads"
        result = {"Bucket": self.bucket_name, "MaxUploads": 1000, "IsTruncated": False, "Uploads": listed}
        return self.serialized(ActionResult(result))

    def known(backend: Any, bucket_name: str, multipart_id: str) -> None:
        if _S3_LIKE["no_such_upload"] and multipart_id not in backend.get_bucket(bucket_name).multiparts:
            raise NoSuchUpload(upload_id=multipart_id)

    original_upload_part = S3Backend.upload_part
    original_complete = S3Backend.complete_multipart_upload

    def upload_part(self: Any, bucket_name: str, multipart_id: str, *args: Any, **kwargs: Any) -> Any:
        known(self, bucket_name, multipart_id)
        return original_upload_part(self, bucket_name, multipart_id, *args, **kwargs)

    def complete_multipart_upload(self: Any, bucket_name: str, multipart_id: str, *args: Any, **kwargs: Any) -> Any:
        known(self, bucket_name, multipart_id)
        return original_complete(self, bucket_name, multipart_id, *args, **kwargs)

    FakeMultipart.__init__ = init  # type: ignore[method-assign]
    S3Response.list_multipart_uploads = list_multipart_uploads  # type: ignore[method-assign]
    S3Backend.upload_part = upload_part  # type: ignore[method-assign]
    S3Backend.complete_multipart_upload = complete_multipart_upload  # type: ignore[method-assign]
    S3Response._ingest_additions = True  # type: ignore[attr-defined]


_S3_LIKE = {"no_such_upload": True}


@contextmanager
def moto_500_for_aborted_uploads() -> Iterator[None]:
    """Inside the block, a part or completion of an aborted upload gets moto's own answer: 500, retried."""
    _S3_LIKE["no_such_upload"] = False
    try:
        yield
    finally:
        _S3_LIKE["no_such_upload"] = True


def s3_multiparts(bucket: str) -> dict[str, Any]:
    """moto's unfinished uploads of a bucket, by upload id (each with `.key_name` and `.parts`)."""
    from moto.s3.models import s3_backends

    return dict(s3_backends[ACCOUNT]["aws"].get_bucket(bucket).multiparts)


# ---------------------------------------------------------------- Glue additions to moto


def _install_glue_additions() -> None:
    """Classifiers, UpdateCrawler, GetCrawlerMetrics and real crawl statuses, which moto 5.2 lacks."""
    from moto.core.responses import ActionResult, EmptyResult
    from moto.glue import models
    from moto.glue.exceptions import AlreadyExistsException, CrawlerRunningException, EntityNotFoundException
    from moto.glue.responses import GlueResponse

    if getattr(GlueResponse, "_ingest_additions", False):
        return

    def classifiers(backend: Any) -> dict[str, dict[str, Any]]:
        if not hasattr(backend, "ingest_classifiers"):
            backend.ingest_classifiers = {}
        return backend.ingest_classifiers

    def create_classifier(self: Any) -> Any:
        wanted = self.parameters["CsvClassifier"]
        store = classifiers(self.glue_backend)
        if wanted["Name"] in store:
            raise AlreadyExistsException("Classifier")
        store[wanted["Name"]] = {**wanted, "Version": 1, "CreationTime": dt.datetime.now(dt.UTC)}
        return EmptyResult()

    def get_classifier(self: Any) -> Any:
        name = self.parameters["Name"]
        found = classifiers(self.glue_backend).get(name)
        if found is None:
            raise EntityNotFoundException(f"Classifier {name} not found.")
        return ActionResult({"Classifier": {"CsvClassifier": found}})

    def update_classifier(self: Any) -> Any:
        wanted = self.parameters["CsvClassifier"]
        store = classifiers(self.glue_backend)
        if wanted["Name"] not in store:
            raise EntityNotFoundException(f"Classifier {wanted['Name']} not found.")
        store[wanted["Name"]] = {**store[wanted["Name"]], **wanted, "Version": store[wanted["Name"]]["Version"] + 1}
        return EmptyResult()

    def update_crawler(self: Any) -> Any:
        crawler = self.glue_backend.get_crawler(self.parameters["Name"])
        if crawler.status != "READY":
            raise CrawlerRunningException(f"Crawler with name {crawler.name} is running")
        fields = {
            "Role": "role",
            "DatabaseName": "database_name",
            "Description": "description",
            "Targets": "targets",
            "Classifiers": "classifiers",
            "TablePrefix": "table_prefix",
            "SchemaChangePolicy": "schema_change_policy",
            "RecrawlPolicy": "recrawl_policy",
            "Configuration": "configuration",
        }
        for name, attribute in fields.items():
            if name in self.parameters:
                setattr(crawler, attribute, self.parameters[name])
        crawler.version += 1
        return EmptyResult()

    def get_crawler_metrics(self: Any) -> Any:
        metrics = []
        for name in self.parameters.get("CrawlerNameList", []):
            crawler = self.glue_backend.get_crawler(name)
            metrics.append({"CrawlerName": name, **getattr(crawler, "ingest_metrics", {})})
        return ActionResult({"CrawlerMetricsList": metrics})

    for function in (create_classifier, get_classifier, update_classifier, update_crawler, get_crawler_metrics):
        setattr(GlueResponse, function.__name__, function)

    def status(self: Any) -> str:
        if not self.crawls:
            return "READY"
        last = self.crawls[-1].status
        return last if last in ("RUNNING", "STOPPING") else "READY"

    original_as_dict = models.FakeCrawler.as_dict

    def as_dict(self: Any) -> dict[str, Any]:
        data = original_as_dict(self)
        if self.crawls and getattr(self.crawls[-1], "ingest_error", None):
            data["LastCrawl"]["ErrorMessage"] = self.crawls[-1].ingest_error
        return data

    models.FakeCrawler.status = property(status)  # type: ignore[assignment,method-assign]
    models.FakeCrawler.as_dict = as_dict  # type: ignore[method-assign]
    GlueResponse._ingest_additions = True  # type: ignore[attr-defined]


def glue_backend(region: str = REGION) -> Any:
    from moto.glue.models import glue_backends

    return glue_backends[ACCOUNT][region]


def table_input(
    columns: list[str] = NINE,
    types: list[str] = GLUE_TYPES,
    partition_keys: tuple[str, ...] = ("year", "month"),
    skip_header: bool = True,
    location: str = "s3://bucket/events/",
) -> dict[str, Any]:
    """A table as a Glue crawler writes it for CSV files with a header."""
    parameters = {"classification": "csv", "delimiter": ",", "typeOfData": "file"}
    if skip_header:
        parameters["skip.header.line.count"] = "1"
    return {
        "Name": "events",
        "StorageDescriptor": {
            "Columns": [{"Name": n, "Type": t} for n, t in zip(columns, types, strict=True)],
            "Location": location,
            "SerdeInfo": {
                "SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
                "Parameters": {"field.delim": ","},
            },
        },
        "PartitionKeys": [{"Name": k, "Type": "string"} for k in partition_keys],
        "Parameters": parameters,
        "TableType": "EXTERNAL_TABLE",
    }


@dataclass
class CrawlerScript:
    """Plays the Glue crawler `name`: once moto shows it RUNNING, makes the table and ends the crawl."""

    name: str
    status: str = "SUCCEEDED"
    error: str | None = None
    table: dict[str, Any] | None = field(default_factory=table_input)
    partitions: list[tuple[str, str]] = field(default_factory=lambda: [("2019", "10"), ("2019", "11")])
    running_for: float = 0.3
    done: threading.Event = field(default_factory=threading.Event)

    def _play(self) -> None:
        backend = glue_backend()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            crawler = backend.crawlers.get(self.name)
            if crawler is not None and crawler.crawls and crawler.crawls[-1].status == "RUNNING":
                break
            time.sleep(0.02)
        else:
            return
        time.sleep(self.running_for)
        if self.table is not None and self.status == "SUCCEEDED":
            database = crawler.database_name
            backend.databases[database].tables.pop("events", None)
            backend.create_table(database, "events", self.table)
            for values in self.partitions:
                backend.create_partition(database, "events", {"Values": list(values)})
            crawler.ingest_metrics = {
                "TablesCreated": 1,
                "TablesUpdated": 0,
                "TablesDeleted": 0,
                "LastRuntimeSeconds": 42.0,
            }
        crawl = crawler.crawls[-1]
        crawl.ingest_error = self.error
        crawl.status = self.status
        self.done.set()

    @contextmanager
    def playing(self) -> Iterator[CrawlerScript]:
        thread = threading.Thread(target=self._play, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            thread.join(timeout=65)


# ---------------------------------------------------------------- the server and the CLI


class StandIn:
    """The moto server, its fault layer, and helpers to run the CLI against it."""

    def __init__(self) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app

        _install_glue_additions()
        _install_s3_additions()

        class Quiet(MotoRequestHandler):
            def log_request(self, *args: Any, **kwargs: Any) -> None:
                pass

        self.faults = Faults(DomainDispatcherApplication(create_backend_app))
        self._server = make_server("127.0.0.1", 0, self.faults, threaded=True, request_handler=Quiet)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def env(self, tmp: Path, credentials: bool = True, **extra: str) -> dict[str, str]:
        """The environment of a user whose AWS is this server; no ~/.aws files, no ECOM_* settings."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in _ENV_OURS}
        env.update(
            AWS_ENDPOINT_URL=self.url,
            AWS_DEFAULT_REGION=REGION,
            AWS_CONFIG_FILE=str(tmp / "no-aws-config"),
            AWS_SHARED_CREDENTIALS_FILE=str(tmp / "no-aws-credentials"),
            AWS_EC2_METADATA_DISABLED="true",
        )
        if credentials:
            env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
        env.update(extra)
        return env

    def client(self, service: str) -> Any:
        # boto3-stubs types a client per literal service name; tests ask for several by name.
        return boto3.client(  # type: ignore[call-overload]
            service,
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def bucket(self, name: str) -> str:
        """A fresh, empty bucket."""
        s3 = self.client("s3")
        existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
        if name in existing:
            for upload in s3.list_multipart_uploads(Bucket=name).get("Uploads", []):
                s3.abort_multipart_upload(Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"])
            for obj in s3.list_objects_v2(Bucket=name).get("Contents", []):
                s3.delete_object(Bucket=name, Key=obj["Key"])
        else:
            s3.create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str, manifest: bool = False) -> list[str]:
        """Every key, less the landing manifest's unless asked (tests/python/test_landing_manifest.py checks it)."""
        found = self.client("s3").list_objects_v2(Bucket=bucket).get("Contents", [])
        return sorted(obj["Key"] for obj in found if manifest or f"/{MANIFEST_FOLDER}/" not in f"/{obj['Key']}")

    def unfinished_uploads(self, bucket: str) -> list[str]:
        return [u["Key"] for u in self.client("s3").list_multipart_uploads(Bucket=bucket).get("Uploads", [])]

    @contextmanager
    def hold(self, matches: Callable[[Seen], bool]) -> Iterator[Hold]:
        """Hold matching requests (after the fault rules, before moto) until released or the block ends."""
        hold = Hold(self.faults._app, matches)
        self.faults._app = hold
        try:
            yield hold
        finally:
            hold.release()
            self.faults._app = hold.app

    def upload_ids(self, bucket: str) -> list[str]:
        return sorted(s3_multiparts(bucket))

    def age_upload(self, bucket: str, upload_id: str, hours: float) -> None:
        """Make an unfinished upload look as if it had been initiated `hours` earlier."""
        uploads = s3_multiparts(bucket)
        assert upload_id in uploads, f"the upload {upload_id} is no longer unfinished in {bucket}"
        uploads[upload_id].ingest_initiated -= dt.timedelta(hours=hours)

    def wait_for_part(
        self, bucket: str, process: subprocess.Popen[str], besides: tuple[str, ...] = (), timeout: float = 30
    ) -> str:
        """The id of an unfinished upload (not one of `besides`) once moto holds a part of it."""
        deadline = time.monotonic() + timeout
        while True:
            for upload_id, upload in s3_multiparts(bucket).items():
                if upload_id not in besides and upload.parts:
                    return upload_id
            assert process.poll() is None, ("the landing ended before its upload started", process.communicate())
            assert time.monotonic() < deadline, "the upload did not start"
            time.sleep(0.02)


_STAND_IN: list[StandIn] = []


def stand_in() -> StandIn:
    """The session's moto server (started on first use), faults cleared for the calling test."""
    if not _STAND_IN:
        _STAND_IN.append(StandIn())
    _STAND_IN[0].faults.reset()
    return _STAND_IN[0]


def run(*args: str | Path, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`python -m ingest ...` with the given environment."""
    return subprocess.run(
        [sys.executable, "-m", "ingest", *map(str, args)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


def start(*args: str | Path, env: dict[str, str]) -> subprocess.Popen[str]:
    """`python -m ingest ...` in the background, to be interrupted."""
    return subprocess.Popen(
        [sys.executable, "-m", "ingest", *map(str, args)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> str:
    """Exit 2, one line on stderr starting `error: `, no traceback, containing every word."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]
