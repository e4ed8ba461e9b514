"""Settings → Intake scripts: each service line's checklist, edited as a list and saved as a new version.

Nothing is written until Save: Add, Edit, Move and Retire change the list on screen (new and edited
items say so in the Status column), Save writes one new version through ``intake.save_script`` and says
"Saved as version N". Answers already given are never touched by a save (the service keeps every
version); a retired item's answers stay readable on the referrals that have them. Switching to another
line or closing with changes not saved asks first.

Keys: Enter (or a double click) edits the selected item, Ctrl+Up / Ctrl+Down move it, Delete retires
it, Alt+A adds one, Ctrl+S saves.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from refdesk.domain.vocab import ItemKind
from refdesk.errors import ValidationError
from refdesk.services import intake
from refdesk.services.actor import Actor
from refdesk.services.catalog import list_service_lines
from refdesk.services.intake import ItemDraft, Script
from refdesk.storage import Database
from ui.dialogs.intake_item_editor import ItemEditorDialog
from ui.dialogs.intake_items import DRAFT_ROLE, ScriptItemsModel
from ui.errors import user_message
from ui.tasks import TaskHandle, TaskRunner
from ui.widgets import named, plain_label
from ui.widgets.choices import ChoiceCombo
from ui.widgets.dates import format_datetime

__all__ = [
    "DRAFT_ROLE",
    "IntakeScriptsDialog",
    "IntakeScriptsPage",
    "ItemEditorDialog",
    "ScriptItemsModel",
]


class IntakeScriptsPage(QWidget):
    """Pick a service line, edit its current script's items, save them as a new version.

    Object names: ``lineCombo``, ``scriptVersion``, ``itemsTable`` (its model a ScriptItemsModel),
    buttons ``addItem``, ``editItem``, ``moveUp``, ``moveDown``, ``retireItem``, ``discardChanges``,
    ``saveScript``; ``scriptStatus`` says what happened ("Saved as version 3") or what is wrong.
    The item editor, while open, is ``item_editor``.

    Signals:
        saved(int, int): a new version was written: the service line's id and the version number.
    """

    saved = Signal(int, int)

    def __init__(self, db: Database, actor: Actor, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db, self._actor, self._runner = db, actor, runner
        self._script: Script | None = None
        self._wanted: int | None = None
        self._pending_load: TaskHandle | None = None
        self._busy = False
        self.item_editor: ItemEditorDialog | None = None
        self.setObjectName("intakeScriptsPage")
        self._build()
        self._runner.submit(
            lambda _context: [(line.id, line.name) for line in list_service_lines(db)],
            on_done=self._lines_loaded,
            on_error=self._failed,
            owner=self,
        )

    def _build(self) -> None:
        self.line_combo = named(ChoiceCombo(placeholder="Choose a service line"), "lineCombo")
        self.line_combo.activated.connect(self._line_chosen)
        line_label = QLabel("&Service line:")
        line_label.setBuddy(self.line_combo)
        self.version_label = plain_label("scriptVersion", wrap=False)
        top = QHBoxLayout()
        top.addWidget(line_label)
        top.addWidget(self.line_combo, 1)
        top.addWidget(self.version_label)

        self.model = ScriptItemsModel(self)
        self.table = named(QTableView(), "itemsTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(ScriptItemsModel.PROMPT, QHeaderView.ResizeMode.Stretch)
        for column in (ScriptItemsModel.REQUIRED, ScriptItemsModel.BLOCKS, ScriptItemsModel.STATUS):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.doubleClicked.connect(lambda _index: self.edit_item())

        self.add_button = self._button("&Add item…", "addItem", self.add_item)
        self.edit_button = self._button("&Edit…", "editItem", self.edit_item)
        self.up_button = self._button("Move &up", "moveUp", lambda: self.move_item(-1))
        self.up_button.setToolTip("Ctrl+Up")
        self.down_button = self._button("Move &down", "moveDown", lambda: self.move_item(1))
        self.down_button.setToolTip("Ctrl+Down")
        self.retire_button = self._button("&Retire", "retireItem", self.retire_item)
        self.retire_button.setToolTip("Delete: the item is no longer asked; answers already given are kept")
        self.discard_button = self._button("Discard changes", "discardChanges", self.discard_changes)
        self.save_button = self._button("&Save", "saveScript", self.save)
        self.save_button.setToolTip("Ctrl+S: save as a new version")
        buttons = QVBoxLayout()
        for button in (
            self.add_button,
            self.edit_button,
            self.up_button,
            self.down_button,
            self.retire_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.discard_button)
        buttons.addWidget(self.save_button)
        middle = QHBoxLayout()
        middle.addWidget(self.table, 1)
        middle.addLayout(buttons)

        self.status = plain_label("scriptStatus")
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(middle, 1)
        layout.addWidget(self.status)

        scope = Qt.ShortcutContext.WidgetWithChildrenShortcut
        for keys, action, target in (
            ("Ctrl+Up", lambda: self.move_item(-1), self),
            ("Ctrl+Down", lambda: self.move_item(1), self),
            ("Ctrl+S", self.save, self),
            (QKeySequence(Qt.Key.Key_Delete), self.retire_item, self.table),
            (QKeySequence(Qt.Key.Key_Return), self.edit_item, self.table),
            (QKeySequence(Qt.Key.Key_Enter), self.edit_item, self.table),
        ):
            shortcut = QShortcut(QKeySequence(keys), target)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut if target is self.table else scope)
            shortcut.activated.connect(action)
        self.model.modelReset.connect(self._update_buttons)
        self.model.rowsInserted.connect(self._update_buttons)
        self.model.rowsRemoved.connect(self._update_buttons)
        self.model.rowsMoved.connect(self._update_buttons)
        self.model.dataChanged.connect(self._update_buttons)
        self.table.selectionModel().currentRowChanged.connect(self._update_buttons)
        self._update_buttons()

    def _button(self, text: str, name: str, action: Callable[[], None]) -> QPushButton:
        button = named(QPushButton(text), name)
        button.setAutoDefault(False)  # Enter in the list edits the item; it never presses a button
        button.clicked.connect(action)
        return button

    # -- public API --------------------------------------------------------------------------------

    @property
    def line_id(self) -> int | None:
        return self._script.service_line_id if self._script is not None else None

    def has_unsaved_changes(self) -> bool:
        return self.model.changed()

    def select_line(self, line_id: int) -> None:
        """Show ``line_id``'s script (asks first when the one shown has unsaved changes)."""
        if line_id == self.line_id or not self.maybe_leave(then=lambda: self.select_line(line_id)):
            return
        self.line_combo.set_value(line_id)
        self._load(line_id)

    def ask_unsaved(self) -> QMessageBox.StandardButton:
        """Save, Discard or Cancel: what to do with unsaved changes (tests replace this)."""
        return QMessageBox.question(
            self,
            "Unsaved changes",
            f"The intake script of {self._line_name()} has changes that are not saved. Save them?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )

    def maybe_leave(self, then: Callable[[], None] | None = None) -> bool:
        """Whether the script shown may be left now. With unsaved changes, asks: Discard (leave now),
        Save (leave once saved: ``then`` runs after the save succeeds) or Cancel (stay)."""
        if not self.has_unsaved_changes():
            return True
        answer = self.ask_unsaved()
        if answer == QMessageBox.StandardButton.Discard:
            self.discard_changes()
            return True
        if answer == QMessageBox.StandardButton.Save:
            self.save(then=then)
        return False

    def add_item(self) -> None:
        """Open the item editor for a new item; it goes below the selected one (or at the end)."""
        if self._script is None:
            return
        row = self._current_row()
        self._open_editor(
            ItemDraft("", ItemKind.YES_NO), row + 1 if row >= 0 else self.model.rowCount(), True
        )

    def edit_item(self) -> None:
        row = self._current_row()
        if row >= 0:
            self._open_editor(self.model.draft(row), row, False)

    def move_item(self, delta: int) -> None:
        row = self._current_row()
        if row >= 0:
            self._select(self.model.move(row, delta))

    def retire_item(self) -> None:
        row = self._current_row()
        if row < 0:
            return
        removed = self.model.remove(row)
        if self.model.rowCount():
            self._select(min(row, self.model.rowCount() - 1))
        if removed.key is not None:
            self._say("Retired: it will no longer be asked once saved. Answers already given are kept.")

    def discard_changes(self) -> None:
        if self._script is not None:
            self.model.set_items(self._script.items)
            self._select(0)
            self._say("")

    def save(self, then: Callable[[], None] | None = None) -> None:
        """Save the list as a new version (on the runner); ``then`` runs once it is saved."""
        script = self._script
        if script is None or self._busy:
            return
        items = self.model.items()
        line_id, before = script.service_line_id, script.version
        self._busy = True
        self._update_buttons()

        def done(version: int) -> None:
            self._busy = False
            self._say(f"Saved as version {version}." if version != before else "No changes to save.")
            if version != before:
                self.saved.emit(line_id, version)
            self._load(line_id, keep_status=True, then=then)

        def failed(error: BaseException) -> None:
            self._busy = False
            self._update_buttons()
            if isinstance(error, ValidationError):
                self._show_problems(error.errors)
            else:
                self._say(user_message(error))

        self._runner.submit(
            lambda _context: intake.save_script(self._db, self._actor, line_id, items),
            on_done=done,
            on_error=failed,
        )

    # -- loading -----------------------------------------------------------------------------------

    def _lines_loaded(self, lines: list[tuple[int, str]]) -> None:
        self.line_combo.set_choices(lines)
        if self._wanted is not None:
            self.line_combo.set_value(self._wanted)  # a line chosen (select_line) before the list came
        elif lines:
            self.line_combo.set_value(lines[0][0])
            self._load(lines[0][0])

    def _line_chosen(self, _index: int) -> None:
        line_id = self.line_combo.value()
        if not isinstance(line_id, int) or line_id == self.line_id:
            return
        if self.maybe_leave(then=lambda: self.select_line(line_id)):
            self._load(line_id)
        else:
            self.line_combo.set_value(self.line_id)  # stay on the line being edited

    def _load(
        self, line_id: int, *, keep_status: bool = False, then: Callable[[], None] | None = None
    ) -> None:
        self._wanted = line_id
        if self._pending_load is not None:
            self._pending_load.cancel()  # the line chosen last wins, whichever read ends first

        def loaded(script: Script) -> None:
            self._pending_load = None
            self._script = script
            self.model.set_items(script.items)
            if script.version:
                created = format_datetime(script.created_at) if script.created_at else ""
                self.version_label.setText(f"Version {script.version} · {created}".rstrip(" ·"))
            else:
                self.version_label.setText("No script yet")
            self.version_label.show()
            self._select(0)
            if not keep_status:
                self._say("")
            self._update_buttons()
            if then is not None:
                then()

        self._pending_load = self._runner.submit(
            lambda _context: intake.current_script(self._db, line_id),
            on_done=loaded,
            on_error=self._failed,
            owner=self,
        )

    def _failed(self, error: BaseException) -> None:
        self._say(user_message(error))

    # -- helpers -----------------------------------------------------------------------------------

    def _open_editor(self, draft: ItemDraft, row: int, new: bool) -> None:
        dialog = ItemEditorDialog(draft, self)
        self.item_editor = dialog

        def accepted() -> None:
            if new:
                self.model.insert(row, dialog.draft())
            else:
                self.model.set_draft(row, dialog.draft())
            self._select(row)

        def finished(_result: int) -> None:
            self.item_editor = None
            dialog.deleteLater()
            # back to the list, so the next key (Ctrl+Down, Delete, Enter) acts on the item
            self.activateWindow()
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)

        dialog.accepted.connect(accepted)
        dialog.finished.connect(finished)
        dialog.open()

    def _show_problems(self, errors: dict[str, str]) -> None:
        """The save's refusal, item by item ("Item 4: …"), with the first item concerned selected."""
        lines = []
        first: int | None = None
        for name, message in errors.items():
            parts = name.split(".")
            if len(parts) >= 2 and parts[1].isdigit():
                row = int(parts[1])
                first = row if first is None else min(first, row)
                lines.append(f"Item {row + 1}: {message}")
            else:
                lines.append(message)
        self._say("Not saved. " + " ".join(lines))
        if first is not None:
            self._select(first)

    def _current_row(self) -> int:
        index = self.table.currentIndex()
        return index.row() if index.isValid() else -1

    def _select(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            self.table.setCurrentIndex(self.model.index(row, ScriptItemsModel.PROMPT))
            self.table.scrollTo(self.model.index(row, 0))

    def _say(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))

    def _line_name(self) -> str:
        return self._script.service_line_name if self._script is not None else "this service line"

    def _update_buttons(self, *_: object) -> None:
        row = self._current_row()
        has_row = row >= 0 and not self._busy
        self.add_button.setEnabled(self._script is not None and not self._busy)
        for button in (self.edit_button, self.retire_button):
            button.setEnabled(has_row)
        self.up_button.setEnabled(has_row and row > 0)
        self.down_button.setEnabled(has_row and row < self.model.rowCount() - 1)
        changed = self.model.changed()
        self.save_button.setEnabled(changed and not self._busy)
        self.discard_button.setEnabled(changed and not self._busy)


class IntakeScriptsDialog(QDialog):
    """Settings → Intake scripts: the page in a window with a Close button; closing with unsaved
    changes asks first (Save, Discard, Cancel). Object name ``intakeScriptsDialog``.

    Signals: QDialog's; the page's ``saved`` tells when a version was written.
    """

    def __init__(self, db: Database, actor: Actor, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("intakeScriptsDialog")
        self.setWindowTitle("Intake scripts")
        self.page = IntakeScriptsPage(db, actor, runner, self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setAutoDefault(False)
        close.setObjectName("closeScripts")
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.page, 1)
        layout.addWidget(buttons)
        width = self.fontMetrics().averageCharWidth()
        self.resize(width * 130, self.fontMetrics().lineSpacing() * 32)

    def reject(self) -> None:
        """Esc, Close and the window's close button all come here (QDialog's closeEvent calls it)."""
        if self.page.maybe_leave(then=self._close_now):
            super().reject()

    def _close_now(self) -> None:
        super().reject()
