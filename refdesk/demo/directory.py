"""The demo clinic's directory: staff, service lines with their intake scripts, partners with their
people and outreach log.

These are hundreds of rows, not millions, so they go through the column types like any other write;
what the referral generator needs from them (ids, volumes, who refers what, how) comes back as plans.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from random import Random
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from refdesk.demo import catalog, names
from refdesk.demo.catalog import ServiceLineSpec
from refdesk.demo.clock import DAY, DemoClock
from refdesk.demo.plans import ItemPlan, LinePlan, PartnerPlan
from refdesk.domain.formats import normalize_phone
from refdesk.domain.models import (
    IntakeItem,
    IntakeScript,
    Partner,
    PartnerContact,
    PartnerTouch,
    ServiceLine,
    Setting,
    Staff,
    partner_name_key,
)
from refdesk.domain.vocab import (
    AgreementStatus,
    Channel,
    ContactMethod,
    OutreachCadence,
    PartnerCategory,
    StaffRole,
    TouchKind,
)
from refdesk.services.passwords import hash_password

#: How referrals arrive from each kind of partner (cumulative weights over ``Channel``, in order).
_CHANNEL_MIX: dict[PartnerCategory, dict[Channel, float]] = {
    PartnerCategory.SELF_OTHER: {
        Channel.WEB_FORM: 45,
        Channel.PHONE: 38,
        Channel.WALK_IN: 12,
        Channel.EMAIL: 5,
    },
    PartnerCategory.COMMUNITY: {Channel.FAX: 35, Channel.EMAIL: 25, Channel.PHONE: 30, Channel.PORTAL: 10},
    PartnerCategory.HOSPITAL: {Channel.FAX: 50, Channel.PORTAL: 35, Channel.PHONE: 15},
}
_DEMO_SALT = b"refdesk-demo-pw!"
_CLINICAL_MIX = {Channel.FAX: 58, Channel.PORTAL: 16, Channel.EMAIL: 7, Channel.PHONE: 14, Channel.WALK_IN: 5}


@dataclass(slots=True)
class Directory:
    """What was written (or found): the plans the referral stream draws on, and how many rows."""

    lines: list[LinePlan]
    partners: list[PartnerPlan]
    owners: list[int]
    callers: list[int]
    staff_count: int = 0
    rows: int = 0


def build_directory(connection: Connection, clock: DemoClock, rng: Random, partners: int) -> Directory:
    """Write staff, service lines and partners (reusing staff and lines that already exist by name)."""
    rows = _letterhead(connection)
    staff_ids, written = _staff(connection, clock)
    rows += written
    lines, written = _service_lines(connection, clock, staff_ids["admin"])
    rows += written
    plans, written = _partners(connection, clock, rng, partners, lines, staff_ids)
    rows += written
    owners = [staff_ids[u] for u, _, role in names.STAFF if role in ("front_desk", "coordinator")]
    callers = [staff_ids[u] for u, _, role in names.STAFF if role == "front_desk"]
    return Directory(lines, plans, owners, callers, staff_count=len(staff_ids), rows=rows)


def _letterhead(connection: Connection) -> int:
    """The demo clinic's letterhead, so its letters and reports print at once (a real clinic fills it
    in Settings); a letterhead already there is kept."""
    present = set(connection.scalars(select(Setting.key).where(Setting.key.in_(catalog.LETTERHEAD))))
    missing = [{"key": key, "value": text} for key, text in catalog.LETTERHEAD.items() if key not in present]
    if missing:
        connection.execute(insert(Setting), missing)
    return len(missing)


def _staff(connection: Connection, clock: DemoClock) -> tuple[dict[str, int], int]:
    existing = {
        username: staff_id for username, staff_id in connection.execute(select(Staff.username, Staff.id))
    }
    # One hash for all of them (Argon2id is slow on purpose), with a fixed salt so the same seed gives
    # the same rows (the demo password is printed on the sign-in screen; there is nothing to protect).
    password_hash = hash_password(names.DEMO_PASSWORD, salt=_DEMO_SALT)
    new = [
        {
            "username": username,
            "full_name": full_name,
            "role": StaffRole(role),
            "active": True,
            "password_hash": password_hash,
            "must_change_password": False,
            "failed_sign_ins": 0,
            "created_at": clock.aware(clock.start),
        }
        for username, full_name, role in names.STAFF
        if username not in existing
    ]
    if new:
        connection.execute(insert(Staff), new)
    ids = {username: staff_id for username, staff_id in connection.execute(select(Staff.username, Staff.id))}
    return ids, len(new)


def give_demo_passwords(connection: Connection) -> int:
    """Demo databases made before sign-in existed: their demo staff have no password, so the demo would
    open at first-run setup. Gives each demo account still without a password ``DEMO_PASSWORD``; call
    it on demo databases only (never on a clinic's own). Returns how many accounts got one."""
    usernames = [username for username, _, _ in names.STAFF]
    without = select(Staff.id).where(
        Staff.username.in_(usernames), (Staff.password_hash.is_(None)) | (Staff.password_hash == "")
    )
    ids = list(connection.scalars(without))
    if ids:
        password_hash = hash_password(names.DEMO_PASSWORD, salt=_DEMO_SALT)
        connection.execute(update(Staff).where(Staff.id.in_(ids)).values(password_hash=password_hash))
    return len(ids)


def _service_lines(connection: Connection, clock: DemoClock, admin_id: int) -> tuple[list[LinePlan], int]:
    rows = 0
    plans = []
    created_at = clock.aware(clock.start)
    for spec in catalog.SERVICE_LINES:
        found = connection.execute(
            select(
                ServiceLine.id,
                ServiceLine.ack_target_hours,
                ServiceLine.first_contact_target_hours,
                ServiceLine.max_attempts,
            ).where(ServiceLine.name == spec.name)
        ).first()
        if found is None:
            line_id = _insert_one(
                connection,
                ServiceLine,
                {
                    "name": spec.name,
                    "description": spec.description,
                    "criteria": spec.criteria,
                    "required_records": list(spec.required_records),
                    "how_to_refer": spec.how_to_refer,
                    "after_referral": spec.after_referral,
                    "ack_target_hours": spec.ack_target_hours,
                    "first_contact_target_hours": spec.first_contact_target_hours,
                    "max_attempts": 3,
                    "active": True,
                },
            )
            targets = (spec.ack_target_hours, spec.first_contact_target_hours, 3)
            rows += 1
        else:
            line_id, *found_targets = found
            targets = (found_targets[0], found_targets[1], found_targets[2])
        items, written = _current_script(connection, spec, line_id, admin_id, created_at)
        rows += written
        plans.append(LinePlan(line_id, spec, *targets, items))
    return plans, rows


def _current_script(
    connection: Connection, spec: ServiceLineSpec, line_id: int, admin_id: int, created_at: datetime
) -> tuple[tuple[ItemPlan, ...], int]:
    """The line's current intake script; a first version is written when the line has none."""
    script_id = connection.execute(
        select(IntakeScript.id).where(IntakeScript.service_line_id == line_id, IntakeScript.current)
    ).scalar()
    rows = 0
    if script_id is None:
        version = connection.execute(
            select(func.coalesce(func.max(IntakeScript.version), 0)).where(
                IntakeScript.service_line_id == line_id
            )
        ).scalar_one()
        script_id = _insert_one(
            connection,
            IntakeScript,
            {
                "service_line_id": line_id,
                "version": version + 1,
                "current": True,
                "created_at": created_at,
                "created_by": admin_id,
            },
        )
        items = catalog.intake_items(spec)
        connection.execute(
            insert(IntakeItem),
            [
                {
                    "script_id": script_id,
                    "key": item.key,
                    "position": position,
                    "prompt": item.prompt,
                    "kind": item.kind,
                    "choices": list(item.choices),
                    "required": item.required,
                    "blocks_scheduling": item.blocks_scheduling,
                }
                for position, item in enumerate(items, start=1)
            ],
        )
        rows += 1 + len(items)
    found = connection.execute(
        select(
            IntakeItem.id, IntakeItem.kind, IntakeItem.choices, IntakeItem.blocks_scheduling, IntakeItem.key
        )
        .where(IntakeItem.script_id == script_id)
        .order_by(IntakeItem.position)
    ).all()
    plans = tuple(
        ItemPlan(i, kind, tuple(choices or ()), blocks, key) for i, kind, choices, blocks, key in found
    )
    return plans, rows


def _insert_one(connection: Connection, model: Any, values: dict[str, Any]) -> int:
    result = connection.execute(insert(model).values(**values))
    primary_key = result.inserted_primary_key
    assert primary_key is not None
    return int(primary_key[0])


# --- partners ------------------------------------------------------------------------------------


def _partners(
    connection: Connection,
    clock: DemoClock,
    rng: Random,
    count: int,
    lines: list[LinePlan],
    staff_ids: dict[str, int],
) -> tuple[list[PartnerPlan], int]:
    taken = set(connection.execute(select(Partner.name_key)).scalars())
    next_id = (connection.execute(select(func.max(Partner.id))).scalar() or 0) + 1
    categories = _categories(rng, count)
    # A few partners send most referrals: volume falls off with rank (Zipf-like), in random order.
    ranks = list(range(count))
    rng.shuffle(ranks)
    partner_rows: list[dict[str, Any]] = []
    contact_rows: list[dict[str, Any]] = []
    touch_rows: list[dict[str, Any]] = []
    plans: list[PartnerPlan] = []
    coordinators = [staff_ids[u] for u, _, role in names.STAFF if role == "coordinator"]
    for index, category in enumerate(categories):
        partner_id = next_id + index
        rank = ranks[index]
        name = _partner_name(rng, category, taken)
        active_from, active_until = clock.start, clock.now
        roll = rng.random()
        if rank >= 3 and roll < 0.12:
            # Lapsed: referred earlier in the year, nothing in the last 90 days.
            active_until = clock.now - int((95 + rng.random() * 200) * DAY)
        elif rank >= 3 and roll < 0.2:
            active_from = clock.start + int((40 + rng.random() * 250) * DAY)
        created = max(active_from - int(rng.random() * 20 * DAY), clock.start)
        partner_rows.append(_partner_row(rng, clock, partner_id, name, category, created, active_until))
        contact_rows.extend(_contacts(rng, partner_id, category))
        touch_rows.extend(_touches(rng, clock, partner_id, partner_rows[-1], created, coordinators))
        weight = 1.0 / (rank + 1.5) ** 1.05
        if category is PartnerCategory.SELF_OTHER:
            weight = max(weight, 0.03)
        plans.append(
            PartnerPlan(
                id=partner_id,
                category=category,
                weight=weight,
                active_from=active_from,
                active_until=active_until,
                line_cum=_line_cum(rng, category, lines),
                channel_cum=_channel_cum(category),
                clinicians=_clinicians(rng, category),
            )
        )
    connection.execute(insert(Partner), partner_rows)
    if contact_rows:
        connection.execute(insert(PartnerContact), contact_rows)
    if touch_rows:
        connection.execute(insert(PartnerTouch), touch_rows)
    return plans, len(partner_rows) + len(contact_rows) + len(touch_rows)


def _categories(rng: Random, count: int) -> list[PartnerCategory]:
    """Every category at least once (when there are enough partners), the rest by their usual share."""
    every = list(PartnerCategory)
    chosen = every[:count]
    weights = list(accumulate(catalog.CATEGORY_SHARE[c] for c in every))
    while len(chosen) < count:
        chosen.append(every[bisect_right(weights, rng.random() * weights[-1])])
    rng.shuffle(chosen)
    return chosen


def _partner_name(rng: Random, category: PartnerCategory, taken: set[str]) -> str:
    templates = catalog.PARTNER_NAMES[category]
    for attempt in range(60):
        template = templates[int(rng.random() * len(templates))]
        name = template.format(
            place=rng.choice(catalog.PLACES),
            surname=rng.choice(catalog.SURNAMES),
            surname2=rng.choice(catalog.SURNAMES),
            saint=rng.choice(catalog.SAINTS),
        )
        if attempt > 30:
            name = f"{name} ({rng.choice(catalog.PLACES)} office)"
        if partner_name_key(name) not in taken:
            taken.add(partner_name_key(name))
            return name
    number = len(taken) + 1
    name = f"{templates[0].format(place='Site', surname='Site', surname2='Site', saint='Site')} {number}"
    taken.add(partner_name_key(name))
    return name


def fictional_phone(rng: Random, area_codes: tuple[int, ...] = catalog.AREA_CODES) -> str:
    """A 555-01xx number: reserved for fiction in North America, so no real person is ever dialled."""
    return normalize_phone(f"{rng.choice(area_codes)}5550{100 + int(rng.random() * 100)}")


def _slug(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isascii() and ch.isalnum())[:24] or "partner"


def _partner_row(
    rng: Random,
    clock: DemoClock,
    partner_id: int,
    name: str,
    category: PartnerCategory,
    created: int,
    active_until: int,
) -> dict[str, Any]:
    clinical = category is not PartnerCategory.SELF_OTHER
    city, region, zip_prefix = rng.choice(catalog.CITIES)
    roll = rng.random()
    today = clock.as_date(clock.now)
    agreement_date: date | None
    if roll < 0.5:
        status, agreement_date = AgreementStatus.SIGNED, today - timedelta(days=int(rng.random() * 700) + 20)
    elif roll < 0.65:
        status, agreement_date = AgreementStatus.PROPOSED, today - timedelta(days=int(rng.random() * 60) + 5)
    elif roll < 0.75:
        status, agreement_date = (
            AgreementStatus.EXPIRED,
            today - timedelta(days=int(rng.random() * 400) + 380),
        )
    else:
        status, agreement_date = AgreementStatus.NONE, None
    cadence = rng.choice(
        (OutreachCadence.MONTHLY, OutreachCadence.QUARTERLY, OutreachCadence.QUARTERLY, OutreachCadence.NONE)
    )
    lapsed = active_until < clock.now - 90 * DAY
    slug = _slug(name)
    return {
        "id": partner_id,
        "name": name,
        "name_key": partner_name_key(name),
        "category": category,
        "phone": fictional_phone(rng) if clinical else None,
        "fax": fictional_phone(rng) if clinical and rng.random() < 0.9 else None,
        "email": f"referrals@{slug}.example.org" if clinical and rng.random() < 0.7 else None,
        "portal": f"https://portal.example.org/{slug}" if clinical and rng.random() < 0.25 else None,
        "address_line1": f"{100 + int(rng.random() * 9800)} {rng.choice(catalog.STREETS)}"
        if clinical
        else None,
        "address_line2": f"Suite {100 + int(rng.random() * 400)}"
        if clinical and rng.random() < 0.4
        else None,
        "city": city if clinical else None,
        "region": region if clinical else None,
        "postal_code": f"{zip_prefix}{int(rng.random() * 100):02d}" if clinical else None,
        "npi": None,
        "preferred_update_channel": rng.choice((ContactMethod.EMAIL, ContactMethod.MAIL, ContactMethod.PHONE))
        if clinical
        else None,
        "agreement_status": status if clinical else AgreementStatus.NONE,
        "agreement_date": agreement_date if clinical else None,
        "agreement_scope": catalog.AGREEMENT_SCOPE if clinical and status is AgreementStatus.SIGNED else None,
        "outreach_cadence": cadence if clinical else OutreachCadence.NONE,
        "notes": "Has not referred in the last three months; outreach planned." if lapsed else None,
        "active": True,
        "created_at": clock.aware(created),
    }


def _contacts(rng: Random, partner_id: int, category: PartnerCategory) -> list[dict[str, Any]]:
    if category is PartnerCategory.SELF_OTHER:
        return []
    count = 1 + int(rng.random() * 3)
    roles = rng.sample(catalog.CONTACT_ROLES, count)
    updates = int(rng.random() * count)
    rows = []
    for position, role in enumerate(roles):
        first = rng.choice(names.CLINICIAN_FIRST)
        last = rng.choice(names.CLINICIAN_LAST)
        person = f"Dr. {first} {last}" if role == "Physician" else f"{first} {last}"
        rows.append(
            {
                "partner_id": partner_id,
                "name": person,
                "role": role,
                "decision_maker": role in ("Office manager", "Physician"),
                "receives_updates": position == updates,
                "phone": f"{fictional_phone(rng)} x{10 + int(rng.random() * 90)}",
                "fax": None,
                "email": f"{_slug(first)}.{_slug(last)}@example.org",
                "notes": None,
            }
        )
    return rows


def _touches(
    rng: Random,
    clock: DemoClock,
    partner_id: int,
    partner: dict[str, Any],
    created: int,
    coordinators: list[int],
) -> list[dict[str, Any]]:
    cadence = partner["outreach_cadence"]
    every = {OutreachCadence.MONTHLY: 30, OutreachCadence.QUARTERLY: 91}.get(cadence)
    rows: list[dict[str, Any]] = []
    if every is None:
        return rows
    kinds = (
        TouchKind.CALL,
        TouchKind.UPDATE_SENT,
        TouchKind.EMAIL,
        TouchKind.VISIT,
        TouchKind.NEWSLETTER,
        TouchKind.IN_SERVICE,
    )
    moment = created + int(rng.random() * every * DAY)
    while moment < clock.now - DAY:
        when = clock.business(moment, rng)
        if when < clock.now:
            kind = kinds[min(int(rng.random() ** 1.6 * len(kinds)), len(kinds) - 1)]
            rows.append(
                {
                    "partner_id": partner_id,
                    "at": datetime.fromtimestamp(when, UTC),
                    "kind": kind,
                    "staff_id": rng.choice(coordinators),
                    "note": catalog.TOUCH_NOTES[kind.value],
                }
            )
        moment += int((every + (rng.random() - 0.5) * 10) * DAY)
    return rows


def _line_cum(rng: Random, category: PartnerCategory, lines: list[LinePlan]) -> list[float]:
    """Which service lines this partner refers to: its category's mix, with a partner's own leaning."""
    weights = [line.spec.volume.get(category, 0.05) * (0.5 + rng.random()) for line in lines]
    return list(accumulate(weights))


def _channel_cum(category: PartnerCategory) -> list[float]:
    mix = _CHANNEL_MIX.get(category, _CLINICAL_MIX)
    return list(accumulate(mix.get(channel, 0.0) for channel in Channel))


def _clinicians(rng: Random, category: PartnerCategory) -> tuple[str, ...]:
    if category is PartnerCategory.SELF_OTHER:
        return ()
    count = 1 + int(rng.random() * 6)
    return tuple(
        f"{rng.choice(names.CLINICIAN_FIRST)} {rng.choice(names.CLINICIAN_LAST)}, "
        f"{rng.choice(names.CREDENTIALS)}"
        for _ in range(count)
    )
