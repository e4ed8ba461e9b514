"""Partners and service lines: creating them and finding them by name (forms, import, demo data, CLI).

Issue 4/7 grows the partner side (contacts, touches, agreements); this is what referrals need now.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from refdesk.domain.models import Partner, ServiceLine, partner_name_key
from refdesk.domain.vocab import PartnerCategory
from refdesk.services import intake
from refdesk.services.actor import Actor
from refdesk.services.audit import audited
from refdesk.services.validation import Errors
from refdesk.storage import Database


@dataclass
class NewPartner:
    name: str = ""
    category: PartnerCategory = PartnerCategory.PRIMARY_CARE
    phone: str | None = None
    fax: str | None = None
    email: str | None = None


@dataclass
class NewServiceLine:
    name: str = ""
    description: str | None = None
    criteria: str | None = None
    required_records: list[str] = field(default_factory=list)
    ack_target_hours: int = 8
    first_contact_target_hours: int = 16
    max_attempts: int = 3


def create_partner(db: Database, actor: Actor, data: NewPartner) -> int:
    """Save a new partner; refuses a name that matches an existing partner ignoring case and spacing."""
    with audited(db, actor, "partner.create", "partner") as scope:
        errors = Errors()
        name = errors.text("name", data.name, label="Partner name", max_length=200, required=True)
        phone = errors.phone("phone", data.phone, required=False)
        fax = errors.phone("fax", data.fax, required=False)
        email = errors.email("email", data.email)
        if name and find_partner(db, name) is not None:
            errors.add("name", f"A partner named {name} already exists.")
        errors.raise_if_any()
        assert name is not None
        partner = Partner(
            name=name,
            name_key=partner_name_key(name),
            category=data.category,
            phone=phone,
            fax=fax,
            email=email,
        )
        scope.session.add(partner)
        scope.session.flush()
        scope.entity_id = partner.id
        return partner.id


def find_partner(db: Database, name: str) -> Partner | None:
    """The partner with this name, matched case- and space-insensitively."""
    with db.session() as session:
        return session.scalars(select(Partner).where(Partner.name_key == partner_name_key(name))).first()


def create_service_line(db: Database, actor: Actor, data: NewServiceLine) -> int:
    with audited(db, actor, "service_line.create", "service_line") as scope:
        errors = Errors()
        name = errors.text("name", data.name, label="Service line name", max_length=120, required=True)
        for key, hours, label in (
            ("ack_target_hours", data.ack_target_hours, "Acknowledgement target"),
            ("first_contact_target_hours", data.first_contact_target_hours, "First contact target"),
        ):
            if hours <= 0:
                errors.add(key, f"{label} must be at least one hour.")
        if data.max_attempts < 1:
            errors.add("max_attempts", "Allow at least one contact attempt.")
        if name and scope.session.scalars(select(ServiceLine).where(ServiceLine.name == name)).first():
            errors.add("name", f"A service line named {name} already exists.")
        errors.raise_if_any()
        line = ServiceLine(
            name=name,
            description=data.description,
            criteria=data.criteria,
            required_records=list(data.required_records),
            ack_target_hours=data.ack_target_hours,
            first_contact_target_hours=data.first_contact_target_hours,
            max_attempts=data.max_attempts,
        )
        scope.session.add(line)
        scope.session.flush()
        # A new line starts with the shipped intake script, so its referrals have a checklist at once.
        intake.ensure_script(scope.session, line, created_by=actor.staff_id)
        scope.entity_id = line.id
        return line.id


def list_partners(db: Database) -> list[Partner]:
    with db.session() as session:
        return list(session.scalars(select(Partner).where(Partner.active).order_by(Partner.name)))


def list_service_lines(db: Database) -> list[ServiceLine]:
    with db.session() as session:
        return list(session.scalars(select(ServiceLine).where(ServiceLine.active).order_by(ServiceLine.name)))
