"""The report's period: a preset (last month by default) or two typed dates.

Coordinators mostly report on whole months and quarters, so presets come first and fill the two date
fields; typing into a field switches to Custom. A custom period is checked where it is typed: start on
or before end, nothing after today (a report about the future would silently show zeros). Until the
typed dates make sense the report keeps the last good period, and the message sits under the fields.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from enum import Enum

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from refdesk.domain.times import local_today
from refdesk.services.metrics import Period
from ui.detail.bars import set_style_property
from ui.widgets import named, plain_label
from ui.widgets.choices import ChoiceCombo
from ui.widgets.dates import DateLineEdit, InputError, format_date


class Preset(Enum):
    THIS_MONTH = "this_month"
    LAST_MONTH = "last_month"
    THIS_QUARTER = "this_quarter"
    LAST_QUARTER = "last_quarter"
    LAST_12_MONTHS = "last_12_months"
    CUSTOM = "custom"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Preset.THIS_MONTH: "This month",
    Preset.LAST_MONTH: "Last month",
    Preset.THIS_QUARTER: "This quarter",
    Preset.LAST_QUARTER: "Last quarter",
    Preset.LAST_12_MONTHS: "Last 12 months",
    Preset.CUSTOM: "Custom",
}
DEFAULT_PRESET = Preset.LAST_MONTH
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def _month_start(day: date, months_back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def _month_end(day: date) -> date:
    return _month_start(day, -1) - timedelta(days=1)


def _quarter_start(day: date) -> date:
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def preset_period(preset: Preset, today: date) -> Period | None:
    """The days ``preset`` means on ``today``; None for Custom. "This" periods end today (the rest of
    the month has not happened); "Last 12 months" is the twelve whole months before this one, so the
    monthly chart has no half-month at its end."""
    if preset is Preset.THIS_MONTH:
        return Period(_month_start(today), today)
    if preset is Preset.LAST_MONTH:
        start = _month_start(today, 1)
        return Period(start, _month_end(start))
    if preset is Preset.THIS_QUARTER:
        return Period(_quarter_start(today), today)
    if preset is Preset.LAST_QUARTER:
        start = _month_start(_quarter_start(today), 3)
        return Period(start, _quarter_start(today) - timedelta(days=1))
    if preset is Preset.LAST_12_MONTHS:
        return Period(_month_start(today, 12), _month_start(today) - timedelta(days=1))
    return None


def _whole_months(period: Period) -> int | None:
    """How many calendar months ``period`` covers exactly, or None when it starts or ends mid-month."""
    if period.start.day != 1 or period.end != _month_end(period.end):
        return None
    return (period.end.year - period.start.year) * 12 + period.end.month - period.start.month + 1


def period_text(period: Period) -> str:
    """How a period reads in a title: ``April 2024``, ``Q2 2024``, ``May 2023 – Apr 2024``, else
    ``04/01/2024 – 04/15/2024``."""
    months = _whole_months(period)
    if months == 1:
        return f"{_MONTH_NAMES[period.start.month - 1]} {period.start.year}"
    if months == 3 and period.start.month % 3 == 1:
        return f"Q{period.start.month // 3 + 1} {period.start.year}"
    if months is not None:
        first, last = period.start, period.end
        return f"{_MONTHS[first.month - 1]} {first.year} – {_MONTHS[last.month - 1]} {last.year}"
    return f"{format_date(period.start)} – {format_date(period.end)}"


def period_slug(period: Period) -> str:
    """The period in a file name, sorting by date: ``2024-04``, ``2024-Q2``, ``2024-04-01 to 2024-04-15``."""
    months = _whole_months(period)
    if months == 1:
        return f"{period.start:%Y-%m}"
    if months == 3 and period.start.month % 3 == 1:
        return f"{period.start.year}-Q{period.start.month // 3 + 1}"
    if months is not None:
        return f"{period.start:%Y-%m} to {period.end:%Y-%m}"
    return f"{period.start.isoformat()} to {period.end.isoformat()}"


def comparison_text(period: Period) -> str:
    """What "change" is measured against, said once above the table."""
    previous = period.previous()
    return f"Change is against {format_date(previous.start)} – {format_date(previous.end)}."


def month_label(month: date, period: Period) -> str:
    """A month on the volume chart: ``Apr 2024``, or ``Apr 1–15`` when the period covers only part of it
    (so a short last bar is not read as a drop in referrals)."""
    first, last = max(month, period.start), min(_month_end(month), period.end)
    name = _MONTHS[month.month - 1]
    if first == month and last == _month_end(month):
        return f"{name} {month.year}"
    return f"{name} {first.day}–{last.day}"


class PeriodPicker(QWidget):
    """A preset list beside two date fields (From, To), with the message about typed dates under them.

    Object names: ``periodPreset`` (combo), ``periodStart``, ``periodEnd`` (date fields, dynamic property
    ``invalid``), ``fieldError`` (the message under them, hidden while there is none).

    Signals:
        period_changed(Period): the period to report on changed and is valid.
    """

    period_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None, *, today: Callable[[], date] = local_today) -> None:
        super().__init__(parent)
        self.setObjectName("periodPicker")
        self._today = today
        self.preset_combo = named(ChoiceCombo([(p, p.label) for p in Preset], parent=self), "periodPreset")
        self.preset_combo.setAccessibleName("Report period")
        self.start_edit = named(DateLineEdit(self), "periodStart")
        self.start_edit.setAccessibleName("First day of the period")
        self.end_edit = named(DateLineEdit(self), "periodEnd")
        self.end_edit.setAccessibleName("Last day of the period")
        self.error_label = plain_label("fieldError")

        title = QLabel("&Period", self)
        title.setBuddy(self.preset_combo)
        start_label = QLabel("Fro&m", self)
        start_label.setBuddy(self.start_edit)
        end_label = QLabel("&To", self)
        end_label.setBuddy(self.end_edit)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(2)
        grid.addWidget(title, 0, 0)
        grid.addWidget(self.preset_combo, 0, 1)
        grid.addWidget(start_label, 0, 2)
        grid.addWidget(self.start_edit, 0, 3)
        grid.addWidget(end_label, 0, 4)
        grid.addWidget(self.end_edit, 0, 5)
        grid.addWidget(self.error_label, 1, 1, 1, 5)
        metrics = self.start_edit.fontMetrics()
        width = metrics.horizontalAdvance("00/00/00000") + 4 * metrics.averageCharWidth()
        for edit in (self.start_edit, self.end_edit):
            edit.setFixedWidth(width)

        self._period = preset_period(DEFAULT_PRESET, today())
        assert self._period is not None
        self._show_preset(DEFAULT_PRESET)
        self._emitted: Period | None = self._period  # what the owner reads at start needs no signal
        self.preset_combo.activated.connect(lambda _index: self._preset_chosen())
        for edit in (self.start_edit, self.end_edit):
            edit.textEdited.connect(lambda _text: self._typed())
        self.start_edit.editingFinished.connect(lambda: self._dates_finished(self.start_edit))
        self.end_edit.editingFinished.connect(lambda: self._dates_finished(self.end_edit))

    # --- public -------------------------------------------------------------------------------------

    def period(self) -> Period:
        """The period the report shows: the last valid one (the typed dates may still be wrong)."""
        assert self._period is not None
        return self._period

    def preset(self) -> Preset:
        value = self.preset_combo.value()
        return value if isinstance(value, Preset) else Preset.CUSTOM

    def error(self) -> str:
        """The message under the date fields ("" when they are fine)."""
        return self.error_label.text()

    def set_preset(self, preset: Preset) -> None:
        """Choose ``preset`` as if picked from the list (Custom keeps the dates shown)."""
        self.preset_combo.set_value(preset)
        self._preset_chosen()

    def set_period(self, period: Period) -> None:
        """Show ``period`` as a custom period (checked like typed dates)."""
        self.preset_combo.set_value(Preset.CUSTOM)
        self.start_edit.set_value(period.start)
        self.end_edit.set_value(period.end)
        self._dates_finished(None)

    def refresh_presets(self) -> None:
        """Recompute a preset's days (the date may have changed since the tab was opened)."""
        if self.preset() is not Preset.CUSTOM:
            self._preset_chosen()

    # --- internals ----------------------------------------------------------------------------------

    def _preset_chosen(self) -> None:
        preset = self.preset()
        if preset is Preset.CUSTOM:
            self.start_edit.setFocus(Qt.FocusReason.OtherFocusReason)
            self.start_edit.selectAll()
            return
        self._show_preset(preset)
        self._emit_if_changed()

    def _show_preset(self, preset: Preset) -> None:
        period = preset_period(preset, self._today())
        assert period is not None
        self.preset_combo.set_value(preset)
        self.start_edit.set_value(period.start)
        self.end_edit.set_value(period.end)
        self._period = period
        self._set_error("", None)

    def _typed(self) -> None:
        if self.preset() is not Preset.CUSTOM:
            self.preset_combo.set_value(Preset.CUSTOM)

    def _dates_finished(self, edit: DateLineEdit | None) -> None:
        """Check the typed dates once the user leaves a field (or presses Enter in it)."""
        if self.preset() is not Preset.CUSTOM:
            return  # the fields still show the preset: nothing was typed
        today = self._today()
        try:
            start = self._read(self.start_edit, "first")
            end = self._read(self.end_edit, "last")
        except _FieldError as error:
            self._set_error(str(error), error.edit)
            return
        if start > today:
            self._set_error(f"The period cannot start after today ({format_date(today)}).", self.start_edit)
            return
        if end > today:
            self._set_error(f"The period cannot end after today ({format_date(today)}).", self.end_edit)
            return
        if start > end:
            if edit is self.start_edit and self.end_edit.hasFocus():
                return  # on the way to the To field: the user is about to move the end too
            self._set_error("The first day is after the last day.", edit or self.end_edit)
            return
        self._period = Period(start, end)
        self._set_error("", None)
        self._emit_if_changed()

    def _read(self, edit: DateLineEdit, which: str) -> date:
        try:
            value = edit.value()
        except InputError as error:
            raise _FieldError(str(error), edit) from None
        if value is None:
            raise _FieldError(f"Type the {which} day of the period.", edit)
        return value

    def _set_error(self, message: str, edit: DateLineEdit | None) -> None:
        self.error_label.setText(message)
        self.error_label.setVisible(bool(message))
        for field in (self.start_edit, self.end_edit):
            set_style_property(field, "invalid", field is edit)

    def _emit_if_changed(self) -> None:
        if self._period != self._emitted:
            self._emitted = self._period
            self.period_changed.emit(self._period)


class _FieldError(InputError):
    def __init__(self, message: str, edit: DateLineEdit) -> None:
        super().__init__(message)
        self.edit = edit
