"""The metrics against figures worked out by hand from a small clinic written through the real services;
periods that cut months (both ways of counting a part of a month), empty periods, partners without
referrals, the previous period; local months; and the metric cells equal to a full recount after every
write of a random sequence, after a referral moves to another partner and month, after a bulk load and
after the migration that creates them."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, select

from refdesk.domain.lifecycle import CloseReason, State
from refdesk.domain.models import MetricCell, Partner, Referral
from refdesk.domain.times import as_utc
from refdesk.domain.vocab import AttemptMethod, AttemptOutcome, Channel, PartnerCategory
from refdesk.errors import NotFoundError, OperationCancelled, RefDeskError, ValidationError
from refdesk.services import metric_cells, scheduling, workflow
from refdesk.services.actor import Actor
from refdesk.services.attempts import log_attempt
from refdesk.services.catalog import NewPartner, NewServiceLine, create_partner, create_service_line
from refdesk.services.metric_cells import (
    LOWER_BOUNDS,
    Tally,
    bucket_counts,
    bucket_index,
    histogram,
    quantile,
)
from refdesk.services.metrics import Figures, Funnel, Period, Timing, change, compute
from refdesk.services.referrals import NewReferral, create_referral, get_referral, update_referral
from refdesk.services.scheduling import AppointmentDraft
from refdesk.storage import Database, migrate

JUNE = Period(date(2025, 6, 1), date(2025, 6, 30))
# June to August 2025: no change of clocks in any zone the tests might run in, so local wall-clock
# differences are clock hours. 2025-06-02 is a Monday; business hours are Monday to Friday, 8 to 17.


def at(day: str, clock: str = "09:00") -> datetime:
    """A local wall-clock time, as the desk types it."""
    return datetime.fromisoformat(f"{day}T{clock}")


def cells_match_recount(db: Database) -> None:
    """The stored facts and cells are what working everything out again from the referrals gives."""
    with db.engine.connect() as connection:
        assert metric_cells.fact_rows(connection) == metric_cells.fact_rows(connection, fresh=True)
        assert metric_cells.stored(connection) == metric_cells.recount(connection)


@dataclass(frozen=True)
class Clinic:
    oak: int
    elm: int
    pine: int
    #: Oak Street's June referrals, r1 to r6.
    june: tuple[int, ...]


@pytest.fixture
def clinic(db: Database, actor: Actor, new_referral: NewReferral, partner_id: int) -> Clinic:
    """Oak Street sends six referrals in June and two in May (one on May 1st, before the previous
    period); Elm Clinic one in June, one in May; Pine Family Practice none."""
    elm = create_partner(db, actor, NewPartner(name="Elm Clinic", category=PartnerCategory.SPECIALTY))
    pine = create_partner(db, actor, NewPartner(name="Pine Family Practice"))
    imaging = create_service_line(db, actor, NewServiceLine(name="Imaging"))
    count = iter(range(100))

    def referral(when: datetime, channel: Channel, **changes: object) -> int:
        form = replace(
            new_referral, patient_last_name=f"Nguyễn {next(count)}", received_at=when, channel=channel
        )
        return create_referral(db, actor, replace(form, **changes))

    def attempt(rid: int, when: datetime, outcome: AttemptOutcome = AttemptOutcome.REACHED) -> None:
        log_attempt(db, actor, rid, AttemptMethod.CALL, outcome, at=when)

    def book(rid: int, when: datetime, starts: datetime) -> int:
        draft = AppointmentDraft(starts_at=starts, provider="Dr Lee")
        return scheduling.book(db, actor, rid, draft, override_reason="test clinic", at=when).appointment_id

    # r1: reached after an hour, seen ten days after receipt
    r1 = referral(at("2025-06-02"), Channel.FAX)
    attempt(r1, at("2025-06-02", "10:00"))
    first = book(r1, at("2025-06-02", "11:00"), at("2025-06-12"))
    scheduling.record_completed(db, actor, first, at=at("2025-06-12", "10:00"))
    # r2: no answer after 4 h, reached the next day, booked 7 days out, missed it, rebooked
    r2 = referral(at("2025-06-03"), Channel.PHONE)
    attempt(r2, at("2025-06-03", "13:00"), AttemptOutcome.NO_ANSWER)
    attempt(r2, at("2025-06-04", "10:00"))
    missed = book(r2, at("2025-06-04", "11:00"), at("2025-06-10"))
    scheduling.record_no_show(db, actor, missed, at=at("2025-06-10", "12:00"))
    draft = AppointmentDraft(starts_at=at("2025-06-17"), provider="Dr Lee")
    scheduling.rebook(db, actor, r2, draft, at=at("2025-06-11"))
    # r3: acknowledged after an hour (recorded directly), first attempt 32 h after receipt, past its
    # Thursday 16:00 deadline; booked 21 days out, then moved
    r3 = referral(at("2025-06-04"), Channel.FAX)
    with db.transaction() as session:
        row = session.get(Referral, r3)
        assert row is not None and row.first_contact_due_at == as_utc(at("2025-06-05", "16:00"))
        row.acknowledged_at = as_utc(at("2025-06-04", "10:00"))
    attempt(r3, at("2025-06-05", "17:00"))
    moved = book(r3, at("2025-06-05", "17:30"), at("2025-06-25"))
    draft = AppointmentDraft(starts_at=at("2025-06-27"), provider="Dr Lee", note="patient asked")
    scheduling.reschedule(db, actor, moved, draft, at=at("2025-06-20"))
    # r4: a duplicate, closed untouched
    r4 = referral(at("2025-06-05"), Channel.EMAIL)
    workflow.close(db, actor, r4, CloseReason.DUPLICATE_REFERRAL)
    # r6 (received before r5): reached within half an hour, then declined; another service line
    r6 = referral(at("2025-06-06"), Channel.PORTAL, service_line_id=imaging)
    attempt(r6, at("2025-06-06", "09:30"))
    workflow.close(db, actor, r6, CloseReason.PATIENT_NOT_INTERESTED)
    # r5: the last day of June; no answer after 2 h, closed as unable to reach
    r5 = referral(at("2025-06-30"), Channel.FAX)
    attempt(r5, at("2025-06-30", "11:00"), AttemptOutcome.NO_ANSWER)
    workflow.close(db, actor, r5, CloseReason.NO_RESPONSE)

    # Elm Clinic: a walk-in nobody has called yet (June), one reached after 2 h (May)
    referral(at("2025-06-10"), Channel.WALK_IN, partner_id=elm)
    may = referral(at("2025-05-15"), Channel.FAX, partner_id=elm)
    attempt(may, at("2025-05-15", "11:00"))
    # Oak Street in May: one on May 20th (no answer after 3 h), one on May 1st (outside the previous period)
    oak_may = referral(at("2025-05-20"), Channel.FAX)
    attempt(oak_may, at("2025-05-20", "12:00"), AttemptOutcome.NO_ANSWER)
    referral(at("2025-05-01"), Channel.PHONE)
    return Clinic(partner_id, elm, pine, (r1, r2, r3, r4, r5, r6))


# --- the figures, by hand ------------------------------------------------------------------------------


OAK_JUNE = Figures(
    received=6,
    by_month=((date(2025, 6, 1), 6),),
    by_service_line=(("Physical therapy", 5), ("Imaging", 1)),
    by_channel=((Channel.FAX, 3), (Channel.PHONE, 1), (Channel.EMAIL, 1), (Channel.PORTAL, 1)),
    # hours 1, 4, 1, 2, 0.5 (r4 never acknowledged); all by their deadline
    acknowledgement=Timing(measured=5, median_hours=1.0, p90_hours=3.2, within_target=1.0, pending=1),
    # hours 1, 4, 32 (late), 2, 0.5: p90 = 4 + 0.6 * (32 - 4)
    first_contact=Timing(measured=5, median_hours=2.0, p90_hours=20.8, within_target=0.8, pending=1),
    funnel=Funnel(received=6, contacted=5, reached=4, scheduled=3, completed=1),
    # 10, 7 and 21 days to the first booking (r2's rebooking does not count)
    median_days_to_appointment=10.0,
    no_show_rate=1 / 3,
    reschedule_rate=1 / 3,
    close_reasons=(
        (CloseReason.PATIENT_NOT_INTERESTED, 1),
        (CloseReason.NO_RESPONSE, 1),
        (CloseReason.DUPLICATE_REFERRAL, 1),
    ),
)
ELM_JUNE = Figures(
    received=1,
    by_month=((date(2025, 6, 1), 1),),
    by_service_line=(("Physical therapy", 1),),
    by_channel=((Channel.WALK_IN, 1),),
    acknowledgement=Timing(pending=1),
    first_contact=Timing(pending=1),
    funnel=Funnel(received=1),
)
MAY = ((date(2025, 5, 1), 1),)
OAK_MAY = Figures(
    received=1,
    by_month=MAY,
    by_service_line=(("Physical therapy", 1),),
    by_channel=((Channel.FAX, 1),),
    acknowledgement=Timing(measured=1, median_hours=3.0, p90_hours=3.0, within_target=1.0),
    first_contact=Timing(measured=1, median_hours=3.0, p90_hours=3.0, within_target=1.0),
    funnel=Funnel(received=1, contacted=1),
)
ELM_MAY = replace(
    OAK_MAY,
    acknowledgement=Timing(measured=1, median_hours=2.0, p90_hours=2.0, within_target=1.0),
    first_contact=Timing(measured=1, median_hours=2.0, p90_hours=2.0, within_target=1.0),
    funnel=Funnel(received=1, contacted=1, reached=1),
)


def test_a_month_per_partner_and_for_the_program_against_hand_computed_figures(
    db: Database, clinic: Clinic
) -> None:
    report = compute(db, JUNE)

    assert report.period == JUNE
    assert [(p.partner_id, p.partner_name) for p in report.partners] == [
        (clinic.elm, "Elm Clinic"),
        (clinic.oak, "Oak Street Primary Care"),
        (clinic.pine, "Pine Family Practice"),
    ]
    elm, oak, pine = report.partners
    assert oak.current == OAK_JUNE
    assert elm.current == ELM_JUNE
    # a partner with no referrals: every month listed with zero, nothing else
    assert pine.current == Figures(by_month=((date(2025, 6, 1), 0),))
    assert pine.previous == Figures(by_month=((date(2025, 5, 1), 0),))

    program = report.program
    assert program.received == 7 and program.by_month == ((date(2025, 6, 1), 7),)
    assert program.funnel == Funnel(received=7, contacted=5, reached=4, scheduled=3, completed=1)
    assert program.by_channel[0] == (Channel.FAX, 3) and (Channel.WALK_IN, 1) in program.by_channel
    assert program.acknowledgement == replace(OAK_JUNE.acknowledgement, pending=2)
    assert program.close_reasons == OAK_JUNE.close_reasons
    assert program.median_days_to_appointment == 10.0


def test_the_previous_period_is_the_same_length_just_before(db: Database, clinic: Clinic) -> None:
    """June has 30 days, so the previous period is May 2nd to 31st: Oak Street's May 1st referral is in
    neither."""
    report = compute(db, JUNE)
    elm, oak, _pine = report.partners
    assert JUNE.previous() == Period(date(2025, 5, 2), date(2025, 5, 31))
    assert oak.previous == OAK_MAY
    assert elm.previous == ELM_MAY
    assert report.program_previous.received == 2
    assert report.program_previous.funnel == Funnel(received=2, contacted=2, reached=1)
    assert report.program_previous.by_month == ((date(2025, 5, 1), 2),)
    assert change(report.program.received, report.program_previous.received) == 2.5
    assert change(report.program.no_show_rate, report.program_previous.no_show_rate) is None


def test_an_empty_period_has_zero_months_and_no_rates(db: Database, clinic: Clinic) -> None:
    report = compute(db, Period(date(2024, 12, 15), date(2025, 2, 14)))
    months = ((date(2024, 12, 1), 0), (date(2025, 1, 1), 0), (date(2025, 2, 1), 0))
    assert report.program == Figures(by_month=months)
    assert all(p.current == Figures(by_month=months) for p in report.partners)
    assert report.program.funnel.share(report.program.funnel.reached) is None


def test_a_database_without_referrals(db: Database, partner_id: int) -> None:
    report = compute(db, JUNE)
    assert report.program == Figures(by_month=((date(2025, 6, 1), 0),))
    assert [p.partner_id for p in report.partners] == [partner_id]


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        # the part inside (r1 to r3, 3 referrals) is smaller than the part outside (4): counted directly
        (Period(date(2025, 6, 1), date(2025, 6, 4)), (1, 2, 3)),
        # the part outside (r1 alone) is smaller: the June cell minus r1
        (Period(date(2025, 6, 3), date(2025, 6, 30)), (2, 3, 4, 5, 6)),
        # inside one month, cut on both sides: r2 to r6 less r5
        (Period(date(2025, 6, 3), date(2025, 6, 29)), (2, 3, 4, 6)),
        # nothing after June 30th 09:00 in the month: the cell as it is
        (Period(date(2025, 6, 1), date(2025, 7, 15)), (1, 2, 3, 4, 5, 6)),
    ],
)
def test_a_period_that_cuts_a_month_counts_only_its_part(
    db: Database, clinic: Clinic, period: Period, expected: tuple[int, ...]
) -> None:
    oak = next(p for p in compute(db, period).partners if p.partner_id == clinic.oak)
    assert oak.current.received == len(expected)
    assert oak.current == figures_of(db, period, clinic.oak)
    assert oak.current.by_month[0] == (date(2025, 6, 1), len(expected))


def figures_of(db: Database, period: Period, partner_id: int) -> Figures:
    """The figures of one partner counted straight from the rows of the period (no cells): what the
    cells and the edges must add up to."""
    start = metric_cells.day_start(period.start)
    end = metric_cells.day_start(period.end + timedelta(days=1))
    with db.engine.connect() as connection:
        tally = metric_cells.tally_rows(connection, start, end, [partner_id]).get(partner_id, Tally())
        by_month = []
        for month in metric_cells.months(period.start, period.end):
            low, high = metric_cells.month_bounds(month)
            part = metric_cells.tally_rows(connection, max(low, start), min(high, end), [partner_id])
            by_month.append((month, part[partner_id].received if partner_id in part else 0))
    from refdesk.services.metrics import _figures, _Scope

    return _figures(_Scope(tally, dict(by_month)), [m for m, _ in by_month], _line_names(db))


def _line_names(db: Database) -> dict[str, str]:
    from refdesk.domain.models import ServiceLine

    with db.session() as session:
        return {str(i): n for i, n in session.execute(select(ServiceLine.id, ServiceLine.name))}


def test_one_partner_or_several(db: Database, clinic: Clinic) -> None:
    report = compute(db, JUNE, [clinic.oak])
    assert [p.partner_id for p in report.partners] == [clinic.oak]
    assert report.program == OAK_JUNE
    assert report.program_previous == OAK_MAY
    both = compute(db, JUNE, [clinic.oak, clinic.pine])
    assert both.program == OAK_JUNE
    assert compute(db, JUNE, []).program == Figures(by_month=((date(2025, 6, 1), 0),))


def test_inactive_partners_are_listed_only_with_referrals(db: Database, clinic: Clinic) -> None:
    with db.transaction() as session:
        for partner_id in (clinic.elm, clinic.pine):
            partner = session.get(Partner, partner_id)
            assert partner is not None
            partner.active = False
    assert [p.partner_id for p in compute(db, JUNE).partners] == [clinic.elm, clinic.oak]


def test_refusals(db: Database, clinic: Clinic) -> None:
    with pytest.raises(ValidationError):
        compute(db, Period(date(2025, 6, 2), date(2025, 6, 1)))
    with pytest.raises(NotFoundError, match="9999"):
        compute(db, JUNE, [clinic.oak, 9999])
    calls = iter(range(100))
    with pytest.raises(OperationCancelled):
        compute(db, Period(date(2025, 6, 3), date(2025, 6, 30)), should_stop=lambda: next(calls) >= 2)
    assert isinstance(OperationCancelled("x"), RefDeskError)


@pytest.fixture
def new_york() -> Iterator[None]:
    if not hasattr(time, "tzset"):
        pytest.skip("no time.tzset on this platform")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", "America/New_York")
        time.tzset()
        yield
    time.tzset()


def test_months_are_local_months(
    new_york: None, db: Database, actor: Actor, new_referral: NewReferral
) -> None:
    """June 30th, 22:00 in New York is July 1st in UTC: the referral belongs to June."""
    late = datetime(2025, 7, 1, 2, 0, tzinfo=UTC)
    create_referral(db, actor, replace(new_referral, received_at=late))
    report = compute(db, Period(date(2025, 6, 1), date(2025, 7, 31)))
    assert report.program.by_month == ((date(2025, 6, 1), 1), (date(2025, 7, 1), 0))
    assert compute(db, Period(date(2025, 6, 30), date(2025, 6, 30))).program.received == 1
    assert compute(db, Period(date(2025, 7, 1), date(2025, 7, 1))).program.received == 0
    cells_match_recount(db)


# --- histograms -------------------------------------------------------------------------------------------


def test_buckets_and_quantiles() -> None:
    minutes = (-5, 0, 14, 15, 1439, 1440, 1499, 10079, 10080, 11000, 90719, 90720, 99999, 10**6)
    bounds = (0, 0, 0, 15, 1425, 1440, 1440, 10020, 10080, 10080, 89280, 90720, 90720, 524160)
    assert tuple(LOWER_BOUNDS[bucket_index(m)] for m in minutes) == bounds
    assert list(LOWER_BOUNDS) == sorted(set(LOWER_BOUNDS))
    assert quantile(0, 0.5) is None
    assert quantile(packed({60: 1, 180: 1}), 0.5) == 120.0
    assert quantile(packed({30: 1, 60: 2, 120: 1, 1920: 1}), 0.9) == pytest.approx(120 + 0.6 * 1800)
    assert quantile(packed({45: 3}), 0.9) == 45.0
    assert bucket_counts(packed({15: 2**32 - 1}))[1] == 2**32 - 1


def packed(values: dict[int, int]) -> int:
    """A histogram of these durations (minutes -> how many)."""
    counts: Counter[int] = Counter()
    for value, number in values.items():
        counts[bucket_index(value)] += number
    return histogram(counts)


# --- the cells stay equal to a full recount ---------------------------------------------------------------


#: The states each kind of write applies to (so the random sequence rarely tries a refused move).
_WRITES: dict[str, tuple[State, ...]] = {
    "attempt": (State.RECEIVED, State.CONTACT_ATTEMPTED, State.REACHED),
    "book": (State.REACHED, State.NO_SHOW, State.APPOINTMENT_CANCELLED),
    "outcome": (State.SCHEDULED,),
    "close": (State.RECEIVED, State.CONTACT_ATTEMPTED, State.REACHED, State.SCHEDULED, State.NO_SHOW),
    "reopen": (State.DECLINED_BY_PATIENT, State.UNABLE_TO_REACH),
    "edit": tuple(State),
}


def test_the_cells_equal_a_full_recount_after_every_write_of_a_random_sequence(
    db: Database, actor: Actor, new_referral: NewReferral, partner_id: int
) -> None:
    other = create_partner(db, actor, NewPartner(name="Birch Therapy"))
    rng = random.Random(20251123)
    start = datetime(2025, 6, 1, 8, 0)
    ids: list[int] = []
    done: Counter[str] = Counter()
    for step in range(90):
        action = rng.choice(
            ["new", "attempt", "attempt", "book", "outcome", "outcome", "close", "reopen", "edit"]
        )
        states = {rid: get_referral(db, rid).state for rid in ids}
        candidates = [rid for rid, state in states.items() if state in _WRITES.get(action, ())]
        if action == "new" or not candidates:
            when = start + timedelta(hours=rng.randrange(0, 24 * 80))
            form = replace(
                new_referral,
                patient_last_name=f"Nguyễn {step}",
                received_at=when,
                partner_id=rng.choice([partner_id, other]),
                channel=rng.choice(list(Channel)),
            )
            ids.append(create_referral(db, actor, form))
            done["new"] += 1
            cells_match_recount(db)
            continue
        rid = rng.choice(candidates)
        referral = get_referral(db, rid)
        moment = referral.received_at + timedelta(hours=rng.randrange(1, 72))
        try:
            if action == "attempt":
                outcome = rng.choice([AttemptOutcome.REACHED, AttemptOutcome.NO_ANSWER])
                log_attempt(db, actor, rid, AttemptMethod.CALL, outcome, at=moment)
            elif action == "book":
                starts = moment + timedelta(days=rng.randrange(1, 30))
                draft = AppointmentDraft(starts_at=starts, provider="Dr Lee")
                if referral.state is State.REACHED:
                    scheduling.book(db, actor, rid, draft, override_reason="test", at=moment)
                else:
                    scheduling.rebook(db, actor, rid, draft, at=moment)
            elif action == "outcome":
                active = scheduling.appointment_history(db, rid).active
                assert active is not None
                after = active.starts_at + timedelta(hours=1)
                choice = rng.choice(["done", "missed", "moved", "cancelled"])
                if choice == "done":
                    scheduling.record_completed(db, actor, active.id, at=after)
                elif choice == "missed":
                    scheduling.record_no_show(db, actor, active.id, at=after)
                elif choice == "cancelled":
                    scheduling.cancel_appointment(db, actor, active.id, at=active.created_at)
                else:
                    draft = AppointmentDraft(
                        starts_at=active.starts_at + timedelta(days=2), provider="Dr Lee"
                    )
                    scheduling.reschedule(db, actor, active.id, draft, at=active.created_at)
            elif action == "close":
                reason = rng.choice([CloseReason.PATIENT_COST, CloseReason.NO_RESPONSE])
                workflow.close(db, actor, rid, reason)
            elif action == "reopen":
                workflow.reopen(db, actor, rid)
            else:
                changes: dict[str, object] = rng.choice(
                    [
                        {"partner_id": other if referral.partner_id == partner_id else partner_id},
                        {"received_at": referral.received_at - timedelta(days=rng.randrange(1, 40))},
                        {"channel": rng.choice(list(Channel))},
                        {"phone": f"555-201-{step:04d}"},
                    ]
                )
                update_referral(db, actor, rid, changes)
            done[action] += 1
        except RefDeskError:
            pass  # refused (unable to reach without an attempt, say): nothing changed
        cells_match_recount(db)
    # the sequence did exercise every kind of write, most of them more than once
    assert all(done[action] >= 2 for action in ("new", *_WRITES)), done
    with db.session() as session:
        assert len(session.scalars(select(MetricCell)).all()) >= 4


def test_moving_a_referral_to_another_partner_and_month_moves_it_between_cells(
    db: Database, actor: Actor, referral_id: int, partner_id: int
) -> None:
    """The cell a referral leaves is recounted as well as the one it joins (the old partner and month
    come from the attribute history, or from the database when they were never loaded)."""
    other = create_partner(db, actor, NewPartner(name="Birch Therapy"))
    june = datetime(2025, 6, 10, 9, 0)
    update_referral(db, actor, referral_id, {"received_at": june})
    cells_match_recount(db)
    assert cell_months(db) == {(partner_id, date(2025, 6, 1)): 1}

    update_referral(db, actor, referral_id, {"partner_id": other, "received_at": datetime(2025, 7, 2, 9, 0)})
    assert cell_months(db) == {(other, date(2025, 7, 1)): 1}
    cells_match_recount(db)

    with db.transaction() as session:  # old values not loaded: expired before the change
        row = session.get(Referral, referral_id)
        assert row is not None
        session.expire(row, ["partner_id", "received_at"])
        row.partner_id = partner_id
        row.received_at = as_utc(june)
    assert cell_months(db) == {(partner_id, date(2025, 6, 1)): 1}
    cells_match_recount(db)

    with db.transaction() as session:  # deleted (the cascade takes its history with it)
        row = session.get(Referral, referral_id)
        session.delete(row)
    assert cell_months(db) == {}


def cell_months(db: Database) -> dict[tuple[int, date], int]:
    with db.session() as session:
        return {(c.partner_id, c.month): c.received for c in session.scalars(select(MetricCell))}


def test_a_failed_write_leaves_the_cells_as_they_were(db: Database, actor: Actor, referral_id: int) -> None:
    before = cell_months(db)
    with pytest.raises(RuntimeError), db.transaction() as session:
        row = session.get(Referral, referral_id)
        assert row is not None
        row.received_at = datetime(2025, 1, 5, tzinfo=UTC)
        session.flush()
        raise RuntimeError("something failed after the flush")
    assert cell_months(db) == before
    update_referral(db, actor, referral_id, {"phone": "555-201-9999"})  # unrelated edit, next transaction
    assert cell_months(db) == before
    cells_match_recount(db)


def test_a_cell_that_drifted_is_recounted_at_the_next_write(
    db: Database, actor: Actor, referral_id: int, partner_id: int
) -> None:
    """A write that bypassed the ORM leaves a cell unequal to its facts; the next difference applied to
    it would not add up, so the cell is counted again from the facts instead."""
    with db.engine.begin() as connection:
        connection.execute(delete(MetricCell))
    log_attempt(db, actor, referral_id, AttemptMethod.CALL, AttemptOutcome.NO_ANSWER)
    cells_match_recount(db)
    assert sum(cell_months(db).values()) == 1


def test_a_bulk_load_rebuilds_the_cells(db: Database) -> None:
    from refdesk.demo import build_demo

    build_demo(db, referrals=400, partners=6, seed=3, now=datetime(2026, 3, 16, 15, 0, tzinfo=UTC))
    cells_match_recount(db)
    with db.engine.connect() as connection:
        assert sum(t.received for t in metric_cells.stored(connection).values()) == 400


def test_the_migration_fills_the_cells_for_existing_referrals(db: Database, clinic: Clinic) -> None:
    migrate.downgrade(db.engine, "0003")
    migrate.upgrade(db.engine)
    cells_match_recount(db)
    assert compute(db, JUNE).partners[1].current == OAK_JUNE
