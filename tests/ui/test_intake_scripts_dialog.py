"""Settings → Intake scripts as an administrator uses it: keys on the real widgets, checked by what the
page shows and by the versions the database then holds (answers given earlier never change)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from refdesk.domain.models import ChecklistAnswer
from refdesk.domain.vocab import ItemKind
from refdesk.services import intake
from refdesk.services.actor import Actor
from refdesk.services.catalog import NewServiceLine, create_service_line
from refdesk.services.intake import ItemDraft
from refdesk.storage import Database
from tests.accounts import coordinator
from tests.ui.keyboard import activate, press, replace_text, type_text
from ui.dialogs.intake_scripts import (
    IntakeScriptsDialog,
    IntakeScriptsPage,
    ItemEditorDialog,
    ScriptItemsModel,
)
from ui.tasks import InlineRunner

CTRL = Qt.KeyboardModifier.ControlModifier
ALT = Qt.KeyboardModifier.AltModifier
Button = QMessageBox.StandardButton


@pytest.fixture
def page(qtbot: QtBot, db: Database, actor: Actor, service_line_id: int) -> Iterator[IntakeScriptsPage]:
    view = IntakeScriptsPage(db, coordinator(db), InlineRunner())
    qtbot.addWidget(view)
    view.resize(1100, 600)
    activate(qtbot, view)
    view.table.setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.waitUntil(view.table.hasFocus)
    yield view


def prompts(page: IntakeScriptsPage) -> list[str]:
    model = page.model
    return [model.index(row, ScriptItemsModel.PROMPT).data() for row in range(model.rowCount())]


def statuses(page: IntakeScriptsPage) -> list[str]:
    model = page.model
    return [model.index(row, ScriptItemsModel.STATUS).data() for row in range(model.rowCount())]


def open_editor(
    qtbot: QtBot,
    page: IntakeScriptsPage,
    key: Qt.Key,
    modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
) -> ItemEditorDialog:
    """Open the item editor with a key and wait until its wording field has the keyboard."""
    press(qtbot, key, modifier)
    qtbot.waitUntil(lambda: page.item_editor is not None)  # a button's Alt+letter clicks it a moment later
    editor = page.item_editor
    assert editor is not None
    qtbot.waitExposed(editor)
    qtbot.waitUntil(lambda: editor.prompt_edit.hasFocus())
    return editor


def editor_closed(qtbot: QtBot, page: IntakeScriptsPage) -> None:
    """Wait until the item editor is gone and the keyboard is back in the list. (A window manager gives
    the page back its activation when the editor closes; offscreen, the page asks for it.)"""
    qtbot.waitUntil(lambda: page.item_editor is None and page.table.hasFocus())


def test_the_items_model_passes_the_model_tester(qtmodeltester: ModelTester) -> None:
    model = ScriptItemsModel()
    model.set_items(intake.default_items())
    qtmodeltester.check(model)
    model.insert(2, ItemDraft("Which knee?", ItemKind.CHOICE, ["Left", "Right"]))
    assert model.move(2, -1) == 1
    model.remove(0)
    qtmodeltester.check(model)
    assert model.headerData(0, Qt.Orientation.Vertical) == "1"
    assert model.index(0, ScriptItemsModel.STATUS).data() == "New"
    assert model.index(0, ScriptItemsModel.KIND).data() == "Choice: Left, Right"


def test_the_page_shows_the_current_version_of_the_first_line(page: IntakeScriptsPage) -> None:
    assert page.line_combo.currentText() == "Physical therapy"
    assert page.version_label.text().startswith("Version 1")
    assert len(prompts(page)) == 7 and prompts(page)[0].startswith("Reason for referral")
    assert statuses(page) == [""] * 7
    assert not page.save_button.isEnabled()


def test_an_edit_made_from_the_keyboard_is_saved_as_a_new_version_and_old_answers_stay(
    qtbot: QtBot, page: IntakeScriptsPage, db: Database, actor: Actor, referral_id: int, service_line_id: int
) -> None:
    intake.answer(db, actor, referral_id, "interpreter", "Spanish")
    intake.answer(db, actor, referral_id, "reason_confirmed", True)
    with db.session() as session:
        before = [(a.id, a.item_id, a.value, a.answered_at) for a in session.scalars(select(ChecklistAnswer))]

    # reword the first item: Enter edits, the wording is typed over, Enter accepts
    open_editor(qtbot, page, Qt.Key.Key_Return)
    replace_text(qtbot, "Reason for referral confirmed with the patient?")
    press(qtbot, Qt.Key.Key_Tab)  # to the kind list; Enter there presses OK
    press(qtbot, Qt.Key.Key_Return)
    editor_closed(qtbot, page)
    assert prompts(page)[0] == "Reason for referral confirmed with the patient?"
    assert statuses(page)[0] == "Edited"
    assert page.save_button.isEnabled()

    # move it down one (Ctrl+Down), retire the next (Delete), add a text item after it (Alt+A)
    press(qtbot, Qt.Key.Key_Down, CTRL)
    assert prompts(page)[1].startswith("Reason for referral confirmed")
    press(qtbot, Qt.Key.Key_Down)
    retired, retired_key = prompts(page)[2], page.model.draft(2).key
    press(qtbot, Qt.Key.Key_Delete)
    assert retired not in prompts(page)
    open_editor(qtbot, page, Qt.Key.Key_A, ALT)
    type_text(qtbot, "Has the patient had this problem treated before?")
    press(qtbot, Qt.Key.Key_Tab)
    press(qtbot, Qt.Key.Key_Return)
    editor_closed(qtbot, page)
    assert statuses(page).count("New") == 1

    with qtbot.waitSignal(page.saved) as saved:
        press(qtbot, Qt.Key.Key_S, CTRL)
    assert saved.args == [service_line_id, 2]
    assert page.status.text() == "Saved as version 2."
    assert page.version_label.text().startswith("Version 2")
    assert statuses(page) == [""] * 7  # what is shown is now what is saved
    assert not page.save_button.isEnabled()

    script = intake.current_script(db, service_line_id)
    assert script.version == 2
    assert [item.prompt for item in script.items] == prompts(page)
    assert script.items[1].key == "reason_confirmed"
    assert retired_key not in [item.key for item in script.items]
    with db.session() as session:
        after = [(a.id, a.item_id, a.value, a.answered_at) for a in session.scalars(select(ChecklistAnswer))]
    assert after == before
    checklist = intake.checklist(db, referral_id)
    assert checklist.row("reason_confirmed").value is True
    assert checklist.row("interpreter").value == "Spanish"


def test_a_choice_item_needs_its_choices_before_it_goes_into_the_list(
    qtbot: QtBot, page: IntakeScriptsPage
) -> None:
    editor = open_editor(qtbot, page, Qt.Key.Key_A, ALT)
    type_text(qtbot, "Which knee?")
    editor.kind_combo.set_value(ItemKind.CHOICE)
    editor.choices_edit.setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.waitUntil(editor.choices_edit.hasFocus)
    type_text(qtbot, "Left")
    qtbot.mouseClick(editor.findChild(QWidget, "itemOk"), Qt.MouseButton.LeftButton)
    assert editor.choices_error.text() == "A choice item needs at least two choices, one per line."
    assert page.item_editor is editor and editor.isVisible()
    type_text(qtbot, "\nRight\nBoth")
    qtbot.mouseClick(editor.findChild(QWidget, "itemOk"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.item_editor is None)
    row = prompts(page).index("Which knee?")
    assert page.model.index(row, ScriptItemsModel.KIND).data() == "Choice: Left, Right, Both"


def test_a_refused_save_says_which_item_and_keeps_the_list(
    qtbot: QtBot, page: IntakeScriptsPage, db: Database, service_line_id: int
) -> None:
    draft = page.model.draft(3)
    draft.prompt = "   "
    page.model.set_draft(3, draft)
    page.save()
    assert page.status.text() == "Not saved. Item 4: Type the words staff say or check."
    assert page.table.currentIndex().row() == 3
    assert page.has_unsaved_changes()
    assert intake.current_script(db, service_line_id).version == 1


@pytest.fixture
def second_line(db: Database, actor: Actor, service_line_id: int) -> int:
    """Another line, listed after Physical therapy (ask for it before ``page``, so the page lists it)."""
    return create_service_line(db, actor, NewServiceLine(name="Sleep study"))


def make_a_change(page: IntakeScriptsPage) -> None:
    page.table.setCurrentIndex(page.model.index(0, 0))
    page.retire_item()
    assert page.has_unsaved_changes()


@pytest.mark.parametrize(
    ("answer", "shown_line", "version"), [(Button.Cancel, 0, 1), (Button.Discard, 1, 1), (Button.Save, 1, 2)]
)
def test_switching_line_with_unsaved_changes_asks_first(
    qtbot: QtBot,
    second_line: int,
    page: IntakeScriptsPage,
    db: Database,
    service_line_id: int,
    monkeypatch: pytest.MonkeyPatch,
    answer: Button,
    shown_line: int,
    version: int,
) -> None:
    asked: list[bool] = []
    monkeypatch.setattr(page, "ask_unsaved", lambda: asked.append(True) or answer)
    make_a_change(page)
    page.line_combo.setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.waitUntil(page.line_combo.hasFocus)
    press(qtbot, Qt.Key.Key_Down)  # the next line in the list
    assert asked == [True]
    lines = [service_line_id, second_line]
    assert page.line_id == lines[shown_line]
    assert page.line_combo.value() == lines[shown_line]
    assert page.has_unsaved_changes() is (answer == Button.Cancel)
    assert intake.current_script(db, service_line_id).version == version


@pytest.mark.parametrize(("answer", "closed"), [(Button.Cancel, False), (Button.Discard, True)])
def test_closing_with_unsaved_changes_asks_first(
    qtbot: QtBot,
    db: Database,
    actor: Actor,
    service_line_id: int,
    monkeypatch: pytest.MonkeyPatch,
    answer: Button,
    closed: bool,
) -> None:
    dialog = IntakeScriptsDialog(db, coordinator(db), InlineRunner())
    qtbot.addWidget(dialog)
    activate(qtbot, dialog)
    monkeypatch.setattr(dialog.page, "ask_unsaved", lambda: answer)
    make_a_change(dialog.page)
    dialog.page.table.setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.waitUntil(dialog.page.table.hasFocus)
    press(qtbot, Qt.Key.Key_Escape)
    QApplication.processEvents()
    assert dialog.isVisible() is not closed
    assert intake.current_script(db, service_line_id).version == 1
