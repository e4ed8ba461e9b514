"""What a booking must satisfy before anything is saved: the draft's fields, the appointment time and
the moment an operation is recorded for, and the refusal when the scheduling gate is closed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from refdesk.domain.models import Referral
from refdesk.domain.times import as_utc, to_local, utc_now
from refdesk.errors import TransitionError
from refdesk.services.validation import CLOCK_SKEW, Errors

#: How far before "now" (or before ``at``) an appointment may be booked: entering a booking a day or two
#: late is real; a time weeks ago is a mistyped date.
PAST_GRACE = timedelta(days=3)
#: The furthest ahead an appointment may be booked (18 months): beyond it the year is mistyped.
MAX_AHEAD = timedelta(days=548)
PROVIDER_MAX = 120
LOCATION_MAX = 120
NOTE_MAX = 1000
SAME_BOOKING = "That is the appointment already booked; change the time, provider or place."


@dataclass(frozen=True, slots=True)
class AppointmentDraft:
    """What the booking dialog collects. ``starts_at`` naive means local wall-clock time.

    ``note``: when booking, a word for the history ("booked on the phone with his daughter"); when
    rescheduling, why it moved (kept on the replaced appointment, which is what its note is for).
    """

    starts_at: datetime | None
    provider: str | None = None
    location: str | None = None
    note: str | None = None


#: A prompt's title is the words before its first colon, when they are this short ("Missing records: are
#: all the records this service requires on file? ..." is "Missing records").
_TITLE_MAX = 60


def item_title(prompt: str) -> str:
    """The short name of an intake item for lists and the history: the words before the prompt's first
    colon when it starts with a title, else the whole prompt."""
    title, colon, _rest = prompt.partition(":")
    return title.strip() if colon and 0 < len(title.strip()) <= _TITLE_MAX else prompt.strip()


class SchedulingBlocked(TransitionError):
    """The scheduling gate refused: intake items that block scheduling are open. ``items`` lists their
    prompts in script order (``titles`` their short names); booking again with an ``override_reason``
    schedules anyway."""

    def __init__(self, items: Sequence[str]) -> None:
        self.items: list[str] = list(items)
        self.titles: list[str] = [item_title(item) for item in self.items]
        super().__init__(
            "Scheduling is blocked until these intake items are done: "
            + "; ".join(self.titles)
            + ". Complete them, or schedule anyway with a reason."
        )


def _moment(errors: Errors, at: datetime | None, not_before: datetime) -> datetime:
    """When the operation happens: ``at`` (checked) or now."""
    now = utc_now()
    if at is None:
        return now
    moment = as_utc(at)
    if moment > now + CLOCK_SKEW:
        errors.add("at", "This cannot be recorded for a time in the future.")
    elif moment < not_before - CLOCK_SKEW:
        errors.add("at", "This cannot be recorded for a time before the referral or booking it follows.")
    return moment


def _outcome_moment(at: datetime | None, received_at: datetime) -> datetime:
    errors = Errors()
    moment = _moment(errors, at, received_at)
    errors.raise_if_any()
    return moment


def _check_draft(
    errors: Errors, draft: AppointmentDraft, referral: Referral, moment: datetime
) -> tuple[datetime | None, str | None, str | None, str | None]:
    """The draft's values, cleaned, with a message per field for anything missing or impossible."""
    starts_at = None
    if draft.starts_at is None:
        errors.add("starts_at", "Enter the appointment's date and time.")
    elif draft.starts_at.tzinfo is None and not _exists_locally(draft.starts_at):
        errors.add("starts_at", "That time does not exist on that day (the clocks change); choose another.")
    else:
        starts_at = as_utc(draft.starts_at)
        if starts_at < referral.received_at:
            errors.add("starts_at", "The appointment cannot be before the referral was received.")
        elif starts_at < moment - PAST_GRACE:
            errors.add("starts_at", f"That is more than {PAST_GRACE.days} days in the past; check the date.")
        elif starts_at > moment + MAX_AHEAD:
            errors.add("starts_at", "That is more than 18 months ahead; check the year.")
    provider = errors.text(
        "provider", draft.provider, label="Provider", max_length=PROVIDER_MAX, required=True
    )
    location = errors.text(
        "location", draft.location, label="Location", max_length=LOCATION_MAX, required=False
    )
    note = errors.long_text("note", draft.note, label="Note", required=False)
    if note is not None and len(note) > NOTE_MAX:
        errors.add("note", f"Note is too long (at most {NOTE_MAX} characters).")
    return starts_at, provider, location, note


def _exists_locally(wall: datetime) -> bool:
    """Whether a local wall-clock time exists (an hour skipped when the clocks go forward does not)."""
    return to_local(as_utc(wall)).replace(tzinfo=None) == wall
