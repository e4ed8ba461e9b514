"""The appointment pane as the desk uses it, from the keyboard: book (Alt+S, type, Ctrl+S), the gate that
refuses and the override with a reason, a date that does not exist, reschedule (Alt+S while Scheduled),
confirm (Alt+C), no-show (Alt+N) and rebook; checked by what the screen shows and what is stored. And
the queue's filter for the appointment work."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from refdesk.domain.lifecycle import State
from refdesk.domain.models import (
    Appointment,
    ChecklistAnswer,
    IntakeItem,
    IntakeScript,
    Referral,
    ServiceLine,
)
from refdesk.domain.next_action import Action
from refdesk.domain.times import utc_now
from refdesk.domain.vocab import AppointmentStatus, AttemptMethod, AttemptOutcome, ContactMethod, ItemKind
from refdesk.services import intake, scheduling
from refdesk.services.actor import Actor
from refdesk.services.attempts import log_attempt
from refdesk.services.queue import APPOINTMENT_WORK, QueueFilter
from refdesk.services.referrals import NewReferral, create_referral, get_referral
from refdesk.services.scheduling import AppointmentDraft
from refdesk.services.timeline import referral_timeline
from refdesk.storage import Database
from tests.ui.keyboard import activate, press, replace_text, type_text
from ui.detail.appointment import ConfirmAppointmentDialog
from ui.dialogs.book_appointment import BookAppointmentDialog, Mode
from ui.queue.filters import QueueFilterBar
from ui.referral_detail import ReferralDetail
from ui.tasks import InlineRunner
from ui.widgets.dates import format_date

ALT, CTRL = Qt.KeyboardModifier.AltModifier, Qt.KeyboardModifier.ControlModifier


def settle_gate(db: Database, referral_id: int) -> None:
    """Answer every open blocking intake item (the checklist is not what these tests are about)."""
    with db.transaction() as session:
        referral = session.get(Referral, referral_id)
        assert referral is not None
        open_prompts = set(intake.open_blocking_items(session, referral))
        for item in intake.current_items(session, referral.service_line_id):
            if item.prompt in open_prompts:
                value: Any = True if item.kind is ItemKind.YES_NO else (item.choices or ["done"])[0]
                session.add(ChecklistAnswer(referral_id=referral_id, item_id=item.id, value=value))


def reached(db: Database, actor: Actor, form: NewReferral, *, gate: bool = True) -> int:
    rid = create_referral(db, actor, form)
    log_attempt(db, actor, rid, AttemptMethod.CALL, AttemptOutcome.REACHED)
    if gate:
        settle_gate(db, rid)
    return rid


@pytest.fixture
def gated_form(db: Database, new_referral: NewReferral) -> NewReferral:
    """The referral form on a line whose script has two items that block scheduling."""
    with db.transaction() as session:
        line = ServiceLine(name="Surgery consult", required_records=[])
        script = IntakeScript(service_line=line)
        script.items += [
            IntakeItem(key="imaging", position=1, prompt="Imaging report on file?", kind=ItemKind.YES_NO,
                       blocks_scheduling=True),
            IntakeItem(key="auth", position=2, prompt="Authorization number", kind=ItemKind.TEXT,
                       blocks_scheduling=True),
        ]  # fmt: skip
        session.add_all([line, script])
        session.flush()
        new_referral.service_line_id = line.id
    return new_referral


def show(qtbot: QtBot, db: Database, actor: Actor, referral_id: int) -> ReferralDetail:
    view = ReferralDetail(db, actor, InlineRunner())
    qtbot.addWidget(view)
    activate(qtbot, view, size=(1280, 720))
    view.load(referral_id)
    view.focus_work()
    return view


def modal(qtbot: QtBot, kind: type[QDialog]) -> Any:
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), kind))
    dialog = QApplication.activeModalWidget()
    qtbot.waitUntil(dialog.isActiveWindow)
    return dialog


def texts(view: QWidget, name: str) -> list[str]:
    QApplication.processEvents()
    return [label.text() for label in view.findChildren(QLabel, name) if label.isVisible()]


def day_ahead(days: int) -> str:
    return format_date(datetime.now().date() + timedelta(days=days))


def type_booking(qtbot: QtBot, day: str, at: str = "10:30 AM", provider: str = "Dr Lee") -> None:
    """Date, Tab, time, Tab, provider, Tab, location: as typed from the dialog's first field."""
    type_text(qtbot, day)
    press(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, at)
    press(qtbot, Qt.Key.Key_Tab)
    replace_text(qtbot, provider)
    press(qtbot, Qt.Key.Key_Tab)
    replace_text(qtbot, "Main St")


def appointments(db: Database, referral_id: int) -> list[Appointment]:
    with db.session() as session:
        query = select(Appointment).where(Appointment.referral_id == referral_id).order_by(Appointment.id)
        return list(session.scalars(query))


def test_booking_from_the_keyboard(
    qtbot: QtBot, db: Database, actor: Actor, new_referral: NewReferral
) -> None:
    rid = reached(db, actor, new_referral)
    view = show(qtbot, db, actor, rid)
    assert texts(view, "appointmentSummary") == ["No appointment booked yet."]
    assert [b.objectName() for b in view.appointment.buttons()] == ["bookButton"]

    press(qtbot, Qt.Key.Key_S, ALT)
    dialog = modal(qtbot, BookAppointmentDialog)
    assert dialog.mode is Mode.BOOK and dialog.when.date_edit.hasFocus() and dialog.gate.isHidden()
    type_booking(qtbot, day_ahead(7))
    with qtbot.waitSignal(view.changed):
        press(qtbot, Qt.Key.Key_S, CTRL)

    qtbot.waitUntil(lambda: view.header.state_badge.text() == "Scheduled")
    [row] = appointments(db, rid)
    assert row.provider == "Dr Lee" and row.location == "Main St" and row.status is AppointmentStatus.BOOKED
    assert texts(view, "appointmentSummary") == [f"{day_ahead(7)} 10:30 AM with Dr Lee at Main St"]
    assert texts(view, "appointmentStatus") == ["Booked — not confirmed yet"]
    assert view.messages.text() == "Booked."
    assert [b.objectName() for b in view.appointment.buttons()] == [
        "rescheduleButton", "confirmButton", "noShowButton", "cancelAppointmentButton", "completedButton"
    ]  # fmt: skip
    focus = QApplication.focusWidget()
    assert focus is not None and view.isAncestorOf(focus)  # the keys keep working without a click


def test_the_gate_refuses_then_the_dialog_schedules_anyway_with_a_reason(
    qtbot: QtBot, db: Database, actor: Actor, gated_form: NewReferral
) -> None:
    rid = reached(db, actor, gated_form, gate=False)
    view = show(qtbot, db, actor, rid)
    assert texts(view, "gateHint") == [
        "Not done yet, blocking scheduling: Imaging report on file?; Authorization number. "
        "Book… can schedule anyway with a reason."
    ]

    press(qtbot, Qt.Key.Key_S, ALT)
    dialog = modal(qtbot, BookAppointmentDialog)
    assert dialog.gate.isVisible()
    assert texts(dialog, "gateItems") == ["• Imaging report on file?\n• Authorization number"]
    type_booking(qtbot, day_ahead(5))
    press(qtbot, Qt.Key.Key_S, CTRL)
    assert "block scheduling" in dialog.message() and dialog.isVisible()
    assert dialog.override_reason.hasFocus()
    assert appointments(db, rid) == [] and get_referral(db, rid).state is State.REACHED

    press(qtbot, Qt.Key.Key_Return)  # Schedule anyway with no reason
    assert dialog.errors() == {"override_reason": "A reason to schedule anyway is required."}
    type_text(qtbot, "Surgeon will see him; imaging comes with him")
    with qtbot.waitSignal(view.changed):
        press(qtbot, Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: view.header.state_badge.text() == "Scheduled")
    status = [e.text for e in referral_timeline(db, rid) if e.to_state is State.SCHEDULED][0]
    assert status.endswith(
        "(Imaging report on file?; Authorization number): Surgeon will see him; imaging comes with him"
    )
    assert "intake items" in view.messages.text()


def test_impossible_dates_are_said_at_the_field_and_nothing_is_saved(
    qtbot: QtBot, db: Database, actor: Actor, new_referral: NewReferral
) -> None:
    rid = reached(db, actor, new_referral)
    view = show(qtbot, db, actor, rid)
    press(qtbot, Qt.Key.Key_S, ALT)
    dialog = modal(qtbot, BookAppointmentDialog)
    type_booking(qtbot, f"02/30/{datetime.now().year + 1}")
    press(qtbot, Qt.Key.Key_S, CTRL)
    assert dialog.errors() == {"starts_at": "That is not a real date; type it as MM/DD/YYYY."}
    assert dialog.when.date_edit.hasFocus()

    replace_text(qtbot, day_ahead(800))
    press(qtbot, Qt.Key.Key_S, CTRL)
    assert dialog.errors() == {"starts_at": "That is more than 18 months ahead; check the year."}
    dialog.provider.setFocus()
    replace_text(qtbot, "")
    press(qtbot, Qt.Key.Key_S, CTRL)
    assert set(dialog.errors()) == {"starts_at", "provider"}
    assert appointments(db, rid) == [] and get_referral(db, rid).state is State.REACHED
    press(qtbot, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert view.header.state_badge.text() == "Reached"


def test_reschedule_confirm_no_show_and_rebook_from_the_keyboard(
    qtbot: QtBot, db: Database, actor: Actor, new_referral: NewReferral
) -> None:
    rid = reached(db, actor, new_referral)
    booked = scheduling.book(
        db, actor, rid, AppointmentDraft(utc_now() + timedelta(days=3), "Dr Lee", "Main St")
    )
    view = show(qtbot, db, actor, rid)

    # Alt+S while Scheduled: reschedule (the Scheduled state button is not shown then)
    press(qtbot, Qt.Key.Key_S, ALT)
    dialog = modal(qtbot, BookAppointmentDialog)
    assert dialog.mode is Mode.RESCHEDULE and dialog.provider.text() == "Dr Lee"
    type_booking(qtbot, day_ahead(9), "2:15 PM")
    press(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, "patient away that week")
    with qtbot.waitSignal(view.changed):
        press(qtbot, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: texts(view, "rescheduleCount") == ["Rescheduled 1×"])
    old, new = appointments(db, rid)
    assert old.id == booked.appointment_id and old.status is AppointmentStatus.RESCHEDULED
    assert old.note == "patient away that week" and new.replaces_id == old.id
    assert texts(view, "appointmentSummary") == [f"{day_ahead(9)} 2:15 PM with Dr Lee at Main St"]

    # Alt+C: confirm by text, today
    view.focus_work()
    press(qtbot, Qt.Key.Key_C, ALT)
    confirm = modal(qtbot, ConfirmAppointmentDialog)
    press(qtbot, Qt.Key.Key_T, ALT)
    qtbot.waitUntil(lambda: confirm.method() is ContactMethod.TEXT)  # a mnemonic clicks after a moment
    with qtbot.waitSignal(view.changed):
        qtbot.mouseClick(confirm.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: texts(view, "appointmentStatus") == [f"Confirmed by text on {day_ahead(0)}"])
    assert view.appointment.confirm_button.isHidden()
    assert appointments(db, rid)[-1].confirmed_by is ContactMethod.TEXT

    # the patient does not come: recorded once the time has passed (moved here to a time just gone)
    with db.transaction() as session:
        session.get_one(Appointment, new.id).starts_at = utc_now() - timedelta(minutes=5)
    view.refresh()
    view.focus_work()
    with qtbot.waitSignal(view.changed):
        press(qtbot, Qt.Key.Key_N, ALT)
    qtbot.waitUntil(lambda: view.header.state_badge.text() == "No-show")
    assert texts(view, "appointmentStatus") == ["Missed (no-show)"]
    assert [b.text() for b in view.appointment.buttons()] == ["Rebook…"]

    # Rebook…: Alt+S again, the provider and place offered from the missed one
    view.focus_work()
    press(qtbot, Qt.Key.Key_S, ALT)
    rebook = modal(qtbot, BookAppointmentDialog)
    assert rebook.mode is Mode.REBOOK and rebook.location.text() == "Main St"
    type_booking(qtbot, day_ahead(12))
    with qtbot.waitSignal(view.changed):
        press(qtbot, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: view.header.state_badge.text() == "Scheduled")
    chain = appointments(db, rid)
    assert [a.status for a in chain] == [
        AppointmentStatus.RESCHEDULED, AppointmentStatus.NO_SHOW, AppointmentStatus.BOOKED
    ]  # fmt: skip
    assert chain[-1].replaces_id == chain[1].id and texts(view, "rescheduleCount") == ["Rescheduled 1×"]


def test_a_cancelled_dialog_changes_nothing_and_gives_the_keyboard_back(
    qtbot: QtBot, db: Database, actor: Actor, new_referral: NewReferral
) -> None:
    rid = reached(db, actor, new_referral)
    view = show(qtbot, db, actor, rid)
    view.appointment.book_button.setFocus()
    press(qtbot, Qt.Key.Key_Space)
    modal(qtbot, BookAppointmentDialog)
    press(qtbot, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is None)
    qtbot.waitUntil(view.appointment.book_button.hasFocus)
    assert appointments(db, rid) == []


def test_authorization_warnings_are_shown_on_the_appointment(
    qtbot: QtBot, db: Database, actor: Actor, new_referral: NewReferral
) -> None:
    expires = datetime.now().date() + timedelta(days=2)
    new_referral.authorization_number = "AUTH-7"
    new_referral.authorization_expires_on = expires
    rid = reached(db, actor, new_referral)
    scheduling.book(db, actor, rid, AppointmentDraft(utc_now() + timedelta(days=6), "Dr Lee"))
    view = show(qtbot, db, actor, rid)
    assert texts(view, "authWarnings") == [
        f"⚠ The authorization expires on {expires.day} {expires:%b %Y}, before this appointment."
    ]


def test_the_queue_filter_bar_offers_the_appointment_work(qtbot: QtBot) -> None:
    bar = QueueFilterBar()
    qtbot.addWidget(bar)
    with qtbot.waitSignal(bar.filter_changed) as changed:
        bar.action.setCurrentIndex(bar.action.findText("Appointment work"))
    assert changed.args[0].actions == APPOINTMENT_WORK
    saved = json.loads(json.dumps(bar.to_settings()))
    assert saved["actions"] == sorted(action.value for action in APPOINTMENT_WORK)
    again = QueueFilterBar()
    qtbot.addWidget(again)
    again.from_settings(saved)
    assert again.filter().actions == APPOINTMENT_WORK and again.action.currentText() == "Appointment work"
    again.set_filter(QueueFilter(actions=frozenset({Action.FOLLOW_UP_NO_SHOW})))
    assert again.action.currentText() == "Follow up no-show"
    again.clear()
    assert again.filter() == QueueFilter() and again.action.currentText() == "Any next action"
