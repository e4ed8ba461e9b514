"""File → Import…: the wizard driven end to end, from the keyboard, on small files written here, with the
real task runner (every read of the file happens on a worker), and the database checked afterwards."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QFileDialog
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from refdesk.domain.lifecycle import State
from refdesk.domain.models import Partner, Referral
from refdesk.domain.vocab import Channel, PartnerCategory
from refdesk.imports import referrals as referral_import
from refdesk.imports import results
from refdesk.imports.mapping import Mapping
from refdesk.imports.results import PreviewRow
from refdesk.services.actor import Actor
from refdesk.storage import Database
from tests.ui.files import answer_save_dialog
from tests.ui.keyboard import activate, focused, press, type_text
from ui.imports import ImportWizard
from ui.imports.import_page import CANCELLED_TEXT
from ui.imports.jobs import SerialJobs, Work
from ui.imports.preview_page import PreviewModel
from ui.imports.wizard import COLUMNS, DATES, IMPORT, PREVIEW, VALUES
from ui.tasks import InlineRunner, TaskRunner

ALT = Qt.KeyboardModifier.AltModifier

#: A referral log as a clinic keeps it: headers RefDesk must guess, its own words for states, dates that
#: read both ways (no day above 12), a row without a date of birth, a repeated row, a partner RefDesk
#: lacks and one it has under other spacing and case.
REFERRAL_LOG = """\
Pt First,Pt Last,Birth Date,Cell Phone,Referring Practice,Reason for Referral,Priority,Referral Status,\
Date Received
Ana,Ribeiro,07/03/1971,555-318-2290,Oak Street Primary Care,Knee pain after a fall,Routine,Pending,03/04/2024
Zoë,Nguyễn,02/04/1958,555 201 4477,oak street  primary care,Low back pain,High,Sent,05/04/2024
Tom,O'Brien,11/12/1980,(555) 777-1234,Riverside Cardiology,Chest pain workup,Urgent,Pending,04/05/2024
Lee,Smith,,555-000-1111,Riverside Cardiology,Shoulder pain,Routine,Sent,06/05/2024
Ana,Ribeiro,07/03/1971,555-318-2290,Oak Street Primary Care,Knee pain after a fall,Routine,Pending,03/04/2024
"""

PARTNER_LIST = """\
Practice Name;Type;Main Phone;Fax Number;City
Riverside Cardiology;Cardiology;555-410-2000;555-410-2001;Springfield
Hilltop Family Medicine;Family medicine;555-410-3000;;Shelbyville
oak street primary care;Primary care;555-410-4000;;Springfield
"""


@pytest.fixture
def prefs(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "prefs.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def runner(db: Database) -> Iterator[TaskRunner]:
    """A real thread pool (after ``db``, so it is waited for before the database closes)."""
    pool = TaskRunner()
    yield pool
    pool.wait()


@pytest.fixture
def open_wizard(
    qtbot: QtBot, db: Database, actor: Actor, runner: TaskRunner, prefs: QSettings
) -> Iterator[Callable[..., ImportWizard]]:
    """Opens the wizard as File → Import… does, shown and active; closes it (and waits for the file to
    be closed on the worker) at the end."""
    opened: list[ImportWizard] = []

    def make(kind: str = "referrals") -> ImportWizard:
        wizard = ImportWizard(db, actor, runner, kind=kind, preferences=prefs)
        qtbot.addWidget(wizard)
        activate(qtbot, wizard, size=(1100, 700))
        opened.append(wizard)
        return wizard

    yield make
    for wizard in opened:
        wizard.close()
    runner.wait()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def choose_file(qtbot: QtBot, wizard: ImportWizard, path: Path) -> None:
    """Type the path into the file field (where the cursor starts) and press Enter: the file is opened."""
    qtbot.waitUntil(lambda: focused() is wizard.file_page.path_edit)
    type_text(qtbot, str(path))
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(wizard.file_page.isComplete)


def next_page(qtbot: QtBot, wizard: ImportWizard, expected: int, key: Qt.Key = Qt.Key.Key_N) -> None:
    """Alt+N (or the commit button's Alt+I), then wait for the step (leaving some steps reads the file)
    and for the cursor to land in it."""
    press(qtbot, key, ALT)
    qtbot.waitUntil(lambda: wizard.currentId() == expected)
    qtbot.waitUntil(lambda: wizard.currentPage().isAncestorOf(focused()))


def choose_in(qtbot: QtBot, combo: Any, keys: str) -> None:
    """Put the cursor in a choice list and type the start of the item, as a person does (after a pause:
    letters typed in quick succession search together, across lists)."""
    combo.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(combo.hasFocus)
    qtbot.wait(QApplication.keyboardInputInterval() + 50)
    type_text(qtbot, keys)


def count(db: Database, model: type[Any]) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def referrals_by_name(db: Database) -> dict[str, Referral]:
    with db.session() as session:
        return {row.patient_last_name: row for row in session.scalars(select(Referral))}


# --- referrals, end to end ------------------------------------------------------------------------------


def test_a_referral_log_is_imported_end_to_end_from_the_keyboard(
    qtbot: QtBot,
    open_wizard: Callable[..., ImportWizard],
    db: Database,
    partner_id: int,
    service_line_id: int,
    tmp_path: Path,
) -> None:
    log = write(tmp_path, "referral log.csv", REFERRAL_LOG)
    wizard = open_wizard()
    partners_before = count(db, Partner)

    choose_file(qtbot, wizard, log)
    assert "9 columns" in wizard.file_page.summary.text()
    next_page(qtbot, wizard, COLUMNS)

    # guessed from the odd headers
    columns = wizard.columns_page.combos
    assert columns["patient_first_name"].value() == ("column", "Pt First")
    assert columns["patient_dob"].value() == ("column", "Birth Date")
    assert columns["partner"].value() == ("column", "Referring Practice")
    assert columns["state"].value() == ("column", "Referral Status")
    assert columns["received_at"].value() == ("column", "Date Received")
    assert "07/03/1971" in wizard.columns_page._samples["patient_dob"].text()
    # the file has no service line or channel: Next refuses and says what is missing ...
    press(qtbot, Qt.Key.Key_N, ALT)
    qtbot.waitUntil(lambda: wizard.columns_page.messages.text() != "")
    assert wizard.currentId() == COLUMNS
    assert "Service line" in wizard.columns_page.messages.text()
    assert "Received by (channel)" in wizard.columns_page.messages.text()
    # ... and each list offers one value for every row
    choose_in(qtbot, columns["service_line"], "E")
    assert columns["service_line"].value() == ("default", "Physical therapy")
    choose_in(qtbot, columns["channel"], "E")
    assert columns["channel"].value() == ("default", Channel.FAX.value)
    next_page(qtbot, wizard, VALUES)

    # the file's words, with their counts, guessed; 'Sent' is changed by hand
    states = wizard.values_page.combos["state"]
    assert set(states) == {"Pending", "Sent"}
    assert states["Pending"].value() == State.RECEIVED.value
    choose_in(qtbot, states["Sent"], "C")
    assert states["Sent"].value() == State.CONTACT_ATTEMPTED.value
    assert wizard.values_page.combos["urgency"]["High"].value() == "urgent"
    next_page(qtbot, wizard, DATES)

    # 03/04/2024 reads both ways: the user says day first, and sees how the dates then read
    assert [option.property("format") for option in wizard.dates_page.options] == ["MDY", "DMY"]
    press(qtbot, Qt.Key.Key_2, ALT)
    qtbot.waitUntil(lambda: wizard.dates_page.chosen_format() == "DMY")
    readings = [label.text() for label in wizard.dates_page._readings]
    assert "→  7 March 1971" in readings
    next_page(qtbot, wizard, PREVIEW)

    preview = wizard.preview_page
    qtbot.waitUntil(
        lambda: wizard.state.preview is not None and not preview.busy and preview.model.rowCount() > 0
    )
    qtbot.waitUntil(
        lambda: preview.partners_list.count() == 1 and "3 can be imported" in preview.summary.text()
    )
    item = preview.partners_list.item(0)
    assert item.text().startswith("Riverside Cardiology")
    assert item.checkState() == Qt.CheckState.Checked  # created unless unticked
    assert "1 with problems" in preview.summary.text() and "1 duplicate" in preview.summary.text()
    problems = {preview.model.index(row, 0).data(): preview.model.index(row, 1).data() for row in range(5)}
    assert "Date of birth" in problems["5"]
    assert problems["6"].startswith("Duplicate")
    # all or nothing would import nothing: Import waits until the valid rows are chosen
    assert not preview.isComplete() and preview.refusal_hint.isVisible()
    press(qtbot, Qt.Key.Key_V, ALT)
    qtbot.waitUntil(preview.isComplete)
    assert "referral log-rejected.csv" in preview.rejects_hint.text()

    with qtbot.waitSignal(wizard.imported, timeout=10_000) as imported:
        next_page(qtbot, wizard, IMPORT, Qt.Key.Key_I)
    assert imported.args == [3]
    page = wizard.import_page
    qtbot.waitUntil(page.isComplete)
    figures = {key: label.text() for key, label in page.values.items()}
    assert figures == {"read": "5", "imported": "3", "duplicates": "1", "rejected": "1", "partners": "1"}
    assert page.open_rejects_button.isVisible()

    rows = referrals_by_name(db)
    assert set(rows) == {"Ribeiro", "Nguyễn", "O'Brien"}
    assert rows["Ribeiro"].patient_dob == date(1971, 3, 7)  # day first, as chosen
    assert rows["Ribeiro"].state == State.RECEIVED
    assert rows["Nguyễn"].state == State.CONTACT_ATTEMPTED  # 'Sent', as mapped by hand
    assert rows["Nguyễn"].partner_id == partner_id  # the same partner under other spacing and case
    assert rows["O'Brien"].service_line_id == service_line_id
    assert {row.channel for row in rows.values()} == {Channel.FAX}
    assert count(db, Partner) == partners_before + 1
    rejects = (tmp_path / "referral log-rejected.csv").read_text(encoding="utf-8-sig")
    assert "Smith" in rejects and "Date of birth" in rejects

    press(qtbot, Qt.Key.Key_F, ALT)  # Finish
    qtbot.waitUntil(lambda: not wizard.isVisible())


def test_cancel_during_the_import_leaves_the_database_unchanged(
    qtbot: QtBot,
    open_wizard: Callable[..., ImportWizard],
    db: Database,
    partner_id: int,
    service_line_id: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = ["First Name,Last Name,DOB,Phone,Referral Source,Reason,Date Received,Service,Channel"]
    lines += [
        f"Pat{n},Doe{n},1970-01-{n % 28 + 1:02d},555-201-{n:04d},New Partner Clinic,Knee pain,2024-04-02,"
        "Physical therapy,Fax"
        for n in range(60)
    ]
    log = write(tmp_path, "big log.csv", "\n".join(lines) + "\n")
    # the real import, made slow: it checks for Cancel every row and waits at its first report
    monkeypatch.setattr(results, "TICK_ROWS", 1)
    started, release = threading.Event(), threading.Event()
    real = referral_import.run_import

    def slow_import(*args: Any, progress: Any, **kwargs: Any) -> Any:
        def report(done: int, total: int) -> None:
            progress(done, total)
            started.set()
            release.wait(10)

        return real(*args, progress=report, **kwargs)

    monkeypatch.setattr(referral_import, "run_import", slow_import)
    partners_before = count(db, Partner)
    wizard = open_wizard()
    choose_file(qtbot, wizard, log)
    next_page(qtbot, wizard, COLUMNS)
    next_page(qtbot, wizard, VALUES)
    next_page(qtbot, wizard, PREVIEW)  # ISO dates: no question about them
    preview = wizard.preview_page
    qtbot.waitUntil(preview.isComplete)
    assert preview.partners_list.count() == 1  # created inside the import's transaction

    next_page(qtbot, wizard, IMPORT, Qt.Key.Key_I)
    qtbot.waitUntil(started.is_set)
    page = wizard.import_page
    assert page.running and focused() is page.cancel_button
    press(qtbot, Qt.Key.Key_Escape)  # Esc cancels the import, not the wizard
    assert wizard.isVisible()
    assert page.status.text().startswith("Cancelling")
    release.set()
    qtbot.waitUntil(lambda: page.status.text() == CANCELLED_TEXT)
    assert not page.running and page.back_button.isVisible()
    assert count(db, Referral) == 0
    assert count(db, Partner) == partners_before

    # nothing was changed, and the user can go back and try again (or leave)
    press(qtbot, Qt.Key.Key_Return)  # "Back to the preview" has the focus
    qtbot.waitUntil(lambda: wizard.currentId() == PREVIEW)
    press(qtbot, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not wizard.isVisible())


def test_an_unticked_partner_is_not_created_and_its_rows_are_refused(
    qtbot: QtBot,
    open_wizard: Callable[..., ImportWizard],
    db: Database,
    partner_id: int,
    service_line_id: int,
    tmp_path: Path,
) -> None:
    wizard = open_wizard()
    choose_file(qtbot, wizard, write(tmp_path, "referral log.csv", REFERRAL_LOG))
    next_page(qtbot, wizard, COLUMNS)
    choose_in(qtbot, wizard.columns_page.combos["service_line"], "E")
    choose_in(qtbot, wizard.columns_page.combos["channel"], "E")
    next_page(qtbot, wizard, VALUES)
    next_page(qtbot, wizard, DATES)
    next_page(qtbot, wizard, PREVIEW)
    preview = wizard.preview_page
    qtbot.waitUntil(lambda: "3 can be imported" in preview.summary.text())
    preview.partners_list.setFocus()
    press(qtbot, Qt.Key.Key_Space)  # untick Riverside Cardiology: its rows are checked again
    assert preview.partners_list.item(0).checkState() == Qt.CheckState.Unchecked
    qtbot.waitUntil(lambda: "2 can be imported" in preview.summary.text() and preview.busy is False)
    press(qtbot, Qt.Key.Key_V, ALT)
    qtbot.waitUntil(preview.isComplete)
    partners_before = count(db, Partner)
    next_page(qtbot, wizard, IMPORT, Qt.Key.Key_I)
    qtbot.waitUntil(wizard.import_page.isComplete)
    assert set(referrals_by_name(db)) == {"Ribeiro", "Nguyễn"}
    assert count(db, Partner) == partners_before


def test_a_column_guessed_wrong_is_changed_and_a_refused_import_says_why_in_plain_words(
    qtbot: QtBot,
    open_wizard: Callable[..., ImportWizard],
    db: Database,
    partner_id: int,
    service_line_id: int,
    tmp_path: Path,
) -> None:
    log = write(
        tmp_path,
        "log.csv",
        "Patient Name,DOB,Phone,Clinic,Reason,Referral Date,Department,Method\n"
        "Ana Ribeiro,1971-07-19,555-318-2290,Oak Street Primary Care,Knee pain,2024-04-02,Physical therapy,"
        "Fax\n",
    )
    wizard = open_wizard()
    choose_file(qtbot, wizard, log)
    next_page(qtbot, wizard, COLUMNS)
    columns = wizard.columns_page.combos
    assert columns["patient_name"].value() == ("column", "Patient Name")
    choose_in(qtbot, columns["phone"], "—")  # not in the file
    assert columns["phone"].value() is None
    press(qtbot, Qt.Key.Key_N, ALT)
    qtbot.waitUntil(lambda: wizard.columns_page.messages.text() != "")
    assert wizard.currentId() == COLUMNS
    assert wizard.columns_page.messages.text() == "Choose a column for: Phone."
    assert columns["phone"].property("invalid") is True
    choose_in(qtbot, columns["phone"], "Ph")
    assert columns["phone"].value() == ("column", "Phone")
    next_page(qtbot, wizard, VALUES)
    next_page(qtbot, wizard, PREVIEW)
    qtbot.waitUntil(wizard.preview_page.isComplete)
    next_page(qtbot, wizard, IMPORT, Qt.Key.Key_I)
    qtbot.waitUntil(wizard.import_page.isComplete)
    assert referrals_by_name(db)["Ribeiro"].patient_first_name == "Ana"


def test_a_file_that_cannot_be_read_is_said_in_plain_words(
    qtbot: QtBot, open_wizard: Callable[..., ImportWizard], tmp_path: Path
) -> None:
    wizard = open_wizard()
    choose_file_path = tmp_path / "missing.csv"
    type_text(qtbot, str(choose_file_path))
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.file_page.messages.text() != "")
    assert wizard.file_page.messages.text() == f"There is no file at {choose_file_path}."
    assert not wizard.file_page.isComplete()
    empty = write(tmp_path, "empty.csv", "")
    press(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    type_text(qtbot, str(empty))
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.file_page.messages.text() == "empty.csv is empty.")


def test_a_workbook_opens_on_its_first_sheet_with_rows_and_another_sheet_can_be_chosen(
    qtbot: QtBot, open_wizard: Callable[..., ImportWizard], tmp_path: Path
) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(["Exported from the old system"])
    log = book.create_sheet("Referral log")
    for line in REFERRAL_LOG.splitlines():
        log.append(line.split(","))
    path = tmp_path / "referrals.xlsx"
    book.save(path)

    wizard = open_wizard()
    choose_file(qtbot, wizard, path)
    page = wizard.file_page
    assert page.sheet_combo.isVisible() and page.sheet_combo.currentText() == "Referral log"
    assert "The first sheet, “Notes”, has no rows" in page.summary.text()

    press(qtbot, Qt.Key.Key_S, ALT)  # the sheet list
    qtbot.waitUntil(lambda: focused() is page.sheet_combo)
    press(qtbot, Qt.Key.Key_Up)  # Notes
    qtbot.waitUntil(lambda: "“Notes”: 1 column" in page.summary.text())
    assert not page.isComplete()  # nothing to import there
    press(qtbot, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: page.isComplete() and "“Referral log”: 9 columns" in page.summary.text())
    next_page(qtbot, wizard, COLUMNS)
    assert wizard.columns_page.combos["patient_first_name"].value() == ("column", "Pt First")


# --- mappings --------------------------------------------------------------------------------------


def test_the_mapping_is_saved_from_the_preview_and_loaded_for_the_next_file(
    qtbot: QtBot,
    open_wizard: Callable[..., ImportWizard],
    partner_id: int,
    service_line_id: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    log = write(tmp_path, "referral log.csv", REFERRAL_LOG)
    saved = tmp_path / "clinic mapping.json"
    asked = answer_save_dialog(monkeypatch, lambda _suggested: saved)
    wizard = open_wizard()
    choose_file(qtbot, wizard, log)
    next_page(qtbot, wizard, COLUMNS)
    choose_in(qtbot, wizard.columns_page.combos["service_line"], "E")
    choose_in(qtbot, wizard.columns_page.combos["channel"], "E")
    next_page(qtbot, wizard, VALUES)
    choose_in(qtbot, wizard.values_page.combos["state"]["Sent"], "C")
    next_page(qtbot, wizard, DATES)
    press(qtbot, Qt.Key.Key_2, ALT)
    qtbot.waitUntil(lambda: wizard.dates_page.chosen_format() == "DMY")
    next_page(qtbot, wizard, PREVIEW)
    qtbot.waitUntil(lambda: wizard.state.preview is not None and not wizard.preview_page.busy)
    press(qtbot, Qt.Key.Key_S, ALT)
    qtbot.waitUntil(lambda: "Saved the mapping" in wizard.preview_page.messages.text())
    assert asked == ["referral log mapping.json"]

    mapping = Mapping.from_json(saved.read_text(encoding="utf-8"))
    assert mapping == wizard.state.mapping  # the file holds exactly what the wizard built
    assert mapping.columns["patient_first_name"] == "Pt First"
    assert mapping.defaults == {"service_line": "Physical therapy", "channel": "fax"}
    assert mapping.values["state"]["Sent"] == State.CONTACT_ATTEMPTED.value
    assert mapping.date_format == "DMY"
    wizard.close()

    # the next month's file: the mapping is loaded on the first step and fills every step
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *_args: (str(saved), "")))
    again = open_wizard()
    choose_file(qtbot, again, log)
    press(qtbot, Qt.Key.Key_M, ALT)
    qtbot.waitUntil(lambda: "clinic mapping.json" in again.file_page.mapping_summary.text())
    next_page(qtbot, again, COLUMNS)
    assert again.columns_page.combos["channel"].value() == ("default", "fax")
    next_page(qtbot, again, VALUES)
    assert again.values_page.combos["state"]["Sent"].value() == State.CONTACT_ATTEMPTED.value
    next_page(qtbot, again, DATES)
    assert again.dates_page.chosen_format() == "DMY"


def test_a_mapping_file_that_is_not_one_is_refused_in_plain_words(
    qtbot: QtBot, open_wizard: Callable[..., ImportWizard], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = write(tmp_path, "notes.json", "{not json")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *_args: (str(bad), "")))
    wizard = open_wizard()
    press(qtbot, Qt.Key.Key_M, ALT)
    qtbot.waitUntil(lambda: wizard.file_page.messages.text() != "")
    assert wizard.file_page.messages.text() == "The mapping file is not valid JSON."


# --- partners --------------------------------------------------------------------------------------


def test_a_partner_list_is_imported(
    qtbot: QtBot, open_wizard: Callable[..., ImportWizard], db: Database, partner_id: int, tmp_path: Path
) -> None:
    partners = write(tmp_path, "partners.csv", PARTNER_LIST)
    wizard = open_wizard()
    press(qtbot, Qt.Key.Key_P, ALT)  # Partners
    qtbot.waitUntil(lambda: wizard.windowTitle() == "Import partners")
    wizard.file_page.path_edit.setFocus()
    choose_file(qtbot, wizard, partners)
    assert "semicolon" in wizard.file_page.summary.text()
    next_page(qtbot, wizard, COLUMNS)
    assert wizard.columns_page.combos["name"].value() == ("column", "Practice Name")
    assert wizard.columns_page.combos["fax"].value() == ("column", "Fax Number")
    next_page(qtbot, wizard, VALUES)
    types = wizard.values_page.combos["category"]
    assert types["Family medicine"].value() == PartnerCategory.PRIMARY_CARE.value
    assert types["Cardiology"].value() == PartnerCategory.SPECIALTY.value
    next_page(qtbot, wizard, PREVIEW)
    preview = wizard.preview_page
    qtbot.waitUntil(preview.isComplete)
    assert preview.partners_box.isHidden()
    with qtbot.waitSignal(wizard.imported, timeout=10_000) as imported:
        next_page(qtbot, wizard, IMPORT, Qt.Key.Key_I)
    assert imported.args == [2]  # Oak Street is already known: a duplicate
    with db.session() as session:
        names = {p.name: p for p in session.scalars(select(Partner))}
    assert set(names) == {"Oak Street Primary Care", "Riverside Cardiology", "Hilltop Family Medicine"}
    assert names["Riverside Cardiology"].category == PartnerCategory.SPECIALTY
    assert names["Riverside Cardiology"].fax == "(555) 410-2001"
    figures = {key: label.text() for key, label in wizard.import_page.values.items()}
    assert figures == {"read": "3", "imported": "2", "duplicates": "1", "rejected": "0", "partners": "0"}


def test_a_cms_nppes_file_switches_the_wizard_to_partners(
    qtbot: QtBot, open_wizard: Callable[..., ImportWizard], tmp_path: Path
) -> None:
    from refdesk.imports import nppes

    headers = [nppes.NPI, nppes.ENTITY_TYPE, nppes.ORGANIZATION, nppes.LAST_NAME, nppes.FIRST_NAME]
    headers += list(nppes.COLUMNS.values())
    headers += [nppes.taxonomy_column(1), nppes.primary_switch_column(1)]
    unique = list(dict.fromkeys(headers))
    text = (
        ",".join(f'"{h}"' for h in unique)
        + "\n"
        + ",".join("1234567890" if h == nppes.NPI else "" for h in unique)
    )
    wizard = open_wizard()
    choose_file(qtbot, wizard, write(tmp_path, "npidata_pfile.csv", text + "\n"))
    assert wizard.kind == "partners" and wizard.file_page.partners_option.isChecked()
    assert "CMS NPPES" in wizard.file_page.summary.text()


# --- parts -----------------------------------------------------------------------------------------


def test_the_preview_model_passes_the_model_tester(qtmodeltester: ModelTester) -> None:
    model = PreviewModel()
    mapping = Mapping("referrals", {"patient_last_name": "Last", "patient_dob": "DOB"})
    model.set_preview(
        [
            PreviewRow(3, {"patient_last_name": "Smith", "patient_dob": ""}, {"patient_dob": "Required."}),
            PreviewRow(2, {"patient_last_name": "Ribeiro", "patient_dob": "1971-07-19"}),
        ],
        mapping,
    )
    qtmodeltester.check(model)
    assert [model.index(row, 0).data() for row in range(2)] == ["2", "3"]  # in the file's order
    assert model.index(1, 1).data() == "Date of birth: Required."


def test_serial_jobs_run_one_at_a_time_and_drop_superseded_results() -> None:
    jobs = SerialJobs(InlineRunner())
    seen: list[object] = []
    jobs.submit(lambda _w: "first", seen.append, seen.append)
    assert seen == ["first"] and jobs.idle

    runner = TaskRunner(max_threads=2)
    jobs = SerialJobs(runner)
    gate = threading.Event()
    order: list[str] = []

    def slow(work: Work) -> str:
        order.append("slow started")
        gate.wait(5)
        order.append("slow ended")
        return "slow"

    def quick(_work: Work) -> str:
        order.append("quick")
        return "quick"

    first = jobs.submit(slow, seen.append, seen.append)
    jobs.submit(quick, seen.append, seen.append)  # a new look at the file: the slow one is superseded
    assert first.superseded and first.stop.is_set()
    gate.set()
    runner.wait()
    from PySide6.QtCore import QCoreApplication

    for _ in range(50):
        QCoreApplication.processEvents()
        if jobs.idle:
            break
        runner.wait(100)
    assert order == ["slow started", "slow ended", "quick"]  # never at the same time
    assert seen == ["first", "quick"]
