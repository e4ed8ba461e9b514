"""The main window as the front desk uses it all day: a referral taken from the phone to closed without
the mouse, the queue narrowed by search, counts in the status bar, preferences kept between runs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QObject, QSettings, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QCheckBox, QLabel, QTableWidget, QWidget
from pytestqt.qtbot import QtBot

from refdesk.domain.lifecycle import CloseReason, State
from refdesk.domain.vocab import AttemptOutcome, PartnerCategory
from refdesk.services import accounts, security_settings
from refdesk.services.actor import Actor
from refdesk.services.catalog import NewPartner, create_partner
from refdesk.services.referrals import NewReferral, create_referral, get_referral
from refdesk.services.timeline import referral_timeline
from refdesk.storage import Database
from tests.ui.keyboard import fill, minimal, press, type_text
from ui.detail.keys import shortcut_help
from ui.dialogs.book_appointment import BookAppointmentDialog
from ui.dialogs.close_referral import CloseReferralDialog
from ui.dialogs.new_referral import NewReferralDialog
from ui.dialogs.shortcuts import ShortcutsDialog
from ui.main_window import MainWindow
from ui.session.password import PasswordDialog
from ui.settings.dialog import SettingsDialog
from ui.settings.idle_page import IdleLockPage
from ui.widgets.dates import format_date

ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def prefs(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "preferences.ini"), QSettings.Format.IniFormat)


def open_window(
    qtbot: QtBot, db: Database, actor: Actor, prefs: QSettings, *, demo: bool = False
) -> MainWindow:
    window = MainWindow(db, actor, demo=demo, preferences=prefs)
    qtbot.addWidget(window)
    with qtbot.waitExposed(window):
        window.show()
    window.activateWindow()
    return window


@pytest.fixture
def window(
    qtbot: QtBot, db: Database, actor: Actor, prefs: QSettings, partner_id: int, service_line_id: int
) -> Iterator[MainWindow]:
    yield open_window(qtbot, db, actor, prefs)


def status_text(window: MainWindow) -> str:
    label = window.findChild(QLabel, "statusCounts")
    assert label is not None
    return label.text()


def shown_state(window: MainWindow) -> str:
    badge = window.detail.findChild(QLabel, "stateBadge")
    assert badge is not None
    return badge.text()


def test_an_empty_database_says_what_to_do(qtbot: QtBot, window: MainWindow) -> None:
    assert window.windowTitle() == "RefDesk — Maria Lopez"  # who is signed in; no clinic name yet
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == list(MainWindow.TABS)
    press_on(qtbot, window, Qt.Key.Key_2, CTRL)
    assert window.tabs.currentIndex() == 1
    empty = window.queue.findChild(QLabel, "emptyState")
    qtbot.waitUntil(lambda: empty is not None and empty.isVisible())
    assert "No referrals yet — New referral (Ctrl+N)" in empty.text()
    qtbot.waitUntil(lambda: status_text(window).startswith("Open 0"))


def test_the_demo_database_is_marked(qtbot: QtBot, db: Database, actor: Actor, prefs: QSettings) -> None:
    window = open_window(qtbot, db, actor, prefs, demo=True)
    assert window.windowTitle().endswith("DEMO")
    banner = window.findChild(QLabel, "demoBanner")
    assert banner is not None and banner.isVisible() and "synthetic" in banner.text()


def press_on(qtbot: QtBot, window: MainWindow, key: Qt.Key, modifier: Qt.KeyboardModifier) -> None:
    target = QApplication.focusWidget() or window
    qtbot.keyClick(target, key, modifier)


def test_a_referral_from_phone_call_to_closed_by_keyboard(
    qtbot: QtBot, window: MainWindow, db: Database, referral_id: int
) -> None:
    # A second referral for the same patient comes in: Ctrl+N, type it, Ctrl+S.
    press_on(qtbot, window, Qt.Key.Key_N, CTRL)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), NewReferralDialog))
    dialog = QApplication.activeModalWidget()
    assert isinstance(dialog, NewReferralDialog)
    qtbot.waitUntil(lambda: dialog.form.field("patient_first_name").hasFocus())
    fill(qtbot, dialog.form, minimal(first="Zoë", last="Nguyễn", dob="04/02/1958", phone="555 777 0101"))
    press(qtbot, Qt.Key.Key_S, CTRL)

    # The duplicate warning shows the earlier referral; the caller says it is a new problem.
    qtbot.waitUntil(dialog.duplicates.isVisible)
    assert "same name and date of birth" in " ".join(
        label.text() for label in dialog.duplicates.findChildren(QLabel) if label.isVisible()
    )
    dialog.duplicates.reason.setFocus()
    type_text(qtbot, "Different problem: shoulder")
    with qtbot.waitSignal(dialog.referral_created) as created:
        qtbot.mouseClick(
            dialog.duplicates.findChild(type(dialog.save_button), "saveAnyway"), Qt.MouseButton.LeftButton
        )
    new_id = created.args[0]

    # The window opens it in the Queue tab's detail panel.
    qtbot.waitUntil(lambda: window.detail.referral_id == new_id and shown_state(window) == "Received")
    assert window.tabs.currentIndex() == window.TABS.index("Queue")
    qtbot.waitUntil(lambda: window.queue.current_referral_id() == new_id)

    # Three calls: no answer, voicemail, reached (Alt+1, Alt+2, Alt+3), with the focus in the detail.
    # (A window manager gives the window back its activation when the dialog closes; offscreen, we do.)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.detail.focus_work()
    qtbot.waitUntil(lambda: window.detail.isAncestorOf(QApplication.focusWidget()))
    for key in (Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_3):
        with qtbot.waitSignal(window.detail.changed):
            press(qtbot, key, ALT)
    qtbot.waitUntil(lambda: shown_state(window) == "Reached")

    # Schedule (Alt+S): type the appointment (date, Tab, time, Tab, provider) and book it (Ctrl+S), past
    # the intake items with a reason when they block; then the patient calls to say they are seen
    # elsewhere (Alt+W, pick the reason).
    press(qtbot, Qt.Key.Key_S, ALT)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), BookAppointmentDialog))
    booking = QApplication.activeModalWidget()
    assert isinstance(booking, BookAppointmentDialog)
    qtbot.waitUntil(booking.when.date_edit.hasFocus)
    for text in (format_date(date.today() + timedelta(days=7)), "10:00 AM", "Dr Lee"):
        type_text(qtbot, text)
        press(qtbot, Qt.Key.Key_Tab)
    with qtbot.waitSignal(window.detail.changed):
        if booking.gate.isVisible():
            press(qtbot, Qt.Key.Key_A, ALT)
            type_text(qtbot, "Intake finished on paper\n")
        else:
            press(qtbot, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: shown_state(window) == "Scheduled")
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    qtbot.waitUntil(lambda: window.detail.isAncestorOf(QApplication.focusWidget()))
    press(qtbot, Qt.Key.Key_W, ALT)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), CloseReferralDialog))
    close_dialog = QApplication.activeModalWidget()
    assert isinstance(close_dialog, CloseReferralDialog)
    assert close_dialog.reason() is CloseReason.SEEN_ELSEWHERE
    with qtbot.waitSignal(window.detail.changed):
        qtbot.mouseClick(
            close_dialog.findChild(type(dialog.save_button), "closeConfirm"), Qt.MouseButton.LeftButton
        )
    qtbot.waitUntil(lambda: shown_state(window) == "Seen elsewhere")

    referral = get_referral(db, new_id)
    assert referral.state is State.SEEN_ELSEWHERE and referral.close_reason is CloseReason.SEEN_ELSEWHERE
    assert referral.attempt_count == 3
    history = referral_timeline(db, new_id)
    assert [e.outcome for e in history if e.outcome is not None] == [
        AttemptOutcome.REACHED,
        AttemptOutcome.LEFT_VOICEMAIL,
        AttemptOutcome.NO_ANSWER,
    ]
    assert [e.to_state for e in history if e.to_state is not None][:3] == [
        State.SEEN_ELSEWHERE,
        State.SCHEDULED,
        State.REACHED,
    ]
    # The row stays where it is, showing its new state, so the list does not jump under the cursor...
    row = window.queue.model.row_of(new_id)
    assert row is not None
    qtbot.waitUntil(
        lambda: (r := window.queue.model.row_at(row)) is not None and r.state is State.SEEN_ELSEWHERE
    )
    qtbot.waitUntil(lambda: status_text(window).startswith("Open 1"))
    # ...and leaves the open queue on refresh (F5); the earlier referral is still there.
    press_on(qtbot, window, Qt.Key.Key_F5, Qt.KeyboardModifier.NoModifier)
    qtbot.waitUntil(lambda: window.queue.model.row_of(new_id) is None and window.queue.model.rowCount() == 1)


def test_search_narrows_the_queue(
    qtbot: QtBot, window: MainWindow, db: Database, actor: Actor, new_referral: NewReferral, referral_id: int
) -> None:
    from dataclasses import replace

    create_referral(db, actor, replace(new_referral, patient_first_name="Ana", patient_last_name="Ribeiro",
                                       phone="555 318 2290"))  # fmt: skip
    window.refresh_all()
    qtbot.waitUntil(lambda: window.queue.model.rowCount() == 2)
    press_on(qtbot, window, Qt.Key.Key_F, CTRL)
    qtbot.waitUntil(
        lambda: window.queue.filter_bar.findChild(type(window.queue.filter_bar), "") is None or True
    )
    type_text(qtbot, "ribei")
    qtbot.waitUntil(lambda: window.queue.model.rowCount() == 1)
    row = window.queue.model.row_at(0)
    assert row is not None and row.patient_last_name == "Ribeiro"


def test_preferences_are_kept_between_runs(
    qtbot: QtBot, db: Database, actor: Actor, prefs: QSettings, partner_id: int
) -> None:
    first = open_window(qtbot, db, actor, prefs)
    first.show_tab(first.TABS.index("Queue"))
    overdue = first.queue.filter_bar.findChild(QCheckBox, "overdueOnly")
    assert overdue is not None
    qtbot.mouseClick(overdue, Qt.MouseButton.LeftButton)
    assert first.queue.filter_bar.filter().overdue_only
    first.close()
    second = open_window(qtbot, db, actor, prefs)
    assert second.tabs.currentIndex() == second.TABS.index("Queue")
    assert second.queue.filter_bar.filter().overdue_only


def test_the_shortcuts_help_lists_the_window_and_the_detail_keys(qtbot: QtBot) -> None:
    dialog = ShortcutsDialog()
    qtbot.addWidget(dialog)
    grid = dialog.findChild(QTableWidget, "shortcutsTable")
    assert grid is not None
    rows = {(grid.item(r, 1).text(), grid.item(r, 2).text()) for r in range(grid.rowCount())}
    assert ("New referral…", "Ctrl+N") in rows and ("Search the queue", "Ctrl+F") in rows
    assert any(keys == "Alt+1" and "no answer" in text for text, keys in rows)
    assert any(keys == "Alt+W" and "Seen elsewhere" in text for text, keys in rows)


def test_no_menu_takes_an_alt_key_the_referral_detail_uses(window: MainWindow) -> None:
    """A menu's Alt+letter wins over the detail's buttons: "&Settings" once swallowed Alt+S (Book)."""
    detail_keys = {keys.removeprefix("Alt+") for keys, _text in shortcut_help() if keys.startswith("Alt+")}
    menu_keys = {
        action.text()[action.text().index("&") + 1].upper()
        for action in window.menuBar().actions()
        if "&" in action.text()
    }
    assert len(menu_keys) == len(window.menuBar().actions())
    assert not menu_keys & detail_keys, f"menus take {sorted(menu_keys & detail_keys)}"


def test_a_partners_referrals_open_in_the_queue_filtered_to_it(
    qtbot: QtBot, window: MainWindow, db: Database, actor: Actor, partner_id: int, referral_id: int
) -> None:
    lakeview = NewPartner(name="Lakeview Pediatrics", category=PartnerCategory.PRIMARY_CARE)
    other = create_partner(db, actor, lakeview)
    assert not window.partners_page.built  # built when first shown: start-up does not pay for it
    press(qtbot, Qt.Key.Key_3, CTRL)
    qtbot.waitUntil(lambda: window.partners_page.built and window.partners.isVisible())

    # Ctrl+F on the Partners tab searches partners, not the queue.
    press(qtbot, Qt.Key.Key_F, CTRL)
    assert window.partners.isAncestorOf(QApplication.focusWidget())

    window.partners.open_partner_referrals.emit(other)
    assert window.tabs.currentIndex() == window.TABS.index("Queue")
    assert window.queue.filter_bar.filter().partner_ids == frozenset({other})
    qtbot.waitUntil(lambda: window.queue.model.rowCount() == 0)  # the referral is Oak Street's

    window.partners.open_partner_referrals.emit(partner_id)
    qtbot.waitUntil(lambda: window.queue.model.rowCount() == 1)
    assert window.queue.current_referral_id() in (None, referral_id)


class _WindowsShown(QObject):
    """Counts top-level windows shown other than the main window (a parentless widget shown too early
    flashes as a window of its own and takes the keyboard from the desk)."""

    def __init__(self, main: QWidget) -> None:
        super().__init__()
        self.main = main
        self.names: list[str] = []

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        window = isinstance(watched, QWidget) and watched.isWindow() and watched is not self.main
        if event.type() == QEvent.Type.Show and window and watched.windowType() != Qt.WindowType.Popup:
            self.names.append(f"{type(watched).__name__} {watched.objectName()}")
        return False


def test_opening_every_tab_and_a_referral_flashes_no_stray_window_and_keeps_the_keyboard(
    qtbot: QtBot, window: MainWindow, referral_id: int
) -> None:
    shown = _WindowsShown(window)
    QApplication.instance().installEventFilter(shown)
    try:
        for key, name in ((Qt.Key.Key_3, "Partners"), (Qt.Key.Key_4, "Reports"), (Qt.Key.Key_1, "Today")):
            press(qtbot, key, CTRL)
            qtbot.waitUntil(lambda name=name: window.tabs.tabText(window.tabs.currentIndex()) == name)
            QApplication.processEvents()
            assert window.isActiveWindow() and QApplication.focusWidget() is not None, name
        window.open_referral(referral_id)
        qtbot.waitUntil(lambda: window.detail.referral_id == referral_id)
        QApplication.processEvents()
    finally:
        QApplication.instance().removeEventFilter(shown)
    assert shown.names == []
    assert window.isActiveWindow()


def test_file_import_opens_the_wizard_and_an_import_refreshes_the_window(
    qtbot: QtBot, window: MainWindow, db: Database, referral_id: int
) -> None:
    from ui.imports.wizard import ImportWizard

    press(qtbot, Qt.Key.Key_I, CTRL)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), ImportWizard))
    wizard = QApplication.activeModalWidget()
    assert isinstance(wizard, ImportWizard)
    wizard.imported.emit(3)
    assert "3 imported." in window.statusBar().currentMessage()
    wizard.reject()


@pytest.fixture
def admin(db: Database, actor: Actor) -> Actor:
    """Maria sets up the clinic: an administrator with a password."""
    return accounts.set_up_clinic(
        db, clinic_name="Riverside Community Clinic", username=actor.username, full_name="Maria Lopez",
        password="river-stone-42",
    )  # fmt: skip


def test_the_title_names_the_clinic_and_who_is_signed_in_never_a_patient(
    qtbot: QtBot, db: Database, admin: Actor, prefs: QSettings, referral_id: int
) -> None:
    window = open_window(qtbot, db, admin, prefs, demo=True)
    title = "RefDesk — Riverside Community Clinic — Maria Lopez — DEMO"
    assert window.windowTitle() == title
    window.open_referral(referral_id)
    qtbot.waitUntil(lambda: window.detail.referral_id == referral_id)
    assert window.windowTitle() == title


def test_the_file_menu_locks_switches_user_and_changes_my_password(
    qtbot: QtBot, db: Database, admin: Actor, prefs: QSettings
) -> None:
    window = open_window(qtbot, db, admin, prefs)
    with qtbot.waitSignal(window.lock_requested):
        press_on(qtbot, window, Qt.Key.Key_L, CTRL)
    switch = window.findChild(QAction, "fileSwitchUser")
    assert switch is not None
    with qtbot.waitSignal(window.switch_user_requested):
        switch.trigger()

    change = window.findChild(QAction, "fileChangePassword")
    assert change is not None
    change.trigger()
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), PasswordDialog))
    dialog = QApplication.activeModalWidget()
    assert isinstance(dialog, PasswordDialog)
    for field, text in (
        (dialog.old, "not-it-at-all"),
        (dialog.new, "a-new-one-2027"),
        (dialog.repeat, "a-new-one-2027"),
    ):
        field.setFocus()
        qtbot.keyClicks(field, text)
    qtbot.keyClick(dialog.repeat, Qt.Key.Key_Return)
    assert dialog.isVisible() and dialog.errors.text("old") == "That is not your current password."
    dialog.old.clear()
    qtbot.keyClicks(dialog.old, "river-stone-42")
    with qtbot.waitSignal(dialog.accepted):
        qtbot.keyClick(dialog.old, Qt.Key.Key_Return)
    assert "password is changed" in window.statusBar().currentMessage()
    assert accounts.sign_in(db, admin.username, "a-new-one-2027").staff_id == admin.staff_id


def test_only_an_administrator_has_staff_audit_backups_and_the_automatic_lock(
    qtbot: QtBot, db: Database, actor: Actor, prefs: QSettings
) -> None:
    names = ("settingsStaff", "settingsAudit", "settingsBackups", "settingsIdleLock")
    front_desk = open_window(qtbot, db, actor, prefs)
    assert [n for n in names if front_desk.findChild(QAction, n) is not None] == []
    front_desk.close()
    admin = accounts.set_up_clinic(
        db,
        clinic_name="Riverside",
        username=actor.username,
        full_name="Maria Lopez",
        password="river-stone-42",
    )
    window = open_window(qtbot, db, admin, prefs)
    assert [n for n in names if window.findChild(QAction, n) is not None] == list(names)

    lock_entry = window.findChild(QAction, "settingsIdleLock")
    assert lock_entry is not None
    lock_entry.trigger()
    dialog = window.findChild(SettingsDialog)
    assert dialog is not None and dialog.current_key() == "idle_lock"
    page = dialog.page("idle_lock")
    assert isinstance(page, IdleLockPage)
    qtbot.waitUntil(page.minutes.isEnabled)
    page.minutes.setValue(12)
    with qtbot.waitSignal(window.idle_minutes_changed) as changed:
        page.minutes.editingFinished.emit()
    assert changed.args == [12] and security_settings.idle_minutes(db) == 12


def test_a_locked_window_shows_a_blank_page_and_comes_back_as_it_was(
    qtbot: QtBot, window: MainWindow, referral_id: int
) -> None:
    window.open_referral(referral_id)
    qtbot.waitUntil(lambda: window.detail.referral_id == referral_id)
    title = window.windowTitle()
    window.set_locked(True)
    assert window.windowTitle() == "RefDesk — Locked" and not window.menuBar().isEnabled()
    assert not window.tabs.isVisible() and not window.detail.isVisible()
    locked_page = window.findChild(QWidget, "lockedPage")
    assert locked_page is not None and locked_page.isVisible()
    window.set_locked(False)
    assert window.windowTitle() == title and window.menuBar().isEnabled()
    assert window.detail.isVisible() and window.detail.referral_id == referral_id


def test_an_administrator_deletes_the_open_referral_from_the_file_menu_and_nothing_of_it_stays(
    qtbot: QtBot, db: Database, admin: Actor, prefs: QSettings, referral_id: int
) -> None:
    from refdesk.domain.formats import referral_number
    from refdesk.domain.models import Referral
    from ui.dialogs.delete_referral import DeleteReferralDialog

    window = open_window(qtbot, db, admin, prefs)
    window.open_referral(referral_id)
    qtbot.waitUntil(lambda: window.detail.referral_id == referral_id)
    action = window.findChild(QAction, "fileDeleteReferral")
    assert action is not None
    action.trigger()
    qtbot.waitUntil(lambda: window.findChild(DeleteReferralDialog) is not None)
    dialog = window.findChild(DeleteReferralDialog)
    assert dialog is not None
    dialog.reason.setText("Entered twice")
    dialog.confirm.setText(referral_number(referral_id))
    qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.detail.isHidden())
    with db.session() as session:
        assert session.get(Referral, referral_id) is None
    assert "deleted" in window.statusBar().currentMessage()


def test_only_an_administrator_has_the_delete_entry(
    qtbot: QtBot, db: Database, actor: Actor, prefs: QSettings
) -> None:
    window = open_window(qtbot, db, actor, prefs)
    assert window.findChild(QAction, "fileDeleteReferral") is None
