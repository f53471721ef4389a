"""The GitHub Actions workflows keep the production role to main (issue 12).

Read from .github/workflows: a job that can get AWS credentials runs for refs/heads/main
alone and from no trigger that could bring another ref; it has no `environment:` (one would
change the OIDC subject the role trusts, repo:<owner>/<repo>:ref:refs/heads/main); it installs
nothing after the credentials step, and before it only from requirements-deploy.lock with
--require-hashes. Every action is pinned by commit with its tag as a comment, permissions are
read-only by default with `id-token: write` only where the credentials are obtained, checkout
keeps no token, and no workflow runs on pull_request_target.

Each rule is a function returning the problems it finds, so the last tests can feed every rule
the workflows as they were before issue 12 and check it catches them (no rule passes vacuously).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW_DIR = ROOT / ".github" / "workflows"
LOCK = "requirements-deploy.lock"
MAIN = "refs/heads/main"
CREDENTIALS_ACTION = "aws-actions/configure-aws-credentials"

Workflow = dict[str, Any]

# owner/repo[/path]@<full commit SHA>
PINNED = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(?:/[^@\s]+)?@[0-9a-f]{40}$")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>[^\s#]+)(?P<rest>.*)$")
TAG_COMMENT = re.compile(r"^\s+#\s*v\d[\w.+-]*\s*$")
# Commands that install something: packages, dbt packages, or `make`, whose targets all run
# the Makefile's setup (pip install -r requirements.txt, not hash-checked).
INSTALL = re.compile(
    r"\bpip3?\s+install\b|-m\s+pip\s+install\b|\buv\s+(?:pip\s+install|pip\s+sync|sync|add|tool)\b"
    r"|\buvx?\b|\bpipx\b|\bpoetry\s+install\b|\bconda\b|\bmamba\b|\bmake\b|\bapt(?:-get)?\s+install\b"
    r"|\bnpm\s+(?:i|install|ci)\b|\bnpx\b|\byarn\b|\bdbt\s+deps\b|\bcurl\b|\bwget\b"
)
PIP_INSTALL = re.compile(r"\bpip3?\s+install\b|-m\s+pip\s+install\b|\buv\s+pip\s+(?:install|sync)\b")
LOCK_ARG = re.compile(r"(?:-r|--requirement)[=\s]+(?:\./)?" + re.escape(LOCK) + r"(?:\s|$)")
MAIN_ONLY_IF = {f"github.ref == '{MAIN}'", f"'{MAIN}' == github.ref"}
# What may start a workflow that holds the role: a push to main, a run by hand, or the daily
# schedule (the default branch's newest commit), the last two confined to main by the job's
# `if`. pull_request* and workflow_run run other refs' code, workflow_call the caller's ref,
# repository_dispatch whatever an API caller sends.
CREDENTIALED_TRIGGERS = {"push", "workflow_dispatch", "schedule"}
# The pull-request role (infra: PullRequestRole, trusted for repo:<owner>/<repo>:pull_request,
# writing only pr_* databases and data): a job assuming it follows pull_request_role_problems.
PR_ROLE = "vars.AWS_PR_ROLE_ARN"
SAME_REPOSITORY = "github.event.pull_request.head.repo.full_name == github.repository"
PR_SCHEMA_PREFIX = "pr_${{ github.event.pull_request.number }}_${{ github.run_id }}_"
DBT_WRITES = re.compile(r"\bdbt\s+(?:build|run|seed|snapshot)\b")


def load(text: str) -> Workflow:
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    # YAML 1.1 reads the key `on` as the boolean true.
    if True in data:
        data["on"] = data.pop(True)
    return data


def triggers(workflow: Workflow) -> dict[str, Any]:
    on = workflow.get("on")
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    return dict(on or {})


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps") or [])


def uses(step: dict[str, Any]) -> str:
    return str(step.get("uses") or "")


def action_name(ref: str) -> str:
    return ref.split("@", 1)[0]


def grants(permissions: Any, scope: str) -> str | None:
    if isinstance(permissions, str):  # read-all / write-all
        return permissions.removesuffix("-all")
    if isinstance(permissions, dict):
        return permissions.get(scope)
    return None


def role_of(job: dict[str, Any]) -> str:
    """The role-to-assume of the job's credentials step, as written ('' when it has none)."""
    for step in steps(job):
        if action_name(uses(step)) == CREDENTIALS_ACTION:
            return normalized_condition((step.get("with") or {}).get("role-to-assume"))
    return ""


def pull_request_role_jobs(workflow: Workflow) -> dict[str, dict[str, Any]]:
    """Jobs that assume the pull-request role (and no other): pull_request_role_problems' rules."""
    return {
        name: job for name, job in credentialed_jobs(workflow, deploy_only=False).items() if role_of(job) == PR_ROLE
    }


def credentialed_jobs(workflow: Workflow, deploy_only: bool = True) -> dict[str, dict[str, Any]]:
    """Jobs that obtain AWS credentials, or could (an OIDC token is theirs to ask for); by
    default not those that assume the pull-request role, whose rules are their own."""
    top = workflow.get("permissions")
    found = {}
    for name, job in (workflow.get("jobs") or {}).items():
        job_permissions = job.get("permissions", top)
        could = grants(job_permissions, "id-token") == "write" or any(
            action_name(uses(step)) == CREDENTIALS_ACTION for step in steps(job)
        )
        if could and not (deploy_only and role_of(job) == PR_ROLE):
            found[name] = job
    return found


def normalized_condition(condition: Any) -> str:
    text = str(condition or "").strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2]
    return " ".join(text.split()).replace('"', "'")


def commands(script: str) -> list[str]:
    """The shell commands of a `run:` script, continuation lines joined."""
    joined = re.sub(r"\\\n", " ", script)
    lines = [line.split(" #", 1)[0].strip() for line in joined.splitlines()]
    found: list[str] = []
    for line in lines:
        if line and not line.startswith("#"):
            found.extend(part.strip() for part in re.split(r"&&|\|\||;|\|", line) if part.strip())
    return found


# --- the rules ----------------------------------------------------------------------------


def main_only_problems(workflow: Workflow) -> list[str]:
    """A job holding the role runs for main only, from triggers that cannot bring another ref."""
    problems = []
    jobs = credentialed_jobs(workflow)
    for name, job in jobs.items():
        condition = normalized_condition(job.get("if"))
        if condition not in MAIN_ONLY_IF:
            problems.append(f"job {name}: `if: github.ref == '{MAIN}'` is missing (it has {condition!r})")
        if "environment" in job:
            problems.append(
                f"job {name}: `environment:` makes the OIDC subject environment-based; "
                f"the role trusts repo:<owner>/<repo>:ref:{MAIN}"
            )
    if jobs:
        guarded = all(normalized_condition(job.get("if")) in MAIN_ONLY_IF for job in jobs.values())
        for trigger, settings in triggers(workflow).items():
            settings = settings or {}
            if trigger not in CREDENTIALED_TRIGGERS:
                problems.append(f"trigger {trigger}: may not start a job that holds the role")
            elif trigger == "push":
                if settings.get("branches") != ["main"] or set(settings) & {"tags", "branches-ignore", "tags-ignore"}:
                    problems.append(f"trigger push: must be `branches: [main]` alone, not {settings!r}")
                elif not guarded:
                    problems.append("trigger push: the job's `if` must confine it to main as well")
            elif not guarded:
                problems.append(f"trigger {trigger}: runs on any branch and the job does not stop it")
    return problems


def pull_request_role_problems(workflow: Workflow, text: str) -> list[str]:
    """A job with the pull-request role: started by pull_request alone, never for a fork, no
    secret in the workflow, every dbt write into this run's own schemas, and a teardown that
    runs whatever happened once the role was assumed and drops only this run's prefix."""
    problems = []
    jobs = pull_request_role_jobs(workflow)
    if jobs and set(triggers(workflow)) != {"pull_request"}:
        problems.append(f"triggers {sorted(triggers(workflow))}: the pull-request role runs for pull_request alone")
    if jobs and "secrets." in text:
        problems.append("a workflow with the pull-request role uses no secret (the deploy role's least of all)")
    for name, job in jobs.items():
        if SAME_REPOSITORY not in normalized_condition(job.get("if")):
            problems.append(f"job {name}: `if` must skip a fork's pull request ({SAME_REPOSITORY})")
        prefix = str((job.get("env") or {}).get("SCHEMA_PREFIX") or (workflow.get("env") or {}).get("SCHEMA_PREFIX"))
        if prefix != PR_SCHEMA_PREFIX:
            problems.append(f"job {name}: SCHEMA_PREFIX must be {PR_SCHEMA_PREFIX}, not {prefix}")
        job_steps = steps(job)
        credentials = next(s for s in job_steps if action_name(uses(s)) == CREDENTIALS_ACTION)
        for step in job_steps:
            for command in commands(str(step.get("run") or "")):
                if DBT_WRITES.search(command) and "schema_prefix: $SCHEMA_PREFIX" not in command:
                    problems.append(f"job {name}: `{command}` does not build into the run's schemas")
        teardown = [s for s in job_steps if 'athena_scratch drop --prefix "$SCHEMA_PREFIX"' in str(s.get("run"))]
        condition = normalized_condition(teardown[-1].get("if")) if teardown else ""
        if not teardown or job_steps.index(teardown[-1]) < job_steps.index(credentials):
            problems.append(
                f'job {name}: no `athena_scratch drop --prefix "$SCHEMA_PREFIX"` step after the credentials'
            )
        elif (
            not condition.startswith("always()")
            or f"steps.{credentials.get('id')}.outcome == 'success'" not in condition
        ):
            problems.append(
                f"job {name}: the teardown must run `if: always() && steps.<credentials>.outcome == 'success'`"
            )
    return problems


def pin_problems(workflow: Workflow, text: str) -> list[str]:
    """Every action and reusable workflow by full commit SHA, with its tag as a trailing comment."""
    problems = []
    refs = [str(job["uses"]) for job in (workflow.get("jobs") or {}).values() if job.get("uses")]
    refs += [uses(step) for job in (workflow.get("jobs") or {}).values() for step in steps(job) if uses(step)]
    for ref in refs:
        if not (ref.startswith(("./", "docker://")) or PINNED.match(ref)):
            problems.append(f"{ref}: not pinned by a full commit SHA")
    for line in text.splitlines():
        match = USES_LINE.match(line)
        if match and not match["ref"].startswith(("./", "docker://")) and not TAG_COMMENT.match(match["rest"]):
            problems.append(f"{match['ref']}: no `# vX.Y.Z` comment naming the tag of the pinned commit")
    return problems


def install_problems(workflow: Workflow) -> list[str]:
    """Nothing installed once credentials exist; before that, only the hash-checked lock."""
    problems = []
    for name, job in credentialed_jobs(workflow, deploy_only=False).items():  # either role
        job_steps = steps(job)
        credentials_at = next(
            (i for i, step in enumerate(job_steps) if action_name(uses(step)) == CREDENTIALS_ACTION),
            0,  # an OIDC token can be asked for from the first step
        )
        for i, step in enumerate(job_steps):
            label = f"job {name}, step {step.get('name') or uses(step) or i}"
            if i > credentials_at and action_name(uses(step)).startswith("actions/setup-"):
                problems.append(f"{label}: sets up a toolchain after the credentials step")
            if (step.get("with") or {}).get("pip-install"):
                problems.append(f"{label}: `pip-install:` installs packages without hashes")
            for command in commands(str(step.get("run") or "")):
                if not INSTALL.search(command):
                    continue
                if i > credentials_at:
                    problems.append(f"{label}: installs after the credentials step: {command}")
                elif not PIP_INSTALL.search(command):
                    problems.append(f"{label}: installs without the hash-checked lock: {command}")
                elif "--require-hashes" not in command or not LOCK_ARG.search(command):
                    problems.append(f"{label}: needs --require-hashes -r {LOCK}: {command}")
    return problems


def permission_problems(workflow: Workflow) -> list[str]:
    """Read-only (or nothing) by default; `id-token: write` only on a job that assumes the role."""
    problems = []
    if "permissions" not in workflow:
        problems.append("no top-level `permissions:` (the default token may write)")
    top = workflow.get("permissions")
    if (isinstance(top, str) and top != "read-all") or (isinstance(top, dict) and set(top.values()) - {"read", "none"}):
        problems.append(f"top-level permissions must be {{}} or read-only, not {top!r}")
    for name, job in (workflow.get("jobs") or {}).items():
        permissions = job.get("permissions")
        if isinstance(permissions, str) and permissions != "read-all":
            problems.append(f"job {name}: permissions {permissions!r}")
        for scope, level in (permissions if isinstance(permissions, dict) else {}).items():
            if level != "write":
                continue
            assumes_role = any(action_name(uses(step)) == CREDENTIALS_ACTION for step in steps(job))
            if scope != "id-token" or not assumes_role:
                problems.append(f"job {name}: `{scope}: write` is not needed")
    return problems


def checkout_problems(workflow: Workflow) -> list[str]:
    """actions/checkout leaves no token in .git/config for later steps."""
    return [
        f"job {name}: actions/checkout without `persist-credentials: false`"
        for name, job in (workflow.get("jobs") or {}).items()
        for step in steps(job)
        if action_name(uses(step)) == "actions/checkout"
        and str((step.get("with") or {}).get("persist-credentials")).lower() != "false"
    ]


def trigger_problems(workflow: Workflow) -> list[str]:
    """pull_request_target runs with a writable token and secrets next to a fork's code."""
    return [f"trigger {t}: not allowed" for t in triggers(workflow) if t == "pull_request_target"]


RULES = {
    "main_only": lambda workflow, text: main_only_problems(workflow),
    "pinned": pin_problems,
    "installs": lambda workflow, text: install_problems(workflow),
    "permissions": lambda workflow, text: permission_problems(workflow),
    "checkout": lambda workflow, text: checkout_problems(workflow),
    "triggers": lambda workflow, text: trigger_problems(workflow),
}

WORKFLOW_FILES = sorted(WORKFLOW_DIR.glob("*.y*ml"))


# --- the repository's workflows -------------------------------------------------------------


def test_the_workflows_are_found():
    assert {path.name for path in WORKFLOW_FILES} >= {"deploy.yml", "pr.yml"}
    deploy = load((WORKFLOW_DIR / "deploy.yml").read_text())
    assert set(credentialed_jobs(deploy)) == {"deploy"}


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_workflow_follows_the_rule(path: Path, rule: str):
    text = path.read_text()
    assert RULES[rule](load(text), text) == []


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_a_pull_request_role_job_follows_its_rules(path: Path):
    text = path.read_text()
    assert pull_request_role_problems(load(text), text) == []


def test_the_pull_request_athena_run_has_the_pull_request_role_and_no_other():
    workflow = load((WORKFLOW_DIR / "pr-athena.yml").read_text())
    assert set(pull_request_role_jobs(workflow)) == {"athena"} and credentialed_jobs(workflow) == {}


def test_the_pull_request_rules_catch_each_way_of_getting_them_wrong():
    text = (WORKFLOW_DIR / "pr-athena.yml").read_text()

    def problems(edit: Callable[[Workflow], None], extra_text: str = "") -> list[str]:
        workflow = load(text)
        edit(workflow)
        return pull_request_role_problems(workflow, text + extra_text)

    def job(workflow: Workflow) -> dict[str, Any]:
        return dict(workflow["jobs"]["athena"])

    def step(workflow: Workflow, starts: str) -> dict[str, Any]:
        return next(s for s in steps(job(workflow)) if str(s.get("name", "")).startswith(starts))

    assert problems(lambda w: None) == []
    assert problems(lambda w: w["on"].update({"push": {"branches": ["main"]}}))
    assert problems(lambda w: None, "\n# ${{ secrets.AWS_DEPLOY_ROLE_ARN }}")
    assert problems(lambda w: w["jobs"]["athena"].update({"if": "vars.AWS_PR_ROLE_ARN != ''"}))
    assert problems(lambda w: w["env"].update({"SCHEMA_PREFIX": "pr_"}))
    assert problems(lambda w: step(w, "dbt build").update({"run": ".venv/bin/dbt build --target athena"}))
    assert problems(lambda w: step(w, "Drop").update({"if": "success()"}))
    assert problems(lambda w: step(w, "Drop").update({"if": "always()"}))
    assert problems(lambda w: w["jobs"]["athena"]["steps"].remove(step(w, "Drop")))
    # and the install rule holds for its job as for the deploy's
    late = load(text)
    late["jobs"]["athena"]["steps"].append({"name": "late", "run": "pip install requests"})
    assert install_problems(late) == [
        "job athena, step late: installs after the credentials step: pip install requests"
    ]
    # the deploy role in a pull request workflow is the main-only rule's to refuse
    deploy_role = load(text)
    next(s for s in steps(deploy_role["jobs"]["athena"]) if s.get("id") == "credentials")["with"]["role-to-assume"] = (
        "${{ secrets.AWS_DEPLOY_ROLE_ARN }}"
    )
    assert any("pull_request" in problem for problem in main_only_problems(deploy_role))


def test_the_deploy_installs_from_the_lock_before_the_credentials_step():
    job = load((WORKFLOW_DIR / "deploy.yml").read_text())["jobs"]["deploy"]
    names = [uses(step) or str(step.get("run")) for step in steps(job)]
    install_at = next(i for i, name in enumerate(names) if "--require-hashes" in name)
    credentials_at = next(i for i, name in enumerate(names) if name.startswith(CREDENTIALS_ACTION + "@"))
    assert install_at < credentials_at


def requirement_pins(text: str) -> dict[str, str]:
    """name (normalized, extras dropped) -> version of each `name==version` requirement."""
    pins = {}
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^\s;\\]+)", line)
        if match:
            pins[re.sub(r"[-_.]+", "-", match[1]).lower()] = match[2]
    return pins


def test_the_deploy_lock_is_hash_pinned_and_matches_requirements_txt():
    text = (ROOT / LOCK).read_text()
    header = "\n".join(line for line in text.splitlines()[:5] if line.startswith("#"))
    assert "uv pip compile" in header and "--generate-hashes" in header and "requirements-deploy.in" in header
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 1)[1] if text.startswith("#") else text)
    requirements = [block for block in blocks if block.strip() and not block.startswith("#")]
    assert requirements
    for block in requirements:
        assert re.match(r"^[A-Za-z0-9_.-]+(?:\[[^\]]*\])?==\S+ \\", block), block.splitlines()[0]
        assert "--hash=sha256:" in block, block.splitlines()[0]
    lock = requirement_pins(text)
    assert {"dbt-core", "dbt-athena", "dbt-athena-community"} <= set(lock)
    tested = requirement_pins((ROOT / "requirements.txt").read_text())
    differ = {name: (version, tested.get(name)) for name, version in lock.items() if tested.get(name) != version}
    assert differ == {}, f"{LOCK} differs from requirements.txt (lock, tested): regenerate it, see its header"


# --- the rules catch the workflows as they were before issue 12 -----------------------------

# Condensed from deploy.yml and pr.yml before issue 12 (every line a rule looks at kept).
DEPLOY_BEFORE = """
name: deploy
on:
  push:
    branches: [main]
  workflow_dispatch:
permissions:
  id-token: write
  contents: read
jobs:
  deploy:
    runs-on: ubuntu-24.04
    environment: production
    steps:
      - uses: actions/checkout@v5
      - uses: actions/setup-python@v6
        with:
          python-version: "3.11"
          cache: pip
      - uses: aws-actions/configure-aws-credentials@v6
        with:
          role-to-assume: ${{ secrets.AWS_DEPLOY_ROLE_ARN }}
      - name: Set up (.venv, profiles.yml)
        run: make setup
      - run: .venv/bin/dbt build --target athena
      - uses: actions/upload-artifact@v6
        if: always()
"""

# pr.yml before issue 12, started by pull_request_target as a fork's pull request would want.
PR_BEFORE = """
name: pull request
on:
  pull_request_target:
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v5
      - uses: actions/setup-python@v6
      - run: bash .ci/run
"""


@pytest.mark.parametrize("rule", RULES)
def test_each_rule_catches_the_workflows_before_issue_12(rule: str):
    found = [problem for text in (DEPLOY_BEFORE, PR_BEFORE) for problem in RULES[rule](load(text), text)]
    assert found != []


def test_the_rules_catch_a_branch_deploy_that_copies_the_guards_wrongly():
    deploy = load((WORKFLOW_DIR / "deploy.yml").read_text())
    job = deploy["jobs"]["deploy"]
    job["if"] = "github.ref != 'refs/heads/feature'"
    assert any("is missing" in problem for problem in main_only_problems(deploy))
    deploy["on"] = {"push": {"branches": ["main", "release/*"]}, "pull_request": None}
    assert len(main_only_problems(deploy)) >= 3
    job["steps"].append({"name": "late", "run": "pip install --require-hashes -r requirements-deploy.lock"})
    job["steps"].insert(0, {"name": "early", "run": "python -m pip install \\\n  -r requirements.txt"})
    assert [problem.split(":")[0] for problem in install_problems(deploy)] == [
        "job deploy, step early",
        "job deploy, step late",
    ]
