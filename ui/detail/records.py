"""The referral's records: which the service line requires, which have arrived, which were asked for and
chased, and the "Request missing records" letter to the partner.

Keys, while the records table has the keyboard focus: R marks the selected record received, Q requested,
C chased, U "not received after all", each on the day in the "On" field (today unless changed). Bare
letters are safe here: a table takes no typing. No Alt+letter: the detail view's state buttons and the
main window's menus use nearly every letter already. Enter in "Add a record" adds it.

Every read and write runs on the task runner; a refusal or failure is shown in the pane's message bar,
never as a traceback or a modal box.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QSettings,
    Qt,
    QUrl,
    Signal,
)
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from refdesk.domain.models import ReferralRecord
from refdesk.domain.times import local_today
from refdesk.errors import ValidationError
from refdesk.services import records as records_service
from refdesk.services.actor import Actor
from refdesk.storage import Database
from ui.detail.bars import MessageBar, set_style_property
from ui.detail.records_table import (
    CHASED,
    HEADERS,
    NAME,
    RECEIVED,
    REQUESTED,
    STATUS,
    RecordsModel,
    RecordsTable,
    status_text,
    summary_text,
)
from ui.errors import user_message
from ui.preferences import or_workstation
from ui.tasks import TaskContext, TaskHandle, TaskRunner
from ui.widgets.bars import error_bar
from ui.widgets.dates import DateLineEdit, InputError
from ui.widgets.saving import SavedBar, ask_save_path
from ui.widgets.tables import ID_ROLE, SORT_ROLE

if TYPE_CHECKING:
    from refdesk.reports.missing_records import LetterResult


__all__ = [
    "CHASED",
    "CHASED_KEY",
    "HEADERS",
    "ID_ROLE",
    "LAST_FOLDER_KEY",
    "NAME",
    "NOT_RECEIVED_KEY",
    "RECEIVED",
    "RECEIVED_KEY",
    "REQUESTED",
    "REQUESTED_KEY",
    "SORT_ROLE",
    "STATUS",
    "RecordsModel",
    "RecordsPane",
    "RecordsTable",
    "status_text",
    "summary_text",
]

#: QSettings key of the folder the last letter was saved in.
LAST_FOLDER_KEY = "records/last_folder"


@dataclass(frozen=True, slots=True)
class _Key:
    key: str
    label: str
    tip: str


#: The row actions, their keys and words. Each marks the selected record on the "On" day.
RECEIVED_KEY = _Key("R", "Received", "Mark the selected record received on the day in “On” (R)")
REQUESTED_KEY = _Key("Q", "Requested", "Mark the selected record requested from the partner on that day (Q)")
CHASED_KEY = _Key("C", "Chased", "Mark that the partner was reminded on that day (C)")
NOT_RECEIVED_KEY = _Key("U", "Not received", "The selected record has not arrived after all (U)")


class RecordsPane(QWidget):
    """One referral's records. Construct once, then ``load(referral_id)`` per referral; ``clear()``
    empties it.

    Object names: ``recordsTable``; ``recordsOn`` (the day, MM/DD/YYYY); buttons ``recordsReceived``,
    ``recordsRequested``, ``recordsChased``, ``recordsNotReceived``; ``recordsNewName`` and
    ``recordsAdd``; ``recordsLetter``; the bars ``messageBar`` (refusals, ``recordsMessages``) and
    ``recordsSaved`` (after a letter: ``recordsSavedText``, ``recordsOpenFile``, ``recordsOpenFolder``);
    a failed read shows ``recordsError`` with ``recordsRetry``.

    Signals:
        changed(int): a write succeeded (a record marked or added, a letter made); the referral's id.
        summary_changed(str): the caption for the pane's tab, after every read ("Records (2 missing)").
    """

    changed = Signal(int)
    summary_changed = Signal(str)

    def __init__(
        self,
        db: Database,
        actor: Actor,
        runner: TaskRunner,
        parent: QWidget | None = None,
        *,
        preferences: QSettings | None = None,
    ) -> None:
        """``preferences``: where the last letter folder is kept (the workstation's preferences when None)."""
        super().__init__(parent)
        self._db, self._actor, self._runner = db, actor, runner
        self._prefs = or_workstation(preferences)
        self._referral_id: int | None = None
        self._loading: TaskHandle | None = None
        self._busy = False
        self._saved_path: Path | None = None
        self.setObjectName("recordsPane")
        self._build()
        self._update_buttons()

    # -- building ------------------------------------------------------------------------------------

    def _build(self) -> None:
        self.messages = MessageBar()
        self.messages.setObjectName("recordsMessages")
        self.error_bar, self.error_label = error_bar(self, "records", self._reload)
        self.saved_bar = SavedBar("records", self, mnemonics=False)  # Alt+O and Alt+D are the detail's
        self.saved_text = self.saved_bar.text
        self.saved_bar.open_file_button.clicked.connect(self.open_saved_file)
        self.saved_bar.open_folder_button.clicked.connect(self.open_saved_folder)

        self.model = RecordsModel(self)
        self.table = RecordsTable()
        self.table.setModel(self.model)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        for column in (STATUS, RECEIVED, REQUESTED, CHASED):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())

        self.on_date = DateLineEdit()
        self.on_date.setObjectName("recordsOn")
        self.on_date.setToolTip("The day the buttons and keys record (today unless you change it)")
        on_label = QLabel("On:")
        on_label.setBuddy(self.on_date)

        self.buttons: dict[str, QPushButton] = {}
        actions: list[tuple[str, _Key, Callable[[], None]]] = [
            ("recordsReceived", RECEIVED_KEY, self.mark_received),
            ("recordsRequested", REQUESTED_KEY, self.mark_requested),
            ("recordsChased", CHASED_KEY, self.mark_chased),
            ("recordsNotReceived", NOT_RECEIVED_KEY, self.mark_not_received),
        ]
        row = QHBoxLayout()
        row.addWidget(on_label)
        row.addWidget(self.on_date)
        for name, key, slot in actions:
            button = QPushButton(f"{key.label} ({key.key})")
            button.setObjectName(name)
            button.setToolTip(key.tip)
            button.clicked.connect(slot)
            self.buttons[name] = button
            row.addWidget(button)
            shortcut = QShortcut(QKeySequence(key.key), self.table)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(button.click)  # does nothing while the button is disabled
        row.addStretch(1)

        self.new_name = QLineEdit()
        self.new_name.setObjectName("recordsNewName")
        self.new_name.setPlaceholderText("Another record this referral needs, e.g. “Operative report”")
        self.new_name.setMaxLength(records_service.NAME_LENGTH)
        self.new_name.returnPressed.connect(self.add_record)
        self.add_button = QPushButton("Add record")
        self.add_button.setObjectName("recordsAdd")
        self.add_button.clicked.connect(self.add_record)
        add_label = QLabel("Add a record:")
        add_label.setBuddy(self.new_name)
        add_row = QHBoxLayout()
        add_row.addWidget(add_label)
        add_row.addWidget(self.new_name, 1)
        add_row.addWidget(self.add_button)

        self.letter_button = QPushButton("Request missing records (PDF)…")
        self.letter_button.setObjectName("recordsLetter")
        self.letter_button.setToolTip(
            "Write a letter to the referring partner listing the missing records; they are marked "
            "requested (or chased) today"
        )
        self.letter_button.clicked.connect(self.request_letter)
        letter_row = QHBoxLayout()
        letter_row.addWidget(self.letter_button)
        letter_row.addStretch(1)

        layout = QVBoxLayout(self)
        layout.addWidget(self.error_bar)
        layout.addWidget(self.messages)
        layout.addWidget(self.saved_bar)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addLayout(add_row)
        layout.addLayout(letter_row)
        self.setFocusProxy(self.table)

    # -- reading -------------------------------------------------------------------------------------

    @property
    def referral_id(self) -> int | None:
        return self._referral_id

    def load(self, referral_id: int) -> None:
        """Show ``referral_id``'s records (read on the runner; a read still running is dropped)."""
        if referral_id != self._referral_id:
            self.messages.clear()
            self.saved_bar.hide()
            self.new_name.clear()
        self._referral_id = referral_id
        self.on_date.set_value(local_today())
        self._reload()

    def clear(self) -> None:
        """Show nothing (no referral open)."""
        if self._loading is not None:
            self._loading.cancel()
            self._loading = None
        self._referral_id = None
        self.model.set_rows([])
        self.messages.clear()
        self.saved_bar.hide()
        self.error_bar.hide()
        self.new_name.clear()
        self.on_date.set_value(None)
        self._update_buttons()

    def _reload(self) -> None:
        referral_id = self._referral_id
        if referral_id is None:
            return
        if self._loading is not None:
            self._loading.cancel()
        db = self._db

        def read(_context: TaskContext) -> list[ReferralRecord]:
            return records_service.list_records(db, referral_id)

        self._loading = self._runner.submit(
            read,
            on_done=lambda found: self._show(referral_id, found),
            on_error=self._read_failed,
            owner=self,
        )

    def _show(self, referral_id: int, found: list[ReferralRecord]) -> None:
        if referral_id != self._referral_id:
            return
        self._loading = None
        self.error_bar.hide()
        current = self._selected()
        self.model.set_rows(found)
        row = self.model.row_of(current.id) if current is not None else None
        if row is None and found:
            missing = records_service.missing(found)
            row = self.model.row_of(missing[0].id) if missing else 0
        if row is not None:
            self.table.selectRow(row)
        self._update_buttons()
        self.summary_changed.emit(summary_text(found))

    def _read_failed(self, error: BaseException) -> None:
        self._loading = None
        self.error_label.setText(user_message(error))
        self.error_bar.show()

    # -- writing -------------------------------------------------------------------------------------

    def _selected(self) -> ReferralRecord | None:
        index = self.table.selectionModel().currentIndex() if self.table.selectionModel() else None
        return self.model.row_at(index.row()) if index is not None and index.isValid() else None

    def _update_buttons(self) -> None:
        record = self._selected()
        ready = self._referral_id is not None and not self._busy
        received = record is not None and record.received_on is not None
        self.buttons["recordsReceived"].setEnabled(ready and record is not None)
        self.buttons["recordsRequested"].setEnabled(ready and record is not None and not received)
        self.buttons["recordsChased"].setEnabled(
            ready and record is not None and not received and record.requested_on is not None
        )
        self.buttons["recordsNotReceived"].setEnabled(ready and received)
        self.add_button.setEnabled(ready)
        self.new_name.setEnabled(ready)
        missing = records_service.missing(list(self.model.rows()))
        self.letter_button.setEnabled(ready and bool(missing))
        set_style_property(self, "busy", self._busy)

    def _day(self) -> date | None:
        """The day in "On" (today when empty); None after showing why the text is no date."""
        try:
            return self.on_date.value() or local_today()
        except InputError as error:
            self.messages.show_message(str(error))
            self.on_date.setFocus()
            return None

    def _mark(
        self, write: Callable[[Database, Actor, int, date | None], ReferralRecord], clear: bool
    ) -> None:
        record = self._selected()
        if record is None or self._referral_id is None:
            return
        day = None if clear else self._day()
        if day is None and not clear:
            return
        record_id = record.id
        self._write(lambda db, actor: write(db, actor, record_id, day))

    def mark_received(self) -> None:
        self._mark(records_service.mark_received, clear=False)

    def mark_requested(self) -> None:
        self._mark(records_service.mark_requested, clear=False)

    def mark_chased(self) -> None:
        self._mark(records_service.mark_chased, clear=False)

    def mark_not_received(self) -> None:
        self._mark(records_service.mark_received, clear=True)

    def add_record(self) -> None:
        if self._referral_id is None or self._busy:
            return
        referral_id, name = self._referral_id, self.new_name.text()

        def add(db: Database, actor: Actor) -> None:
            records_service.add_record(db, actor, referral_id, name)

        self._write(add, on_success=lambda _result: self.new_name.clear())

    def _write(
        self,
        work: Callable[[Database, Actor], object],
        *,
        on_success: Callable[[object], None] | None = None,
    ) -> None:
        """Run one write on the runner, then show the records as they are now and say so with
        ``changed``. A refusal goes to the message bar; the table keeps the focus for the next key."""
        referral_id = self._referral_id
        if referral_id is None or self._busy:
            return
        self._busy = True
        self._update_buttons()
        db, actor = self._db, self._actor

        def run(_context: TaskContext) -> tuple[object, list[ReferralRecord]]:
            result = work(db, actor)
            return result, records_service.list_records(db, referral_id)

        def done(outcome: tuple[object, list[ReferralRecord]]) -> None:
            self._busy = False
            result, found = outcome
            self.messages.clear()
            if on_success is not None:
                on_success(result)
            self._show(referral_id, found)
            self.changed.emit(referral_id)

        def failed(error: BaseException) -> None:
            self._busy = False
            self._update_buttons()
            self.messages.show_message(_refusal_text(error))

        self._runner.submit(run, on_done=done, on_error=failed, owner=self)

    # -- the letter ----------------------------------------------------------------------------------

    def request_letter(self) -> None:
        """Ask where to save the letter, then write it on the runner and offer to open it."""
        referral_id = self._referral_id
        if referral_id is None or self._busy:
            return
        from refdesk.reports import missing_records  # ReportLab loads with the first letter, not at start-up

        name = missing_records.default_file_name(referral_id)
        target = ask_save_path(self, self._prefs, LAST_FOLDER_KEY, "Save the records request", name)
        if target is None:
            return

        def write(db: Database, actor: Actor) -> LetterResult:
            return missing_records.request_missing_records(db, actor, referral_id, target)

        self._write(write, on_success=self._letter_saved)

    def _letter_saved(self, result: object) -> None:
        from refdesk.reports.missing_records import LetterResult

        assert isinstance(result, LetterResult)
        self._saved_path = result.path
        self.saved_bar.show_saved(_letter_message(result))

    def open_saved_file(self) -> None:
        if self._saved_path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._saved_path)))

    def open_saved_folder(self) -> None:
        if self._saved_path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._saved_path.parent)))

    @property
    def saved_path(self) -> Path | None:
        """The letter written last (what "Open file" opens)."""
        return self._saved_path


def _letter_message(result: LetterResult) -> str:
    parts = []
    if result.requested:
        parts.append(f"{result.requested} marked requested")
    if result.chased:
        parts.append(f"{result.chased} marked chased")
    done = f" ({', '.join(parts)} today)" if parts else ""
    return f"Saved {result.path.name} in {result.path.parent}{done}."


def _refusal_text(error: BaseException) -> str:
    """A validation refusal in its own words (without the field keys); anything else as ``user_message``."""
    if isinstance(error, ValidationError):
        return " ".join(error.errors.values())
    return user_message(error)
