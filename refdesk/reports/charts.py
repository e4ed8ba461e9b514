"""The charts the partner summary draws: the funnel and the monthly volume, as ReportLab drawings.

ReportLab's own graphics (not matplotlib): vector shapes and text in the PDF, so the figures print
sharp, their labels can be copied out, and no plotting library is loaded. Labels use the bundled
Unicode font and are drawn as plain strings (never markup). Each bar carries its value: a chart on
paper cannot be hovered.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib.colors import Color, HexColor

from refdesk.reports.fonts import register_fonts
from refdesk.reports.letterhead import ACCENT, MUTED
from refdesk.services.metrics import Funnel

BAR = HexColor("#3f7f93")
GRID = HexColor("#d9e2e5")
LABEL_SIZE = 7.5
TITLE_SIZE = 9.0
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
FUNNEL_STAGES = ("Received", "Contacted", "Reached", "Scheduled", "First visit")


def _title(drawing: Drawing, text: str, height: float) -> None:
    family = register_fonts()
    drawing.add(
        String(0, height - TITLE_SIZE, text, fontName=family.bold, fontSize=TITLE_SIZE, fillColor=ACCENT)
    )


def funnel_values(funnel: Funnel) -> list[int]:
    return [funnel.received, funnel.contacted, funnel.reached, funnel.scheduled, funnel.completed]


def funnel_chart(
    funnel: Funnel, width: float, height: float, *, title: str = "How far referrals got"
) -> Drawing:
    """Horizontal bars, Received at the top down to First visit, each labelled "count (share)"."""
    family = register_fonts()
    values = funnel_values(funnel)
    drawing = Drawing(width, height)
    _title(drawing, title, height)
    chart = HorizontalBarChart()
    label_room = 58.0
    chart.x, chart.y = label_room, 4
    chart.width, chart.height = width - label_room - 62, height - TITLE_SIZE - 14
    # the category axis runs bottom-up: reverse so the funnel reads top-down
    chart.data = [list(reversed(values))]
    chart.categoryAxis.categoryNames = list(reversed(FUNNEL_STAGES))
    chart.categoryAxis.labels.fontName = family.regular
    chart.categoryAxis.labels.fontSize = LABEL_SIZE
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -4
    chart.categoryAxis.strokeColor = MUTED
    chart.categoryAxis.visibleTicks = False
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = max(max(values), 1)
    chart.valueAxis.visible = False
    chart.bars[0].fillColor = BAR
    chart.bars[0].strokeColor = None
    chart.barWidth = 10
    chart.groupSpacing = 6
    chart.barLabelFormat = lambda value: _count_share(int(value), funnel.received)
    chart.barLabels.fontName = family.regular
    chart.barLabels.fontSize = LABEL_SIZE
    chart.barLabels.fillColor = MUTED
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    drawing.add(chart)
    return drawing


def _count_share(value: int, whole: int) -> str:
    return f"{value:,} ({value / whole:.0%})" if whole else f"{value:,}"


def month_label(month: date, *, with_year: bool) -> str:
    name = _MONTHS[month.month - 1]
    return f"{name} {month.year % 100:02d}" if with_year else name


def monthly_chart(
    by_month: Sequence[tuple[date, int]],
    width: float,
    height: float,
    *,
    title: str = "Referrals received per month",
    color: Color = BAR,
) -> Drawing:
    """Vertical bars, one per month of the period (zero months included), each with its count on top.
    Past 18 months, every other label is left out so they never overlap."""
    family = register_fonts()
    drawing = Drawing(width, height)
    _title(drawing, title, height)
    months = [month for month, _n in by_month] or [date.today().replace(day=1)]
    values = [number for _m, number in by_month] or [0]
    years = {month.year for month in months}
    chart = VerticalBarChart()
    # A month or two would make slabs across the whole width: bars stay at most ~40 points wide.
    chart.width = min(width - 12, 56.0 * len(months))
    chart.height = height - TITLE_SIZE - 34
    chart.x, chart.y = (width - chart.width) / 2, 16
    chart.data = [values]
    step = 1 if len(months) <= 18 else 2
    chart.categoryAxis.categoryNames = [
        month_label(month, with_year=len(years) > 1) if index % step == 0 else ""
        for index, month in enumerate(months)
    ]
    chart.categoryAxis.labels.fontName = family.regular
    chart.categoryAxis.labels.fontSize = LABEL_SIZE if len(months) <= 12 else LABEL_SIZE - 1
    chart.categoryAxis.labels.dy = -3
    chart.categoryAxis.strokeColor = MUTED
    chart.categoryAxis.visibleTicks = False
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = max(max(values), 1) * 1.15
    chart.valueAxis.visible = False
    chart.bars[0].fillColor = color
    chart.bars[0].strokeColor = None
    chart.groupSpacing = 4 if len(months) <= 12 else 2
    if len(months) <= 24:
        chart.barLabelFormat = lambda value: f"{int(value):,}"
        chart.barLabels.fontName = family.regular
        chart.barLabels.fontSize = LABEL_SIZE if len(months) <= 12 else LABEL_SIZE - 1.5
        chart.barLabels.fillColor = MUTED
        chart.barLabels.boxAnchor = "s"
        chart.barLabels.dy = 2
    drawing.add(chart)
    return drawing
