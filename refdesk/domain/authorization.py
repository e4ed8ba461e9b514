"""Insurance authorization against an appointment: what the desk should hear before the patient comes in.

An authorization (number, approved visits, expiry) is copied off the referral or the payer's letter. A
visit after the expiry, or beyond the approved visits, is a visit the clinic may not be paid for; the
desk can still book it (the payer may extend it, the patient may pay), so these are warnings shown when
booking and on the appointment, never refusals.

Pure: the caller passes the referral's authorization fields and the visits already used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Authorization:
    """The referral's authorization as stored; every part may be missing (not every payer needs one)."""

    number: str | None = None
    visits: int | None = None
    expires_on: date | None = None


def spoken_date(day: date) -> str:
    """``3 Mar 2027``: a date nobody misreads, whichever way the reader writes dates."""
    return f"{day.day} {day:%b %Y}"


def warnings(authorization: Authorization, appointment_day: date, *, visits_used: int = 0) -> list[str]:
    """Plain sentences on why this appointment may fall outside the authorization; empty when it fits
    or when there is nothing to check against.

    Args:
        appointment_day: the appointment's date in the clinic's local time (the authorization's expiry
            is a calendar day, valid through its end).
        visits_used: visits already completed under this authorization (not counting this one).
    """
    found: list[str] = []
    expires = authorization.expires_on
    if expires is not None and expires < appointment_day:
        found.append(f"The authorization expires on {spoken_date(expires)}, before this appointment.")
    approved = authorization.visits
    if approved is not None:
        if approved <= 0:
            found.append("The authorization approves no visits.")
        elif visits_used >= approved:
            if approved == 1:
                found.append("The one approved visit is already used.")
            else:
                found.append(f"All {approved} approved visits are used.")
    return found
