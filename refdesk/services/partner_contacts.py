"""The people at a partner: add, edit and remove contacts, and who receives the status letters."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from refdesk.domain.models import PartnerContact
from refdesk.services.actor import Actor
from refdesk.services.audit import audited
from refdesk.services.partner_detail import _get_contact, _get_partner
from refdesk.services.validation import Errors
from refdesk.storage import Database

# --- contacts -------------------------------------------------------------------------------------------


@dataclass
class ContactData:
    """A person at a partner as typed. Field names are the keys of ValidationError.errors."""

    name: str = ""
    role: str | None = None
    decision_maker: bool = False
    #: The one person status letters are addressed to (marking another moves the mark).
    receives_updates: bool = False
    phone: str | None = None
    fax: str | None = None
    email: str | None = None
    notes: str | None = None


CONTACT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ContactData))


def _clean_contact(errors: Errors, field: str, value: Any) -> Any:
    if field == "name":
        return errors.text("name", value, label="Name", max_length=200, required=True)
    if field == "role":
        return errors.text("role", value, label="Role", max_length=100, required=False)
    if field in {"phone", "fax"}:
        return errors.phone(field, value, required=False)
    if field == "email":
        return errors.email(field, value)
    if field == "notes":
        return errors.long_text(field, value, label="Notes", required=False)
    if field in {"decision_maker", "receives_updates"}:
        return bool(value)
    raise ValueError(f"not a contact field: {field}")


def _take_updates_mark(session: Session, partner_id: int, keep: int) -> list[int]:
    """Status letters go to one person: clear the mark on the partner's other contacts; returns their ids."""
    others = session.scalars(
        select(PartnerContact).where(
            PartnerContact.partner_id == partner_id,
            PartnerContact.receives_updates.is_(True),
            PartnerContact.id != keep,
        )
    ).all()
    for other in others:
        other.receives_updates = False
    return [other.id for other in others]


def add_contact(db: Database, actor: Actor, partner_id: int, data: ContactData) -> int:
    """Save a new person at a partner; returns its id.

    Raises:
        NotFoundError: no such partner.
        ValidationError: one message per wrong field (``name``, ``phone``, …); nothing is saved.
    """
    with audited(db, actor, "partner_contact.create", "partner_contact") as scope:
        _get_partner(scope.session, partner_id)
        errors = Errors()
        values = {field: _clean_contact(errors, field, getattr(data, field)) for field in CONTACT_FIELDS}
        errors.raise_if_any()
        contact = PartnerContact(partner_id=partner_id, **values)
        scope.session.add(contact)
        scope.session.flush()
        scope.entity_id = contact.id
        scope.detail["partner_id"] = partner_id
        if contact.receives_updates:
            moved = _take_updates_mark(scope.session, partner_id, contact.id)
            if moved:
                scope.detail["receives_updates_moved_from"] = moved
        return contact.id


def update_contact(db: Database, actor: Actor, contact_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """Validate and save edits to one contact, audited with old and new values; returns the values as
    stored. Marking the contact as receiving updates takes the mark from the partner's other contacts.

    Raises:
        NotFoundError: no such contact (removed meanwhile).
        ValidationError: one message per wrong field; nothing is saved.
    """
    unknown = set(changes) - set(CONTACT_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    with audited(db, actor, "partner_contact.update", "partner_contact", contact_id) as scope:
        contact = _get_contact(scope.session, contact_id)
        errors = Errors()
        cleaned = {field: _clean_contact(errors, field, value) for field, value in changes.items()}
        errors.raise_if_any()
        changed: dict[str, dict[str, Any]] = {}
        for field, new in cleaned.items():
            old = getattr(contact, field)
            if old != new:
                changed[field] = {"old": old, "new": new}
                setattr(contact, field, new)
        scope.detail.update(partner_id=contact.partner_id, changes=changed)
        if changed.get("receives_updates", {}).get("new"):
            moved = _take_updates_mark(scope.session, contact.partner_id, contact.id)
            if moved:
                scope.detail["receives_updates_moved_from"] = moved
        return cleaned


def remove_contact(db: Database, actor: Actor, contact_id: int) -> None:
    """Delete a contact; the audit row keeps what it held, so a removal by mistake can be typed back.

    Raises:
        NotFoundError: no such contact.
    """
    with audited(db, actor, "partner_contact.remove", "partner_contact", contact_id) as scope:
        contact = _get_contact(scope.session, contact_id)
        scope.detail["partner_id"] = contact.partner_id
        scope.detail["removed"] = {field: getattr(contact, field) for field in CONTACT_FIELDS}
        scope.session.delete(contact)
