"""The dashboard as one self-contained HTML file: inline CSS, inline SVG, a few lines of inline JS.

Layout of the original QuickSight dashboard: the KPI row, month-over-month revenue, revenue by
weekday within each month, top 5 brands, top 5 categories and the LTV-tier donut; then the
views the newer marts add: the conversion funnel, daily conversion and customer cohorts; last,
the Data health panel (dashboard/health_panel.py).

Nothing is loaded from anywhere: a Content-Security-Policy forbids every network load, and the
page's script records any script error or blocked load on `<html data-page-errors>`. When the
page has loaded it sets `data-rendered="ok"` (or "error") and `data-height` (used to size the
PNG and PDF exports).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from dashboard.data import MartTable
from dashboard.figures import Figure, compact, day_label, esc, money, month_label, number, percent, total
from dashboard.health_panel import CSS as HEALTH_CSS
from dashboard.health_panel import health_panel
from dashboard.svg import Mark, Series, bar_list, column_chart, donut, funnel, line_chart
from health.summary import Health

# (visual id, title, mart) in page order: the test checks that each is on the page.
VISUALS: tuple[tuple[str, str, str], ...] = (
    ("kpi_row", "Key figures", "kpi_summary"),
    ("revenue_month_over_month", "Revenue month over month", "revenue_month_over_month"),
    ("revenue_by_weekday", "Revenue by weekday within each month", "revenue_by_weekday"),
    ("top_5_brands", "Top 5 brands by revenue", "revenue_by_brand"),
    ("top_5_categories", "Top 5 categories by revenue", "revenue_by_category"),
    ("ltv_tier_donut", "Customers by LTV tier", "customers_by_ltv_tier"),
    ("daily_conversion", "Daily conversion", "funnel_daily"),
    ("conversion_funnel", "Conversion funnel", "funnel_daily"),
    ("customer_cohorts", "Customer cohorts: retention by month", "customer_cohorts"),
)
TITLES = {visual: title for visual, title, _ in VISUALS}

PALETTE = ("#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#06b6d4", "#ec4899", "#84cc16")
TIER_COLORS = ("#bfdbfe", "#60a5fa", "#2563eb", "#1e3a8a", "#0f172a")

# Chromium's headless screenshot and PDF use this width; the layout is designed for it.
PAGE_WIDTH = 1280

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
    "font-src data:; base-uri 'none'; form-action 'none'"
)

CSS = """
*{box-sizing:border-box}
html{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{margin:0;background:#f3f4f6;color:#111827;font:14px/1.4 "Liberation Sans",Arial,"Helvetica Neue",sans-serif}
main{max-width:1280px;margin:0 auto;padding:24px}
header{display:flex;justify-content:space-between;align-items:flex-end;margin-bottom:16px}
h1{font-size:24px;margin:0}
header p{margin:4px 0 0;color:#4b5563}
.grid{display:grid;grid-template-columns:repeat(12,1fr);gap:16px}
.card{background:#fff;border-radius:8px;box-shadow:0 1px 2px rgba(0,0,0,.08);padding:16px;min-width:0;
break-inside:avoid}
.card h2{font-size:15px;margin:0 0 2px}
.card .sub{color:#6b7280;font-size:12px;margin:0 0 10px}
.span3{grid-column:span 3}.span4{grid-column:span 4}.span5{grid-column:span 5}.span6{grid-column:span 6}
.span7{grid-column:span 7}.span8{grid-column:span 8}.span12{grid-column:span 12}
.kpis{display:contents}
.kpi .value{font-size:30px;font-weight:700;margin:6px 0 0;letter-spacing:-.5px}
.kpi .label{color:#4b5563;font-size:13px;margin:0;text-transform:uppercase;letter-spacing:.4px}
.kpi .note{color:#6b7280;font-size:12px;margin:4px 0 0}
.legend{display:flex;flex-wrap:wrap;gap:12px;list-style:none;margin:0 0 6px;padding:0;font-size:12px;color:#374151}
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.donut{display:flex;flex-direction:column;align-items:center;gap:8px}
.donut svg{width:170px;flex:none}
table{border-collapse:collapse;width:100%;font-size:12px}
th,td{padding:5px 8px;text-align:right;white-space:nowrap}
th{color:#4b5563;font-weight:600;border-bottom:1px solid #e5e7eb}
td:first-child,th:first-child{text-align:left}
.cohorts td.cell{text-align:center;border:2px solid #fff;min-width:64px}
.mark:hover{opacity:.8}
footer{color:#6b7280;font-size:12px;margin-top:16px}
"""

# Runs first: records any script error, failed load or blocked request on <html>.
WATCH_SCRIPT = """(function(){var root=document.documentElement;
function note(text){root.dataset.pageErrors=(root.dataset.pageErrors?root.dataset.pageErrors+" | ":"")+text;}
window.addEventListener("error",function(e){
note(e.message||("failed to load "+((e.target&&(e.target.src||e.target.href))||"a resource")));},true);
window.addEventListener("unhandledrejection",function(e){note("unhandled rejection: "+e.reason);});
document.addEventListener("securitypolicyviolation",function(e){note("blocked "+e.blockedURI);});
})();"""

# Runs last: the page has rendered; report it, and its height for the exports.
DONE_SCRIPT = """(function(){var root=document.documentElement;
window.addEventListener("load",function(){
root.dataset.height=String(Math.ceil(root.scrollHeight));
root.dataset.marks=String(document.querySelectorAll("[data-mart]").length);
root.dataset.rendered=root.dataset.pageErrors?"error":"ok";});
})();"""


def _card(visual: str, span: int, subtitle: str, body: str) -> str:
    return (
        f'<section class="card span{span}" data-visual="{visual}"><h2>{esc(TITLES[visual])}</h2>'
        f'<p class="sub">{esc(subtitle)}</p>{body}</section>'
    )


def _legend(series: Sequence[Series]) -> str:
    items = "".join(f'<li><i style="background:{one.color}"></i>{esc(one.name)}</li>' for one in series)
    return f'<ul class="legend">{items}</ul>'


def kpi_row(kpi: MartTable) -> str:
    row = kpi.rows[0] if kpi.rows else {}
    cards = (
        ("lifetime_revenue", "Lifetime revenue", money, "sum of all purchase prices"),
        ("avg_customer_ltv", "Average customer LTV", money, "lifetime revenue / customers"),
        ("total_customers", "Total customers", number, "users with a purchase"),
        ("repeat_customers", "Repeat customers", number, "customers with 2+ orders"),
    )
    html = []
    for column, label, show, note in cards:
        figure = Figure("kpi_summary", column, row.get(column))
        html.append(
            f'<div class="card span3 kpi"><p class="label">{esc(label)}</p>'
            f'<p class="value" {figure.attrs()}>{esc(show(figure.value))}</p>'
            f'<p class="note">{esc(note)}</p></div>'
        )
    return f'<section class="kpis" data-visual="kpi_row">{"".join(html)}</section>'


def month_over_month(table: MartTable) -> str:
    rows = table.rows
    # Full amounts fit above four bars; more months get compact labels so they do not collide.
    crowded = len(rows) > 4
    marks, notes = {}, []
    for index, row in enumerate(rows):
        key = (("month_start", row["month_start"]),)
        change = (
            ""
            if row["revenue_change"] is None
            else f"; change {money(row['revenue_change'])} ({percent(row['revenue_change_ratio'], signed=True)})"
        )
        marks[(index, 0)] = Mark(
            Figure(table.name, "revenue", row["revenue"], key),
            f"{month_label(row['month_start'])}: revenue {money(row['revenue'])}, "
            f"{number(row['orders'])} orders, {number(row['customers'])} customers{change}",
            label=compact(float(row["revenue"])) if crowded else money(row["revenue"]),
        )
        ratio = row["revenue_change_ratio"]
        if ratio is None:
            note = "" if crowded else "first month"
        else:
            note = percent(ratio, signed=True) + ("" if crowded else " vs previous")
        notes.append((note, Figure(table.name, "revenue_change_ratio", ratio, key)))
    labels = [row["month_start"].strftime("%b %y" if crowded else "%b %Y") for row in rows]
    chart = column_chart(
        labels, [Series("Revenue", PALETTE[0])], marks, label="Revenue by month", notes=notes, width=500, height=290
    )
    return _card("revenue_month_over_month", 5, "revenue per calendar month and change from the previous month", chart)


def weekday_by_month(table: MartTable) -> str:
    months = sorted({row["month_start"] for row in table.rows})
    series = [Series(month_label(month), PALETTE[i % len(PALETTE)]) for i, month in enumerate(months)]
    names = {row["iso_weekday"]: row["weekday_name"] for row in table.rows}
    marks = {}
    for row in table.rows:
        key = (("month_start", row["month_start"]), ("iso_weekday", row["iso_weekday"]))
        marks[(row["iso_weekday"] - 1, months.index(row["month_start"]))] = Mark(
            Figure(table.name, "revenue", row["revenue"], key),
            f"{row['weekday_name']}, {month_label(row['month_start'])}: {money(row['revenue'])} "
            f"({number(row['purchases'])} purchases)",
        )
    # 2024-01-01 was a Monday: names for weekdays with no purchases in any month.
    days = [names.get(day, dt.date(2024, 1, day).strftime("%A"))[:3] for day in range(1, 8)]
    chart = column_chart(days, series, marks, label="Revenue by ISO weekday within each month", width=700)
    return _card(
        "revenue_by_weekday", 7, "revenue by ISO weekday (Monday first), one bar per month", _legend(series) + chart
    )


def top_five(table: MartTable, visual: str, name_column: str) -> str:
    rows = []
    for row in table.rows:
        key = ((name_column, row[name_column]),)
        rows.append(
            (
                row[name_column],
                Figure(table.name, "revenue_rank", row["revenue_rank"], key),
                Mark(
                    Figure(table.name, "revenue", row["revenue"], key),
                    f"#{row['revenue_rank']} {row[name_column]}: {money(row['revenue'])} "
                    f"({number(row['purchases'])} purchases)",
                    label=money(row["revenue"]),
                ),
            )
        )
    body = bar_list(rows, label=TITLES[visual]) if rows else '<p class="sub">no purchases</p>'
    return _card(visual, 4, "ranked by revenue; 'unknown' is not ranked", body)


def ltv_donut(table: MartTable) -> str:
    slices, lines = [], []
    for index, row in enumerate(table.rows):
        key = (("ltv_tier", row["ltv_tier"]),)
        tier = Series(row["ltv_tier"], TIER_COLORS[min(index, len(TIER_COLORS) - 1)])
        slices.append(
            (
                tier,
                Mark(
                    Figure(table.name, "customers", row["customers"], key),
                    f"{row['ltv_tier']}: {number(row['customers'])} customers "
                    f"({percent(row['share_of_customers'])}), revenue {money(row['revenue'])}",
                ),
            )
        )
        share = Figure(table.name, "share_of_customers", row["share_of_customers"], key)
        revenue = Figure(table.name, "revenue", row["revenue"], key)
        lines.append(
            f'<tr><td><i style="display:inline-block;width:10px;height:10px;border-radius:2px;'
            f'background:{tier.color};margin-right:6px"></i>{esc(row["ltv_tier"])}</td>'
            f"<td>{number(row['customers'])}</td><td {share.attrs()}>{percent(share.value)}</td>"
            f"<td {revenue.attrs()}>{money(revenue.value)}</td></tr>"
        )
    customers = total(row["customers"] for row in table.rows)
    center = (number(customers), "customers", Figure(table.name, "customers", customers, aggregate="sum"))
    chart = donut(slices, center, label="Customers by LTV tier")
    legend = (
        "<table><thead><tr><th>Tier</th><th>Customers</th><th>Share</th><th>Revenue</th></tr></thead>"
        f"<tbody>{''.join(lines)}</tbody></table>"
    )
    return _card("ltv_tier_donut", 4, "customers by lifetime revenue tier", f'<div class="donut">{chart}{legend}</div>')


def daily_conversion(table: MartTable) -> str:
    rates = (
        ("session_conversion_rate", "Session conversion", PALETTE[0]),
        ("purchase_rate", "Purchases / views", PALETTE[1]),
        ("cart_rate", "Carts / views", PALETTE[2]),
    )
    series = []
    for column, name, color in rates:
        marks = [
            Mark(
                Figure(table.name, column, row[column], (("date_day", row["date_day"]),)),
                f"{day_label(row['date_day'])}: {name.lower()} {percent(row[column], 2)} "
                f"({number(row['views'])} views, {number(row['carts'])} carts, "
                f"{number(row['purchases'])} purchases, {number(row['converted_sessions'])} of "
                f"{number(row['sessions'])} sessions converted)",
            )
            for row in table.rows
        ]
        series.append((Series(name, color), marks))
    labels = [day_label(row["date_day"]) for row in table.rows]
    chart = line_chart(labels, series, label="Daily conversion rates", label_every=max(1, len(labels) // 9))
    return _card(
        "daily_conversion",
        12,
        "per day: converted sessions / sessions, purchases / views, carts / views",
        _legend([one for one, _ in series]) + chart,
    )


def conversion_funnel(table: MartTable) -> str:
    sums = {
        column: total(row[column] for row in table.rows)
        for column in ("views", "carts", "purchases", "sessions", "converted_sessions")
    }

    def count(column: str, name: str) -> Mark:
        return Mark(
            Figure(table.name, column, sums[column], aggregate="sum"),
            f"{name}: {number(sums[column])}",
            label=number(sums[column]),
        )

    def rate(numerator: str, denominator: str, name: str) -> Mark:
        value = round(sums[numerator] / sums[denominator], 4) if sums[denominator] else None
        return Mark(
            Figure(table.name, f"{numerator}/{denominator}", value, aggregate="ratio"),
            name,
            label=f"{percent(value)} of {denominator}",
        )

    stages = [
        ("Views", count("views", "Views"), None),
        ("Carts", count("carts", "Carts"), rate("carts", "views", "carts / views")),
        ("Purchases", count("purchases", "Purchases"), rate("purchases", "views", "purchases / views")),
        ("Sessions", count("sessions", "Sessions"), None),
        (
            "Converted sessions",
            count("converted_sessions", "Converted sessions"),
            rate("converted_sessions", "sessions", "converted / sessions"),
        ),
    ]
    body = funnel(stages[:3], label="Views, carts and purchases") + funnel(
        stages[3:], label="Sessions and converted sessions"
    )
    days = [row["date_day"] for row in table.rows]
    period = f"{day_label(days[0])} to {day_label(days[-1])}" if days else "no days"
    return _card("conversion_funnel", 5, f"events and sessions summed over {period}", body)


def cohorts(table: MartTable) -> str:
    months = sorted({row["cohort_month"] for row in table.rows})
    offsets = range(max((row["month_offset"] for row in table.rows), default=0) + 1)
    cells = {(row["cohort_month"], row["month_offset"]): row for row in table.rows}
    head = "".join(f"<th>month {offset}</th>" for offset in offsets)
    lines = []
    for month in months:
        first = cells[(month, 0)] if (month, 0) in cells else next(r for r in table.rows if r["cohort_month"] == month)
        size = Figure(
            table.name,
            "cohort_customers",
            first["cohort_customers"],
            (("cohort_month", month), ("month_offset", first["month_offset"])),
        )
        row_html = [f"<td>{month_label(month)}</td><td {size.attrs()}>{number(size.value)}</td>"]
        for offset in offsets:
            row = cells.get((month, offset))
            if row is None:
                row_html.append('<td class="cell"></td>')
                continue
            figure = Figure(
                table.name, "retention_rate", row["retention_rate"], (("cohort_month", month), ("month_offset", offset))
            )
            alpha = 0.08 + 0.85 * float(row["retention_rate"] or 0)
            ink = "#fff" if alpha > 0.55 else "#111827"
            row_html.append(
                f'<td class="cell" style="background:rgba(37,99,235,{alpha:.2f});color:{ink}" '
                f'title="{number(row["active_customers"])} of {number(row["cohort_customers"])} '
                f'customers" {figure.attrs()}>{percent(figure.value)}</td>'
            )
        lines.append(f"<tr>{''.join(row_html)}</tr>")
    body = (
        f'<table class="cohorts"><thead><tr><th>Cohort (first purchase)</th><th>Customers</th>{head}</tr>'
        f"</thead><tbody>{''.join(lines)}</tbody></table>"
    )
    return _card("customer_cohorts", 7, "share of each first-purchase cohort buying again N months later", body)


def _period(marts: dict[str, MartTable]) -> str:
    months = [row["month_start"] for row in marts["revenue_month_over_month"].rows]
    if not months:
        return "no purchases yet"
    return month_label(months[0]) if len(months) == 1 else f"{month_label(months[0])} to {month_label(months[-1])}"


def render_html(marts: dict[str, MartTable], source: str, health: Health | None = None) -> str:
    """The whole page from the marts read by dashboard.data.read_marts, and the Data health panel
    from health.summary.read_health_of (no panel without it)."""
    sections = [
        kpi_row(marts["kpi_summary"]),
        month_over_month(marts["revenue_month_over_month"]),
        weekday_by_month(marts["revenue_by_weekday"]),
        top_five(marts["revenue_by_brand"], "top_5_brands", "brand_name"),
        top_five(marts["revenue_by_category"], "top_5_categories", "category_name"),
        ltv_donut(marts["customers_by_ltv_tier"]),
        daily_conversion(marts["funnel_daily"]),
        conversion_funnel(marts["funnel_daily"]),
        cohorts(marts["customer_cohorts"]),
    ]
    if health is not None:
        sections.append(health_panel(health))
    health_note = "" if health is None else f" · data health: {esc(health.overall)}"
    return "\n".join(
        [
            "<!doctype html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            "<title>E-commerce performance dashboard</title>",
            f"<script>{WATCH_SCRIPT}</script>",
            f"<style>{CSS}{HEALTH_CSS}</style>",
            "</head>",
            "<body>",
            "<main>",
            f"<header><div><h1>E-commerce performance</h1><p>{esc(_period(marts))} · every number read from the "
            f"dbt marts of {esc(source)}</p></div><p>exposure: ecommerce_performance_dashboard{health_note}</p>"
            "</header>",
            f'<div class="grid">{"".join(sections)}</div>',
            "<footer>Definitions: docs/metrics.md. Hover a bar, slice or point for details. Each number carries "
            "data-mart, data-column and data-key attributes naming the mart row it shows. "
            "Rendered by <code>python -m dashboard render</code>.</footer>",
            "</main>",
            f"<script>{DONE_SCRIPT}</script>",
            "</body>",
            "</html>",
            "",
        ]
    )
