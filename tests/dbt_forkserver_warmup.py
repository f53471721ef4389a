"""What the dbt fork server (tests/dbt_forkserver.py) does before it serves: it parses the
project once per target and compiles every macro of both manifests into dbt's template cache
(keyed by the macro's text), so that each dbt process it forks starts with what every build
would otherwise compile again (about a quarter of a small build's time).

A parse opens no connection, and dbt supports several invocations in one process (its own
functional tests run so): each command resets the adapters, flags and loggers it uses. The one
native thread pool a parse starts, dbt_extractor's (Rust, rayon), would be inherited by a forked
dbt process as locks without their threads, and the process would hang at its first static
parse; here every call of the extractor runs in a short-lived child of its own instead, and the
server refuses to serve if anything else has left a thread behind.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[1]
# The modules that call dbt_extractor during a parse, each with its own reference to it.
_EXTRACTOR_USERS = ("dbt.parser.models", "dbt.parser.unit_tests", "dbt.clients.jinja_static")


def warm_templates() -> None:
    from dbt.cli.main import dbtRunner
    from dbt.contracts.graph.manifest import Manifest
    from dbt_common.clients.jinja import template_cache

    saved = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="dbtfs-warm-") as folder, _extractor_in_children():
        work = Path(folder)
        (work / "profiles").mkdir()
        (work / "profiles" / "profiles.yml").write_text((REPOSITORY / "profiles.yml.example").read_text())
        try:
            for target in ("local", "athena"):
                os.environ.clear()
                os.environ.update(_parse_environment(saved, work))
                parsed = dbtRunner().invoke(
                    ["parse", "--project-dir", str(REPOSITORY), "--target", target, "--quiet",
                     "--target-path", str(work / target), "--log-path", str(work / "logs")]
                )  # fmt: skip
                if not parsed.success or not isinstance(parsed.result, Manifest):
                    continue  # the commands served report what is wrong with the project
                for macro in parsed.result.macros.values():
                    template_cache.get_node_template(macro)
        finally:
            os.environ.clear()
            os.environ.update(saved)
    _refuse_leftover_threads()


def _parse_environment(saved: dict[str, str], work: Path) -> dict[str, str]:
    """The server's environment without the project's settings, with a profile and paths of its own."""
    return {
        **{key: value for key, value in saved.items() if not key.startswith(("ECOM_", "DBT_", "AWS_"))},
        "DBT_PROFILES_DIR": str(work / "profiles"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "ECOM_RAW_DIR": str(work / "raw"),
        "ECOM_DUCKDB_PATH": str(work / "warehouse.duckdb"),
        "AWS_REGION": "us-east-1",
    }


@contextlib.contextmanager
def _extractor_in_children() -> Iterator[None]:
    import importlib

    modules: list[Any] = [importlib.import_module(name) for name in _EXTRACTOR_USERS]
    originals = [module.py_extract_from_source for module in modules]
    for module in modules:
        module.py_extract_from_source = _extract_in_a_child
    try:
        yield
    finally:
        for module, original in zip(modules, originals, strict=True):
            module.py_extract_from_source = original


def _extract_in_a_child(source: str) -> Any:
    """dbt_extractor's py_extract_from_source, run in a child that ends after it."""
    from dbt_extractor import ExtractionError, py_extract_from_source  # type: ignore[import-untyped]

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        try:
            outcome: tuple[str, Any] = ("extracted", py_extract_from_source(source))
        except ExtractionError as error:
            outcome = ("refused", str(error))
        with os.fdopen(write_end, "wb") as out:
            pickle.dump(outcome, out)
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as into:
        kind, value = pickle.load(into)
    os.waitpid(pid, 0)
    if kind == "refused":
        raise ExtractionError(value)
    return value


def _refuse_leftover_threads() -> None:
    tasks = Path("/proc/self/task")
    if tasks.is_dir() and len(list(tasks.iterdir())) > 1:
        raise RuntimeError("the dbt fork server's warm-up left a thread running; a forked dbt process would hang")
