"""A deployed stack's outputs as the environment variables the project reads.

Each output key of infra/ecommerce-analytics.yaml maps to one variable (`OUTPUT_TO_ENV`); the
template's output descriptions name the same variables, and tests/python/test_infra.py checks
that both agree and that every variable read by profiles.yml.example, ingest and deploy.yml is
among them.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping
from typing import Any

# output key -> environment variable
OUTPUT_TO_ENV: dict[str, str] = {
    "AwsRegion": "AWS_REGION",
    "EcomAwsAccountId": "ECOM_AWS_ACCOUNT_ID",
    "EcomRawS3Uri": "ECOM_RAW_S3_URI",
    "EcomS3Bucket": "ECOM_S3_BUCKET",
    "EcomS3Prefix": "ECOM_S3_PREFIX",
    "EcomGlueDatabase": "ECOM_GLUE_DATABASE",
    "EcomCrawlerRoleArn": "ECOM_CRAWLER_ROLE_ARN",
    "EcomAthenaStagingDir": "ECOM_ATHENA_STAGING_DIR",
    "EcomAthenaDataDir": "ECOM_ATHENA_DATA_DIR",
    "EcomAthenaWorkgroup": "ECOM_ATHENA_WORKGROUP",
    "DbtStateBucket": "DBT_STATE_BUCKET",
    "AwsDeployRoleArn": "AWS_DEPLOY_ROLE_ARN",
    "AwsPrRoleArn": "AWS_PR_ROLE_ARN",
    "EcomLandingPolicyArn": "ECOM_LANDING_POLICY_ARN",
    "EcomDbtPolicyArn": "ECOM_DBT_POLICY_ARN",
    "EcomQuickSightPolicyArn": "ECOM_QUICKSIGHT_POLICY_ARN",
    "EcomDbtStatePolicyArn": "ECOM_DBT_STATE_POLICY_ARN",
}

# A stack in one of these states has the outputs of a finished create or update.
COMPLETE_STATES = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE"})


class InfraError(Exception):
    """A problem reported to the user in one line."""


def environment_of(outputs: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """The environment variables of a stack's outputs (describe_stacks' `Outputs`), in OUTPUT_TO_ENV order."""
    by_key = {str(output["OutputKey"]): str(output.get("OutputValue", "")) for output in outputs}
    missing = [key for key in OUTPUT_TO_ENV if key not in by_key]
    if missing:
        raise InfraError(
            f"the stack has no output {', '.join(missing)}: was it deployed from infra/ecommerce-analytics.yaml?"
        )
    return {env: by_key[key] for key, env in OUTPUT_TO_ENV.items()}


def export_lines(environment: Mapping[str, str]) -> list[str]:
    """`export NAME='value'` lines, each value quoted for a POSIX shell."""
    return [f"export {name}={shlex.quote(value)}" for name, value in environment.items()]


def describe_stack(stack: str, region: str | None, profile: str | None) -> dict[str, Any]:
    """The stack as CloudFormation describes it, or InfraError in one sentence."""
    import boto3
    from botocore import exceptions as bex

    doing = f"describing the stack '{stack}'"
    try:
        session = boto3.Session(region_name=region, profile_name=profile)
        client = session.client("cloudformation")
        stacks = client.describe_stacks(StackName=stack)["Stacks"]
    except bex.ClientError as error:
        details = error.response.get("Error", {})
        message = " ".join(str(details.get("Message", "")).split())
        if "does not exist" in message:
            raise InfraError(f"there is no stack '{stack}' in {client.meta.region_name}") from None
        raise InfraError(f"AWS refused {doing} ({details.get('Code', 'Unknown')}: {message})") from None
    except (bex.NoCredentialsError, bex.PartialCredentialsError, bex.CredentialRetrievalError):
        raise InfraError(f"no usable AWS credentials for {doing}: set AWS_PROFILE or AWS_ACCESS_KEY_ID") from None
    except bex.ProfileNotFound as error:
        raise InfraError(f"the AWS profile '{error.kwargs.get('profile')}' is not in your AWS config") from None
    except bex.NoRegionError:
        raise InfraError(f"no AWS region for {doing}: pass --region or set AWS_REGION") from None
    except bex.BotoCoreError as error:
        raise InfraError(f"the AWS SDK failed while {doing}: {' '.join(str(error).split())}") from None
    if not stacks:
        raise InfraError(f"there is no stack '{stack}'")
    return dict(stacks[0])


def stack_environment(stack: str, region: str | None = None, profile: str | None = None) -> dict[str, str]:
    """The environment variables of a deployed, complete stack."""
    described = describe_stack(stack, region, profile)
    status = str(described.get("StackStatus", ""))
    if status not in COMPLETE_STATES:
        raise InfraError(f"the stack '{stack}' is {status}, not complete: wait for it or fix it, then run again")
    return environment_of(described.get("Outputs", []))
