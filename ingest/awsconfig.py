"""AWS configuration in one place: where the data goes (flags and environment, listed in
docs/landing.md), how to reach AWS (boto3 clients with standard retries), and what its errors
mean in one sentence."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from ingest.errors import IngestError

ENV_BUCKET = "ECOM_S3_BUCKET"
ENV_PREFIX = "ECOM_S3_PREFIX"
ENV_DATABASE = "ECOM_GLUE_DATABASE"
ENV_CRAWLER = "ECOM_CRAWLER_NAME"
ENV_ROLE_ARN = "ECOM_CRAWLER_ROLE_ARN"
ENV_MAX_ATTEMPTS = "AWS_MAX_ATTEMPTS"
# dbt's names for the same landing root and raw database (models/staging/ecommerce_raw/_ecommerce_raw__sources.yml).
ENV_DBT_RAW_URI = "ECOM_RAW_S3_URI"
ENV_DBT_DATABASE = "ECOM_RAW_DATABASE"

DEFAULT_DATABASE = "ecommerce_raw"
DEFAULT_CRAWLER = "ecommerce_raw_events"
DEFAULT_MAX_ATTEMPTS = 10
# The dbt source is `ecommerce_raw.events`; Glue names a table after its S3 folder.
TABLE_NAME = "events"

# S3 bucket naming rules, enough to catch a typo before any request is made.
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


@dataclass(frozen=True)
class S3Location:
    """A bucket and a key prefix (no leading or trailing slash; may be empty)."""

    bucket: str
    prefix: str

    def key(self, relative: str) -> str:
        return f"{self.prefix}/{relative}" if self.prefix else relative

    @property
    def events_prefix(self) -> str:
        """Key prefix of the raw layout, ending in a slash: `<prefix>/events/`."""
        return self.key(f"{TABLE_NAME}/")

    def url(self, key: str | None = None) -> str:
        return f"s3://{self.bucket}/{self.prefix if key is None else key}".rstrip("/")


def is_s3_url(text: str) -> bool:
    return text.startswith("s3://")


def parse_s3_url(text: str) -> S3Location:
    """`s3://bucket/prefix` as a location, or IngestError saying what is wrong with it."""
    if not is_s3_url(text):
        raise IngestError(f"'{text}' is not an S3 location like s3://bucket/prefix.")
    bucket, _, prefix = text[len("s3://") :].partition("/")
    if not _BUCKET_NAME.match(bucket) or ".." in bucket:
        raise IngestError(f"'{bucket}' in {text} is not a valid S3 bucket name.")
    return S3Location(bucket=bucket, prefix=prefix.strip("/"))


def dest_from_environment() -> str | None:
    """`s3://$ECOM_S3_BUCKET/$ECOM_S3_PREFIX`, else $ECOM_RAW_S3_URI, else None."""
    bucket = os.environ.get(ENV_BUCKET, "").strip()
    if not bucket:
        return os.environ.get(ENV_DBT_RAW_URI, "").strip() or None
    prefix = os.environ.get(ENV_PREFIX, "").strip("/ ")
    return f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}"


def require_s3_location(dest: str | None) -> S3Location:
    """The S3 location from --dest or the environment, for commands that only work on S3."""
    text = dest or dest_from_environment()
    if text is None:
        raise IngestError(
            f"No S3 location given: pass --dest s3://bucket/prefix or set {ENV_BUCKET} (and {ENV_PREFIX})."
        )
    return parse_s3_url(text)


def default_database() -> str:
    return os.environ.get(ENV_DATABASE) or os.environ.get(ENV_DBT_DATABASE) or DEFAULT_DATABASE


def default_max_attempts() -> int:
    text = os.environ.get(ENV_MAX_ATTEMPTS, "")
    return int(text) if text.isdigit() and int(text) > 0 else DEFAULT_MAX_ATTEMPTS


@dataclass(frozen=True)
class AwsOptions:
    """How to reach AWS: credentials profile, region, and retry budget per call."""

    region: str | None = None
    profile: str | None = None
    max_attempts: int = DEFAULT_MAX_ATTEMPTS

    def for_dry_run(self) -> AwsOptions:
        """Few attempts: a dry run should say quickly that it cannot reach AWS."""
        return replace(self, max_attempts=min(self.max_attempts, 2))


class Aws:
    """A boto3 session and the clients made from it, all with the same retry and timeout settings."""

    def __init__(self, options: AwsOptions, max_pool_connections: int = 10) -> None:
        import boto3
        from botocore.exceptions import ProfileNotFound

        self.options = options
        try:
            # region/profile None: boto3 falls back to AWS_REGION/AWS_DEFAULT_REGION, AWS_PROFILE, config files.
            self.session = boto3.Session(profile_name=options.profile, region_name=options.region)
        except ProfileNotFound as error:
            raise IngestError(describe_error(error, "opening the AWS session")) from error
        self._max_pool_connections = max_pool_connections
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            from botocore.config import Config

            config = Config(
                # Standard mode retries throttling, 5xx and dropped connections with backoff and jitter;
                # total_max_attempts counts the first try too (botocore's max_attempts would not).
                retries={"mode": "standard", "total_max_attempts": self.options.max_attempts},
                connect_timeout=10,
                read_timeout=120,
                max_pool_connections=self._max_pool_connections,
                user_agent_extra="ecommerce-ingest",
            )
            with aws_errors(f"setting up the {service} client"):
                # boto3-stubs types a client per literal service name; this cache serves any name.
                self._clients[service] = self.session.client(service, config=config)  # type: ignore[call-overload]
        return self._clients[service]

    def endpoint(self, service: str) -> str:
        return str(self.client(service).meta.endpoint_url)


_CREDENTIAL_CODES = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidToken",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "TokenRefreshRequired",
}
_DENIED_CODES = {"AccessDenied", "AccessDeniedException", "403", "Forbidden", "AllAccessDisabled"}
_THROTTLING_CODES = {
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
}


def _one_line(text: object) -> str:
    return " ".join(str(text).split()).rstrip(".")


def describe_client_error(error: Any, doing: str) -> str:
    """One sentence for an AWS service error (botocore ClientError)."""
    details = error.response.get("Error", {})
    code = str(details.get("Code", "Unknown"))
    message = _one_line(details.get("Message") or code)
    attempts = error.response.get("ResponseMetadata", {}).get("RetryAttempts", 0) + 1
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    if code in _DENIED_CODES:
        return f"Access denied while {doing} ({message}); check the IAM permissions of your AWS identity."
    if code in _CREDENTIAL_CODES:
        return f"AWS rejected the credentials while {doing} ({code}: {message}); refresh them or check AWS_PROFILE."
    if code == "NoSuchBucket":
        bucket = details.get("BucketName")
        named = f"The S3 bucket '{bucket}'" if bucket else "The S3 bucket"
        return f"{named} does not exist (while {doing}); create it or fix --dest."
    if code in _THROTTLING_CODES:
        return f"AWS kept throttling the requests while {doing}, even after {attempts} attempt(s); try again later."
    if code == "CrawlerRunningException":
        return f"The crawler is already running (while {doing}); wait for it to finish, then run the command again."
    if status >= 500:
        return f"AWS kept failing with {code} while {doing}, even after {attempts} attempt(s); try again later."
    return f"AWS refused the request while {doing} ({code}: {message})."


def describe_error(error: Exception, doing: str) -> str:
    """One sentence for any boto3/botocore failure."""
    from botocore import exceptions as bex

    if isinstance(error, bex.ClientError):
        return describe_client_error(error, doing)
    if isinstance(error, bex.NoCredentialsError | bex.PartialCredentialsError | bex.CredentialRetrievalError):
        return (
            f"No usable AWS credentials were found while {doing}: set AWS_PROFILE (or --profile), "
            "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY."
        )
    if isinstance(error, bex.ProfileNotFound):
        return f"The AWS profile '{error.kwargs.get('profile')}' is not in your AWS config files."
    if isinstance(error, bex.NoRegionError):
        return f"No AWS region is set while {doing}: pass --region or set AWS_REGION."
    if isinstance(error, bex.EndpointConnectionError | bex.ConnectionClosedError | bex.ConnectTimeoutError):
        endpoint = error.kwargs.get("endpoint_url", "the AWS endpoint")
        return f"Could not reach {endpoint} while {doing}; check the network or AWS_ENDPOINT_URL."
    if isinstance(error, bex.ReadTimeoutError):
        return f"AWS stopped answering while {doing} (read timeout); try again later."
    return f"The AWS SDK failed while {doing}: {_one_line(error)}."


@contextmanager
def aws_errors(doing: str) -> Iterator[None]:
    """Turn any boto3/botocore exception raised inside into an IngestError of one sentence."""
    from boto3.exceptions import Boto3Error
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except (BotoCoreError, ClientError, Boto3Error) as error:
        raise IngestError(describe_error(error, doing)) from error


def error_code(error: BaseException) -> str:
    """The AWS error code of a ClientError, or '' for anything else."""
    response = getattr(error, "response", None)
    return str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""
