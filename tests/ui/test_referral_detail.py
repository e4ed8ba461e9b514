"""The referral detail as the front desk uses it: keys and clicks on the real widget, checked by what the
screen shows and what the database then holds."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)
from pytestqt.qtbot import QtBot

from refdesk.domain import lifecycle
from refdesk.domain.lifecycle import CloseReason, State
from refdesk.domain.times import utc_now
from refdesk.domain.vocab import AttemptMethod, AttemptOutcome
from refdesk.services import audit, scheduling
from refdesk.services.actor import Actor, ensure_staff
from refdesk.services.attempts import log_attempt
from refdesk.services.referrals import NewReferral, create_referral, get_referral
from refdesk.services.scheduling import AppointmentDraft
from refdesk.services.timeline import referral_timeline
from refdesk.services.workflow import close, move
from refdesk.storage import Database
from tests.refdesk.services.helpers import audit_rows
from tests.ui.keyboard import activate
from ui.detail.bars import local_time
from ui.detail.keys import shortcut_help
from ui.dialogs.book_appointment import BookAppointmentDialog
from ui.dialogs.close_referral import CloseReferralDialog
from ui.referral_detail import PROMPT_CONFIRM_COMPLETED, PROMPT_UNABLE_TO_REACH, ReferralDetail
from ui.tasks import InlineRunner, TaskRunner
from ui.widgets.dates import format_date

ALT = Qt.KeyboardModifier.AltModifier
CALL = AttemptMethod.CALL


def show(qtbot: QtBot, view: QWidget) -> None:
    qtbot.addWidget(view)
    activate(qtbot, view, size=(1280, 720))


@pytest.fixture
def detail(qtbot: QtBot, db: Database, actor: Actor, referral_id: int) -> ReferralDetail:
    view = ReferralDetail(db, actor, InlineRunner())
    show(qtbot, view)
    view.load(referral_id)
    view.focus_work()
    return view


def press(qtbot: QtBot, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """A key typed by the user: it goes to whatever has the keyboard focus."""
    target = QApplication.focusWidget()
    assert target is not None, "nothing has the keyboard focus"
    qtbot.keyClick(target, key, modifier)


def texts(view: QWidget, name: str) -> list[str]:
    """What the labels called ``name`` show now (rows added to a shown layout appear once the posted
    show events are handled, as on screen: handle them first)."""
    QApplication.processEvents()
    return [label.text() for label in view.findChildren(QLabel, name) if label.isVisible()]


def state_shown(view: ReferralDetail) -> str:
    return view.header.state_badge.text()


def state_button(view: ReferralDetail, target: State) -> QPushButton:
    return next(b for b in view.state_actions.buttons if b.property("target") == target.value)


def open_dialog(qtbot: QtBot, view: ReferralDetail) -> CloseReferralDialog:
    qtbot.waitUntil(lambda: any(d.isVisible() for d in view.findChildren(CloseReferralDialog)))
    dialog = next(d for d in view.findChildren(CloseReferralDialog) if d.isVisible())
    qtbot.waitUntil(dialog.isActiveWindow)
    return dialog


def stored_state(db: Database, referral_id: int) -> State:
    return get_referral(db, referral_id).state


def book_now(db: Database, actor: Actor, referral_id: int) -> None:
    """Book an appointment starting now (so a no-show or the visit can be recorded at once); the intake
    gate is passed with a reason, since the checklist is not what these tests are about."""
    draft = AppointmentDraft(utc_now(), provider="Dr Lee")
    scheduling.book(db, actor, referral_id, draft, override_reason="intake not part of this test")


def book_in_dialog(qtbot: QtBot, view: ReferralDetail) -> None:
    """Fill the booking dialog that just opened (a week ahead, with Dr Lee) and save it with Ctrl+S,
    through "Schedule anyway" if the service line's intake items block scheduling."""
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), BookAppointmentDialog))
    dialog = QApplication.activeModalWidget()
    assert isinstance(dialog, BookAppointmentDialog)
    qtbot.waitUntil(dialog.isActiveWindow)
    qtbot.keyClicks(dialog.when.date_edit, format_date(date.today() + timedelta(days=7)))
    qtbot.keyClicks(dialog.when.time_edit, "10:00 AM")
    qtbot.keyClicks(dialog.provider, "Dr Lee")
    if dialog.gate.isVisible():
        qtbot.keyClicks(dialog.override_reason, "intake not part of this test")
        qtbot.mouseClick(dialog.anyway_button, Qt.MouseButton.LeftButton)
    else:
        qtbot.keyClick(dialog.provider, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)


# -- the contact log --------------------------------------------------------------------------------


def test_three_unanswered_calls_by_key_offer_to_close_as_unable_to_reach(
    qtbot: QtBot, detail: ReferralDetail, db: Database, referral_id: int
) -> None:
    assert detail.contact.note.hasFocus()
    qtbot.keyClicks(detail.contact.note, "rang out")
    with qtbot.waitSignal(detail.changed) as logged:
        press(qtbot, Qt.Key.Key_1, ALT)
    assert logged.args == [referral_id]
    assert detail.contact.note.text() == ""  # the note went with the attempt
    press(qtbot, Qt.Key.Key_2, ALT)
    assert detail.prompt.isHidden()
    press(qtbot, Qt.Key.Key_1, ALT)

    assert texts(detail, "attemptText") == [
        "Call: No answer",
        "Call: Left voicemail",
        "Call: No answer — rang out",
    ]
    assert state_shown(detail) == "Contact attempted"
    assert detail.prompt.prompt == PROMPT_UNABLE_TO_REACH
    assert "Close as Unable to reach (No response after attempts)?" in texts(detail, "promptText")[0]

    with qtbot.waitSignal(detail.changed):
        qtbot.mouseClick(detail.prompt.accept_button, Qt.MouseButton.LeftButton)
    referral = get_referral(db, referral_id)
    assert referral.state is State.UNABLE_TO_REACH and referral.close_reason is CloseReason.NO_RESPONSE
    assert state_shown(detail) == "Unable to reach"
    assert detail.prompt.isHidden()
    assert not detail.contact.buttons[0].isEnabled()  # a closed referral takes no attempts
    assert texts(detail, "contactClosedHint") == ["Reopen the referral to log contact."]


def test_a_wrong_number_at_the_limit_offers_the_invalid_contact_reason(
    qtbot: QtBot, detail: ReferralDetail, db: Database, referral_id: int
) -> None:
    for key in (Qt.Key.Key_1, Qt.Key.Key_4, Qt.Key.Key_5):
        press(qtbot, key, ALT)
    assert texts(detail, "attemptText")[:2] == ["Call: Wrong number", "Text: Sent"]
    assert "(Wrong or disconnected number)" in texts(detail, "promptText")[0]
    press(qtbot, Qt.Key.Key_Y, ALT)
    qtbot.waitUntil(lambda: state_shown(detail) == "Unable to reach")
    assert get_referral(db, referral_id).close_reason is CloseReason.INVALID_CONTACT


def test_the_limit_offer_can_wait_until_the_next_attempt(
    qtbot: QtBot, detail: ReferralDetail, db: Database, referral_id: int
) -> None:
    for _ in range(3):
        press(qtbot, Qt.Key.Key_1, ALT)
    qtbot.mouseClick(detail.prompt.dismiss_button, Qt.MouseButton.LeftButton)
    assert detail.prompt.isHidden()
    detail.refresh()
    assert detail.prompt.isHidden()  # not offered again for the same attempts
    press(qtbot, Qt.Key.Key_2, ALT)
    assert detail.prompt.prompt == PROMPT_UNABLE_TO_REACH
    assert stored_state(db, referral_id) is State.CONTACT_ATTEMPTED


def test_a_referral_opened_at_its_limit_offers_the_close(
    qtbot: QtBot, db: Database, actor: Actor, referral_id: int
) -> None:
    for _ in range(3):
        log_attempt(db, actor, referral_id, CALL, AttemptOutcome.NO_ANSWER)
    view = ReferralDetail(db, actor, InlineRunner())
    show(qtbot, view)
    view.load(referral_id)
    assert view.prompt.prompt == PROMPT_UNABLE_TO_REACH


def test_reached_moves_the_referral_to_reached(
    qtbot: QtBot, detail: ReferralDetail, db: Database, referral_id: int
) -> None:
    press(qtbot, Qt.Key.Key_3, ALT)
    assert state_shown(detail) == "Reached"
    assert texts(detail, "attemptText") == ["Call: Reached"]
    assert stored_state(db, referral_id) is State.REACHED
    assert detail.state_actions.offered() == list(lifecycle.allowed_targets(State.REACHED))


def test_the_contact_keys_act_only_while_working_in_the_detail(
    qtbot: QtBot, db: Database, actor: Actor, referral_id: int
) -> None:
    window = QWidget()
    elsewhere = QLineEdit()
    view = ReferralDetail(db, actor, InlineRunner())
    layout = QVBoxLayout(window)
    layout.addWidget(elsewhere)
    layout.addWidget(view)
    show(qtbot, window)
    view.load(referral_id)
    elsewhere.setFocus()
    qtbot.keyClick(elsewhere, Qt.Key.Key_1, ALT)
    assert get_referral(db, referral_id).attempt_count == 0
    view.setFocus()  # what the main window does on Enter in the queue
    assert view.contact.note.hasFocus()
    press(qtbot, Qt.Key.Key_1, ALT)
    assert get_referral(db, referral_id).attempt_count == 1


def test_the_quick_actions_show_their_keys(detail: ReferralDetail) -> None:
    labels = [button.text() for button in detail.contact.buttons]
    assert labels == [
        "Called – no answer  (Alt+1)",
        "Left voicemail  (Alt+2)",
        "Reached  (Alt+3)",
        "Texted  (Alt+4)",
        "Wrong number  (Alt+5)",
    ]


def test_the_help_lists_every_key_the_view_binds(detail: ReferralDetail) -> None:
    keys = dict(shortcut_help())
    for button in detail.contact.buttons:
        assert any(f"({key})" in button.text() for key in keys)
    for button in detail.state_actions.buttons:
        assert button.toolTip() in keys
    assert len(keys) == len(shortcut_help())  # no key bound twice


# -- the state buttons ------------------------------------------------------------------------------


def test_the_buttons_offered_are_the_lifecycles_allowed_moves(
    qtbot: QtBot, detail: ReferralDetail, db: Database, actor: Actor, referral_id: int
) -> None:
    steps = [
        lambda: None,
        lambda: log_attempt(db, actor, referral_id, CALL, AttemptOutcome.NO_ANSWER),
        lambda: log_attempt(db, actor, referral_id, CALL, AttemptOutcome.REACHED),
        lambda: book_now(db, actor, referral_id),
        lambda: move(db, actor, referral_id, State.NO_SHOW),
    ]
    for step in steps:
        step()
        detail.refresh()
        state = stored_state(db, referral_id)
        assert detail.state_actions.offered() == list(lifecycle.allowed_targets(state)), state
        for button in detail.state_actions.buttons:
            assert "&" in button.text() and button.toolTip().startswith("Alt+")  # each has a key, shown

    close(db, actor, referral_id, CloseReason.PATIENT_TIMING)
    detail.refresh()
    assert [b.objectName() for b in detail.state_actions.buttons] == ["reopenButton"]


def test_scheduling_from_reached_with_the_button(
    qtbot: QtBot, detail: ReferralDetail, db: Database, referral_id: int
) -> None:
    press(qtbot, Qt.Key.Key_3, ALT)
    qtbot.mouseClick(state_button(detail, State.SCHEDULED), Qt.MouseButton.LeftButton)
    assert stored_state(db, referral_id) is State.REACHED  # the button asks for the booking first
    with qtbot.waitSignal(detail.changed):
        book_in_dialog(qtbot, detail)
    assert state_shown(detail) == "Scheduled"
    assert stored_state(db, referral_id) is State.SCHEDULED
    assert texts(detail, "timelineText")[0].startswith("Reached → Scheduled")
    assert texts(detail, "timelineText")[1].startswith("Appointment booked for ")


def test_scheduling_with_its_alt_key(
    qtbot: QtBot, detail: ReferralDetail, db: Database, referral_id: int
) -> None:
    press(qtbot, Qt.Key.Key_3, ALT)
    schedule = state_button(detail, State.SCHEDULED)
    assert schedule.text() == "&Scheduled"
    qtbot.waitUntil(schedule.isVisible)  # a key reaches only what is on screen
    press(qtbot, Qt.Key.Key_S, ALT)
    book_in_dialog(qtbot, detail)
    qtbot.waitUntil(lambda: state_shown(detail) == "Scheduled")
    assert stored_state(db, referral_id) is State.SCHEDULED
    # the pressed button is gone with the old state; once the dialog closes the keyboard is in the view
    qtbot.waitUntil(lambda: (focus := QApplication.focusWidget()) is not None and detail.isAncestorOf(focus))


def test_closing_asks_for_a_coded_reason_and_a_note(
    qtbot: QtBot, detail: ReferralDetail, db: Database, referral_id: int
) -> None:
    qtbot.mouseClick(state_button(detail, State.DECLINED_BY_PATIENT), Qt.MouseButton.LeftButton)
    dialog = open_dialog(qtbot, detail)
    options = dialog.findChildren(QRadioButton, "reasonOption")
    assert [o.text() for o in options] == [
        lifecycle.CLOSE_REASONS[r].label for r in lifecycle.reasons_for(State.DECLINED_BY_PATIENT)
    ]
    assert options[0].isChecked() and options[0].hasFocus()
    press(qtbot, Qt.Key.Key_Down)
    assert options[1].isChecked()
    press(qtbot, Qt.Key.Key_N, ALT)
    assert dialog.note_edit.hasFocus()
    qtbot.keyClicks(dialog.note_edit, "cannot pay the copay <yet>")
    with qtbot.waitSignal(detail.changed):
        press(qtbot, Qt.Key.Key_Return)

    referral = get_referral(db, referral_id)
    assert referral.state is State.DECLINED_BY_PATIENT and referral.close_reason is CloseReason.PATIENT_COST
    assert state_shown(detail) == "Declined by patient"
    assert texts(detail, "timelineText")[0] == (
        "Received → Declined by patient (Patient declined: cost) — cannot pay the copay <yet>"
    )


def test_cancelling_the_close_dialog_changes_nothing(
    qtbot: QtBot, detail: ReferralDetail, db: Database, referral_id: int
) -> None:
    duplicate = state_button(detail, State.DUPLICATE)
    duplicate.setFocus()
    press(qtbot, Qt.Key.Key_Space)
    open_dialog(qtbot, detail)
    press(qtbot, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not any(d.isVisible() for d in detail.findChildren(CloseReferralDialog)))
    assert stored_state(db, referral_id) is State.RECEIVED
    qtbot.waitUntil(duplicate.hasFocus)  # back where the user was


def test_a_closed_referral_is_reopened_with_its_button(
    qtbot: QtBot, detail: ReferralDetail, db: Database, actor: Actor, referral_id: int
) -> None:
    press(qtbot, Qt.Key.Key_1, ALT)
    close(db, actor, referral_id, CloseReason.SEEN_ELSEWHERE)
    detail.refresh()
    assert state_shown(detail) == "Seen elsewhere"
    reopen = detail.state_actions.buttons[0]
    assert reopen.text() == "Re&open"
    with qtbot.waitSignal(detail.changed):
        qtbot.mouseClick(reopen, Qt.MouseButton.LeftButton)
    assert state_shown(detail) == "Contact attempted"
    assert stored_state(db, referral_id) is State.CONTACT_ATTEMPTED
    assert detail.messages.text() == "Reopened as Contact attempted."
    assert detail.contact.buttons[0].isEnabled()


def test_completing_the_first_visit_is_confirmed_first(
    qtbot: QtBot, detail: ReferralDetail, db: Database, actor: Actor, referral_id: int
) -> None:
    log_attempt(db, actor, referral_id, CALL, AttemptOutcome.REACHED)
    book_now(db, actor, referral_id)
    detail.refresh()
    qtbot.mouseClick(state_button(detail, State.COMPLETED), Qt.MouseButton.LeftButton)
    assert detail.prompt.prompt == PROMPT_CONFIRM_COMPLETED
    assert stored_state(db, referral_id) is State.SCHEDULED
    assert detail.prompt.accept_button.hasFocus()
    press(qtbot, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: state_shown(detail) == "First visit completed")
    assert stored_state(db, referral_id) is State.COMPLETED
    assert texts(detail, "appointmentStatus") == ["First visit completed"]
    assert detail.state_actions.buttons == [] and detail.appointment.buttons() == []
    assert texts(detail, "finishedCaption") == ["Finished: the first visit is completed."]


# -- refusals ---------------------------------------------------------------------------------------


def test_a_refused_close_is_explained_inside_the_view(
    qtbot: QtBot, detail: ReferralDetail, db: Database, referral_id: int
) -> None:
    qtbot.mouseClick(state_button(detail, State.UNABLE_TO_REACH), Qt.MouseButton.LeftButton)
    open_dialog(qtbot, detail)
    press(qtbot, Qt.Key.Key_Return)

    assert detail.messages.isVisible() and detail.messages.property("kind") == "error"
    assert detail.messages.text() == (
        "No contact attempt has been logged yet; try to reach the patient first."
    )
    assert "Traceback" not in " ".join(texts(detail, "messageText"))
    assert stored_state(db, referral_id) is State.RECEIVED
    # the next success clears the message
    press(qtbot, Qt.Key.Key_1, ALT)
    assert detail.messages.isHidden()


def test_a_move_refused_because_the_view_was_out_of_date_is_explained_and_the_view_catches_up(
    qtbot: QtBot, detail: ReferralDetail, db: Database, referral_id: int
) -> None:
    sam = ensure_staff(db, "sam", "Sam Okafor")
    log_attempt(db, sam, referral_id, CALL, AttemptOutcome.REACHED)  # at another desk
    changed: list[int] = []
    detail.changed.connect(changed.append)

    qtbot.mouseClick(state_button(detail, State.CONTACT_ATTEMPTED), Qt.MouseButton.LeftButton)

    assert detail.messages.text() == (
        "The referral is already past first contact (Reached); log the attempt without changing the state."
    )
    assert changed == []
    assert state_shown(detail) == "Reached"
    assert detail.state_actions.offered() == list(lifecycle.allowed_targets(State.REACHED))


# -- the history --------------------------------------------------------------------------------------


def test_the_history_lists_every_change_and_attempt_with_who_and_when(
    qtbot: QtBot, detail: ReferralDetail, db: Database, referral_id: int
) -> None:
    sam = ensure_staff(db, "sam", "Sam Okafor")
    press(qtbot, Qt.Key.Key_2, ALT)
    log_attempt(db, sam, referral_id, CALL, AttemptOutcome.REACHED, note="call back Friday")
    detail.refresh()
    qtbot.mouseClick(state_button(detail, State.SCHEDULED), Qt.MouseButton.LeftButton)
    book_in_dialog(qtbot, detail)

    entries = referral_timeline(db, referral_id)
    shown = texts(detail, "timelineText")
    assert shown[0].startswith("Reached → Scheduled")
    assert shown[1] == entries[1].text and shown[1].startswith("Appointment booked for ")
    assert shown[2:] == [
        "Contact attempted → Reached — patient reached",
        "Call: Reached — call back Friday",
        "Received → Contact attempted — first contact attempt",
        "Call: Left voicemail",
        "Referral received (Received)",
    ]
    assert texts(detail, "timelineWhen") == [f"{local_time(e.at)} · {e.who}" for e in entries]
    assert [e.who for e in entries] == [
        "Maria Lopez",
        "Maria Lopez",
        "Sam Okafor",
        "Sam Okafor",
        "Maria Lopez",
        "Maria Lopez",
        "Maria Lopez",
    ]


# -- plain text, fields, layout -------------------------------------------------------------------------


@pytest.fixture
def marked_up_id(db: Database, actor: Actor, new_referral: NewReferral) -> int:
    new_referral.patient_first_name = "<b>Ольга</b>"
    new_referral.patient_last_name = "& O'Brien"
    return create_referral(db, actor, new_referral)


def test_a_name_that_looks_like_markup_is_shown_as_typed(
    qtbot: QtBot, detail: ReferralDetail, marked_up_id: int
) -> None:
    detail.load(marked_up_id)
    qtbot.keyClicks(detail.contact.note, "<i>said</i> & left")
    press(qtbot, Qt.Key.Key_2, ALT)

    assert detail.header.name.text() == "<b>Ольга</b> & O'Brien"
    assert texts(detail, "attemptText") == ["Call: Left voicemail — <i>said</i> & left"]
    for label in detail.findChildren(QLabel):
        if "<" in label.text():
            assert label.textFormat() is Qt.TextFormat.PlainText, label.objectName()
    first_name = detail.form.field("patient_first_name")
    assert isinstance(first_name, QLineEdit) and first_name.text() == "<b>Ольга</b>"


def test_an_edited_field_is_saved_as_soon_as_it_is_left(
    qtbot: QtBot, detail: ReferralDetail, db: Database, referral_id: int
) -> None:
    phone = detail.form.field("phone")
    assert isinstance(phone, QLineEdit)
    phone.setFocus()
    phone.selectAll()
    qtbot.keyClicks(phone, "555 201 99")
    press(qtbot, Qt.Key.Key_Tab)
    assert detail.form.errors()["phone"].startswith("Enter 10 digits")
    assert get_referral(db, referral_id).phone == "(555) 201-4477"

    phone.setFocus()
    phone.selectAll()
    qtbot.keyClicks(phone, "555 201 9988")
    with qtbot.waitSignal(detail.changed) as saved:
        press(qtbot, Qt.Key.Key_Tab)
    assert saved.args == [referral_id]
    assert "phone" not in detail.form.errors()
    assert get_referral(db, referral_id).phone == "(555) 201-9988"
    assert detail.header.phone.text() == "(555) 201-9988"


def test_the_view_fits_a_small_screen_at_double_scaling(detail: ReferralDetail) -> None:
    # 1280×720 at 200 % is 640×360 device-independent pixels: the view must need no more than that,
    # scrolling its panes instead of cutting anything off.
    minimum = detail.minimumSizeHint()
    assert minimum.width() <= 640 and minimum.height() <= 360
    for name in ("workPane", "fieldsPane", "recordsScroll"):
        pane = detail.findChild(QScrollArea, name)
        assert isinstance(pane, QScrollArea) and pane.widgetResizable()


def test_nothing_is_shown_before_a_referral_is_opened(qtbot: QtBot, db: Database, actor: Actor) -> None:
    view = ReferralDetail(db, actor, InlineRunner())
    show(qtbot, view)
    assert view.placeholder.isVisible() and not view.body.isVisible()
    assert view.referral_id is None


def test_opening_a_missing_referral_says_so(qtbot: QtBot, db: Database, actor: Actor) -> None:
    view = ReferralDetail(db, actor, InlineRunner())
    show(qtbot, view)
    view.load(424242)
    assert view.messages.text() == "Referral 424242 does not exist."
    assert not view.body.isVisible()


# -- with the real background runner ---------------------------------------------------------------------


@pytest.fixture
def runner() -> Iterator[TaskRunner]:
    pool = TaskRunner()
    yield pool
    pool.wait()


def test_the_view_works_with_the_background_runner(
    qtbot: QtBot, db: Database, actor: Actor, referral_id: int, runner: TaskRunner
) -> None:
    view = ReferralDetail(db, actor, runner)
    show(qtbot, view)
    with qtbot.waitSignal(view.loaded):
        view.load(referral_id)
    view.focus_work()
    with qtbot.waitSignal(view.changed):
        press(qtbot, Qt.Key.Key_3, ALT)
    qtbot.waitUntil(lambda: state_shown(view) == "Reached")
    assert texts(view, "attemptText") == ["Call: Reached"]
    assert view.property("busy") is False
    assert get_referral(db, referral_id).patient_dob == date(1958, 4, 2)


def test_f7_and_f8_bring_the_intake_checklist_and_the_records_forward_with_their_progress(
    qtbot: QtBot, detail: ReferralDetail
) -> None:
    tabs = detail.side_tabs
    qtbot.waitUntil(lambda: tabs.tabText(1) == "Intake (0 of 7)" and tabs.tabText(2) == "Records (1 missing)")

    press(qtbot, Qt.Key.Key_F7)
    assert tabs.currentWidget() is detail.checklist
    assert detail.checklist.isAncestorOf(QApplication.focusWidget())

    # Answering the first item ("reason confirmed": Yes) from the keyboard counts at once in the tab title,
    # and the view says the referral changed (the queue repaints its row).
    editor = detail.checklist.editor("reason_confirmed")
    editor.setFocus()
    with qtbot.waitSignal(detail.changed):
        press(qtbot, Qt.Key.Key_Space)
        press(qtbot, Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: tabs.tabText(1) == "Intake (1 of 7)")

    press(qtbot, Qt.Key.Key_F8)
    assert tabs.currentWidget().isAncestorOf(detail.records)
    assert detail.records.isAncestorOf(QApplication.focusWidget())
    press(qtbot, Qt.Key.Key_F6)
    assert tabs.currentIndex() == 0 and detail.fields_pane.isAncestorOf(QApplication.focusWidget())


def test_each_opening_of_a_referral_is_audited_once_off_the_gui_thread(
    qtbot: QtBot,
    db: Database,
    actor: Actor,
    referral_id: int,
    new_referral: NewReferral,
    runner: TaskRunner,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    other = create_referral(db, actor, replace(new_referral, patient_first_name="Ana"))
    threads: list[int] = []

    def record_view(db: Database, actor: Actor, referral_id: int) -> None:
        threads.append(threading.get_ident())
        audit.record_view(db, actor, referral_id)

    monkeypatch.setattr("ui.referral_detail.record_view", record_view)
    view = ReferralDetail(db, actor, runner)
    show(qtbot, view)

    def views() -> list[tuple[int | None, int | None, bool]]:
        runner.wait()
        return [(r.entity_id, r.staff_id, r.success) for r in audit_rows(db, "referral.view")]

    with qtbot.waitSignal(view.loaded):
        view.load(referral_id)
    qtbot.waitUntil(lambda: len(views()) == 1)
    # Working the referral re-reads it: an attempt logged, a refresh, the queue loading it again.
    view.focus_work()
    with qtbot.waitSignal(view.loaded):
        press(qtbot, Qt.Key.Key_3, ALT)
    with qtbot.waitSignal(view.loaded):
        view.refresh()
    with qtbot.waitSignal(view.loaded):
        view.load(referral_id)
    assert views() == [(referral_id, actor.staff_id, True)]
    # Opening another referral, then this one again: two more views.
    with qtbot.waitSignal(view.loaded):
        view.load(other)
    with qtbot.waitSignal(view.loaded):
        view.load(referral_id)
    assert views() == [
        (referral_id, actor.staff_id, True),
        (other, actor.staff_id, True),
        (referral_id, actor.staff_id, True),
    ]
    assert len(threads) == 3 and threading.get_ident() not in threads
