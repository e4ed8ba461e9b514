"""Reading the status letters from the database: the period's referrals per partner in one query."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from refdesk.domain.formats import referral_number
from refdesk.domain.models import (
    Appointment,
    Partner,
    Referral,
    ServiceLine,
)
from refdesk.domain.times import as_utc, to_local
from refdesk.errors import NotFoundError
from refdesk.reports.letter_parts import recipients
from refdesk.reports.status_layout import status_words
from refdesk.reports.status_records import WITHHELD_WORDS, ReferralStatus, Standing, StatusLetter
from refdesk.services import intake
from refdesk.services.metrics import Period

# -- reading -----------------------------------------------------------------------------------------


def period_bounds(period: Period) -> tuple[datetime, datetime]:
    """The period as UTC instants: local midnight of its first day, local midnight after its last."""
    start = as_utc(datetime.combine(period.start, time(0, 0)))
    end = as_utc(datetime.combine(period.end + timedelta(days=1), time(0, 0)))
    return start, end


def gather(session: Session, period: Period, partner_ids: Collection[int] | None) -> list[StatusLetter]:
    """The letters for ``partner_ids`` (None: every partner with a referral received in the period), in
    partner-name order. A partner asked for by id gets a letter even with no referral in the period.

    Raises:
        NotFoundError: an id names no partner.
    """
    start, end = period_bounds(period)
    in_period = [Referral.received_at >= start, Referral.received_at < end]
    if partner_ids is not None:
        in_period.append(Referral.partner_id.in_(sorted(set(partner_ids))))
    rows = session.execute(
        select(
            Referral.id,
            Referral.partner_id,
            Referral.patient_first_name,
            Referral.patient_last_name,
            Referral.patient_dob,
            ServiceLine.name,
            Referral.received_at,
            Referral.state,
            Referral.close_reason,
            Referral.closed_at,
        )
        .join(ServiceLine, ServiceLine.id == Referral.service_line_id)
        .where(*in_period)
        .order_by(Referral.partner_id, Referral.received_at, Referral.id)
    ).all()
    # The newest appointment of each referral (the last booked: kept, missed or called off).
    newest: dict[int, datetime] = {}
    for referral_id, starts_at in session.execute(
        select(Appointment.referral_id, Appointment.starts_at)
        .join(Referral, Referral.id == Appointment.referral_id)
        .where(*in_period)
        .order_by(Appointment.id)
    ):
        newest[referral_id] = starts_at
    withheld = intake.declined_updates(session, *in_period)
    wanted = set(partner_ids) if partner_ids is not None else {row[1] for row in rows}
    partners = list(session.scalars(select(Partner).where(Partner.id.in_(sorted(wanted)))))
    missing = wanted - {partner.id for partner in partners}
    if missing:
        raise NotFoundError(f"No partner with id {min(missing)}.")
    partners.sort(key=lambda partner: (partner.name.casefold(), partner.id))
    found = recipients(session, partners)
    by_partner: dict[int, list[ReferralStatus]] = {partner.id: [] for partner in partners}
    for rid, pid, first, last, dob, line, received_at, state, reason, closed_at in rows:
        appointment = newest.get(rid)
        words, note, standing = status_words(
            state,
            reason,
            to_local(appointment).date() if appointment is not None else None,
            to_local(closed_at).date() if closed_at is not None else None,
        )
        if rid in withheld:
            words, note, standing = WITHHELD_WORDS, "", Standing.WITHHELD
        by_partner[pid].append(
            ReferralStatus(
                number=referral_number(rid),
                patient_name=f"{first} {last}",
                patient_dob=dob,
                service_line=line,
                received_on=to_local(received_at).date(),
                status=words,
                note=note,
                standing=standing,
            )
        )
    return [StatusLetter(p.id, found[p.id], tuple(by_partner[p.id])) for p in partners]
