"""Settings → Service lines: the list of lines, and the chosen line's fields beside it.

Every field of a line (what partners are told about it, the records a referral must include, its
response targets) is saved when the user leaves it, and a refusal shows under the field. A line is
added by name (it starts with the clinic's default targets and the shipped intake script) and retired
rather than deleted: its referrals keep pointing at it, and it can be restored. Front desk reads the
lines (what to tell a partner who asks how to refer) but cannot change them.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from refdesk.errors import ValidationError
from refdesk.services import service_lines
from refdesk.services.actor import Actor
from refdesk.services.service_lines import LineRecord
from refdesk.storage import Database
from ui.detail.bars import scrolling
from ui.errors import user_message
from ui.partners.fields import FieldSet
from ui.settings.lines_model import NAME, ServiceLinesModel
from ui.settings.targets_page import APPLIES_NOTE
from ui.tasks import TaskContext, TaskRunner
from ui.widgets import named, plain_label
from ui.widgets.tables import read_only_rows
from ui.widgets.text import CountLineEdit, PlainTextField

READ_ONLY_NOTE = "Only an administrator or a coordinator can change service lines."
RETIRED_NOTE = "Retired: no longer offered for new referrals; the referrals already made keep it."

#: The editor's fields: name, label (with its mnemonic), the widget kind, and its size.
_TEXT, _LINES, _COUNT = "text", "lines", "count"
FIELDS: tuple[tuple[str, str, str, int], ...] = (
    ("name", "&Name:", _TEXT, 120),
    ("description", "&Description:", _LINES, 3),
    ("criteria", "Cr&iteria:", _LINES, 3),
    ("required_records", "Required &records\n(one a line):", _LINES, 4),
    ("how_to_refer", "&How to refer:", _LINES, 3),
    ("after_referral", "Af&ter the referral:", _LINES, 3),
    ("ack_target_hours", "A&cknowledge within\n(business hours):", _COUNT, 3),
    ("first_contact_target_hours", "&First contact within\n(business hours):", _COUNT, 3),
    ("max_attempts", "Contact atte&mpts\nbefore offering to close:", _COUNT, 2),
)


def line_values(line: LineRecord) -> dict[str, Any]:
    """The editor's values for ``line`` (required records one a line)."""
    values = {name: getattr(line, name) for name, *_rest in FIELDS}
    values["required_records"] = "\n".join(line.required_records)
    return values


class ServiceLinesPage(QWidget):
    """The lines (``linesTable``, a ``ServiceLinesModel``) and the current line's fields, each named as
    its ``LineRecord`` attribute (``name``, ``description``, ..., ``max_attempts``) with a ``fieldError``
    label under it. ``newLineName`` with ``addLine`` adds a line (its refusal in ``newLineError``);
    ``toggleLine`` retires or restores the current one; ``linesStatus`` says what happened.

    Signals:
        saved(str): a change was saved: the field's name, ``"added"``, or ``"active"``.
        loaded(): the list was read and shown.
    """

    saved = Signal(str)
    loaded = Signal()

    def __init__(self, db: Database, actor: Actor, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("serviceLinesPage")
        self._db, self._actor, self._runner = db, actor, runner
        self.editable = service_lines.can_change_settings(actor)
        self._line_id: int | None = None
        self._placing = False

        self.model = ServiceLinesModel(self)
        self.table = named(QTableView(), "linesTable")
        self.table.setModel(self.model)
        read_only_rows(self.table)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        for column in range(1, self.model.columnCount()):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        # The name is what people look for: room for a usual one ("Behavioral health intake") beside the
        # figures, rather than a squeezed column scrolled out of sight.
        metrics = self.table.fontMetrics()
        self.table.setMinimumWidth(metrics.averageCharWidth() * 72)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)

        self.new_name = named(QLineEdit(placeholderText="Name of the new service line"), "newLineName")
        self.new_name.setMaxLength(120)
        self.new_name.returnPressed.connect(self.add_line)
        new_label = QLabel("Ne&w:")
        new_label.setBuddy(self.new_name)
        self.add_button = named(QPushButton("&Add"), "addLine")
        self.add_button.setAutoDefault(False)
        self.add_button.clicked.connect(self.add_line)
        self.new_error = plain_label("newLineError")
        self.toggle_button = named(QPushButton("R&etire"), "toggleLine")
        self.toggle_button.setAutoDefault(False)
        self.toggle_button.clicked.connect(self.toggle_active)
        adding = QHBoxLayout()
        adding.addWidget(new_label)
        adding.addWidget(self.new_name, 1)
        adding.addWidget(self.add_button)
        left = QVBoxLayout()
        left.addWidget(self.table, 1)
        left.addLayout(adding)
        left.addWidget(self.new_error)
        left.addWidget(self.toggle_button, 0, Qt.AlignmentFlag.AlignLeft)
        if not self.editable:  # hidden, never shown: shown without a parent yet, a widget is a window
            for widget in (new_label, self.new_name, self.add_button, self.toggle_button):
                widget.hide()

        self.fields = FieldSet(self)
        form = QFormLayout()
        for name, label, kind, size in FIELDS:
            field: QLineEdit | PlainTextField
            if kind == _TEXT:
                field = QLineEdit(maxLength=size)
            elif kind == _LINES:
                field = PlainTextField(lines=size)
            else:
                field = CountLineEdit(size)
                field.setMaximumWidth(field.fontMetrics().averageCharWidth() * 10)
            field.setReadOnly(not self.editable)
            box = self.fields.add(
                name, field, label.replace("&", "").replace("\n", " ").rstrip(":"), keep_empty=name == "name"
            )
            box.setFocusProxy(field)
            form.addRow(label, box)
        self.fields.edited.connect(self._save)
        self.editor = QWidget()
        self.editor.setObjectName("lineEditor")
        self.editor.setLayout(form)
        self.editor.setEnabled(False)

        middle = QHBoxLayout()
        middle.addLayout(left, 1)
        middle.addWidget(scrolling(self.editor, "lineEditorScroll"), 1)
        self.note = plain_label("linesNote", "" if self.editable else READ_ONLY_NOTE)
        self.status = plain_label("linesStatus")
        layout = QVBoxLayout(self)
        layout.addWidget(
            plain_label(
                "linesIntro",
                "What the clinic offers partners, and the targets each line's referrals are worked to. "
                f"Each field is saved when you leave it. {APPLIES_NOTE}",
            )
        )
        layout.addWidget(self.note)
        layout.addLayout(middle, 1)
        layout.addWidget(self.status)
        self.reload()

    # -- public API --------------------------------------------------------------------------------------

    @property
    def line_id(self) -> int | None:
        """The line shown in the editor."""
        return self._line_id

    def reload(self, select: int | None = None) -> None:
        """Read the lines again (on the runner), keeping ``select`` (or the current line) selected."""
        keep = select if select is not None else self._line_id
        db = self._db

        def done(lines: list[LineRecord]) -> None:
            self._placing = True
            try:
                self.model.set_rows(lines)
            finally:
                self._placing = False
            row = self.model.row_of(keep) if keep is not None else None
            self.select_row(row if row is not None else 0)
            self.loaded.emit()

        self._runner.submit(
            lambda _context: service_lines.all_service_lines(db), on_done=done, on_error=self._say, owner=self
        )

    def select_row(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            self.table.setCurrentIndex(self.model.index(row, NAME))
        else:
            self._show(None)

    def add_line(self) -> None:
        """Add a line named as typed in ``newLineName``; it is selected, ready for its details."""
        name = self.new_name.text()
        db, actor = self._db, self._actor

        def done(line: LineRecord) -> None:
            self.new_name.clear()
            self._set_new_error("")
            self.select_row(self._place(line))
            self._say(f"Added {line.name}: it starts with the clinic's default targets and intake script.")
            self.saved.emit("added")
            self.fields.widget("description").setFocus(Qt.FocusReason.OtherFocusReason)

        def failed(error: BaseException) -> None:
            if isinstance(error, ValidationError):
                self._set_new_error(error.errors.get("name") or " ".join(error.errors.values()))
            else:
                self._set_new_error(user_message(error))

        self._runner.submit(
            lambda _context: service_lines.add_service_line(db, actor, name),
            on_done=done,
            on_error=failed,
            owner=self,
        )

    def toggle_active(self) -> None:
        """Retire the current line, or restore it when it is retired."""
        line = self._current()
        if line is None:
            return
        db, actor, active = self._db, self._actor, not line.active

        def done(stored: LineRecord) -> None:
            self._place(stored)
            self._update_toggle()
            self._say(RETIRED_NOTE if not stored.active else f"Restored: {stored.name} is offered again.")
            self.saved.emit("active")

        self._runner.submit(
            lambda _context: service_lines.set_active(db, actor, line.id, active),
            on_done=done,
            on_error=self._say,
            owner=self,
        )

    # -- editing -----------------------------------------------------------------------------------------

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._placing:
            return
        line = self.model.row_at(current.row()) if current.isValid() else None
        if line is None or line.id != self._line_id:
            self.fields.flush()  # a field still being edited is saved to the line it belongs to
            self._show(line)

    def _show(self, line: LineRecord | None) -> None:
        self._say("")
        self._line_id = line.id if line is not None else None
        self.fields.set_values(line_values(line) if line is not None else {})
        self.editor.setEnabled(line is not None)
        self._update_toggle()

    def _save(self, name: str, value: Any) -> None:
        line_id = self._line_id
        if line_id is None:
            return
        db, actor = self._db, self._actor

        def save(_context: TaskContext) -> LineRecord:
            return service_lines.update_service_line(db, actor, line_id, {name: value})

        def done(line: LineRecord) -> None:
            self._place(line)
            if line.id == self._line_id:
                self.fields.saved(name, line_values(line)[name], value)
            self.saved.emit(name)

        def failed(error: BaseException) -> None:
            if isinstance(error, ValidationError):
                message = error.errors.get(name) or " ".join(error.errors.values())
            else:
                message = user_message(error)
            if line_id == self._line_id:
                self.fields.set_error(name, message)
            else:
                self._say(f"Not saved: {message}")

        self._runner.submit(save, on_done=done, on_error=failed, owner=self)

    # -- helpers -----------------------------------------------------------------------------------------

    def _place(self, line: LineRecord) -> int:
        """Show ``line`` as saved, keeping the current line selected even when a rename moves it."""
        self._placing = True
        try:
            row = self.model.put(line)
            current = self.model.row_of(self._line_id) if self._line_id is not None else None
            if current is not None:
                self.table.setCurrentIndex(self.model.index(current, NAME))
        finally:
            self._placing = False
        return row

    def _current(self) -> LineRecord | None:
        row = self.model.row_of(self._line_id) if self._line_id is not None else None
        return self.model.row_at(row) if row is not None else None

    def _update_toggle(self) -> None:
        line = self._current()
        self.toggle_button.setText("R&estore" if line is not None and not line.active else "R&etire")
        self.toggle_button.setEnabled(line is not None)
        if line is not None and not line.active:
            self._say(RETIRED_NOTE)

    def _set_new_error(self, text: str) -> None:
        self.new_error.setText(text)
        self.new_error.setVisible(bool(text))

    def _say(self, message: object) -> None:
        text = user_message(message) if isinstance(message, BaseException) else str(message)
        self.status.setText(text)
        self.status.setVisible(bool(text))
