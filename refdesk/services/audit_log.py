"""The audit log as the administrator reads it: filter, page newest first, export, verify.

Reading the log is for administrators only (reliability.md 15): ``open_viewer``, ``export_csv`` and
``verify`` refuse anyone else with ``AccessDenied`` and audit the refusal; ``count`` and ``page`` are
the viewer's reads once it is open. Rows come a page at a time by id (keyset paging: ``before_id`` is
the last id shown), so the viewer stays quick on a log of millions of rows: the newest-first walk is the
primary key, a patient search narrows through ``ix_audit_event_entity``, a date range through
``ix_audit_event_at``.

Each entry is in plain words: the action's label ("Opened a referral"), the record it touched
("R-000123 · Nguyễn, Zoë", "Partner · Oak Street Primary Care") and a compact detail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.orm import Session

from refdesk.domain.formats import referral_number
from refdesk.domain.models import (
    Appointment,
    AuditEvent,
    Partner,
    PartnerContact,
    PartnerTouch,
    Referral,
    ServiceLine,
    Staff,
)
from refdesk.domain.times import as_utc, to_local
from refdesk.exports.csv_safe import SafeCsv
from refdesk.exports.trail import Steps, failures_audited
from refdesk.reports.atomic import taken_back_on_failure
from refdesk.services import audit_verify, queue
from refdesk.services.actor import Actor
from refdesk.services.audit import audited
from refdesk.services.audit_verify import AuditVerdict
from refdesk.services.staff_admin import check_admin
from refdesk.storage import Database

PAGE_SIZE = 200
#: Rows read at a time by the export (memory stays flat whatever the log's size).
EXPORT_PAGE = 1000
#: Referrals a patient search may match (a name common enough to match more is too vague to audit by).
PATIENT_MATCHES = 500
#: Longest detail text shown in a row (the whole detail is in the database).
DETAIL_CHARS = 300
CANCELLED = "The audit log export was cancelled."
CSV_COLUMNS = ("Row", "When", "Staff", "What", "Action", "Record", "Result", "Detail")

#: Every action RefDesk records, with what it means in plain words.
ACTIONS: dict[str, str] = {
    "referral.view": "Opened a referral",
    "referral.create": "Added a referral",
    "referral.update": "Changed a referral",
    "referral.move": "Moved a referral",
    "referral.close": "Closed a referral",
    "referral.delete": "Deleted a referral",
    "referral.reopen": "Reopened a referral",
    "referral.acknowledge": "Acknowledged a referral",
    "referral.answer": "Answered an intake question",
    "referral.import": "Imported referrals",
    "referral.records_letter": "Printed a records request letter",
    "attempt.create": "Logged a contact attempt",
    "record.add": "Added a required record",
    "record.request": "Marked a record requested",
    "record.receive": "Marked a record received",
    "record.chase": "Marked a record chased",
    "appointment.book": "Booked an appointment",
    "appointment.rebook": "Booked a new appointment",
    "appointment.reschedule": "Rescheduled an appointment",
    "appointment.confirm": "Confirmed an appointment",
    "appointment.no_show": "Recorded a no-show",
    "appointment.cancel": "Cancelled an appointment",
    "appointment.complete": "Recorded a first visit completed",
    "partner.create": "Added a partner",
    "partner.update": "Changed a partner",
    "partner.import": "Imported partners",
    "partner_contact.create": "Added a partner contact",
    "partner_contact.update": "Changed a partner contact",
    "partner_contact.remove": "Removed a partner contact",
    "partner_touch.create": "Logged partner outreach",
    "service_line.create": "Added a service line",
    "service_line.update": "Changed a service line",
    "service_line.retire": "Retired a service line",
    "service_line.restore": "Restored a service line",
    "intake_script.save": "Saved an intake script",
    "setting.update": "Changed a setting",
    "export.queue": "Exported the queue (CSV)",
    "export.metrics": "Exported partner metrics (CSV)",
    "report.summary": "Printed a summary report",
    "report.letters": "Printed status letters",
    "report.packet": "Printed an intake packet",
    "auth.sign_in": "Signed in",
    "auth.sign_out": "Signed out",
    "clinic.setup": "Set up the clinic",
    "staff.create": "Added a staff account",
    "staff.role": "Changed a staff member's role",
    "staff.enable": "Enabled a staff account",
    "staff.disable": "Disabled a staff account",
    "staff.reset_password": "Reset a password",
    "staff.change_password": "Changed own password",
    "demo.load": "Loaded demo data",
    "audit.view": "Opened the audit log",
    "audit.export": "Exported the audit log (CSV)",
    "audit.verify": "Checked the audit trail",
    "audit.key_replaced": "Sealed with a new audit key",
    "audit.seal_broken": "Found the audit trail's seal broken",
}


@dataclass(frozen=True)
class AuditFilter:
    """What the viewer shows; every part None (or False) means "any".

    ``patient``: a name, phone number, date of birth or R-number, as typed in the queue's search box;
    ``action``: an exact action ("referral.view") or a prefix ending in a dot ("referral.");
    ``date_from`` / ``date_to``: local calendar days, both included.
    """

    staff_id: int | None = None
    patient: str | None = None
    action: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    failures_only: bool = False


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One row of the log in plain words (plain values: safe to hand to another thread)."""

    id: int
    at: datetime
    staff_name: str
    action: str
    action_label: str
    record_label: str
    success: bool
    detail_text: str


# -- access ----------------------------------------------------------------------------------------------


def open_viewer(db: Database, actor: Actor) -> None:
    """Call as the audit viewer opens: one "audit.view" row, refused and audited too for a non-admin.

    Raises:
        AccessDenied: ``actor`` is not an active administrator.
    """
    with audited(db, actor, "audit.view", "audit") as scope:
        check_admin(scope.session, actor, "read the audit log")


def verify(
    db: Database,
    actor: Actor,
    *,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> AuditVerdict:
    """Check the whole trail's seals (``refdesk.services.audit_verify.verify``) for an administrator;
    one "audit.verify" row records the verdict (or the refusal, or why it could not be done).

    Raises:
        AccessDenied: ``actor`` is not an active administrator.
        AuditKeyError: this computer has no audit key to verify with.
        OperationCancelled: ``should_stop()`` became true.
    """
    with failures_audited(db, actor, "audit.verify", "audit"):
        with db.session() as session:
            check_admin(session, actor, "check the audit trail")
        verdict = audit_verify.verify(db, progress=progress, should_stop=should_stop)
    with audited(db, actor, "audit.verify", "audit") as scope:
        scope.detail.update(
            {
                "ok": verdict.ok,
                "rows": verdict.rows,
                "checked": verdict.checked,
                "problems": verdict.problem_count,
                "unverifiable": verdict.unverifiable,
            }
        )
    return verdict


# -- reading ---------------------------------------------------------------------------------------------


def count(db: Database, f: AuditFilter) -> int:
    """How many rows ``f`` matches."""
    query = select(func.count()).select_from(AuditEvent).where(*_conditions(db, f))
    with db.session() as session:
        return session.scalar(query) or 0


def page(
    db: Database, f: AuditFilter, *, before_id: int | None = None, limit: int = PAGE_SIZE
) -> list[AuditEntry]:
    """Up to ``limit`` rows ``f`` matches, newest first, older than ``before_id`` when given (the last
    id of the page before)."""
    return _page(db, _conditions(db, f), before_id, limit)


def _page(
    db: Database, conditions: list[ColumnElement[bool]], before_id: int | None, limit: int
) -> list[AuditEntry]:
    if before_id is not None:
        conditions = [*conditions, AuditEvent.id < before_id]
    query = (
        select(AuditEvent, Staff.full_name, Staff.username)
        .outerjoin(Staff, Staff.id == AuditEvent.staff_id)
        .where(*conditions)
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    with db.session() as session:
        rows = [(event, name or username or "") for event, name, username in session.execute(query)]
        records = _record_labels(session, [event for event, _ in rows])
    return [
        AuditEntry(
            id=event.id,
            at=event.at,
            staff_name=staff_name,
            action=event.action,
            action_label=action_label(event.action),
            record_label=records.get((event.entity, event.entity_id))
            or _setting_label(event.entity, event.detail),
            success=event.success,
            detail_text=detail_text(event.detail),
        )
        for event, staff_name in rows
    ]


def action_label(action: str) -> str:
    """The action in plain words; an action this version does not know is shown as it is stored."""
    return ACTIONS.get(action, action)


def _conditions(db: Database, f: AuditFilter) -> list[ColumnElement[bool]]:
    terms: list[ColumnElement[bool]] = []
    if f.staff_id is not None:
        terms.append(AuditEvent.staff_id == f.staff_id)
    if f.action:
        if f.action.endswith("."):
            prefix = f.action.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            terms.append(AuditEvent.action.like(f"{prefix}%", escape="\\"))
        else:
            terms.append(AuditEvent.action == f.action)
    if f.date_from is not None:
        terms.append(AuditEvent.at >= as_utc(datetime.combine(f.date_from, time(0, 0))))
    if f.date_to is not None:
        terms.append(AuditEvent.at < as_utc(datetime.combine(f.date_to + timedelta(days=1), time(0, 0))))
    if f.failures_only:
        terms.append(AuditEvent.success.is_(False))
    if f.patient and f.patient.strip():
        terms.append(_patient_term(db, f.patient))
    return terms


def _patient_term(db: Database, typed: str) -> ColumnElement[bool]:
    """The rows about the referrals the queue's search finds for ``typed`` (and their appointments)."""
    every_state = queue.QueueFilter(states=frozenset(), search=typed)  # empty: any state
    found = queue.first_page(db, every_state, queue.QueueSort(), limit=PATIENT_MATCHES)
    ids = [row.id for row in found]
    if not ids:
        return false()
    appointments = select(Appointment.id).where(Appointment.referral_id.in_(ids))
    return or_(
        and_(AuditEvent.entity == "referral", AuditEvent.entity_id.in_(ids)),
        and_(AuditEvent.entity == "appointment", AuditEvent.entity_id.in_(appointments)),
    )


# -- plain words for a page ------------------------------------------------------------------------------


def _record_labels(session: Session, events: Sequence[AuditEvent]) -> dict[tuple[str, int | None], str]:
    """Labels for the records a page of rows touched, a query per kind of record."""
    wanted: dict[str, set[int]] = {}
    for event in events:
        if event.entity_id is not None:
            wanted.setdefault(event.entity, set()).add(event.entity_id)
    labels: dict[tuple[str, int | None], str] = {}
    appointments = _pairs(
        session, select(Appointment.id, Appointment.referral_id), Appointment.id, wanted.get("appointment")
    )
    referral_ids = set(wanted.get("referral", ())) | set(appointments.values())
    referrals = {
        rid: f"{referral_number(rid)} · {last}, {first}"
        for rid, last, first in _rows(
            session,
            select(Referral.id, Referral.patient_last_name, Referral.patient_first_name),
            Referral.id,
            referral_ids,
        )
    }
    for rid in wanted.get("referral", ()):
        labels["referral", rid] = referrals.get(rid, referral_number(rid))
    for appointment_id, rid in appointments.items():
        labels["appointment", appointment_id] = referrals.get(rid, referral_number(rid))
    named = (
        ("partner", "Partner", select(Partner.id, Partner.name), Partner.id),
        ("service_line", "Service line", select(ServiceLine.id, ServiceLine.name), ServiceLine.id),
        ("staff", "Staff", select(Staff.id, Staff.full_name), Staff.id),
        (
            "partner_contact",
            "Partner contact",
            select(PartnerContact.id, PartnerContact.name),
            PartnerContact.id,
        ),
        (
            "partner_touch",
            "Partner",
            select(PartnerTouch.id, Partner.name).join(Partner, Partner.id == PartnerTouch.partner_id),
            PartnerTouch.id,
        ),
    )
    for entity, kind, query, key in named:
        for row_id, name in _pairs(session, query, key, wanted.get(entity)).items():
            labels[entity, row_id] = f"{kind} · {name}"
    return labels


def _rows(
    session: Session, query: Select[*tuple[Any, ...]], key: Any, ids: Iterable[int] | None
) -> list[Any]:
    chosen = sorted(ids or ())
    return list(session.execute(query.where(key.in_(chosen)))) if chosen else []


def _pairs(
    session: Session, query: Select[*tuple[Any, ...]], key: Any, ids: Iterable[int] | None
) -> dict[int, Any]:
    return {int(row[0]): row[1] for row in _rows(session, query, key, ids)}


def _setting_label(entity: str, detail: dict[str, Any] | None) -> str:
    if entity == "setting" and isinstance(detail, dict) and isinstance(detail.get("key"), str):
        return f"Setting · {detail['key']}"
    return ""


def detail_text(detail: Any) -> str:
    """A row's detail in one short line: ``key: clinic.name; old: A; new: B`` (cut at DETAIL_CHARS)."""
    if not detail:
        return ""
    text = _compact(detail, top=True)
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 1] + "…"


def _compact(value: Any, *, top: bool = False) -> str:
    if isinstance(value, dict):
        parts = [f"{key}: {_compact(item)}" for key, item in value.items()]
        return "; ".join(parts) if top else "{" + ", ".join(parts) + "}"
    if isinstance(value, list | tuple):
        return ", ".join(_compact(item) for item in value) or "none"
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return " ".join(str(value).split())


# -- export ----------------------------------------------------------------------------------------------


def export_csv(
    db: Database, actor: Actor, f: AuditFilter, target: Path, *, should_stop: Callable[[], bool] | None = None
) -> int:
    """Write the rows ``f`` matches, newest first, to the CSV ``target`` (formula-safe, written whole or
    not at all); returns the rows written. Administrators only; one "audit.export" row either way.

    Raises:
        AccessDenied: ``actor`` is not an active administrator.
        OperationCancelled: ``should_stop()`` became true; no file is left.
        ExportError: the file could not be written.
    """
    steps = Steps(None, should_stop, CANCELLED)
    with failures_audited(db, actor, "audit.export", "audit"), SafeCsv(target) as out:
        with db.session() as session:
            check_admin(session, actor, "export the audit log")
        out.row(CSV_COLUMNS)
        conditions = _conditions(db, f)  # once: a patient search is not repeated per page
        before: int | None = None
        while True:
            steps.check()
            entries = _page(db, conditions, before, EXPORT_PAGE)
            for entry in entries:
                out.row(_csv_cells(entry))
            if len(entries) < EXPORT_PAGE:
                break
            before = entries[-1].id
        steps.check()
        written = out.rows - 1
        with taken_back_on_failure() as placed, audited(db, actor, "audit.export", "audit") as scope:
            scope.detail.update({"file_name": out.publish(), "rows": written, "filter": _describe(f)})
            placed.append(out.target)
    return written


def _csv_cells(entry: AuditEntry) -> list[object]:
    return [
        entry.id,
        to_local(entry.at).strftime("%Y-%m-%d %H:%M:%S"),
        entry.staff_name,
        entry.action_label,
        entry.action,
        entry.record_label,
        "done" if entry.success else "failed",
        entry.detail_text,
    ]


def _describe(f: AuditFilter) -> dict[str, object]:
    """The filter as the audit keeps it: never the patient words typed (they may be a name)."""
    return {
        "staff_id": f.staff_id,
        "patient": bool(f.patient and f.patient.strip()),
        "action": f.action,
        "date_from": f.date_from.isoformat() if f.date_from else None,
        "date_to": f.date_to.isoformat() if f.date_to else None,
        "failures_only": f.failures_only,
    }
