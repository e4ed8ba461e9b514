"""Today: the front desk's worklist for the day, in the order the work should be done.

Seven sections, each answered by its own small query over the referral's stored facts (``next_action``,
the deadlines and counters the services keep current) or over a two-day window of appointments, so
nothing is aggregated over a million rows:

1. new referrals nobody has acknowledged yet (oldest first);
2. first contacts due by the end of today, or late (most late first);
3. callbacks promised to the patient for today or earlier (earliest first);
4. referrals that reached the attempt limit without reaching the patient (oldest last attempt first);
5. reminders due: appointments in the next 48 hours the patient has not confirmed (earliest first);
6. no-shows and cancelled appointments to follow up: call to rebook, or close (most late first);
7. open referrals blocked on a required record that has not arrived (oldest request first).

A referral may stand in more than one section: acknowledging receipt and making first contact are two
pieces of work. Each section's rows are ``QueueRow``\\ s read by ``queue.rows_by_id``, so a Today line and a
queue row always show the same facts; ``Section.moments`` adds the time the line is about.

"Today" and "tomorrow" are calendar days in the workstation's local time. Every query carries the open
states as the same literal IN list as the partial indexes (``queue.open_states_term``) so SQLite can use
them; ``tests/refdesk/services/test_today.py`` checks each plan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, select
from sqlalchemy.orm import Session

from refdesk.domain.lifecycle import State
from refdesk.domain.models import Appointment, Referral, ReferralRecord
from refdesk.domain.next_action import Action
from refdesk.domain.times import as_utc, utc_now
from refdesk.domain.vocab import AppointmentStatus
from refdesk.services.queue import QueueRow, open_states_term, rows_by_id
from refdesk.storage import Database

#: Counts stop here: past it a heading reads "999+", and no section ever counts more rows than this.
COUNT_CAP = 999
DEFAULT_LIMIT = 50


class SectionKey(StrEnum):
    NEW = "new"
    FIRST_CONTACT = "first_contact"
    CALLBACKS = "callbacks"
    ATTEMPT_LIMIT = "attempt_limit"
    REMINDERS = "reminders"
    NO_SHOWS = "no_shows"
    MISSING_RECORDS = "missing_records"


@dataclass(frozen=True, slots=True)
class Section:
    """One heading of the worklist and its first lines."""

    key: str
    title: str
    #: One sentence on what to do with the lines (the heading's tooltip).
    hint: str
    #: Every match, but counted no further than ``COUNT_CAP + 1`` (shown as "999+").
    total: int
    #: At most ``limit`` lines, in the section's order.
    rows: list[QueueRow]
    #: The moment each line is about, by referral id: received (new), due (first contact, callback, no-show
    #: follow-up), last attempt (attempt limit), appointment start (reminders), oldest records request
    #: (missing records, a date; absent when a missing record was never requested).
    moments: dict[int, datetime | date] = field(default_factory=dict)
    #: Extra words for a line, by referral id (the names of the missing records).
    notes: dict[int, str] = field(default_factory=dict)

    @property
    def capped(self) -> bool:
        return self.total > COUNT_CAP

    @property
    def total_text(self) -> str:
        return f"{COUNT_CAP}+" if self.capped else str(self.total)


@dataclass(frozen=True, slots=True)
class Worklist:
    """The whole day's worklist, read in one go (one background task in the UI)."""

    now: datetime
    sections: list[Section]

    @property
    def empty(self) -> bool:
        return all(section.total == 0 for section in self.sections)

    def counts(self) -> dict[str, int]:
        return {section.key: section.total for section in self.sections}

    def section(self, key: str) -> Section:
        return next(section for section in self.sections if section.key == key)


@dataclass(frozen=True, slots=True)
class Day:
    """The day boundaries the sections use, as aware UTC moments of local midnights."""

    now: datetime
    #: Local midnight at the start of today.
    start: datetime
    #: Local midnight at the end of today (the start of tomorrow).
    end: datetime
    #: Local midnight at the end of tomorrow.
    tomorrow_end: datetime

    @classmethod
    def of(cls, now: datetime) -> Day:
        now = as_utc(now)
        today = now.astimezone().date()
        return cls(
            now, _midnight(today), _midnight(today + timedelta(days=1)), _midnight(today + timedelta(2))
        )


def _midnight(day: date) -> datetime:
    """Local midnight of ``day`` in UTC (computed per day: a DST change makes some days 23 or 25 hours)."""
    return as_utc(datetime.combine(day, time(0, 0)))


def _state_is(state: State) -> ColumnElement[bool]:
    """``state = 'received'`` written out, not bound: a partial index on one state can then be used."""
    return Referral.state == bindparam(f"state_{state.value}", state.value, literal_execute=True)


# --- the sections' queries ------------------------------------------------------------------------
# Each returns (referral id, moment) in display order; the count wraps the same query. They are public
# through ``section_queries`` so the plan tests and benchmarks look at exactly what runs.


def _new(day: Day) -> Select[int, datetime]:
    return (
        select(Referral.id, Referral.received_at)
        .where(open_states_term(), _state_is(State.RECEIVED), Referral.acknowledged_at.is_(None))
        .order_by(Referral.received_at, Referral.id)
    )


def _first_contact(day: Day) -> Select[int, datetime | None]:
    # "No contact attempt yet" means still Received: the first attempt moves a referral on, and a patient
    # who phoned in and was moved to Reached without a logged attempt has had first contact.
    return (
        select(Referral.id, Referral.first_contact_due_at)
        .where(
            open_states_term(),
            _state_is(State.RECEIVED),
            Referral.first_attempt_at.is_(None),
            Referral.first_contact_due_at < day.end,
        )
        .order_by(Referral.first_contact_due_at, Referral.id)
    )


def _callbacks(day: Day) -> Select[int, datetime | None]:
    # The stored next action says whether the promise still stands: a later attempt without a promise
    # clears it, and a referral that was scheduled meanwhile needs its reminder, not the callback.
    # For CALLBACK, next_action_at is the promised time; ordering by it walks ix_referral_open_due.
    return (
        select(Referral.id, Referral.next_action_at)
        .where(
            open_states_term(),
            Referral.next_action == Action.CALLBACK,
            Referral.callback_due_at < day.end,
            Referral.next_action_at < day.end,
        )
        .order_by(Referral.next_action_at, Referral.id)
    )


def _attempt_limit(day: Day) -> Select[int, datetime | None]:
    # next_action_at is the last attempt; the limit is only ever reached while Contact attempted, and
    # saying so lets ix_referral_state narrow the search to those referrals.
    return (
        select(Referral.id, Referral.next_action_at)
        .where(
            open_states_term(),
            _state_is(State.CONTACT_ATTEMPTED),
            Referral.next_action == Action.CLOSE_UNREACHABLE,
        )
        .order_by(Referral.next_action_at, Referral.id)
    )


#: How far ahead an unconfirmed appointment asks for its reminder call.
REMIND_WITHIN = timedelta(hours=48)


def _unconfirmed_soon(day: Day) -> Select[int, datetime]:
    """Appointments of open referrals starting in the next 48 hours that are still only booked (not
    confirmed): the reminder calls to make. Read from the appointments' time index over that window, so
    it costs the same at any size; a reschedule leaves the old row RESCHEDULED, so only the current
    appointment can match."""
    return (
        select(Appointment.referral_id, Appointment.starts_at)
        .join(Referral, Referral.id == Appointment.referral_id)
        .where(
            Appointment.starts_at >= day.now,
            Appointment.starts_at < day.now + REMIND_WITHIN,
            Appointment.status == AppointmentStatus.BOOKED,
            open_states_term(),
        )
        .order_by(Appointment.starts_at, Appointment.id)
    )


#: The follow-ups of a missed or cancelled appointment (the stored next action of those two states).
_FOLLOW_UPS = (Action.FOLLOW_UP_NO_SHOW.value, Action.REBOOK.value)


def _no_shows(day: Day) -> Select[int, datetime | None]:
    """Referrals whose appointment was missed or cancelled, by when the follow-up is due (the most late
    first), whether due yet or not: the set is small and each one is a patient to call back."""
    return (
        select(Referral.id, Referral.next_action_at)
        .where(
            open_states_term(),
            Referral.next_action.in_(
                bindparam("follow_ups", _FOLLOW_UPS, expanding=True, literal_execute=True)
            ),
        )
        .order_by(Referral.next_action_at, Referral.id)
    )


def _missing_records(day: Day) -> Select[int, date | None]:
    """One row per missing record of an open referral, never-requested first, then the oldest request:
    a referral's first row is its oldest request, so reading in this order needs no grouping."""
    return (
        select(ReferralRecord.referral_id, ReferralRecord.requested_on)
        .join(Referral, Referral.id == ReferralRecord.referral_id)
        .where(ReferralRecord.received_on.is_(None), open_states_term())
        .order_by(ReferralRecord.requested_on.asc().nulls_first(), ReferralRecord.referral_id)
    )


#: A section's lines as (referral id, moment), in display order, and its capped total.
_Picked = tuple[list[tuple[int, datetime | date | None]], int]


def _page_and_count(session: Session, query: Select[int, Any], limit: int) -> _Picked:
    """The first ``limit`` lines, and a count that stops after ``COUNT_CAP + 1`` rows."""
    lines = [(rid, when) for rid, when in session.execute(query.limit(limit))]
    capped = query.order_by(None).limit(COUNT_CAP + 1).subquery()
    return lines, session.scalar(select(func.count()).select_from(capped)) or 0


def _blocked(session: Session, day: Day, limit: int) -> _Picked:
    """Referrals in order of their first missing-record row, read until the cap (rows stream: the cap,
    not the number of missing records, bounds the work once the records' index is in place)."""
    first: dict[int, date | None] = {}
    result = session.execute(_missing_records(day).execution_options(yield_per=500))
    try:
        for rid, requested in result:
            if rid not in first:
                first[rid] = requested
                if len(first) > COUNT_CAP:
                    break
    finally:
        result.close()
    return list(first.items())[:limit], len(first)


@dataclass(frozen=True, slots=True)
class _Spec:
    key: SectionKey
    title: str
    hint: str
    #: The queries the section runs (the plan tests read these).
    queries: Callable[[Day], tuple[Select[*tuple[Any, ...]], ...]]
    read: Callable[[Session, Day, int], _Picked]


def _single(build: Callable[[Day], Select[int, Any]]) -> Callable[[Session, Day, int], _Picked]:
    return lambda session, day, limit: _page_and_count(session, build(day), limit)


_SPECS: tuple[_Spec, ...] = (
    _Spec(
        SectionKey.NEW,
        "New — not yet acknowledged",
        "Acknowledge receipt to the referring partner.",
        lambda day: (_new(day),),
        _single(_new),
    ),
    _Spec(
        SectionKey.FIRST_CONTACT,
        "First contact due today or late",
        "Call the patient for the first time; the most late first.",
        lambda day: (_first_contact(day),),
        _single(_first_contact),
    ),
    _Spec(
        SectionKey.CALLBACKS,
        "Callbacks promised for today",
        "The patient asked to be called back; call at the promised time.",
        lambda day: (_callbacks(day),),
        _single(_callbacks),
    ),
    _Spec(
        SectionKey.ATTEMPT_LIMIT,
        "Attempt limit reached — close as unable to reach?",
        "Every allowed attempt was made without reaching the patient.",
        lambda day: (_attempt_limit(day),),
        _single(_attempt_limit),
    ),
    _Spec(
        SectionKey.REMINDERS,
        "Reminders due — appointments in the next 48 hours, not confirmed",
        "Call or text the patient about the appointment, and record the confirmation.",
        lambda day: (_unconfirmed_soon(day),),
        _single(_unconfirmed_soon),
    ),
    _Spec(
        SectionKey.NO_SHOWS,
        "No-shows and cancelled appointments to follow up",
        "The patient missed or cancelled the appointment: call to rebook, or close the referral.",
        lambda day: (_no_shows(day),),
        _single(_no_shows),
    ),
    _Spec(
        SectionKey.MISSING_RECORDS,
        "Blocked on missing records",
        "Required records have not arrived; chase the referring partner.",
        lambda day: (_missing_records(day),),
        _blocked,
    ),
)


def section_queries(now: datetime) -> dict[str, tuple[Select[*tuple[Any, ...]], ...]]:
    """Every section's queries for ``now`` (for plan checks and benchmarks; ``worklist`` runs these)."""
    day = Day.of(now)
    return {spec.key.value: spec.queries(day) for spec in _SPECS}


# --- reading the worklist ---------------------------------------------------------------------------


def worklist(db: Database, *, now: datetime | None = None, limit: int = DEFAULT_LIMIT) -> Worklist:
    """Every section with its capped count and its first ``limit`` lines (run it off the GUI thread).

    Args:
        now: the moment "today" is measured from (tests pin it); default: the current time.
        limit: lines per section (at most ``COUNT_CAP``); the count covers every match up to
            ``COUNT_CAP + 1``.
    """
    moment = as_utc(now) if now is not None else utc_now()
    day = Day.of(moment)
    limit = max(0, min(limit, COUNT_CAP))
    picked: list[tuple[_Spec, _Picked]] = []
    with db.session() as session:
        for spec in _SPECS:
            picked.append((spec, spec.read(session, day, limit)))
        blocked = next(lines for spec, (lines, _) in picked if spec.key is SectionKey.MISSING_RECORDS)
        notes = _missing_names(session, [rid for rid, _ in blocked])
    rows = rows_by_id(db, sorted({rid for _, (lines, _) in picked for rid, _ in lines}))
    sections = []
    for spec, (lines, total) in picked:
        present = [(rid, when) for rid, when in lines if rid in rows]  # a row deleted meanwhile is skipped
        sections.append(
            Section(
                key=spec.key.value,
                title=spec.title,
                hint=spec.hint,
                total=total,
                rows=[rows[rid] for rid, _ in present],
                moments={rid: when for rid, when in present if when is not None},
                notes={rid: notes[rid] for rid, _ in present if rid in notes}
                if spec.key is SectionKey.MISSING_RECORDS
                else {},
            )
        )
    return Worklist(moment, sections)


def _missing_names(session: Session, referral_ids: list[int]) -> dict[int, str]:
    """The words "Missing: Imaging, Recent notes" for each referral on the records section's page."""
    if not referral_ids:
        return {}
    names: dict[int, list[str]] = {}
    query = (
        select(ReferralRecord.referral_id, ReferralRecord.name)
        .where(ReferralRecord.referral_id.in_(referral_ids), ReferralRecord.received_on.is_(None))
        .order_by(ReferralRecord.referral_id, ReferralRecord.name)
    )
    for rid, name in session.execute(query):
        names.setdefault(rid, []).append(name)
    return {rid: "Missing: " + ", ".join(found) for rid, found in names.items()}
