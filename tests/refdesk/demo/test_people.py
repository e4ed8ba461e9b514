"""The demo's people exercise what real names and numbers do to a desk: accents, apostrophes, hyphens,
other scripts, fictional phone numbers that search and duplicate checks treat like real ones; partners
of every kind with skewed volume; service lines with their intake scripts."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from refdesk.domain.formats import name_key, normalize_phone, phone_digits
from refdesk.domain.lifecycle import State
from refdesk.domain.models import IntakeItem, IntakeScript, Partner, PartnerContact, Referral, ServiceLine
from refdesk.domain.vocab import Channel, ItemKind, PartnerCategory, Urgency
from refdesk.storage import Database
from tests.refdesk.demo.conftest import NOW, PARTNERS

ReferralAlias = aliased(Referral)
_FICTIONAL = re.compile(r"^\(\d{3}\) 555-01\d\d( x\d+)?$")


def _scripts(name: str) -> set[str]:
    return {unicodedata.name(ch, "?").split()[0] for ch in name if ch.isalpha()}


def test_names_are_as_varied_as_a_clinics_patients_and_keep_every_character(demo: Database) -> None:
    with demo.session() as session:
        names = session.execute(
            select(Referral.patient_first_name, Referral.patient_last_name, Referral.name_key)
        ).all()
    full = [f"{first} {last}" for first, last, _ in names]
    assert any("ë" in n or "é" in n or "ñ" in n.lower() for n in full)
    assert any("Nguyễn" in n for n in full)
    assert any("'" in n for n in full)
    assert any("-" in last for _, last, _ in names)
    other_scripts = [n for n in full if _scripts(n) - {"LATIN"}]
    assert 0.03 <= len(other_scripts) / len(full) <= 0.15
    seen = set().union(*(_scripts(n) for n in other_scripts))
    assert {"CYRILLIC", "GREEK", "CJK", "ARABIC", "DEVANAGARI"} <= seen
    for first, last, key in names:
        assert key == name_key(first, last)


def test_phones_are_fictional_and_stored_as_the_desk_stores_them(demo: Database) -> None:
    with demo.session() as session:
        phones = session.execute(
            select(Referral.phone, Referral.phone_digits, Referral.phone_alt, Referral.caregiver_phone)
        ).all()
        partner_phones = session.execute(select(Partner.phone, Partner.fax)).all()
        contact_phones = session.scalars(select(PartnerContact.phone)).all()
    for phone, digits, *others in phones:
        assert phone == normalize_phone(phone) and _FICTIONAL.match(phone)
        assert digits == phone_digits(phone)
        assert all(p is None or _FICTIONAL.match(p) for p in others)
    for phone in [p for row in partner_phones for p in row] + list(contact_phones):
        assert phone is None or (_FICTIONAL.match(phone) and normalize_phone(phone) == phone)


def test_a_duplicate_referral_is_the_same_patient_again_and_points_at_the_first(demo: Database) -> None:
    with demo.session() as session:
        linked = session.execute(
            select(Referral, ReferralAlias).join(
                ReferralAlias, ReferralAlias.id == Referral.linked_referral_id
            )
        ).all()
        duplicates = session.scalars(select(Referral.id).where(Referral.state == State.DUPLICATE)).all()
    assert linked
    for duplicate, original in linked:
        assert original.id < duplicate.id
        same = (original.name_key, original.patient_dob, original.phone_digits, original.partner_id)
        assert same == (
            duplicate.name_key,
            duplicate.patient_dob,
            duplicate.phone_digits,
            duplicate.partner_id,
        )
    assert set(duplicates) <= {d.id for d, _ in linked}


def test_partners_of_every_kind_a_few_send_most_and_some_have_lapsed(demo: Database) -> None:
    with demo.session() as session:
        partners = session.scalars(select(Partner)).all()
        volume = Counter(
            dict(
                session.execute(select(Referral.partner_id, func.count()).group_by(Referral.partner_id)).all()
            )
        )
        latest = dict(
            session.execute(
                select(Referral.partner_id, func.max(Referral.received_at)).group_by(Referral.partner_id)
            ).all()
        )
        contacts = Counter(session.scalars(select(PartnerContact.partner_id)))
        updates = Counter(
            session.scalars(select(PartnerContact.partner_id).where(PartnerContact.receives_updates))
        )
    assert len(partners) == PARTNERS
    assert {p.category for p in partners} == set(PartnerCategory)
    top = sum(n for _, n in volume.most_common(len(partners) // 5))
    assert top / sum(volume.values()) > 0.5
    lapsed = [pid for pid, last in latest.items() if last < NOW - timedelta(days=90)]
    assert lapsed
    for partner in partners:
        if partner.category is not PartnerCategory.SELF_OTHER:
            assert 1 <= contacts[partner.id] <= 3 and updates[partner.id] == 1
            assert partner.phone and partner.address_line1
        assert partner.created_at <= NOW


def test_referrals_arrive_mostly_by_fax_mostly_routine_on_weekdays(demo: Database) -> None:
    with demo.session() as session:
        rows = session.execute(select(Referral.channel, Referral.urgency, Referral.received_at)).all()
    channels = Counter(c for c, _, _ in rows)
    urgency = Counter(u for _, u, _ in rows)
    assert channels.most_common(1)[0][0] is Channel.FAX and set(channels) == set(Channel)
    assert urgency[Urgency.ROUTINE] > urgency[Urgency.URGENT] > urgency[Urgency.STAT] > 0
    weekday = sum(r.astimezone().weekday() < 5 for _, _, r in rows)
    assert weekday / len(rows) > 0.9
    first_half = sum(r < NOW - timedelta(days=182) for _, _, r in rows)
    assert first_half < len(rows) / 2  # volume grows over the year


def test_service_lines_carry_criteria_records_and_a_current_intake_script(demo: Database) -> None:
    with demo.session() as session:
        lines = session.scalars(select(ServiceLine)).all()
        for line in lines:
            [script] = session.scalars(
                select(IntakeScript).where(IntakeScript.service_line_id == line.id)
            ).all()
            items = session.scalars(select(IntakeItem).where(IntakeItem.script_id == script.id)).all()
            assert script.current and script.version == 1
            assert 6 <= len(items) <= 8
            assert any(i.blocks_scheduling for i in items)
            assert {ItemKind.YES_NO, ItemKind.CHOICE, ItemKind.TEXT} <= {i.kind for i in items}
            prompts = " ".join(i.prompt.lower() for i in items)
            for topic in (
                "reason",
                "contact",
                "scheduling",
                "records",
                "insurance",
                "interpreter",
                "consent",
            ):
                assert topic in prompts, (line.name, topic)
            assert line.criteria and line.required_records and line.max_attempts == 3
    assert 6 <= len(lines) <= 8
