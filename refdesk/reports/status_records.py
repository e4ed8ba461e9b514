"""What a status letter says, as plain values: each referral's standing, one partner's letter and the
batch of letters for a period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

from refdesk.reports.base import (
    PageSize,
)
from refdesk.reports.letter_parts import Recipient
from refdesk.reports.letterhead import Letterhead
from refdesk.services.metrics import Period


class Standing(Enum):
    """Where a referral stands, as the letter's opening sentence counts them."""

    SEEN = "seen"
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in progress"
    CLOSED = "closed"
    WITHHELD = "not shared at the patient's request"


#: What a letter says of a referral whose patient declined updates to the referring partner.
WITHHELD_WORDS = "Not shared: the patient asked us not to send updates"


@dataclass(frozen=True, slots=True)
class ReferralStatus:
    """One line of the letter, as plain values."""

    number: str
    patient_name: str
    patient_dob: date
    service_line: str
    received_on: date
    #: Where it stands, in plain words ("Scheduled for May 20, 2024"), and a note under them
    #: ("Closed May 10, 2024"; "" when none).
    status: str
    note: str
    standing: Standing


@dataclass(frozen=True, slots=True)
class StatusLetter:
    """One partner's letter."""

    partner_id: int
    recipient: Recipient
    referrals: tuple[ReferralStatus, ...]


@dataclass(frozen=True, slots=True)
class LetterBatch:
    """Everything a batch of letters prints; one letter per entry of ``letters``."""

    letterhead: Letterhead
    period: Period
    staff_name: str
    letter_date: date
    generated_at: datetime
    letters: tuple[StatusLetter, ...]
    page_size: PageSize = PageSize.LETTER
