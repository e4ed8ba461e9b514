"""Field checks shared by every service that takes patient input (forms, import, CLI).

Each check returns a clean value or records a message for its field in an ``Errors`` collector, so a
form can show every problem next to its field at once, and nothing is written while any remain.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import TypeVar

from refdesk.domain.formats import PhoneError, normalize_phone
from refdesk.domain.times import as_utc, utc_now
from refdesk.errors import ValidationError

EARLIEST_BIRTH = date(1900, 1, 1)
#: A received time a little in the future is a workstation clock off by a minute, not an error.
CLOCK_SKEW = timedelta(minutes=5)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

T = TypeVar("T")


class Errors:
    """Collects one message per field; ``raise_if_any`` turns them into a ValidationError."""

    def __init__(self) -> None:
        self.messages: dict[str, str] = {}

    def add(self, field: str, message: str) -> None:
        self.messages.setdefault(field, message)

    def raise_if_any(self) -> None:
        if self.messages:
            raise ValidationError(self.messages)

    def text(
        self, field: str, value: str | None, *, label: str, max_length: int, required: bool
    ) -> str | None:
        cleaned = " ".join(value.split()) if value else ""
        if not cleaned:
            if required:
                self.add(field, f"{label} is required.")
            return None
        if len(cleaned) > max_length:
            self.add(field, f"{label} is too long (at most {max_length} characters).")
        return cleaned

    def long_text(self, field: str, value: str | None, *, label: str, required: bool) -> str | None:
        cleaned = value.strip() if value else ""
        if not cleaned and required:
            self.add(field, f"{label} is required.")
        return cleaned or None

    def phone(self, field: str, value: str | None, *, required: bool) -> str | None:
        if not value or not value.strip():
            if required:
                self.add(field, "Phone is required.")
            return None
        try:
            return normalize_phone(value)
        except PhoneError as error:
            self.add(field, str(error))
            return None

    def email(self, field: str, value: str | None) -> str | None:
        cleaned = value.strip() if value else ""
        if cleaned and not _EMAIL.match(cleaned):
            self.add(field, "Enter an email address like name@example.org.")
        return cleaned or None

    def birth_date(self, field: str, value: date | None, *, today: date) -> date | None:
        if value is None:
            self.add(field, "Date of birth is required.")
        elif value > today:
            self.add(field, "Date of birth cannot be in the future.")
        elif value < EARLIEST_BIRTH:
            self.add(field, f"Date of birth cannot be before {EARLIEST_BIRTH:%Y}.")
        return value

    def received_time(self, field: str, value: datetime | None, *, born: date | None) -> datetime:
        now = utc_now()
        if value is None:
            return now
        moment = as_utc(value)
        if moment > now + CLOCK_SKEW:
            self.add(field, "The received time cannot be in the future.")
        elif born is not None and moment.date() < born:
            self.add(field, "The referral cannot have been received before the patient was born.")
        return moment

    def non_negative(self, field: str, value: int | None, *, label: str) -> int | None:
        if value is not None and value < 0:
            self.add(field, f"{label} cannot be negative.")
        return value

    def present(self, field: str, value: T | None, *, message: str) -> T | None:
        if value is None:
            self.add(field, message)
        return value
