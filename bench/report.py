"""The Markdown section of one run, and docs/benchmarks.md that collects them (newest at the end)."""

from __future__ import annotations

from pathlib import Path

from athena_estimate.captured import Run
from bench.athena import RUNS
from bench.dbt_results import NodeTime
from bench.measure import SAMPLE_SECONDS
from bench.results import STEP_KEYS, STEP_LABELS, BenchRun, StepResult, Verdict

HEADER = """# Benchmarks

Each section below is one run of the benchmark harness (`bench/`), newest at the end. To
reproduce on your machine (it appends a section here):

```bash
make bench EVENTS=10000000          # the default size; EVENTS=110000000 is the real dataset's
make bench EVENTS=110000000 COMPARE_EVENTS=10000000   # the same day over two history sizes
.venv/bin/python -m bench run --help   # --no-spark, --no-athena, --keep, --work-dir, --report
```

One run generates the events as one file per day (Oct and Nov 2019), lands all days but the
last, and times: (a) DuckDB reading the landed CSVs once, the floor; (b) `dbt build
--full-refresh`; (e) the original pipeline's job on PySpark in local mode over the same files;
(c) landing the last day and an incremental `dbt build`; (d) `dbt build` with nothing new; and
(check) a full refresh over all the files into a second warehouse, which every table of the
incremental one must equal. Spark's totals must equal dbt's marts. The Athena estimate charges
the SQL dbt-athena sends for b, c and d (captured through the stand-in) at the Parquet sizes of
the run's own warehouse.
"""

RATIOS = (("b", "a"), ("b", "e"), ("c", "b"), ("d", "b"))


def _seconds(value: float) -> str:
    return f"{value:,.1f}" if value >= 10 else f"{value:,.2f}"


def _size(value: int) -> str:
    return f"{value / 1e9:,.2f} GB" if value >= 1e9 else f"{value / 1e6:,.1f} MB"


def _gigabytes(value: int) -> str:
    return f"{value / 1e9:,.2f}"


def _step_row(key: str, step: StepResult | None) -> str:
    if step is None:
        return f"| {key} | {STEP_LABELS[key]} | skipped | | |"
    return (
        f"| {key} | {STEP_LABELS[key]} | {_seconds(step.wall_seconds)} | "
        f"{step.rows_per_second:,.0f} | {_gigabytes(step.peak_rss_bytes)} |"
    )


def steps_table(run: BenchRun) -> list[str]:
    return [
        "| step | what | wall time (s) | rows/s | peak memory (GB) |",
        "|---|---|--:|--:|--:|",
        *(_step_row(key, run.steps.get(key)) for key in STEP_KEYS),
    ]


def ratios_line(run: BenchRun) -> str:
    parts = []
    for top, bottom in RATIOS:
        ratio = run.ratio(top, bottom)
        parts.append(f"{top}/{bottom} = {'n/a' if ratio is None else f'{ratio:,.2f}'}")
    return "Ratios of wall times: " + ", ".join(parts)


def _nodes(nodes: list[NodeTime]) -> str:
    return ", ".join(f"{node.name} {_seconds(node.seconds)} s" for node in nodes) or "n/a"


def slowest_lines(run: BenchRun) -> list[str]:
    return [f"- {key}: {_nodes(run.slowest.get(key, []))}" for key in ("b", "c", "d")]


def verdict_line(verdict: Verdict) -> str:
    word = {True: "**equal**", False: "**DIFFERENT**", None: "not checked"}[verdict.ok]
    lines = [f"- {verdict.name}: {word}; {verdict.summary}"]
    lines += [f"  - {detail}" for detail in verdict.details]
    return "\n".join(lines)


def _context_lines(run: BenchRun) -> list[str]:
    env = run.environment
    versions = ", ".join(f"{name} {version}" for name, version in env.versions.items())
    physical = f" ({env.physical_cores} physical)" if env.physical_cores else ""
    return [
        f"- Commit: `{env.commit}`",
        f"- Events requested: {run.events_requested:,} (seed {run.seed}); rows landed: {run.rows_landed:,} "
        f"({run.rows_landed_first:,} in all days but the last, then {run.rows_held_back:,} in the last day); "
        f"landed bytes: {run.landed_bytes:,} ({_size(run.landed_bytes)})",
        f"- Machine: {env.logical_cores} logical cores{physical}, {env.memory_gb:,.1f} GB memory, CPU {env.cpu_model}",
        f"- Versions: {versions}",
    ]


def _gb(value: float) -> str:
    return f"{value / 1e9:,.3f}" if value < 10e9 else f"{value / 1e9:,.1f}"


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:,.1f} %"


def athena_lines(run: BenchRun) -> list[str]:
    """The estimate's totals per run, its share of the full build, and the day's largest nodes."""
    found = run.athena
    if found is None:
        return ["Athena estimate: skipped (--no-athena)."]
    rows = [
        f"| {run_label} | {totals.queries:,} | {_gb(totals.bytes)} | {_gb(totals.billed)} | ${totals.usd:,.4f} | "
        f"{_percent(found.share_of_full(key))} |"
        for key, run_label, totals in ((key, key.label, found.runs[key]) for key in RUNS)
    ]
    day = found.runs[Run.DAY].bytes
    per_new = f"{day / run.held_back_bytes:,.1f}" if run.held_back_bytes else "n/a"
    nodes = ", ".join(f"{node.name} {_gb(node.bytes)} GB" for node in found.day_nodes) or "n/a"
    return [
        f"Athena estimate (the statements of commit `{found.capture_commit}` captured through the stand-in on "
        f"{found.capture_events:,} events, charged at the Parquet zstd sizes of this run's warehouse after c, "
        f"{_gb(found.raw_bytes)} GB of raw files):",
        "",
        "| run | queries | scanned GB | billed GB | USD at $5/TB | of the full build's bytes |",
        "|---|--:|--:|--:|--:|--:|",
        *rows,
        "",
        f"The day scans {per_new} GB per GB of new data (the new file: {_size(run.held_back_bytes)}). "
        f"Its largest nodes: {nodes}.",
    ]


def format_section(run: BenchRun) -> str:
    lines = [
        f"## {run.started_at:%Y-%m-%d %H:%M} UTC: {run.events_requested:,} events",
        "",
        *_context_lines(run),
        "",
        *steps_table(run),
        "",
        "Rows/s: the rows landed when the step ran (all days but the last for a, b and e; all days for "
        f"c, d and check) per second of wall time. Peak memory: the largest sum of the resident memory "
        f"(RSS) of the step's whole process tree, sampled every {SAMPLE_SECONDS:g} s with psutil.",
        "",
        ratios_line(run),
        "",
        "Slowest nodes (dbt's run_results.json):",
        "",
        *slowest_lines(run),
        "",
        *athena_lines(run),
        "",
        "Checks:",
        "",
        *map(verdict_line, run.verdicts),
    ]
    return "\n".join(lines) + "\n"


def _growth(small: float | None, large: float | None) -> str:
    if small is None or large is None or small <= 0:
        return "n/a"
    return f"{large / small:,.2f}x"


def _growth_row(what: str, small: float | None, large: float | None, unit: str) -> str:
    def cell(value: float | None) -> str:
        return "n/a" if value is None else (f"{value:,.3f}" if value < 10 else f"{value:,.1f}")

    return f"| {what} | {unit} | {cell(small)} | {cell(large)} | {_growth(small, large)} |"


def _duckdb_seconds(run: BenchRun, step: str) -> float | None:
    found = run.steps.get(step)
    return None if found is None else found.wall_seconds


def _athena_gb(run: BenchRun, key: Run) -> float | None:
    return None if run.athena is None else run.athena.runs[key].bytes / 1e9


def _per_new_gb(value: float | None, run: BenchRun) -> float | None:
    return None if value is None or not run.held_back_bytes else value / (run.held_back_bytes / 1e9)


def _growth_rows(small: BenchRun, large: BenchRun) -> list[str]:
    rows = [
        _growth_row(f"DuckDB: {what} ({step})", _duckdb_seconds(small, step), _duckdb_seconds(large, step), "s")
        for what, step in (("full build", "b"), ("one more day", "c"), ("nothing new", "d"))
    ]
    rows.append(_growth_row(
        "DuckDB: one more day, per GB of new data", _per_new_gb(_duckdb_seconds(small, "c"), small),
        _per_new_gb(_duckdb_seconds(large, "c"), large), "s per GB new",
    ))  # fmt: skip
    rows += [
        _growth_row(f"Athena: {what}", _athena_gb(small, key), _athena_gb(large, key), "GB scanned")
        for what, key in (("full build", Run.FULL), ("one more day", Run.DAY), ("nothing new", Run.NOTHING))
    ]
    rows.append(_growth_row(
        "Athena: one more day, per GB of new data", _per_new_gb(_athena_gb(small, Run.DAY), small),
        _per_new_gb(_athena_gb(large, Run.DAY), large), "GB scanned per GB new",
    ))  # fmt: skip
    return rows


def format_growth(small: BenchRun, large: BenchRun) -> str:
    """How the cost of one more day grew from the shorter history to the longer one, per engine:
    in absolute terms, and per GB of the day's new file (the days differ in size with the history)."""
    history = _growth(small.landed_bytes, large.landed_bytes)
    lines = [
        f"## Growth of a day's cost: {small.events_requested:,} -> {large.events_requested:,} events",
        "",
        f"The same bench, one history after the other: {small.rows_landed:,} then {large.rows_landed:,} rows "
        f"landed ({_size(small.landed_bytes)} then {_size(large.landed_bytes)}, {history}); the new day's "
        f"file {_size(small.held_back_bytes)} then {_size(large.held_back_bytes)}. A day costs a day when its "
        "cost per GB of new data stays flat while the history grows (the target: within 1.5x).",
        "",
        f"| measure | unit | {small.events_requested:,} events | {large.events_requested:,} events | growth |",
        "|---|---|--:|--:|--:|",
        *_growth_rows(small, large),
    ]
    return "\n".join(lines) + "\n"


def append_section(report: Path, section: str) -> None:
    """Append one run's section, writing the file's header first when the file is new."""
    existing = report.read_text(encoding="utf-8") if report.exists() else ""
    with report.open("a", encoding="utf-8") as out:
        if not existing.strip():
            out.write(HEADER)
        elif not existing.endswith("\n"):
            out.write("\n")
        out.write("\n" + section)
