"""The ORM models: import them from here."""

from refdesk.domain.models.audit import AuditEvent
from refdesk.domain.models.base import Base, EnumText, UTCDateTime
from refdesk.domain.models.metrics import MetricCell, MetricFact
from refdesk.domain.models.partners import LetterSent, Partner, PartnerContact, PartnerTouch, partner_name_key
from refdesk.domain.models.referrals import (
    Appointment,
    ChecklistAnswer,
    ContactAttempt,
    Referral,
    ReferralRecord,
    StatusEvent,
)
from refdesk.domain.models.service_lines import IntakeItem, IntakeScript, ServiceLine
from refdesk.domain.models.staff import Setting, Staff

__all__ = [
    "Appointment",
    "AuditEvent",
    "Base",
    "ChecklistAnswer",
    "ContactAttempt",
    "EnumText",
    "IntakeItem",
    "IntakeScript",
    "LetterSent",
    "MetricCell",
    "MetricFact",
    "Partner",
    "PartnerContact",
    "PartnerTouch",
    "Referral",
    "ReferralRecord",
    "ServiceLine",
    "Setting",
    "Staff",
    "StatusEvent",
    "UTCDateTime",
    "partner_name_key",
]
