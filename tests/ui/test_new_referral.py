"""New referral: typed at the keyboard as the front desk does, checked inline, duplicates caught before
saving. The tests drive the real widgets (keys, clicks) and read the result back through the services."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QFont, QWheelEvent
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QPushButton,
)
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from refdesk.domain.formats import referral_number
from refdesk.domain.models import Referral, StatusEvent
from refdesk.domain.times import as_utc, to_local
from refdesk.domain.vocab import Channel, ContactMethod, Urgency
from refdesk.errors import StorageError, ValidationError
from refdesk.services.actor import Actor
from refdesk.services.referrals import get_referral, update_referral
from refdesk.storage import Database
from tests.ui.keyboard import activate, fill, focused, minimal, press, replace_text, type_text
from ui.dialogs.new_referral import NewReferralDialog
from ui.errors import BUG_MESSAGE
from ui.referral_form import FIELD_NAMES, FormChoices, ReferralForm
from ui.widgets.dates import DateTimeField, format_datetime

MARKUP_NAME = ("Ольга", "<b>O'Brien</b> & Co")


def error_of(form: ReferralForm, name: str) -> QLabel:
    """The error label that belongs to a field: the one in the field's own box."""
    label = form.field(name).parentWidget().findChild(QLabel, "fieldError")
    assert label is not None
    return label


def referral_count(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Referral)) or 0


def open_dialog(qtbot: QtBot, db: Database, actor: Actor) -> NewReferralDialog:
    window = NewReferralDialog(db, actor)
    qtbot.addWidget(window)
    with qtbot.waitExposed(window):
        window.show()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.form.field("patient_first_name"))
    return window


@pytest.fixture
def dialog(
    qtbot: QtBot, db: Database, actor: Actor, partner_id: int, service_line_id: int
) -> NewReferralDialog:
    return open_dialog(qtbot, db, actor)


def save(qtbot: QtBot, dialog: NewReferralDialog) -> int:
    with qtbot.waitSignal(dialog.referral_created) as created:
        press(qtbot, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not dialog.isVisible() and dialog.result() == NewReferralDialog.DialogCode.Accepted
    return created.args[0]


def duplicate_panel_shows(qtbot: QtBot, dialog: NewReferralDialog) -> None:
    press(qtbot, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(dialog.duplicates.isVisible)


# -- saving ----------------------------------------------------------------------------------------


def test_a_referral_typed_field_by_field_with_tab_is_saved_as_typed(
    qtbot: QtBot, dialog: NewReferralDialog, db: Database, actor: Actor, partner_id: int, service_line_id: int
) -> None:
    typed = [
        "Ana", "Ribeiro", "07191971", "555 318 2290", "5553182291", "ana@example.org", "t", "after 3pm",
        "Portuguese", " ", "Rui Ribeiro", "(555) 318-2292", "son",
        "oak", "phys", "Dr. Imani Lee", "Knee pain after a fall.\nEvaluate and treat.", "u", "walk",
        "03/14/2025", "9:30 am", "m", "Aetna", "W123456789", "AUTH-77", "12", "2025-12-31",
    ]  # fmt: skip
    for text in typed:
        type_text(qtbot, text)
        press(qtbot, Qt.Key.Key_Tab)
    new_id = save(qtbot, dialog)

    saved = get_referral(db, new_id)
    expected = {
        "patient_first_name": "Ana",
        "patient_last_name": "Ribeiro",
        "patient_dob": date(1971, 7, 19),
        "phone": "(555) 318-2290",
        "phone_alt": "(555) 318-2291",
        "email": "ana@example.org",
        "preferred_contact_method": ContactMethod.TEXT,
        "preferred_contact_time": "after 3pm",
        "language": "Portuguese",
        "interpreter_needed": True,
        "caregiver_name": "Rui Ribeiro",
        "caregiver_phone": "(555) 318-2292",
        "caregiver_relationship": "son",
        "partner_id": partner_id,
        "service_line_id": service_line_id,
        "referring_clinician": "Dr. Imani Lee",
        "reason": "Knee pain after a fall.\nEvaluate and treat.",
        "urgency": Urgency.URGENT,
        "channel": Channel.WALK_IN,
        "owner_id": actor.staff_id,
        "insurance_payer": "Aetna",
        "insurance_member_id": "W123456789",
        "authorization_number": "AUTH-77",
        "authorization_visits": 12,
        "authorization_expires_on": date(2025, 12, 31),
        "linked_referral_id": None,
    }
    assert {name: getattr(saved, name) for name in expected} == expected
    assert saved.received_at.astimezone(UTC) == as_utc(datetime(2025, 3, 14, 9, 30))


def test_tab_goes_through_the_fields_in_visual_order_then_to_the_buttons(
    qtbot: QtBot, dialog: NewReferralDialog
) -> None:
    expected: list[str] = []
    for name in FIELD_NAMES:
        expected += ["received_at.date", "received_at.time"] if name == "received_at" else [name]
    seen, places = [], []
    for _ in range(len(expected) + 2):
        widget = focused()
        parent = widget.parentWidget()
        inside = isinstance(parent, DateTimeField)
        seen.append(f"{parent.objectName()}.{widget.objectName()}" if inside else widget.objectName())
        if dialog.form.isAncestorOf(widget):  # form coordinates do not move when the form scrolls
            places.append(widget.mapTo(dialog.form, QPoint(0, 0)))
        press(qtbot, Qt.Key.Key_Tab)
    assert seen == [*expected, "save", "cancel"]
    # visual order: down a column (or right along a row), then up to the top of the next column
    pairs = list(zip(places, places[1:], strict=False))
    assert all(after.y() > before.y() or after.x() > before.x() for before, after in pairs)
    assert [seen[i + 1] for i, (before, after) in enumerate(pairs) if after.y() < before.y()] == [
        "partner_id"
    ]


def test_ctrl_enter_saves_and_enter_alone_does_not(
    qtbot: QtBot, dialog: NewReferralDialog, db: Database
) -> None:
    fill(qtbot, dialog.form, minimal())
    dialog.form.field("patient_last_name").setFocus()
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.isVisible() and referral_count(db) == 0
    with qtbot.waitSignal(dialog.referral_created):
        press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert referral_count(db) == 1


def test_escape_cancels_without_saving(qtbot: QtBot, dialog: NewReferralDialog, db: Database) -> None:
    fill(qtbot, dialog.form, minimal())
    with qtbot.assertNotEmitted(dialog.referral_created):
        press(qtbot, Qt.Key.Key_Escape)
    assert not dialog.isVisible() and dialog.result() == NewReferralDialog.DialogCode.Rejected
    assert referral_count(db) == 0


# -- inline validation -----------------------------------------------------------------------------


def test_a_missing_field_is_reported_right_under_it_and_nothing_is_saved(
    qtbot: QtBot, dialog: NewReferralDialog, db: Database
) -> None:
    entries = minimal()
    del entries["reason"]
    fill(qtbot, dialog.form, entries)
    press(qtbot, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)

    reason, error = dialog.form.field("reason"), error_of(dialog.form, "reason")
    qtbot.waitUntil(error.isVisible)
    assert error.text() == "Reason for referral is required."
    under, field = error.mapTo(dialog.form, QPoint(0, 0)), reason.mapTo(dialog.form, QPoint(0, 0))
    assert under.x() == field.x() and under.y() >= field.y() + reason.height()
    assert reason.hasFocus() and reason.property("invalid") is True
    assert [name for name in FIELD_NAMES if error_of(dialog.form, name).isVisible()] == ["reason"]
    assert dialog.isVisible() and dialog.message() == "Please correct the marked field."
    assert referral_count(db) == 0

    type_text(qtbot, "Shoulder pain.")
    press(qtbot, Qt.Key.Key_Tab)
    assert not error.isVisible()
    save(qtbot, dialog)
    assert referral_count(db) == 1


def test_text_that_is_no_date_or_no_partner_is_flagged_on_leaving_the_field(
    qtbot: QtBot, dialog: NewReferralDialog, db: Database
) -> None:
    fill(qtbot, dialog.form, {**minimal(dob="02/30/1971", phone="555 0100"), "partner_id": "zzz"})
    assert error_of(dialog.form, "patient_dob").isVisible()
    assert error_of(dialog.form, "patient_dob").text() == "That is not a real date; type it as MM/DD/YYYY."
    assert error_of(dialog.form, "partner_id").text() == "Choose a partner from the list."
    press(qtbot, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert dialog.form.field("patient_dob").hasFocus()

    fill(qtbot, dialog.form, {"patient_dob": "2/3/1971", "partner_id": "street"})
    assert dialog.form.field("patient_dob").text() == "02/03/1971"
    assert dialog.form.field("partner_id").currentText() == "Oak Street Primary Care"
    press(qtbot, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    # the service's own message, in the same place
    phone_error = error_of(dialog.form, "phone")
    qtbot.waitUntil(phone_error.isVisible)
    assert phone_error.text() == "Enter 10 digits with the area code, e.g. (555) 201-4477."
    assert dialog.form.errors() == {"phone": phone_error.text()}
    assert dialog.isVisible() and referral_count(db) == 0


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (StorageError("The database folder is full; free some space and save again."), None),
        (RuntimeError("bug: referral_id=7 patient=Zoë"), BUG_MESSAGE),
    ],
)
def test_other_failures_are_said_in_the_dialog_in_plain_words(
    qtbot: QtBot,
    dialog: NewReferralDialog,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
    shown: str | None,
) -> None:
    def fail(*_: object, **__: object) -> int:
        raise error

    monkeypatch.setattr("ui.dialogs.new_referral.create_referral", fail)
    fill(qtbot, dialog.form, minimal())
    with qtbot.assertNotEmitted(dialog.referral_created):
        press(qtbot, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert dialog.message() == (shown or str(error))
    assert dialog.isVisible() and dialog.form.errors() == {}
    assert QApplication.activeModalWidget() in (None, dialog)  # no message box on top


# -- possible duplicates ---------------------------------------------------------------------------


def panel_texts(dialog: NewReferralDialog, name: str) -> list[str]:
    return [label.text() for label in dialog.duplicates.findChildren(QLabel, name) if label.isVisible()]


def click(qtbot: QtBot, dialog: NewReferralDialog, button_name: str) -> None:
    (button,) = [b for b in dialog.duplicates.findChildren(QPushButton, button_name) if b.isVisible()]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_the_same_name_and_birth_date_shows_the_existing_referral_before_saving(
    qtbot: QtBot, dialog: NewReferralDialog, db: Database, referral_id: int
) -> None:
    fill(qtbot, dialog.form, minimal(first="zoë", last="NGUYỄN", dob="04/02/1958"))
    duplicate_panel_shows(qtbot, dialog)
    existing = get_referral(db, referral_id)
    assert panel_texts(dialog, "matchName") == [f"{referral_number(referral_id)}  Zoë Nguyễn"]
    received = format_datetime(existing.received_at)
    assert panel_texts(dialog, "matchDetails") == [
        f"Born 04/02/1958 · Oak Street Primary Care · received {received} · Received"
    ]
    assert panel_texts(dialog, "matchWhy") == ["Matched on same name and date of birth"]
    assert referral_count(db) == 1


def test_the_same_phone_shows_the_existing_referral_before_saving(
    qtbot: QtBot, dialog: NewReferralDialog, db: Database, referral_id: int
) -> None:
    fill(qtbot, dialog.form, minimal(phone="1 555 201 4477"))
    duplicate_panel_shows(qtbot, dialog)
    assert panel_texts(dialog, "matchName") == [f"{referral_number(referral_id)}  Zoë Nguyễn"]
    assert panel_texts(dialog, "matchWhy") == ["Matched on same phone number"]
    assert referral_count(db) == 1


def test_open_existing_hands_over_its_id_and_saves_nothing(
    qtbot: QtBot, dialog: NewReferralDialog, db: Database, referral_id: int
) -> None:
    fill(qtbot, dialog.form, minimal(phone="555-201-4477"))
    duplicate_panel_shows(qtbot, dialog)
    with qtbot.assertNotEmitted(dialog.referral_created), qtbot.waitSignal(dialog.open_referral) as opened:
        click(qtbot, dialog, "openExisting")
    assert opened.args == [referral_id]
    assert not dialog.isVisible() and dialog.result() == NewReferralDialog.DialogCode.Rejected
    assert referral_count(db) == 1


def test_link_and_save_saves_the_new_referral_linked_to_the_existing_one(
    qtbot: QtBot, dialog: NewReferralDialog, db: Database, referral_id: int
) -> None:
    fill(qtbot, dialog.form, minimal(phone="555-201-4477"))
    duplicate_panel_shows(qtbot, dialog)
    with qtbot.waitSignal(dialog.referral_created) as created:
        click(qtbot, dialog, "linkAndSave")
    assert get_referral(db, created.args[0]).linked_referral_id == referral_id
    assert referral_count(db) == 2


def test_missing_fields_are_reported_before_any_duplicate_question(
    qtbot: QtBot, dialog: NewReferralDialog, db: Database, referral_id: int
) -> None:
    entries = minimal(phone="555-201-4477")
    del entries["reason"]
    fill(qtbot, dialog.form, entries)
    with qtbot.assertNotEmitted(dialog.referral_created):
        press(qtbot, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert dialog.form.errors() == {"reason": "Reason for referral is required."}
    assert not dialog.duplicates.isVisible()
    assert referral_count(db) == 1

    dialog.form.focus_field("reason")
    type_text(qtbot, "Neck pain.")
    duplicate_panel_shows(qtbot, dialog)
    with qtbot.waitSignal(dialog.referral_created) as created:
        click(qtbot, dialog, "linkAndSave")
    assert get_referral(db, created.args[0]).linked_referral_id == referral_id


def test_save_anyway_needs_a_reason_and_keeps_it_in_the_history(
    qtbot: QtBot, dialog: NewReferralDialog, db: Database, referral_id: int
) -> None:
    fill(qtbot, dialog.form, minimal(first="Zoë", last="Nguyễn", dob="04/02/1958"))
    duplicate_panel_shows(qtbot, dialog)
    with qtbot.assertNotEmitted(dialog.referral_created):
        click(qtbot, dialog, "saveAnyway")
    reason_error = dialog.duplicates.findChild(QLabel, "fieldError")
    assert (
        reason_error.isVisible()
        and reason_error.text() == "Type why this is not a duplicate, then save anyway."
    )
    assert dialog.duplicates.reason.hasFocus() and referral_count(db) == 1

    reason = "Different patient, same name; other address"
    type_text(qtbot, reason)
    with qtbot.waitSignal(dialog.referral_created) as created:
        click(qtbot, dialog, "saveAnyway")
    new_id = created.args[0]
    assert get_referral(db, new_id).linked_referral_id is None
    with db.session() as session:
        first_event = session.scalars(
            select(StatusEvent)
            .where(StatusEvent.referral_id == new_id)
            .order_by(StatusEvent.at, StatusEvent.id)
        ).first()
    assert first_event is not None
    assert first_event.note == f"Saved despite possible duplicate {referral_number(referral_id)}: {reason}"


def test_a_name_in_any_script_with_markup_is_saved_as_typed_and_shown_as_plain_text(
    qtbot: QtBot, dialog: NewReferralDialog, db: Database, actor: Actor
) -> None:
    first, last = MARKUP_NAME
    fill(qtbot, dialog.form, minimal(first=first, last=last))
    first_id = save(qtbot, dialog)
    saved = get_referral(db, first_id)
    assert (saved.patient_first_name, saved.patient_last_name) == MARKUP_NAME

    second = open_dialog(qtbot, db, actor)
    fill(qtbot, second.form, minimal(first=first, last=last, phone="555 201 0000"))
    duplicate_panel_shows(qtbot, second)
    (name_label,) = [label for label in second.duplicates.findChildren(QLabel, "matchName")]
    assert name_label.text() == f"{referral_number(first_id)}  Ольга <b>O'Brien</b> & Co"
    labels = second.duplicates.findChildren(QLabel) + second.form.findChildren(QLabel, "fieldError")
    assert {label.textFormat() for label in labels} == {Qt.TextFormat.PlainText}


# -- the form on its own: edit mode, as the detail view uses it ------------------------------------


@pytest.fixture
def edit_form(qtbot: QtBot, db: Database, referral_id: int) -> ReferralForm:
    form = ReferralForm(FormChoices.load(db))
    qtbot.addWidget(form)
    form.set_values(get_referral(db, referral_id))
    with qtbot.waitExposed(form):
        activate(qtbot, form)
    return form


def test_a_saved_referral_is_shown_as_it_was_saved(
    edit_form: ReferralForm, db: Database, referral_id: int
) -> None:
    saved = get_referral(db, referral_id)
    shown = edit_form.values()
    assert shown.partner_id == saved.partner_id and shown.patient_dob == saved.patient_dob
    assert edit_form.field("partner_id").currentText() == "Oak Street Primary Care"
    assert edit_form.field("patient_dob").text() == "04/02/1958"
    assert shown.received_at == to_local(saved.received_at).replace(tzinfo=None, second=0, microsecond=0)


def test_each_finished_edit_is_emitted_once_and_can_be_saved_at_once(
    qtbot: QtBot, edit_form: ReferralForm, db: Database, actor: Actor, referral_id: int
) -> None:
    edits: list[tuple[str, object]] = []

    def save_edit(name: str, value: object) -> None:  # what the detail view does
        edits.append((name, value))
        try:
            update_referral(db, actor, referral_id, {name: value})
        except ValidationError as error:
            edit_form.show_errors(error.errors)

    edit_form.field_edited.connect(save_edit)
    fill(qtbot, edit_form, {"phone": "555 201 9999", "urgency": "s", "email": "zoe@example.org"})
    for _ in range(5):  # passing through fields without changing them emits nothing
        press(qtbot, Qt.Key.Key_Tab)
    edit_form.field("interpreter_needed").setFocus()
    press(qtbot, Qt.Key.Key_Space)
    fill(qtbot, edit_form, {"email": ""})
    assert edits == [
        ("phone", "555 201 9999"),
        ("urgency", Urgency.STAT),
        ("email", "zoe@example.org"),
        ("interpreter_needed", True),
        ("email", None),
    ]
    saved = get_referral(db, referral_id)
    assert (saved.phone, saved.urgency, saved.email, saved.interpreter_needed) == (
        "(555) 201-9999",
        Urgency.STAT,
        None,
        True,
    )

    fill(qtbot, edit_form, {"phone": "555 0100"})
    assert edit_form.errors() == {"phone": "Enter 10 digits with the area code, e.g. (555) 201-4477."}
    assert edit_form.field("phone").hasFocus()
    assert get_referral(db, referral_id).phone == "(555) 201-9999"

    edit_form.field("reason").setFocus()
    replace_text(qtbot, "Hip pain.")  # the cursor is still in the field when the view closes
    edit_form.flush()
    assert edits[-1] == ("reason", "Hip pain.") and get_referral(db, referral_id).reason == "Hip pain."


def test_the_mouse_wheel_scrolls_past_a_choice_without_changing_it(
    qtbot: QtBot, edit_form: ReferralForm
) -> None:
    urgency = edit_form.field("urgency")
    assert not urgency.hasFocus()
    center = QPointF(urgency.rect().center())
    wheel = QWheelEvent(
        center,
        QPointF(urgency.mapToGlobal(center)),
        QPoint(0, 0),
        QPoint(0, -120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    with qtbot.assertNotEmitted(edit_form.field_edited):
        QApplication.sendEvent(urgency, wheel)
    assert edit_form.values().urgency == Urgency.ROUTINE


def test_an_unreadable_date_is_not_emitted_and_errors_can_be_shown_one_field_at_a_time(
    qtbot: QtBot, edit_form: ReferralForm
) -> None:
    with qtbot.assertNotEmitted(edit_form.field_edited):
        fill(qtbot, edit_form, {"patient_dob": "4/2/58"})
    assert edit_form.errors() == {"patient_dob": "Type the year with four digits, as MM/DD/YYYY."}

    edit_form.show_errors({"phone": "Phone is required."})
    assert edit_form.errors() == {"phone": "Phone is required."}
    assert edit_form.field("phone").hasFocus()
    edit_form.set_field_error("email", "Enter an email address like name@example.org.")
    assert set(edit_form.errors()) == {"phone", "email"}
    edit_form.clear_errors()
    assert edit_form.errors() == {}
    assert not any(error_of(edit_form, name).isVisible() for name in FIELD_NAMES)


# -- size ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [1, 2])
def test_the_dialog_fits_1280_by_720_even_with_text_twice_as_large(
    qtbot: QtBot, db: Database, actor: Actor, partner_id: int, scale: int
) -> None:
    dialog = NewReferralDialog(db, actor)
    qtbot.addWidget(dialog)
    font = QFont(dialog.font())
    if font.pointSizeF() > 0:
        font.setPointSizeF(font.pointSizeF() * scale)
    else:
        font.setPixelSize(font.pixelSize() * scale)
    dialog.setFont(font)
    hint = dialog.minimumSizeHint()
    assert hint.width() <= 1280 and hint.height() <= 720
    dialog.resize(1280, 720)
    with qtbot.waitExposed(dialog):
        dialog.show()
    # the buttons stay in the window and the form scrolls vertically inside it, never sideways
    assert dialog.rect().contains(
        dialog.save_button.geometry().translated(dialog.save_button.parentWidget().pos())
    )
    assert dialog.form.minimumSizeHint().width() <= dialog.form.parentWidget().width()
