"""Charts drawn on the server as SVG, with nothing from a CDN and no script.

Each chart is a `Chart`: the SVG (inline in the page, so its text is the page's own
and a screen reader reaches it), its caption and a table alternative holding every
value the drawing shows. The SVG is `role="img"` and labelled by its own `<title>` and
`<desc>` (the desc lists the values); every bar and point also carries its value as
text, and the series of a line chart differ by marker shape and dash as well as by
colour, so colour is never the only signal.

Colours are SVG presentation attributes and classes, never `style="..."`: the pages'
Content-Security-Policy allows no inline styles (api/security_headers.py).

Values are shown as the API gives them: counts as integers, shares and rates with the
two decimals of `projections/dashboard.py percent`. `None` (nothing to divide by) is
shown as "—" and drawn as no bar or no point, never as 0.

The module knows no language: titles, labels and the "no data" text come from the
caller, already translated (api/pages/i18n.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from markupsafe import Markup, escape

WIDTH: Final[int] = 640
FONT: Final[int] = 13  # px, in the SVG's own units
ROW: Final[int] = 26  # a bar's row height
BAR: Final[int] = 16  # a bar's thickness
NO_VALUE: Final[str] = "—"

# Colours with at least 3:1 contrast against white (WCAG 1.4.11, graphical objects).
PALETTE: Final[tuple[str, ...]] = ("#1d70b8", "#d4351c", "#00703c", "#6f2c91", "#b35900")
# Marker shapes and dash patterns of the series of a line chart, in order.
MARKERS: Final[tuple[str, ...]] = ("circle", "square", "triangle", "diamond")
DASHES: Final[tuple[str, ...]] = ("", "6 3", "2 3", "8 3 2 3")

type Value = int | float | None


@dataclass(frozen=True)
class Chart:
    """A chart for a page: `svg` goes inside a `<figure>` whose `<figcaption>` is
    `caption`; `columns` and `rows` are the table alternative (cells as shown)."""

    id: str
    caption: str
    svg: Markup
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    empty: bool  # nothing to draw (the SVG says so, the table has no rows)


def format_value(value: Value, unit: str = "") -> str:
    """A count as an integer; any other number with two decimals, as the API rounds it
    (an average of 0.0 working days is "0.00", not "0")."""
    if value is None:
        return NO_VALUE
    if isinstance(value, bool):
        raise TypeError("a chart value is a number, not a truth value")
    text = str(value) if isinstance(value, int) else f"{value:.2f}"
    return text + unit


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k at or above `value` (1 for nothing): the
    top of an axis whose ticks fall on round numbers."""
    if not math.isfinite(value) or value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if value <= step * power * (1 + 1e-12):
            return step * power
    return 10.0 * power  # pragma: no cover - the loop ends at 10


def ticks(top: float, count: int = 5, *, integer: bool = False) -> list[float]:
    """Round tick values from 0 to `top` (a `nice_ceiling`), at most count + 1 of them;
    `integer`: whole steps only (an axis of counts)."""
    step = nice_ceiling(top / count)
    if integer:
        step = max(1.0, math.ceil(step))
    n = max(1, math.floor(top / step + 1e-9))
    return [round(i * step, 10) for i in range(n + 1)]


def text_width(text: str, size: float = FONT) -> float:
    """An estimate of the drawn width: CJK and full-width characters are about one em,
    others about 0.6 em (no font metrics on the server)."""
    return sum(size if ord(ch) > 0x2E7F else 0.6 * size for ch in text)


def _id(prefix: str, part: str) -> str:
    return f"{prefix}-{part}"


def _svg(chart_id: str, height: float, title: str, description: str, body: list[str]) -> Markup:
    title_id, desc_id = _id(chart_id, "title"), _id(chart_id, "desc")
    # Every piece of text in it went through `escape`.
    return Markup(  # noqa: S704
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" '
        f'viewBox="0 0 {WIDTH} {height:g}" width="100%" role="img" '
        f'aria-labelledby="{escape(title_id)} {escape(desc_id)}" '
        f'font-size="{FONT}" preserveAspectRatio="xMinYMin meet">'
        f'<title id="{escape(title_id)}">{escape(title)}</title>'
        f'<desc id="{escape(desc_id)}">{escape(description)}</desc>' + "".join(body) + "</svg>"
    )


def _describe(pairs: Sequence[tuple[str, str]], limit: int = 24) -> str:
    shown = [f"{label}: {value}" for label, value in pairs[:limit]]
    if len(pairs) > limit:
        shown.append("…")
    return "; ".join(shown)


def _empty_svg(chart_id: str, title: str, empty_text: str) -> Markup:
    body = [
        f'<text x="{WIDTH / 2:g}" y="40" text-anchor="middle" class="chart-empty" '
        f'fill="#505a5f">{escape(empty_text)}</text>'
    ]
    return _svg(chart_id, 64, title, empty_text, body)


def bar_chart(
    chart_id: str,
    caption: str,
    bars: Sequence[tuple[str, Value]],
    *,
    category: str,
    measure: str,
    empty_text: str,
    unit: str = "",
    top: float | None = None,
) -> Chart:
    """Horizontal bars, one per (label, value), in the order given; the axis runs from
    0 to a round number at or above the largest value (`top` fixes it: 100 for %)."""
    rows = tuple((label, format_value(value, unit)) for label, value in bars)
    numbers = [float(v) for _, v in bars if v is not None]
    if not bars:
        return Chart(
            chart_id,
            caption,
            _empty_svg(chart_id, caption, empty_text),
            (category, measure),
            (),
            True,
        )
    if any(n < 0 for n in numbers):
        raise ValueError("a bar chart draws no negative value")
    counts = all(isinstance(v, int) for _, v in bars if v is not None)
    axis_top = top if top is not None else nice_ceiling(max(numbers, default=0.0))
    if counts and top is None:
        axis_top = max(axis_top, 1.0)
    label_width = min(220.0, max(text_width(label) for label, _ in bars) + 12)
    value_room = max(text_width(text) for _, text in rows) + 10
    left, right = label_width, WIDTH - value_room
    span = max(right - left, 1.0)
    top_margin, bottom_margin = 8, 26
    height = top_margin + ROW * len(bars) + bottom_margin
    body: list[str] = []
    axis_y = top_margin + ROW * len(bars)
    for tick in ticks(axis_top, integer=counts and top is None):
        x = left + span * tick / axis_top
        body.append(
            f'<line x1="{x:.1f}" y1="{top_margin}" x2="{x:.1f}" y2="{axis_y}" '
            'stroke="#b1b4b6" stroke-width="1" class="chart-grid"/>'
            f'<text x="{x:.1f}" y="{axis_y + 17}" text-anchor="middle" fill="#505a5f">'
            f"{escape(format_value(tick if not tick.is_integer() else int(tick), unit))}</text>"
        )
    for i, ((label, value), (_, shown)) in enumerate(zip(bars, rows, strict=True)):
        y = top_margin + ROW * i
        middle = y + ROW / 2
        body.append(
            f'<text x="{left - 8:.1f}" y="{middle + FONT / 3:.1f}" text-anchor="end" '
            f'fill="#0b0c0c">{escape(label)}</text>'
        )
        length = 0.0 if value is None else span * min(float(value), axis_top) / axis_top
        if value is not None:
            body.append(
                f'<rect x="{left:.1f}" y="{middle - BAR / 2:.1f}" width="{length:.1f}" '
                f'height="{BAR}" fill="{PALETTE[0]}" class="chart-bar">'
                f"<title>{escape(label)}: {escape(shown)}</title></rect>"
            )
        body.append(
            f'<text x="{left + length + 6:.1f}" y="{middle + FONT / 3:.1f}" fill="#0b0c0c" '
            f'class="chart-value">{escape(shown)}</text>'
        )
    body.append(
        f'<line x1="{left:.1f}" y1="{top_margin}" x2="{left:.1f}" y2="{axis_y}" '
        'stroke="#0b0c0c" stroke-width="1"/>'
    )
    description = _describe(rows)
    svg = _svg(chart_id, height, caption, description, body)
    return Chart(chart_id, caption, svg, (category, measure), rows, False)


def share_chart(
    chart_id: str,
    caption: str,
    parts: Sequence[tuple[str, int, float | None]],
    *,
    category: str,
    count: str,
    share: str,
    empty_text: str,
) -> Chart:
    """One bar split into the parts' shares of the whole: (label, count, share in %).
    The shares are given (the API's, to its two decimals), not recomputed here; with
    no share (nothing counted) nothing is drawn."""
    rows = tuple((label, format_value(n), format_value(pct, "%")) for label, n, pct in parts)
    if not parts or all(pct is None for _, _, pct in parts):
        return Chart(
            chart_id,
            caption,
            _empty_svg(chart_id, caption, empty_text),
            (category, count, share),
            rows,
            True,
        )
    left, right, bar_y, bar_h = 8.0, WIDTH - 8.0, 8.0, 32.0
    span = right - left
    body: list[str] = []
    x = left
    for i, (label, _, pct) in enumerate(parts):
        width = span * (pct or 0.0) / 100
        colour = PALETTE[i % len(PALETTE)]
        body.append(
            f'<rect x="{x:.1f}" y="{bar_y}" width="{width:.1f}" height="{bar_h}" '
            f'fill="{colour}" stroke="#ffffff" stroke-width="2" class="chart-part">'
            f"<title>{escape(label)}: {escape(format_value(pct, '%'))}</title></rect>"
        )
        x += width
    # The legend: a swatch, the label, the share and the count, as text.
    legend_y = bar_y + bar_h + 24
    for i, (label, n, pct) in enumerate(parts):
        y = legend_y + i * ROW
        colour = PALETTE[i % len(PALETTE)]
        body.append(
            f'<rect x="{left:.1f}" y="{y - 12}" width="14" height="14" fill="{colour}"/>'
            f'<text x="{left + 22:.1f}" y="{y}" fill="#0b0c0c">'
            f"{escape(label)}: {escape(format_value(pct, '%'))} ({escape(format_value(n))})</text>"
        )
    height = legend_y + ROW * len(parts) - 6
    description = _describe([(r[0], f"{r[2]} ({r[1]})") for r in rows])
    svg = _svg(chart_id, height, caption, description, body)
    return Chart(chart_id, caption, svg, (category, count, share), rows, False)


def _marker(shape: str, x: float, y: float, colour: str, tooltip: str) -> str:
    inner = f"<title>{escape(tooltip)}</title>"
    if shape == "square":
        return (
            f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}">'
            f"{inner}</rect>"
        )
    if shape == "triangle":
        points = f"{x:.1f},{y - 5:.1f} {x - 5:.1f},{y + 4:.1f} {x + 5:.1f},{y + 4:.1f}"
        return f'<polygon points="{points}" fill="{colour}">{inner}</polygon>'
    if shape == "diamond":
        points = f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} {x - 5:.1f},{y:.1f}"
        return f'<polygon points="{points}" fill="{colour}">{inner}</polygon>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}">{inner}</circle>'


def line_chart(
    chart_id: str,
    caption: str,
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[Value]]],
    *,
    x_name: str,
    empty_text: str,
    unit: str = "%",
    top: float | None = 100.0,
) -> Chart:
    """Lines over `x_labels` (weeks), one per (name, values); a value of None is a gap
    in its line (no reply or no rating that week: a rate of nothing is not 0)."""
    for name, values in series:
        if len(values) != len(x_labels):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(x_labels)} labels")
    columns = (x_name, *(name for name, _ in series))
    rows = tuple(
        (label, *(format_value(values[i], unit) for _, values in series))
        for i, label in enumerate(x_labels)
    )
    numbers = [float(v) for _, values in series for v in values if v is not None]
    if not numbers:
        return Chart(
            chart_id, caption, _empty_svg(chart_id, caption, empty_text), columns, rows, True
        )
    axis_top = top if top is not None else nice_ceiling(max(numbers))
    left, right, top_margin = 48.0, WIDTH - 12.0, 12.0
    plot_h = 200.0
    legend_y = top_margin + plot_h + 44
    height = legend_y + ROW * len(series)
    span = right - left
    n = len(x_labels)
    step = span / max(n - 1, 1)

    def x_at(i: int) -> float:
        return left + (step * i if n > 1 else span / 2)

    def y_at(value: float) -> float:
        return top_margin + plot_h * (1 - min(value, axis_top) / axis_top)

    body: list[str] = []
    for tick in ticks(axis_top):
        y = y_at(tick)
        body.append(
            f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{right:.1f}" y2="{y:.1f}" '
            'stroke="#b1b4b6" stroke-width="1" class="chart-grid"/>'
            f'<text x="{left - 6:.1f}" y="{y + FONT / 3:.1f}" text-anchor="end" fill="#505a5f">'
            f"{escape(format_value(int(tick) if tick.is_integer() else tick))}{escape(unit)}"
            "</text>"
        )
    # At most about eight x labels, evenly spread (weeks of a year would overlap).
    every = max(1, math.ceil(n / 8))
    for i, label in enumerate(x_labels):
        if i % every == 0 or i == n - 1:
            body.append(
                f'<text x="{x_at(i):.1f}" y="{top_margin + plot_h + 18:.1f}" '
                f'text-anchor="middle" fill="#505a5f">{escape(label)}</text>'
            )
    for s, (name, values) in enumerate(series):
        colour = PALETTE[s % len(PALETTE)]
        dash = DASHES[s % len(DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        run: list[str] = []
        runs: list[list[str]] = []
        for i, value in enumerate(values):
            if value is None:
                if run:
                    runs.append(run)
                run = []
                continue
            run.append(f"{x_at(i):.1f},{y_at(float(value)):.1f}")
        if run:
            runs.append(run)
        for points in runs:
            if len(points) > 1:
                body.append(
                    f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" '
                    f'stroke-width="2"{dash_attr} class="chart-line"/>'
                )
        shape = MARKERS[s % len(MARKERS)]
        for i, value in enumerate(values):
            if value is not None:
                tooltip = f"{name}, {x_labels[i]}: {format_value(value, unit)}"
                body.append(_marker(shape, x_at(i), y_at(float(value)), colour, tooltip))
        y = legend_y + ROW * s
        body.append(
            f'<line x1="{left:.1f}" y1="{y - 4:.1f}" x2="{left + 28:.1f}" y2="{y - 4:.1f}" '
            f'stroke="{colour}" stroke-width="2"{dash_attr}/>'
            + _marker(shape, left + 14, y - 4, colour, name)
            + f'<text x="{left + 36:.1f}" y="{y:.1f}" fill="#0b0c0c">{escape(name)}</text>'
        )
    body.append(
        f'<line x1="{left:.1f}" y1="{top_margin:.1f}" x2="{left:.1f}" '
        f'y2="{top_margin + plot_h:.1f}" stroke="#0b0c0c" stroke-width="1"/>'
    )
    description = "; ".join(
        f"{name}: "
        + _describe(
            [(x_labels[i], format_value(v, unit)) for i, v in enumerate(values) if v is not None],
            12,
        )
        for name, values in series
    )
    svg = _svg(chart_id, height, caption, description, body)
    return Chart(chart_id, caption, svg, columns, rows, False)
