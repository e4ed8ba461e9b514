"""Every audited action writes exactly one audit row saying who did what to which record, and whether it
worked (reliability.md 13); a refused or failed action writes exactly one row too, marked failed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from refdesk.domain.lifecycle import CloseReason, State
from refdesk.domain.models import AuditEvent, ReferralRecord
from refdesk.domain.times import utc_now
from refdesk.domain.vocab import AttemptMethod, AttemptOutcome, PartnerCategory
from refdesk.errors import RefDeskError, TransitionError, ValidationError
from refdesk.exports.tables import export_queue
from refdesk.imports.mapping import guess_mapping
from refdesk.imports.referrals import run_import
from refdesk.imports.source import open_source
from refdesk.reports.status_letters import write_letters
from refdesk.services import intake, records, scheduling, settings, workflow
from refdesk.services.actor import Actor
from refdesk.services.attempts import log_attempt
from refdesk.services.audit import record_view
from refdesk.services.audit_verify import verify
from refdesk.services.catalog import NewPartner, create_partner
from refdesk.services.metrics import Period
from refdesk.services.queue import QueueFilter
from refdesk.services.referrals import NewReferral, create_referral, update_referral
from refdesk.services.scheduling import AppointmentDraft
from refdesk.storage import Database
from tests.refdesk.imports.files import row, write_csv
from tests.refdesk.services.test_scheduling import settle_gate


@dataclass
class Desk:
    """What an action needs: the database, who acts, a referral, a form and a folder to write in."""

    db: Database
    actor: Actor
    referral_id: int
    form: NewReferral
    out: Path


@dataclass(frozen=True)
class Case:
    """An action: what it needs first, what it does, and the row it must write (``record_id`` finds the
    record's id from what ``prepare`` and the action returned)."""

    act: Callable[[Desk, Any], Any]
    action: str
    entity: str
    record_id: Callable[[Desk, Any, Any], int | None] = lambda desk, _prepared, _result: desk.referral_id
    prepare: Callable[[Desk], Any] = lambda _desk: None


def reached(desk: Desk) -> int:
    received = utc_now() - timedelta(days=10)
    rid = create_referral(desk.db, desk.actor, replace(desk.form, received_at=received))
    log_attempt(
        desk.db, desk.actor, rid, AttemptMethod.CALL, AttemptOutcome.REACHED, at=received + timedelta(hours=1)
    )
    settle_gate(desk.db, rid)
    return rid


def book(desk: Desk, rid: int) -> Any:
    day = datetime.now().date() + timedelta(days=7)
    starts = datetime(day.year, day.month, day.day, 10, 0)
    return scheduling.book(desk.db, desk.actor, rid, AppointmentDraft(starts_at=starts, provider="Dr Lee"))


def first_record(desk: Desk) -> int:
    with desk.db.session() as session:
        found = session.scalars(
            select(ReferralRecord.id).where(ReferralRecord.referral_id == desk.referral_id)
        ).first()
    assert found is not None
    return found


def import_file(desk: Desk) -> Any:
    path = write_csv(desk.out / "log.csv", [row(first="Ana", last="Silva", phone="555-201-0001")])
    with open_source(path) as source:
        mapping = guess_mapping("referrals", source.headers)
        mapping.defaults = {"service_line": "Physical therapy", "channel": "fax"}
        mapping.date_format = "MDY"
        return run_import(desk.db, desk.actor, source, mapping)


def this_month() -> Period:
    today = date.today()
    return Period(today.replace(day=1), today)


SUCCEEDS: dict[str, Case] = {
    "create a referral": Case(
        lambda d, _: create_referral(d.db, d.actor, replace(d.form, patient_first_name="Ana")),
        "referral.create",
        "referral",
        lambda _d, _p, result: result,
    ),
    "update a field": Case(
        lambda d, _: update_referral(d.db, d.actor, d.referral_id, {"phone": "555-201-9999"}),
        "referral.update",
        "referral",
    ),
    "move a referral": Case(
        lambda d, _: workflow.move(d.db, d.actor, d.referral_id, State.REACHED), "referral.move", "referral"
    ),
    "close a referral": Case(
        lambda d, _: workflow.close(d.db, d.actor, d.referral_id, CloseReason.PATIENT_NOT_INTERESTED),
        "referral.close",
        "referral",
    ),
    "log an attempt": Case(
        lambda d, _: log_attempt(d.db, d.actor, d.referral_id, AttemptMethod.CALL, AttemptOutcome.NO_ANSWER),
        "attempt.create",
        "referral",
    ),
    "book an appointment": Case(
        book, "appointment.book", "referral", lambda _d, rid, _r: rid, prepare=reached
    ),
    "answer an intake item": Case(
        lambda d, _: intake.answer(d.db, d.actor, d.referral_id, "reason_confirmed", True),
        "referral.answer",
        "referral",
    ),
    "record a record's status": Case(
        lambda d, record_id: records.mark_requested(d.db, d.actor, record_id, date.today()),
        "record.request",
        "referral",
        prepare=first_record,
    ),
    "view a referral": Case(
        lambda d, _: record_view(d.db, d.actor, d.referral_id), "referral.view", "referral"
    ),
    "update a setting": Case(
        lambda d, _: settings.put(d.db, d.actor, settings.CLINIC_NAME, "Riverside Clinic"),
        "setting.update",
        "setting",
        lambda _d, _p, _r: None,
    ),
    "create a partner": Case(
        lambda d, _: create_partner(
            d.db, d.actor, NewPartner(name="Elm Clinic", category=PartnerCategory.PRIMARY_CARE)
        ),
        "partner.create",
        "partner",
        lambda _d, _p, result: result,
    ),
    "export the queue": Case(
        lambda d, _: export_queue(d.db, d.actor, QueueFilter(), d.out / "queue.csv"),
        "export.queue",
        "referral",
        lambda _d, _p, _r: None,
    ),
    "print status letters": Case(
        lambda d, _: write_letters(d.db, d.actor, this_month(), None, d.out / "letters.pdf"),
        "report.letters",
        "partner",
        lambda d, _p, _r: d.form.partner_id,  # the one partner with referrals this month
        prepare=lambda d: settings.put(d.db, d.actor, settings.CLINIC_NAME, "Riverside Clinic"),
    ),
    "import referrals": Case(
        lambda d, _: import_file(d), "referral.import", "referral", lambda _d, _p, _r: None
    ),
}


def new_rows(db: Database, after: int) -> list[AuditEvent]:
    with db.session() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.id > after).order_by(AuditEvent.id)))


def last_id(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.max(AuditEvent.id))) or 0


@pytest.fixture
def desk(db: Database, actor: Actor, referral_id: int, new_referral: NewReferral, out: Path) -> Desk:
    return Desk(db, actor, referral_id, new_referral, out)


@pytest.mark.parametrize("name", list(SUCCEEDS))
def test_an_action_writes_exactly_one_row_saying_who_what_which_and_that_it_worked(
    desk: Desk, name: str
) -> None:
    case = SUCCEEDS[name]
    prepared = case.prepare(desk)
    before = last_id(desk.db)
    result = case.act(desk, prepared)
    written = new_rows(desk.db, before)
    assert [(r.action, r.entity, r.entity_id, r.staff_id, r.success) for r in written] == [
        (case.action, case.entity, case.record_id(desk, prepared, result), desk.actor.staff_id, True)
    ]
    assert written[0].at <= utc_now() and written[0].chain_hash
    assert verify(desk.db).ok


FAILS: dict[str, tuple[Callable[[Desk], Any], type[RefDeskError], str]] = {
    "a refused move": (
        lambda d: workflow.move(d.db, d.actor, d.referral_id, State.SCHEDULED),
        TransitionError,
        "referral.move",
    ),
    "reopening an open referral": (
        lambda d: workflow.reopen(d.db, d.actor, d.referral_id),
        TransitionError,
        "referral.reopen",
    ),
    "an invalid field": (
        lambda d: update_referral(d.db, d.actor, d.referral_id, {"phone": "not a phone"}),
        ValidationError,
        "referral.update",
    ),
    "an invalid new referral": (
        lambda d: create_referral(d.db, d.actor, replace(d.form, patient_last_name="")),
        ValidationError,
        "referral.create",
    ),
    "an attempt in the future": (
        lambda d: log_attempt(
            d.db,
            d.actor,
            d.referral_id,
            AttemptMethod.CALL,
            AttemptOutcome.NO_ANSWER,
            at=utc_now() + timedelta(days=1),
        ),
        ValidationError,
        "attempt.create",
    ),
}


@pytest.mark.parametrize("name", list(FAILS))
def test_a_refused_action_writes_exactly_one_failed_row_with_the_reason(desk: Desk, name: str) -> None:
    act, error, action = FAILS[name]
    before = last_id(desk.db)
    with pytest.raises(error) as raised:
        act(desk)
    written = new_rows(desk.db, before)
    assert [(r.action, r.staff_id, r.success) for r in written] == [(action, desk.actor.staff_id, False)]
    assert written[0].detail == {"error": str(raised.value)}
    assert verify(desk.db).ok
