"""Choice lists that hand back Python values, and one the user can type into to filter.

Values live in a Python list beside the items rather than in ``itemData``: PySide turns a StrEnum into a
plain ``str`` on the way through QVariant, and ``None`` (meaning "not stated") into an invalid variant.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFocusEvent, QWheelEvent
from PySide6.QtWidgets import QComboBox, QCompleter, QWidget

from ui.widgets.dates import InputError


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


class ChoiceCombo(QComboBox):
    """A fixed list of ``(value, label)`` pairs; ``value()`` is the chosen Python value.

    With a placeholder, nothing is chosen at first (index -1), so a required choice is never made for
    the user by accident.

    Signals: those of QComboBox (``activated`` is the user's choice; forms listen to it).
    """

    def __init__(
        self,
        choices: Sequence[tuple[Hashable, str]] = (),
        *,
        placeholder: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # not WheelFocus: see wheelEvent
        self._values: list[Hashable] = []
        self.setPlaceholderText(placeholder)
        self.set_choices(choices)

    def wheelEvent(self, event: QWheelEvent) -> None:
        # A wheel turned while scrolling a long form must scroll it, not change (and save) a choice
        # the pointer happens to pass over.
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()

    def set_choices(self, choices: Sequence[tuple[Hashable, str]]) -> None:
        self.clear()
        self._values = []
        for value, label in choices:
            self._values.append(value)
            self.addItem(label)
        self.setCurrentIndex(-1 if self.placeholderText() else 0)

    def value(self) -> Hashable | None:
        index = self.currentIndex()
        return self._values[index] if 0 <= index < len(self._values) else None

    def set_value(self, value: Hashable | None, *, missing_label: str | None = None) -> None:
        """Choose ``value``; one that is not listed (an inactive partner) is added under ``missing_label``,
        so editing an old referral never silently changes it."""
        if value in self._values:
            self.setCurrentIndex(self._values.index(value))
        elif value is None:
            self.setCurrentIndex(-1)
        else:
            self._values.append(value)
            self.addItem(missing_label or str(value))
            self.setCurrentIndex(len(self._values) - 1)


class SearchCombo(ChoiceCombo):
    """An editable choice list (a few hundred partners): typing filters the list by any part of a
    name, ignoring case. Leaving the field settles on the one item the text means, or reports that it
    means none; free text is never accepted as a new item.

    Signals:
        committed(): the user picked an item or left the field (text already settled on an item).
    """

    committed = Signal()

    def __init__(
        self,
        choices: Sequence[tuple[Hashable, str]] = (),
        *,
        missing_message: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent=parent)
        self._missing_message = missing_message
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        completer = QCompleter(self.model(), self)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setCompleter(completer)
        self._completer = completer
        line_edit = self.lineEdit()
        assert line_edit is not None  # editable
        line_edit.setPlaceholderText("Type to search…")
        self.set_choices(choices)
        # not editingFinished: QLineEdit skips it while the completer's popup is open
        line_edit.returnPressed.connect(self._settle)
        self.activated.connect(self._activated)

    def set_choices(self, choices: Sequence[tuple[Hashable, str]]) -> None:
        super().set_choices(choices)
        self.setCurrentIndex(-1)

    def value(self) -> Hashable | None:
        """The item the typed text means: the current item, an exact name, or the only name containing
        it. Raises InputError when the text means no single item."""
        index = self._index_for_text()
        return self._values[index] if index >= 0 else None

    def _index_for_text(self) -> int:
        text = _fold(self.currentText())
        if not text:
            return -1
        current = self.currentIndex()
        if current >= 0 and _fold(self.itemText(current)) == text:
            return current
        labels = [_fold(self.itemText(i)) for i in range(self.count())]
        exact = [i for i, label in enumerate(labels) if label == text]
        containing = exact or [i for i, label in enumerate(labels) if text in label]
        if len(containing) == 1:
            return containing[0]
        raise InputError(self._missing_message)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        # PopupFocusReason: the drop-down list took focus and the user is still choosing
        if event.reason() != Qt.FocusReason.PopupFocusReason:
            popup = self._completer.popup()
            if popup is not None:
                popup.hide()
            self._settle()

    def _settle(self) -> None:
        try:
            index = self._index_for_text()
        except InputError:
            self.committed.emit()
            return
        if index != self.currentIndex() or self.currentText() != self.itemText(index):
            self.setCurrentIndex(index)
        self.committed.emit()

    def _activated(self, _index: int) -> None:
        self.committed.emit()
