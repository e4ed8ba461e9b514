"""Step four, only when the file's dates could be read two ways: 03/04/2024 is March 4 in the US and
3 April almost everywhere else. ``detect_date_format`` looked at every date in the file; when no value
settles it (no day above 12), the user chooses, seeing how the first rows' dates would read each way.
"""

from __future__ import annotations

from datetime import date
from typing import cast

from PySide6.QtWidgets import QButtonGroup, QGridLayout, QLabel, QRadioButton, QVBoxLayout, QWidget

from refdesk.imports.mapping import DATE_KINDS, Mapping
from refdesk.imports.values import DATE_FORMAT_LABELS, DateFormat, parse_date
from ui.imports.pages import ImportPage
from ui.widgets import named, plain_label

#: How many of the first rows' dates are shown as examples.
EXAMPLES = 6
_ORDER_NAMES = {"MDY": "Month first (US)", "DMY": "Day first", "YMD": "Year first"}


def describe_format(order: str) -> str:
    """How the choice reads: ``Month first (US): MM/DD/YYYY``."""
    label = DATE_FORMAT_LABELS.get(order, order)  # type: ignore[call-overload]
    return f"{_ORDER_NAMES.get(order, order)}: {label}"


def spelled(day: date | None) -> str:
    """A date no one can misread: ``4 March 2024`` (or that it is not one)."""
    return f"{day.day} {day:%B %Y}" if day is not None else "not a date this way"


def example_values(rows: list[dict[str, str]], mapping: Mapping) -> list[str]:
    """A few date values from the first rows, from whichever date columns are mapped; those that read
    differently the two ways first (they are the ones that show the difference)."""
    headers = [
        mapping.columns[name]
        for name, spec in mapping.fields.items()
        if spec.kind in DATE_KINDS and name in mapping.columns
    ]
    found: list[str] = []
    for row in rows:
        for header in headers:
            value = (row.get(header) or "").strip()
            if value and value not in found:
                found.append(value)
    telling = [value for value in found if parse_date(value, "MDY") != parse_date(value, "DMY")]
    others = [value for value in found if value not in telling]
    return (telling + others)[:EXAMPLES]


class DatesPage(ImportPage):
    """A radio button per way of reading (``dateFormatOption``, property ``format``) and, under it,
    the first dates of the file (``dateExample``) read the chosen way (``dateReading``).

    Keyboard: the arrow keys switch between the ways; the examples follow.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "dates",
            "How are the dates written?",
            "The dates in this file read both ways (no day is above 12). Choose how they are written; "
            "the examples show how the first rows would read.",
            parent,
        )
        self._group = QButtonGroup(self)
        self._options_box = QVBoxLayout()
        self.body.addLayout(self._options_box)
        self._examples = QGridLayout()
        self._examples.setColumnStretch(1, 1)
        self._examples.setHorizontalSpacing(24)
        self.body.addSpacing(12)
        self.body.addWidget(plain_label("datesExamplesTitle", "The first dates in the file would read:"))
        self.body.addLayout(self._examples)
        self.body.addStretch(1)
        self.options: list[QRadioButton] = []
        self._values: list[str] = []
        self._readings: list[QLabel] = []
        self._group.buttonToggled.connect(lambda *_: self._show_examples())

    def needed(self) -> bool:
        """Only when the dates are ambiguous."""
        analysis = self.state.analysis
        return analysis is not None and analysis.dates is not None and bool(analysis.dates.ambiguous)

    def initializePage(self) -> None:  # noqa: N802 - Qt's name
        state = self.state
        analysis, mapping = state.analysis, state.mapping
        assert analysis is not None and analysis.dates is not None and mapping is not None
        for option in self.options:
            self._group.removeButton(option)
            option.deleteLater()
        self.options = []
        candidates = list(analysis.dates.candidates)
        chosen = mapping.date_format if mapping.date_format in candidates else candidates[0]
        for number, fmt in enumerate(candidates, start=1):
            option = named(QRadioButton(f"&{number}  {describe_format(fmt)}"), "dateFormatOption")
            option.setProperty("format", fmt)
            self._group.addButton(option)
            self._options_box.addWidget(option)
            self.options.append(option)
            if fmt == chosen:
                option.setChecked(True)
        self._build_examples(example_values(state.samples, mapping))
        self._show_examples()
        checked = self._group.checkedButton()
        if checked is not None:
            self.focus_later(checked)

    def _build_examples(self, values: list[str]) -> None:
        while self._examples.count():
            item = self._examples.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self._values = values
        self._readings = []
        for row, value in enumerate(values):
            shown = plain_label("dateExample", value, wrap=False, selectable=True)
            reading = plain_label("dateReading", hide_empty=False, wrap=False)
            self._examples.addWidget(shown, row, 0)
            self._examples.addWidget(reading, row, 1)
            self._readings.append(reading)

    def chosen_format(self) -> str | None:
        checked = self._group.checkedButton()
        return str(checked.property("format")) if checked is not None else None

    def _show_examples(self) -> None:
        fmt = self.chosen_format()
        if fmt is None:
            return
        for value, reading in zip(self._values, self._readings, strict=True):
            reading.setText(f"→  {spelled(parse_date(value, cast(DateFormat, fmt)))}")

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        fmt = self.chosen_format()
        state = self.state
        if fmt is None or state.mapping is None:
            return False
        state.mapping = Mapping(
            kind=state.mapping.kind,
            columns=dict(state.mapping.columns),
            values=dict(state.mapping.values),
            date_format=cast(DateFormat, fmt),
            defaults=dict(state.mapping.defaults),
        )
        return True
