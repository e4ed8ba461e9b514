"""Partners and service lines: creating them and finding them by name (forms, import, demo data, CLI).

Issue 4/7 grows the partner side (contacts, touches, agreements); this is what referrals need now.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from refdesk.domain.models import Partner, ServiceLine, partner_name_key
from refdesk.domain.vocab import PartnerCategory
from refdesk.services import intake, service_lines
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
    #: None: the clinic's default (Settings → Response targets; ``service_lines.default_targets``).
    ack_target_hours: int | None = None
    first_contact_target_hours: int | None = None
    max_attempts: int | None = None


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
    """Save a new service line; targets not given are the clinic's defaults. Checked as
    ``service_lines.update_service_line`` checks an edit (the same rules, from the same functions)."""
    with audited(db, actor, "service_line.create", "service_line") as scope:
        errors = Errors()
        name = service_lines.clean_name(errors, scope.session, data.name)
        given = (data.ack_target_hours, data.first_contact_target_hours, data.max_attempts)
        shipped = service_lines.targets_in(scope.session)
        defaults = (shipped.ack_hours, shipped.first_contact_hours, shipped.max_attempts)
        targets = service_lines.check_targets(
            errors,
            *(default if value is None else value for value, default in zip(given, defaults, strict=True)),
        )
        records = service_lines.clean_records(errors, "required_records", data.required_records)
        errors.raise_if_any()
        line = ServiceLine(
            name=name,
            description=data.description,
            criteria=data.criteria,
            required_records=records,
            ack_target_hours=targets.ack_hours,
            first_contact_target_hours=targets.first_contact_hours,
            max_attempts=targets.max_attempts,
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
