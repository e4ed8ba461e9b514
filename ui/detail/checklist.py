"""The intake checklist of one referral: the service line's current script, one row per item, each
answer saved the moment the field is left (as the referral form saves its fields).

Each row shows the words staff say or check (plain text: scripts are typed by people), a "Required"
and a "Blocks scheduling" mark, and an editor that fits the item's kind: Yes / No buttons, a line of
text, a list of choices, a date typed as MM/DD/YYYY. Tab goes from item to item; on a Yes / No item
Space picks the focused button, the arrow keys switch between them and Delete clears the answer. A
refused answer (an impossible date, an empty required answer) is shown under its field and nothing is
saved. Answers given to items the script has since retired are listed below, read-only, with the
words they answered.

Reads and writes go through ``refdesk.services.intake`` on the task runner; a read only replaces the
rows when the script's items changed, so refreshing after an answer never takes the keyboard away.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import date
from functools import partial
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from refdesk.domain.vocab import ItemKind
from refdesk.errors import ValidationError
from refdesk.services import intake
from refdesk.services.actor import Actor
from refdesk.services.intake import Checklist, ChecklistRow, RetiredAnswer
from refdesk.storage import Database
from ui.detail.bars import scrolling, set_style_property
from ui.errors import user_message
from ui.tasks import TaskHandle, TaskRunner
from ui.widgets import named, plain_label
from ui.widgets.choices import ChoiceCombo
from ui.widgets.dates import DateLineEdit, InputError, format_date

TITLE = "Intake"
_NOT_ANSWERED = "Not answered"


class YesNoField(QWidget):
    """Yes and No as two radio buttons (``answerYes``, ``answerNo``), or neither: "not asked yet" is
    not "No". One Tab stop (Qt moves the Tab focus to the last focused button of the pair); Space
    picks the focused one, the arrow keys switch, Delete or Backspace clears.

    Signals:
        answered(): the user picked Yes or No, or cleared the answer. Never emitted by ``set_value``.
    """

    answered = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.yes = named(QRadioButton("Yes", self), "answerYes")
        self.no = named(QRadioButton("No", self), "answerNo")
        self._group = QButtonGroup(self)
        for button in (self.yes, self.no):
            self._group.addButton(button)
            button.clicked.connect(self.answered)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.yes)
        layout.addWidget(self.no)
        layout.addStretch(1)
        self.setFocusProxy(self.yes)

    def value(self) -> bool | None:
        return True if self.yes.isChecked() else False if self.no.isChecked() else None

    def set_value(self, value: bool | None) -> None:
        if value is None:
            # an exclusive group never lets the last checked button go: lift that while clearing
            self._group.setExclusive(False)
            self.yes.setChecked(False)
            self.no.setChecked(False)
            self._group.setExclusive(True)
        else:
            (self.yes if value else self.no).setChecked(True)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        # the focused radio button ignores these keys and passes them up here
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self.value() is not None:
            self.set_value(None)
            self.answered.emit()
            return
        super().keyPressEvent(event)


def shown_answer(value: Any) -> str:
    """An answer as the desk reads it: Yes / No, a date as MM/DD/YYYY, text as typed."""
    if value is None:
        return _NOT_ANSWERED
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, date):
        return format_date(value)
    return str(value)


class _ItemRow(QFrame):
    """One item: prompt, marks, editor, note and error. Object name ``checklistItem``; dynamic
    properties ``key`` (the item's key), ``done`` and ``blockingOpen`` (what the style sheet colours)."""

    def __init__(self, number: int, row: ChecklistRow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("checklistItem")
        self.key, self.item_id, self.kind = row.key, row.item_id, row.kind
        self.required = row.required
        self.known: Any = row.value
        self.pending = 0
        self.prompt = plain_label("itemPrompt", f"{number}. {row.prompt}", hide_empty=False, selectable=True)
        self.required_mark = plain_label(
            "itemRequired", "Required" if row.required else "", hide_empty=False, wrap=False, selectable=True
        )
        self.blocks_mark = plain_label("itemBlocks", hide_empty=False, wrap=False, selectable=True)
        self.editor = self._make_editor(row)
        self.editor.setAccessibleName(row.prompt)
        self.note = plain_label("itemNote", hide_empty=False, selectable=True)
        self.error = plain_label("fieldError", hide_empty=False, selectable=True)
        marks = QHBoxLayout()
        marks.setContentsMargins(0, 0, 0, 0)
        marks.setSpacing(self.fontMetrics().averageCharWidth() * 2)
        marks.addWidget(self.required_mark)
        marks.addWidget(self.blocks_mark)
        marks.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.setSpacing(2)
        layout.addWidget(self.prompt)
        layout.addLayout(marks)
        layout.addWidget(self.editor)
        layout.addWidget(self.note)
        layout.addWidget(self.error)
        # only now, with a parent: a parentless label told to show becomes a window of its own
        self.required_mark.setVisible(row.required)
        self.set_error(None)
        self.update_from(row, write=True)

    @staticmethod
    def _make_editor(row: ChecklistRow) -> QWidget:
        editor: QWidget
        if row.kind is ItemKind.YES_NO:
            editor = YesNoField()
        elif row.kind is ItemKind.CHOICE:
            options: list[tuple[Hashable, str]] = [(choice, choice) for choice in row.choices]
            if not row.required:
                options.insert(0, (None, _NOT_ANSWERED))
            editor = ChoiceCombo(options, placeholder="Choose…")
            editor.setCurrentIndex(-1)
        elif row.kind is ItemKind.DATE:
            editor = DateLineEdit()
        else:
            editor = QLineEdit()
        editor.setObjectName("answer")
        return editor

    def finished_signal(self) -> Any:
        """The editor's "the user is done with it" signal."""
        editor = self.editor
        if isinstance(editor, YesNoField):
            return editor.answered
        if isinstance(editor, ChoiceCombo):
            return editor.activated
        assert isinstance(editor, QLineEdit)
        return editor.editingFinished

    def focus_chain(self) -> list[QWidget]:
        """The widgets Tab visits in this row (the Yes / No pair counts as one stop: see YesNoField)."""
        if isinstance(self.editor, YesNoField):
            return [self.editor.yes, self.editor.no]
        return [self.editor]

    def read(self) -> Any:
        """The answer in the editor, as the service takes it. Raises InputError (an impossible date)."""
        editor = self.editor
        if isinstance(editor, YesNoField | ChoiceCombo | DateLineEdit):
            return editor.value()
        assert isinstance(editor, QLineEdit)
        return editor.text().strip() or None

    def write(self, value: Any) -> None:
        editor = self.editor
        if isinstance(editor, YesNoField):
            editor.set_value(value if isinstance(value, bool) else None)
        elif isinstance(editor, ChoiceCombo):
            if value is None:
                editor.setCurrentIndex(-1)
            else:
                editor.set_value(value, missing_label=f"{value} (no longer offered)")
        elif isinstance(editor, DateLineEdit):
            if isinstance(value, date) or value is None:
                editor.set_value(value)
            else:
                editor.setText(str(value))
        else:
            assert isinstance(editor, QLineEdit)
            editor.setText("" if value is None else str(value))
            editor.setCursorPosition(0)

    def is_editing(self) -> bool:
        """The user is in this field, or an answer from it is on its way: never write over it then."""
        focus = QApplication.focusWidget()
        in_editor = focus is not None and (focus is self.editor or self.editor.isAncestorOf(focus))
        return in_editor or self.pending > 0 or bool(self.error.text())

    def update_from(self, row: ChecklistRow, *, write: bool) -> None:
        """Show the item's marks and (with ``write``) its saved answer."""
        self.known = row.value
        if write:
            self.write(row.value)
        blocks = "Blocks scheduling" if row.blocks_scheduling else ""
        if row.blocking_open:
            blocks += " (still open)"
        self.blocks_mark.setText(blocks)
        self.blocks_mark.setVisible(bool(blocks))
        earlier = f"Answered to earlier wording: {row.answered_prompt}" if row.answered_prompt else ""
        self.note.setText(earlier)
        self.note.setVisible(bool(earlier))
        set_style_property(self, "key", row.key)
        set_style_property(self, "done", row.done)
        set_style_property(self, "blockingOpen", row.blocking_open)

    def set_error(self, message: str | None) -> None:
        self.error.setText(message or "")
        self.error.setVisible(bool(message))
        targets = [self.editor, *self.editor.findChildren(QRadioButton)]
        for widget in targets:
            set_style_property(widget, "invalid", bool(message))
        self.editor.setAccessibleDescription(message or "")


class ChecklistPane(QWidget):
    """A referral's intake checklist. Construct once, ``load(referral_id)`` per referral, ``clear()``
    when none is shown.

    Object names: ``checklistPane``; ``checklistProgress`` ("5 of 7 done · 2 blocking scheduling
    open"); ``checklistMessage`` (a read or write that failed for a reason other than the answer);
    rows ``checklistItem`` (see ``_ItemRow``) with ``itemPrompt``, ``itemRequired``, ``itemBlocks``,
    ``answer`` (the editor), ``itemNote``, ``fieldError``; ``retiredAnswers`` (group) with
    ``retiredEntry`` labels; ``checklistEmpty`` when the line has no script.

    Signals:
        changed(int): an answer was saved; the id is the referral's (the detail refreshes its header,
            the queue its row).
        summary_changed(str): the tab title to show, "Intake (5 of 7)" ("Intake" with no checklist).
    """

    changed = Signal(int)
    summary_changed = Signal(str)

    def __init__(self, db: Database, actor: Actor, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db, self._actor, self._runner = db, actor, runner
        self._referral_id: int | None = None
        self._checklist: Checklist | None = None
        self._rows: list[_ItemRow] = []
        self._pending: TaskHandle | None = None
        self.setObjectName("checklistPane")
        self._build()

    def _build(self) -> None:
        self.progress = plain_label("checklistProgress", hide_empty=False, selectable=True)
        self.message = plain_label("checklistMessage", hide_empty=False, selectable=True)
        self.message.hide()
        self.empty = plain_label(
            "checklistEmpty",
            "This service line has no intake items. Add them in Settings → Intake scripts.",
            hide_empty=False,
            selectable=True,
        )
        self.empty.hide()
        content = QWidget()
        self._items_layout = QVBoxLayout()
        self._items_layout.setContentsMargins(0, 0, 0, 0)
        self.retired = QGroupBox("Answered on an earlier version of the script (no longer asked)")
        self.retired.setObjectName("retiredAnswers")
        self._retired_layout = QVBoxLayout(self.retired)
        self.retired.hide()
        column = QVBoxLayout(content)
        column.addWidget(self.empty)
        column.addLayout(self._items_layout)
        column.addWidget(self.retired)
        column.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addWidget(scrolling(content, "checklistScroll"), 1)

    # -- public API --------------------------------------------------------------------------------

    @property
    def referral_id(self) -> int | None:
        return self._referral_id

    @property
    def checklist(self) -> Checklist | None:
        """The checklist as last read (None before the first read or after ``clear``)."""
        return self._checklist

    def load(self, referral_id: int) -> None:
        """Show referral ``referral_id``'s checklist (read on the runner). Loading the one shown again
        re-reads it, keeping the field the user is in."""
        if referral_id != self._referral_id:
            self._drop_rows()
            self._checklist = None
            self._set_message("")
        self._referral_id = referral_id
        self._fetch()

    def clear(self) -> None:
        """Show nothing (no referral open)."""
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        self._referral_id = None
        self._checklist = None
        self._drop_rows()
        self._set_message("")
        self.progress.clear()
        self.empty.hide()
        self.summary_changed.emit(TITLE)

    def flush(self) -> None:
        """Save an answer still being typed (the cursor is in its field): call before closing."""
        for row in self._rows:
            self._finished(row)

    def editor(self, key: str) -> QWidget:
        """The editor of item ``key`` (for the detail view's "go to item" and for tests)."""
        return next(row.editor for row in self._rows if row.key == key)

    def field_error(self, key: str) -> str:
        """The message shown under item ``key``, or ""."""
        return next(row.error.text() for row in self._rows if row.key == key)

    # -- reading -----------------------------------------------------------------------------------

    def _fetch(self) -> None:
        if self._pending is not None:
            self._pending.cancel()  # an older read must not paint over a newer one
        referral_id = self._referral_id
        assert referral_id is not None
        self._pending = self._runner.submit(
            lambda _context: intake.checklist(self._db, referral_id),
            on_done=self._show,
            on_error=self._load_failed,
            owner=self,
        )

    def _load_failed(self, error: BaseException) -> None:
        self._set_message(user_message(error))

    def _show(self, checklist: Checklist) -> None:
        if checklist.referral_id != self._referral_id:
            return
        self._pending = None
        same_items = [row.item_id for row in self._rows] == [row.item_id for row in checklist.items]
        if same_items and self._rows:
            for widget, row in zip(self._rows, checklist.items, strict=True):
                widget.update_from(row, write=not widget.is_editing())
        else:
            self._build_rows(checklist)
        self._checklist = checklist
        self._show_retired(checklist.retired)
        self.empty.setVisible(not checklist.items)
        self._show_progress(checklist)

    def _build_rows(self, checklist: Checklist) -> None:
        self._drop_rows()
        for number, item in enumerate(checklist.items, start=1):
            row = _ItemRow(number, item)
            row.finished_signal().connect(partial(self._finished, row))
            self._items_layout.addWidget(row)
            self._rows.append(row)
        targets = [widget for row in self._rows for widget in row.focus_chain()]
        for before, after in zip(targets, targets[1:], strict=False):
            QWidget.setTabOrder(before, after)

    def _drop_rows(self) -> None:
        for row in self._rows:
            row.hide()
            row.setParent(None)
            row.deleteLater()
        self._rows = []

    def _show_retired(self, retired: tuple[RetiredAnswer, ...]) -> None:
        while self._retired_layout.count():
            item = self._retired_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        for entry in retired:
            label = plain_label(
                "retiredEntry",
                f"{entry.prompt}\nAnswer: {shown_answer(entry.value)} (script version {entry.version})",
                hide_empty=False,
                selectable=True,
            )
            self._retired_layout.addWidget(label)
        self.retired.setVisible(bool(retired))

    def _show_progress(self, checklist: Checklist) -> None:
        if not checklist.items:
            self.progress.clear()
            self.summary_changed.emit(TITLE)
            return
        text = f"{checklist.progress} done"
        blocking = len(checklist.open_blocking)
        if blocking:
            text += f" · {blocking} blocking scheduling open"
        self.progress.setText(text)
        self.summary_changed.emit(f"{TITLE} ({checklist.progress})")

    def _set_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    # -- writing -----------------------------------------------------------------------------------

    def _finished(self, row: _ItemRow, *_: object) -> None:
        referral_id = self._referral_id
        if referral_id is None or row not in self._rows:
            return
        try:
            value = row.read()
        except InputError as error:
            row.set_error(str(error))
            return
        if value == row.known and type(value) is type(row.known):
            row.set_error(None)  # back to the saved answer: nothing to save, nothing wrong
            return
        row.pending += 1

        def saved(stored: Any) -> None:
            row.pending -= 1
            if referral_id != self._referral_id or row not in self._rows:
                self.changed.emit(referral_id)
                return
            row.known = stored
            row.set_error(None)
            self._set_message("")
            self.changed.emit(referral_id)
            self._fetch()

        def refused(error: BaseException) -> None:
            row.pending -= 1
            if referral_id != self._referral_id or row not in self._rows:
                return
            if isinstance(error, ValidationError) and row.key in error.errors:
                row.set_error(error.errors[row.key])
            else:
                self._set_message(user_message(error))
                self._fetch()  # the script may have changed under us (item retired): show the new one

        self._runner.submit(
            lambda _context: intake.answer(self._db, self._actor, referral_id, row.key, value),
            on_done=saved,
            on_error=refused,
        )
