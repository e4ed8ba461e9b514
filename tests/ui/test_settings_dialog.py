"""Settings in one dialog, as the clinic's staff use it: who sees which page, moving between pages from
the keyboard, and each page's edits read back from the database once the field is left."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QLabel, QLineEdit, QMessageBox, QWidget
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from refdesk.domain.next_action import Targets
from refdesk.domain.vocab import StaffRole
from refdesk.services import intake, security_settings, settings
from refdesk.services.actor import Actor, ensure_staff
from refdesk.services.catalog import NewServiceLine, create_service_line, list_service_lines
from refdesk.services.service_lines import LineRecord, all_service_lines, default_targets, get_service_line
from refdesk.storage import Database
from tests.ui.keyboard import activate, focused, press, replace_text, type_text
from ui.dialogs.intake_scripts import IntakeScriptsPage
from ui.dialogs.letterhead import LetterheadPage
from ui.settings.dialog import SettingsDialog
from ui.settings.embed import DialogPage
from ui.settings.idle_page import IdleLockPage
from ui.settings.lines_model import ServiceLinesModel
from ui.settings.lines_page import ServiceLinesPage
from ui.settings.registry import EVERYONE, UNAVAILABLE, PageSpec, dialog_page
from ui.settings.targets_page import TargetsPage
from ui.tasks import InlineRunner

CTRL = Qt.KeyboardModifier.ControlModifier
ALL_PAGES = [
    "letterhead",
    "targets",
    "service_lines",
    "intake_scripts",
    "idle_lock",
    "backups",
    "staff",
    "audit_log",
]

Opener = Callable[..., SettingsDialog]


@pytest.fixture
def admin(db: Database) -> Actor:
    return ensure_staff(db, "ana", "Ana Admin", StaffRole.ADMIN)


@pytest.fixture
def coordinator(db: Database) -> Actor:
    return ensure_staff(db, "cole", "Cole Coordinator", StaffRole.COORDINATOR)


@pytest.fixture
def open_settings(qtbot: QtBot, db: Database) -> Iterator[Opener]:
    """Open Settings as ``actor`` (at ``page``), shown and active, with work run inline."""

    def open_(actor: Actor, page: str | None = None, pages: list[PageSpec] | None = None) -> SettingsDialog:
        dialog = SettingsDialog(db, actor, page=page, runner=InlineRunner(), pages=pages)
        qtbot.addWidget(dialog)
        activate(qtbot, dialog)
        return dialog

    yield open_


def into(qtbot: QtBot, widget: QWidget) -> None:
    """Put the cursor in ``widget`` as a click would."""
    widget.setFocus(Qt.FocusReason.MouseFocusReason)
    qtbot.waitUntil(widget.hasFocus)


def edit(qtbot: QtBot, widget: QWidget, text: str) -> None:
    """Type over the field's text and leave it with Tab (which saves it)."""
    into(qtbot, widget)
    replace_text(qtbot, text)
    press(qtbot, Qt.Key.Key_Tab)


def error_under(widget: QWidget) -> str:
    """The message shown under a field (its ``fieldError`` label), "" when none."""
    box = widget.parentWidget()
    assert box is not None
    labels = [label for label in box.findChildren(QLabel, "fieldError") if not label.isHidden()]
    return labels[0].text() if labels else ""


def saved_said(dialog: SettingsDialog) -> bool:
    return dialog.status.isVisibleTo(dialog) and dialog.status.text().startswith("Saved at")


# -- who sees what ---------------------------------------------------------------------------------------


def test_each_role_sees_only_its_pages_and_front_desk_none_of_the_admin_ones(
    open_settings: Opener, actor: Actor, coordinator: Actor, admin: Actor
) -> None:
    assert open_settings(admin).keys() == ALL_PAGES
    assert open_settings(coordinator).keys() == ["letterhead", "targets", "service_lines", "intake_scripts"]
    front_desk = open_settings(actor)
    assert front_desk.keys() == ["targets", "service_lines"]
    assert [front_desk.page_list.item(row).text() for row in range(2)] == [
        "Response targets",
        "Service lines",
    ]
    # a page the role does not see cannot be opened by key either
    assert not front_desk.show_page("staff")
    assert open_settings(actor, page="letterhead").current_key() == "targets"


def test_front_desk_reads_targets_and_service_lines_but_cannot_change_them(
    qtbot: QtBot, open_settings: Opener, actor: Actor, db: Database, service_line_id: int
) -> None:
    dialog = open_settings(actor, page="service_lines")
    page = dialog.page("service_lines")
    assert isinstance(page, ServiceLinesPage)
    assert page.note.text() == "Only an administrator or a coordinator can change service lines."
    assert not page.add_button.isVisibleTo(page) and not page.toggle_button.isVisibleTo(page)
    name = page.fields.widget("name")
    assert isinstance(name, QLineEdit) and name.text() == "Physical therapy" and name.isReadOnly()
    into(qtbot, name)
    type_text(qtbot, " and more")
    press(qtbot, Qt.Key.Key_Tab)
    assert get_service_line(db, service_line_id).name == "Physical therapy"

    assert dialog.show_page("targets")
    targets = dialog.page("targets")
    assert isinstance(targets, TargetsPage)
    assert targets.note.isVisibleTo(targets)
    assert all(targets.fields.widget(name).isReadOnly() for name in targets.fields.names)  # type: ignore[attr-defined]


# -- moving between pages ---------------------------------------------------------------------------------


def test_the_keyboard_moves_between_pages_and_escape_closes(
    qtbot: QtBot, open_settings: Opener, admin: Actor, service_line_id: int
) -> None:
    dialog = open_settings(admin)
    assert dialog.current_key() == "letterhead" and dialog.page_list.hasFocus()

    press(qtbot, Qt.Key.Key_Down)
    assert dialog.current_key() == "targets"
    assert isinstance(dialog.stack.currentWidget().findChild(TargetsPage), TargetsPage)

    # from inside a page: Ctrl+PgDown / Ctrl+PgUp
    targets = dialog.page("targets")
    assert isinstance(targets, TargetsPage)
    into(qtbot, targets.fields.widget("ack_hours"))
    press(qtbot, Qt.Key.Key_PageDown, CTRL)
    assert dialog.current_key() == "service_lines"
    press(qtbot, Qt.Key.Key_PageUp, CTRL)
    press(qtbot, Qt.Key.Key_PageUp, CTRL)
    assert dialog.current_key() == "letterhead"
    press(qtbot, Qt.Key.Key_PageUp, CTRL)  # round to the last
    assert dialog.current_key() == "audit_log"

    # a page's first letter in the list; the same letter again goes on to the next page with it
    into(qtbot, dialog.page_list)
    type_text(qtbot, "i")
    assert dialog.current_key() == "intake_scripts"
    type_text(qtbot, "i")
    assert dialog.current_key() == "idle_lock"
    type_text(qtbot, "S")
    assert dialog.current_key() == "staff"

    with qtbot.waitSignal(dialog.rejected):
        press(qtbot, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_an_unavailable_page_says_so_plainly(open_settings: Opener, admin: Actor) -> None:
    pages = [PageSpec("missing", "Missing", dialog_page("ui.no_such_module", "NoSuchDialog"), EVERYONE)]
    dialog = open_settings(admin, pages=pages)
    page = dialog.page("missing")
    assert page is not None
    label = page.findChild(QLabel, "pageUnavailableText")
    assert isinstance(label, QLabel) and label.text() == UNAVAILABLE


# -- clinic and letterhead --------------------------------------------------------------------------------


def test_the_letterhead_page_saves_each_field_on_leaving_it_and_shows_a_refusal_beside_it(
    qtbot: QtBot, open_settings: Opener, coordinator: Actor, db: Database
) -> None:
    dialog = open_settings(coordinator, page="letterhead")
    page = dialog.page("letterhead")
    assert isinstance(page, LetterheadPage)

    edit(qtbot, page.name, "Riverside Clinic")
    assert settings.clinic_name(db) == "Riverside Clinic"
    assert saved_said(dialog)

    edit(qtbot, page.phone, "555-1234")
    assert "area code" in page.error_text(settings.CLINIC_PHONE)
    assert settings.letterhead(db).phone is None
    edit(qtbot, page.phone, "555 201 0000")
    assert page.error_text(settings.CLINIC_PHONE) == ""
    assert settings.letterhead(db).phone == "(555) 201-0000"


# -- response targets -------------------------------------------------------------------------------------


def test_the_default_targets_are_saved_on_leaving_a_field_and_refused_beside_it(
    qtbot: QtBot, open_settings: Opener, coordinator: Actor, db: Database
) -> None:
    dialog = open_settings(coordinator, page="targets")
    page = dialog.page("targets")
    assert isinstance(page, TargetsPage)
    ack, first = page.fields.widget("ack_hours"), page.fields.widget("first_contact_hours")
    assert (ack.text(), first.text()) == ("8", "16")  # type: ignore[attr-defined]
    assert "Monday to Friday, 08:00 to 17:00" in page.findChild(QLabel, "targetsHours").text()  # type: ignore[union-attr]

    edit(qtbot, ack, "4")
    assert default_targets(db) == Targets(4, 16, 3)
    assert saved_said(dialog)

    edit(qtbot, first, "2")
    assert error_under(first) == "First contact cannot be due before the acknowledgement (4 hours)."
    assert default_targets(db) == Targets(4, 16, 3)
    edit(qtbot, first, "")
    assert error_under(first) == "The first contact target is required."
    edit(qtbot, first, "12")
    assert error_under(first) == ""
    assert default_targets(db) == Targets(4, 12, 3)

    # a line added now starts with them
    create_service_line(db, coordinator, NewServiceLine(name="Sleep study"))
    [line] = all_service_lines(db)
    assert (line.ack_target_hours, line.first_contact_target_hours) == (4, 12)


# -- service lines ----------------------------------------------------------------------------------------


@pytest.fixture
def lines_page(
    open_settings: Opener, coordinator: Actor, service_line_id: int, db: Database
) -> tuple[SettingsDialog, ServiceLinesPage]:
    create_service_line(db, coordinator, NewServiceLine(name="Imaging"))
    dialog = open_settings(coordinator, page="service_lines")
    page = dialog.page("service_lines")
    assert isinstance(page, ServiceLinesPage)
    return dialog, page


def names(page: ServiceLinesPage) -> list[str]:
    return [line.name for line in page.model.rows()]


def test_a_service_line_s_fields_are_saved_on_leaving_each(
    qtbot: QtBot, lines_page: tuple[SettingsDialog, ServiceLinesPage], db: Database, service_line_id: int
) -> None:
    dialog, page = lines_page
    assert names(page) == ["Imaging", "Physical therapy"]
    page.select_row(1)
    assert page.line_id == service_line_id

    edit(qtbot, page.fields.widget("how_to_refer"), "Fax the order and recent notes.")
    assert saved_said(dialog)
    into(qtbot, page.fields.widget("required_records"))
    replace_text(qtbot, "Recent notes\n  MRI   report\nrecent notes")
    press(qtbot, Qt.Key.Key_Tab)
    edit(qtbot, page.fields.widget("max_attempts"), "5")

    line = get_service_line(db, service_line_id)
    assert line.how_to_refer == "Fax the order and recent notes."
    assert line.required_records == ("Recent notes", "MRI report")
    assert page.fields.widget("required_records").toPlainText() == "Recent notes\nMRI report"  # type: ignore[attr-defined]
    assert line.max_attempts == 5
    assert page.model.index(1, 3).data() == "5"

    # refusals stay beside their field and change nothing
    edit(qtbot, page.fields.widget("name"), "imaging")
    assert error_under(page.fields.widget("name")) == "A service line named imaging already exists."
    edit(qtbot, page.fields.widget("ack_target_hours"), "900")
    assert "between 1 and 720" in error_under(page.fields.widget("ack_target_hours"))
    assert get_service_line(db, service_line_id).name == "Physical therapy"
    assert get_service_line(db, service_line_id).ack_target_hours == 8

    # a rename moves the line to its place by name, and it stays the one being edited
    edit(qtbot, page.fields.widget("name"), "Aquatic therapy")
    assert names(page) == ["Aquatic therapy", "Imaging"]
    assert page.line_id == service_line_id
    assert page.table.currentIndex().row() == 0


def test_an_edit_not_yet_left_is_saved_when_switching_line_page_or_closing(
    qtbot: QtBot, lines_page: tuple[SettingsDialog, ServiceLinesPage], db: Database, service_line_id: int
) -> None:
    dialog, page = lines_page
    imaging = page.model.rows()[0].id
    page.select_row(0)

    into(qtbot, page.fields.widget("criteria"))
    type_text(qtbot, "Orders from a physician only.")
    page.select_row(1)  # another line chosen while the cursor is still in the field
    assert get_service_line(db, imaging).criteria == "Orders from a physician only."
    assert page.fields.widget("criteria").toPlainText() == ""  # type: ignore[attr-defined]

    into(qtbot, page.fields.widget("description"))
    type_text(qtbot, "Evaluation and treatment.")
    press(qtbot, Qt.Key.Key_PageDown, CTRL)
    assert dialog.current_key() == "intake_scripts"
    assert get_service_line(db, service_line_id).description == "Evaluation and treatment."

    press(qtbot, Qt.Key.Key_PageUp, CTRL)
    into(qtbot, page.fields.widget("after_referral"))
    type_text(qtbot, "We fax a note after the first visit.")
    press(qtbot, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert get_service_line(db, service_line_id).after_referral == "We fax a note after the first visit."


def test_a_line_is_added_by_name_and_retired_then_restored(
    qtbot: QtBot, lines_page: tuple[SettingsDialog, ServiceLinesPage], db: Database
) -> None:
    dialog, page = lines_page
    into(qtbot, page.new_name)
    type_text(qtbot, "Imaging")
    press(qtbot, Qt.Key.Key_Return)
    assert page.new_error.text() == "A service line named Imaging already exists."

    replace_text(qtbot, "Sleep study")
    press(qtbot, Qt.Key.Key_Return)
    assert page.new_error.isHidden() and page.new_name.text() == ""
    assert names(page) == ["Imaging", "Physical therapy", "Sleep study"]
    added = page.model.rows()[2]
    assert page.line_id == added.id
    assert focused() is page.fields.widget("description")  # ready for its details
    assert (added.ack_target_hours, added.first_contact_target_hours, added.max_attempts) == (8, 16, 3)
    assert "Sleep study" in [line.name for line in list_service_lines(db)]

    assert page.toggle_button.text() == "R&etire"
    page.toggle_button.click()
    assert not get_service_line(db, added.id).active
    assert "Sleep study" not in [line.name for line in list_service_lines(db)]
    assert page.model.index(2, 4).data() == "Retired"
    assert page.toggle_button.text() == "R&estore"
    assert page.status.text().startswith("Retired")
    page.toggle_button.click()
    assert get_service_line(db, added.id).active
    assert page.model.index(2, 4).data() == "Active"


def test_the_service_lines_model_passes_the_model_tester(qtmodeltester: ModelTester) -> None:
    def line(line_id: int, name: str, active: bool = True) -> LineRecord:
        return LineRecord(line_id, name, None, None, (), None, None, 8, 16, 3, active)

    model = ServiceLinesModel()
    model.set_rows([line(2, "Physical therapy"), line(1, "imaging"), line(3, "Sleep study", active=False)])
    qtmodeltester.check(model)
    assert [model.index(row, 0).data() for row in range(3)] == ["imaging", "Physical therapy", "Sleep study"]
    assert model.put(line(2, "Aquatic therapy")) == 0  # renamed: moved
    assert model.put(line(4, "Orthopedics")) == 2  # new: placed by name
    assert model.put(line(1, "imaging", active=False)) == 1  # changed in place
    qtmodeltester.check(model)
    assert model.index(1, 4).data() == "Retired"
    assert model.index(0, 1).data(Qt.ItemDataRole.UserRole + 3) == 8  # the raw value sorts


# -- intake scripts ---------------------------------------------------------------------------------------


def test_the_intake_scripts_page_saves_a_version_and_asks_before_its_changes_are_left(
    qtbot: QtBot,
    open_settings: Opener,
    coordinator: Actor,
    db: Database,
    service_line_id: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dialog = open_settings(coordinator, page="intake_scripts")
    page = dialog.page("intake_scripts")
    assert isinstance(page, IntakeScriptsPage)
    into(qtbot, page.table)
    press(qtbot, Qt.Key.Key_Delete)  # retire the first item
    assert page.has_unsaved_changes()

    asked: list[bool] = []
    monkeypatch.setattr(page, "ask_unsaved", lambda: asked.append(True) or QMessageBox.StandardButton.Cancel)
    press(qtbot, Qt.Key.Key_PageUp, CTRL)
    assert asked == [True] and dialog.current_key() == "intake_scripts"  # Cancel: stays

    monkeypatch.setattr(page, "ask_unsaved", lambda: QMessageBox.StandardButton.Save)
    press(qtbot, Qt.Key.Key_PageUp, CTRL)
    qtbot.waitUntil(lambda: dialog.current_key() == "service_lines")  # Save: saved, then on it goes
    script = intake.current_script(db, service_line_id)
    assert script.version == 2 and len(script.items) == 6
    assert saved_said(dialog)

    # a line added meanwhile is there to choose when the scripts page is shown again
    lines = dialog.page("service_lines")
    assert isinstance(lines, ServiceLinesPage)
    into(qtbot, lines.new_name)
    type_text(qtbot, "Sleep study\n")
    press(qtbot, Qt.Key.Key_PageDown, CTRL)
    assert [page.line_combo.itemText(i) for i in range(page.line_combo.count())] == [
        "Physical therapy",
        "Sleep study",
    ]
    assert page.line_id == service_line_id


# -- idle lock --------------------------------------------------------------------------------------------


def test_the_idle_lock_page_saves_the_minutes_for_an_administrator(
    qtbot: QtBot, open_settings: Opener, admin: Actor, db: Database
) -> None:
    dialog = open_settings(admin, page="idle_lock")
    page = dialog.page("idle_lock")
    assert isinstance(page, IdleLockPage)
    assert page.minutes.value() == security_settings.DEFAULT_IDLE_MINUTES

    into(qtbot, page.minutes)
    press(qtbot, Qt.Key.Key_A, CTRL)
    type_text(qtbot, "15")
    with qtbot.waitSignal(dialog.idle_minutes_changed) as told, qtbot.waitSignal(dialog.saved) as saved:
        press(qtbot, Qt.Key.Key_Tab)
    assert security_settings.idle_minutes(db) == 15
    assert told.args == [15] and saved.args == ["idle_lock"]  # the running idle watch is told
    assert saved_said(dialog)
    assert page.minutes.maximum() == 60 and page.minutes.minimum() == 1


def test_a_refused_idle_lock_change_is_shown_beside_the_field(
    qtbot: QtBot, coordinator: Actor, db: Database
) -> None:
    # a coordinator is never offered the page; if it were shown, the service's refusal shows in it
    page = IdleLockPage(db, coordinator, InlineRunner())
    qtbot.addWidget(page)
    activate(qtbot, page)
    into(qtbot, page.minutes)
    press(qtbot, Qt.Key.Key_Up)
    press(qtbot, Qt.Key.Key_Return)
    assert page.error_text() == "Only an administrator can change when RefDesk locks itself."
    assert security_settings.idle_minutes(db) == security_settings.DEFAULT_IDLE_MINUTES


# -- dialogs embedded as pages ----------------------------------------------------------------------------


def test_a_dialog_page_is_embedded_without_its_close_button_and_escape_closes_settings(
    qtbot: QtBot, open_settings: Opener, admin: Actor
) -> None:
    dialog = open_settings(admin, page="staff")
    page = dialog.page("staff")
    assert isinstance(page, DialogPage) and page.dialog is not None
    staff = page.dialog
    assert not staff.isWindow() and staff.isVisible()
    closes = [
        button
        for box in staff.findChildren(QDialogButtonBox)
        for button in box.buttons()
        if box.standardButton(button) == QDialogButtonBox.StandardButton.Close
    ]
    assert closes and not any(button.isVisibleTo(dialog) for button in closes)
    table = staff.findChild(QWidget, "staffTable")
    assert table is not None
    into(qtbot, table)
    with qtbot.waitSignal(dialog.rejected):
        press(qtbot, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
