"""Two charts beside the table, for the row the coordinator selected (the total row at first): how far
the referrals got (the funnel) and how many arrived each month.

QtCharts draws them (axes, labels, high-DPI and printing come with it). Each chart keeps its series and
axes for its whole life and only changes their values, so a new report never rebuilds the scene and
nothing is left behind for Qt and Python to disagree about who deletes. Animations are off: figures that
slide into place look like they are still changing.
"""

from __future__ import annotations

import math

from PySide6.QtCharts import (
    QAbstractBarSeries,
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, Qt
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QWidget

from refdesk.services.metrics import Figures, Funnel, Period
from ui.reports.period import month_label

#: The style sheet's accent (buttons, focus), so the charts belong to the same window.
BAR_COLOR = QColor("#2f6f8f")
TEXT_COLOR = QColor("#1f2933")
GRID_COLOR = QColor("#e4e7eb")
#: Above this many months the bars get too thin for a number on each.
MAX_LABELLED_MONTHS = 13

STAGES = ("Received", "Contacted", "Reached", "Scheduled", "Completed")


def funnel_counts(funnel: Funnel) -> tuple[int, ...]:
    return (funnel.received, funnel.contacted, funnel.reached, funnel.scheduled, funnel.completed)


def stage_labels(funnel: Funnel) -> list[str]:
    """Each stage with its share of received: ``Reached  56%`` (the count is on the bar)."""
    labels = []
    for name, count in zip(STAGES, funnel_counts(funnel), strict=True):
        share = funnel.share(count)
        labels.append(name if share is None or name == "Received" else f"{name}  {share:.0%}")
    return labels


def nice_axis(largest: float) -> tuple[float, int]:
    """The axis end and tick count for bars up to ``largest``: a whole step (1, 2 or 5 times a power of
    ten) and a little room above the largest bar for its number. QValueAxis.applyNiceNumbers would
    double a 504 to 1,000 and squash the bars into half the chart."""
    room = max(largest * 1.06, 4.0)
    magnitude = 10 ** math.floor(math.log10(room / 4))
    step = next(m * magnitude for m in (1, 2, 5, 10) if room / (m * magnitude) <= 5)
    ticks = math.ceil(room / step)
    return ticks * step, ticks + 1


def _chart(title_font: QFont) -> QChart:
    chart = QChart()
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    chart.legend().hide()
    chart.setBackgroundRoundness(0)
    chart.setMargins(QMargins(4, 4, 4, 4))
    chart.setTitleFont(title_font)
    chart.setTitleBrush(TEXT_COLOR)
    return chart


def _style_axis(axis: QValueAxis | QBarCategoryAxis, font: QFont) -> None:
    axis.setLabelsFont(font)
    axis.setLabelsColor(TEXT_COLOR)
    axis.setGridLineColor(GRID_COLOR)
    axis.setLinePenColor(GRID_COLOR)
    axis.setTruncateLabels(False)  # "Jan …" says nothing; slanted month names fit whole


def _bar_set(name: str) -> QBarSet:
    bars = QBarSet(name)
    bars.setColor(BAR_COLOR)
    bars.setBorderColor(BAR_COLOR)
    bars.setLabelColor(TEXT_COLOR)
    return bars


def _view(chart: QChart, name: str, accessible: str) -> QChartView:
    view = QChartView(chart)
    view.setObjectName(name)
    view.setAccessibleName(accessible)
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # nothing to do in a chart: Tab goes from the table on
    view.setMinimumHeight(180)
    view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
    return view


class ReportCharts(QWidget):
    """The funnel (horizontal bars, received at the top) and the monthly volume (bars), side by side.

    Object names: ``funnelChart`` and ``volumeChart`` (QChartView). No signals.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reportCharts")
        font = QFont(self.font())
        title_font = QFont(font)
        title_font.setBold(True)

        self.funnel_chart = _chart(title_font)
        self.funnel_bars = _bar_set("Referrals")
        self.funnel_bars.append([0.0] * len(STAGES))
        self.funnel_series = QHorizontalBarSeries()
        self.funnel_series.append(self.funnel_bars)
        self.funnel_series.setBarWidth(0.6)
        self._label_bars(self.funnel_series)
        self.funnel_chart.addSeries(self.funnel_series)
        self.stage_axis = QBarCategoryAxis()
        self.stage_axis.setCategories(list(reversed(STAGES)))
        self.count_axis = QValueAxis()
        self.count_axis.setLabelFormat("%.0f")
        for axis in (self.stage_axis, self.count_axis):
            _style_axis(axis, font)
        self.stage_axis.setGridLineVisible(False)
        self.funnel_chart.addAxis(self.stage_axis, Qt.AlignmentFlag.AlignLeft)
        self.funnel_chart.addAxis(self.count_axis, Qt.AlignmentFlag.AlignBottom)
        self.funnel_series.attachAxis(self.stage_axis)
        self.funnel_series.attachAxis(self.count_axis)

        self.volume_chart = _chart(title_font)
        self.volume_bars = _bar_set("Received")
        self.volume_series = QBarSeries()
        self.volume_series.append(self.volume_bars)
        self.volume_series.setBarWidth(0.7)
        self._label_bars(self.volume_series)
        self.volume_chart.addSeries(self.volume_series)
        self.month_axis = QBarCategoryAxis()
        self.volume_axis = QValueAxis()
        self.volume_axis.setLabelFormat("%.0f")
        for axis in (self.month_axis, self.volume_axis):
            _style_axis(axis, font)
        self.month_axis.setGridLineVisible(False)
        self.volume_chart.addAxis(self.month_axis, Qt.AlignmentFlag.AlignBottom)
        self.volume_chart.addAxis(self.volume_axis, Qt.AlignmentFlag.AlignLeft)
        self.volume_series.attachAxis(self.month_axis)
        self.volume_series.attachAxis(self.volume_axis)

        self.funnel_view = _view(self.funnel_chart, "funnelChart", "Funnel chart")
        self.volume_view = _view(self.volume_chart, "volumeChart", "Referrals per month chart")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.funnel_view, 1)
        layout.addWidget(self.volume_view, 1)
        self.show_figures("", Figures(), None)

    @staticmethod
    def _label_bars(series: QAbstractBarSeries) -> None:
        series.setLabelsVisible(True)
        series.setLabelsFormat("@value")
        series.setLabelsPrecision(9)  # significant digits: whole counts never turn into 1.2e+03
        series.setLabelsPosition(QAbstractBarSeries.LabelsPosition.LabelsOutsideEnd)

    def show_figures(self, name: str, figures: Figures, period: Period | None) -> None:
        """Chart ``figures`` (of ``name``: a partner, or the chosen partners together) over ``period``."""
        funnel = figures.funnel
        counts = funnel_counts(funnel)
        for position, count in enumerate(reversed(counts)):
            self.funnel_bars.replace(position, float(count))
        self.stage_axis.setCategories(list(reversed(stage_labels(funnel))))
        self._scale(self.count_axis, max(counts))
        suffix = f" · {name}" if name else ""
        self.funnel_chart.setTitle(f"How far the referrals got{suffix}")

        months = list(figures.by_month)
        self.volume_bars.remove(0, self.volume_bars.count())
        self.volume_bars.append([float(count) for _month, count in months])
        labels = [
            month_label(month, period) if period is not None else f"{month:%b %Y}" for month, _ in months
        ]
        self.month_axis.setCategories(labels)
        self.month_axis.setLabelsAngle(-60 if len(months) > 6 else 0)
        self.volume_series.setLabelsVisible(len(months) <= MAX_LABELLED_MONTHS)
        self._scale(self.volume_axis, max((count for _, count in months), default=0))
        self.volume_chart.setTitle(f"Referrals received per month{suffix}")

    @staticmethod
    def _scale(axis: QValueAxis, largest: float) -> None:
        end, ticks = nice_axis(largest)
        axis.setRange(0, end)
        axis.setTickCount(ticks)

    def funnel_values(self) -> list[int]:
        """The funnel's bars from Received down (what the chart shows; for tests and accessibility)."""
        return [int(self.funnel_bars.at(i)) for i in reversed(range(self.funnel_bars.count()))]

    def volume_values(self) -> list[int]:
        return [int(self.volume_bars.at(i)) for i in range(self.volume_bars.count())]

    def month_labels(self) -> list[str]:
        return list(self.month_axis.categories())
