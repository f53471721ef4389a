"""`python -m dashboard quicksight deploy`: its settings, the printed plan, and the deploy.

What it deploys and how: docs/quicksight.md.
"""

from __future__ import annotations

import argparse
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, TextIO

from dashboard.errors import DashboardError
from dashboard.exposure import exposure_marts, load_manifest
from dashboard.quicksight_apply import apply
from dashboard.quicksight_definition import DEFINITION_VERSION
from dashboard.quicksight_desired import DASHBOARD, DATA_SET, DATA_SOURCE, Desired, Settings, desired_resources
from dashboard.quicksight_plan import Step, plan

ENV_ACCOUNT = "ECOM_AWS_ACCOUNT_ID"
ENV_WORKGROUP = "ECOM_ATHENA_WORKGROUP"
ENV_CATALOG = "ECOM_ATHENA_CATALOG"
ENV_PRINCIPAL = "ECOM_QUICKSIGHT_PRINCIPAL_ARN"
UNKNOWN_ACCOUNT = "<account-id>"


def settings_from_args(args: argparse.Namespace) -> Settings:
    """The deploy settings from the command line (each flag is named after its Settings field)."""
    if not args.principal_arn:
        raise DashboardError(
            f"no QuickSight principal: pass --principal-arn or set {ENV_PRINCIPAL} (a user "
            "or group ARN such as arn:aws:quicksight:us-east-1:111122223333:user/default/me)"
        )
    if not re.fullmatch(r"[\w\-]+", args.id_prefix):
        raise DashboardError(f"--id-prefix '{args.id_prefix}' may only hold letters, digits, _ and -")
    flags = {field.name for field in fields(Settings)} & vars(args).keys()
    return Settings(
        **{name: getattr(args, name) for name in flags}, import_mode="SPICE" if args.spice else "DIRECT_QUERY"
    )


def add_settings_arguments(parser: argparse.ArgumentParser) -> None:
    env = os.environ.get
    parser.add_argument(
        "--principal-arn",
        default=env(ENV_PRINCIPAL),
        help=f"QuickSight user or group ARN given owner rights (default ${ENV_PRINCIPAL})",
    )
    parser.add_argument(
        "--account-id",
        default=env(ENV_ACCOUNT),
        help=f"AWS account id (default ${ENV_ACCOUNT}, else the caller's, from STS)",
    )
    parser.add_argument(
        "--region",
        default=env("AWS_REGION") or env("AWS_DEFAULT_REGION"),
        help="AWS region of QuickSight and Athena (default $AWS_REGION, else the profile's)",
    )
    parser.add_argument("--profile", default=env("AWS_PROFILE"), help="AWS profile (default $AWS_PROFILE)")
    parser.add_argument(
        "--workgroup",
        default=env(ENV_WORKGROUP, "primary"),
        help=f"Athena workgroup of the data source (default ${ENV_WORKGROUP} or primary)",
    )
    parser.add_argument(
        "--catalog", default=env(ENV_CATALOG, "AwsDataCatalog"), help="Athena data catalog (default AwsDataCatalog)"
    )
    parser.add_argument(
        "--schema",
        default=None,
        help="Glue database holding the marts (default: each mart's schema in the dbt manifest, marts)",
    )
    parser.add_argument(
        "--spice", action="store_true", help="import the datasets into SPICE instead of querying Athena directly"
    )
    parser.add_argument("--id-prefix", default="ecommerce", help="prefix of every resource id (default ecommerce)")


def describe_plan(steps: Sequence[Step]) -> list[str]:
    width = max((len(step.label) for step in steps), default=0)
    lines = []
    for step in steps:
        detail = f" ({', '.join(step.changes)})" if step.changes else ""
        if any(call.operation in (DASHBOARD.create, DASHBOARD.update) for call in step.calls):
            detail += ", then publish the new version"
        lines.append(f"  {step.label:<{width}}  {step.action}{detail}")
    return lines


def describe_desired(resources: Sequence[Desired]) -> list[str]:
    """The desired resources, for a dry run that cannot reach AWS."""
    lines = []
    for desired in resources:
        params = desired.params
        if desired.kind is DATA_SOURCE:
            what = f"Athena workgroup {params['DataSourceParameters']['AthenaParameters']['WorkGroup']}"
        elif desired.kind is DATA_SET:
            (table,) = params["PhysicalTableMap"].values()
            relational = table["RelationalTable"]
            columns = ", ".join(f"{c['Name']} {c['Type']}" for c in relational["InputColumns"])
            what = (
                f"{relational['Catalog']}.{relational['Schema']}.{relational['Name']} {params['ImportMode']}: {columns}"
            )
        else:
            visuals = sum(len(sheet["Visuals"]) for sheet in params["Definition"]["Sheets"])
            what = f"'{params['Name']}', {visuals} visuals, definition version {DEFINITION_VERSION}"
        lines.append(f"  {desired.kind.noun} {desired.resource_id}: {what}")
    return lines


def deploy(
    client: Any,
    account: str,
    resources: Sequence[Desired],
    principal: str,
    *,
    dry_run: bool,
    out: TextIO,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Step]:
    """Plan, print the plan, and (unless a dry run) apply it."""
    steps = plan(client, account, resources, principal)
    print(f"QuickSight plan for account {account} (definition version {DEFINITION_VERSION}):", file=out)
    print("\n".join(describe_plan(steps)), file=out)
    pending = [step for step in steps if step.calls]
    if dry_run:
        print(f"dry run: {len(pending)} of {len(steps)} resources would change; nothing was changed", file=out)
        return steps
    apply(client, pending, sleep)
    print(f"deployed: {len(pending)} of {len(steps)} resources changed", file=out)
    return steps


def _session(settings: Settings) -> Any:
    import boto3
    from botocore.exceptions import BotoCoreError

    try:
        return boto3.Session(profile_name=settings.profile or None, region_name=settings.region or None)
    except BotoCoreError as error:
        raise DashboardError(str(error)) from None


def _caller_account(session: Any) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return session.client("sts").get_caller_identity()["Account"]
    except (BotoCoreError, ClientError) as error:
        raise DashboardError(f"cannot find the AWS account ({error}); set {ENV_ACCOUNT} or --account-id") from None


def _print_desired(resources: Sequence[Desired], reason: str, out: TextIO) -> None:
    print(f"dry run without AWS access ({reason}); the desired resources:", file=out)
    print("\n".join(describe_desired(resources)), file=out)


def deploy_command(settings: Settings, *, manifest_path: Path, dry_run: bool, out: TextIO) -> int:
    """`python -m dashboard quicksight deploy`: settings in, plan printed, resources deployed."""
    marts = exposure_marts(load_manifest(manifest_path))
    session = _session(settings)
    settings = replace(settings, region=settings.region or session.region_name)
    try:
        if not settings.region:
            raise DashboardError("no AWS region: pass --region or set AWS_REGION")
        account = settings.account_id or _caller_account(session)
    except DashboardError as error:
        if not dry_run:
            raise
        # Without AWS there is nothing to compare with: show what would be deployed.
        _print_desired(desired_resources(settings, settings.account_id or UNKNOWN_ACCOUNT, marts), str(error), out)
        return 0
    resources = desired_resources(settings, account, marts)
    from botocore.config import Config

    client = session.client("quicksight", config=Config(retries={"max_attempts": 10, "mode": "adaptive"}))
    try:
        deploy(client, account, resources, settings.principal_arn, dry_run=dry_run, out=out)
    except DashboardError as error:
        if not dry_run:
            raise
        _print_desired(resources, str(error), out)
    return 0
