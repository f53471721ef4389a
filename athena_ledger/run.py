"""The dbt run a ledger is about, from its target/run_results.json: the invocation and when it
ran (generated_at is written as the run ends, elapsed_time is how long it took)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from athena_ledger.errors import LedgerError

# Statements are sent a little before dbt starts timing (hooks, connections) and clocks differ.
MARGIN = timedelta(minutes=5)
# A statement without a query comment is this run's only if Athena received it while the run
# ran (an NTP-synced runner's clock and AWS's differ by less than this).
CLOCK_SKEW = timedelta(seconds=2)


@dataclass(frozen=True)
class Run:
    invocation_id: str
    generated_at: datetime
    elapsed_seconds: float
    path: Path
    relations: dict[str, str] = field(default_factory=dict)  # "schema.table" -> the node that built it

    @property
    def started(self) -> datetime:
        return self.generated_at - timedelta(seconds=self.elapsed_seconds)

    @property
    def window_start(self) -> datetime:
        """No statement of the run was submitted before this."""
        return self.started - MARGIN

    @property
    def window_end(self) -> datetime:
        return self.generated_at + MARGIN

    def ran_during(self, submitted: datetime) -> bool:
        """Athena received it while the run ran (not before it started, not after it ended)."""
        return self.started - CLOCK_SKEW <= submitted <= self.generated_at + CLOCK_SKEW


def _timestamp(value: object, path: Path) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise LedgerError(f"{path}: metadata.generated_at is not a timestamp: {value!r}.") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def read_run(target_path: Path) -> Run:
    """The run of `target_path/run_results.json`."""
    path = target_path / "run_results.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LedgerError(f"No {path}: run `dbt build --target athena` first, or give --target-path.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise LedgerError(f"Cannot read {path}: {error}.") from None
    metadata = data.get("metadata") if isinstance(data, dict) else None
    if not isinstance(metadata, dict) or not metadata.get("invocation_id"):
        raise LedgerError(f"{path} has no metadata.invocation_id: is it dbt's run_results.json?")
    elapsed = data.get("elapsed_time")
    if not isinstance(elapsed, int | float) or elapsed < 0:
        raise LedgerError(f"{path} has no elapsed_time: is it dbt's run_results.json?")
    return Run(
        invocation_id=str(metadata["invocation_id"]),
        generated_at=_timestamp(metadata.get("generated_at"), path),
        elapsed_seconds=float(elapsed),
        path=path,
        relations=_relations(data.get("results")),
    )


def _relations(results: Any) -> dict[str, str]:
    """The tables the run's models, seeds and snapshots built, by `schema.table`."""
    found = {}
    for result in results if isinstance(results, list) else []:
        name = result.get("relation_name") if isinstance(result, dict) else None
        if isinstance(name, str) and name:
            parts = [part.strip('"`').lower() for part in name.split(".")]
            found[".".join(parts[-2:])] = str(result.get("unique_id", ""))
    return found
