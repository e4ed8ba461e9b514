"""A referral's required records: listed from its service line, marked received / requested / chased with
checked dates, extra ones added; every refusal says why next to its field and saves nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest

from refdesk.domain.models import ReferralRecord
from refdesk.domain.times import local_today
from refdesk.errors import NotFoundError, ValidationError
from refdesk.services.actor import Actor
from refdesk.services.catalog import NewServiceLine, create_service_line
from refdesk.services.records import (
    EARLY_MARGIN,
    add_record,
    list_records,
    mark_chased,
    mark_received,
    mark_requested,
)
from refdesk.services.referrals import update_referral
from refdesk.storage import Database
from tests.refdesk.services.helpers import audit_rows


def state(db: Database, referral_id: int) -> list[tuple[str, date | None, date | None, date | None]]:
    return [(r.name, r.received_on, r.requested_on, r.chased_on) for r in list_records(db, referral_id)]


def only_record(db: Database, referral_id: int) -> ReferralRecord:
    [record] = list_records(db, referral_id)
    return record


def test_a_new_referral_lists_its_service_lines_required_records_as_missing(
    db: Database, referral_id: int
) -> None:
    assert state(db, referral_id) == [("Recent notes", None, None, None)]


def test_a_new_service_line_adds_its_records_and_keeps_what_was_received(
    db: Database, actor: Actor, referral_id: int
) -> None:
    mark_received(db, actor, only_record(db, referral_id).id, local_today())
    imaging = create_service_line(
        db,
        actor,
        NewServiceLine(name="Imaging", required_records=["recent NOTES", "MRI report", "MRI report"]),
    )

    update_referral(db, actor, referral_id, {"service_line_id": imaging})

    assert state(db, referral_id) == [
        ("Recent notes", local_today(), None, None),
        ("MRI report", None, None, None),
    ]


def test_marking_a_record_received_and_taking_it_back(db: Database, actor: Actor, referral_id: int) -> None:
    record = only_record(db, referral_id)
    yesterday = local_today() - timedelta(days=1)

    mark_received(db, actor, record.id, yesterday)
    assert state(db, referral_id) == [("Recent notes", yesterday, None, None)]

    mark_received(db, actor, record.id, None)  # it was the wrong patient's notes after all
    assert state(db, referral_id) == [("Recent notes", None, None, None)]

    audits = audit_rows(db, "record.receive")
    assert [(a.success, a.entity_id, a.staff_id) for a in audits] == [(True, referral_id, actor.staff_id)] * 2
    assert audits[0].detail == {
        "record_id": record.id,
        "field": "received_on",
        "old": None,
        "new": yesterday.isoformat(),
    }


def test_requested_then_chased(db: Database, actor: Actor, referral_id: int) -> None:
    record = only_record(db, referral_id)
    today = local_today()

    mark_requested(db, actor, record.id, today)
    mark_chased(db, actor, record.id, today)

    assert state(db, referral_id) == [("Recent notes", None, today, today)]


@pytest.mark.parametrize(
    ("mark", "action", "field", "day", "message"),
    [
        (mark_received, "record.receive", "received_on", timedelta(days=1), "cannot be in the future"),
        (mark_requested, "record.request", "requested_on", timedelta(days=3), "cannot be in the future"),
        (
            mark_received,
            "record.receive",
            "received_on",
            -(EARLY_MARGIN + timedelta(days=1)),
            "before the referral arrived",
        ),
        (
            mark_requested,
            "record.request",
            "requested_on",
            -timedelta(days=400),
            "before the referral arrived",
        ),
    ],
)
def test_a_day_in_the_future_or_long_before_the_referral_is_refused(
    db: Database,
    actor: Actor,
    referral_id: int,
    mark: Callable[[Database, Actor, int, date | None], object],
    action: str,
    field: str,
    day: timedelta,
    message: str,
) -> None:
    record = only_record(db, referral_id)

    with pytest.raises(ValidationError) as refused:
        mark(db, actor, record.id, local_today() + day)

    assert list(refused.value.errors) == [field]
    assert message in refused.value.errors[field]
    assert state(db, referral_id) == [("Recent notes", None, None, None)]
    assert [a.success for a in audit_rows(db, action)] == [False]


def test_a_record_that_came_a_little_before_the_referral_is_accepted(
    db: Database, actor: Actor, referral_id: int
) -> None:
    early = local_today() - EARLY_MARGIN
    mark_received(db, actor, only_record(db, referral_id).id, early)
    assert state(db, referral_id) == [("Recent notes", early, None, None)]


def test_a_date_and_time_is_not_a_day(db: Database, actor: Actor, referral_id: int) -> None:
    with pytest.raises(ValidationError) as refused:
        mark_received(db, actor, only_record(db, referral_id).id, datetime.now())  # type: ignore[arg-type]
    assert refused.value.errors == {"received_on": "Give the day the record was received as a date."}


def test_a_chase_needs_a_request_first_and_cannot_come_before_it(
    db: Database, actor: Actor, referral_id: int
) -> None:
    record = only_record(db, referral_id)
    today, yesterday = local_today(), local_today() - timedelta(days=1)

    with pytest.raises(ValidationError) as refused:
        mark_chased(db, actor, record.id, today)
    assert refused.value.errors == {"chased_on": "Mark the record requested before marking it chased."}

    mark_requested(db, actor, record.id, today)
    with pytest.raises(ValidationError) as refused:
        mark_chased(db, actor, record.id, yesterday)
    assert refused.value.errors == {"chased_on": "A record cannot be chased before it was requested."}

    mark_chased(db, actor, record.id, today)
    with pytest.raises(ValidationError) as refused:
        mark_requested(db, actor, record.id, None)
    assert "clear the chase date" in refused.value.errors["requested_on"]
    assert state(db, referral_id) == [("Recent notes", None, today, today)]


def test_an_extra_record_is_added_once(db: Database, actor: Actor, referral_id: int) -> None:
    record_id = add_record(db, actor, referral_id, "  Operative   report ")

    assert [(r.id, r.name) for r in list_records(db, referral_id)][1:] == [(record_id, "Operative report")]
    for name, message in [
        ("operative REPORT", "This referral already lists that record."),
        ("Recent nötes", "This referral already lists that record."),
        ("   ", "Record name is required."),
        ("x" * 121, "Record name is too long (at most 120 characters)."),
    ]:
        with pytest.raises(ValidationError) as refused:
            add_record(db, actor, referral_id, name)
        assert refused.value.errors == {"name": message}
    assert len(list_records(db, referral_id)) == 2
    [added] = [a for a in audit_rows(db, "record.add") if a.success]
    assert added.entity_id == referral_id and added.detail == {
        "record_id": record_id,
        "name": "Operative report",
    }


def test_unknown_referrals_and_records_are_reported_plainly(db: Database, actor: Actor) -> None:
    with pytest.raises(NotFoundError, match="Referral 999 does not exist."):
        list_records(db, 999)
    with pytest.raises(NotFoundError, match="Referral 999 does not exist."):
        add_record(db, actor, 999, "Labs")
    with pytest.raises(NotFoundError, match="no longer on the referral"):
        mark_received(db, actor, 12345, local_today())
