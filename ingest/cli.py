"""Command line: `python -m ingest {land,crawl,load} --help`, raw files landed and catalogued.

A user mistake is reported as one line on stderr with exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from command_line import progress_line, run_command
from ingest.awsconfig import (
    DEFAULT_CRAWLER,
    DEFAULT_MAX_ATTEMPTS,
    ENV_BUCKET,
    ENV_CRAWLER,
    ENV_DATABASE,
    ENV_DBT_DATABASE,
    ENV_ROLE_ARN,
    AwsOptions,
    S3Location,
    default_database,
    default_max_attempts,
    dest_from_environment,
    is_s3_url,
    parse_s3_url,
    require_s3_location,
)
from ingest.awsconfig import DEFAULT_DATABASE as DEFAULT_GLUE_DATABASE
from ingest.crawl import DEFAULT_POLL_SECONDS, DEFAULT_TIMEOUT_SECONDS, CrawlSettings
from ingest.errors import IngestError
from ingest.s3 import (
    DEFAULT_CONCURRENCY,
    DEFAULT_PART_SIZE_MIB,
    MIN_PART_SIZE_MIB,
    TransferOptions,
    dry_run_s3,
)


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from error
    if value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' must be at least 1")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from error
    if not value > 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"'{text}' must be more than 0")
    return value


def _part_size(text: str) -> int:
    value = _positive_int(text)
    if value < MIN_PART_SIZE_MIB:
        raise argparse.ArgumentTypeError(f"'{text}' is under S3's minimum part size of {MIN_PART_SIZE_MIB} MiB")
    return value


def _add_aws_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("AWS (endpoint: boto3's AWS_ENDPOINT_URL, e.g. a local moto server)")
    group.add_argument("--region", help="AWS region (default: AWS_REGION, AWS_DEFAULT_REGION or the profile's)")
    group.add_argument("--profile", help="AWS profile of ~/.aws/config (default: AWS_PROFILE)")
    group.add_argument(
        "--max-attempts",
        type=_positive_int,
        default=default_max_attempts(),
        help=f"attempts per AWS call, boto3 standard retry mode (default: AWS_MAX_ATTEMPTS or {DEFAULT_MAX_ATTEMPTS})",
    )


def _add_dest_option(parser: argparse.ArgumentParser, local_too: bool) -> None:
    what = "a folder (local raw layout) or s3://bucket/prefix" if local_too else "s3://bucket/prefix"
    parser.add_argument(
        "--dest",
        help=f"{what}; default s3://$ECOM_S3_BUCKET/$ECOM_S3_PREFIX, else $ECOM_RAW_S3_URI",
    )


def _add_upload_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("S3 upload (s3:// destination only)")
    group.add_argument("--gzip", action="store_true", help="compress plain .csv files on the way (key ends in .csv.gz)")
    group.add_argument(
        "--part-size",
        type=_part_size,
        default=DEFAULT_PART_SIZE_MIB,
        metavar="MIB",
        help=f"multipart threshold and part size, at least {MIN_PART_SIZE_MIB} (default {DEFAULT_PART_SIZE_MIB})",
    )
    group.add_argument(
        "--concurrency",
        type=_positive_int,
        default=DEFAULT_CONCURRENCY,
        help=f"parts uploaded at once (default {DEFAULT_CONCURRENCY})",
    )


def _add_crawl_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("Glue crawler")
    group.add_argument(
        "--database",
        default=default_database(),
        help=f"Glue database (default: {ENV_DATABASE}, {ENV_DBT_DATABASE} or {DEFAULT_GLUE_DATABASE})",
    )
    group.add_argument(
        "--crawler",
        default=os.environ.get(ENV_CRAWLER) or DEFAULT_CRAWLER,
        help=f"crawler name; its CSV classifier is NAME-csv (default: {ENV_CRAWLER} or {DEFAULT_CRAWLER})",
    )
    group.add_argument(
        "--role-arn",
        default=os.environ.get(ENV_ROLE_ARN) or None,
        help=f"IAM role the crawler runs as, needed to create it (default: {ENV_ROLE_ARN})",
    )
    group.add_argument(
        "--timeout",
        type=_positive_float,
        default=DEFAULT_TIMEOUT_SECONDS,
        metavar="SECONDS",
        help=f"give up waiting for the crawler after this long (default {DEFAULT_TIMEOUT_SECONDS:g})",
    )
    group.add_argument(
        "--poll-interval",
        type=_positive_float,
        default=DEFAULT_POLL_SECONDS,
        metavar="SECONDS",
        help=f"seconds between two looks at the crawler's state (default {DEFAULT_POLL_SECONDS:g})",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ingest",
        description="Land raw e-commerce clickstream files (Kaggle REES46 format), locally or in S3, and catalogue "
        "them with a Glue crawler.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    land = commands.add_parser(
        "land",
        help="put Kaggle-format CSVs into the raw layout DEST/events/year=YYYY/month=MM/, locally or in S3",
        description="Check every file's header, then copy each into DEST/events/year=YYYY/month=MM/ "
        "(the month of its first event). DEST is a folder or s3://bucket/prefix; in S3 each object "
        "carries the sha256 of its content, so landing the same content again uploads nothing.",
    )
    land.add_argument("--source", type=Path, required=True, help="a .csv or .csv.gz file, or a folder of them")
    _add_dest_option(land, local_too=True)
    land.add_argument("--dry-run", action="store_true", help="print what would be landed, land nothing")
    _add_upload_options(land)
    _add_aws_options(land)

    crawl = commands.add_parser(
        "crawl",
        help="catalog the landed S3 files with a Glue crawler and check the table it makes",
        description="Create or update the Glue database, a CSV classifier and a crawler over "
        "s3://bucket/prefix/events/, start the crawler, wait for it, report what it did, and check "
        "that the table events has the nine Kaggle columns and the partition keys year, month.",
    )
    _add_dest_option(crawl, local_too=False)
    crawl.add_argument("--dry-run", action="store_true", help="print the definitions, create and start nothing")
    _add_crawl_options(crawl)
    _add_aws_options(crawl)

    load = commands.add_parser(
        "load",
        help="land in S3, then crawl: the two commands in one",
        description="`land` to s3://bucket/prefix, then `crawl` the same location.",
    )
    load.add_argument("--source", type=Path, required=True, help="a .csv or .csv.gz file, or a folder of them")
    _add_dest_option(load, local_too=False)
    load.add_argument("--dry-run", action="store_true", help="print both plans, upload and create nothing")
    _add_upload_options(load)
    _add_crawl_options(load)
    _add_aws_options(load)

    return parser


def run_land(args: argparse.Namespace) -> int:
    dest = args.dest or dest_from_environment()
    if dest is None:
        raise IngestError(f"No destination given: pass --dest (a folder, or s3://bucket/prefix) or set {ENV_BUCKET}.")
    if is_s3_url(dest):
        if args.dry_run:
            dry_run_s3(args.source, parse_s3_url(dest), _aws_options(args), _transfer_options(args))
            return 0
        _land_in_s3(args, parse_s3_url(dest))
        return 0
    if args.gzip:
        raise IngestError("--gzip applies only to an s3:// destination; the local landing keeps files as they are.")
    return _land_locally(args.source, Path(dest), args.dry_run)


def _land_locally(source: Path, dest: Path, dry_run: bool) -> int:
    from ingest.land import LandedFile, land, plan
    from ingest.manifest import LocalManifest

    progress = progress_line("land")
    if dry_run:
        for planned in plan(source, progress, dest):
            target = dest / planned.relative_destination() if planned.has_data else "(header only: skipped)"
            print(f"would land    {planned.source} -> {target}")
        return 0

    def say(item: LandedFile) -> None:
        print(f"{item.outcome:<14}{item.source} -> {item.destination}", flush=True)

    manifest = LocalManifest(dest)  # read before anything lands: a damaged one stops the run here
    landed = land(source, dest, on_landed=say, progress=progress)
    written = sum(item.bytes_written for item in landed)
    print(f"{len(landed)} file(s): {_counts(item.outcome for item in landed)}; {written / 1e6:,.1f} MB written")
    print(manifest.record(manifest.candidates(landed)))
    return 0


def _counts(outcomes: Iterable[str]) -> str:
    tally = Counter(outcomes)
    return ", ".join(f"{count} {outcome}" for outcome, count in sorted(tally.items()))


def _aws_options(args: argparse.Namespace) -> AwsOptions:
    return AwsOptions(region=args.region, profile=args.profile, max_attempts=args.max_attempts)


def _transfer_options(args: argparse.Namespace) -> TransferOptions:
    return TransferOptions(gzip=args.gzip, part_size_mib=args.part_size, concurrency=args.concurrency)


def _crawl_settings(args: argparse.Namespace, location: S3Location) -> CrawlSettings:
    return CrawlSettings(
        location=location,
        database=args.database,
        crawler=args.crawler,
        role_arn=args.role_arn,
        timeout=args.timeout,
        poll_interval=args.poll_interval,
    )


def _land_in_s3(args: argparse.Namespace, location: S3Location) -> None:
    from ingest.s3 import land_s3

    started = time.perf_counter()
    landed = land_s3(args.source, location, _aws_options(args), _transfer_options(args))
    elapsed = time.perf_counter() - started
    uploaded = sum(item.bytes_written for item in landed)
    print(
        f"{len(landed)} file(s): {_counts(item.outcome for item in landed)}; "
        f"{uploaded:,} bytes uploaded ({uploaded / 1e6:,.1f} MB) in {elapsed:.1f} s"
    )


def run_crawl(args: argparse.Namespace) -> int:
    from ingest.crawl import crawl, dry_run_crawl

    settings = _crawl_settings(args, require_s3_location(args.dest))
    if args.dry_run:
        dry_run_crawl(settings, _aws_options(args))
    else:
        crawl(settings, _aws_options(args))
    return 0


def run_load(args: argparse.Namespace) -> int:
    from ingest.crawl import crawl, dry_run_crawl

    location = require_s3_location(args.dest)
    settings = _crawl_settings(args, location)
    if args.dry_run:
        dry_run_s3(args.source, location, _aws_options(args), _transfer_options(args))
        dry_run_crawl(settings, _aws_options(args))
        return 0
    _land_in_s3(args, location)
    crawl(settings, _aws_options(args))
    return 0


COMMANDS = {"land": run_land, "crawl": run_crawl, "load": run_load}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(lambda: COMMANDS[args.command](args))
