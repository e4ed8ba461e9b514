"""A small clinic's month, made with the real services, for the documents' tests: a letterhead, two
partners with the person who receives updates, and referrals at every stage a letter or a summary
tells apart (seen, scheduled, being contacted, could not reach, declined), with names in several
scripts and with markup characters."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from refdesk.domain.lifecycle import CloseReason
from refdesk.domain.models import Partner, PartnerContact
from refdesk.domain.times import to_local, utc_now
from refdesk.domain.vocab import AttemptMethod, AttemptOutcome, PartnerCategory
from refdesk.services import scheduling, settings
from refdesk.services.actor import Actor
from refdesk.services.attempts import log_attempt
from refdesk.services.catalog import NewPartner, create_partner
from refdesk.services.metrics import Period
from refdesk.services.referrals import NewReferral, create_referral
from refdesk.services.scheduling import AppointmentDraft
from refdesk.services.workflow import close
from refdesk.storage import Database
from tests.accounts import coordinator

DAY, HOUR = timedelta(days=1), timedelta(hours=1)
#: Patient names that must come out of a PDF exactly as typed.
SEEN = ("Zoë", "Nguyễn")
SCHEDULED = ("Łukasz", "<b>&amp;")
UNREACHED = ("Ольга", "Петрова")
DECLINED = ("José", "Núñez & <Jr>")
WAITING = ("Αθηνά", "Παππά")
OTHER_PARTNER = "Ольга's Care & Co <i>"


def full(name: tuple[str, str]) -> str:
    return f"{name[0]} {name[1]}"


def fill_letterhead(db: Database, actor: Actor) -> None:
    settings.save_letterhead_field(db, coordinator(db), settings.CLINIC_NAME, "Riverside Clinic")
    settings.save_letterhead_field(
        db, coordinator(db), settings.CLINIC_ADDRESS, "12 River Road\nSpringfield, IL 62704"
    )
    settings.save_letterhead_field(db, coordinator(db), settings.CLINIC_PHONE, "555 201 0000")
    settings.save_letterhead_field(db, coordinator(db), settings.CLINIC_FAX, "555 201 0001")


def receives_updates(
    db: Database,
    partner_id: int,
    name: str,
    role: str,
    fax: str | None = None,
    *,
    partner_fax: str | None = None,
) -> None:
    """The partner's postal address, a contact who is not the addressee, and ``name``, who receives
    updates (with a fax of their own, or the partner's ``partner_fax``)."""
    with db.transaction() as session:
        partner = session.get(Partner, partner_id)
        assert partner is not None
        partner.address_line1, partner.city, partner.region, partner.postal_code = (
            "1 Oak Street",
            "Springfield",
            "IL",
            "62701",
        )
        if partner_fax is not None:
            partner.fax = partner_fax
        session.add(PartnerContact(partner_id=partner_id, name="Not the addressee", role="Physician"))
        session.add(
            PartnerContact(partner_id=partner_id, name=name, role=role, receives_updates=True, fax=fax)
        )


@dataclass(frozen=True)
class Month:
    """What ``a_month`` made: the period, the partners and the referral ids by stage."""

    period: Period
    partner_id: int
    other_partner_id: int
    seen: int
    scheduled: int
    unreached: int
    declined: int
    waiting: int
    other: int
    before: int
    appointment_day: date
    seen_day: date


def a_month(db: Database, actor: Actor, form: NewReferral) -> Month:
    """Referrals received ten days ago (and one long before), worked to each stage."""
    now = utc_now()
    received = now - 10 * DAY
    fill_letterhead(db, actor)
    receives_updates(db, form.partner_id or 0, "Dr. Øyvind <Ærø>", "Office manager", "(555) 310-2200")
    other_partner = create_partner(
        db, actor, NewPartner(name=OTHER_PARTNER, category=PartnerCategory.SPECIALTY, fax="555 320 1000")
    )

    def referral(name: tuple[str, str], **changes: object) -> int:
        values: dict[str, object] = {
            "patient_first_name": name[0],
            "patient_last_name": name[1],
            "received_at": received,
        }
        values.update(changes)
        return create_referral(db, actor, replace(form, **values))  # type: ignore[arg-type]

    def reached(rid: int) -> None:
        log_attempt(db, actor, rid, AttemptMethod.CALL, AttemptOutcome.REACHED, at=received + HOUR)

    seen = referral(SEEN)
    reached(seen)
    visit_at = now - 6 * DAY
    booked = scheduling.book(
        db,
        actor,
        seen,
        AppointmentDraft(starts_at=visit_at, provider="Dr Lee"),
        override_reason="checked on paper",
        at=received + 2 * HOUR,
    )
    scheduling.record_completed(db, actor, booked.appointment_id, at=visit_at + HOUR)

    scheduled = referral(SCHEDULED)
    reached(scheduled)
    future = datetime.combine(to_local(now).date() + 7 * DAY, datetime.min.time()).replace(hour=10)
    scheduling.book(
        db, actor, scheduled, AppointmentDraft(starts_at=future, provider="Dr Lee"), override_reason="ok"
    )

    unreached = referral(UNREACHED)
    log_attempt(db, actor, unreached, AttemptMethod.CALL, AttemptOutcome.NO_ANSWER, at=received + HOUR)
    close(db, actor, unreached, CloseReason.NO_RESPONSE)

    declined = referral(DECLINED)
    close(db, actor, declined, CloseReason.OUT_OF_NETWORK)

    waiting = referral(WAITING)
    other = referral(("Mia", "Other"), partner_id=other_partner)
    before = referral(("Long", "Ago"), received_at=now - 90 * DAY)
    today = to_local(now).date()
    return Month(
        period=Period(today - 30 * DAY, today),
        partner_id=form.partner_id or 0,
        other_partner_id=other_partner,
        seen=seen,
        scheduled=scheduled,
        unreached=unreached,
        declined=declined,
        waiting=waiting,
        other=other,
        before=before,
        appointment_day=future.date(),
        seen_day=to_local(visit_at).date(),
    )
