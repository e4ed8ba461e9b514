"""Partners as the coordinator works them: the list (search, category, lapsed), one partner's detail,
field edits, contacts, and the outreach log with its cadence.

Why it is built this way (performance.md):

- The list is a few thousand partners at most, so its rows are plain values held whole by the screen and
  sorted in Python (``sort_rows``); no ORM objects.
- The per-partner figures (referrals in the last 12 months, last referral received, open referrals) are
  correlated subqueries per partner row: ``max``/``count`` over ``ix_referral_partner_received`` and the
  partial ``ix_referral_open_partner_received``, so a list costs one short index walk per partner and
  never a GROUP BY over a million referrals. ``tests/refdesk/services/test_partners.py`` checks the plan.
- Search is case- and accent-insensitive ("jose" finds "José"); SQLite cannot fold accents, so the
  partner names, cities and phones (a few thousand short rows) are matched in Python first, and only the
  matches have their figures counted.

Every write goes through ``audited`` and validates before it changes anything: a refused edit leaves the
partner exactly as it was, and the ValidationError names the field to show the message at.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from refdesk.domain.formats import fold
from refdesk.domain.models import Partner, PartnerContact, PartnerTouch, Referral, Staff, partner_name_key
from refdesk.domain.times import as_utc, local_today, utc_now
from refdesk.domain.vocab import AgreementStatus, ContactMethod, OutreachCadence, PartnerCategory, TouchKind
from refdesk.errors import NotFoundError
from refdesk.services.actor import Actor
from refdesk.services.audit import audited
from refdesk.services.queue import open_states_term
from refdesk.services.validation import CLOCK_SKEW, Errors
from refdesk.storage import Database

#: "Lapsed": referred before, but nothing in this many days (the list's default).
LAPSED_DAYS = 90
#: The window of the list's "referrals in the last 12 months" figure.
RECENT_MONTHS = 12
#: Months between touches for each outreach cadence (NONE: no touch is ever due).
CADENCE_MONTHS: dict[OutreachCadence, int] = {OutreachCadence.MONTHLY: 1, OutreachCadence.QUARTERLY: 3}

_NPI = re.compile(r"^\d{10}$")
_DIGITS = re.compile(r"\D")
#: A search of this many digits or more (and nothing but phone characters) is a phone search.
_PHONE_SEARCH_DIGITS = 3
_PHONE_CHARS = re.compile(r"^[\d\s()+.\-]+$")


# --- the list -----------------------------------------------------------------------------------------


class PartnerSort(StrEnum):
    NAME = "name"
    CATEGORY = "category"
    CITY = "city"
    PHONE = "phone"
    RECENT = "recent"
    LAST_REFERRAL = "last_referral"
    OPEN = "open"
    NEXT_TOUCH = "next_touch"


@dataclass(frozen=True)
class PartnerFilter:
    """What the partner list shows. The default: every active partner."""

    #: Words that must each appear in the name or city, or digits in the phone or fax (any case, accents).
    search: str = ""
    #: Only this category (None: any).
    category: PartnerCategory | None = None
    #: Only lapsed partners: at least one referral ever, none in the last ``lapsed_days`` days.
    lapsed_days: int | None = None
    #: Partners marked inactive are hidden unless this is set.
    include_inactive: bool = False


@dataclass(frozen=True, slots=True)
class PartnerRow:
    """One line of the partner list, as plain values (cheap to hold, safe to hand across threads)."""

    id: int
    name: str
    category: PartnerCategory
    city: str | None
    phone: str | None
    active: bool
    outreach_cadence: OutreachCadence
    #: Referrals received in the last 12 months.
    recent_referrals: int
    last_referral_at: datetime | None
    open_referrals: int
    last_touch_at: datetime | None
    #: When the next outreach touch is due (None: no cadence); see ``next_touch_due``.
    next_touch_due: datetime | None


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` moved by whole calendar months; a day the target month lacks becomes its last day
    (Jan 31 + 1 month = Feb 28/29), so a monthly cadence never skips a month."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def next_touch_due(
    cadence: OutreachCadence, last_touch_at: datetime | None, now: datetime
) -> datetime | None:
    """When the next touch is due: the last touch plus the cadence (monthly: 1 month, quarterly: 3);
    a partner never touched is due now; without a cadence nothing is ever due (None)."""
    months = CADENCE_MONTHS.get(cadence)
    if months is None:
        return None
    if last_touch_at is None:
        return now
    return add_months(last_touch_at, months)


def _figures(now: datetime) -> tuple[Any, Any, Any, Any]:
    """The per-partner figures as correlated subqueries, each answered from an index by ``partner_id``."""
    since = add_months(now, -RECENT_MONTHS)
    # ORDER BY ... LIMIT 1 rather than max(): one seek to the end of the partner's index range, sure
    last_referral = (
        select(Referral.received_at)
        .where(Referral.partner_id == Partner.id)
        .order_by(Referral.received_at.desc())
        .limit(1)
        .correlate(Partner)
        .scalar_subquery()
    )
    recent = (
        select(func.count())
        .select_from(Referral)
        .where(Referral.partner_id == Partner.id, Referral.received_at >= since)
        .correlate(Partner)
        .scalar_subquery()
    )
    # the same literal IN list as the partial index's WHERE, so SQLite counts from that index
    open_count = (
        select(func.count())
        .select_from(Referral)
        .where(Referral.partner_id == Partner.id, open_states_term())
        .correlate(Partner)
        .scalar_subquery()
    )
    last_touch = (
        select(func.max(PartnerTouch.at))
        .where(PartnerTouch.partner_id == Partner.id)
        .correlate(Partner)
        .scalar_subquery()
    )
    return last_referral, recent, open_count, last_touch


def list_query(flt: PartnerFilter, *, now: datetime, ids: Sequence[int] | None = None) -> Select[Any]:
    """The list's query (without the search, which ``list_partner_rows`` resolves to ``ids``); public so
    the test can read its plan."""
    last_referral, recent, open_count, last_touch = _figures(now)
    query = select(
        Partner.id,
        Partner.name,
        Partner.category,
        Partner.city,
        Partner.phone,
        Partner.active,
        Partner.outreach_cadence,
        recent,
        last_referral,
        open_count,
        last_touch,
    )
    query = query.where(*_partner_terms(flt))
    if flt.lapsed_days is not None:
        query = query.where(last_referral < now - timedelta(days=max(flt.lapsed_days, 0)))
    if ids is not None:
        query = query.where(Partner.id.in_(list(ids)))
    return query


def _partner_terms(flt: PartnerFilter) -> list[ColumnElement[bool]]:
    terms: list[ColumnElement[bool]] = []
    if not flt.include_inactive:
        terms.append(Partner.active.is_(True))
    if flt.category is not None:
        terms.append(Partner.category == flt.category)
    return terms


def search_matches(search: str, name: str, city: str | None, phone: str | None, fax: str | None) -> bool:
    """Whether a partner matches a search: phone digits (3 or more) anywhere in its phone or fax, or else
    every word somewhere in its name or city, ignoring case and accents."""
    entry = search.strip()
    digits = _DIGITS.sub("", entry)
    if _PHONE_CHARS.match(entry) and len(digits) >= _PHONE_SEARCH_DIGITS:
        return any(digits in _DIGITS.sub("", number) for number in (phone, fax) if number)
    haystack = _fold(f"{name} {city or ''}")
    return all(word in haystack for word in _fold(entry).split())


def _fold(text: str) -> str:
    """``formats.fold``, with a shortcut for plain ASCII (most names): the same result at a tenth of the
    cost, which is most of a search over a few thousand partners."""
    return " ".join(text.lower().split()) if text.isascii() else fold(text)


def _search_ids(session: Session, flt: PartnerFilter) -> list[int]:
    query = select(Partner.id, Partner.name, Partner.city, Partner.phone, Partner.fax).where(
        *_partner_terms(flt)
    )
    return [
        pid
        for pid, name, city, phone, fax in session.execute(query)
        if search_matches(flt.search, name, city, phone, fax)
    ]


def _rows(session: Session, query: Select[Any], now: datetime) -> list[PartnerRow]:
    rows = []
    for values in session.execute(query):
        (pid, name, category, city, phone, active, cadence, recent, last_referral, open_count, last_touch) = (
            tuple(values)
        )
        rows.append(
            PartnerRow(
                pid,
                name,
                category,
                city,
                phone,
                bool(active),
                cadence,
                recent or 0,
                last_referral,
                open_count or 0,
                last_touch,
                next_touch_due(cadence, last_touch, now),
            )
        )
    return rows


def list_partner_rows(
    db: Database,
    flt: PartnerFilter = PartnerFilter(),  # noqa: B008 - frozen, so a shared default is safe
    sort: PartnerSort = PartnerSort.NAME,
    *,
    descending: bool = False,
    now: datetime | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> list[PartnerRow]:
    """Every partner the filter lets through, with its figures, in ``sort`` order.

    ``should_stop``: checked between the search and the figures, so a search overtaken by the next
    keystroke does not count figures nobody will see (it then returns an empty list).
    """
    now = now or utc_now()
    with db.session() as session:
        ids = _search_ids(session, flt) if flt.search.strip() else None
        if ids == [] or (should_stop is not None and should_stop()):
            return []
        rows = _rows(session, list_query(flt, now=now, ids=ids), now)
    return sort_rows(rows, sort, descending=descending)


def partner_rows_by_id(
    db: Database, ids: Iterable[int], *, now: datetime | None = None
) -> dict[int, PartnerRow]:
    """The list rows of these partners whatever the filter (to repaint a row after an edit)."""
    now = now or utc_now()
    wanted = list(ids)
    if not wanted:
        return {}
    with db.session() as session:
        query = list_query(PartnerFilter(include_inactive=True), now=now, ids=wanted)
        return {row.id: row for row in _rows(session, query, now)}


def _sort_value(row: PartnerRow, sort: PartnerSort) -> tuple[Any, ...]:
    """(is-missing, value): rows without a value sort after those with one, in either direction."""
    if sort is PartnerSort.NAME:
        return (False, _fold(row.name))
    if sort is PartnerSort.CATEGORY:
        return (False, row.category.label)
    if sort is PartnerSort.CITY:
        return (not row.city, _fold(row.city or ""))
    if sort is PartnerSort.PHONE:
        return (not row.phone, _DIGITS.sub("", row.phone or ""))
    if sort is PartnerSort.RECENT:
        return (False, row.recent_referrals)
    if sort is PartnerSort.OPEN:
        return (False, row.open_referrals)
    moment = row.last_referral_at if sort is PartnerSort.LAST_REFERRAL else row.next_touch_due
    return (moment is None, moment.timestamp() if moment is not None else 0.0)


def sort_rows(rows: Iterable[PartnerRow], sort: PartnerSort, *, descending: bool = False) -> list[PartnerRow]:
    """``rows`` in ``sort`` order, ties by name; rows lacking the value (no city, never referred, no
    cadence) always last. Each key is computed once per row: folding names is most of the cost."""
    keyed = sorted(
        ((_sort_value(row, sort), _fold(row.name), row.id, row) for row in rows), key=lambda k: k[1:3]
    )
    present = [k for k in keyed if not k[0][0]]
    missing = [k for k in keyed if k[0][0]]
    present.sort(key=lambda k: k[0][1], reverse=descending)  # stable: ties stay in name order
    return [k[3] for k in present + missing]


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


# --- outreach -------------------------------------------------------------------------------------------


def add_touch(
    db: Database,
    actor: Actor,
    partner_id: int,
    kind: TouchKind | None,
    *,
    at: datetime | None = None,
    note: str | None = None,
) -> int:
    """Log one outreach touch (a call, a visit, an in-service, an update sent); returns its id.

    ``at``: when it happened (a naive value is local time); now when None. It cannot be in the future:
    a touch is logged once it has happened (plans belong to the cadence's "next touch due").

    Raises:
        NotFoundError: no such partner.
        ValidationError: ``kind`` missing, or ``at`` in the future; nothing is saved.
    """
    with audited(db, actor, "partner_touch.create", "partner_touch") as scope:
        _get_partner(scope.session, partner_id)
        errors = Errors()
        kind = errors.present("kind", kind, message="Choose what kind of touch it was.")
        now = utc_now()
        moment = as_utc(at) if at is not None else now
        if moment > now + CLOCK_SKEW:
            errors.add("at", "A touch is logged once it has happened: the date cannot be in the future.")
        cleaned_note = errors.long_text("note", note, label="Note", required=False)
        errors.raise_if_any()
        assert kind is not None
        touch = PartnerTouch(
            partner_id=partner_id, kind=TouchKind(kind), at=moment, staff_id=actor.staff_id, note=cleaned_note
        )
        scope.session.add(touch)
        scope.session.flush()
        scope.entity_id = touch.id
        scope.detail.update(partner_id=partner_id, kind=touch.kind.value, at=moment.isoformat())
        return touch.id


@dataclass(frozen=True, slots=True)
class TouchDue:
    partner_id: int
    name: str
    cadence: OutreachCadence
    last_touch_at: datetime | None
    due_at: datetime


def touches_due(db: Database, now: datetime | None = None) -> list[TouchDue]:
    """Active partners with an outreach cadence whose next touch is due by ``now``, most overdue first
    (never-touched partners are due ``now``). For Today and reminders; reads partners, not referrals."""
    now = now or utc_now()
    last_touch = (
        select(func.max(PartnerTouch.at))
        .where(PartnerTouch.partner_id == Partner.id)
        .correlate(Partner)
        .scalar_subquery()
    )
    query = select(Partner.id, Partner.name, Partner.outreach_cadence, last_touch).where(
        Partner.active.is_(True), Partner.outreach_cadence != OutreachCadence.NONE
    )
    due: list[TouchDue] = []
    with db.session() as session:
        for pid, name, cadence, last in session.execute(query):
            when = next_touch_due(cadence, last, now)
            if when is not None and when <= now:
                due.append(TouchDue(pid, name, cadence, last, when))
    due.sort(key=lambda item: (item.due_at, _fold(item.name), item.partner_id))
    return due


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
