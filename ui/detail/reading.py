"""What opening a referral in the detail view reads: the referral, its history and its appointments."""

from __future__ import annotations

from dataclasses import dataclass

from refdesk.domain.models import Referral
from refdesk.services import scheduling
from refdesk.services.referrals import get_referral
from refdesk.services.scheduling import AppointmentHistory
from refdesk.services.timeline import TimelineEntry, referral_timeline
from refdesk.storage import Database


@dataclass(frozen=True, slots=True)
class DetailData:
    """What one opening of a referral reads (on the runner's thread; plain detached objects)."""

    referral: Referral
    timeline: list[TimelineEntry]
    appointments: AppointmentHistory


def read_detail(db: Database, referral_id: int) -> DetailData:
    """The referral with its partner, service line and owner, its history, newest first, and its
    appointments."""
    referral = get_referral(db, referral_id)  # first: a missing referral is reported in its words
    return DetailData(
        referral, referral_timeline(db, referral_id), scheduling.appointment_history(db, referral_id)
    )
