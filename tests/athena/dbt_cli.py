"""`python -m tests.athena.dbt_cli <args>`: dbt's own command line (what `.venv/bin/dbt` runs),
with botocore's data files memoized across boto3 sessions.

Why: dbt-athena opens a new boto3 session for every node it runs, and each session reads and
decodes botocore's service models and endpoint rules again (about 1.5 s of CPU per node on a
busy two-core machine), which alone would put the conformance harness far over its time budget.
The files are read-only package data and botocore already caches them per loader; sharing the
cache between loaders changes nothing that dbt, the adapter or boto3 do.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

import botocore.loaders


def _share_botocore_data_cache() -> None:
    original = botocore.loaders.Loader.load_data_with_path
    cache: dict[tuple[tuple[str, ...], str], Any] = {}
    lock = threading.Lock()

    def load_data_with_path(self: botocore.loaders.Loader, name: str) -> Any:
        key = (tuple(self.search_paths), name)
        with lock:
            if key in cache:
                return cache[key]
        loaded = original(self, name)
        with lock:
            return cache.setdefault(key, loaded)

    botocore.loaders.Loader.load_data_with_path = load_data_with_path  # type: ignore[method-assign]


if __name__ == "__main__":
    _share_botocore_data_cache()
    from dbt.cli.main import cli

    sys.argv[0] = "dbt"
    sys.exit(cli())
