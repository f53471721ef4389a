"""`make athena-smoke` refuses cleanly, touching nothing, when settings or credentials are missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO


def run_smoke(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aws_smoke"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def clean_environment(tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "ECOM_"))}
    env |= {
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_REGION": "us-east-1",
    }
    return env


def test_without_settings_it_lists_what_it_needs(tmp_path: Path) -> None:
    result = run_smoke(clean_environment(tmp_path))

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    for name in ("ECOM_S3_BUCKET", "ECOM_ATHENA_STAGING_DIR", "ECOM_ATHENA_DATA_DIR", "ECOM_CRAWLER_ROLE_ARN"):
        assert name in result.stderr
    assert "$ " not in result.stdout, "no step ran"


def test_without_credentials_it_stops_before_creating_anything(tmp_path: Path) -> None:
    env = clean_environment(tmp_path) | {
        "ECOM_S3_BUCKET": "my-bucket",
        "ECOM_ATHENA_STAGING_DIR": "s3://my-results/",
        "ECOM_ATHENA_DATA_DIR": "s3://my-warehouse/dbt/",
        "ECOM_CRAWLER_ROLE_ARN": "arn:aws:iam::123456789012:role/crawler",
    }
    result = run_smoke(env)

    assert result.returncode == 2
    assert "no usable AWS credentials" in result.stderr and "nothing was created" in result.stderr
    assert "Traceback" not in result.stderr
    assert "$ " not in result.stdout and "removed" not in result.stdout
