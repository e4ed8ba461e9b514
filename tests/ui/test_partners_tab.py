"""The Partners tab as a coordinator uses it, from the keyboard: find a partner, see who has gone quiet,
edit a field and see it kept, add a contact and a touch, and jump to the partner's referrals."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QLineEdit, QMainWindow
from pytestqt.qtbot import QtBot

from refdesk.domain.times import local_today, utc_now
from refdesk.domain.vocab import OutreachCadence, TouchKind
from refdesk.services import partners
from refdesk.services.actor import Actor
from refdesk.services.catalog import NewPartner, create_partner
from refdesk.services.partners import ContactData
from refdesk.services.referrals import NewReferral, create_referral
from refdesk.storage import Database
from tests.refdesk.services.helpers import audit_rows
from tests.ui.keyboard import activate, focused, press, replace_text, type_text
from ui.partners import PartnersTab
from ui.partners.contacts import MARK, ContactsModel
from ui.partners.detail import TAB_CONTACTS, TAB_OUTREACH
from ui.partners.model import ID_ROLE, SORT_ROLE, Column, PartnerListModel
from ui.partners.outreach import TouchesModel
from ui.tasks import InlineRunner, TaskRunner
from ui.widgets.dates import format_date

ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier


class Partners:
    """Three partners: one referring now, one gone quiet, one with an accent in its name."""

    def __init__(self, db: Database, actor: Actor, new_referral: NewReferral, partner_id: int) -> None:
        self.oak = partner_id
        self.quiet = create_partner(db, actor, NewPartner(name="Quiet Valley Orthopedics"))
        self.jose = create_partner(db, actor, NewPartner(name="Clínica José Núñez"))
        for pid, days in ((self.oak, 3), (self.oak, 20), (self.quiet, 150)):
            received = utc_now() - timedelta(days=days)
            create_referral(db, actor, replace(new_referral, partner_id=pid, received_at=received))


@pytest.fixture
def desk(db: Database, actor: Actor, new_referral: NewReferral, partner_id: int) -> Partners:
    return Partners(db, actor, new_referral, partner_id)


def open_tab(qtbot: QtBot, db: Database, actor: Actor, runner: Any = None) -> PartnersTab:
    """The tab shown and active (keys and shortcuts only reach the active window)."""
    tab = PartnersTab(db, actor, runner or InlineRunner())
    qtbot.addWidget(tab)
    activate(qtbot, tab, size=(1280, 720))
    return tab


def listed(tab: PartnersTab) -> list[str]:
    model = tab.view.model
    return [model.data(model.index(row, Column.NAME)) for row in range(model.rowCount())]


def open_partner(qtbot: QtBot, tab: PartnersTab, name: str) -> None:
    """Search for it, go down to the list, Enter: the detail shows it with the keyboard in it."""
    press(qtbot, Qt.Key.Key_F, CTRL)
    qtbot.waitUntil(tab.view.search.hasFocus)
    replace_text(qtbot, name)
    qtbot.waitUntil(lambda: listed(tab) == [name])
    press(qtbot, Qt.Key.Key_Down)
    qtbot.waitUntil(tab.view.table.hasFocus)
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: tab.detail.title.text() == name)
    qtbot.waitUntil(lambda: tab.detail.isAncestorOf(QApplication.focusWidget()))


def test_the_models_pass_the_model_tester(
    qtmodeltester: Any, db: Database, actor: Actor, desk: Partners
) -> None:
    model = PartnerListModel(db, InlineRunner())
    model.set_filter(partners.PartnerFilter())
    assert model.rowCount() == 3
    qtmodeltester.check(model)
    model.sort(Column.LAST_REFERRAL, Qt.SortOrder.DescendingOrder)
    assert model.data(model.index(0, Column.NAME)) == "Oak Street Primary Care"
    assert model.data(model.index(0, 0), ID_ROLE) == desk.oak
    assert model.data(model.index(0, Column.RECENT), SORT_ROLE) == 2
    qtmodeltester.check(model, force_py=True)

    partners.add_contact(db, actor, desk.oak, ContactData(name="Dana Whit", decision_maker=True))
    partners.add_touch(db, actor, desk.oak, TouchKind.CALL, note="Check-in")
    detail = partners.get_partner_detail(db, desk.oak)
    contacts, touches = ContactsModel(), TouchesModel()
    contacts.set_rows(detail.contacts)
    touches.set_rows(detail.touches)
    assert contacts.data(contacts.index(0, 2)) == MARK
    for small in (contacts, touches):
        qtmodeltester.check(small)


def test_search_finds_a_partner_without_its_accents_and_enter_opens_it(
    qtbot: QtBot, db: Database, actor: Actor, desk: Partners
) -> None:
    tab = open_tab(qtbot, db, actor)
    assert listed(tab) == ["Clínica José Núñez", "Oak Street Primary Care", "Quiet Valley Orthopedics"]
    assert tab.view.count_label.text() == "3 partners"

    open_partner(qtbot, tab, "Clínica José Núñez")

    assert tab.detail.fields.widget("name").hasFocus()  # Enter put the keyboard in the partner
    # Esc clears the search, and the whole list comes back
    press(qtbot, Qt.Key.Key_F, CTRL)
    qtbot.waitUntil(tab.view.search.hasFocus)
    type_text(qtbot, "jose nunez")
    press(qtbot, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: len(listed(tab)) == 3)


def test_ctrl_f_is_the_partner_search_even_when_the_window_has_its_own(
    qtbot: QtBot, db: Database, actor: Actor, desk: Partners
) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    queue_find = QAction("Search the queue", window, shortcut=QKeySequence("Ctrl+F"))
    window.addAction(queue_find)
    tab = PartnersTab(db, actor, InlineRunner())
    window.setCentralWidget(tab)
    activate(qtbot, window)
    tab.view.table.setFocus()
    tab.view.table.selectRow(0)
    qtbot.waitUntil(lambda: tab.detail.body.isVisible())
    tab.detail.fields.widget("notes").setFocus()
    qtbot.waitUntil(tab.detail.fields.widget("notes").hasFocus)

    with qtbot.assertNotEmitted(queue_find.triggered):
        press(qtbot, Qt.Key.Key_F, CTRL)
    assert tab.view.search.hasFocus()


def test_the_lapsed_filter_shows_who_stopped_referring(
    qtbot: QtBot, db: Database, actor: Actor, desk: Partners
) -> None:
    tab = open_tab(qtbot, db, actor)
    tab.view.table.setFocus()

    press(qtbot, Qt.Key.Key_L, ALT)  # "Lapsed: nothing in the last 90 days"
    qtbot.waitUntil(lambda: listed(tab) == ["Quiet Valley Orthopedics"])
    assert tab.view.count_label.text() == "1 lapsed partner"
    last = tab.view.model.index(0, Column.LAST_REFERRAL)
    assert tab.view.model.data(last) == format_date(local_today() - timedelta(days=150))

    tab.view.lapsed_days.setFocus()
    replace_text(qtbot, "10")  # nothing in the last 10 days: Oak's last came 3 days ago
    press(qtbot, Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: listed(tab) == ["Quiet Valley Orthopedics"])
    tab.view.lapsed_days.setFocus()
    replace_text(qtbot, "200")
    press(qtbot, Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: listed(tab) == [])
    assert tab.view.count_label.text() == "No lapsed partners."
    tab.view.lapsed_days.setFocus()
    replace_text(qtbot, "4")
    press(qtbot, Qt.Key.Key_Down)
    press(qtbot, Qt.Key.Key_Down)  # stepped down to 2 days: Oak's referral 3 days ago is too old
    qtbot.waitUntil(lambda: listed(tab) == ["Oak Street Primary Care", "Quiet Valley Orthopedics"])


def test_a_field_is_saved_when_the_user_leaves_it_and_a_wrong_one_is_explained_there(
    qtbot: QtBot, db: Database, actor: Actor, desk: Partners
) -> None:
    tab = open_tab(qtbot, db, actor)
    open_partner(qtbot, tab, "Oak Street Primary Care")
    fields = tab.detail.fields

    fields.widget("phone").setFocus()
    replace_text(qtbot, "555.201.4477")
    press(qtbot, Qt.Key.Key_Tab)  # to Fax: the phone is saved, written the way RefDesk writes phones
    qtbot.waitUntil(lambda: partners.get_partner_detail(db, desk.oak).partner.phone == "(555) 201-4477")
    assert isinstance(phone := fields.widget("phone"), QLineEdit) and phone.text() == "(555) 201-4477"
    qtbot.waitUntil(
        lambda: [row.phone for row in tab.view.model.rows() if row.id == desk.oak] == [phone.text()]
    )

    press(qtbot, Qt.Key.Key_Tab)  # to Email
    type_text(qtbot, "front desk at oak")
    press(qtbot, Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: "email" in fields.errors())
    assert fields.errors() == {"email": "Enter an email address like name@example.org."}
    assert partners.get_partner_detail(db, desk.oak).partner.email is None
    assert fields.widget("email").property("invalid") is True

    fields.widget("email").setFocus()
    replace_text(qtbot, "frontdesk@oak.example")
    press(qtbot, Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: fields.errors() == {})
    assert partners.get_partner_detail(db, desk.oak).partner.email == "frontdesk@oak.example"
    assert [a.success for a in audit_rows(db, "partner.update")] == [True, False, True]


def test_renaming_a_partner_updates_the_heading_and_the_list(
    qtbot: QtBot, db: Database, actor: Actor, desk: Partners
) -> None:
    tab = open_tab(qtbot, db, actor)
    open_partner(qtbot, tab, "Quiet Valley Orthopedics")
    assert tab.detail.figures.text().startswith("1 referral in the last 12 months · last received ")
    assert tab.detail.figures.text().endswith(" days ago)")  # 150, give or take a daylight-saving hour

    replace_text(qtbot, "Quiet Valley Orthopedics & Spine")  # the cursor is in the name
    press(qtbot, Qt.Key.Key_Tab)

    qtbot.waitUntil(lambda: tab.detail.title.text() == "Quiet Valley Orthopedics & Spine")
    qtbot.waitUntil(lambda: "Quiet Valley Orthopedics & Spine" in listed(tab))


def test_a_contact_is_added_from_the_keyboard_and_saved_field_by_field(
    qtbot: QtBot, db: Database, actor: Actor, desk: Partners
) -> None:
    tab = open_tab(qtbot, db, actor)
    open_partner(qtbot, tab, "Oak Street Primary Care")
    press(qtbot, Qt.Key.Key_F7)
    assert tab.detail.tabs.currentIndex() == TAB_CONTACTS
    assert tab.detail.tabs.tabText(TAB_CONTACTS) == "Contacts (0)"

    press(qtbot, Qt.Key.Key_A, ALT)  # Add contact
    contacts = tab.detail.contacts
    qtbot.waitUntil(contacts.fields.widget("name").hasFocus)
    assert contacts.hint.text() == "New contact: it is saved as soon as it has a name."
    type_text(qtbot, "Dana Whit")
    press(qtbot, Qt.Key.Key_Tab)  # leaving the name saves the contact
    qtbot.waitUntil(
        lambda: [c.name for c in partners.get_partner_detail(db, desk.oak).contacts] == ["Dana Whit"]
    )
    type_text(qtbot, "Office manager")
    press(qtbot, Qt.Key.Key_Tab)  # to "Decision maker"
    press(qtbot, Qt.Key.Key_Space)
    press(qtbot, Qt.Key.Key_Tab)  # to "Receives status updates"
    press(qtbot, Qt.Key.Key_Space)
    press(qtbot, Qt.Key.Key_Tab)  # to Phone
    type_text(qtbot, "555 201 4400 x12")
    press(qtbot, Qt.Key.Key_Tab)

    def saved() -> tuple[Any, ...]:
        [contact] = partners.get_partner_detail(db, desk.oak).contacts
        return contact.role, contact.decision_maker, contact.receives_updates, contact.phone

    qtbot.waitUntil(lambda: saved() == ("Office manager", True, True, "(555) 201-4400 x12"))
    qtbot.waitUntil(lambda: tab.detail.tabs.tabText(TAB_CONTACTS) == "Contacts (1)")
    model = contacts.model
    assert [model.data(model.index(0, column)) for column in range(4)] == [
        "Dana Whit",
        "Office manager",
        MARK,
        MARK,
    ]
    assert contacts.hint.text() == ""

    # A wrong email is explained at the field; Delete in the table, then Alt+Y, removes the contact.
    contacts.fields.widget("email").setFocus()
    type_text(qtbot, "dana at oak")
    press(qtbot, Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: "email" in contacts.fields.errors())
    contacts.table.setFocus()
    press(qtbot, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: tab.detail.prompt.prompt == "remove_contact")
    press(qtbot, Qt.Key.Key_Y, ALT)
    qtbot.waitUntil(lambda: partners.get_partner_detail(db, desk.oak).contacts == [])
    qtbot.waitUntil(lambda: tab.detail.tabs.tabText(TAB_CONTACTS) == "Contacts (0)")
    assert len(audit_rows(db, "partner_contact.remove")) == 1


def test_a_touch_is_logged_with_ctrl_enter_and_moves_the_next_touch_due(
    qtbot: QtBot, db: Database, actor: Actor, desk: Partners
) -> None:
    partners.update_partner(db, actor, desk.oak, {"outreach_cadence": OutreachCadence.QUARTERLY})
    tab = open_tab(qtbot, db, actor)
    open_partner(qtbot, tab, "Oak Street Primary Care")
    outreach = tab.detail.outreach
    assert outreach.next_touch.text() == "Never touched: due now (quarterly cadence)"

    press(qtbot, Qt.Key.Key_F8)
    qtbot.waitUntil(outreach.kind.hasFocus)
    press(qtbot, Qt.Key.Key_Tab)  # no kind chosen yet: Ctrl+Enter explains
    press(qtbot, Qt.Key.Key_Return, CTRL)
    assert outreach.errors() == {"kind": "Choose what kind of touch it was."}
    assert focused() is outreach.kind

    type_text(qtbot, "v")  # Visit
    press(qtbot, Qt.Key.Key_Tab)  # to the date: a future day is refused
    type_text(qtbot, format_date(local_today() + timedelta(days=3)))
    press(qtbot, Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: "at" in outreach.errors())
    assert "cannot be in the future" in outreach.errors()["at"]

    replace_text(qtbot, format_date(local_today() - timedelta(days=10)))
    press(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, "Lunch visit; left referral packets")
    press(qtbot, Qt.Key.Key_Return, CTRL)

    qtbot.waitUntil(lambda: outreach.model.rowCount() == 1)
    [touch] = partners.get_partner_detail(db, desk.oak).touches
    assert (touch.kind, touch.note, touch.staff_name) == (
        TouchKind.VISIT,
        "Lunch visit; left referral packets",
        "Maria Lopez",
    )
    assert outreach.model.data(outreach.model.index(0, 1)) == "Visit"
    assert outreach.errors() == {} and outreach.note.text() == "" and outreach.kind.hasFocus()
    assert outreach.next_touch.text().endswith("(quarterly cadence)")
    assert "due" in outreach.next_touch.text() and "overdue" not in outreach.next_touch.text()
    row = next(r for r in tab.view.model.rows() if r.id == desk.oak)
    qtbot.waitUntil(
        lambda: next(r for r in tab.view.model.rows() if r.id == desk.oak).last_touch_at is not None
    )
    assert row.outreach_cadence is OutreachCadence.QUARTERLY


def test_the_cadence_is_chosen_on_the_outreach_tab_and_saved_at_once(
    qtbot: QtBot, db: Database, actor: Actor, desk: Partners
) -> None:
    tab = open_tab(qtbot, db, actor)
    open_partner(qtbot, tab, "Quiet Valley Orthopedics")
    tab.detail.show_tab(TAB_OUTREACH)
    cadence = tab.detail.fields.widget("outreach_cadence")
    cadence.setFocus()
    qtbot.waitUntil(cadence.hasFocus)

    type_text(qtbot, "m")  # Monthly: a combo box takes its item's first letter
    qtbot.waitUntil(
        lambda: (
            partners.get_partner_detail(db, desk.quiet).partner.outreach_cadence is OutreachCadence.MONTHLY
        )
    )
    qtbot.waitUntil(
        lambda: tab.detail.outreach.next_touch.text() == "Never touched: due now (monthly cadence)"
    )
    row = tab.view.model.row_of(desk.quiet)
    assert row is not None
    qtbot.waitUntil(lambda: tab.view.model.data(tab.view.model.index(row, Column.NEXT_TOUCH)) == "Now")


def test_show_referrals_asks_for_the_queue_filtered_to_this_partner(
    qtbot: QtBot, db: Database, actor: Actor, desk: Partners
) -> None:
    tab = open_tab(qtbot, db, actor)
    open_partner(qtbot, tab, "Oak Street Primary Care")
    assert tab.detail.referrals_button.text() == "Show &referrals (2 open)"

    with qtbot.waitSignal(tab.open_partner_referrals) as asked:
        press(qtbot, Qt.Key.Key_R, ALT)
    assert asked.args == [desk.oak]


def test_the_list_and_the_detail_are_read_off_the_gui_thread(
    qtbot: QtBot, db: Database, actor: Actor, desk: Partners, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[threading.Thread] = []
    for name in ("list_partner_rows", "get_partner_detail"):
        original = getattr(partners, name)

        def spy(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            threads.append(threading.current_thread())
            return _original(*args, **kwargs)

        monkeypatch.setattr(partners, name, spy)
    runner = TaskRunner()
    tab = open_tab(qtbot, db, actor, runner)
    qtbot.waitUntil(lambda: len(listed(tab)) == 3)
    tab.view.table.setFocus()
    tab.view.table.selectRow(0)
    qtbot.waitUntil(lambda: tab.detail.title.text() == "Clínica José Núñez")
    runner.wait()

    assert len(threads) >= 2 and threading.main_thread() not in threads


def test_moving_the_updates_mark_to_another_contact_shows_at_once(
    qtbot: QtBot, db: Database, actor: Actor, desk: Partners
) -> None:
    partners.add_contact(db, actor, desk.oak, ContactData(name="Ana Lee", receives_updates=True))
    ben = partners.add_contact(db, actor, desk.oak, ContactData(name="Ben Cho", role="Physician"))
    tab = open_tab(qtbot, db, actor)
    open_partner(qtbot, tab, "Oak Street Primary Care")
    press(qtbot, Qt.Key.Key_F7)
    contacts = tab.detail.contacts
    qtbot.waitUntil(contacts.table.hasFocus)
    assert contacts.fields.widget("name").text() == "Ana Lee"  # type: ignore[attr-defined]

    press(qtbot, Qt.Key.Key_Down)
    assert contacts.fields.widget("name").text() == "Ben Cho"  # type: ignore[attr-defined]
    press(qtbot, Qt.Key.Key_Return)  # into Ben's fields
    assert contacts.fields.widget("name").hasFocus()
    for _ in range(3):
        press(qtbot, Qt.Key.Key_Tab)  # role, decision maker, receives status updates
    press(qtbot, Qt.Key.Key_Space)

    model = contacts.model
    qtbot.waitUntil(lambda: [model.data(model.index(row, 3)) for row in range(2)] == ["", MARK])
    marks = {c.id: c.receives_updates for c in partners.get_partner_detail(db, desk.oak).contacts}
    assert marks[ben] is True and sum(marks.values()) == 1
    assert contacts.fields.widget("name").text() == "Ben Cho"  # type: ignore[attr-defined]
