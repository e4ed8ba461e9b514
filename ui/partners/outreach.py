"""A partner's outreach: the cadence with the next touch due, a row to log a touch, and the touch log.

Logging a touch is typed in reading order: the kind (type its first letter), an optional date (empty
means now; a touch is logged once it happened, so never a future day), an optional note, then
Ctrl+Enter from anywhere in the group. A refusal is shown under the input it is about.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from refdesk.domain.times import local_today
from refdesk.domain.vocab import TouchKind
from refdesk.errors import ValidationError
from refdesk.services import partners
from refdesk.services.actor import Actor
from refdesk.services.partners import TouchRow
from refdesk.storage import Database
from ui.detail.bars import MessageBar, set_style_property
from ui.errors import user_message
from ui.tasks import TaskRunner
from ui.widgets import named, plain_label
from ui.widgets.choices import ChoiceCombo
from ui.widgets.dates import DATE_PLACEHOLDER, DateLineEdit, InputError, format_datetime
from ui.widgets.tables import ID_ROLE, SORT_ROLE, RowsModel, fit_columns, read_only_rows

ADD_KEYS = ("Ctrl+Return", "Ctrl+Enter")
#: When a touch is logged for a past day without a time: midday, so no time zone moves it to another day.
PAST_DAY_TIME = time(12, 0)

_HEADERS = ("When", "Kind", "By", "Note")
#: Typical content per column (the note takes the rest).
_WIDTHS = {0: "00/00/0000 00:00 PM", 1: "Update sent", 2: "Siobhán O'Brien"}
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)


class TouchesModel(RowsModel[TouchRow]):
    """One partner's touches, newest first (tens of rows, held whole). No signals of its own."""

    HEADERS = _HEADERS

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        touch, column = self._rows[index.row()], index.column()
        if role == _DISPLAY:
            return (format_datetime(touch.at), touch.kind.label, touch.staff_name or "—", touch.note or "")[
                column
            ]
        if role == _TOOLTIP and column == 3 and touch.note:
            return touch.note  # a long note is cut off in the cell
        if role == ID_ROLE:
            return touch.id
        if role == SORT_ROLE:
            return (touch.at, touch.kind.value, touch.staff_name, touch.note)[column]
        return None


class OutreachPane(QWidget):
    """The outreach tab. Object names: ``nextTouch`` (what is due), ``touchKind``, ``touchNote``,
    ``touchDate`` (each with a ``fieldError`` label under it), ``addTouch``, ``touchTable``.

    ``cadence_box``: the partner's cadence field (saved like the partner's other fields), placed here.

    Signals:
        changed(int): a touch was logged for this partner (the id).
    """

    changed = Signal(int)

    def __init__(
        self,
        db: Database,
        actor: Actor,
        runner: TaskRunner,
        messages: MessageBar,
        cadence_box: QWidget,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db, self._actor, self._runner = db, actor, runner
        self._messages = messages
        self._partner_id: int | None = None
        self._busy = False
        self.setObjectName("outreachPane")

        self.next_touch = plain_label("nextTouch", hide_empty=False)
        cadence_row = QHBoxLayout()
        cadence_label = QLabel("Outreach &cadence")
        cadence_label.setBuddy(cadence_box.findChild(QWidget, "outreach_cadence") or cadence_box)
        cadence_row.addWidget(cadence_label)
        cadence_row.addWidget(cadence_box)
        cadence_row.addWidget(self.next_touch, 1)

        self.kind = named(
            ChoiceCombo([(kind, kind.label) for kind in TouchKind], placeholder="Choose…"), "touchKind"
        )
        self.kind.setAccessibleName("Kind of touch")
        self.note = named(QLineEdit(placeholderText="What was said or sent (optional)"), "touchNote")
        self.note.setAccessibleName("Touch note")
        self.date = named(DateLineEdit(), "touchDate")
        self.date.setPlaceholderText("Today")
        self.date.setToolTip(f"Leave empty for now, or type the day it happened ({DATE_PLACEHOLDER})")
        self.date.setAccessibleName("Date of the touch")
        metrics = self.date.fontMetrics()
        self.date.setFixedWidth(metrics.horizontalAdvance("00/00/00000") + 4 * metrics.averageCharWidth())
        self.add_button = named(QPushButton("Add touch  (Ctrl+Enter)"), "addTouch")
        self.add_button.clicked.connect(self.add_touch)
        self._errors = {
            "kind": plain_label("fieldError"),
            "note": plain_label("fieldError"),
            "at": plain_label("fieldError"),
        }
        self._inputs: dict[str, QWidget] = {"kind": self.kind, "note": self.note, "at": self.date}

        log_box = QGroupBox("Log a touch")
        log_box.setObjectName("logTouch")
        grid = QGridLayout(log_box)
        # In reading order, which is also the Tab order: kind and day, then the note and the button.
        for column, (text, widget, key) in enumerate(
            (("&Kind", self.kind, "kind"), ("&Date", self.date, "at"))
        ):
            label = QLabel(text)
            label.setBuddy(widget)
            grid.addWidget(label, 0, 2 * column)
            grid.addWidget(widget, 0, 2 * column + 1)
            grid.addWidget(self._errors[key], 1, 2 * column + 1)
        note_label = QLabel("&Note")
        note_label.setBuddy(self.note)
        grid.addWidget(note_label, 2, 0)
        grid.addWidget(self.note, 2, 1, 1, 4)
        grid.addWidget(self._errors["note"], 3, 1, 1, 4)
        grid.addWidget(self.add_button, 2, 5)
        grid.setColumnStretch(4, 1)
        for keys in ADD_KEYS:
            shortcut = QShortcut(QKeySequence(keys), log_box)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self.add_touch)
        QWidget.setTabOrder(self.kind, self.date)
        QWidget.setTabOrder(self.date, self.note)
        QWidget.setTabOrder(self.note, self.add_button)

        self.model = TouchesModel(self)
        self.table = QTableView()
        self.table.setObjectName("touchTable")
        self.table.setModel(self.model)
        self.table.setAccessibleName("Touch log")
        read_only_rows(self.table)
        self.table.horizontalHeader().setStretchLastSection(True)
        self._fitted = False
        fit_columns(self.table, _WIDTHS)
        self.empty = plain_label("touchEmpty", "No touches logged yet.")

        layout = QVBoxLayout(self)
        layout.addLayout(cadence_row)
        layout.addWidget(log_box)
        layout.addWidget(QLabel("Touch log (newest first)"))
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)

    def showEvent(self, event: QShowEvent) -> None:
        if not self._fitted:
            self._fitted = True
            fit_columns(self.table, _WIDTHS)
        super().showEvent(event)

    # --- public -------------------------------------------------------------------------------------

    def set_partner(self, partner_id: int, touches: list[TouchRow], due_text: str, overdue: bool) -> None:
        """Show a partner's touches and what is due; the log-a-touch row is cleared for another partner."""
        if partner_id != self._partner_id:
            self.kind.setCurrentIndex(-1)
            self.note.clear()
            self.date.clear()
            self._show_errors({})
        self._partner_id = partner_id
        self.model.set_rows(touches)
        self.empty.setVisible(not touches)
        self.next_touch.setText(due_text)
        set_style_property(self.next_touch, "overdue", overdue)

    def detach(self) -> None:
        """Another partner is being read: until ``set_partner`` shows it, nothing is logged."""
        self._partner_id = None

    def add_touch(self) -> None:
        """Log the touch typed in the row (Ctrl+Enter); refusals are shown under their inputs."""
        partner_id = self._partner_id
        if partner_id is None or self._busy:
            return
        errors: dict[str, str] = {}
        try:
            day = self.date.value()
        except InputError as error:
            errors["at"] = str(error)
            day = None
        kind = self.kind.value()
        if kind is None:
            errors["kind"] = "Choose what kind of touch it was."
        if errors:
            self._show_errors(errors)
            return
        at = None if day is None or day == local_today() else datetime.combine(day, PAST_DAY_TIME)
        note = self.note.text().strip() or None
        db, actor = self._db, self._actor
        self._busy = True

        def added(_touch_id: int) -> None:
            self._busy = False
            self._show_errors({})
            if partner_id == self._partner_id:
                self.kind.setCurrentIndex(-1)
                self.note.clear()
                self.date.clear()
                self.kind.setFocus(Qt.FocusReason.OtherFocusReason)
            self.changed.emit(partner_id)

        def refused(error: BaseException) -> None:
            self._busy = False
            if isinstance(error, ValidationError) and partner_id == self._partner_id:
                self._show_errors(error.errors)
            else:
                self._messages.show_message(user_message(error))

        self._runner.submit(
            lambda _context: partners.add_touch(db, actor, partner_id, kind, at=at, note=note),  # type: ignore[arg-type]
            on_done=added,
            on_error=refused,
        )

    def errors(self) -> dict[str, str]:
        return {key: label.text() for key, label in self._errors.items() if label.text()}

    def _show_errors(self, errors: dict[str, str]) -> None:
        for key, label in self._errors.items():
            message = errors.get(key, "")
            label.setText(message)
            label.setVisible(bool(message))
            set_style_property(self._inputs[key], "invalid", bool(message))
        first = next((key for key in ("kind", "at", "note") if key in errors), None)
        if first is not None:
            self._inputs[first].setFocus(Qt.FocusReason.OtherFocusReason)
        others = [message for key, message in errors.items() if key not in self._errors]
        if others:
            self._messages.show_message(" ".join(others))
