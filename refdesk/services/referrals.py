"""Creating and editing referrals: validation, the first history entry, possible duplicates."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session, joinedload

from refdesk.domain import lifecycle
from refdesk.domain.formats import name_key, phone_digits
from refdesk.domain.lifecycle import State
from refdesk.domain.models import Partner, Referral, ServiceLine, Staff, StatusEvent
from refdesk.domain.times import as_utc, local_today
from refdesk.domain.vocab import Channel, ContactMethod, Urgency
from refdesk.errors import NotFoundError
from refdesk.services import due
from refdesk.services.actor import Actor
from refdesk.services.audit import audited
from refdesk.services.records import ensure_records
from refdesk.services.validation import Errors
from refdesk.storage import Database

#: Window in which a second referral for the same patient from the same partner is a likely duplicate.
DUPLICATE_WINDOW = timedelta(days=30)


@dataclass
class NewReferral:
    """What the front desk types for a new referral. Field names are the keys of ValidationError.errors."""

    partner_id: int | None = None
    service_line_id: int | None = None
    patient_first_name: str = ""
    patient_last_name: str = ""
    patient_dob: date | None = None
    phone: str = ""
    phone_alt: str | None = None
    email: str | None = None
    preferred_contact_method: ContactMethod | None = None
    preferred_contact_time: str | None = None
    language: str | None = None
    interpreter_needed: bool = False
    caregiver_name: str | None = None
    caregiver_phone: str | None = None
    caregiver_relationship: str | None = None
    insurance_payer: str | None = None
    insurance_member_id: str | None = None
    authorization_number: str | None = None
    authorization_visits: int | None = None
    authorization_expires_on: date | None = None
    referring_clinician: str | None = None
    reason: str = ""
    urgency: Urgency = Urgency.ROUTINE
    channel: Channel | None = None
    #: When the referral arrived (a naive value is local time); now when left empty.
    received_at: datetime | None = None
    owner_id: int | None = None
    linked_referral_id: int | None = None


def clean_referral(session: Session, data: NewReferral) -> dict[str, Any]:
    """Checks every field; returns the column values, or raises ValidationError listing each problem."""
    errors = Errors()
    values: dict[str, Any] = {
        "patient_first_name": errors.text(
            "patient_first_name", data.patient_first_name, label="First name", max_length=100, required=True
        ),
        "patient_last_name": errors.text(
            "patient_last_name", data.patient_last_name, label="Last name", max_length=100, required=True
        ),
        "patient_dob": errors.birth_date("patient_dob", data.patient_dob, today=local_today()),
        "phone": errors.phone("phone", data.phone, required=True),
        "phone_alt": errors.phone("phone_alt", data.phone_alt, required=False),
        "email": errors.email("email", data.email),
        "preferred_contact_method": data.preferred_contact_method,
        "preferred_contact_time": errors.text(
            "preferred_contact_time",
            data.preferred_contact_time,
            label="Contact time",
            max_length=100,
            required=False,
        ),
        "language": errors.text("language", data.language, label="Language", max_length=60, required=False),
        "interpreter_needed": bool(data.interpreter_needed),
        "caregiver_name": errors.text(
            "caregiver_name", data.caregiver_name, label="Caregiver", max_length=200, required=False
        ),
        "caregiver_phone": errors.phone("caregiver_phone", data.caregiver_phone, required=False),
        "caregiver_relationship": errors.text(
            "caregiver_relationship",
            data.caregiver_relationship,
            label="Relationship",
            max_length=60,
            required=False,
        ),
        "insurance_payer": errors.text(
            "insurance_payer", data.insurance_payer, label="Insurance", max_length=120, required=False
        ),
        "insurance_member_id": errors.text(
            "insurance_member_id", data.insurance_member_id, label="Member ID", max_length=60, required=False
        ),
        "authorization_number": errors.text(
            "authorization_number",
            data.authorization_number,
            label="Authorization",
            max_length=60,
            required=False,
        ),
        "authorization_visits": errors.non_negative(
            "authorization_visits", data.authorization_visits, label="Approved visits"
        ),
        "authorization_expires_on": data.authorization_expires_on,
        "referring_clinician": errors.text(
            "referring_clinician",
            data.referring_clinician,
            label="Referring clinician",
            max_length=200,
            required=False,
        ),
        "reason": errors.long_text("reason", data.reason, label="Reason for referral", required=True),
        "urgency": Urgency(data.urgency),
        "channel": errors.present("channel", data.channel, message="Choose how the referral arrived."),
        "owner_id": data.owner_id,
        "linked_referral_id": data.linked_referral_id,
    }
    values["received_at"] = errors.received_time("received_at", data.received_at, born=values["patient_dob"])
    partner = session.get(Partner, data.partner_id) if data.partner_id is not None else None
    if partner is None:
        errors.add("partner_id", "Choose the referring partner.")
    elif not partner.active:
        errors.add("partner_id", f"{partner.name} is no longer an active partner.")
    line = session.get(ServiceLine, data.service_line_id) if data.service_line_id is not None else None
    if line is None:
        errors.add("service_line_id", "Choose the service line.")
    elif not line.active:
        errors.add("service_line_id", f"{line.name} is no longer offered.")
    if data.owner_id is not None and session.get(Staff, data.owner_id) is None:
        errors.add("owner_id", "That staff member does not exist.")
    if data.linked_referral_id is not None and session.get(Referral, data.linked_referral_id) is None:
        errors.add("linked_referral_id", "The linked referral does not exist.")
    errors.raise_if_any()
    values["partner_id"] = data.partner_id
    values["service_line_id"] = data.service_line_id
    values["name_key"] = name_key(values["patient_first_name"], values["patient_last_name"])
    values["phone_digits"] = phone_digits(values["phone"])
    return values


def check_referral(db: Database, data: NewReferral) -> None:
    """Validate without saving, so a form can show every problem before asking about duplicates.

    Raises:
        ValidationError: exactly as create_referral would.
    """
    with db.session() as session:
        clean_referral(session, data)


def create_referral(db: Database, actor: Actor, data: NewReferral, *, note: str | None = None) -> int:
    """Validate and save a new referral in state Received, with its first history entry. Returns its id.

    Raises:
        ValidationError: one message per field that is wrong; nothing is saved.
    """
    with audited(db, actor, "referral.create", "referral") as scope:
        values = clean_referral(scope.session, data)
        referral = Referral(state=State.RECEIVED, state_changed_at=values["received_at"], **values)
        scope.session.add(referral)
        scope.session.flush()
        due.refresh(scope.session, referral)
        ensure_records(scope.session, referral)
        scope.session.add(
            StatusEvent(
                referral_id=referral.id,
                from_state=None,
                to_state=State.RECEIVED,
                at=referral.received_at,
                staff_id=actor.staff_id,
                note=note,
            )
        )
        scope.entity_id = referral.id
        return referral.id


#: Fields the detail view edits one at a time (state, history and counters have their own services).
EDITABLE_FIELDS = frozenset(f.name for f in fields(NewReferral)) - {"linked_referral_id"}


def update_referral(db: Database, actor: Actor, referral_id: int, changes: dict[str, Any]) -> None:
    """Apply and save field edits at once, each audited with its old and new value.

    Raises:
        NotFoundError: no such referral.
        ValidationError: an edited field is invalid (messages keyed by field); nothing is saved.
    """
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    with audited(db, actor, "referral.update", "referral", referral_id) as scope:
        referral = _get(scope.session, referral_id)
        current = NewReferral(**{f.name: getattr(referral, f.name) for f in fields(NewReferral)})
        for name, value in changes.items():
            setattr(current, name, value)
        values = clean_referral(scope.session, current)
        changed: dict[str, dict[str, Any]] = {}
        for name in [*changes, "name_key", "phone_digits"]:
            old, new = getattr(referral, name), values[name]
            if old != new:
                if name not in {"name_key", "phone_digits"}:
                    changed[name] = {"old": _jsonable(old), "new": _jsonable(new)}
                setattr(referral, name, new)
        if {"received_at", "service_line_id"} & changed.keys():
            due.refresh(scope.session, referral, recompute_deadlines=True)
        if "service_line_id" in changed:
            ensure_records(scope.session, referral)
        scope.detail["changes"] = changed


def _jsonable(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _get(session: Session, referral_id: int) -> Referral:
    referral = session.get(Referral, referral_id)
    if referral is None:
        raise NotFoundError(f"Referral {referral_id} does not exist.")
    return referral


def get_referral(db: Database, referral_id: int) -> Referral:
    """The referral with its partner, service line and owner loaded (for the detail view)."""
    with db.session() as session:
        referral = session.get(
            Referral,
            referral_id,
            options=[
                joinedload(Referral.partner),
                joinedload(Referral.service_line),
                joinedload(Referral.owner),
            ],
        )
        if referral is None:
            raise NotFoundError(f"Referral {referral_id} does not exist.")
        return referral


@dataclass(frozen=True, slots=True)
class PossibleDuplicate:
    referral_id: int
    patient_name: str
    patient_dob: date
    partner_name: str
    received_at: datetime
    state: State
    why: str


def find_possible_duplicates(
    db: Database,
    *,
    first_name: str,
    last_name: str,
    dob: date | None,
    phone: str | None,
    partner_id: int | None,
    exclude_id: int | None = None,
) -> list[PossibleDuplicate]:
    """Referrals that may be the same patient: same name and DOB, or same phone; and either still open
    or from the same partner within the last 30 days. Shown before saving, never blocking."""
    key = name_key(first_name, last_name)
    digits = phone_digits(phone) if phone else ""
    matches: list[ColumnElement[bool]] = []
    if key and dob is not None:
        matches.append((Referral.name_key == key) & (Referral.patient_dob == dob))
    if len(digits) >= 7:
        matches.append(Referral.phone_digits == digits)
    if not matches:
        return []
    since = local_today() - DUPLICATE_WINDOW
    recent_same_partner = (Referral.partner_id == partner_id) & (Referral.received_at >= _start_of(since))
    open_now = Referral.state.in_([s.value for s in lifecycle.OPEN_STATES])
    query = (
        select(Referral, Partner.name)
        .join(Partner, Partner.id == Referral.partner_id)
        .where(or_(*matches))
        .where(or_(open_now, recent_same_partner) if partner_id is not None else open_now)
        .order_by(Referral.received_at.desc())
        .limit(20)
    )
    if exclude_id is not None:
        query = query.where(Referral.id != exclude_id)
    found = []
    with db.session() as session:
        for referral, partner_name in session.execute(query):
            same_name = referral.name_key == key and referral.patient_dob == dob
            why = "same name and date of birth" if same_name else "same phone number"
            found.append(
                PossibleDuplicate(
                    referral.id,
                    referral.patient_name,
                    referral.patient_dob,
                    partner_name,
                    referral.received_at,
                    referral.state,
                    why,
                )
            )
    return found


def _start_of(day: date) -> datetime:
    return as_utc(datetime(day.year, day.month, day.day))
