"""Service lines as Settings edits them, and the clinic's default response targets for new lines.

A service line carries its referrals' response targets (acknowledge and first contact within so many
business hours, close as unable to reach after so many attempts) and what partners are told about it.
Lines are edited field by field (each edit is one audited transaction with the field's old and new
value) and retired rather than deleted: referrals point at them and keep pointing at them.

Referrals store their deadlines when they are received, so a changed target applies to referrals
received afterwards; the attempt limit is read when an attempt is logged.

Changing clinic settings, the default targets or a service line is for administrators and
coordinators: the front desk is refused with ``AccessDenied``, and the refusal is audited.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from refdesk.domain.models import ServiceLine, Setting
from refdesk.domain.next_action import Targets
from refdesk.domain.vocab import StaffRole
from refdesk.errors import AccessDenied, NotFoundError
from refdesk.services.actor import Actor
from refdesk.services.audit import audited
from refdesk.services.validation import Errors
from refdesk.storage import Database

#: Who may change clinic settings, the default targets and service lines.
SETTINGS_EDITORS = frozenset({StaffRole.ADMIN, StaffRole.COORDINATOR})

#: Settings keys of the default response targets a new service line starts with.
ACK_HOURS = "targets.ack_hours"
FIRST_CONTACT_HOURS = "targets.first_contact_hours"
MAX_ATTEMPTS = "targets.max_attempts"
TARGET_KEYS = (ACK_HOURS, FIRST_CONTACT_HOURS, MAX_ATTEMPTS)
#: How ``set_default_targets`` names them (and its refusals are keyed).
DEFAULT_TARGET_FIELDS = ("ack_hours", "first_contact_hours", "max_attempts")

#: A target of a month of business hours is already more than any clinic promises.
MIN_TARGET_HOURS, MAX_TARGET_HOURS = 1, 720
MIN_ATTEMPTS, MAX_ATTEMPTS_ALLOWED = 1, 20
#: Required records: what fits on a records-request letter.
MAX_RECORDS, MAX_RECORD_LENGTH = 30, 120
#: The free-text fields (description, criteria, how to refer, after referral) print in the partner
#: packet: a page at most.
MAX_TEXT_LENGTH = 4000

EDITABLE_FIELDS = (
    "name",
    "description",
    "criteria",
    "required_records",
    "how_to_refer",
    "after_referral",
    "ack_target_hours",
    "first_contact_target_hours",
    "max_attempts",
)
_TEXT_LABELS = {
    "description": "Description",
    "criteria": "Criteria",
    "how_to_refer": "How to refer",
    "after_referral": "After the referral",
}
_TARGET_FIELDS = ("ack_target_hours", "first_contact_target_hours", "max_attempts")


@dataclass(frozen=True, slots=True)
class LineRecord:
    """One service line as Settings shows it (a plain copy: safe to hand to the GUI thread)."""

    id: int
    name: str
    description: str | None
    criteria: str | None
    required_records: tuple[str, ...]
    how_to_refer: str | None
    after_referral: str | None
    ack_target_hours: int
    first_contact_target_hours: int
    max_attempts: int
    active: bool

    @classmethod
    def of(cls, line: ServiceLine) -> LineRecord:
        values = {name: getattr(line, name) for name in cls.__dataclass_fields__}
        return cls(**{**values, "required_records": tuple(line.required_records or ())})


# -- who may change settings ---------------------------------------------------------------------------


def can_change_settings(actor: Actor) -> bool:
    """Whether ``actor`` may change clinic settings, targets and service lines (screens show the rest
    read-only)."""
    return actor.role in SETTINGS_EDITORS


def check_can_change_settings(
    db: Database, actor: Actor, action: str, entity: str, entity_id: int | None = None
) -> None:
    """Refuse (and audit the refusal as a failed ``action``) unless ``actor`` may change settings; for
    services that change clinic settings outside this module.

    Raises:
        AccessDenied: the actor is front desk.
    """
    if not can_change_settings(actor):
        with audited(db, actor, action, entity, entity_id):
            _refuse()


def _refuse() -> None:
    raise AccessDenied("Only an administrator or a coordinator can change the clinic's settings.")


# -- checks shared by create and update ----------------------------------------------------------------


_HOURS = (MIN_TARGET_HOURS, MAX_TARGET_HOURS, " business hours")
_TRIES = (MIN_ATTEMPTS, MAX_ATTEMPTS_ALLOWED, "")


def _whole(errors: Errors, key: str, value: Any, label: str, bounds: tuple[int, int, str]) -> int | None:
    low, high, unit = bounds
    if value is None or (isinstance(value, str) and not value.strip()):
        errors.add(key, f"{label} is required.")
    elif isinstance(value, bool) or not isinstance(value, int):
        errors.add(key, f"{label} must be a whole number.")
    elif not low <= value <= high:
        errors.add(key, f"{label} must be between {low} and {high}{unit}.")
    else:
        return value
    return None


def check_targets(
    errors: Errors,
    ack: Any,
    first_contact: Any,
    attempts: Any,
    *,
    keys: tuple[str, str, str] = ("ack_target_hours", "first_contact_target_hours", "max_attempts"),
    changed: Collection[str] = (),
) -> Targets:
    """Check a set of targets: hours within 1..720, attempts within 1..20, and first contact due no
    earlier than the acknowledgement. The order problem is reported at the field the user changed
    (``changed``, by key), so the message appears where they just typed. Returns the targets (their
    values are only meaningful when ``errors`` stayed empty)."""
    ack_key, first_key, attempts_key = keys
    ack_hours = _whole(errors, ack_key, ack, "The acknowledgement target", _HOURS)
    first_hours = _whole(errors, first_key, first_contact, "The first contact target", _HOURS)
    tries = _whole(errors, attempts_key, attempts, "Contact attempts", _TRIES)
    if ack_hours is not None and first_hours is not None and first_hours < ack_hours:
        if ack_key in changed and first_key not in changed:
            errors.add(
                ack_key,
                f"Acknowledgement cannot be due after first contact ({first_hours} hours); "
                "raise the first contact target first.",
            )
        else:
            errors.add(
                first_key, f"First contact cannot be due before the acknowledgement ({ack_hours} hours)."
            )
    defaults = Targets()
    return Targets(
        ack_hours or defaults.ack_hours,
        first_hours or defaults.first_contact_hours,
        tries or defaults.max_attempts,
    )


def clean_records(errors: Errors, key: str, value: Any) -> list[str]:
    """Required records as stored: each name trimmed (inner spaces collapsed), empty ones dropped, and
    the same name twice (ignoring case) kept once, in the order given. Takes a list or one name a line."""
    if value is None:
        items: list[Any] = []
    elif isinstance(value, str):
        items = value.splitlines()
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        errors.add(key, "Required records must be a list of names.")
        return []
    cleaned: list[str] = []
    seen: set[str] = set()
    for item in items:
        name = " ".join(str(item).split())
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            cleaned.append(name)
    if any(len(name) > MAX_RECORD_LENGTH for name in cleaned):
        errors.add(key, f"A record's name is too long (at most {MAX_RECORD_LENGTH} characters).")
    elif len(cleaned) > MAX_RECORDS:
        errors.add(key, f"List at most {MAX_RECORDS} required records.")
    return cleaned


def clean_name(errors: Errors, session: Session, value: Any, *, other_than: int | None = None) -> str | None:
    """A service line's name: required, at most 120 characters, not another line's (ignoring case)."""
    name = errors.text(
        "name",
        value if isinstance(value, str) else None,
        label="Service line name",
        max_length=120,
        required=True,
    )
    if name:
        # SQLite's lower() folds ASCII only: the exact name is compared too, so a repeat is always caught
        same = or_(ServiceLine.name == name, func.lower(ServiceLine.name) == name.lower())
        query = select(ServiceLine.id).where(same)
        if other_than is not None:
            query = query.where(ServiceLine.id != other_than)
        if session.scalars(query).first() is not None:
            errors.add("name", f"A service line named {name} already exists.")
    return name


def _clean_text(errors: Errors, key: str, value: Any) -> str | None:
    label = _TEXT_LABELS[key]
    text = errors.long_text(key, value if isinstance(value, str) else None, label=label, required=False)
    if text is not None and len(text) > MAX_TEXT_LENGTH:
        errors.add(key, f"{label} is too long (at most {MAX_TEXT_LENGTH} characters).")
    return text


# -- the default targets ---------------------------------------------------------------------------------


def targets_in(session: Session) -> Targets:
    """The clinic's default targets for a new service line, read in ``session`` (a value missing or
    damaged falls back to RefDesk's own default)."""
    rows = session.scalars(select(Setting).where(Setting.key.in_(TARGET_KEYS)))
    values = {row.key: row.value for row in rows}
    shipped = Targets()

    def value(key: str, fallback: int, high: int) -> int:
        stored = values.get(key)
        if isinstance(stored, int) and not isinstance(stored, bool) and 1 <= stored <= high:
            return stored
        return fallback

    ack = value(ACK_HOURS, shipped.ack_hours, MAX_TARGET_HOURS)
    first = value(FIRST_CONTACT_HOURS, shipped.first_contact_hours, MAX_TARGET_HOURS)
    return Targets(ack, max(first, ack), value(MAX_ATTEMPTS, shipped.max_attempts, MAX_ATTEMPTS_ALLOWED))


def default_targets(db: Database) -> Targets:
    """The targets a new service line starts with (Settings → Response targets)."""
    with db.session() as session:
        return targets_in(session)


def set_default_targets(db: Database, actor: Actor, changes: Mapping[str, Any]) -> Targets:
    """Change some of the default targets: ``changes`` keyed ``ack_hours``, ``first_contact_hours``,
    ``max_attempts`` (a None or empty value is refused: every target has a value). They are checked
    together with those not changed; returns all three as stored. Existing service lines keep their own
    targets. Audited as one ``setting.update`` whose detail has each changed key's old and new value.

    Raises:
        AccessDenied: front desk.
        ValidationError: keyed as ``changes``; nothing is saved.
    """
    unknown = set(changes) - set(DEFAULT_TARGET_FIELDS)
    if unknown:
        raise ValueError(f"not a default target: {sorted(unknown)}")
    with audited(db, actor, "setting.update", "setting") as scope:
        if not can_change_settings(actor):
            _refuse()
        now = targets_in(scope.session)
        wanted = {
            "ack_hours": now.ack_hours,
            "first_contact_hours": now.first_contact_hours,
            "max_attempts": now.max_attempts,
            **changes,
        }
        errors = Errors()
        targets = check_targets(
            errors,
            wanted["ack_hours"],
            wanted["first_contact_hours"],
            wanted["max_attempts"],
            keys=DEFAULT_TARGET_FIELDS,
            changed=changes.keys(),
        )
        errors.raise_if_any()
        written: dict[str, dict[str, Any]] = {}
        before = (now.ack_hours, now.first_contact_hours, now.max_attempts)
        after = (targets.ack_hours, targets.first_contact_hours, targets.max_attempts)
        for key, old, new in zip(TARGET_KEYS, before, after, strict=True):
            if old == new:  # a target not changed stays as stored (or unset: RefDesk's default)
                continue
            row = scope.session.get(Setting, key)
            if row is None:
                scope.session.add(Setting(key=key, value=new))
            else:
                row.value = new
            written[key] = {"old": old, "new": new}
        scope.detail["changes"] = written
        return targets


# -- service lines -----------------------------------------------------------------------------------------


def all_service_lines(db: Database) -> list[LineRecord]:
    """Every service line, retired ones too, by name (Settings lists them all; pickers list the active
    ones through ``catalog.list_service_lines``)."""
    with db.session() as session:
        lines = session.scalars(select(ServiceLine).order_by(func.lower(ServiceLine.name), ServiceLine.id))
        return [LineRecord.of(line) for line in lines]


def get_service_line(db: Database, line_id: int) -> LineRecord:
    with db.session() as session:
        return LineRecord.of(_get(session, line_id))


def _get(session: Session, line_id: int) -> ServiceLine:
    line = session.get(ServiceLine, line_id)
    if line is None:
        raise NotFoundError("This service line no longer exists.")
    return line


def add_service_line(db: Database, actor: Actor, name: str) -> LineRecord:
    """A new active service line named ``name``, with the clinic's default targets and the shipped
    intake script (Settings → Service lines → Add).

    Raises:
        AccessDenied: front desk (audited as a failed ``service_line.create``).
        ValidationError: keyed ``name``.
    """
    from refdesk.services.catalog import NewServiceLine, create_service_line  # catalog imports this module

    check_can_change_settings(db, actor, "service_line.create", "service_line")
    line_id = create_service_line(db, actor, NewServiceLine(name=name))
    return get_service_line(db, line_id)


def update_service_line(db: Database, actor: Actor, line_id: int, changes: dict[str, Any]) -> LineRecord:
    """Apply and save field edits, checked as a new line is (name unique and not empty, targets 1..720
    business hours with first contact no earlier than acknowledgement, 1..20 attempts, required records
    trimmed and without repeats). Audited as ``service_line.update`` with each changed field's old and new
    value. Returns the line as stored, so a form shows what was understood.

    Raises:
        AccessDenied: front desk.
        NotFoundError: no such line.
        ValidationError: keyed by field; nothing is saved.
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    with audited(db, actor, "service_line.update", "service_line", line_id) as scope:
        if not can_change_settings(actor):
            _refuse()
        line = _get(scope.session, line_id)
        errors = Errors()
        values: dict[str, Any] = {}
        if "name" in changes:
            values["name"] = clean_name(errors, scope.session, changes["name"], other_than=line_id)
        for key in _TEXT_LABELS:
            if key in changes:
                values[key] = _clean_text(errors, key, changes[key])
        if "required_records" in changes:
            values["required_records"] = clean_records(
                errors, "required_records", changes["required_records"]
            )
        if set(_TARGET_FIELDS) & changes.keys():
            merged = {key: changes.get(key, getattr(line, key)) for key in _TARGET_FIELDS}
            targets = check_targets(
                errors,
                merged["ack_target_hours"],
                merged["first_contact_target_hours"],
                merged["max_attempts"],
                changed=changes.keys(),
            )
            stored = (targets.ack_hours, targets.first_contact_hours, targets.max_attempts)
            values.update(
                {key: value for key, value in zip(_TARGET_FIELDS, stored, strict=True) if key in changes}
            )
        errors.raise_if_any()
        changed: dict[str, dict[str, Any]] = {}
        for key, new in values.items():
            old = getattr(line, key)
            if old != new:
                changed[key] = {"old": list(old) if key == "required_records" else old, "new": new}
                setattr(line, key, new)
        scope.detail["changes"] = changed
        scope.session.flush()
        return LineRecord.of(line)


def set_active(db: Database, actor: Actor, line_id: int, active: bool) -> LineRecord:
    """Retire a line (no longer offered for new referrals; its referrals keep it) or restore it.
    Audited as ``service_line.retire`` or ``service_line.restore``.

    Raises:
        AccessDenied: front desk.
        NotFoundError: no such line.
    """
    action = "service_line.restore" if active else "service_line.retire"
    with audited(db, actor, action, "service_line", line_id) as scope:
        if not can_change_settings(actor):
            _refuse()
        line = _get(scope.session, line_id)
        scope.detail["changes"] = (
            {"active": {"old": line.active, "new": active}} if line.active != active else {}
        )
        line.active = active
        scope.session.flush()
        return LineRecord.of(line)
