"""`python -m tests.athena.dbt_cli <args>`: dbt's own command line (what `.venv/bin/dbt` runs),
with botocore's data files memoized across boto3 sessions and one client per service and
settings.

Why: dbt-athena opens a new boto3 session for every node it runs, and each session reads and
decodes botocore's service models and endpoint rules again, and lists the services and API
versions on disk again (an isfile for each of some 400 service directories): together about
1.5 s of CPU per node on a busy two-core machine, most of a stand-in build's time. The files are
read-only package data and botocore already caches them per loader; sharing the cache between
loaders changes nothing that dbt, the adapter or boto3 do. After that, building the client
itself (its event hooks, endpoint resolver and request signer) is a fifth of the build's CPU:
the adapter asks for a fresh Glue, S3 or Athena client for nearly every call, always with the
same settings, and boto3's clients are safe to share between threads, so one client per service,
region, endpoint, credentials and configuration sends the same requests.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

import boto3.session
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


def _client_key(session: boto3.session.Session, service: str, kwargs: dict[str, Any]) -> tuple[Any, ...] | None:
    """What makes two clients the same, or None when the call cannot be keyed safely."""
    credentials = session.get_credentials()
    frozen = credentials.get_frozen_credentials() if credentials is not None else None
    config = kwargs.get("config")
    options = getattr(config, "_user_provided_options", {}) if config is not None else {}
    try:
        settings = tuple(sorted((k, repr(v)) for k, v in {**kwargs, "config": options}.items()))
    except TypeError:
        return None
    return (service, session.region_name, frozen, settings)


def share_boto3_clients() -> None:
    original: Any = boto3.session.Session.client  # typed by overloads per service
    clients: dict[tuple[Any, ...], Any] = {}
    lock = threading.Lock()

    def shared(self: boto3.session.Session, service_name: str, *args: Any, **kwargs: Any) -> Any:
        key = _client_key(self, service_name, kwargs) if not args else None
        if key is None:
            return original(self, service_name, *args, **kwargs)
        with lock:
            if key not in clients:
                clients[key] = original(self, service_name, **kwargs)
            return clients[key]

    boto3.session.Session.client = shared  # type: ignore[method-assign]


def share_boto3_work() -> None:
    """Both: the data files and the clients, for the dbt process about to start."""
    share_botocore_data_cache()
    share_boto3_clients()


if __name__ == "__main__":
    share_boto3_work()
    from dbt.cli.main import cli

    sys.argv[0] = "dbt"
    sys.exit(cli())
