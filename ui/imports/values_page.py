"""Step three: what the file's own words mean in RefDesk.

A referral log says "Pending", "In Progress", "Sent"; RefDesk has its states. For each mapped column
among state, urgency, close reason, channel, service line and partner category, the step lists every
distinct value found in the file with how many rows carry it, and a choice of RefDesk value beside it,
guessed (``guess_values``). The rows are read on a worker when the columns step is left; this step only
shows them.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from refdesk.imports import mapping as mappings
from refdesk.imports.mapping import Kind, Mapping
from ui.detail.bars import scrolling
from ui.imports.columns_page import fields_of, value_fields
from ui.imports.pages import ImportPage
from ui.widgets import plain_label
from ui.widgets.choices import ChoiceCombo

#: An unmatched value: the rows carrying it are refused (the preview lists them).
NO_MATCH = "— not matched: its rows are refused —"
#: The values step shows at most this many values per column (the most common).
VALUES_SHOWN = 50


def target_choices(kind: Kind, field: str, service_lines: Sequence[str] = ()) -> list[tuple[Hashable, str]]:
    """The RefDesk values a file's value of ``field`` can mean, as (stored value, label)."""
    if field == "service_line":
        return [(name, name) for name in service_lines]
    spec = mappings.FIELDS[kind].get(field)
    return list(spec.choices) if spec is not None else []


def _same_names(found: Sequence[tuple[str, int]], names: Sequence[str]) -> dict[str, str]:
    """File values that are a service line's name but for case and spacing."""
    by_key = {" ".join(name.split()).casefold(): name for name in names}
    return {
        value: by_key[key] for value, _count in found if (key := " ".join(value.split()).casefold()) in by_key
    }


class ValuesPage(ImportPage):
    """One group per mapped field (``valuesGroup``, property ``field``), one row per value found: the
    value (``fileValue``), its row count (``valueCount``) and the RefDesk value (``valueChoice``,
    properties ``field`` and ``value``).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "values",
            "Match the values",
            "What each value in the file means in RefDesk. Guessed from the words: check them, and "
            "change any that are wrong. Rows with an unmatched value are listed with a problem in the "
            "preview.",
            parent,
        )
        self._host = QWidget()
        self._layout = QVBoxLayout(self._host)
        self.body.addWidget(scrolling(self._host, "valuesScroll"), 1)
        self.combos: dict[str, dict[str, ChoiceCombo]] = {}
        self._empty = plain_label("valuesEmpty", "Nothing in this file needs matching.", hide_empty=False)

    def has_work(self) -> bool:
        """Whether there is anything to show: a mapped value column with at least one value."""
        analysis = self.state.analysis
        return analysis is not None and any(analysis.values.values())

    def initializePage(self) -> None:  # noqa: N802 - Qt's name
        state = self.state
        analysis = state.analysis
        mapping = state.mapping
        assert analysis is not None and mapping is not None
        self._clear()
        labels = {name: spec.label for name, spec in fields_of(state.kind).items()}
        first: ChoiceCombo | None = None
        for name in value_fields(state.kind):
            found = analysis.values.get(name)
            if not found:
                continue
            chosen = {**analysis.guesses.get(name, {}), **mapping.values.get(name, {})}
            if name == "service_line":
                chosen = {**_same_names(found, state.service_lines), **chosen}
            choices = [(None, NO_MATCH), *target_choices(state.kind, name, state.service_lines)]
            group = QGroupBox(f"{labels.get(name, name)}: column “{mapping.columns.get(name, '')}”")
            group.setObjectName("valuesGroup")
            group.setProperty("field", name)
            grid = QGridLayout(group)
            grid.setColumnStretch(0, 1)
            grid.setHorizontalSpacing(16)
            for title, column in (("In the file", 0), ("Rows", 1), ("In RefDesk", 2)):
                heading = plain_label("valuesHeading", title, wrap=False)
                heading.setStyleSheet("font-weight: 600;")
                grid.addWidget(heading, 0, column)
            self.combos[name] = {}
            for row, (value, count) in enumerate(found[:VALUES_SHOWN], start=1):
                shown = QLabel(value if value.strip() else "(empty)")
                shown.setObjectName("fileValue")
                shown.setTextFormat(Qt.TextFormat.PlainText)
                rows = QLabel(f"{count:,}")
                rows.setObjectName("valueCount")
                rows.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                combo = ChoiceCombo(choices)
                combo.setObjectName("valueChoice")
                combo.setProperty("field", name)
                combo.setProperty("value", value)
                combo.setAccessibleName(f"{labels.get(name, name)} {value}")
                combo.set_value(chosen.get(value))
                shown.setBuddy(combo)
                grid.addWidget(shown, row, 0)
                grid.addWidget(rows, row, 1)
                grid.addWidget(combo, row, 2)
                self.combos[name][value] = combo
                first = first or combo
            if name == "service_line" and not state.service_lines:
                none_yet = plain_label(
                    "valuesNoLines",
                    "RefDesk has no service lines yet: add them first, then import; until then these rows "
                    "are refused.",
                )
                grid.addWidget(none_yet, len(found[:VALUES_SHOWN]) + 2, 0, 1, 3)
            if len(found) >= VALUES_SHOWN:
                more = plain_label(
                    "valuesMore",
                    f"Only the {VALUES_SHOWN} most common values are listed. Others are read as RefDesk "
                    "understands them; the preview lists rows whose value it cannot read.",
                )
                grid.addWidget(more, len(found[:VALUES_SHOWN]) + 1, 0, 1, 3)
            self._layout.addWidget(group)
        if not self.combos:
            self._layout.addWidget(self._empty)
        self._layout.addStretch(1)
        if first is not None:
            self.focus_later(first)

    def _clear(self) -> None:
        while self._layout.count():
            item = self._layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None and widget is not self._empty:
                widget.deleteLater()
        self.combos = {}

    def chosen_values(self) -> dict[str, dict[str, str]]:
        """Field -> file value -> RefDesk value, as chosen now (unmatched values left out)."""
        chosen: dict[str, dict[str, str]] = {}
        for name, combos in self.combos.items():
            chosen[name] = {
                value: str(combo.value()) for value, combo in combos.items() if combo.value() is not None
            }
        return chosen

    def _store(self) -> None:
        state = self.state
        if state.mapping is None:
            return
        values = {**state.mapping.values, **self.chosen_values()}
        state.mapping = Mapping(
            kind=state.mapping.kind,
            columns=dict(state.mapping.columns),
            values=values,
            date_format=state.mapping.date_format,
            defaults=dict(state.mapping.defaults),
        )

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        self._store()
        return True

    def cleanupPage(self) -> None:  # noqa: N802 - Qt's name
        self._store()  # going back keeps what was chosen here
