"""The administrator's audit log: what it lists and in which words, its filters, its pages, its export,
and that nobody else may read it (reliability.md 13 to 15)."""

from __future__ import annotations

import ast
import csv
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from refdesk.domain.lifecycle import State
from refdesk.domain.models import Appointment, AuditEvent
from refdesk.domain.times import to_local, utc_now
from refdesk.domain.vocab import StaffRole
from refdesk.errors import AccessDenied, OperationCancelled, TransitionError
from refdesk.services import audit_log, settings, workflow
from refdesk.services.actor import Actor, ensure_staff
from refdesk.services.audit import record, record_view
from refdesk.services.audit_log import AuditFilter, count, export_csv, open_viewer, page
from refdesk.services.referrals import NewReferral, create_referral
from refdesk.storage import Database
from tests.refdesk.services.helpers import audit_rows


@pytest.fixture
def admin(db: Database) -> Actor:
    return ensure_staff(db, "ada", "Ada Admin", StaffRole.ADMIN)


def ids(entries: list[audit_log.AuditEntry]) -> list[int]:
    return [entry.id for entry in entries]


def all_ids(db: Database) -> list[int]:
    with db.session() as session:
        return list(session.scalars(select(AuditEvent.id).order_by(AuditEvent.id.desc())))


# -- words -------------------------------------------------------------------------------------------


def test_an_entry_says_who_did_what_to_which_record_in_plain_words(
    db: Database, actor: Actor, referral_id: int, partner_id: int
) -> None:
    record_view(db, actor, referral_id)
    settings.put(db, actor, settings.CLINIC_NAME, "=Riverside")
    newest = page(db, AuditFilter(), limit=4)
    view = next(entry for entry in newest if entry.action == "referral.view")
    assert view.staff_name == "Maria Lopez" and view.action_label == "Opened a referral"
    assert view.record_label == f"R-{referral_id:06d} · Nguyễn, Zoë" and view.success
    assert view.at.tzinfo is not None and abs(datetime.now(UTC) - view.at) < timedelta(minutes=5)
    change = newest[0]
    assert (change.action_label, change.record_label) == ("Changed a setting", "Setting · clinic.name")
    assert change.detail_text == "key: clinic.name; old: empty; new: =Riverside"
    partner = next(e for e in page(db, AuditFilter(action="partner.create")))
    assert partner.record_label == "Partner · Oak Street Primary Care"


def test_rows_nobody_signed_in_for_and_unknown_actions_still_read(db: Database) -> None:
    with db.transaction() as session:
        record(session, None, "someday.new_thing", "thing", None, success=False, detail={"error": "No."})
    entry = page(db, AuditFilter(), limit=1)[0]
    assert (entry.staff_name, entry.action_label, entry.record_label) == ("", "someday.new_thing", "")
    assert entry.detail_text == "error: No." and not entry.success


def test_a_long_detail_is_cut_to_one_short_line() -> None:
    text = audit_log.detail_text({"note": "word " * 200, "fields": ["a", "b"], "nested": {"x": True}})
    assert len(text) == audit_log.DETAIL_CHARS and text.endswith("…") and "\n" not in text


def test_every_action_recorded_anywhere_in_refdesk_has_a_label() -> None:
    """Scans the source for the actions passed to the audit writers, so a new action cannot reach the
    viewer as a bare code."""
    found: set[str] = set()
    writers = {"audited": 2, "failures_audited": 2, "record": 2, "run_audited": 2, "record_without_actor": 1}
    root = Path(audit_log.__file__).resolve().parents[1]
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                position = writers.get(name or "")
                if position is not None and len(node.args) > position:
                    found |= _strings(node.args[position])
                found |= {s for k in node.keywords if k.arg == "action" for s in _strings(k.value)}
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id in {"ACTION", "action", "KEY_REPLACED", "SEAL_BROKEN"}
                for t in node.targets
            ):
                found |= _strings(node.value)
    assert {"referral.view", "referral.create", "audit.export", "demo.load"} <= found
    assert sorted(found - set(audit_log.ACTIONS)) == []


def _strings(node: ast.AST) -> set[str]:
    return {
        n.value
        for n in ast.walk(node)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and "." in n.value and " " not in n.value
    }


# -- filters and pages -------------------------------------------------------------------------------


def test_pages_run_newest_first_and_meet_without_gaps_or_repeats(db: Database, actor: Actor) -> None:
    for n in range(11):
        settings.put(db, actor, settings.CLINIC_NAME, f"Clinic {n}")
    seen: list[int] = []
    before = None
    while True:
        chunk = page(db, AuditFilter(), before_id=before, limit=4)
        seen += ids(chunk)
        if len(chunk) < 4:
            break
        before = chunk[-1].id
    assert seen == all_ids(db) and count(db, AuditFilter()) == len(seen) == 12


def test_filters_by_staff_action_prefix_and_failures(
    db: Database, actor: Actor, admin: Actor, referral_id: int
) -> None:
    record_view(db, admin, referral_id)
    with pytest.raises(TransitionError):  # a refused move: one failed row
        workflow.move(db, actor, referral_id, State.SCHEDULED)
    workflow.move(db, actor, referral_id, State.REACHED)

    mine = page(db, AuditFilter(staff_id=admin.staff_id))
    assert [e.action for e in mine] == ["referral.view", "staff.create"]
    assert [e.action for e in page(db, AuditFilter(action="referral.move"))] == ["referral.move"] * 2
    assert {e.action for e in page(db, AuditFilter(action="referral."))} == {
        "referral.view",
        "referral.create",
        "referral.move",
    }
    assert page(db, AuditFilter(action="referral")) == []  # neither an action nor a prefix
    failed = page(db, AuditFilter(failures_only=True))
    assert [(e.action, e.success) for e in failed] == [("referral.move", False)]
    both = AuditFilter(staff_id=actor.staff_id, action="referral.", failures_only=True)
    assert count(db, both) == 1 and ids(page(db, both)) == ids(failed)


def test_a_date_range_takes_whole_local_days(db: Database, actor: Actor) -> None:
    local_noon = to_local(datetime.now(UTC)).replace(hour=12, minute=0, second=0, microsecond=0)
    with db.transaction() as session:
        for days_ago in (10, 5, 4, 1):
            at = local_noon - timedelta(days=days_ago)
            session.add(
                AuditEvent(
                    at=at,
                    staff_id=actor.staff_id,
                    action="referral.view",
                    entity="referral",
                    entity_id=days_ago,
                )
            )
    today = local_noon.date()
    found = page(
        db,
        AuditFilter(
            action="referral.view", date_from=today - timedelta(days=5), date_to=today - timedelta(days=4)
        ),
    )
    assert [e.record_label for e in found] == ["R-000004", "R-000005"]
    assert count(db, AuditFilter(action="referral.view", date_from=today - timedelta(days=1))) == 1
    assert count(db, AuditFilter(action="referral.view", date_to=today - timedelta(days=10))) == 1


@pytest.mark.parametrize("typed", ["Nguyễn", "zoe ngu", "R-000001", "04/02/1958", "555-201-4477"])
def test_a_patient_search_finds_the_rows_about_their_referral_and_its_appointments(
    db: Database, actor: Actor, new_referral: NewReferral, referral_id: int, typed: str
) -> None:
    someone_else = replace(
        new_referral,
        patient_first_name="Ana",
        patient_last_name="Silva",
        patient_dob=date(1990, 1, 1),
        phone="555-777-1234",
    )
    other = create_referral(db, actor, someone_else)
    record_view(db, actor, other)
    record_view(db, actor, referral_id)
    with db.transaction() as session:
        record(session, actor, "appointment.confirm", "appointment", _appointment(db, actor, referral_id))
    found = page(db, AuditFilter(patient=typed))
    assert referral_id == 1
    assert [e.action for e in found] == ["appointment.confirm", "referral.view", "referral.create"]
    assert {e.record_label for e in found} == {"R-000001 · Nguyễn, Zoë"}
    assert count(db, AuditFilter(patient=typed)) == 3


def _appointment(db: Database, actor: Actor, referral_id: int) -> int:
    """An appointment row of ``referral_id`` (written directly: only its link to the referral matters)."""
    with db.transaction() as session:
        appointment = Appointment(
            referral_id=referral_id,
            starts_at=utc_now() + timedelta(days=3),
            provider="Dr Lee",
            created_by=actor.staff_id,
        )
        session.add(appointment)
        session.flush()
        return appointment.id


def test_a_patient_nobody_matches_finds_nothing(db: Database, referral_id: int) -> None:
    assert (
        page(db, AuditFilter(patient="Nobody Atall")) == []
        and count(db, AuditFilter(patient="Nobody Atall")) == 0
    )


# -- admin only ------------------------------------------------------------------------------------------


def test_opening_the_viewer_is_audited_and_refused_to_non_admins(
    db: Database, actor: Actor, admin: Actor
) -> None:
    open_viewer(db, admin)
    with pytest.raises(AccessDenied, match="administrator"):
        open_viewer(db, actor)
    assert [(r.staff_id, r.success) for r in audit_rows(db, "audit.view")] == [
        (admin.staff_id, True),
        (actor.staff_id, False),
    ]


def test_the_export_is_the_filtered_log_formula_safe_and_audited(
    db: Database, actor: Actor, admin: Actor, referral_id: int, out: Path
) -> None:
    settings.put(db, actor, settings.CLINIC_NAME, "=HYPERLINK(1)")
    target = out / "audit.csv"
    written = export_csv(db, admin, AuditFilter(staff_id=actor.staff_id), target)
    with target.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows[0] == list(audit_log.CSV_COLUMNS) and written == len(rows) - 1 == 5
    assert [r[4] for r in rows[1:]] == [
        "setting.update",
        "referral.create",
        "service_line.create",
        "partner.create",
        "staff.create",
    ]
    assert rows[1][7].startswith("key: clinic.name") and "=HYPERLINK" in rows[1][7]
    assert all(not cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)
    exported = audit_rows(db, "audit.export")
    assert [(r.staff_id, r.success) for r in exported] == [(admin.staff_id, True)]
    assert exported[0].detail == {
        "file_name": "audit.csv",
        "rows": 5,
        "filter": {
            "staff_id": actor.staff_id,
            "patient": False,
            "action": None,
            "date_from": None,
            "date_to": None,
            "failures_only": False,
        },
    }


def test_the_export_is_refused_to_non_admins_and_leaves_no_file(
    db: Database, actor: Actor, out: Path
) -> None:
    with pytest.raises(AccessDenied):
        export_csv(db, actor, AuditFilter(), out / "audit.csv")
    assert list(out.iterdir()) == []
    assert [(r.staff_id, r.success) for r in audit_rows(db, "audit.export")] == [(actor.staff_id, False)]


def test_a_cancelled_export_leaves_no_file(db: Database, admin: Actor, out: Path) -> None:
    with pytest.raises(OperationCancelled):
        export_csv(db, admin, AuditFilter(), out / "audit.csv", should_stop=lambda: True)
    assert list(out.iterdir()) == []
    assert [r.success for r in audit_rows(db, "audit.export")] == [False]


def test_verifying_is_for_admins_and_records_its_verdict(db: Database, actor: Actor, admin: Actor) -> None:
    verdict = audit_log.verify(db, admin)
    assert verdict.ok and verdict.rows == 2
    with pytest.raises(AccessDenied):
        audit_log.verify(db, actor)
    rows = audit_rows(db, "audit.verify")
    assert [(r.staff_id, r.success) for r in rows] == [(admin.staff_id, True), (actor.staff_id, False)]
    assert rows[0].detail == {"ok": True, "rows": 2, "checked": 2, "problems": 0, "unverifiable": 0}
