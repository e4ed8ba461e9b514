"""The records pane as the front desk uses it: keys on the records table, the day field, adding a record,
and the letter button, checked by what the pane shows and what the database then holds."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QSettings, Qt, QUrl
from PySide6.QtWidgets import QApplication, QFileDialog, QPushButton
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from refdesk.domain.models import LetterSent
from refdesk.domain.times import local_today
from refdesk.services import settings
from refdesk.services.actor import Actor
from refdesk.services.records import list_records
from refdesk.storage import Database
from tests.accounts import coordinator
from tests.ui.files import answer_save_dialog
from tests.ui.keyboard import activate, type_text
from ui.detail.records import ID_ROLE, LAST_FOLDER_KEY, SORT_ROLE, RecordsModel, RecordsPane
from ui.dialogs.letterhead import LetterheadDialog
from ui.tasks import InlineRunner


@pytest.fixture
def prefs(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "preferences.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def pane(qtbot: QtBot, db: Database, actor: Actor, referral_id: int, prefs: QSettings) -> RecordsPane:
    view = RecordsPane(db, actor, InlineRunner(), preferences=prefs)
    qtbot.addWidget(view)
    activate(qtbot, view, size=(900, 500))
    return view


def shown(pane: RecordsPane) -> list[tuple[str, str, str, str, str]]:
    model = pane.model
    return [
        tuple(model.index(row, column).data() for column in range(model.columnCount()))  # type: ignore[misc]
        for row in range(model.rowCount())
    ]


def test_marking_received_from_the_keyboard_updates_the_summary_and_the_database(
    qtbot: QtBot, pane: RecordsPane, db: Database, referral_id: int
) -> None:
    summaries: list[str] = []
    pane.summary_changed.connect(summaries.append)
    pane.load(referral_id)
    assert summaries == ["Records (1 missing)"]
    assert shown(pane) == [("Recent notes", "Missing · not requested", "—", "—", "—")]

    pane.table.setFocus()
    with qtbot.waitSignal(pane.changed) as changed:
        qtbot.keyClick(pane.table, Qt.Key.Key_R)

    assert changed.args == [referral_id]
    assert summaries[-1] == "Records (all received)"
    today = local_today()
    assert [r.received_on for r in list_records(db, referral_id)] == [today]
    assert shown(pane)[0][:3] == ("Recent notes", "Received", f"{today:%m/%d/%Y}")
    assert pane.table.hasFocus()  # the next key goes to the table again

    qtbot.keyClick(pane.table, Qt.Key.Key_U)  # not received after all
    assert [r.received_on for r in list_records(db, referral_id)] == [None]
    assert summaries[-1] == "Records (1 missing)"


def test_another_day_typed_in_on_is_the_day_recorded_and_a_future_one_is_refused(
    qtbot: QtBot, pane: RecordsPane, db: Database, referral_id: int
) -> None:
    pane.load(referral_id)
    yesterday = local_today() - timedelta(days=1)
    pane.on_date.clear()
    pane.on_date.setFocus()
    type_text(qtbot, f"{yesterday:%m/%d/%Y}")
    pane.table.setFocus()
    qtbot.keyClick(pane.table, Qt.Key.Key_Q)
    assert [(r.requested_on, r.chased_on) for r in list_records(db, referral_id)] == [(yesterday, None)]
    assert shown(pane)[0][1] == "Missing · requested"

    pane.on_date.set_value(local_today() + timedelta(days=2))
    qtbot.keyClick(pane.table, Qt.Key.Key_C)

    assert "cannot be in the future" in pane.messages.text()
    assert [(r.requested_on, r.chased_on) for r in list_records(db, referral_id)] == [(yesterday, None)]


def test_a_record_added_by_name_shows_as_missing(
    qtbot: QtBot, pane: RecordsPane, db: Database, referral_id: int
) -> None:
    summaries: list[str] = []
    pane.summary_changed.connect(summaries.append)
    pane.load(referral_id)
    pane.new_name.setFocus()
    type_text(qtbot, "<b>Ольга</b>'s MRI & report\n")

    assert [r.name for r in list_records(db, referral_id)] == ["Recent notes", "<b>Ольга</b>'s MRI & report"]
    assert shown(pane)[1][:2] == ("<b>Ольга</b>'s MRI & report", "Missing · not requested")
    assert summaries[-1] == "Records (2 missing)" and pane.new_name.text() == ""

    pane.new_name.setFocus()
    type_text(qtbot, "recent NOTES\n")
    assert pane.messages.text() == "This referral already lists that record."
    assert pane.new_name.text() == "recent NOTES"  # kept, to correct


def test_the_letter_button_writes_the_pdf_where_the_user_chose(
    qtbot: QtBot,
    pane: RecordsPane,
    db: Database,
    actor: Actor,
    referral_id: int,
    prefs: QSettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.save_letterhead_field(db, coordinator(db), settings.CLINIC_NAME, "Riverside Clinic")
    folder = tmp_path / "letters"
    folder.mkdir()
    asked = answer_save_dialog(monkeypatch, lambda _suggested: folder / "for Oak Street")
    opened: list[QUrl] = []
    monkeypatch.setattr("ui.detail.records.QDesktopServices.openUrl", opened.append)
    pane.load(referral_id)

    with qtbot.waitSignal(pane.changed):
        pane.letter_button.click()

    assert asked == [f"R-{referral_id:06d} records request.pdf"]
    target = folder / "for Oak Street.pdf"
    text = PdfReader(target).pages[0].extract_text()
    assert "Re: Request for records — Zoë Nguyễn, DOB 04/02/1958" in text
    with db.session() as session:
        [letter] = session.scalars(select(LetterSent))
    assert letter.file_name == "for Oak Street.pdf"
    assert [r.requested_on for r in list_records(db, referral_id)] == [local_today()]
    assert pane.saved_bar.isVisible()
    assert pane.saved_text.text() == f"Saved for Oak Street.pdf in {folder} (1 marked requested today)."
    assert prefs.value(LAST_FOLDER_KEY) == str(folder)

    pane.saved_bar.findChild(QPushButton, "recordsOpenFile").click()
    pane.saved_bar.findChild(QPushButton, "recordsOpenFolder").click()
    assert [url.toLocalFile() for url in opened] == [str(target), str(folder)]


def test_a_refused_letter_is_explained_in_the_pane(
    qtbot: QtBot, pane: RecordsPane, referral_id: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer_save_dialog(monkeypatch, lambda _suggested: tmp_path / "x.pdf")
    pane.load(referral_id)
    pane.letter_button.click()
    assert "Letters need the clinic's name" in pane.messages.text()
    assert not (tmp_path / "x.pdf").exists()
    assert not pane.saved_bar.isVisible()


def test_the_letter_button_is_off_when_nothing_is_missing(
    qtbot: QtBot, pane: RecordsPane, referral_id: int
) -> None:
    pane.load(referral_id)
    assert pane.letter_button.isEnabled()
    pane.table.setFocus()
    qtbot.keyClick(pane.table, Qt.Key.Key_R)
    assert not pane.letter_button.isEnabled()
    pane.clear()
    assert pane.model.rowCount() == 0 and not pane.buttons["recordsReceived"].isEnabled()


def test_the_records_model_holds_raw_values_and_ids(
    qtmodeltester: Any, db: Database, referral_id: int
) -> None:
    model = RecordsModel()
    records = list_records(db, referral_id)
    model.set_rows(records)
    qtmodeltester.check(model)
    assert model.index(0, 2).data(SORT_ROLE) is None
    assert model.index(0, 0).data(ID_ROLE) == records[0].id


def test_the_letterhead_dialog_saves_each_field_as_it_is_left(
    qtbot: QtBot, db: Database, actor: Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PIL import Image

    dialog = LetterheadDialog(db, coordinator(db), InlineRunner())
    qtbot.addWidget(dialog)
    activate(qtbot, dialog)
    page = dialog.page

    page.name.setFocus()
    type_text(qtbot, "Riverside <Clinic> & Co")
    page.phone.setFocus()
    type_text(qtbot, "555 201 0000")
    page.fax.setFocus()
    type_text(qtbot, "12")
    page.name.setFocus()
    QApplication.processEvents()

    head = settings.letterhead(db)
    assert (head.clinic_name, head.phone, head.fax) == ("Riverside <Clinic> & Co", "(555) 201-0000", None)
    assert page.phone.text() == "(555) 201-0000"  # shown as understood
    assert "Enter 10 digits" in page.error_text(settings.CLINIC_FAX)

    logo = tmp_path / "logo.png"
    Image.new("RGB", (200, 100), (31, 78, 95)).save(logo)
    chosen = [logo]
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *_args: (str(chosen[-1]), "")))
    page.findChild(QPushButton, "letterheadChooseLogo").click()
    assert settings.letterhead(db).logo == logo.read_bytes()
    assert page.logo.text() == "logo.png" and not page.preview.pixmap().isNull()

    logo.unlink()  # the image is in the database now: the page still shows it after a reload
    page.reload()
    assert page.logo.text() == "logo.png" and not page.preview.pixmap().isNull()

    fake = tmp_path / "notes.png"
    fake.write_text("Meeting notes, renamed")
    chosen.append(fake)
    page.findChild(QPushButton, "letterheadChooseLogo").click()
    assert "not a PNG, JPEG or GIF image" in page.error_text(settings.CLINIC_LOGO)
    assert settings.letterhead(db).logo is not None and page.logo.text() == "logo.png"  # nothing saved

    page.findChild(QPushButton, "letterheadRemoveLogo").click()
    assert settings.letterhead(db).logo is None and page.error_text(settings.CLINIC_LOGO) == ""
    assert page.logo.text() == "" and page.preview.pixmap().isNull()
