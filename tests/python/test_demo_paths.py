"""`make demo` and `make clean` as a user runs them, in a copy of the project: the demo uses only
its own folder and warehouse whatever the shell's environment says, refuses a SOURCE inside its
folder, and `make clean` removes what the commands made and nothing a user put under data/."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from conftest import HEADER, REPO, write_csv

ROW = "2019-10-05 10:00:00 UTC,purchase,1004237,2053013555631882655,electronics.smartphone,apple,1081.98,535871217,s1"
MARKER = ".made-by-ecommerce-analytics"


def fingerprint(*roots: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for root in roots:
        paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        found |= {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}
    return found


def project_copy(where: Path) -> Path:
    """The project's files as a fresh clone has them (plus uncommitted ones), sharing the built .venv."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            (where / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, where / name)
    (where / ".venv").symlink_to(REPO / ".venv", target_is_directory=True)
    return where


def make(clone: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["make", "--no-print-directory", *args], cwd=clone, env=env, capture_output=True, text=True)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    # a clone path with an apostrophe, a space and non-ASCII letters
    root = tmp_path_factory.mktemp("demo") / "o'brien dépôt"
    clone = project_copy(root / "clone")
    user = root / "user"
    # what a user owns: a real landing folder, a real warehouse, their dbt profiles, a download
    write_csv(user / "landing" / "events" / "year=2019" / "month=10" / "2019-Oct.csv", [ROW])
    (user / "warehouse.duckdb").write_bytes(b"a real warehouse")
    (user / "profiles").mkdir()
    (user / "profiles" / "profiles.yml").write_text("ecommerce_analytics: {target: prod, outputs: {}}\n")
    write_csv(clone / "data" / "kaggle" / "2019-Oct.csv", [ROW])
    (clone / "data" / "notes.txt").write_text("mine")
    hostile = {
        key: value for key, value in os.environ.items() if not key.startswith(("MAKE", "MFLAGS", "ECOM_", "DBT_"))
    } | {
        "ECOM_RAW_DIR": str(user / "landing"),
        "ECOM_DUCKDB_PATH": str(user / "warehouse.duckdb"),
        "DBT_TARGET": "athena",
        "DBT_PROFILES_DIR": str(user / "profiles"),
        "SOURCE": str(user / "landing"),
        "CHECK": "0",
    }
    before = fingerprint(user, clone / "data")

    result = make(clone, "demo", "EVENTS=20000", env=hostile)

    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert fingerprint(user) == {k: v for k, v in before.items() if k.startswith(str(user))}
    return clone, user, hostile


@pytest.mark.dbt
def test_the_demo_builds_in_its_own_folder_whatever_the_environment_says(
    demo_run: tuple[Path, Path, dict[str, str]],
) -> None:
    clone, user, _ = demo_run
    demo = clone / "data" / "demo"
    assert (demo / MARKER).is_file()
    with duckdb.connect(str(demo / "ecommerce.duckdb"), read_only=True) as connection:
        (purchases,) = connection.execute("select count(*) from marts.fact_purchases").fetchone() or (0,)
    assert purchases > 0
    # the environment's SOURCE was ignored: the demo generated its data rather than land the user's folder
    assert (demo / "generated").is_dir()
    assert not list((demo / "raw").rglob("2019-Oct.csv")) or len(list((demo / "raw").rglob("*.csv"))) > 1
    assert (user / "warehouse.duckdb").read_bytes() == b"a real warehouse"
    # the independent check (CHECK=1, the default: the environment's CHECK=0 is ignored) ran
    assert (demo / "expected.json").is_file()


@pytest.mark.dbt
def test_a_source_inside_the_demo_folder_is_refused_and_kept(demo_run: tuple[Path, Path, dict[str, str]]) -> None:
    clone, _, env = demo_run
    export = write_csv(clone / "data" / "demo" / "my_export.csv", [ROW])

    result = make(clone, "demo", "SOURCE=data/demo/my_export.csv", env=env)

    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "is inside data/demo" in errors[0], result.stderr
    assert export.read_text() == f"{HEADER}\n{ROW}\n"
    assert (clone / "data" / "demo" / "ecommerce.duckdb").is_file()  # the earlier demo is still there


@pytest.mark.dbt
def test_make_clean_removes_only_what_the_commands_made(demo_run: tuple[Path, Path, dict[str, str]]) -> None:
    clone, _, env = demo_run
    (clone / "data" / "bench").mkdir()
    (clone / "data" / "bench" / "mine.txt").write_text("a folder named like the bench's, made by a user")
    users = fingerprint(clone / "data" / "kaggle", clone / "data" / "notes.txt", clone / "data" / "bench")
    assert (clone / "target").is_dir()

    result = make(clone, "clean", env=env)

    assert result.returncode == 0, result.stderr
    assert fingerprint(clone / "data" / "kaggle", clone / "data" / "notes.txt", clone / "data" / "bench") == users
    assert "kept data/bench" in result.stderr
    assert not (clone / "data" / "demo").exists() and not (clone / "target").exists()
    assert not list((clone / "data").glob("dashboard/dashboard.*"))

    # a data/demo the user made is not the demo's: the demo refuses it and leaves it alone
    mine = write_csv(clone / "data" / "demo" / "2019-Oct.csv", [ROW])
    refused = make(clone, "demo", "EVENTS=1000", env=env)
    assert refused.returncode != 0 and "was not made by make demo" in refused.stderr
    assert mine.read_text() == f"{HEADER}\n{ROW}\n"
