"""The suite's own machinery (tests/python/conftest.py): on two xdist workers, tests that share a
module fixture run on one worker and make it once, a parameter of such a fixture is a group of its
own, a build every worker reads is made once for the whole run, and `make test-fast` stops a test
that starts dbt without the marker that leaves it out."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from conftest import REPO, _slow_part

SCENARIOS = """
import os
from pathlib import Path

import pytest

from conftest import built_once

LOG = Path(os.environ["SCHEDULING_LOG"])


def note(what: str) -> None:
    with LOG.open("a") as log:
        log.write(f"{what} {os.environ.get('PYTEST_XDIST_WORKER', 'main')}\\n")


@pytest.fixture(scope="module")
def module_fixture() -> None:
    note("module-fixture")


@pytest.fixture(scope="module", params=["one", "two", "three", "four"])
def scenario(request: pytest.FixtureRequest) -> str:
    note(f"scenario-{request.param}")
    return str(request.param)


@pytest.fixture(scope="session")
def shared_build(tmp_path_factory: pytest.TempPathFactory) -> str:
    def build(folder: Path) -> str:
        note("shared-build")
        return str(folder)

    return built_once(tmp_path_factory, "shared-build", build)


@pytest.mark.parametrize("n", range(6))
def test_reads_the_module_fixture(module_fixture: None, n: int) -> None:
    note("module-test")


@pytest.mark.parametrize("n", range(3))
def test_reads_a_scenario(scenario: str, n: int) -> None:
    note(f"scenario-test-{scenario}")


@pytest.mark.parametrize("n", range(8))
def test_reads_the_shared_build(shared_build: str, n: int) -> None:
    assert Path(shared_build).is_dir()
    note("shared-test")
"""

STARTS_DBT = """
import subprocess
import sys
from pathlib import Path


def test_starts_dbt_unmarked() -> None:
    subprocess.run([str(Path(sys.executable).with_name("dbt")), "--version"], check=False)
"""


def run_pytest(folder: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """pytest over `folder`, which holds a copy of the suite's conftest.py."""
    shutil.copy(REPO / "tests" / "python" / "conftest.py", folder / "conftest.py")
    env = dict(os.environ if env is None else env)
    # The copied conftest imports the suite's helpers (tests.dbt_forkserver) from the checkout.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--rootdir", str(folder), "-c", "/dev/null",
         "--basetemp", str(folder / "tmp"), *args, str(folder)],
        cwd=folder, capture_output=True, text=True, check=False, env=env, timeout=300,
    )  # fmt: skip


def workers_of(log: Path) -> dict[str, Counter[str]]:
    """For each kind of logged event, on which workers it happened, how often."""
    seen: dict[str, Counter[str]] = {}
    for line in log.read_text().splitlines():
        what, worker = line.split()
        seen.setdefault(what, Counter())[worker] += 1
    return seen


@pytest.mark.parametrize("workers", ["2", "0"])
def test_shared_fixtures_are_made_once_on_two_workers_and_in_one_process(tmp_path: Path, workers: str) -> None:
    (tmp_path / "test_scenarios.py").write_text(SCENARIOS)
    log = tmp_path / "log.txt"
    env = {**os.environ, "SCHEDULING_LOG": str(log)}
    result = run_pytest(tmp_path, "-n", workers, "--dist", "loadgroup", "-v", env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    seen = workers_of(log)
    # the module fixture once, and every test that reads it on that one worker
    assert sum(seen["module-fixture"].values()) == 1
    assert set(seen["module-test"]) == set(seen["module-fixture"]) and sum(seen["module-test"].values()) == 6
    # each parameter of a module fixture is made once, its tests on its worker
    for name in ("one", "two", "three", "four"):
        assert sum(seen[f"scenario-{name}"].values()) == 1
        assert set(seen[f"scenario-test-{name}"]) == set(seen[f"scenario-{name}"])
    # the session build once for the run (on both workers: test_a_session_build_is_made_once_for_every_worker)
    assert sum(seen["shared-build"].values()) == 1 and sum(seen["shared-test"].values()) == 8
    if workers == "2":
        # one xdist group per module fixture and per parameter, not one for everything: the
        # groups are what keeps a fixture on one worker, and only as much as it needs
        groups = dict(re.findall(r"PASSED test_scenarios\.py::(test_reads_\w+)\[[^]]*\]@(\S+)", result.stdout))
        assert groups["test_reads_the_module_fixture"] == "test_scenarios"
        scenario_groups = set(
            re.findall(r"PASSED test_scenarios\.py::test_reads_a_scenario\[\w+-\d\]@(\S+)", result.stdout)
        )
        assert scenario_groups == {f"test_scenarios:scenario={index}" for index in range(4)}
        assert "test_reads_the_shared_build" not in groups  # a session build needs no group


def test_a_session_build_is_made_once_for_every_worker(tmp_path: Path) -> None:
    """Every test on every worker (`--dist each`), so that both workers surely read the build:
    with load balancing, one worker may take all of a few quick tests."""
    (tmp_path / "test_scenarios.py").write_text(SCENARIOS)
    log = tmp_path / "log.txt"
    env = {**os.environ, "SCHEDULING_LOG": str(log)}
    result = run_pytest(tmp_path, "-n", "2", "--dist", "each", "-q", "-k", "shared_build", env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    seen = workers_of(log)
    assert sum(seen["shared-build"].values()) == 1
    assert seen["shared-test"] == Counter({"gw0": 8, "gw1": 8})


def test_the_fast_suite_fails_a_test_that_starts_dbt_without_the_marker(tmp_path: Path) -> None:
    (tmp_path / "test_unmarked.py").write_text(STARTS_DBT)
    env = {**os.environ, "TEST_FAST_SUITE": "1"}
    result = run_pytest(tmp_path, "-q", env=env)
    assert result.returncode == 1, result.stdout[-3000:]
    assert "is not marked dbt, which make test-fast leaves out" in result.stdout
    # without the fast suite's setting it runs dbt
    env.pop("TEST_FAST_SUITE")
    assert run_pytest(tmp_path, "-q", env=env).returncode == 0


@pytest.mark.parametrize(
    ("argv", "marker"),
    [
        ([".venv/bin/dbt", "build"], "dbt"),
        (["python", "-m", "tests.athena.dbt_cli", "build"], "dbt"),
        (["python", "-m", "tests.athena.capture", "--out", "x"], "dbt"),
        (["python", "-m", "athena_estimate", "capture", "--out", "x"], "dbt"),
        (["python", "-m", "athena_estimate", "report", "--statements", "x"], None),
        (["python", "-m", "bench", "run"], "dbt"),
        (["make", "--no-print-directory", "demo", "EVENTS=1000"], "dbt"),
        (["make", "clean"], None),
        (["/usr/bin/chromium", "--headless"], "browser"),
        ([".venv/infra/bin/checkov", "-f", "t.yaml"], "scanner"),
        (["python", "-m", "ingest", "land"], None),
        (["git", "ls-files"], None),
    ],
)
def test_the_fast_suite_knows_the_slow_commands(argv: list[str], marker: str | None) -> None:
    assert _slow_part(argv) == marker
