"""The Markdown section of one run, and docs/benchmarks.md that collects them (newest at the end)."""

from __future__ import annotations

from pathlib import Path

from bench.dbt_results import NodeTime
from bench.measure import SAMPLE_SECONDS
from bench.results import STEP_KEYS, STEP_LABELS, BenchRun, StepResult, Verdict

HEADER = """# Benchmarks

Each section below is one run of the benchmark harness (`bench/`), newest at the end. To
reproduce on your machine (it appends a section here):

```bash
make bench EVENTS=10000000          # the default size; EVENTS=110000000 is the real dataset's
.venv/bin/python -m bench run --help   # --no-spark, --keep, --work-dir, --report
```

One run generates the events as one file per day (Oct and Nov 2019), lands all days but the
last, and times: (a) DuckDB reading the landed CSVs once, the floor; (b) `dbt build
--full-refresh`; (e) the original pipeline's job on PySpark in local mode over the same files;
(c) landing the last day and an incremental `dbt build`; (d) `dbt build` with nothing new; and
(check) a full refresh over all the files into a second warehouse, which every table of the
incremental one must equal. Spark's totals must equal dbt's marts.
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
        "Checks:",
        "",
        *map(verdict_line, run.verdicts),
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
