"""The fixed vocabularies of the domain other than referral states (those live in ``lifecycle``).

Each enum's value is what the database stores; each label is what a person reads.
"""

from __future__ import annotations

from enum import StrEnum

#: Labels that are not simply the value with spaces and a capital (values are unique in meaning).
_LABEL_OVERRIDES: dict[str, str] = {
    "primary_care": "Primary care / internal medicine",
    "specialty": "Specialty practice",
    "therapy": "Physical / occupational therapy",
    "behavioral_health": "Behavioral health / counseling",
    "home_health": "Home health / care coordination",
    "community": "Community organisation / case management",
    "hospital": "Hospital / discharge planning",
    "self_other": "Self-referral / other",
    "stat": "STAT",
    "in_service": "In-service",
    "no_show": "No-show",
    "yes_no": "Yes / no",
}


class Labelled(StrEnum):
    """A StrEnum with a human label for screens and documents."""

    @property
    def label(self) -> str:
        return _LABEL_OVERRIDES.get(self.value, self.value.replace("_", " ").capitalize())


class PartnerCategory(Labelled):
    PRIMARY_CARE = "primary_care"
    SPECIALTY = "specialty"
    THERAPY = "therapy"
    BEHAVIORAL_HEALTH = "behavioral_health"
    HOME_HEALTH = "home_health"
    COMMUNITY = "community"
    HOSPITAL = "hospital"
    SELF_OTHER = "self_other"


class Urgency(Labelled):
    ROUTINE = "routine"
    URGENT = "urgent"
    STAT = "stat"


class Channel(Labelled):
    """How a referral arrived; every channel becomes the same kind of record."""

    FAX = "fax"
    PHONE = "phone"
    EMAIL = "email"
    PORTAL = "portal"
    WEB_FORM = "web_form"
    WALK_IN = "walk_in"


class ContactMethod(Labelled):
    PHONE = "phone"
    TEXT = "text"
    EMAIL = "email"
    MAIL = "mail"


class AttemptMethod(Labelled):
    CALL = "call"
    TEXT = "text"
    EMAIL = "email"
    LETTER = "letter"


class AttemptOutcome(Labelled):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    LEFT_VOICEMAIL = "left_voicemail"
    WRONG_NUMBER = "wrong_number"
    DECLINED = "declined"
    SENT = "sent"


class StaffRole(Labelled):
    FRONT_DESK = "front_desk"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


class AgreementStatus(Labelled):
    NONE = "none"
    PROPOSED = "proposed"
    SIGNED = "signed"
    EXPIRED = "expired"


class OutreachCadence(Labelled):
    NONE = "none"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


class TouchKind(Labelled):
    CALL = "call"
    VISIT = "visit"
    IN_SERVICE = "in_service"
    NEWSLETTER = "newsletter"
    UPDATE_SENT = "update_sent"
    EMAIL = "email"


class AppointmentStatus(Labelled):
    BOOKED = "booked"
    CONFIRMED = "confirmed"
    RESCHEDULED = "rescheduled"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


class LetterKind(Labelled):
    STATUS = "status"
    ACKNOWLEDGEMENT = "acknowledgement"
    MISSING_RECORDS = "missing_records"


class ItemKind(Labelled):
    """The kind of answer an intake script item takes."""

    YES_NO = "yes_no"
    TEXT = "text"
    CHOICE = "choice"
    DATE = "date"
