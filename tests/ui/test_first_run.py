"""The first run, as the person installing RefDesk meets it: an empty database opens a welcome, the
clinic's letterhead, response targets and service lines, then the first administrator; "Finish setup"
saves it all at once, and the last page opens what they want to do first. Exploring the demo instead
starts another RefDesk and leaves this database as it was. An existing clinic never sees any of it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QComboBox, QDialog, QFileDialog, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from refdesk.domain.models import AuditEvent, Partner, ServiceLine, Setting, Staff
from refdesk.domain.next_action import Targets
from refdesk.domain.vocab import StaffRole
from refdesk.services import accounts, catalog, service_lines, settings
from refdesk.storage import Database
from tests.ui.test_idle_lock import CLINIC, PASSWORD, FakeClock, tear_down
from tests.ui.test_session_signin import Expect, error_of, no_message_box, type_into
from ui.dialogs.new_referral import NewReferralDialog
from ui.imports.wizard import ImportWizard
from ui.session import controller as session_controller
from ui.session.controller import SessionController
from ui.session.first_run import (
    ADMIN,
    TARGETS,
    WHAT_NEXT,
    DemoNotStarted,
    FirstRunWizard,
)
from ui.session.first_run import CLINIC as CLINIC_PAGE
from ui.session.first_run_next import NO_LINE, AddPartnerDialog
from ui.session.signin import SignInDialog


class Demo:
    """Stands in for starting the demo RefDesk: counts the starts, or fails like a missing program."""

    def __init__(self, fails: bool = False) -> None:
        self.fails, self.started = fails, 0

    def __call__(self) -> None:
        if self.fails:
            raise DemoNotStarted("The demo could not be started (No such file or directory).")
        self.started += 1


@pytest.fixture
def demo() -> Demo:
    return Demo()


@pytest.fixture
def session(qtbot: QtBot, db: Database, tmp_path: Path, demo: Demo) -> Iterator[SessionController]:
    prefs = QSettings(str(tmp_path / "preferences.ini"), QSettings.Format.IniFormat)
    controller = SessionController(db, demo=False, preferences=prefs, clock=FakeClock(), launch_demo=demo)
    yield controller
    tear_down(controller)


@pytest.fixture
def wizard(qtbot: QtBot, db: Database, demo: Demo) -> Iterator[FirstRunWizard]:
    """The wizard on its own (not through ``exec``), shown and active, its stored start read."""
    shown = FirstRunWizard(db, launch_demo=demo)
    qtbot.addWidget(shown)
    shown.show()
    qtbot.waitExposed(shown)
    shown.activateWindow()
    qtbot.waitUntil(shown.isActiveWindow)
    yield shown
    qtbot.waitUntil(lambda: not shown.busy)


@pytest.fixture
def logo(tmp_path: Path) -> Path:
    path = tmp_path / "clinic-logo.png"
    image = QImage(120, 40, QImage.Format.Format_RGB32)
    image.fill(QColor("#1f6feb"))
    assert image.save(str(path), "PNG")
    return path


def press(qtbot: QtBot, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """A key pressed where the cursor is, as on a keyboard."""
    widget = QApplication.focusWidget()
    assert widget is not None
    qtbot.keyClick(widget, key, modifier)


def on_page(qtbot: QtBot, wizard: FirstRunWizard, page_id: int) -> None:
    qtbot.waitUntil(lambda: wizard.currentId() == page_id)


def table_counts(db: Database) -> dict[str, int]:
    with db.session() as session:
        return {
            model.__name__: int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (AuditEvent, Partner, ServiceLine, Setting, Staff)
        }


def fill_to_admin(
    qtbot: QtBot, wizard: FirstRunWizard, lines: tuple[str, ...] = ("Physical therapy",)
) -> None:
    """Through every page with valid values, up to Finish setup (the keyboard itself is tested above)."""
    qtbot.waitUntil(lambda: wizard.targets_page.fields["ack_hours"].text() != "")
    wizard.next()
    wizard.clinic_page.clinic.setText(CLINIC)
    wizard.next()
    for name in lines:
        wizard.targets_page.new_line.setText(name)
        assert wizard.targets_page.add_line()
    wizard.next()
    page = wizard.account_page
    page.full_name.setText("Maria Lopez")
    page.username.setText("maria")
    page.password.setText(PASSWORD)
    page.repeat.setText(PASSWORD)


def fill_quickly(
    qtbot: QtBot, wizard: FirstRunWizard, *, lines: tuple[str, ...] = ("Physical therapy",)
) -> None:
    """Through every page to "what next"."""
    fill_to_admin(qtbot, wizard, lines)
    wizard.next()
    on_page(qtbot, wizard, WHAT_NEXT)


# -- the whole way, with the keyboard ------------------------------------------------------------------------


def test_the_whole_first_run_with_the_keyboard_saves_the_clinic_and_opens_refdesk(
    qtbot: QtBot, db: Database, session: SessionController, logo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert accounts.needs_setup(db)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *_args: (str(logo), "")))
    seen: dict[str, object] = {}

    def set_up(dialog: QDialog) -> None:
        assert isinstance(dialog, FirstRunWizard)
        wizard = dialog
        qtbot.waitUntil(wizard.welcome_page.set_up.hasFocus)  # the cursor starts on the default choice
        assert wizard.welcome_page.set_up.isChecked()
        press(qtbot, Qt.Key.Key_Return)  # "Set up this clinic" is the default

        on_page(qtbot, wizard, CLINIC_PAGE)
        clinic = wizard.clinic_page
        assert clinic.clinic.hasFocus()
        qtbot.keyClicks(clinic.clinic, CLINIC)
        press(qtbot, Qt.Key.Key_Tab)
        assert clinic.address.hasFocus()
        qtbot.keyClicks(clinic.address, "12 River Road")
        press(qtbot, Qt.Key.Key_Return)  # a new line in the address, not the next page
        qtbot.keyClicks(clinic.address, "Springfield, IL 62704")
        assert wizard.currentId() == CLINIC_PAGE
        press(qtbot, Qt.Key.Key_Tab)
        qtbot.keyClicks(clinic.phone, "555 201 0000")
        press(qtbot, Qt.Key.Key_Tab)
        qtbot.keyClicks(clinic.fax, "555 201 0001")
        press(qtbot, Qt.Key.Key_H, Qt.KeyboardModifier.AltModifier)  # Choose logo…
        qtbot.waitUntil(lambda: clinic.logo.text() == logo.name)
        assert not clinic.preview.pixmap().isNull()  # the image itself is shown
        clinic.fax.setFocus()
        press(qtbot, Qt.Key.Key_Return)

        on_page(qtbot, wizard, TARGETS)
        targets = wizard.targets_page
        assert targets.fields["ack_hours"].hasFocus()
        assert targets.fields["ack_hours"].text() == str(Targets().ack_hours)  # the shipped default
        press(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        qtbot.keyClicks(targets.fields["ack_hours"], "4")
        press(qtbot, Qt.Key.Key_Tab)
        press(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        qtbot.keyClicks(targets.fields["first_contact_hours"], "12")
        press(qtbot, Qt.Key.Key_Tab)
        press(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        qtbot.keyClicks(targets.fields["max_attempts"], "5")
        press(qtbot, Qt.Key.Key_W, Qt.KeyboardModifier.AltModifier)  # New service line
        assert targets.new_line.hasFocus() and targets.new_line.text() == ""  # suggestions: placeholder only
        assert "Physical therapy" in targets.new_line.placeholderText()
        qtbot.keyClicks(targets.new_line, "Physical therapy")
        press(qtbot, Qt.Key.Key_Return)  # adds the line; the page stays
        assert wizard.currentId() == TARGETS and targets.new_lines == ("Physical therapy",)
        press(qtbot, Qt.Key.Key_Return)  # nothing typed: on to the next page

        on_page(qtbot, wizard, ADMIN)
        account = wizard.account_page
        assert account.full_name.hasFocus()
        qtbot.keyClicks(account.full_name, "Maria Lopez")
        press(qtbot, Qt.Key.Key_Tab)
        qtbot.keyClicks(account.username, "maria")
        press(qtbot, Qt.Key.Key_B, Qt.KeyboardModifier.AltModifier)  # Back, and forward again: nothing lost
        on_page(qtbot, wizard, TARGETS)
        assert targets.new_lines == ("Physical therapy",) and targets.fields["ack_hours"].text() == "4"
        press(qtbot, Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)
        on_page(qtbot, wizard, ADMIN)
        assert account.username.text() == "maria"
        account.password.setFocus()
        qtbot.keyClicks(account.password, PASSWORD)
        press(qtbot, Qt.Key.Key_Tab)
        qtbot.keyClicks(account.repeat, PASSWORD)
        assert accounts.needs_setup(db) and settings.letterhead(db).phone is None  # nothing saved yet
        press(qtbot, Qt.Key.Key_Return)  # Finish setup
        qtbot.waitUntil(lambda: not wizard.isEnabled() or not wizard.busy)
        seen["busy"] = wizard.busy and not wizard.isEnabled()
        cursor = QApplication.overrideCursor()
        seen["cursor"] = cursor.shape() if cursor is not None else None

        on_page(qtbot, wizard, WHAT_NEXT)
        assert wizard.isEnabled() and QApplication.overrideCursor() is None
        saved = wizard.next_page.saved.text()
        assert "administrator account" in saved and "logo" in saved and "Physical therapy" in saved
        assert wizard.next_page.not_saved.isHidden()
        assert not wizard.button(wizard.WizardButton.BackButton).isVisible()  # saved: no going back
        press(qtbot, Qt.Key.Key_J, Qt.KeyboardModifier.AltModifier)  # Just open RefDesk

    expected = Expect(FirstRunWizard, set_up)
    started = session.start()
    expected.check()
    assert started
    assert seen == {
        "busy": True,
        "cursor": Qt.CursorShape.WaitCursor,
    }  # hashed on a worker, the wizard waiting
    window = session.window
    assert window is not None and window.isVisible()
    assert window.windowTitle() == f"RefDesk — {CLINIC} — Maria Lopez"
    assert not any(isinstance(w, QDialog) and w.isVisible() for w in QApplication.topLevelWidgets())

    # Read back from the database.
    assert session.actor is not None and session.actor.role is StaffRole.ADMIN
    assert not accounts.needs_setup(db)
    assert accounts.sign_in(db, "maria", PASSWORD).staff_id == session.actor.staff_id
    head = settings.letterhead(db)
    assert head.clinic_name == CLINIC
    assert head.address_lines == ("12 River Road", "Springfield, IL 62704")
    assert head.phone == "(555) 201-0000" and head.fax == "(555) 201-0001"
    stored = settings.stored_logo(db)
    assert stored is not None and stored.file_name == logo.name and stored.data == logo.read_bytes()
    assert service_lines.default_targets(db) == Targets(4, 12, 5)
    [line] = service_lines.all_service_lines(db)
    assert (line.name, line.ack_target_hours, line.first_contact_target_hours, line.max_attempts) == (
        "Physical therapy",
        4,
        12,
        5,
    )  # the new line starts with the targets just set
    assert no_message_box()


# -- refusals ------------------------------------------------------------------------------------------------


def test_a_refused_value_stays_on_its_page_with_its_message_and_nothing_is_saved(
    qtbot: QtBot, db: Database, wizard: FirstRunWizard
) -> None:
    before = table_counts(db)
    press(qtbot, Qt.Key.Key_Return)
    on_page(qtbot, wizard, CLINIC_PAGE)
    clinic = wizard.clinic_page
    qtbot.keyClicks(clinic.phone, "12")
    clinic.clinic.setFocus()
    press(qtbot, Qt.Key.Key_Return)
    assert wizard.currentId() == CLINIC_PAGE
    assert error_of(clinic, "clinic_name") == "Clinic name is required."
    assert error_of(clinic, "phone") != ""  # the phone rule's own words
    assert clinic.clinic.hasFocus()  # the cursor goes to the first refused field
    type_into(qtbot, clinic.clinic, CLINIC)
    clinic.phone.clear()
    clinic.set_logo(str(Path(__file__)))  # not an image, whatever it is called
    qtbot.waitUntil(lambda: error_of(clinic, "logo") != "")
    assert "not a PNG, JPEG or GIF" in error_of(clinic, "logo") and clinic.logo_path is None
    clinic.clinic.setFocus()
    press(qtbot, Qt.Key.Key_Return)
    on_page(qtbot, wizard, TARGETS)

    targets = wizard.targets_page
    targets.fields["ack_hours"].setText("20")
    targets.fields["first_contact_hours"].setText("10")
    targets.fields["ack_hours"].setFocus()
    press(qtbot, Qt.Key.Key_Return)
    assert wizard.currentId() == TARGETS
    assert "First contact cannot be due before the acknowledgement" in error_of(
        targets, "first_contact_hours"
    )
    targets.fields["first_contact_hours"].setText("24")
    type_into(qtbot, targets.new_line, "Behavioral health intake")
    press(qtbot, Qt.Key.Key_Return)
    type_into(qtbot, targets.new_line, "behavioral  health INTAKE")
    press(qtbot, Qt.Key.Key_Return)
    assert error_of(targets, "name") == "behavioral health INTAKE is listed already."
    assert targets.new_lines == ("Behavioral health intake",) and targets.new_line.hasFocus()
    targets.new_line.clear()
    targets.fields["ack_hours"].setFocus()
    press(qtbot, Qt.Key.Key_Return)
    on_page(qtbot, wizard, ADMIN)

    account = wizard.account_page
    type_into(qtbot, account.full_name, "Maria Lopez")
    type_into(qtbot, account.username, "maria lopez")
    type_into(qtbot, account.password, "short")
    type_into(qtbot, account.repeat, "short")
    press(qtbot, Qt.Key.Key_Return)
    assert wizard.currentId() == ADMIN and not wizard.busy
    assert "no spaces" in error_of(account, "username")
    assert "at least 8" in error_of(account, "password")
    account.username.setText("maria")
    for field in (account.password, account.repeat):
        field.clear()
    type_into(qtbot, account.password, PASSWORD)
    type_into(qtbot, account.repeat, "something else")
    press(qtbot, Qt.Key.Key_Return)
    assert wizard.currentId() == ADMIN and "differ" in error_of(account, "repeat")
    assert account.repeat.text() == "" and account.repeat.hasFocus()
    assert table_counts(db) == before and accounts.needs_setup(db)  # nothing half-saved
    assert no_message_box()


def test_a_clinic_set_up_meanwhile_at_another_desk_is_said_and_nothing_more_is_saved(
    qtbot: QtBot, db: Database, wizard: FirstRunWizard
) -> None:
    fill_to_admin(qtbot, wizard)
    accounts.set_up_clinic(
        db, clinic_name="Elsewhere", username="old", full_name="Old Admin", password=PASSWORD
    )
    before = table_counts(db)
    wizard.next()
    assert wizard.busy
    qtbot.waitUntil(lambda: not wizard.busy)
    assert wizard.currentId() == ADMIN and wizard.isEnabled() and QApplication.overrideCursor() is None
    message = wizard.account_page.other_error.text()
    assert message == accounts.ALREADY_SET_UP
    counts = table_counts(db)
    assert counts["AuditEvent"] == before["AuditEvent"] + 1  # the refusal is audited ...
    assert {k: v for k, v in counts.items() if k != "AuditEvent"} == {
        k: v for k, v in before.items() if k != "AuditEvent"
    }  # ... and nothing else is written
    assert settings.clinic_name(db) == "Elsewhere"


def test_a_part_that_fails_after_the_administrator_exists_is_said_and_left_to_settings(
    qtbot: QtBot, db: Database, wizard: FirstRunWizard, logo: Path
) -> None:
    wizard.clinic_page.set_logo(str(logo))
    qtbot.waitUntil(lambda: wizard.clinic_page.logo_path is not None)
    logo.unlink()  # moved away between choosing it and Finish
    fill_quickly(qtbot, wizard)
    page = wizard.next_page
    assert page.not_saved.isVisible()
    assert page.not_saved.text() == (
        "Not saved: the logo (The logo file cannot be found). Set it in Settings → Clinic and letterhead."
    )
    assert "Physical therapy" in page.saved.text()  # the rest was saved
    assert not accounts.needs_setup(db) and settings.stored_logo(db) is None
    assert no_message_box()


# -- what next -----------------------------------------------------------------------------------------------


def finish_with(
    qtbot: QtBot,
    session: SessionController,
    choose: Callable[[FirstRunWizard], None],
    **fill: tuple[str, ...],
) -> bool:
    def act(dialog: QDialog) -> None:
        assert isinstance(dialog, FirstRunWizard)
        fill_quickly(qtbot, dialog, **fill)
        choose(dialog)

    expected = Expect(FirstRunWizard, act)
    started = session.start()
    expected.check()
    return started


def visible(kind: type[QWidget]) -> QWidget | None:
    return next((w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()), None)


def test_import_a_spreadsheet_opens_the_import_wizard_over_the_main_window(
    qtbot: QtBot, session: SessionController
) -> None:
    def choose(wizard: FirstRunWizard) -> None:
        press(qtbot, Qt.Key.Key_Return)  # the first button has the cursor

    assert finish_with(qtbot, session, choose)
    qtbot.waitUntil(lambda: visible(ImportWizard) is not None)
    importer = visible(ImportWizard)
    assert session.window is not None and importer is not None and importer.parentWidget() is session.window


def test_add_a_referral_without_any_partner_adds_the_partner_first(
    qtbot: QtBot, db: Database, session: SessionController
) -> None:
    def choose(wizard: FirstRunWizard) -> None:
        press(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)

    assert finish_with(qtbot, session, choose)
    qtbot.waitUntil(lambda: visible(AddPartnerDialog) is not None)
    dialog = visible(AddPartnerDialog)
    assert isinstance(dialog, AddPartnerDialog) and visible(NewReferralDialog) is None
    qtbot.waitUntil(dialog.name.hasFocus)
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: error_of(dialog, "name") != "")
    assert error_of(dialog, "name") == "Partner name is required." and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.name.height() >= dialog.name.minimumSizeHint().height())  # not squeezed
    qtbot.keyClicks(dialog.name, "Oak Street Primary Care")
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: visible(NewReferralDialog) is not None)
    assert [partner.name for partner in catalog.list_partners(db)] == ["Oak Street Primary Care"]
    form = visible(NewReferralDialog)
    assert isinstance(form, NewReferralDialog)
    picker = form.form.field("partner_id")
    assert isinstance(picker, QComboBox) and picker.findText("Oak Street Primary Care") >= 0  # ready to pick


def test_add_a_referral_with_a_partner_opens_new_referral_at_once(
    qtbot: QtBot, db: Database, session: SessionController, partner_id: int, service_line_id: int
) -> None:
    def choose(wizard: FirstRunWizard) -> None:
        assert wizard.targets_page.lines.count() == 1  # the line there already is listed ...
        assert wizard.next_page.referral_button.isEnabled()
        press(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)

    assert finish_with(qtbot, session, choose, lines=())
    qtbot.waitUntil(lambda: visible(NewReferralDialog) is not None)
    assert visible(AddPartnerDialog) is None
    assert [line.id for line in service_lines.all_service_lines(db)] == [service_line_id]  # ... and kept


def test_add_a_referral_waits_for_a_service_line(qtbot: QtBot, session: SessionController) -> None:
    def choose(wizard: FirstRunWizard) -> None:
        button = wizard.next_page.referral_button
        assert not button.isEnabled() and button.description() == NO_LINE
        press(qtbot, Qt.Key.Key_J, Qt.KeyboardModifier.AltModifier)

    assert finish_with(qtbot, session, choose, lines=())
    assert session.window is not None and session.window.isVisible()
    assert visible(NewReferralDialog) is None and visible(AddPartnerDialog) is None


def test_escape_on_the_last_page_still_opens_refdesk_as_the_new_administrator(
    qtbot: QtBot, session: SessionController
) -> None:
    def choose(wizard: FirstRunWizard) -> None:
        press(qtbot, Qt.Key.Key_Escape)

    assert finish_with(qtbot, session, choose)
    assert session.window is not None and session.actor is not None and session.actor.username == "maria"


# -- the demo ------------------------------------------------------------------------------------------------


def test_explore_with_demo_data_starts_the_demo_and_leaves_this_database_untouched(
    qtbot: QtBot, db: Database, session: SessionController, demo: Demo
) -> None:
    before = table_counts(db)

    def explore(dialog: QDialog) -> None:
        assert isinstance(dialog, FirstRunWizard)
        qtbot.waitUntil(dialog.welcome_page.set_up.hasFocus)
        press(qtbot, Qt.Key.Key_E, Qt.KeyboardModifier.AltModifier)
        qtbot.waitUntil(dialog.welcome_page.demo.isChecked)
        assert dialog.button(dialog.WizardButton.NextButton).text() == "Open the &demo"
        press(qtbot, Qt.Key.Key_Return)

    expected = Expect(FirstRunWizard, explore)
    assert session.start() is False  # this RefDesk quits; the demo one takes over
    expected.check()
    assert demo.started == 1
    assert session.window is None and session.actor is None
    assert table_counts(db) == before and accounts.needs_setup(db)  # the welcome comes back next time


# -- an existing clinic --------------------------------------------------------------------------------------


def test_an_existing_clinic_never_shows_the_welcome(
    qtbot: QtBot, db: Database, session: SessionController, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts.set_up_clinic(
        db, clinic_name=CLINIC, username="maria", full_name="Maria Lopez", password=PASSWORD
    )
    made: list[object] = []
    monkeypatch.setattr(session_controller, "FirstRunWizard", lambda *args, **kwargs: made.append(args))
    cancel = Expect(SignInDialog, lambda dialog: dialog.reject())
    assert session.start() is False
    cancel.check()
    assert made == []
