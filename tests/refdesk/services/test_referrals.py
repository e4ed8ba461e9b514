"""Creating and editing referrals: what the front desk is told when input is wrong, and that nothing is
saved half-way."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from refdesk.domain.lifecycle import State
from refdesk.domain.models import Partner, Referral, StatusEvent
from refdesk.domain.times import local_today
from refdesk.errors import NotFoundError, ValidationError
from refdesk.services.actor import Actor
from refdesk.services.catalog import NewPartner, create_partner
from refdesk.services.referrals import (
    NewReferral,
    create_referral,
    find_possible_duplicates,
    get_referral,
    update_referral,
)
from refdesk.storage import Database
from tests.refdesk.services.helpers import audit_rows, count


def test_a_valid_referral_is_saved_received_with_its_first_history_entry(
    db: Database, actor: Actor, new_referral: NewReferral
) -> None:
    referral_id = create_referral(db, actor, new_referral)

    referral = get_referral(db, referral_id)
    assert referral.state is State.RECEIVED
    assert referral.patient_name == "Zoë Nguyễn"
    assert referral.phone == "(555) 201-4477"
    assert referral.name_key == "zoe nguyen"
    assert referral.phone_digits == "5552014477"
    assert referral.partner.name == "Oak Street Primary Care"
    with db.session() as session:
        events = session.query(StatusEvent).filter_by(referral_id=referral_id).all()
    assert [(e.from_state, e.to_state, e.staff_id) for e in events] == [
        (None, State.RECEIVED, actor.staff_id)
    ]
    [audit] = audit_rows(db, "referral.create")
    assert audit.success and audit.entity_id == referral_id and audit.staff_id == actor.staff_id


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"patient_first_name": "  "}, "patient_first_name", "First name is required."),
        ({"patient_last_name": ""}, "patient_last_name", "Last name is required."),
        ({"patient_dob": None}, "patient_dob", "Date of birth is required."),
        ({"patient_dob": local_today() + timedelta(days=1)}, "patient_dob", "cannot be in the future"),
        ({"patient_dob": date(1899, 12, 31)}, "patient_dob", "cannot be before 1900"),
        ({"phone": ""}, "phone", "Phone is required."),
        ({"phone": "555-1234"}, "phone", "Enter 10 digits with the area code"),
        ({"phone": "call her mum"}, "phone", "may hold only digits"),
        ({"caregiver_phone": "123"}, "caregiver_phone", "Enter 10 digits"),
        ({"email": "maria at home"}, "email", "Enter an email address"),
        ({"reason": "   "}, "reason", "Reason for referral is required."),
        ({"channel": None}, "channel", "Choose how the referral arrived."),
        ({"partner_id": None}, "partner_id", "Choose the referring partner."),
        ({"partner_id": 999}, "partner_id", "Choose the referring partner."),
        ({"service_line_id": None}, "service_line_id", "Choose the service line."),
        ({"authorization_visits": -1}, "authorization_visits", "cannot be negative"),
        ({"patient_last_name": "x" * 101}, "patient_last_name", "too long"),
        (
            {"received_at": datetime.now(UTC) + timedelta(hours=2)},
            "received_at",
            "cannot be in the future",
        ),
        (
            {"patient_dob": date(2020, 5, 1), "received_at": datetime(2019, 1, 1, tzinfo=UTC)},
            "received_at",
            "before the patient was born",
        ),
    ],
)
def test_bad_input_is_refused_at_its_field_and_nothing_is_saved(
    db: Database, actor: Actor, new_referral: NewReferral, change: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        create_referral(db, actor, replace(new_referral, **change))  # type: ignore[arg-type]

    assert message in refused.value.errors[field]
    assert count(db, Referral) == 0
    assert count(db, StatusEvent) == 0
    [failure] = audit_rows(db, "referral.create")
    assert not failure.success
    assert failure.detail is not None and "Please correct" in failure.detail["error"]


def test_every_wrong_field_is_reported_at_once(db: Database, actor: Actor, new_referral: NewReferral) -> None:
    with pytest.raises(ValidationError) as refused:
        create_referral(db, actor, replace(new_referral, patient_first_name="", phone="12", reason=""))
    assert set(refused.value.errors) == {"patient_first_name", "phone", "reason"}


def test_error_messages_carry_no_patient_data(db: Database, actor: Actor, new_referral: NewReferral) -> None:
    with pytest.raises(ValidationError) as refused:
        create_referral(db, actor, replace(new_referral, phone="555-12", patient_dob=date(2999, 1, 1)))
    text = str(refused.value)
    assert "Zoë" not in text and "Nguyễn" not in text and "555-12" not in text and "2999" not in text


def test_an_inactive_partner_is_refused_by_name(
    db: Database, actor: Actor, new_referral: NewReferral
) -> None:
    with db.transaction() as session:
        partner = session.get(Partner, new_referral.partner_id)
        assert partner is not None
        partner.active = False
    with pytest.raises(ValidationError) as refused:
        create_referral(db, actor, new_referral)
    assert refused.value.errors["partner_id"] == "Oak Street Primary Care is no longer an active partner."


def test_international_and_extension_phones_are_kept_readable(
    db: Database, actor: Actor, new_referral: NewReferral
) -> None:
    rid = create_referral(
        db, actor, replace(new_referral, phone="+44 20 7946 0958", phone_alt="1-555-201-4478 ext 12")
    )
    referral = get_referral(db, rid)
    assert referral.phone == "+44 20 7946 0958"
    assert referral.phone_alt == "(555) 201-4478 x12"


def test_a_received_time_typed_in_local_time_is_stored_as_utc(
    db: Database, actor: Actor, new_referral: NewReferral
) -> None:
    typed = datetime(2026, 3, 2, 9, 30)  # naive: what a person typed, in local time
    rid = create_referral(db, actor, replace(new_referral, received_at=typed))
    stored = get_referral(db, rid).received_at
    assert stored.tzinfo is UTC
    assert stored == typed.astimezone(UTC)


def test_an_edit_is_saved_at_once_and_audited_with_old_and_new(
    db: Database, actor: Actor, referral_id: int
) -> None:
    update_referral(db, actor, referral_id, {"phone": "(555) 777-0101", "language": "Vietnamese"})

    referral = get_referral(db, referral_id)
    assert referral.phone == "(555) 777-0101" and referral.phone_digits == "5557770101"
    assert referral.language == "Vietnamese"
    [audit] = audit_rows(db, "referral.update")
    assert audit.detail == {
        "changes": {
            "phone": {"old": "(555) 201-4477", "new": "(555) 777-0101"},
            "language": {"old": None, "new": "Vietnamese"},
        }
    }


def test_an_invalid_edit_changes_nothing(db: Database, actor: Actor, referral_id: int) -> None:
    with pytest.raises(ValidationError) as refused:
        update_referral(db, actor, referral_id, {"language": "Spanish", "phone": "nope"})
    assert "phone" in refused.value.errors
    referral = get_referral(db, referral_id)
    assert referral.phone == "(555) 201-4477" and referral.language is None


def test_editing_a_missing_referral_says_so(db: Database, actor: Actor) -> None:
    with pytest.raises(NotFoundError, match="Referral 42 does not exist"):
        update_referral(db, actor, 42, {"language": "French"})


def test_duplicates_are_found_by_name_and_birth_date_or_by_phone(
    db: Database, actor: Actor, new_referral: NewReferral, referral_id: int
) -> None:
    by_name = find_possible_duplicates(
        db, first_name="zoe", last_name="NGUYEN", dob=date(1958, 4, 2), phone=None, partner_id=None
    )
    assert [(d.referral_id, d.why) for d in by_name] == [(referral_id, "same name and date of birth")]
    by_phone = find_possible_duplicates(
        db,
        first_name="Someone",
        last_name="Else",
        dob=date(1990, 1, 1),
        phone="+1 555 201 4477",
        partner_id=None,
    )
    assert [(d.referral_id, d.why) for d in by_phone] == [(referral_id, "same phone number")]
    assert by_phone[0].partner_name == "Oak Street Primary Care"
    nobody = find_possible_duplicates(
        db, first_name="Zoë", last_name="Nguyễn", dob=date(1958, 4, 3), phone="555-999-0000", partner_id=None
    )
    assert nobody == []


def test_a_closed_referral_is_a_duplicate_only_from_the_same_partner_within_30_days(
    db: Database, actor: Actor, new_referral: NewReferral, referral_id: int
) -> None:
    from refdesk.domain.lifecycle import CloseReason
    from refdesk.services.workflow import close

    close(db, actor, referral_id, CloseReason.PATIENT_NOT_INTERESTED)
    other_partner = create_partner(db, actor, NewPartner(name="Riverside Cardiology"))
    kwargs = {"first_name": "Zoë", "last_name": "Nguyễn", "dob": date(1958, 4, 2), "phone": None}
    assert find_possible_duplicates(db, **kwargs, partner_id=other_partner) == []  # type: ignore[arg-type]
    same = find_possible_duplicates(db, **kwargs, partner_id=new_referral.partner_id)  # type: ignore[arg-type]
    assert [d.referral_id for d in same] == [referral_id]
