"""The partner services: the list (lapsed, search, figures), the next touch due, edits that are validated
and audited, contacts, touches, and the list query's plan at the size of a real clinic."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from refdesk.domain.lifecycle import CloseReason
from refdesk.domain.models import Partner, PartnerContact, PartnerTouch
from refdesk.domain.times import utc_now
from refdesk.domain.vocab import AgreementStatus, ContactMethod, OutreachCadence, PartnerCategory, TouchKind
from refdesk.errors import NotFoundError, ValidationError
from refdesk.services import partners, workflow
from refdesk.services.actor import Actor
from refdesk.services.catalog import NewPartner, create_partner, find_partner, list_partners
from refdesk.services.partners import ContactData, PartnerFilter, PartnerSort
from refdesk.services.referrals import NewReferral, create_referral
from refdesk.storage import Database
from tests.refdesk.services.helpers import audit_rows, count

NOW = utc_now()


def _partner(db: Database, actor: Actor, name: str, **kwargs: object) -> int:
    return create_partner(db, actor, NewPartner(name=name, **kwargs))  # type: ignore[arg-type]


def _referral(db: Database, actor: Actor, base: NewReferral, partner_id: int, days_ago: float) -> int:
    received = utc_now() - timedelta(days=days_ago)
    return create_referral(db, actor, replace(base, partner_id=partner_id, received_at=received))


def _names(rows: list[partners.PartnerRow]) -> list[str]:
    return [row.name for row in rows]


# --- the list -------------------------------------------------------------------------------------------


def test_lapsed_partners_referred_before_but_nothing_in_the_last_n_days(
    db: Database, actor: Actor, new_referral: NewReferral
) -> None:
    quiet = _partner(db, actor, "Quiet Family Practice")
    busy = _partner(db, actor, "Busy Orthopedics", category=PartnerCategory.SPECIALTY)
    _partner(db, actor, "Never Sent Anyone")
    _referral(db, actor, new_referral, quiet, days_ago=120)
    _referral(db, actor, new_referral, busy, days_ago=200)
    _referral(db, actor, new_referral, busy, days_ago=10)

    lapsed = partners.list_partner_rows(db, PartnerFilter(lapsed_days=partners.LAPSED_DAYS))
    assert _names(lapsed) == ["Quiet Family Practice"]  # never referred: not lapsed, just new
    assert _names(partners.list_partner_rows(db, PartnerFilter(lapsed_days=150))) == []
    assert _names(partners.list_partner_rows(db, PartnerFilter(lapsed_days=5))) == [
        "Busy Orthopedics",
        "Quiet Family Practice",
    ]


def test_each_row_counts_the_last_12_months_the_last_referral_and_the_open_ones(
    db: Database, actor: Actor, new_referral: NewReferral, partner_id: int
) -> None:
    _referral(db, actor, new_referral, partner_id, days_ago=400)  # outside the 12 months
    _referral(db, actor, new_referral, partner_id, days_ago=30)
    closed = _referral(db, actor, new_referral, partner_id, days_ago=3)
    workflow.close(db, actor, closed, CloseReason.REFERRER_CANCELLED)

    [row] = partners.list_partner_rows(db)
    assert row.recent_referrals == 2
    assert row.open_referrals == 2  # the one closed is not open; the old one still is
    assert row.last_referral_at is not None
    assert abs(row.last_referral_at - (utc_now() - timedelta(days=3))) < timedelta(minutes=1)


def test_search_ignores_case_and_accents_and_finds_cities_and_phones(
    db: Database, actor: Actor, partner_id: int
) -> None:
    jose = _partner(db, actor, "Clínica José Núñez", phone="(312) 555-0199")
    partners.update_partner(db, actor, jose, {"city": "São Paulo Heights"})
    partners.update_partner(db, actor, partner_id, {"city": "Riverton", "fax": "217 555 0142"})

    def found(text: str) -> list[str]:
        return _names(partners.list_partner_rows(db, PartnerFilter(search=text)))

    assert found("jose nunez") == ["Clínica José Núñez"]
    assert found("CLINICA") == ["Clínica José Núñez"]
    assert found("sao paulo") == ["Clínica José Núñez"]
    assert found("riverton oak") == ["Oak Street Primary Care"]
    assert found("0199") == ["Clínica José Núñez"]
    assert found("(217) 555-0142") == ["Oak Street Primary Care"]  # a fax counts as a phone
    assert found("nobody by that name") == []


def test_category_filter_and_inactive_partners(db: Database, actor: Actor, partner_id: int) -> None:
    spine = _partner(db, actor, "Spine Center", category=PartnerCategory.SPECIALTY)
    partners.update_partner(db, actor, spine, {"active": False})

    assert _names(partners.list_partner_rows(db)) == ["Oak Street Primary Care"]
    assert _names(partners.list_partner_rows(db, PartnerFilter(include_inactive=True))) == [
        "Oak Street Primary Care",
        "Spine Center",
    ]
    specialty = PartnerFilter(category=PartnerCategory.SPECIALTY, include_inactive=True)
    assert _names(partners.list_partner_rows(db, specialty)) == ["Spine Center"]


def test_sorting_puts_partners_without_a_value_last_either_way(
    db: Database, actor: Actor, new_referral: NewReferral
) -> None:
    recent = _partner(db, actor, "Recent Referrer")
    older = _partner(db, actor, "Older Referrer")
    _partner(db, actor, "Apex Never Referred")
    _referral(db, actor, new_referral, recent, days_ago=2)
    _referral(db, actor, new_referral, older, days_ago=50)

    never = ["Apex Never Referred", "Oak Street Primary Care"]  # the fixture's partner has no referral either
    newest_first = partners.list_partner_rows(db, sort=PartnerSort.LAST_REFERRAL, descending=True)
    assert _names(newest_first) == ["Recent Referrer", "Older Referrer", *never]
    oldest_first = partners.list_partner_rows(db, sort=PartnerSort.LAST_REFERRAL)
    assert _names(oldest_first) == ["Older Referrer", "Recent Referrer", *never]
    assert _names(partners.list_partner_rows(db))[0] == "Apex Never Referred"  # by name by default


def test_the_catalog_functions_still_work_beside_the_new_list(
    db: Database, actor: Actor, partner_id: int
) -> None:
    partners.update_partner(db, actor, partner_id, {"name": "Oak Street Family Medicine"})
    found = find_partner(db, "oak street  FAMILY medicine")
    assert found is not None and found.id == partner_id
    assert [p.name for p in list_partners(db)] == ["Oak Street Family Medicine"]
    assert find_partner(db, "Oak Street Primary Care") is None


# --- next touch due -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cadence", "last", "due"),
    [
        (
            OutreachCadence.MONTHLY,
            datetime(2026, 1, 31, 15, tzinfo=UTC),
            datetime(2026, 2, 28, 15, tzinfo=UTC),
        ),
        (OutreachCadence.MONTHLY, datetime(2026, 12, 5, 9, tzinfo=UTC), datetime(2027, 1, 5, 9, tzinfo=UTC)),
        (
            OutreachCadence.QUARTERLY,
            datetime(2026, 11, 30, 9, tzinfo=UTC),
            datetime(2027, 2, 28, 9, tzinfo=UTC),
        ),
        (OutreachCadence.QUARTERLY, None, NOW),  # never touched: due now
        (OutreachCadence.NONE, datetime(2026, 1, 5, tzinfo=UTC), None),
        (OutreachCadence.NONE, None, None),
    ],
)
def test_next_touch_due_is_the_last_touch_plus_the_cadence(
    cadence: OutreachCadence, last: datetime | None, due: datetime | None
) -> None:
    assert partners.next_touch_due(cadence, last, NOW) == due


def test_touches_due_lists_active_partners_whose_cadence_has_passed(
    db: Database, actor: Actor, partner_id: int
) -> None:
    late = _partner(db, actor, "Late For A Call")
    fresh = _partner(db, actor, "Called Last Week")
    never = _partner(db, actor, "Never Called")
    gone = _partner(db, actor, "Closed Practice")
    for pid in (late, fresh, never, gone):
        partners.update_partner(db, actor, pid, {"outreach_cadence": OutreachCadence.MONTHLY})
    partners.update_partner(db, actor, gone, {"active": False})
    partners.add_touch(db, actor, late, TouchKind.CALL, at=utc_now() - timedelta(days=45))
    partners.add_touch(db, actor, fresh, TouchKind.VISIT, at=utc_now() - timedelta(days=7))

    due = partners.touches_due(db)
    assert [(item.name, item.last_touch_at is None) for item in due] == [
        ("Late For A Call", False),  # due two weeks ago comes first
        ("Never Called", True),
    ]  # Oak Street has no cadence; the inactive partner is left out
    [row] = partners.list_partner_rows(db, PartnerFilter(search="late for"))
    assert row.next_touch_due is not None and row.next_touch_due < utc_now()


# --- edits ----------------------------------------------------------------------------------------------


def test_a_field_edit_is_saved_at_once_and_audited_with_old_and_new(
    db: Database, actor: Actor, partner_id: int
) -> None:
    stored = partners.update_partner(
        db,
        actor,
        partner_id,
        {"phone": "555.201.4477", "preferred_update_channel": ContactMethod.EMAIL, "npi": "1234567893"},
    )

    assert stored["phone"] == "(555) 201-4477"  # as RefDesk writes phones
    partner = partners.get_partner_detail(db, partner_id).partner
    assert partner.phone == "(555) 201-4477" and partner.npi == "1234567893"
    assert partner.preferred_update_channel is ContactMethod.EMAIL
    [audit] = audit_rows(db, "partner.update")
    assert audit.success and audit.entity_id == partner_id and audit.staff_id == actor.staff_id
    assert audit.detail == {
        "changes": {
            "phone": {"old": None, "new": "(555) 201-4477"},
            "preferred_update_channel": {"old": None, "new": "email"},
            "npi": {"old": None, "new": "1234567893"},
        }
    }


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": "  "}, "name", "Partner name is required."),
        ({"phone": "555-12"}, "phone", "Enter 10 digits with the area code, e.g. (555) 201-4477."),
        ({"email": "frontdesk@"}, "email", "Enter an email address like name@example.org."),
        ({"npi": "1234567890"}, "npi", "An NPI is 10 digits with a valid check digit"),
        ({"postal_code": "1" * 21}, "postal_code", "Postal code is too long (at most 20 characters)."),
        ({"category": "dentist"}, "category", "Choose the category from the list."),
        (
            {"agreement_status": AgreementStatus.SIGNED, "agreement_date": date.today() + timedelta(days=30)},
            "agreement_date",
            "A signed agreement cannot be dated in the future.",
        ),
    ],
)
def test_a_wrong_field_is_refused_at_that_field_and_nothing_is_saved(
    db: Database, actor: Actor, partner_id: int, changes: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        partners.update_partner(db, actor, partner_id, {"notes": "Call Tuesdays", **changes})

    assert refused.value.errors[field].startswith(message)
    partner = partners.get_partner_detail(db, partner_id).partner
    assert partner.notes is None  # the valid field in the same edit was not saved either
    [failure] = audit_rows(db, "partner.update")
    assert not failure.success


def test_a_name_another_partner_has_is_refused(db: Database, actor: Actor, partner_id: int) -> None:
    other = _partner(db, actor, "Riverside Pediatrics")
    with pytest.raises(ValidationError) as refused:
        partners.update_partner(db, actor, other, {"name": "oak street  primary care"})
    assert refused.value.errors == {"name": "Another partner is already named oak street primary care."}
    partners.update_partner(db, actor, partner_id, {"name": "Oak Street Primary Care"})  # its own name: fine


def test_editing_a_partner_that_does_not_exist_says_so(db: Database, actor: Actor) -> None:
    with pytest.raises(NotFoundError):
        partners.update_partner(db, actor, 999, {"notes": "x"})
    with pytest.raises(ValueError, match="not editable"):
        partners.update_partner(db, actor, 999, {"name_key": "x"})


# --- contacts -------------------------------------------------------------------------------------------


def test_contacts_are_added_edited_and_removed_each_audited(
    db: Database, actor: Actor, partner_id: int
) -> None:
    dana = partners.add_contact(
        db, actor, partner_id, ContactData(name="Dana Whit", role="Office manager", phone="5552014400")
    )
    changed = partners.update_contact(db, actor, dana, {"decision_maker": True, "email": "dana@oak.example"})
    assert changed == {"decision_maker": True, "email": "dana@oak.example"}

    [contact] = partners.get_partner_detail(db, partner_id).contacts
    assert (contact.name, contact.role, contact.phone) == ("Dana Whit", "Office manager", "(555) 201-4400")
    assert contact.decision_maker and contact.email == "dana@oak.example"
    [update] = audit_rows(db, "partner_contact.update")
    assert update.detail is not None
    assert update.detail["changes"]["decision_maker"] == {"old": False, "new": True}

    partners.remove_contact(db, actor, dana)
    assert partners.get_partner_detail(db, partner_id).contacts == []
    [removal] = audit_rows(db, "partner_contact.remove")
    assert removal.detail is not None and removal.detail["removed"]["name"] == "Dana Whit"
    assert len(audit_rows(db, "partner_contact.create")) == 1


def test_status_updates_go_to_one_person(db: Database, actor: Actor, partner_id: int) -> None:
    first = partners.add_contact(db, actor, partner_id, ContactData(name="Ana Lee", receives_updates=True))
    second = partners.add_contact(db, actor, partner_id, ContactData(name="Ben Cho"))

    partners.update_contact(db, actor, second, {"receives_updates": True})

    marks = {c.name: c.receives_updates for c in partners.get_partner_detail(db, partner_id).contacts}
    assert marks == {"Ana Lee": False, "Ben Cho": True}
    update = audit_rows(db, "partner_contact.update")[-1]
    assert update.detail is not None and update.detail["receives_updates_moved_from"] == [first]


def test_a_wrong_contact_is_refused_field_by_field(db: Database, actor: Actor, partner_id: int) -> None:
    with pytest.raises(ValidationError) as refused:
        partners.add_contact(db, actor, partner_id, ContactData(name="", email="not an address", phone="12"))
    assert set(refused.value.errors) == {"name", "email", "phone"}
    assert count(db, PartnerContact) == 0
    with pytest.raises(NotFoundError):
        partners.update_contact(db, actor, 12345, {"role": "Physician"})


# --- touches --------------------------------------------------------------------------------------------


def test_a_touch_is_logged_now_by_default_with_who_logged_it(
    db: Database, actor: Actor, partner_id: int
) -> None:
    partners.add_touch(db, actor, partner_id, TouchKind.IN_SERVICE, note="  Lunch in-service for 6 MAs ")
    earlier = utc_now() - timedelta(days=20)
    partners.add_touch(db, actor, partner_id, TouchKind.UPDATE_SENT, at=earlier)

    detail = partners.get_partner_detail(db, partner_id)
    assert [(t.kind, t.note, t.staff_name) for t in detail.touches] == [
        (TouchKind.IN_SERVICE, "Lunch in-service for 6 MAs", "Maria Lopez"),  # newest first
        (TouchKind.UPDATE_SENT, None, "Maria Lopez"),
    ]
    assert abs(detail.touches[0].at - utc_now()) < timedelta(minutes=1)
    assert detail.figures.last_touch_at == detail.touches[0].at
    assert [a.success for a in audit_rows(db, "partner_touch.create")] == [True, True]


def test_a_touch_in_the_future_or_without_a_kind_is_refused(
    db: Database, actor: Actor, partner_id: int
) -> None:
    with pytest.raises(ValidationError) as refused:
        partners.add_touch(db, actor, partner_id, TouchKind.CALL, at=utc_now() + timedelta(days=2))
    assert refused.value.errors == {
        "at": "A touch is logged once it has happened: the date cannot be in the future."
    }
    with pytest.raises(ValidationError) as refused:
        partners.add_touch(db, actor, partner_id, None, note="Called")
    assert refused.value.errors == {"kind": "Choose what kind of touch it was."}
    assert count(db, PartnerTouch) == 0
    assert [a.success for a in audit_rows(db, "partner_touch.create")] == [False, False]


# --- the plan at scale ----------------------------------------------------------------------------------


def _plan(db: Database, query: object) -> str:
    compiled = query.compile(db.engine, compile_kwargs={"render_postcompile": True})  # type: ignore[attr-defined]
    with db.engine.connect() as connection:
        params = tuple(compiled.params[name] for name in compiled.positiontup or ())
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", params).fetchall()
    return " | ".join(str(row[-1]) for row in rows)


def test_the_figures_come_from_the_partner_indexes_never_a_scan_of_referrals(
    db: Database, actor: Actor, new_referral: NewReferral, partner_id: int
) -> None:
    # enough partners and referrals that the planner's statistics are those of a real clinic
    with db.transaction() as session:
        session.execute(
            insert(Partner),
            [
                {"name": f"Partner {i}", "name_key": f"partner {i}", "category": "primary_care"}
                for i in range(300)
            ],
        )
    for days in (1, 40, 200):
        _referral(db, actor, new_referral, partner_id, days_ago=days)
    db.analyze()

    for flt in (PartnerFilter(), PartnerFilter(lapsed_days=90, category=PartnerCategory.PRIMARY_CARE)):
        plan = _plan(db, partners.list_query(flt, now=utc_now()))
        assert "SCAN referral" not in plan and "TEMP B-TREE" not in plan, plan
        assert plan.count("ix_referral_partner_received") == (3 if flt.lapsed_days else 2), plan
        assert "ix_referral_open_partner_received" in plan, plan
    single = _plan(db, partners.list_query(PartnerFilter(), now=utc_now(), ids=[partner_id]))
    assert "SEARCH partner USING INTEGER PRIMARY KEY" in single and "SCAN" not in single, single
    with db.session() as session:
        assert (
            session.scalar(select(Partner.name).where(Partner.id == partner_id)) == "Oak Street Primary Care"
        )
