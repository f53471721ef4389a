"""Hand-written inline SVG charts: columns, horizontal bars, a donut, lines and a funnel.

No chart library and nothing loaded from the network: each function returns an `<svg>`
string sized by its viewBox, so the page scales it to its card. Tooltips are SVG `<title>`
elements (the browser shows them on hover without any script). Every mark that shows a
number carries its Figure's data-* attributes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dashboard.figures import Figure, compact, esc, percent

AXIS = "#6b7280"
GRID = "#e5e7eb"
INK = "#111827"
MUTED = "#4b5563"


@dataclass(frozen=True)
class Mark:
    """A bar, slice or point: its figure, the tooltip and an optional printed label."""

    figure: Figure
    tooltip: str
    label: str | None = None


@dataclass(frozen=True)
class Series:
    name: str
    color: str


def nice_ticks(maximum: float, count: int = 4) -> list[float]:
    """0 and round steps (1, 2, 2.5 or 5 times a power of ten) up to at least `maximum`."""
    if maximum <= 0:
        return [0.0, 1.0]
    rough = maximum / count
    power = 10 ** math.floor(math.log10(rough))
    step = next(power * factor for factor in (1, 2, 2.5, 5, 10) if power * factor >= rough)
    steps = math.ceil(maximum / step - 1e-9)
    return [step * index for index in range(steps + 1)]


def _svg(width: int, height: int, label: str, body: list[str]) -> str:
    return (
        f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{esc(label)}">'
        + "".join(body)
        + "</svg>"
    )


def _text(
    x: float,
    y: float,
    content: str,
    *,
    anchor: str = "middle",
    size: int = 12,
    color: str = MUTED,
    weight: int = 400,
    attrs: str = "",
) -> str:
    extra = f" {attrs}" if attrs else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" fill="{color}" '
        f'font-weight="{weight}"{extra}>{esc(content)}</text>'
    )


def _y_axis(
    ticks: list[float],
    left: float,
    right: float,
    y_of: Callable[[float], float],
    label_of: Callable[[float], str],
) -> list[str]:
    parts = []
    for tick in ticks:
        y = y_of(tick)
        color = AXIS if tick == 0 else GRID
        parts.append(f'<line x1="{left:.1f}" x2="{right:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="{color}"/>')
        parts.append(_text(left - 6, y + 4, label_of(tick), anchor="end", size=11, color=AXIS))
    return parts


def column_chart(
    categories: Sequence[str],
    series: Sequence[Series],
    marks: dict[tuple[int, int], Mark],
    *,
    label: str,
    notes: Sequence[tuple[str, Figure | None] | None] = (),
    width: int = 560,
    height: int = 260,
) -> str:
    """Vertical bars grouped by category, one bar per series; `marks[(category, series)]`.

    `notes` prints a second line under each category label (e.g. the month-over-month change).
    """
    left, right, top = 56.0, 12.0, 22.0
    bottom = 46.0 if notes else 30.0
    plot_w, plot_h = width - left - right, height - top - bottom
    ticks = nice_ticks(max((float(mark.figure.value or 0) for mark in marks.values()), default=0))

    def y_of(value: float) -> float:
        return top + plot_h * (1 - value / ticks[-1])

    body = _y_axis(ticks, left, width - right, y_of, compact)
    group_w = plot_w / max(len(categories), 1)
    bar_w = min(64.0, group_w * 0.72 / max(len(series), 1))
    for c, category in enumerate(categories):
        group_x = left + group_w * c + (group_w - bar_w * len(series)) / 2
        for s, one in enumerate(series):
            mark = marks.get((c, s))
            if mark is None:
                continue
            x, y = group_x + bar_w * s, y_of(float(mark.figure.value or 0))
            body.append(
                f'<rect class="mark" x="{x:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" '
                f'height="{top + plot_h - y:.1f}" fill="{one.color}" rx="2" {mark.figure.attrs()}>'
                f"<title>{esc(mark.tooltip)}</title></rect>"
            )
            if mark.label:
                body.append(_text(x + bar_w / 2 - 1, y - 6, mark.label, size=11, color=INK, weight=600))
        center = left + group_w * (c + 0.5)
        body.append(_text(center, top + plot_h + 17, category, size=12, color=INK))
        note = notes[c] if c < len(notes) else None
        if note:
            text, figure = note
            body.append(_text(center, top + plot_h + 35, text, size=11, attrs=figure.attrs() if figure else ""))
    return _svg(width, height, label, body)


def bar_list(rows: Sequence[tuple[str, Figure, Mark]], *, label: str, width: int = 368, row_h: int = 42) -> str:
    """Ranked horizontal bars, each row (name, rank figure, revenue mark): the rank, the full name
    and the value on one line, the bar under it, so long category names never collide with a bar."""
    top = 2.0
    height = int(top * 2 + row_h * max(len(rows), 1))
    scale = max((float(mark.figure.value or 0) for _, _, mark in rows), default=0) or 1.0
    body = []
    for index, (name, rank, mark) in enumerate(rows):
        y = top + row_h * index
        shown = name if len(name) <= 40 else name[:39] + "…"
        body.append(f'<g class="row" data-row="{index + 1}">')
        body.append(_text(0, y + 14, f"#{rank.value}", anchor="start", size=11, color=AXIS, attrs=rank.attrs()))
        body.append(
            f'<text x="26" y="{y + 14:.1f}" font-size="12" fill="{INK}">{esc(shown)}<title>{esc(name)}</title></text>'
        )
        body.append(_text(width, y + 14, mark.label or "", anchor="end", size=12, color=INK, weight=600))
        bar = max(2.0, (width - 26) * float(mark.figure.value or 0) / scale)
        body.append(
            f'<rect class="mark" x="26" y="{y + 20:.1f}" width="{bar:.1f}" height="{row_h - 28}" '
            f'fill="#2563eb" rx="2" {mark.figure.attrs()}><title>{esc(mark.tooltip)}</title></rect>'
        )
        body.append("</g>")
    return _svg(width, height, label, body)


def donut(
    slices: Sequence[tuple[Series, Mark]], center: tuple[str, str, Figure], *, label: str, size: int = 200
) -> str:
    """Slices as dashed circle strokes (no arc maths, and 0 % or 100 % draw correctly)."""
    radius, stroke = size / 2 - 22, 30.0
    circumference = 2 * math.pi * radius
    whole = sum(float(mark.figure.value or 0) for _, mark in slices) or 1.0
    c = size / 2
    body = [f'<circle cx="{c}" cy="{c}" r="{radius:.2f}" fill="none" stroke="{GRID}" stroke-width="{stroke}"/>']
    offset = 0.0
    for one, mark in slices:
        length = circumference * float(mark.figure.value or 0) / whole
        body.append(
            f'<circle class="mark" cx="{c}" cy="{c}" r="{radius:.2f}" fill="none" stroke="{one.color}" '
            f'stroke-width="{stroke}" stroke-dasharray="{length:.2f} {circumference - length:.2f}" '
            f'stroke-dashoffset="{-offset:.2f}" transform="rotate(-90 {c} {c})" {mark.figure.attrs()}>'
            f"<title>{esc(mark.tooltip)}</title></circle>"
        )
        offset += length
    value, caption, figure = center
    body.append(_text(c, c + 2, value, size=22, color=INK, weight=700, attrs=figure.attrs()))
    body.append(_text(c, c + 20, caption, size=11))
    return _svg(size, size, label, body)


def line_chart(
    x_labels: Sequence[str],
    series: Sequence[tuple[Series, Sequence[Mark]]],
    *,
    label: str,
    width: int = 1180,
    height: int = 240,
    label_every: int = 7,
) -> str:
    """Lines over equally spaced x positions (days), a point per value, y axis in percent."""
    left, right, top, bottom = 52.0, 28.0, 14.0, 28.0
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [float(mark.figure.value) for _, marks in series for mark in marks if mark.figure.value is not None]
    ticks = nice_ticks(max(values, default=0))

    def y_of(value: float) -> float:
        return top + plot_h * (1 - value / ticks[-1])

    def x_of(index: int) -> float:
        return left + plot_w * (index / max(len(x_labels) - 1, 1))

    body = _y_axis(ticks, left, width - right, y_of, lambda tick: percent(tick, 0 if ticks[-1] >= 0.05 else 1))
    for index, text in enumerate(x_labels):
        if index % label_every == 0:
            body.append(_text(x_of(index), height - 8, text, size=11, color=AXIS))
    for one, marks in series:
        points = [
            (x_of(i), y_of(float(mark.figure.value))) for i, mark in enumerate(marks) if mark.figure.value is not None
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        body.append(f'<polyline points="{path}" fill="none" stroke="{one.color}" stroke-width="2"/>')
        for i, mark in enumerate(marks):
            if mark.figure.value is None:
                continue
            body.append(
                f'<circle class="mark" cx="{x_of(i):.1f}" cy="{y_of(float(mark.figure.value)):.1f}" r="3" '
                f'fill="{one.color}" {mark.figure.attrs()}><title>{esc(mark.tooltip)}</title></circle>'
            )
    return _svg(width, height, label, body)


def funnel(stages: Sequence[tuple[str, Mark, Mark | None]], *, label: str, width: int = 460, row_h: int = 58) -> str:
    """Centered stage bars, width proportional to the count; each stage below the first shows
    its rate against the first stage (`(name, count mark, rate mark or None)`)."""
    top = 4.0
    height = int(top * 2 + row_h * len(stages))
    first = float(stages[0][1].figure.value or 0) or 1.0
    usable = width - 20
    body = []
    for index, (name, count, rate) in enumerate(stages):
        y = top + row_h * index
        bar = max(4.0, usable * float(count.figure.value or 0) / first)
        x = (width - bar) / 2
        color = ("#1d4ed8", "#3b82f6", "#93c5fd")[min(index, 2)]
        body.append(
            f'<rect class="mark" x="{x:.1f}" y="{y + 18:.1f}" width="{bar:.1f}" height="{row_h - 26}" '
            f'fill="{color}" rx="3" {count.figure.attrs()}><title>{esc(count.tooltip)}</title></rect>'
        )
        body.append(_text(width / 2, y + 13, f"{name}: {count.label}", size=12, color=INK, weight=600))
        if rate is not None:
            body.append(_text(width - 4, y + 13, rate.label or "", anchor="end", size=11, attrs=rate.figure.attrs()))
    return _svg(width, height, label, body)
