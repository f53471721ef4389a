"""The names a pull request's Athena run builds under: every schema it makes is
`pr_<pull request number>_<workflow run id>_<schema>` (dbt's `schema_prefix` var,
macros/generate_schema_name.sql), and its Iceberg data is under `<data dir>/<that schema>/`
(dbt-athena's `s3_data_naming: schema_table_unique`). A prefix of that exact shape is the only
one `drop` accepts: production's databases (staging, marts, ...) can never match it."""

from __future__ import annotations

import re

from athena_scratch.errors import ScratchError

PULL_REQUEST_PREFIX = re.compile(r"^pr_[0-9]+_[0-9]+_$")


def pull_request_prefix(number: int, run_id: int) -> str:
    """The schema prefix of one workflow run of one pull request."""
    if number <= 0 or run_id <= 0:
        raise ScratchError(f"A pull request number and a run id are positive, not {number} and {run_id}.")
    return f"pr_{number}_{run_id}_"


def checked_prefix(prefix: str) -> str:
    """`prefix` if it names one pull request run's schemas, else a ScratchError."""
    if not PULL_REQUEST_PREFIX.match(prefix):
        raise ScratchError(
            f"--prefix must be a pull request run's schema prefix, pr_<number>_<run id>_ (e.g. pr_12_3456_), "
            f"not {prefix!r}."
        )
    return prefix


def data_prefix(data_dir: str, prefix: str) -> tuple[str, str]:
    """The bucket and key prefix under which the run's tables keep their data."""
    if not data_dir.startswith("s3://") or not data_dir.removeprefix("s3://").split("/", 1)[0]:
        raise ScratchError(f"--data-dir must be an s3://bucket/path/ URI (ECOM_ATHENA_DATA_DIR), not {data_dir!r}.")
    bucket, _, path = data_dir.removeprefix("s3://").partition("/")
    path = path.strip("/")
    return bucket, f"{path}/{prefix}" if path else prefix
