"""One partner: its detail (contacts, touches, figures) and validated, audited field edits."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from refdesk.domain.models import Partner, PartnerContact, PartnerTouch, Staff, partner_name_key
from refdesk.domain.times import local_today, utc_now
from refdesk.domain.vocab import AgreementStatus, ContactMethod, OutreachCadence, PartnerCategory, TouchKind
from refdesk.errors import NotFoundError
from refdesk.services.actor import Actor
from refdesk.services.audit import audited
from refdesk.services.partner_list import _DIGITS, PartnerFilter, PartnerRow, _rows, list_query
from refdesk.services.validation import Errors
from refdesk.storage import Database

_NPI = re.compile(r"^\d{10}$")


# --- one partner ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContactRow:
    id: int
    partner_id: int
    name: str
    role: str | None
    decision_maker: bool
    receives_updates: bool
    phone: str | None
    fax: str | None
    email: str | None
    notes: str | None


@dataclass(frozen=True, slots=True)
class TouchRow:
    id: int
    at: datetime
    kind: TouchKind
    #: The staff member's full name (None: not recorded).
    staff_name: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class PartnerRecord:
    """What the detail view shows: the partner (a detached row), its people, its touches newest first,
    and its list row (the figures and the next touch due)."""

    partner: Partner
    contacts: list[ContactRow]
    touches: list[TouchRow]
    figures: PartnerRow


def _contact_row(contact: PartnerContact) -> ContactRow:
    return ContactRow(
        contact.id,
        contact.partner_id,
        contact.name,
        contact.role,
        contact.decision_maker,
        contact.receives_updates,
        contact.phone,
        contact.fax,
        contact.email,
        contact.notes,
    )


def get_partner_detail(db: Database, partner_id: int, *, now: datetime | None = None) -> PartnerRecord:
    """One partner with its contacts, touches and figures (a few reads by primary key and partner id).

    Raises:
        NotFoundError: no such partner.
    """
    now = now or utc_now()
    with db.session() as session:
        partner = session.get(Partner, partner_id)
        if partner is None:
            raise NotFoundError(f"Partner {partner_id} does not exist.")
        contacts = session.scalars(
            select(PartnerContact).where(PartnerContact.partner_id == partner_id).order_by(PartnerContact.id)
        )
        contact_rows = [_contact_row(contact) for contact in contacts]
        touches = session.execute(
            select(PartnerTouch, Staff.full_name)
            .outerjoin(Staff, Staff.id == PartnerTouch.staff_id)
            .where(PartnerTouch.partner_id == partner_id)
            .order_by(PartnerTouch.at.desc(), PartnerTouch.id.desc())
        )
        touch_rows = [TouchRow(t.id, t.at, t.kind, staff, t.note) for t, staff in touches]
        query = list_query(PartnerFilter(include_inactive=True), now=now, ids=[partner_id])
        [figures] = _rows(session, query, now)
        session.expunge(partner)
    return PartnerRecord(partner, contact_rows, touch_rows, figures)


def get_contact(db: Database, contact_id: int) -> ContactRow:
    with db.session() as session:
        return _contact_row(_get_contact(session, contact_id))


#: The partner's fields the detail view edits one at a time, with what each is called on screen.
PARTNER_FIELDS: dict[str, str] = {
    "name": "Partner name",
    "category": "Category",
    "phone": "Phone",
    "fax": "Fax",
    "email": "Email",
    "portal": "Portal",
    "address_line1": "Address",
    "address_line2": "Address line 2",
    "city": "City",
    "region": "State / region",
    "postal_code": "Postal code",
    "npi": "NPI",
    "preferred_update_channel": "Preferred update channel",
    "agreement_status": "Agreement status",
    "agreement_date": "Agreement date",
    "agreement_scope": "Agreement covers",
    "outreach_cadence": "Outreach cadence",
    "notes": "Notes",
    "active": "Active",
}
_SHORT_TEXT = {
    "portal": 200,
    "address_line1": 200,
    "address_line2": 200,
    "city": 100,
    "region": 100,
    "postal_code": 20,
}
_ENUMS: dict[str, type[StrEnum]] = {
    "category": PartnerCategory,
    "preferred_update_channel": ContactMethod,
    "agreement_status": AgreementStatus,
    "outreach_cadence": OutreachCadence,
}
_REQUIRED_ENUMS = {"category", "agreement_status", "outreach_cadence"}


def npi_is_valid(npi: str) -> bool:
    """Ten digits whose last is the Luhn check digit over "80840" and the first nine (CMS's rule)."""
    if not _NPI.match(npi):
        return False
    total = 0
    for position, char in enumerate(reversed("80840" + npi)):
        digit = int(char)
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _enum(errors: Errors, field: str, value: Any, kind: type[StrEnum], *, required: bool) -> Any:
    if value is None or value == "":
        if required:
            errors.add(field, f"Choose the {PARTNER_FIELDS[field].lower()}.")
        return None
    try:
        return kind(value)
    except ValueError:
        errors.add(field, f"Choose the {PARTNER_FIELDS[field].lower()} from the list.")
        return None


def _clean_partner_field(session: Session, errors: Errors, partner: Partner, field: str, value: Any) -> Any:
    """One edited field's stored value, or a message in ``errors`` for it."""
    label = PARTNER_FIELDS[field]
    if field == "name":
        name = errors.text("name", value, label=label, max_length=200, required=True)
        if name:
            clash = session.scalars(
                select(Partner.id).where(Partner.name_key == partner_name_key(name), Partner.id != partner.id)
            ).first()
            if clash is not None:
                errors.add("name", f"Another partner is already named {name}.")
        return name
    if field in {"phone", "fax"}:
        return errors.phone(field, value, required=False)
    if field == "email":
        return errors.email(field, value)
    if field in _SHORT_TEXT:
        return errors.text(field, value, label=label, max_length=_SHORT_TEXT[field], required=False)
    if field == "npi":
        npi = _DIGITS.sub("", value or "")
        if (value or "").strip() and not npi_is_valid(npi):
            errors.add(
                "npi", "An NPI is 10 digits with a valid check digit; copy it from the partner's letterhead."
            )
        return npi or None
    if field in _ENUMS:
        return _enum(errors, field, value, _ENUMS[field], required=field in _REQUIRED_ENUMS)
    if field == "agreement_date":
        if value is not None and not isinstance(value, date):
            errors.add(field, "Type the agreement date as MM/DD/YYYY.")
            return None
        return value
    if field in {"agreement_scope", "notes"}:
        return errors.long_text(field, value, label=label, required=False)
    if field == "active":
        return bool(value)
    raise ValueError(f"not editable: {field}")


def update_partner(db: Database, actor: Actor, partner_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """Validate and save field edits at once, audited with old and new values. Only the edited fields are
    checked (an old record's other fields never block an edit), plus the rule that a signed agreement
    cannot be dated in the future. Returns the values as stored (a phone as it is written, a name with
    its spacing tidied), so the screen can show what was understood.

    Raises:
        NotFoundError: no such partner.
        ValidationError: one message per wrong field; nothing is saved.
    """
    unknown = set(changes) - PARTNER_FIELDS.keys()
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    with audited(db, actor, "partner.update", "partner", partner_id) as scope:
        partner = _get_partner(scope.session, partner_id)
        errors = Errors()
        cleaned = {
            field: _clean_partner_field(scope.session, errors, partner, field, value)
            for field, value in changes.items()
        }
        today = local_today()
        status = cleaned.get("agreement_status", partner.agreement_status)
        signed_on = cleaned.get("agreement_date", partner.agreement_date)
        if status is AgreementStatus.SIGNED and signed_on is not None and signed_on > today:
            field = "agreement_date" if "agreement_date" in changes else "agreement_status"
            errors.add(field, "A signed agreement cannot be dated in the future.")
        errors.raise_if_any()
        changed: dict[str, dict[str, Any]] = {}
        for field, new in cleaned.items():
            old = getattr(partner, field)
            if old != new:
                changed[field] = {"old": _jsonable(old), "new": _jsonable(new)}
                setattr(partner, field, new)
        if "name" in changed:
            partner.name_key = partner_name_key(partner.name)
        scope.detail["changes"] = changed
        return cleaned


# --- helpers --------------------------------------------------------------------------------------------


def _get_partner(session: Session, partner_id: int) -> Partner:
    partner = session.get(Partner, partner_id)
    if partner is None:
        raise NotFoundError(f"Partner {partner_id} does not exist.")
    return partner


def _get_contact(session: Session, contact_id: int) -> PartnerContact:
    contact = session.get(PartnerContact, contact_id)
    if contact is None:
        raise NotFoundError("That contact no longer exists; it may have been removed.")
    return contact


def _jsonable(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value
