"""`python -m tests.athena.dbt_cli <args>`: dbt's own command line (what `.venv/bin/dbt` runs),
with botocore's data files memoized across boto3 sessions.

Why: dbt-athena opens a new boto3 session for every node it runs, and each session reads and
decodes botocore's service models and endpoint rules again, and lists the services and API
versions on disk again (an isfile for each of some 400 service directories): together about
1.5 s of CPU per node on a busy two-core machine, most of a stand-in build's time. The files are
read-only package data and botocore already caches them per loader; sharing the cache between
loaders changes nothing that dbt, the adapter or boto3 do.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

import botocore.loaders


def _share_across_loaders(name: str) -> None:
    """Memoize the Loader method `name` for every loader with the same search paths."""
    original = getattr(botocore.loaders.Loader, name)
    cache: dict[tuple[Any, ...], Any] = {}
    lock = threading.Lock()

    def shared(self: botocore.loaders.Loader, *args: Any) -> Any:
        key = (tuple(self.search_paths), *args)
        with lock:
            if key in cache:
                return cache[key]
        found = original(self, *args)
        with lock:
            return cache.setdefault(key, found)

    setattr(botocore.loaders.Loader, name, shared)


def share_botocore_data_cache() -> None:
    # The data files, and the two directory scans every new session's first client makes
    # (which services and which API versions exist: an isfile per service directory).
    for name in ("load_data_with_path", "list_available_services", "list_api_versions"):
        _share_across_loaders(name)


if __name__ == "__main__":
    share_botocore_data_cache()
    from dbt.cli.main import cli

    sys.argv[0] = "dbt"
    sys.exit(cli())
