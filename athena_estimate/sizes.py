"""The sizes the estimate charges: each table's compressed Parquet bytes per partition and
column, and each landed raw file's bytes; saved to and read from JSON.

A table's partitions are keyed as on Athena: `''` for an unpartitioned table, the day
(`2019-11-30`) for `day(column)`, the value itself (`201911`, `2019-11-30`) for an identity
partition. `batch_rows` counts the rows the latest run wrote (the largest `loaded_in_run`):
in the warehouse of an incremental run, the batch that run merged or appended.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from athena_estimate.errors import EstimateError
from athena_estimate.pruning import Range, Value

RAW_RELATION = "ecommerce_raw.event_lines"
_TRANSFORM = re.compile(r"^\s*(year|month|day)\s*\(\s*\"?(\w+)\"?\s*\)\s*$", re.IGNORECASE)
_ONE_MICROSECOND = dt.timedelta(microseconds=1)


@dataclass(frozen=True)
class Partitioning:
    """A table's Iceberg partition spec (one field at most, as in this project)."""

    column: str | None = None  # the source column
    transform: str = "none"  # none, identity, year, month, day

    @classmethod
    def parse(cls, specs: list[str] | None) -> Partitioning:
        """From a dbt `partitioned_by` config: `['day(event_time)']`, `['source_period']`, None."""
        if not specs:
            return cls()
        if len(specs) > 1:
            raise EstimateError(f"partitioned_by {specs}: only one partition field is supported")
        match = _TRANSFORM.match(specs[0])
        if match:
            return cls(column=match.group(2).lower(), transform=match.group(1).lower())
        return cls(column=specs[0].strip().strip('"`').lower(), transform="identity")

    def key_sql(self) -> str:
        """DuckDB expression of a row's partition key (a constant for an unpartitioned table)."""
        if self.column is None:
            return "''"
        column = f'"{self.column}"'
        return {
            "identity": column,
            "day": f"cast({column} as date)",
            "month": f"strftime({column}, '%Y-%m')",
            "year": f"strftime({column}, '%Y')",
        }[self.transform]

    def env(self, key: str, day_equivalents: list[str]) -> dict[str, Value]:
        """What a partition says about its rows' columns, for pruning: the exact value of an
        identity column, the range of a transformed one, and the day of the columns known to
        equal day(<column>) on every row."""
        if self.column is None or key in ("", "NULL"):
            return {}
        if self.transform == "identity":
            return {self.column: _typed(key)}
        if self.transform == "day":
            day = dt.date.fromisoformat(key)
            start = dt.datetime.combine(day, dt.time())
            found: dict[str, Value] = {self.column: Range(start, start + dt.timedelta(days=1) - _ONE_MICROSECOND)}
            found.update({column: day for column in day_equivalents})
            return found
        year, _, month = key.partition("-")
        start = dt.datetime(int(year), int(month or 1), 1)
        end = (
            dt.datetime(start.year + 1, 1, 1)
            if self.transform == "year" or start.month == 12
            else dt.datetime(start.year, start.month + 1, 1)
        )
        return {self.column: Range(start, end - _ONE_MICROSECOND)}


def _typed(text: str) -> Value:
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return text


@dataclass
class PartitionSize:
    rows: int
    batch_rows: int  # rows of the latest run (largest loaded_in_run); 0 without loaded_in_run
    columns: dict[str, int]  # compressed Parquet bytes per column

    @property
    def bytes(self) -> int:
        return sum(self.columns.values())


@dataclass
class TableSize:
    relation: str  # schema.table
    partitioning: Partitioning
    columns: list[str]
    has_batch: bool  # carries loaded_in_run
    day_equivalents: list[str] = field(default_factory=list)  # date columns equal to day(partition column)
    partitions: dict[str, PartitionSize] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)  # DuckDB type of each column

    @property
    def rows(self) -> int:
        return sum(p.rows for p in self.partitions.values())

    @property
    def bytes(self) -> int:
        return sum(p.bytes for p in self.partitions.values())

    def touched(self) -> set[str]:
        """The partitions the latest run wrote to."""
        return {key for key, part in self.partitions.items() if part.batch_rows > 0}


@dataclass(frozen=True)
class RawFile:
    path: str  # year=YYYY/month=MM/<file>, as the "$path" of its lines ends
    year: int
    month: int
    bytes: int


@dataclass
class Sizes:
    warehouse: str
    raw_root: str
    tables: dict[str, TableSize]
    raw_files: list[RawFile]
    raw_lines: int = 0  # lines read from the raw files (stg_raw_files), header lines excluded

    @property
    def raw_bytes(self) -> int:
        return sum(f.bytes for f in self.raw_files)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=1))

    @classmethod
    def load(cls, path: Path) -> Sizes:
        try:
            document: dict[str, Any] = json.loads(path.read_text())
        except FileNotFoundError:
            raise EstimateError(f"no sizes file at {path}: run `python -m athena_estimate sizes` first") from None
        tables = {
            name: TableSize(
                relation=table["relation"],
                partitioning=Partitioning(**table["partitioning"]),
                columns=list(table["columns"]),
                has_batch=bool(table["has_batch"]),
                day_equivalents=list(table["day_equivalents"]),
                partitions={key: PartitionSize(**part) for key, part in table["partitions"].items()},
                types=dict(table.get("types", {})),
            )
            for name, table in document["tables"].items()
        }
        raw = [RawFile(**item) for item in document["raw_files"]]
        return cls(
            warehouse=document["warehouse"],
            raw_root=document["raw_root"],
            tables=tables,
            raw_files=raw,
            raw_lines=int(document.get("raw_lines", 0)),
        )


_RAW_PATH = re.compile(r"year=(\d+)/month=(\d+)/([^/]+)$")


def canonical_raw_path(path: str) -> str | None:
    """`.../events/year=2019/month=11/2019-11-30.csv` -> `year=2019/month=11/2019-11-30.csv`
    (a local path in the harness, an S3 key on Athena, the same file at any scale)."""
    match = _RAW_PATH.search(path.replace("\\", "/"))
    return f"year={match.group(1)}/month={match.group(2)}/{match.group(3)}" if match else None


def raw_files(raw_root: Path) -> list[RawFile]:
    """The landed files under `<raw_root>/events/year=YYYY/month=MM/` (CSV, maybe gzipped)."""
    events = raw_root / "events"
    if not events.is_dir():
        raise EstimateError(f"no raw layout at {raw_root} (expected {events}/year=YYYY/month=MM/*.csv)")
    found = []
    for path in sorted(events.glob("year=*/month=*/*.csv*")):
        canonical = canonical_raw_path(str(path))
        match = _RAW_PATH.search(str(path))
        if canonical is None or match is None:
            continue
        found.append(RawFile(canonical, int(match.group(1)), int(match.group(2)), path.stat().st_size))
    if not found:
        raise EstimateError(f"no landed file under {events}")
    return found
