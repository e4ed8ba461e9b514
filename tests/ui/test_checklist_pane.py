"""The intake checklist of a referral as the front desk works it: from the keyboard, checked by what
the pane shows and what the database then holds."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot

from refdesk.domain.vocab import ItemKind
from refdesk.services import intake
from refdesk.services.actor import Actor
from refdesk.services.intake import ItemDraft
from refdesk.services.referrals import NewReferral, create_referral
from refdesk.storage import Database
from tests.accounts import coordinator
from tests.ui.keyboard import activate, press, replace_text, type_text
from ui.detail.checklist import ChecklistPane, YesNoField
from ui.tasks import InlineRunner
from ui.widgets.choices import ChoiceCombo


@pytest.fixture
def pane(qtbot: QtBot, db: Database, actor: Actor, referral_id: int) -> ChecklistPane:
    view = ChecklistPane(db, actor, InlineRunner())
    qtbot.addWidget(view)
    activate(qtbot, view, size=(900, 700))
    view.load(referral_id)
    return view


def shown(view: QWidget, name: str) -> list[str]:
    QApplication.processEvents()
    return [label.text() for label in view.findChildren(QLabel, name) if label.isVisibleTo(view)]


def saved(db: Database, referral_id: int, key: str) -> object:
    return intake.checklist(db, referral_id).row(key).value


def focus(qtbot: QtBot, widget: QWidget) -> None:
    """Put the cursor in an item's editor, as a click or Tab would (rows added to a shown pane are
    shown once the posted show events are handled, as on screen: handle them first)."""
    QApplication.processEvents()
    target = widget.focusProxy() or widget
    target.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(target.hasFocus)


def test_every_item_is_shown_with_its_marks_and_the_progress(pane: ChecklistPane) -> None:
    prompts = shown(pane, "itemPrompt")
    assert len(prompts) == 7
    assert prompts[0].startswith("1. Reason for referral")
    assert shown(pane, "checklistProgress") == ["0 of 7 done · 3 blocking scheduling open"]
    assert shown(pane, "itemRequired") == ["Required"] * 6
    assert shown(pane, "itemBlocks") == ["Blocks scheduling (still open)"] * 3
    assert isinstance(pane.editor("reason_confirmed"), YesNoField)
    assert isinstance(pane.editor("contact_preference"), ChoiceCombo)


def test_the_prompt_is_shown_as_typed_never_as_markup(
    pane: ChecklistPane, db: Database, actor: Actor, referral_id: int, service_line_id: int
) -> None:
    items = intake.current_script(db, service_line_id).items
    items[0].prompt = "<b>Reason</b> & why?"
    intake.save_script(db, coordinator(db), service_line_id, items)
    pane.load(referral_id)
    [first] = [label for label in pane.findChildren(QLabel, "itemPrompt") if label.text().startswith("1.")]
    assert first.text() == "1. <b>Reason</b> & why?"
    assert first.textFormat() is Qt.TextFormat.PlainText


def test_answering_from_the_keyboard_saves_each_item_and_updates_the_summary(
    qtbot: QtBot, pane: ChecklistPane, db: Database, referral_id: int
) -> None:
    summaries: list[str] = []
    pane.summary_changed.connect(summaries.append)
    focus(qtbot, pane.editor("reason_confirmed"))
    with qtbot.waitSignal(pane.changed) as changed:
        press(qtbot, Qt.Key.Key_Space)  # Yes
    assert changed.args == [referral_id]
    assert saved(db, referral_id, "reason_confirmed") is True
    assert summaries[-1] == "Intake (1 of 7)"
    assert shown(pane, "checklistProgress") == ["1 of 7 done · 2 blocking scheduling open"]

    press(qtbot, Qt.Key.Key_Tab)  # to the contact preference list
    assert QApplication.focusWidget() is pane.editor("contact_preference")
    press(qtbot, Qt.Key.Key_T)  # "Text message"
    assert saved(db, referral_id, "contact_preference") == "Text message"

    press(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, "Mornings only; needs a ride")
    press(qtbot, Qt.Key.Key_Tab)  # leaving the field saves it
    assert saved(db, referral_id, "scheduling_constraints") == "Mornings only; needs a ride"

    # records on file: "No" (arrow to it, Space) is an answer, and scheduling stays blocked
    records = pane.editor("records_on_file")
    assert isinstance(records, YesNoField)
    assert QApplication.focusWidget() is records.yes
    press(qtbot, Qt.Key.Key_Right)
    press(qtbot, Qt.Key.Key_Space)
    assert saved(db, referral_id, "records_on_file") is False
    assert summaries[-1] == "Intake (3 of 7)"
    assert shown(pane, "itemBlocks").count("Blocks scheduling (still open)") == 2

    press(qtbot, Qt.Key.Key_Tab)  # one Tab stop per yes/no item: on to insurance
    assert QApplication.focusWidget() is pane.editor("insurance_authorization").focusProxy()


def test_an_impossible_date_is_shown_at_its_field_and_nothing_is_saved(
    qtbot: QtBot, pane: ChecklistPane, db: Database, actor: Actor, referral_id: int, service_line_id: int
) -> None:
    items = intake.current_script(db, service_line_id).items
    items.append(ItemDraft("Date of injury or surgery", ItemKind.DATE))
    intake.save_script(db, coordinator(db), service_line_id, items)
    pane.load(referral_id)
    key = "date_of_injury_or_surgery"
    focus(qtbot, pane.editor(key))
    type_text(qtbot, "02/30/2024")
    press(qtbot, Qt.Key.Key_Tab)
    assert pane.field_error(key).startswith("That is not a real date")
    focus(qtbot, pane.editor(key))
    replace_text(qtbot, "01/15/1899")
    press(qtbot, Qt.Key.Key_Tab)
    assert pane.field_error(key) == "The date cannot be before 1900; check the year."
    assert saved(db, referral_id, key) is None

    focus(qtbot, pane.editor(key))
    replace_text(qtbot, "3/9/2024")
    press(qtbot, Qt.Key.Key_Tab)
    assert pane.field_error(key) == ""
    assert saved(db, referral_id, key) == date(2024, 3, 9)
    assert pane.editor(key).text() == "03/09/2024"  # type: ignore[attr-defined]


def test_a_required_answer_cannot_be_emptied(
    qtbot: QtBot, pane: ChecklistPane, db: Database, referral_id: int
) -> None:
    focus(qtbot, pane.editor("interpreter"))
    type_text(qtbot, "Spanish")
    press(qtbot, Qt.Key.Key_Tab)
    focus(qtbot, pane.editor("interpreter"))
    replace_text(qtbot, "")
    press(qtbot, Qt.Key.Key_Tab)
    assert pane.field_error("interpreter") == "This item needs an answer; it cannot be left empty."
    assert saved(db, referral_id, "interpreter") == "Spanish"


def test_delete_clears_an_optional_yes_no_answer(
    qtbot: QtBot, pane: ChecklistPane, db: Database, actor: Actor, referral_id: int, service_line_id: int
) -> None:
    items = intake.current_script(db, service_line_id).items
    items.append(ItemDraft("Prior imaging available?", ItemKind.YES_NO))
    intake.save_script(db, coordinator(db), service_line_id, items)
    pane.load(referral_id)
    key = "prior_imaging_available"
    focus(qtbot, pane.editor(key))
    press(qtbot, Qt.Key.Key_Space)
    assert saved(db, referral_id, key) is True
    press(qtbot, Qt.Key.Key_Delete)
    assert saved(db, referral_id, key) is None
    editor = pane.editor(key)
    assert isinstance(editor, YesNoField) and editor.value() is None


def test_answers_to_retired_items_are_listed_below_with_the_words_they_answered(
    pane: ChecklistPane, db: Database, actor: Actor, referral_id: int, service_line_id: int
) -> None:
    intake.answer(db, actor, referral_id, "scheduling_constraints", "Works nights")
    intake.answer(db, actor, referral_id, "reason_confirmed", True)
    old_reason = intake.checklist(db, referral_id).row("reason_confirmed").prompt
    items = [item for item in intake.current_script(db, service_line_id).items]
    items = [item for item in items if item.key != "scheduling_constraints"]
    items[0].prompt = "Reason for referral confirmed with the patient?"
    intake.save_script(db, coordinator(db), service_line_id, items)

    pane.load(referral_id)
    assert len(shown(pane, "itemPrompt")) == 6
    [entry] = shown(pane, "retiredEntry")
    assert entry.startswith("Scheduling constraints") and "Answer: Works nights (script version 1)" in entry
    assert shown(pane, "itemNote") == [f"Answered to earlier wording: {old_reason}"]
    reason = pane.editor("reason_confirmed")
    assert isinstance(reason, YesNoField) and reason.value() is True  # the earlier answer counts
    assert shown(pane, "checklistProgress")[0].startswith("1 of 6 done")


def test_another_referral_and_clear(
    qtbot: QtBot,
    pane: ChecklistPane,
    db: Database,
    actor: Actor,
    referral_id: int,
    new_referral: NewReferral,
) -> None:
    intake.answer(db, actor, referral_id, "interpreter", "Spanish")
    pane.load(referral_id)
    assert pane.editor("interpreter").text() == "Spanish"  # type: ignore[attr-defined]
    new_referral.patient_first_name = "Ana"
    other = create_referral(db, actor, new_referral)
    pane.load(other)
    assert pane.editor("interpreter").text() == ""  # type: ignore[attr-defined]
    with qtbot.waitSignal(pane.summary_changed) as summary:
        pane.clear()
    assert summary.args == ["Intake"]
    assert shown(pane, "itemPrompt") == []
