"""The suite's dbt fork server (tests/dbt_forkserver.py) after its warm-up
(tests/dbt_forkserver_warmup.py): it holds no thread a forked dbt process would inherit as a
lock without its thread, so a dbt process that parses the project from nothing finishes."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import dbt_invocation
from tests import dbt_forkserver

# A parse that hangs on an inherited lock fails here instead of holding the suite.
PARSE_TIMEOUT_SECONDS = 300


def _server_pid(socket_path: str) -> int:
    for process in Path("/proc").iterdir():
        if process.name.isdigit():
            try:
                arguments = (process / "cmdline").read_bytes().split(b"\0")
            except OSError:  # ended meanwhile
                continue
            if b"tests.dbt_forkserver" in arguments and socket_path.encode() in arguments:
                return int(process.name)
    raise AssertionError(f"no fork server process serves {socket_path}")


@pytest.mark.dbt
def test_the_warmed_server_holds_one_thread_and_a_full_parse_through_it_finishes(tmp_path: Path) -> None:
    server = dbt_forkserver.server()
    assert server is not None, "the suite sets DBT_FORKSERVER_LAUNCH"
    threads = list(Path(f"/proc/{_server_pid(server.path)}/task").iterdir())
    assert len(threads) == 1, f"{len(threads)} threads in the fork server"

    # a new target folder: a full parse, static parser (dbt_extractor) included
    call = dbt_invocation("parse", tmp_path / "raw", tmp_path, seeded=False)
    parsed = server.run(call.argv, call.env, call.cwd, timeout=PARSE_TIMEOUT_SECONDS)

    assert parsed.returncode == 0, parsed.stdout[-3000:] + parsed.stderr[-2000:]
    assert (tmp_path / "target" / "manifest.json").is_file()
