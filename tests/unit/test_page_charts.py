"""The pages' SVG charts (api/pages/charts.py): well-formed, accessible SVG whose text
and table alternative carry every value, axes on round numbers, bars and points where
the values put them, and nothing divided by zero when there is nothing to draw."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from api.pages.charts import (
    NO_VALUE,
    Chart,
    bar_chart,
    format_value,
    line_chart,
    nice_ceiling,
    share_chart,
    ticks,
)

SVG = "{http://www.w3.org/2000/svg}"


def parse(chart: Chart) -> ET.Element:
    root = ET.fromstring(str(chart.svg))  # noqa: S314 - our own output
    assert root.tag == SVG + "svg"
    return root


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(SVG + "text")]


def assert_accessible(chart: Chart) -> ET.Element:
    root = parse(chart)
    assert root.get("role") == "img"
    title, desc = root.find(SVG + "title"), root.find(SVG + "desc")
    assert title is not None and desc is not None
    assert title.text == chart.caption
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert title.get("id", "").startswith(chart.id) and desc.get("id", "").startswith(chart.id)
    # No inline style: the pages' CSP forbids it.
    assert "style=" not in str(chart.svg)
    return root


def test_format_value_counts_and_two_decimals() -> None:
    assert format_value(3) == "3"
    assert format_value(97.5, "%") == "97.50%"
    assert format_value(100.0, "%") == "100.00%"
    assert format_value(2.0) == "2.00"
    assert format_value(1.256) == "1.26"
    assert format_value(None, "%") == NO_VALUE
    with pytest.raises(TypeError):
        format_value(True)


@pytest.mark.parametrize(
    ("value", "top"),
    [(0, 1), (-3, 1), (1, 1), (7, 10), (10, 10), (11, 20), (23, 25), (26, 50), (0.3, 0.5),
     (120, 200), (1001, 2000), (float("nan"), 1)],
)  # fmt: skip
def test_nice_ceiling(value: float, top: float) -> None:
    assert nice_ceiling(value) == pytest.approx(top)


def test_ticks_are_round_and_end_at_the_top() -> None:
    assert ticks(100) == [0, 20, 40, 60, 80, 100]
    assert ticks(25) == [0, 5, 10, 15, 20, 25]
    assert ticks(1, integer=True) == [0, 1]
    assert ticks(2, integer=True) == [0, 1, 2]
    assert ticks(0.5) == [0, 0.1, 0.2, 0.3, 0.4, 0.5]


def test_bar_chart_draws_each_value_to_scale() -> None:
    bars = [("已登记", 12), ("已受理", 3), ("已办结", 20), ("已撤回", 0)]
    chart = bar_chart("status", "案件状态", bars, category="状态", measure="件数", empty_text="无")
    root = assert_accessible(chart)
    assert not chart.empty
    assert chart.columns == ("状态", "件数")
    assert chart.rows == (("已登记", "12"), ("已受理", "3"), ("已办结", "20"), ("已撤回", "0"))
    shown = texts(root)
    for label, value in bars:
        assert label in shown and str(value) in shown
    widths = {
        r.find(SVG + "title").text.split(":")[0]: float(r.get("width"))  # type: ignore[union-attr]
        for r in root.iter(SVG + "rect")
    }
    # The axis runs to 20 (the largest value, already round): 12/20 of the full length.
    full = widths["已办结"]
    assert widths["已登记"] == pytest.approx(full * 12 / 20, abs=0.11)
    assert widths["已受理"] == pytest.approx(full * 3 / 20, abs=0.11)
    assert widths["已撤回"] == 0
    # Axis labels are the round ticks of 0..20, integers for counts.
    assert {"0", "5", "10", "15", "20"} <= set(shown)
    assert "; ".join(f"{a}: {b}" for a, b in chart.rows) in root.find(SVG + "desc").text  # type: ignore[operator, union-attr]


def test_bar_chart_of_rates_uses_a_fixed_axis_and_skips_what_has_no_value() -> None:
    chart = bar_chart(
        "rates",
        "按时答复率",
        [("d1", 50.0), ("d2", None), ("d3", 100.0)],
        category="部门",
        measure="按时率",
        empty_text="无",
        unit="%",
        top=100,
    )
    root = assert_accessible(chart)
    assert chart.rows == (("d1", "50.00%"), ("d2", NO_VALUE), ("d3", "100.00%"))
    rects = {r.find(SVG + "title").text: float(r.get("width")) for r in root.iter(SVG + "rect")}  # type: ignore[union-attr]
    assert set(rects) == {"d1: 50.00%", "d3: 100.00%"}  # no bar for d2, not a 0 bar
    assert rects["d1: 50.00%"] == pytest.approx(rects["d3: 100.00%"] / 2, abs=0.11)
    assert NO_VALUE in texts(root)
    assert "100%" in texts(root) and "0%" in texts(root)


def test_bar_chart_of_only_zeros_or_nothing_divides_by_nothing() -> None:
    zeros = bar_chart("z", "t", [("a", 0), ("b", 0)], category="c", measure="m", empty_text="无")
    root = assert_accessible(zeros)
    assert [float(r.get("width")) for r in root.iter(SVG + "rect")] == [0, 0]  # type: ignore[arg-type]
    nothing = bar_chart("n", "t", [], category="c", measure="m", empty_text="暂无数据")
    root = assert_accessible(nothing)
    assert nothing.empty and nothing.rows == ()
    assert "暂无数据" in texts(root)
    with pytest.raises(ValueError, match="negative"):
        bar_chart("x", "t", [("a", -1)], category="c", measure="m", empty_text="无")


def test_share_chart_splits_one_bar_by_the_given_shares() -> None:
    chart = share_chart(
        "share",
        "网上办理占比",
        [("网上", 750, 75.0), ("线下", 250, 25.0)],
        category="方式",
        count="事项数",
        share="占比",
        empty_text="无",
    )
    root = assert_accessible(chart)
    assert chart.rows == (("网上", "750", "75.00%"), ("线下", "250", "25.00%"))
    parts = [r for r in root.iter(SVG + "rect") if r.get("class") == "chart-part"]
    online, offline = (float(r.get("width")) for r in parts)  # type: ignore[arg-type]
    assert online == pytest.approx(3 * offline, abs=0.11)
    assert float(parts[1].get("x")) == pytest.approx(float(parts[0].get("x")) + online, abs=0.11)  # type: ignore[arg-type]
    assert any("75.00%" in t and "750" in t for t in texts(root))


def test_share_chart_with_nothing_counted() -> None:
    chart = share_chart(
        "share",
        "网上办理占比",
        [("网上", 0, None), ("线下", 0, None)],
        category="方式",
        count="事项数",
        share="占比",
        empty_text="该期间无记录",
    )
    root = assert_accessible(chart)
    assert chart.empty
    assert chart.rows == (("网上", "0", NO_VALUE), ("线下", "0", NO_VALUE))
    assert "该期间无记录" in texts(root)


def test_line_chart_puts_points_where_the_values_are_and_gaps_for_none() -> None:
    weeks = ["第1周", "第2周", "第3周", "第4周"]
    chart = line_chart(
        "weekly",
        "按周",
        weeks,
        [("按时答复率", [100.0, 50.0, None, 75.0]), ("满意率", [None, None, 80.0, 60.0])],
        x_name="周",
        empty_text="无",
    )
    root = assert_accessible(chart)
    assert chart.columns == ("周", "按时答复率", "满意率")
    assert chart.rows[2] == ("第3周", NO_VALUE, "80.00%")
    circles = [
        c for c in root.iter(SVG + "circle") if "按时答复率," in (c.findtext(SVG + "title") or "")
    ]
    ys = [float(c.get("cy")) for c in circles]  # type: ignore[arg-type]
    assert len(ys) == 3  # week 3 has no point
    top, half, three_quarters = ys[0], ys[1], ys[2]
    bottom = top + 2 * (half - top)  # 0 % lies as far below 50 % as 100 % above it
    assert three_quarters == pytest.approx(top + (bottom - top) / 4, abs=0.11)
    # The first series' line breaks at the gap: two runs, the second of one point only.
    lines = [p for p in root.iter(SVG + "polyline")]
    assert len(lines) == 2  # series 1: weeks 1-2; series 2: weeks 3-4
    assert len(lines[0].get("points", "").split()) == 2
    # The second series differs by marker shape and dash, not only by colour.
    assert any(r.findtext(SVG + "title", "").startswith("满意率,") for r in root.iter(SVG + "rect"))
    assert lines[1].get("stroke-dasharray")
    assert "第1周" in texts(root)


def test_line_chart_with_no_value_at_all_and_a_mismatched_series() -> None:
    chart = line_chart(
        "w", "按周", ["a", "b"], [("x", [None, None])], x_name="周", empty_text="无数据"
    )
    root = assert_accessible(chart)
    assert chart.empty and chart.rows == (("a", NO_VALUE), ("b", NO_VALUE))
    assert "无数据" in texts(root)
    empty = line_chart("w", "按周", [], [("x", [])], x_name="周", empty_text="无数据")
    assert empty.empty and empty.rows == ()
    with pytest.raises(ValueError, match="2 labels"):
        line_chart("w", "t", ["a", "b"], [("x", [1.0])], x_name="周", empty_text="无")


def test_a_single_week_is_drawn_in_the_middle() -> None:
    chart = line_chart("w", "t", ["only"], [("x", [40.0])], x_name="周", empty_text="无")
    root = parse(chart)
    (circle,) = list(root.iter(SVG + "circle"))[:1]
    assert 200 < float(circle.get("cx")) < 440  # type: ignore[arg-type]


def test_text_is_escaped() -> None:
    chart = bar_chart("esc", "<b>&", [("<script>", 1)], category="c", measure="m", empty_text="无")
    root = parse(chart)  # well-formed: the label did not become markup
    assert "<script>" in texts(root)
    assert re.search(r"<script>", str(chart.svg)) is None
