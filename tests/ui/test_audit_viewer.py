"""Settings → Audit log as an administrator reads it: newest first, filtered by person, patient, action,
days and failures, loading more as it is scrolled, exported to CSV, and its seals checked (a row changed
outside RefDesk is found)."""

from __future__ import annotations

import contextlib
import csv
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from refdesk.domain.models import AuditEvent
from refdesk.domain.vocab import PartnerCategory, StaffRole
from refdesk.errors import AccessDenied
from refdesk.services import accounts, audit_log
from refdesk.services.actor import Actor
from refdesk.services.audit import record
from refdesk.services.audit_log import AuditFilter
from refdesk.services.catalog import NewPartner, create_partner
from refdesk.services.referrals import NewReferral, create_referral
from refdesk.storage import Database
from tests.ui.keyboard import activate, type_text
from ui.admin.audit_model import AuditModel
from ui.admin.audit_viewer import AuditDialog
from ui.main_window import MainWindow
from ui.tasks import InlineRunner, TaskRunner

PASSWORD = "blue heron 42"


@pytest.fixture
def admin(db: Database) -> Actor:
    return accounts.set_up_clinic(
        db, clinic_name="Oak Clinic", username="ada", full_name="Ada Admin", password=PASSWORD
    )


@pytest.fixture
def clerk(db: Database, admin: Actor) -> Actor:
    accounts.add_staff(db, admin, "bo", "Bo Chen", StaffRole.FRONT_DESK, "lantern-88-oak")
    return accounts.sign_in(db, "bo", "lantern-88-oak")


@pytest.fixture
def desk_day(db: Database, admin: Actor, clerk: Actor, new_referral: NewReferral) -> int:
    """A morning at the desk: Bo adds a referral, tries to disable Ada (refused), adds a partner."""
    referral_id = create_referral(db, clerk, new_referral)
    with pytest.raises(AccessDenied):
        accounts.set_active(db, clerk, admin.staff_id, False)
    create_partner(db, clerk, NewPartner(name="Birch Family Medicine", category=PartnerCategory.PRIMARY_CARE))
    return referral_id


def open_dialog(qtbot: QtBot, db: Database, actor: Actor, runner: TaskRunner | None = None) -> AuditDialog:
    dialog = AuditDialog(db, actor, None, runner=runner or InlineRunner())
    qtbot.addWidget(dialog)
    activate(qtbot, dialog)
    return dialog


def column(dialog: AuditDialog, number: int) -> list[str]:
    model = dialog.model
    return [model.index(row, number).data() for row in range(model.rowCount())]


def test_opening_is_audited_and_the_newest_row_comes_first(
    qtbot: QtBot, db: Database, admin: Actor, desk_day: int
) -> None:
    dialog = open_dialog(qtbot, db, admin)
    total = audit_log.count(db, AuditFilter())

    assert column(dialog, 2)[0] == "Opened the audit log"
    assert column(dialog, 1)[0] == "Ada Admin"
    assert column(dialog, 2)[1] == "Added a partner"
    assert column(dialog, 3)[1] == "Partner · Birch Family Medicine"
    assert dialog.model.rowCount() == total
    assert dialog.count_label.text() == f"{total:,} entries"
    ids = [entry.id for entry in dialog.model.entries()]
    assert ids == sorted(ids, reverse=True)


def test_the_filters_narrow_the_log(
    qtbot: QtBot, db: Database, admin: Actor, clerk: Actor, desk_day: int
) -> None:
    dialog = open_dialog(qtbot, db, admin)
    bar = dialog.filters

    bar.person.set_value(clerk.staff_id)
    bar.apply()
    assert set(column(dialog, 1)) == {"Bo Chen"}
    assert column(dialog, 2) == [
        "Added a partner",
        "Disabled a staff account",
        "Added a referral",
        "Signed in",
    ]

    bar.failures.setChecked(True)  # applies at once
    assert column(dialog, 2) == ["Disabled a staff account"]
    assert column(dialog, 4) == ["Failed"]
    assert dialog.model.index(0, 0).data(Qt.ItemDataRole.ForegroundRole) is not None
    assert dialog.count_label.text() == "1 entry"

    bar.failures.setChecked(False)
    bar.person.set_value(None)
    bar.action.set_value("referral.")
    bar.apply()
    assert column(dialog, 2) == ["Added a referral"]
    assert column(dialog, 3) == [f"R-{desk_day:06d} · Nguyễn, Zoë"]


def test_the_patient_field_finds_the_rows_about_that_patient(
    qtbot: QtBot, db: Database, admin: Actor, desk_day: int
) -> None:
    dialog = open_dialog(qtbot, db, admin)
    dialog.filters.patient.setFocus()
    type_text(qtbot, "nguyen")
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1)
    assert column(dialog, 3) == [f"R-{desk_day:06d} · Nguyễn, Zoë"]

    dialog.filters.patient.setText("nobody by this name")
    dialog.filters.apply()
    assert dialog.model.rowCount() == 0
    assert dialog.count_label.text() == "No entries match."


def test_days_are_whole_local_days_and_a_wrong_date_is_said(
    qtbot: QtBot, db: Database, admin: Actor, desk_day: int
) -> None:
    dialog = open_dialog(qtbot, db, admin)
    everything = dialog.model.rowCount()
    bar = dialog.filters
    tomorrow = date.today() + timedelta(days=1)
    bar.date_from.set_value(tomorrow)
    bar.apply()
    assert dialog.model.rowCount() == 0

    bar.date_from.set_value(date.today())
    bar.date_to.set_value(date.today())
    bar.apply()
    assert dialog.model.rowCount() == everything

    bar.date_to.setText("13/45/2026")
    bar.apply()
    assert bar.error.isVisible() and "real date" in bar.error.text()
    assert dialog.model.rowCount() == everything  # nothing applied until it is fixed


def test_more_rows_load_as_the_table_is_scrolled(qtbot: QtBot, db: Database, admin: Actor) -> None:
    with db.transaction() as session:
        for number in range(450):
            record(session, admin, "referral.view", "referral", number + 1)
    dialog = open_dialog(qtbot, db, admin, TaskRunner())
    qtbot.waitUntil(lambda: dialog.model.rowCount() == audit_log.PAGE_SIZE)
    total = audit_log.count(db, AuditFilter())  # the opening's own row included
    assert total > 2 * audit_log.PAGE_SIZE and dialog.model.canFetchMore()
    scroll = dialog.table.verticalScrollBar()

    for loaded in (2 * audit_log.PAGE_SIZE, total):
        qtbot.waitUntil(lambda: scroll.maximum() > 0 and scroll.value() < scroll.maximum())
        dialog.table.scrollToBottom()
        qtbot.waitUntil(lambda loaded=loaded: dialog.model.rowCount() == loaded)
    assert dialog.model.exhausted and not dialog.model.canFetchMore()
    ids = [entry.id for entry in dialog.model.entries()]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == total


def test_export_writes_the_filtered_rows_to_a_csv_file(
    qtbot: QtBot,
    db: Database,
    admin: Actor,
    clerk: Actor,
    desk_day: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dialog = open_dialog(qtbot, db, admin, TaskRunner())
    qtbot.waitUntil(lambda: dialog.export_button.isEnabled())
    dialog.set_filter(AuditFilter(staff_id=clerk.staff_id))
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 4)
    target = tmp_path / "audit.csv"
    monkeypatch.setattr(dialog, "ask_export_path", lambda _name: target)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy)

    assert dialog.messages.text() == f"Exported 4 rows to {target}."
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:4] == ["Row", "When", "Staff", "What"]
    assert [row[3] for row in rows[1:]] == column(dialog, 2)
    assert [row[6] for row in rows[1:]] == ["done", "failed", "done", "done"]


def test_verify_says_intact_then_finds_a_row_changed_outside_refdesk(
    qtbot: QtBot, db: Database, admin: Actor, desk_day: int
) -> None:
    dialog = open_dialog(qtbot, db, admin)
    qtbot.mouseClick(dialog.verify_button, Qt.MouseButton.LeftButton)
    rows = audit_log.count(db, AuditFilter()) - 1  # the check's own row comes after it
    assert dialog.verdict.text() == f"Intact: {rows:,} rows checked"
    assert dialog.problems.isHidden()

    with db.session() as session:
        tampered = session.scalars(
            select(AuditEvent.id).where(AuditEvent.action == "partner.create").order_by(AuditEvent.id.desc())
        ).first()
    assert db.path is not None
    with contextlib.closing(sqlite3.connect(db.path)) as outside:
        outside.execute("UPDATE audit_event SET success = 0 WHERE id = ?", (tampered,))
        outside.commit()
    qtbot.mouseClick(dialog.verify_button, Qt.MouseButton.LeftButton)

    assert dialog.verdict.text().startswith("Tampered: ")
    assert dialog.problems.isVisible()
    assert dialog.problems.item(0).text().startswith(f"Row {tampered}: ")


def test_someone_who_is_not_an_administrator_is_refused_in_plain_words(
    qtbot: QtBot, db: Database, clerk: Actor, desk_day: int
) -> None:
    dialog = open_dialog(qtbot, db, clerk)
    assert dialog.messages.text() == "Only an administrator can read the audit log."
    assert dialog.model.rowCount() == 0
    assert not dialog.export_button.isEnabled() and not dialog.verify_button.isEnabled()
    assert not dialog.filters.isEnabled()
    newest = audit_log.page(db, AuditFilter(), limit=1)[0]
    assert (newest.action, newest.success, newest.staff_name) == ("audit.view", False, "Bo Chen")


def test_the_audit_model_passes_the_model_tester(  # type: ignore[no-untyped-def]
    qtmodeltester, db: Database, admin: Actor, desk_day: int
) -> None:
    model = AuditModel(db, InlineRunner(), page_size=3)
    model.set_filter(AuditFilter())
    assert model.rowCount() == 3 and model.canFetchMore()
    qtmodeltester.check(model)
    model.fetchMore()
    assert model.rowCount() >= 6


def test_settings_audit_log_in_the_main_window_opens_the_viewer(
    qtbot: QtBot, db: Database, admin: Actor, tmp_path: Path
) -> None:
    window = MainWindow(
        db, admin, demo=False, preferences=QSettings(str(tmp_path / "p.ini"), QSettings.Format.IniFormat)
    )
    qtbot.addWidget(window)
    window.show()
    action = window.findChild(QAction, "settingsAudit")
    assert action is not None
    action.trigger()
    dialog = window.findChild(AuditDialog)
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.model.rowCount() > 0 and not dialog.model.loading)
    assert dialog.model.index(0, 2).data() == "Opened the audit log"
    dialog.reject()
