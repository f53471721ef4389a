"""Generating a run: the catalogue and users once, then each day generated, written and dropped."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from synthetic_events.catalogue import build_catalogue
from synthetic_events.config import GeneratorConfig, validate
from synthetic_events.days import DayPlan, generate_day, plan_days
from synthetic_events.output import group_by_file, write_files
from synthetic_events.users import build_users


def generate(config: GeneratorConfig, out_dir: Path) -> list[Path]:
    """Write the files and return their paths, sorted."""
    validate(config)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    catalogue = build_catalogue(config.events, config.seed)
    users = build_users(config.events, config.seed)
    plans = plan_days(config)

    def make_day(plan: DayPlan) -> pl.DataFrame:
        return generate_day(catalogue, users, plan, len(plans), config.seed)

    files = [(out_dir / name, group) for name, group in group_by_file(plans, config)]
    write_files(files, config.gzip, make_day)
    paths = [path for path, _ in files]
    return sorted(paths)
