"""The Markdown section: totals per run, a row per node, the largest statements, the dashboard
marts' sizes, what the incremental day reads, the findings and the assumptions."""

from __future__ import annotations

from collections.abc import Iterable

from athena_estimate.captured import Capture, Run
from athena_estimate.estimate import Estimator, StatementCost, Totals, by_group, totals
from athena_estimate.findings import Finding, findings
from athena_estimate.sizes import RAW_RELATION, Sizes
from athena_ledger.billing import GB, MB, MIN_BILLED

RUNS = (Run.FULL, Run.DAY, Run.NOTHING)


def _gb(value: float) -> str:
    return f"{value / GB:,.3f}" if value < 10 * GB else f"{value / GB:,.1f}"


def _usd(value: float) -> str:
    return f"${value:,.4f}" if value < 1 else f"${value:,.2f}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: Iterable[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows]
    return lines


def _totals_section(costs: list[StatementCost]) -> list[str]:
    rows = []
    for run in RUNS:
        found = totals(costs, run)
        minimum = sum(
            MIN_BILLED - c.bytes
            for c in costs
            if c.statement.run is run and c.statement.charged and c.bytes < MIN_BILLED
        )
        rows.append([
            run.label, f"{found.queries:,}", _gb(found.bytes), _gb(found.billed), _gb(minimum), _usd(found.usd),
        ])  # fmt: skip
    header = ["run", "queries", "scanned GB", "billed GB", "of which 10 MB minimums", "USD at $5/TB"]
    return ["### Totals", "", *_table(header, rows), ""]


def _nodes_section(capture: Capture, costs: list[StatementCost], small: int = MB) -> list[str]:
    groups = by_group(capture, costs)
    order = sorted(groups, key=lambda g: (-groups[g][Run.FULL].bytes, -groups[g][Run.DAY].bytes, g))
    rows = []
    minor = [g for g in order if all(groups[g][run].bytes < small for run in RUNS)]
    for group in order:
        if group in minor:
            continue
        cells = groups[group]
        queries = "/".join(str(cells[run].queries) for run in RUNS)
        rows.append([group, queries, *(_gb(cells[run].bytes) for run in RUNS)])
    if minor:
        rest = {run: sum((groups[g][run] for g in minor), Totals()) for run in RUNS}
        rows.append([f"{len(minor)} other nodes, each under {small / MB:,.0f} MB a run",
                     "/".join(str(rest[r].queries) for r in RUNS), *(_gb(rest[r].bytes) for r in RUNS)])  # fmt: skip
    sums = {run: sum((groups[g][run] for g in groups), Totals()) for run in RUNS}
    rows.append(["**all**", "/".join(str(sums[r].queries) for r in RUNS), *(f"**{_gb(sums[r].bytes)}**" for r in RUNS)])
    header = ["node (generic tests grouped by the model they test)", "queries full/day/none",
              *(f"{run.label} GB" for run in RUNS)]  # fmt: skip
    return ["### Scanned per node", "", *_table(header, rows), ""]


def _largest_section(capture: Capture, costs: list[StatementCost], top: int = 5) -> list[str]:
    rows = []
    for run in RUNS:
        ranked = sorted((c for c in costs if c.statement.run is run and c.statement.charged), key=lambda c: -c.bytes)
        for cost in ranked[:top]:
            what = "; ".join(
                f"{r.read.relation}{' (' + r.read.role + ')' if r.read.role != 'scan' else ''} {_gb(r.bytes)} GB "
                f"[{len(r.selected)}/{r.total}]"
                for r in sorted(cost.reads, key=lambda r: -r.bytes)[:3]
                if r.bytes
            ) + (f"; {len(cost.reads) - 3} more" if len(cost.reads) > 3 else "")
            statement = cost.statement
            rows.append([run.label, str(statement.index), capture.group(statement.node_id),
                         statement.purpose or statement.kind, _gb(cost.bytes), what])  # fmt: skip
    header = ["run", "statement #", "node", "kind", "GB", "reads (GB) [partitions or files read/all]"]
    return [f"### The {top} largest statements of each run", "", *_table(header, rows), ""]


def _marts_section(capture: Capture, sizes: Sizes) -> list[str]:
    rows = []
    for exposure, relations in sorted(capture.exposures.items()):
        for relation in relations:
            table = sizes.tables.get(relation)
            if table is None:
                rows.append([exposure, relation, "not measured", ""])
                continue
            rows.append([exposure, relation, f"{table.rows:,}", f"{table.bytes / MB:,.3f}"])
    return ["### Dashboard marts (Parquet, zstd)", "", *_table(["exposure", "mart", "rows", "MB"], rows), ""]


def _day_section(costs: list[StatementCost], estimator: Estimator, found: list[Finding]) -> list[str]:
    lines = ["### What the incremental day reads", ""]
    day = [c for c in costs if c.statement.run is Run.DAY and c.statement.charged]
    raw = [(c, r) for c in day for r in c.reads if r.read.relation == RAW_RELATION and not r.read.dead]
    files = sorted({path for _, r in raw for path in r.selected})
    if files == [estimator.new_raw_file]:
        lines.append(
            f"- Raw files: only the new day's, `{files[0]}`, in each of the {len(raw)} statements that read them."
        )
    else:
        lines.append(f"- Raw files: {len(files)} distinct file(s) where only `{estimator.new_raw_file}` is new:")
    for cost, read in raw:
        lines.append(
            f"  - statement #{cost.statement.index} ({cost.statement.node_id.split('.')[-1]}): "
            f"{len(read.selected)} of {read.total} file(s), {_gb(read.bytes)} GB: {', '.join(read.selected) or 'none'}"
        )
    scanned = sum(c.bytes for c in day)
    day_findings = [f for f in found if f.run is Run.DAY]
    extra = sum(f.beyond for f in day_findings)
    best = sum(f.best for f in day_findings)
    share = extra / scanned if scanned else 0.0
    lines.append(
        f"- Of the {_gb(scanned)} GB the incremental day scans, {_gb(extra)} GB ({share:.0%}) "
        f"are rows other than the day's, read by {len({i for f in day_findings for i in f.statements})} statements "
        "(the findings below); "
        f"if Iceberg file statistics and dynamic filtering skipped what they can, those reads would scan "
        f"{_gb(best)} GB instead of {_gb(sum(f.bytes for f in day_findings))} GB."
    )
    for relation, table in sorted(estimator.sizes.tables.items()):
        if not table.has_batch:
            continue
        reads = [r for c in day for r in c.reads if f"{r.read.schema}.{r.read.table}" == relation and r.bytes]
        beyond = [r for r in reads if r.beyond_batch > 0]
        spec = f"{table.partitioning.transform}({table.partitioning.column})" if table.partitioning.column else "none"
        lines.append(
            f"- {relation} (partitioned: {spec}; the day wrote {sum(p.batch_rows for p in table.partitions.values()):,}"
            f" of {table.rows:,} rows, in partition(s) {', '.join(sorted(table.touched())) or 'none'}): "
            f"{len(reads)} read(s), {_gb(sum(r.bytes for r in reads))} GB, of which "
            f"{_gb(sum(r.beyond_batch for r in beyond))} GB beyond the day's rows in {len(beyond)} read(s)"
        )
    return [*lines, ""]


def _findings_section(found: list[Finding], top: int = 12) -> list[str]:
    rows = []
    for run in (Run.DAY, Run.NOTHING):
        of_run = [f for f in found if f.run is run]
        for finding in of_run[:top]:
            statements = ", ".join(f"#{i}" for i in finding.statements[:3]) + (
                f" +{len(finding.statements) - 3}" if len(finding.statements) > 3 else ""
            )
            rows.append([
                run.label, finding.group, finding.relation, finding.role, statements, finding.reason,
                _gb(finding.bytes), _gb(finding.beyond), _gb(finding.best),
            ])  # fmt: skip
        rest = of_run[top:]
        if rest:
            rows.append([run.label, f"{len(rest)} more", "", "", "", "", _gb(sum(f.bytes for f in rest)),
                         _gb(sum(f.beyond for f in rest)), _gb(sum(f.best for f in rest))])  # fmt: skip
    header = ["run", "node", "table", "as", "statements", "why (the largest read)", "GB read",
              "GB beyond the day's rows", "GB at best"]  # fmt: skip
    intro = (
        "Reads of the raw files or of a table carrying `loaded_in_run` (not the run's own `__dbt_tmp` table) that "
        "scan more than the rows the run itself brought: on the incremental day, more than the new day's file and "
        "the day's rows; with nothing new, anything. *GB at best*: if Iceberg's per-file min/max statistics skip "
        "the files a literal filter on `loaded_in_run` or a date excludes (files written by one incremental run "
        "hold only its rows), and a MERGE target is pruned to the batch's days by dynamic filtering."
    )
    return ["### Findings: reads beyond the day", "", intro, "", *_table(header, rows), ""]


ASSUMPTIONS = [
    "Sizes: each table of the DuckDB warehouse exported to Parquet with zstd (DuckDB's writer, default row "
    "groups), partitioned like its Iceberg table (`partitioned_by`), compressed column-chunk bytes summed per "
    "partition and column (`parquet_metadata`). Athena's Iceberg writer (Trino, zstd) makes files of its own "
    "sizes; footers and Iceberg metadata reads are not counted. Raw files are charged at their landed size.",
    "Column pruning: an Iceberg read is charged only the columns its query uses, after sqlglot expands `*` "
    "and drops unused projections; the raw CSV table is charged whole files (text has no columns to skip).",
    "CTEs are inlined as Trino does: a WITH query referenced n times is n scans.",
    "Partition pruning from literal filters only: Iceberg partition transforms (`day(event_time)`, identity "
    "`event_date`, `source_period`), a DATE column equal to the day of a day partition on every row (checked "
    "on the data, e.g. stg_events.event_date) as Iceberg's per-file min/max would allow, the raw table's "
    'projected `year`/`month` partitions and its `"$path"` (files not selected are not opened). Filters '
    "on other columns (`loaded_in_run > N`, `is_accepted`) prune nothing here, though Iceberg file statistics "
    "or Parquet row-group statistics may skip some data on Athena.",
    "Not modeled: dynamic filtering (a MERGE's `target.c >= src.c`, joins, `in (select ...)`, the scalar "
    "subquery of `latest_batch`) and Iceberg file statistics, except in the findings' *GB at best*; Athena's "
    "query result reuse; "
    "Iceberg delete files from earlier MERGEs; a semi-join whose other side is empty is still charged.",
    "Incremental day and nothing-new sizes are those of the measured warehouse after the last day (the tables "
    "lack that day's rows before they are merged, 1/61 of them). A model's `__dbt_tmp` table holds its batch "
    "(the rows of the latest `loaded_in_run`), nothing when nothing is new (a snapshot's staging table: its whole "
    "table).",
    "The literals dbt rendered from the stand-in's answers on the small captured data set (the days changed, "
    "the raw files already read, int_sessions' window start) are used as they are: at scale the days and files "
    "are the same; int_sessions' window may start on the day before (a session crossing midnight).",
    "Billing: bytes rounded up to the MB per query with a 10 MB minimum on every SELECT, CTAS, INSERT and "
    "MERGE (the probes dbt sends that scan nothing included); DDL is free. GB = 10^9 bytes, TB = 10^12 bytes.",
]


def render(capture: Capture, sizes: Sizes, estimator: Estimator, costs: list[StatementCost]) -> str:
    found = findings(capture, costs, estimator)
    source = capture.source
    changed = source.get("changed") or []
    state = f"commit `{source.get('commit', '?')}`" + (
        f" with {len(changed)} changed project file(s) ({', '.join(changed[:6])}{'...' if len(changed) > 6 else ''})"
        if changed
        else ""
    )
    lines = [
        f"## Athena, on paper: {sizes.raw_lines:,} events",
        "",
        f"What the SQL dbt-athena sends would scan on Athena, and cost, at the size of `{sizes.warehouse}` "
        f"({sizes.raw_lines:,} raw lines in {len(sizes.raw_files)} landed files, {_gb(sizes.raw_bytes)} GB). The "
        f"statements were captured by `tests/athena/capture.py` through the conformance stand-in ({state}) on "
        f"{capture.events:,} generated events: a full build of 60 days; {capture.last_day_file} landed and an "
        f"incremental build; a build with nothing new. Their partition selections (days, months, raw files) apply "
        f"as they are to the measured layout. `python -m athena_estimate report` recomputes this section.",
        "",
        *_totals_section(costs),
        *_nodes_section(capture, costs),
        *_largest_section(capture, costs),
        *_marts_section(capture, sizes),
        *_day_section(costs, estimator, found),
        *_findings_section(found),
        "### Assumptions and what is not modeled",
        "",
        *(f"- {text}" for text in ASSUMPTIONS),
    ]
    unknown = sorted({r.read.relation for c in costs for r in c.reads if not r.known})
    if unknown:
        lines.append(f"- Not measured, charged 0 bytes: {', '.join(unknown)} (seed loading tables, tiny).")
    errors = [c for c in costs if c.error]
    if errors:
        lines.append(f"- {len(errors)} statement(s) sqlglot could not read, charged the minimum: "
                     + "; ".join(f"#{c.statement.index} {c.error}" for c in errors[:5]))  # fmt: skip
    return "\n".join(lines) + "\n"
