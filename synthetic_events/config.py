"""What to generate: size, seed, period and file layout, and the check that it can be generated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class GeneratorConfig:
    events: int = 1_000_000  # approximate number of data rows to write, duplicates included
    seed: int = 42
    start: date = date(2019, 10, 1)
    end: date = date(2019, 11, 30)  # inclusive
    per_day: bool = False  # one file per day instead of one file per month
    gzip: bool = False  # write .csv.gz instead of .csv


def validate(config: GeneratorConfig) -> None:
    """Raise ValueError with one sentence when the config cannot be generated."""
    if config.events < 1:
        raise ValueError(f"events must be at least 1, got {config.events}.")
    if config.end < config.start:
        raise ValueError(f"end ({config.end}) must not be before start ({config.start}).")
    if config.seed < 0:
        raise ValueError(f"seed must be zero or positive, got {config.seed}.")
