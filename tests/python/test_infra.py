"""infra/: the CloudFormation template is lint-clean, least-privilege, and lines up with the project.

- cfn-lint and checkov pass (checkov from its own virtualenv .venv/infra, see the Makefile);
  every checkov suppression carries a reason and is still needed;
- parliament finds nothing in the identity and bucket policies, resolved to placeholder ARNs by
  infra/template.py (trust policies are not its input: the deploy role's is checked here);
- the project's own rules: no wildcard action; a `*` resource only for actions that have no
  resource-level permissions (STAR_ONLY); S3 object ARNs under a prefix; every bucket encrypted,
  public access blocked, TLS only; the deploy role trusted for exactly one GitHub subject;
  the pull-request role trusted for pull requests only, reading production and writing only
  its own pr_* databases, tables and data;
- the names match what ingest, dbt and deploy.yml use, and the outputs are their settings;
- deployed to moto (CloudFormation there creates the buckets, roles and policies; the Glue
  databases, the workgroup, the bucket policies and the OIDC provider it skips, so those are
  checked statically), `python -m infra exports` prints the settings, and with them
  `python -m ingest land` lands in the raw bucket and `dbt debug --target athena` renders the
  profile from the same values.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import re
import shlex
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from aws_fixtures import ACCOUNT, REGION, stand_in
from conftest import REPO, write_csv
from dashboard import quicksight
from infra import outputs, template
from ingest import awsconfig
from ingest.awsconfig import DEFAULT_CRAWLER, DEFAULT_DATABASE

TEMPLATE = REPO / "infra" / "ecommerce-analytics.yaml"
INFRA_BIN = REPO / ".venv" / "infra" / "bin"
BIN = Path(sys.executable).parent
KMS_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
# Both encryption choices: SSE-S3 (no key) and SSE-KMS.
VARIANTS = {
    "sse-s3": {"GitHubRepository": "acme/shop"},
    "sse-kms": {"GitHubRepository": "acme/shop", "KmsKeyArn": KMS_KEY},
}
# Actions allowed on Resource "*": they have no resource-level permissions, so no narrower
# resource exists (AWS Service Authorization Reference; parliament's IAM data agrees, checked below).
# parliament's findings accepted, each with its reason (community auditors included).
ACCEPTED_FINDINGS = {
    ("LandingPolicy", "PERMISSIONS_MANAGEMENT_ACTIONS"): (
        "iam:PassRole: the landing creates the crawler with its role; only that role, only to glue.amazonaws.com"
    ),
}
STAR_ONLY = {
    "glue:CreateCrawler": "the crawler to be created has no ARN to name yet",
    "glue:CreateClassifier": "Glue classifiers have no ARN",
    "glue:GetClassifier": "Glue classifiers have no ARN",
    "glue:UpdateClassifier": "Glue classifiers have no ARN",
    "glue:GetCrawlerMetrics": "authorized on * only",
}


def resolvers() -> Iterator[tuple[str, template.Resolver]]:
    data = template.load(TEMPLATE)
    for name, parameters in VARIANTS.items():
        yield name, template.Resolver(data, parameters)


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    found = document["Statement"]
    return found if isinstance(found, list) else [found]


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def run_tool(*command: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command], cwd=REPO, capture_output=True, text=True, check=False, timeout=timeout
    )


# ---------------------------------------------------------------- linters


@pytest.mark.scanner
def test_cfn_lint_passes() -> None:
    result = run_tool(BIN / "cfn-lint", TEMPLATE)
    assert result.returncode == 0, result.stdout + result.stderr


def checkov() -> Path:
    binary = INFRA_BIN / "checkov"
    if not binary.exists():
        pytest.fail(f"{binary} is missing: `make test` installs it (.venv/infra, infra/requirements-checkov.txt)")
    return binary


@pytest.mark.scanner
def test_checkov_finds_nothing_but_reasoned_suppressions() -> None:
    # --skip-download: no Prisma Cloud/Bridgecrew API (offline, no key), hence no severities:
    # every failed check counts, not only HIGH and CRITICAL ones.
    result = run_tool(checkov(), "-f", TEMPLATE, "--framework", "cloudformation", "--skip-download", "-o", "json")
    assert result.returncode in (0, 1), result.stderr[-2000:]
    report = json.loads(result.stdout)
    failed = [(c["check_id"], c["resource"], c["check_name"]) for c in report["results"]["failed_checks"]]
    serious = [c for c in report["results"]["failed_checks"] if c.get("severity") in (None, "HIGH", "CRITICAL")]
    assert not serious, failed
    assert report["summary"]["parsing_errors"] == 0
    skipped = {(c["check_id"], c["resource"].split(".", 1)[1]) for c in report["results"]["skipped_checks"]}
    declared = set()
    for logical_id, resource in template.load(TEMPLATE)["Resources"].items():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert str(skip.get("comment", "")).strip(), f"{logical_id}: checkov skip {skip['id']} without a reason"
            declared.add((skip["id"], logical_id))
    assert declared == skipped, f"suppressions that checkov no longer needs: {declared - skipped}"


def parliament_module() -> Any:
    try:
        import parliament
    except ImportError:
        pytest.fail("parliament is missing: `make test` installs it into .venv (requirements-infra.txt)")
    return parliament


@pytest.mark.scanner
@pytest.mark.parametrize("variant", VARIANTS)
def test_parliament_finds_no_issue(variant: str) -> None:
    parliament = parliament_module()
    resolver = dict(resolvers())[variant]
    issues = []
    for where, document in template.policy_documents(resolver):
        if where.endswith("trust policy"):
            continue  # an AssumeRole policy has no Resource: parliament reads identity and resource policies
        policy = parliament.analyze_policy_string(json.dumps(document), include_community_auditors=True)
        issues += [
            f"{where}: {f.issue} {f.detail}" for f in policy.findings if (where, f.issue) not in ACCEPTED_FINDINGS
        ]
    assert not issues, "\n".join(issues)


def test_star_only_actions_have_no_resource_types() -> None:
    parliament = parliament_module()
    for action in STAR_ONLY:
        service, name = action.split(":")
        (privilege,) = [
            p
            for s in parliament.iam_definition
            if s["prefix"] == service
            for p in s["privileges"]
            if p["privilege"] == name
        ]
        assert {r["resource_type"] for r in privilege["resource_types"]} == {""}, action


# ---------------------------------------------------------------- the project's own rules


@pytest.mark.parametrize("variant", VARIANTS)
def test_no_wider_permission_than_needed(variant: str) -> None:
    resolver = dict(resolvers())[variant]
    problems = []
    for where, document in template.policy_documents(resolver):
        for statement in statements(document):
            if statement["Effect"] != "Allow":
                continue
            actions = listed(statement.get("Action", []))
            assert "NotAction" not in statement and "NotResource" not in statement, where
            problems += [f"{where}: wildcard action {a}" for a in actions if "*" in a]
            if where.endswith("trust policy"):
                continue
            resources = listed(statement["Resource"])
            if "*" in resources:
                problems += [f"{where}: {a} on * (not in STAR_ONLY)" for a in actions if a not in STAR_ONLY]
            for arn in resources:
                if arn.startswith("arn:aws:s3:::") and "/" in arn:
                    prefix = arn.split("/", 1)[1]
                    if prefix in ("", "*"):
                        problems.append(f"{where}: objects of a whole bucket {arn}")
                if re.search(r":(role|policy|crawler|workgroup)/\*", arn) or arn.endswith(":*:*"):
                    problems.append(f"{where}: wildcard resource {arn}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_bucket_is_encrypted_private_and_tls_only(variant: str) -> None:
    resolver = dict(resolvers())[variant]
    resources = dict(resolver.active_resources())
    buckets = {i: r["Properties"] for i, r in resources.items() if r["Type"] == "AWS::S3::Bucket"}
    assert len(buckets) == 3
    denied: dict[str, set[str]] = {}
    for resource in resources.values():
        if resource["Type"] != "AWS::S3::BucketPolicy":
            continue
        for statement in statements(resource["Properties"]["PolicyDocument"]):
            if (
                statement["Effect"] == "Deny"
                and statement["Principal"] == "*"
                and statement["Action"] in ("s3:*", ["s3:*"])
                and statement.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
            ):
                denied.setdefault(resource["Properties"]["Bucket"], set()).update(listed(statement["Resource"]))
    for logical_id, bucket in buckets.items():
        name = bucket["BucketName"]
        (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        expected = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KMS_KEY} if variant == "sse-kms" else {}
        assert rule["ServerSideEncryptionByDefault"] == (expected or {"SSEAlgorithm": "AES256"}), logical_id
        assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}, logical_id
        assert len(bucket["PublicAccessBlockConfiguration"]) == 4, logical_id
        assert bucket["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}, logical_id
        rules = bucket["LifecycleConfiguration"]["Rules"]
        assert {"DaysAfterInitiation": 1} in [r.get("AbortIncompleteMultipartUpload") for r in rules], logical_id
        assert denied.get(name) == {f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"}, f"{logical_id}: not TLS-only"
    assert buckets["RawBucket"]["VersioningConfiguration"] == {"Status": "Enabled"}
    assert any("ExpirationInDays" in r for r in buckets["AthenaResultsBucket"]["LifecycleConfiguration"]["Rules"])
    workgroup = resources["AthenaWorkGroup"]["Properties"]["WorkGroupConfiguration"]
    assert workgroup["EnforceWorkGroupConfiguration"] is True
    assert workgroup["EngineVersion"] == {"SelectedEngineVersion": "Athena engine version 3"}
    encryption = workgroup["ResultConfiguration"]["EncryptionConfiguration"]
    assert encryption == (
        {"EncryptionOption": "SSE_KMS", "KmsKey": KMS_KEY} if variant == "sse-kms" else {"EncryptionOption": "SSE_S3"}
    )


def deploy_job_subject() -> str:
    """The OIDC subject GitHub gives deploy.yml's job: per environment when the job has one."""
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "deploy.yml").read_text())
    environment = workflow["jobs"]["deploy"].get("environment")
    if isinstance(environment, dict):
        environment = environment.get("name")
    return f"repo:acme/shop:environment:{environment}" if environment else "repo:acme/shop:ref:refs/heads/main"


def assert_trusts_only(role: dict[str, Any], subject: str) -> None:
    """GitHub's OIDC provider, for exactly one token subject: StringEquals, no StringLike, no wildcard."""
    (statement,) = statements(role["AssumeRolePolicyDocument"])
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"] == {
        "Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
    }
    assert statement["Condition"] == {
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": subject,
        }
    }


def test_deploy_role_trusts_one_repository_and_branch_or_environment() -> None:
    resolver = dict(resolvers())["sse-s3"]
    role = dict(resolver.active_resources())["DeployRole"]["Properties"]
    assert_trusts_only(role, deploy_job_subject())  # exactly the subject of deploy.yml's job
    assert sorted(role["ManagedPolicyArns"]) == sorted([resolver.ref("DbtPolicy"), resolver.ref("DeployStatePolicy")])
    # deploy.yml keeps the manifest at s3://$DBT_STATE_BUCKET/dbt/prod/: the state policy's prefix.
    workflow = (REPO / ".github" / "workflows" / "deploy.yml").read_text()
    assert "STATE_URI: s3://${{ vars.DBT_STATE_BUCKET }}/dbt/prod" in workflow
    state = dict(resolver.active_resources())["DeployStatePolicy"]["Properties"]["PolicyDocument"]
    assert statements(state)[0]["Resource"].endswith("/dbt/prod/*")


# The pull-request build (.github/workflows/pr-athena.yml) and what it may touch.
PRODUCTION_SCHEMAS = ("staging", "intermediate", "marts", "snapshots")
READ_VERBS = ("Get", "List", "BatchGet", "Describe")
GLUE = f"arn:aws:glue:{REGION}:{ACCOUNT}"
# Glue resources a write may name: the catalog (Glue authorizes every call on it too) and the
# build's own pr_* databases, their tables and functions.
PR_GLUE = re.compile(rf"{GLUE}:(catalog|(database|table|userDefinedFunction)/pr_[^/]*(/.*)?)")
# The on-run-start hooks' `create external table if not exists` on the raw database (as DbtPolicy).
RAW_GLUE_WRITES = {"glue:CreateTable"}
RAW_GLUE = re.compile(rf"{GLUE}:(catalog|database/ecommerce_raw|table/ecommerce_raw/.*)")


def pr_job_subject() -> str:
    """The OIDC subject GitHub gives pr-athena.yml's jobs on a pull request (none has an environment)."""
    path = REPO / ".github" / "workflows" / "pr-athena.yml"
    if path.exists():
        workflow = yaml.safe_load(path.read_text())
        for name, job in workflow["jobs"].items():
            assert not job.get("environment"), f"pr-athena.yml job {name}: an environment changes the OIDC subject"
    return "repo:acme/shop:pull_request"


def is_read(action: str) -> bool:
    return action.split(":", 1)[1].startswith(READ_VERBS)


def grants(document: dict[str, Any], action: str, resource: str) -> bool:
    """Whether an Allow statement names `action` on `resource` (IAM's `*`: any characters)."""
    return any(
        statement["Effect"] == "Allow"
        and action in listed(statement["Action"])
        and any(fnmatch.fnmatchcase(resource, pattern) for pattern in listed(statement["Resource"]))
        for statement in statements(document)
    )


def pull_request_problems(document: dict[str, Any], warehouse: str, results: str) -> list[str]:
    """Every grant of the pull-request policy beyond reading production and writing its own pr_* things."""
    problems = []
    own_objects = re.compile(
        rf"arn:aws:s3:::({re.escape(warehouse)}/iceberg/pr_[^/*]*\*?|{re.escape(results)}/athena/\*)"
    )
    for statement in statements(document):
        assert statement["Effect"] == "Allow" and "NotAction" not in statement and "NotResource" not in statement
        sid = statement.get("Sid", "?")
        for action in listed(statement["Action"]):
            service = action.split(":", 1)[0]
            if service not in ("athena", "glue", "s3", "kms"):
                problems.append(f"{sid}: {action}, a service the build does not use")
            for arn in listed(statement["Resource"]):
                own = PR_GLUE.fullmatch(arn) or (action in RAW_GLUE_WRITES and RAW_GLUE.fullmatch(arn))
                if service == "glue" and not is_read(action) and not own:
                    problems.append(f"{sid}: {action} on {arn}, not a pr_* database or table")
                if service == "s3" and not is_read(action) and not own_objects.fullmatch(arn):
                    problems.append(f"{sid}: {action} on {arn}, outside iceberg/pr_* and the query results")
                if service == "s3" and "/dbt/" in arn and action != "s3:GetObject":
                    problems.append(f"{sid}: {action} on the production state {arn}")
            if action == "s3:ListBucket" and f"arn:aws:s3:::{warehouse}" in listed(statement["Resource"]):
                prefixes = listed(statement.get("Condition", {}).get("StringLike", {}).get("s3:prefix", []))
                if not prefixes or any(not p.startswith(("iceberg/", "dbt/prod/")) for p in prefixes):
                    problems.append(f"{sid}: lists the warehouse beyond iceberg/ and dbt/prod/ ({prefixes})")
    for schema in PRODUCTION_SCHEMAS:
        for kind, arn in (("database", f"{GLUE}:database/{schema}"), ("table", f"{GLUE}:table/{schema}/t")):
            for action in ("glue:CreateTable", "glue:UpdateTable", "glue:DeleteTable", "glue:BatchDeleteTable"):
                if grants(document, action, arn):
                    problems.append(f"{action} on the production {kind} {arn}")
        for action in ("s3:PutObject", "s3:DeleteObject"):
            if grants(document, action, f"arn:aws:s3:::{warehouse}/iceberg/{schema}/t/0/data.parquet"):
                problems.append(f"{action} on the production data of {schema}")
    for action in ("s3:PutObject", "s3:DeleteObject"):
        if grants(document, action, f"arn:aws:s3:::{warehouse}/dbt/prod/manifest.json"):
            problems.append(f"{action} on the production manifest")
    return problems


@pytest.mark.parametrize("variant", VARIANTS)
def test_pull_request_role_reads_production_and_writes_only_its_own(variant: str) -> None:
    resolver = dict(resolvers())[variant]
    resources = dict(resolver.active_resources())
    role = resources["PullRequestRole"]["Properties"]
    assert_trusts_only(role, pr_job_subject())  # pull requests of the one repository
    assert role["ManagedPolicyArns"] == [resolver.ref("PullRequestPolicy")] and "Policies" not in role
    assert role["MaxSessionDuration"] <= 7200
    document = resources["PullRequestPolicy"]["Properties"]["PolicyDocument"]
    warehouse, results = resolver.ref("WarehouseBucket"), resolver.ref("AthenaResultsBucket")
    assert not pull_request_problems(document, warehouse, results), "\n".join(
        pull_request_problems(document, warehouse, results)
    )
    # ... and it can do its job: build, prune and drop pr_* databases, read the deferred parents,
    # the raw files and the manifest, and read the workgroup's query history (the cost ledger).
    pr_database, pr_table = f"{GLUE}:database/pr_12_345_marts", f"{GLUE}:table/pr_12_345_marts/orders"
    needed = [
        *[(f"glue:{a}", pr_database) for a in ("CreateDatabase", "DeleteDatabase", "GetDatabase")],
        *[
            (f"glue:{a}", pr_table)
            for a in ("CreateTable", "UpdateTable", "DeleteTable", "BatchDeleteTable", "GetTableVersions")
        ],
        *[(f"glue:{a}", pr_table) for a in ("DeleteTableVersion", "BatchDeleteTableVersion")],
        ("glue:GetDatabases", f"{GLUE}:database/marts"),
        *[("glue:GetTable", f"{GLUE}:table/{schema}/t") for schema in PRODUCTION_SCHEMAS],
        *[("glue:CreateTable", f"{GLUE}:table/ecommerce_raw/{table}") for table in ("event_lines", "landed_files")],
        *[("s3:GetObject", f"arn:aws:s3:::{warehouse}/iceberg/{schema}/t/0/x") for schema in PRODUCTION_SCHEMAS],
        ("s3:GetObject", f"arn:aws:s3:::{warehouse}/dbt/prod/manifest.json"),
        ("s3:GetObject", f"arn:aws:s3:::{resolver.ref('RawBucket')}/raw/events/year=2019/month=10/f.csv"),
        *[
            (f"s3:{a}", f"arn:aws:s3:::{warehouse}/iceberg/pr_12_345_marts/t/0/x")
            for a in ("PutObject", "DeleteObject")
        ],
        ("s3:PutObject", f"arn:aws:s3:::{results}/athena/q.csv"),
        *[
            (f"athena:{a}", f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/ecommerce-analytics")
            for a in ("StartQueryExecution", "ListQueryExecutions", "BatchGetQueryExecution", "GetQueryExecution")
        ],
    ]
    assert not [n for n in needed if not grants(document, *n)]


def test_pull_request_rules_catch_a_production_write() -> None:
    resolver = dict(resolvers())["sse-s3"]
    document = dict(resolver.active_resources())["PullRequestPolicy"]["Properties"]["PolicyDocument"]
    warehouse, results = resolver.ref("WarehouseBucket"), resolver.ref("AthenaResultsBucket")
    widened = [
        {"Effect": "Allow", "Action": "glue:DeleteTable", "Resource": f"{GLUE}:database/marts"},
        {"Effect": "Allow", "Action": "glue:UpdateTable", "Resource": f"{GLUE}:table/*"},
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{warehouse}/dbt/prod/*"},
        {"Effect": "Allow", "Action": "s3:DeleteObject", "Resource": f"arn:aws:s3:::{warehouse}/iceberg/*"},
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": f"arn:aws:iam::{ACCOUNT}:role/x"},
    ]
    for statement in widened:
        wider = {**document, "Statement": [*statements(document), statement]}
        assert pull_request_problems(wider, warehouse, results), statement


def test_names_match_the_project() -> None:
    data = template.load(TEMPLATE)
    databases = {
        r["Properties"]["DatabaseInput"]["Name"]
        for r in data["Resources"].values()
        if r["Type"] == "AWS::Glue::Database"
    }
    project = yaml.safe_load((REPO / "dbt_project.yml").read_text())
    schemas = {
        config["+schema"]
        for section in ("models", "seeds")
        for config in project[section]["ecommerce_analytics"].values()
        if isinstance(config, dict) and "+schema" in config
    }
    snapshots = yaml.safe_load((REPO / "snapshots" / "product_attributes.yml").read_text())
    schemas |= {s["config"]["schema"] for s in snapshots["snapshots"]}
    assert databases == schemas | {DEFAULT_DATABASE}
    text = TEMPLATE.read_text()
    assert f"crawler/{DEFAULT_CRAWLER}" in text
    # Every output is one setting, named in its description; every setting the project reads is one.
    outputs_section = data["Outputs"]
    assert set(outputs_section) == set(outputs.OUTPUT_TO_ENV)
    for key, env in outputs.OUTPUT_TO_ENV.items():
        assert outputs_section[key]["Description"].split()[0] == env, key
    profile = (REPO / "profiles.yml.example").read_text()
    tuning = {"ECOM_ATHENA_SCHEMA", "ECOM_ATHENA_THREADS"}  # defaults fit; not the stack's
    read = set(re.findall(r"env_var\('((?:ECOM_ATHENA|AWS_REGION)[A-Z_]*)'", profile)) - tuning
    read |= set(re.findall(r"vars\.([A-Z0-9_]+)", (REPO / ".github/workflows/deploy.yml").read_text()))
    read |= {"AWS_DEPLOY_ROLE_ARN"}  # deploy.yml's secret
    read |= {"AWS_PR_ROLE_ARN"}  # pr-athena.yml's variable
    read |= {awsconfig.ENV_BUCKET, awsconfig.ENV_PREFIX, awsconfig.ENV_ROLE_ARN, awsconfig.ENV_DATABASE}
    read |= {quicksight.ENV_ACCOUNT, quicksight.ENV_WORKGROUP}
    assert read <= set(outputs.OUTPUT_TO_ENV.values()), read - set(outputs.OUTPUT_TO_ENV.values())


def test_export_lines_are_shell_quoted() -> None:
    lines = outputs.export_lines({"A": "s3://b/p", "B": "it's $HOME"})
    assert lines == ["export A=s3://b/p", "export B='it'\"'\"'s $HOME'"]
    assert shlex.split(lines[1]) == ["export", "B=it's $HOME"]


def test_a_stack_not_complete_or_not_ours_is_one_error(monkeypatch: pytest.MonkeyPatch) -> None:
    described = {"StackStatus": "CREATE_IN_PROGRESS", "Outputs": []}
    monkeypatch.setattr(outputs, "describe_stack", lambda *args: described)
    with pytest.raises(outputs.InfraError, match="CREATE_IN_PROGRESS, not complete"):
        outputs.stack_environment("s")
    described["StackStatus"] = "CREATE_COMPLETE"
    with pytest.raises(outputs.InfraError, match="no output AwsRegion"):
        outputs.stack_environment("s")


# ---------------------------------------------------------------- deployed to moto, end to end


@pytest.fixture
def moto_cloudformation(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The session's moto server, whose CloudFormation drops AWS::NoValue list items as AWS does.

    moto 5.2 leaves a None in a list where `Fn::If` gave AWS::NoValue (the KMS statements when
    no key is given), and IAM then refuses the policy as malformed.
    """
    import moto.cloudformation.parsing as parsing

    original = parsing.clean_json

    def clean_json(resource_json: Any, resources_map: Any) -> Any:
        cleaned = original(resource_json, resources_map)
        if isinstance(resource_json, list) and isinstance(cleaned, list):
            return [item for item in cleaned if item is not None]
        return cleaned

    monkeypatch.setattr(parsing, "clean_json", clean_json)
    return stand_in()


@contextlib.contextmanager
def what_moto_skips(aws: Any, resolver: template.Resolver) -> Iterator[None]:
    """The Glue databases and the workgroup, from the template's own properties (moto's CloudFormation
    skips them), removed afterwards: the moto server is the session's, shared with other tests."""
    glue, athena = aws.client("glue"), aws.client("athena")
    created: list[str] = []
    workgroups: list[str] = []
    try:
        for _, resource in resolver.active_resources():
            properties = resource["Properties"]
            if resource["Type"] == "AWS::Glue::Database":
                with contextlib.suppress(glue.exceptions.AlreadyExistsException):  # another test's
                    glue.create_database(DatabaseInput=properties["DatabaseInput"])
                    created.append(properties["DatabaseInput"]["Name"])
            elif resource["Type"] == "AWS::Athena::WorkGroup":
                configuration = dict(properties["WorkGroupConfiguration"])
                configuration["BytesScannedCutoffPerQuery"] = int(configuration["BytesScannedCutoffPerQuery"])
                athena.create_work_group(Name=properties["Name"], Configuration=configuration)
                workgroups.append(properties["Name"])
        yield
    finally:
        for name in created:
            glue.delete_database(Name=name)
        for name in workgroups:
            athena.delete_work_group(WorkGroup=name, RecursiveDeleteOption=True)


def test_deployed_stack_settings_line_up_end_to_end(moto_cloudformation: Any, tmp_path: Path) -> None:
    aws = moto_cloudformation
    prefix = f"infra-{uuid.uuid4().hex[:8]}"
    stack = f"{prefix}-stack"
    parameters = {"NamePrefix": prefix, "GitHubRepository": "acme/shop"}
    cloudformation = aws.client("cloudformation")
    cloudformation.create_stack(
        StackName=stack,
        TemplateBody=TEMPLATE.read_text(),
        Capabilities=["CAPABILITY_NAMED_IAM"],
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
    )
    resolver = template.Resolver(template.load(TEMPLATE), parameters)
    with what_moto_skips(aws, resolver):
        settings_line_up(aws, tmp_path, stack, prefix, resolver)


def settings_line_up(aws: Any, tmp_path: Path, stack: str, prefix: str, resolver: template.Resolver) -> None:
    env = aws.env(tmp_path)
    exports = subprocess.run(
        [sys.executable, "-m", "infra", "exports", "--stack", stack, "--region", REGION],
        cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert exports.returncode == 0, exports.stderr
    exported = dict(shlex.split(line)[1].split("=", 1) for line in exports.stdout.splitlines())
    raw = f"{prefix}-raw-{ACCOUNT}-{REGION}"
    assert exported == {
        "AWS_REGION": REGION,
        "ECOM_AWS_ACCOUNT_ID": ACCOUNT,
        "ECOM_RAW_S3_URI": f"s3://{raw}/raw",
        "ECOM_S3_BUCKET": raw,
        "ECOM_S3_PREFIX": "raw",
        "ECOM_GLUE_DATABASE": DEFAULT_DATABASE,
        "ECOM_CRAWLER_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/{prefix}-glue-crawler",
        "ECOM_ATHENA_STAGING_DIR": f"s3://{prefix}-athena-results-{ACCOUNT}-{REGION}/athena/",
        "ECOM_ATHENA_DATA_DIR": f"s3://{prefix}-warehouse-{ACCOUNT}-{REGION}/iceberg/",
        "ECOM_ATHENA_WORKGROUP": prefix,
        "DBT_STATE_BUCKET": f"{prefix}-warehouse-{ACCOUNT}-{REGION}",
        "AWS_DEPLOY_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/{prefix}-github-deploy",
        "AWS_PR_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/{prefix}-github-pull-request",
        "ECOM_LANDING_POLICY_ARN": f"arn:aws:iam::{ACCOUNT}:policy/{prefix}-landing",
        "ECOM_DBT_POLICY_ARN": f"arn:aws:iam::{ACCOUNT}:policy/{prefix}-dbt",
        "ECOM_QUICKSIGHT_POLICY_ARN": f"arn:aws:iam::{ACCOUNT}:policy/{prefix}-quicksight",
        "ECOM_DBT_STATE_POLICY_ARN": f"arn:aws:iam::{ACCOUNT}:policy/{prefix}-dbt-state",
    }
    # The deployed role and policies are the template's (moto's IAM holds what CloudFormation sent).
    iam = aws.client("iam")
    trust = iam.get_role(RoleName=f"{prefix}-github-deploy")["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] == (
        "repo:acme/shop:ref:refs/heads/main"
    )
    trust = iam.get_role(RoleName=f"{prefix}-github-pull-request")["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] == (
        "repo:acme/shop:pull_request"
    )
    policy = iam.get_policy(PolicyArn=exported["ECOM_LANDING_POLICY_ARN"])["Policy"]
    document = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
    assert document["PolicyVersion"]["Document"] == dict(template.policy_documents(resolver))["LandingPolicy"]
    policy = iam.get_policy(PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/{prefix}-dbt-pull-request")["Policy"]
    document = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
    assert document["PolicyVersion"]["Document"] == dict(template.policy_documents(resolver))["PullRequestPolicy"]

    # The README's steps with those settings: eval the exports, land, and let dbt render its profile.
    row = "2019-10-05 10:00:00 UTC,view,1,2053013555631882655,,,10.00,1,s1"
    source = write_csv(tmp_path / "in" / "2019-Oct.csv", [row])
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "profiles.yml").write_text((REPO / "profiles.yml.example").read_text())
    script = f"""
        set -euo pipefail
        eval "$({shlex.quote(sys.executable)} -m infra exports --stack {stack})"
        {shlex.quote(sys.executable)} -m ingest land --source {shlex.quote(str(source))} --dest "$ECOM_RAW_S3_URI"
        {shlex.quote(str(BIN / "dbt"))} debug --target athena --project-dir {shlex.quote(str(REPO))} \\
            --profiles-dir {shlex.quote(str(profiles))} --log-path {shlex.quote(str(tmp_path / "logs"))} --no-use-colors
    """
    result = subprocess.run(
        ["bash", "-c", script], cwd=REPO, env={**env, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-3000:]
    assert aws.keys(raw) == ["raw/events/year=2019/month=10/2019-Oct.csv"]
    shown = dict(re.findall(r"\b(s3_staging_dir|s3_data_dir|work_group|region_name): (\S+)$", result.stdout, re.M))
    assert shown == {
        "s3_staging_dir": exported["ECOM_ATHENA_STAGING_DIR"],
        "s3_data_dir": exported["ECOM_ATHENA_DATA_DIR"],
        "work_group": exported["ECOM_ATHENA_WORKGROUP"],
        "region_name": REGION,
    }, result.stdout
    # dbt's connection test ran in the stack's workgroup.
    assert aws.client("athena").list_query_executions(WorkGroup=prefix)["QueryExecutionIds"]


def test_exports_of_a_missing_stack_or_without_credentials_is_one_line(tmp_path: Path) -> None:
    aws = stand_in()
    for env, words in (
        (aws.env(tmp_path), "there is no stack 'no-such-stack'"),
        (aws.env(tmp_path, credentials=False), "no usable AWS credentials"),
    ):
        result = subprocess.run(
            [sys.executable, "-m", "infra", "exports", "--stack", "no-such-stack"],
            cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=60,
        )  # fmt: skip
        assert result.returncode == 2, (result.stdout, result.stderr)
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0], result.stderr
