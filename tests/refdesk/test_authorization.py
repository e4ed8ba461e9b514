"""What the desk is told about an appointment the insurance authorization may not cover."""

from __future__ import annotations

from datetime import date

import pytest

from refdesk.domain.authorization import Authorization, spoken_date, warnings

VISIT = date(2027, 3, 10)


def test_a_visit_the_authorization_covers_needs_no_warning() -> None:
    assert warnings(Authorization("A-1", visits=6, expires_on=date(2027, 6, 30)), VISIT) == []
    # valid through the end of its last day
    assert warnings(Authorization("A-1", visits=6, expires_on=VISIT), VISIT) == []
    # nothing to check against: no authorization, or one without limits
    assert warnings(Authorization(), VISIT) == []
    assert warnings(Authorization("A-1"), VISIT, visits_used=40) == []


def test_a_visit_after_the_expiry_is_said_plainly() -> None:
    found = warnings(Authorization("A-1", visits=6, expires_on=date(2027, 3, 3)), VISIT)
    assert found == ["The authorization expires on 3 Mar 2027, before this appointment."]


@pytest.mark.parametrize(
    ("approved", "used", "expected"),
    [
        (1, 1, ["The one approved visit is already used."]),
        (3, 3, ["All 3 approved visits are used."]),
        (3, 5, ["All 3 approved visits are used."]),
        (3, 2, []),
        (0, 0, ["The authorization approves no visits."]),
    ],
)
def test_used_up_visits_are_said_plainly(approved: int, used: int, expected: list[str]) -> None:
    assert warnings(Authorization("A-1", visits=approved), VISIT, visits_used=used) == expected


def test_both_problems_are_listed_expiry_first() -> None:
    found = warnings(Authorization(None, visits=2, expires_on=date(2027, 1, 31)), VISIT, visits_used=2)
    assert found == [
        "The authorization expires on 31 Jan 2027, before this appointment.",
        "All 2 approved visits are used.",
    ]


def test_dates_are_written_so_nobody_misreads_them() -> None:
    assert spoken_date(date(2027, 3, 3)) == "3 Mar 2027"
    assert spoken_date(date(2026, 12, 25)) == "25 Dec 2026"
