"""Dates and times typed at the keyboard: parse what people type, and show every date one way.

Front-desk staff copy dates off faxes as fast as they type. A QDateEdit fights them (sections, spin
arrows) and can never be empty, so a date of birth would silently default to some day. These fields are
plain line edits instead: empty means "not given", and text that is not a real date is an error that the
form shows next to the field, never a guess.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QWidget

from refdesk.domain.times import to_local

DATE_PLACEHOLDER = "MM/DD/YYYY"
TIME_PLACEHOLDER = "h:mm AM"
_US_DATE = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d+)")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_TIME = re.compile(r"(\d{1,2})(?:[:.]?(\d{2}))?\s*(?:([ap])\.?\s*m?\.?)?")


class InputError(ValueError):
    """Text that cannot become a value. ``str(error)`` is shown next to the field, so it never repeats
    what was typed (error messages carry no patient data)."""


def parse_date(text: str) -> date | None:
    """``04/02/1958``, ``4/2/1958``, ``04021958`` or ``1958-04-02``; None when empty.

    A two-digit year is refused rather than guessed: for a date of birth, 58 could be 1958 or 2058.
    """
    text = text.strip()
    if not text:
        return None
    if match := _ISO_DATE.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := _US_DATE.fullmatch(text):
        month, day = int(match.group(1)), int(match.group(2))
        if len(match.group(3)) != 4:
            raise InputError("Type the year with four digits, as MM/DD/YYYY.")
        year = int(match.group(3))
    elif text.isdigit() and len(text) == 8:
        month, day, year = int(text[:2]), int(text[2:4]), int(text[4:])
    else:
        raise InputError(f"Type the date as {DATE_PLACEHOLDER} (or YYYY-MM-DD).")
    try:
        return date(year, month, day)
    except ValueError:
        raise InputError(f"That is not a real date; type it as {DATE_PLACEHOLDER}.") from None


def format_date(value: date) -> str:
    return f"{value.month:02d}/{value.day:02d}/{value.year:04d}"


def parse_time(text: str) -> time | None:
    """``9:30 AM``, ``9:30a``, ``930``, ``14:30``, ``2 pm``; None when empty."""
    text = text.strip().casefold()
    if not text:
        return None
    match = _TIME.fullmatch(text)
    if match is None:
        raise InputError(f"Type the time as {TIME_PLACEHOLDER} or 24-hour 14:30.")
    hour, minute, half = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    if half is not None:
        if not 1 <= hour <= 12:
            raise InputError("With AM or PM, the hour is 1 to 12.")
        hour = hour % 12 + (12 if half == "p" else 0)
    if hour > 23 or minute > 59:
        raise InputError("That is not a real time of day.")
    return time(hour, minute)


def format_time(value: time) -> str:
    return f"{value.hour % 12 or 12}:{value.minute:02d} {'PM' if value.hour >= 12 else 'AM'}"


def format_datetime(moment: datetime) -> str:
    """A moment as the desk reads it, in the workstation's local time (aware values are converted)."""
    local = to_local(moment) if moment.tzinfo is not None else moment
    return f"{format_date(local.date())} {format_time(local.time())}"


def _text_width(field: QLineEdit, sample: str) -> int:
    """The width a field needs to show ``sample`` whole: a crowded row must never cut a date to ":026"."""
    margins = field.textMargins()
    return field.fontMetrics().horizontalAdvance(sample) + margins.left() + margins.right() + 28


class DateLineEdit(QLineEdit):
    """A date typed as text; empty means no date. A valid date is rewritten as MM/DD/YYYY when the user
    leaves the field, so what they see is what was understood.

    Signals: those of QLineEdit (``editingFinished`` is the one forms listen to).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText(DATE_PLACEHOLDER)
        self.editingFinished.connect(self._tidy)
        self.setMinimumWidth(_text_width(self, "00/00/0000"))

    def value(self) -> date | None:
        """The typed date. Raises InputError when the text is not one."""
        return parse_date(self.text())

    def set_value(self, value: date | None) -> None:
        self.setText(format_date(value) if value is not None else "")

    def _tidy(self) -> None:
        try:
            value = self.value()
        except InputError:
            return
        if value is not None and self.text() != format_date(value):
            self.set_value(value)


class TimeLineEdit(QLineEdit):
    """A time of day typed as text (12- or 24-hour); shown as ``9:30 AM`` once understood.

    Signals: those of QLineEdit.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText(TIME_PLACEHOLDER)
        self.editingFinished.connect(self._tidy)
        self.setMinimumWidth(_text_width(self, "00:00 PM"))

    def value(self) -> time | None:
        """The typed time. Raises InputError when the text is not one."""
        return parse_time(self.text())

    def set_value(self, value: time | None) -> None:
        self.setText(format_time(value) if value is not None else "")

    def _tidy(self) -> None:
        try:
            value = self.value()
        except InputError:
            return
        if value is not None and self.text() != format_time(value):
            self.set_value(value)


class DateTimeField(QWidget):
    """A date and a time side by side, read as one naive local datetime (what a person typed).

    Signals:
        editingFinished(): the user finished editing either part (left it or pressed Enter).
    """

    editingFinished = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.date_edit = DateLineEdit(self)
        self.date_edit.setObjectName("date")
        self.time_edit = TimeLineEdit(self)
        self.time_edit.setObjectName("time")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.date_edit, 3)
        layout.addWidget(self.time_edit, 2)
        self.setFocusProxy(self.date_edit)
        self.date_edit.editingFinished.connect(self.editingFinished)
        self.time_edit.editingFinished.connect(self.editingFinished)

    def value(self) -> datetime | None:
        """The moment typed (naive, local); None when both parts are empty. Raises InputError when only
        one part is given or either cannot be read."""
        day, moment = self.date_edit.value(), self.time_edit.value()
        if day is None and moment is None:
            return None
        if day is None:
            raise InputError(f"Type the date as well, as {DATE_PLACEHOLDER}.")
        if moment is None:
            raise InputError(f"Type the time as well, e.g. {TIME_PLACEHOLDER}.")
        return datetime.combine(day, moment)

    def set_value(self, moment: datetime | None) -> None:
        """Show ``moment``; an aware value is shown in local time, to the minute."""
        if moment is None:
            self.date_edit.set_value(None)
            self.time_edit.set_value(None)
            return
        local = to_local(moment) if moment.tzinfo is not None else moment
        self.date_edit.set_value(local.date())
        self.time_edit.set_value(local.time().replace(second=0, microsecond=0))
