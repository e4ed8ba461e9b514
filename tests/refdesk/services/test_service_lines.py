"""Service lines as Settings edits them: what an edit is refused for, what the audit trail keeps of it,
who may change them, and the clinic's default targets that new lines start with."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from refdesk.domain.models import Referral
from refdesk.domain.next_action import Targets
from refdesk.domain.times import local_today
from refdesk.domain.vocab import StaffRole
from refdesk.errors import AccessDenied, ValidationError
from refdesk.services import service_lines
from refdesk.services.actor import Actor, ensure_staff
from refdesk.services.catalog import NewServiceLine, create_service_line, list_service_lines
from refdesk.services.referrals import NewReferral, create_referral, get_referral
from refdesk.services.service_lines import (
    add_service_line,
    all_service_lines,
    default_targets,
    get_service_line,
    set_active,
    set_default_targets,
    update_service_line,
)
from refdesk.storage import Database
from tests.refdesk.services.helpers import audit_rows


@pytest.fixture
def admin(db: Database) -> Actor:
    return ensure_staff(db, "ana", "Ana Admin", StaffRole.ADMIN)


@pytest.fixture
def coordinator(db: Database) -> Actor:
    return ensure_staff(db, "cole", "Cole Coordinator", StaffRole.COORDINATOR)


def refused(error: pytest.ExceptionInfo[ValidationError]) -> dict[str, str]:
    return error.value.errors


# -- editing a line ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": "   "}, "name", "Service line name is required."),
        ({"name": "x" * 121}, "name", "too long"),
        ({"ack_target_hours": 0}, "ack_target_hours", "between 1 and 720 business hours"),
        ({"first_contact_target_hours": 721}, "first_contact_target_hours", "between 1 and 720"),
        ({"ack_target_hours": None}, "ack_target_hours", "is required"),
        ({"ack_target_hours": "8"}, "ack_target_hours", "whole number"),
        ({"max_attempts": 0}, "max_attempts", "between 1 and 20"),
        ({"max_attempts": 21}, "max_attempts", "between 1 and 20"),
        ({"required_records": ["x" * 121]}, "required_records", "too long"),
        ({"criteria": "x" * 4001}, "criteria", "too long"),
    ],
)
def test_an_edit_out_of_bounds_is_refused_at_its_field_and_nothing_is_saved(
    db: Database, coordinator: Actor, service_line_id: int, change: dict[str, Any], field: str, message: str
) -> None:
    before = get_service_line(db, service_line_id)

    with pytest.raises(ValidationError) as error:
        update_service_line(db, coordinator, service_line_id, change)

    assert list(refused(error)) == [field]
    assert message in refused(error)[field]
    assert get_service_line(db, service_line_id) == before
    [audit] = audit_rows(db, "service_line.update")
    assert not audit.success


def test_a_name_another_line_has_is_refused_whatever_its_case(
    db: Database, coordinator: Actor, service_line_id: int, actor: Actor
) -> None:
    create_service_line(db, actor, NewServiceLine(name="Imaging"))

    with pytest.raises(ValidationError) as error:
        update_service_line(db, coordinator, service_line_id, {"name": "  imaging "})

    assert refused(error) == {"name": "A service line named imaging already exists."}
    # its own name, differently written, is fine
    line = update_service_line(db, coordinator, service_line_id, {"name": "physical  THERAPY"})
    assert line.name == "physical THERAPY"


def test_first_contact_before_acknowledgement_is_refused_at_the_target_just_changed(
    db: Database, coordinator: Actor, service_line_id: int
) -> None:
    # the fixture's line: acknowledge within 8, first contact within 16
    with pytest.raises(ValidationError) as raised_ack:
        update_service_line(db, coordinator, service_line_id, {"ack_target_hours": 20})
    with pytest.raises(ValidationError) as lowered_first:
        update_service_line(db, coordinator, service_line_id, {"first_contact_target_hours": 4})

    assert list(refused(raised_ack)) == ["ack_target_hours"]
    assert "raise the first contact target first" in refused(raised_ack)["ack_target_hours"]
    assert refused(lowered_first) == {
        "first_contact_target_hours": "First contact cannot be due before the acknowledgement (8 hours)."
    }
    both = update_service_line(
        db, coordinator, service_line_id, {"ack_target_hours": 20, "first_contact_target_hours": 24}
    )
    assert (both.ack_target_hours, both.first_contact_target_hours) == (20, 24)


def test_required_records_are_trimmed_and_kept_once_in_the_order_given(
    db: Database, coordinator: Actor, service_line_id: int
) -> None:
    line = update_service_line(
        db,
        coordinator,
        service_line_id,
        {"required_records": ["  MRI   report ", "Recent notes", "", "mri report", "recent NOTES "]},
    )
    assert line.required_records == ("MRI report", "Recent notes")

    typed = update_service_line(
        db, coordinator, service_line_id, {"required_records": "Insurance card\n\n  Recent notes  \n"}
    )
    assert typed.required_records == ("Insurance card", "Recent notes")


def test_an_edit_is_audited_with_each_changed_field_old_and_new(
    db: Database, admin: Actor, service_line_id: int
) -> None:
    update_service_line(
        db,
        admin,
        service_line_id,
        {
            "name": "Physical therapy",  # unchanged: not in the detail
            "how_to_refer": "  Fax the order and recent notes.  ",
            "max_attempts": 4,
            "required_records": ["Recent notes", "Imaging report"],
        },
    )

    [audit] = audit_rows(db, "service_line.update")
    assert audit.success and audit.entity_id == service_line_id and audit.staff_id == admin.staff_id
    assert audit.detail == {
        "changes": {
            "how_to_refer": {"old": None, "new": "Fax the order and recent notes."},
            "max_attempts": {"old": 3, "new": 4},
            "required_records": {"old": ["Recent notes"], "new": ["Recent notes", "Imaging report"]},
        }
    }


def test_only_fields_a_line_has_can_be_edited(db: Database, admin: Actor, service_line_id: int) -> None:
    with pytest.raises(ValueError, match="active"):
        update_service_line(db, admin, service_line_id, {"active": False})


# -- who may change lines and targets ------------------------------------------------------------------------


def test_front_desk_is_refused_every_change_and_each_refusal_is_audited(
    db: Database, actor: Actor, service_line_id: int
) -> None:
    assert actor.role is StaffRole.FRONT_DESK
    changes = [
        lambda: update_service_line(db, actor, service_line_id, {"max_attempts": 5}),
        lambda: set_active(db, actor, service_line_id, False),
        lambda: add_service_line(db, actor, "Sleep study"),
        lambda: set_default_targets(db, actor, {"ack_hours": 4}),
    ]
    for change in changes:
        with pytest.raises(AccessDenied, match="administrator or a coordinator"):
            change()

    assert get_service_line(db, service_line_id).max_attempts == 3
    assert get_service_line(db, service_line_id).active
    assert [line.name for line in all_service_lines(db)] == ["Physical therapy"]
    assert default_targets(db) == Targets(8, 16, 3)
    for action in ("service_line.update", "service_line.retire", "service_line.create", "setting.update"):
        refusals = [row for row in audit_rows(db, action) if not row.success]
        assert [(row.staff_id, "administrator" in row.detail["error"]) for row in refusals] == [
            (actor.staff_id, True)
        ], action


def test_a_coordinator_adds_a_line_which_starts_with_the_default_targets_and_a_script(
    db: Database, coordinator: Actor
) -> None:
    set_default_targets(db, coordinator, {"ack_hours": 4, "first_contact_hours": 12, "max_attempts": 5})

    line = add_service_line(db, coordinator, "  Sleep   study ")

    assert (line.name, line.ack_target_hours, line.first_contact_target_hours, line.max_attempts) == (
        "Sleep study",
        4,
        12,
        5,
    )
    with db.session() as session:
        from refdesk.domain.models import ServiceLine

        stored = session.get(ServiceLine, line.id)
        assert stored is not None and len(stored.scripts) == 1


# -- retiring ------------------------------------------------------------------------------------------------


def test_a_retired_line_is_no_longer_offered_and_its_referrals_keep_it(
    db: Database, admin: Actor, service_line_id: int, referral_id: int
) -> None:
    retired = set_active(db, admin, service_line_id, False)

    assert not retired.active
    assert list_service_lines(db) == []
    assert [(line.id, line.active) for line in all_service_lines(db)] == [(service_line_id, False)]
    assert get_referral(db, referral_id).service_line.name == "Physical therapy"
    [audit] = audit_rows(db, "service_line.retire")
    assert audit.detail == {"changes": {"active": {"old": True, "new": False}}}

    set_active(db, admin, service_line_id, True)
    assert [line.id for line in list_service_lines(db)] == [service_line_id]
    assert len(audit_rows(db, "service_line.restore")) == 1


# -- the default targets ----------------------------------------------------------------------------------


def test_new_lines_start_with_the_clinic_defaults_unless_given_their_own(
    db: Database, actor: Actor, coordinator: Actor
) -> None:
    assert default_targets(db) == Targets(8, 16, 3)
    shipped = create_service_line(db, actor, NewServiceLine(name="Imaging"))

    stored = set_default_targets(db, coordinator, {"ack_hours": 2, "first_contact_hours": 6})
    assert stored == Targets(2, 6, 3)
    assert default_targets(db) == Targets(2, 6, 3)
    create_service_line(db, actor, NewServiceLine(name="Sleep study"))
    create_service_line(
        db, actor, NewServiceLine(name="Surgery consult", ack_target_hours=16, first_contact_target_hours=24)
    )

    targets = {
        line.name: (line.ack_target_hours, line.first_contact_target_hours, line.max_attempts)
        for line in all_service_lines(db)
    }
    assert targets == {"Imaging": (8, 16, 3), "Sleep study": (2, 6, 3), "Surgery consult": (16, 24, 3)}
    assert get_service_line(db, shipped).ack_target_hours == 8  # existing lines keep their own
    [audit] = [row for row in audit_rows(db, "setting.update") if row.success]
    assert audit.detail == {
        "changes": {
            "targets.ack_hours": {"old": 8, "new": 2},
            "targets.first_contact_hours": {"old": 16, "new": 6},
        }
    }


def test_default_targets_are_checked_together_and_refused_at_the_field_changed(
    db: Database, admin: Actor
) -> None:
    with pytest.raises(ValidationError) as raised_ack:
        set_default_targets(db, admin, {"ack_hours": 20})
    with pytest.raises(ValidationError) as emptied:
        set_default_targets(db, admin, {"max_attempts": None})
    with pytest.raises(ValidationError) as too_long:
        set_default_targets(db, admin, {"first_contact_hours": 800})

    assert list(refused(raised_ack)) == ["ack_hours"]
    assert refused(emptied) == {"max_attempts": "Contact attempts is required."}
    assert list(refused(too_long)) == ["first_contact_hours"]
    assert default_targets(db) == Targets(8, 16, 3)


def test_create_checks_targets_as_an_edit_does(db: Database, actor: Actor) -> None:
    with pytest.raises(ValidationError) as error:
        create_service_line(
            db, actor, NewServiceLine(name="Imaging", ack_target_hours=24, first_contact_target_hours=8)
        )
    assert list(refused(error)) == ["first_contact_target_hours"]


def test_a_changed_target_applies_to_referrals_received_afterwards(
    db: Database, admin: Actor, actor: Actor, service_line_id: int, new_referral: NewReferral
) -> None:
    # last week's Monday morning: 8 business hours end the same day at 17:00, 4 at 13:00 (local time)
    today = local_today()
    day = today - timedelta(days=today.weekday() + 7)
    monday = datetime(day.year, day.month, day.day, 9, 0).astimezone().astimezone(UTC)
    before = create_referral(db, actor, replace(new_referral, received_at=monday))

    update_service_line(db, admin, service_line_id, {"ack_target_hours": 4})
    after = create_referral(db, actor, replace(new_referral, received_at=monday, phone="555-201-9999"))

    with db.session() as session:
        due = {rid: session.get(Referral, rid).ack_due_at for rid in (before, after)}  # type: ignore[union-attr]
    assert due[before] is not None and due[after] is not None
    assert (due[before] - monday).total_seconds() / 3600 == 8
    assert (due[after] - monday).total_seconds() / 3600 == 4


def test_the_default_targets_read_from_a_damaged_setting_fall_back(db: Database, admin: Actor) -> None:
    from refdesk.services import settings

    settings.put(db, admin, service_lines.ACK_HOURS, "eight")
    settings.put(db, admin, service_lines.MAX_ATTEMPTS, 99)
    assert default_targets(db) == Targets(8, 16, 3)
