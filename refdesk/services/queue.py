"""The referral queue's queries: filter, sort and search in SQL, one page of rows at a time.

Built for a million referrals (performance.md): the open-state filter is rendered as a literal IN list
identical to the partial indexes' WHERE, so SQLite walks ``ix_referral_open_received`` /
``ix_referral_open_due`` instead of sorting; the table model holds ids and asks for rows by page; and
search uses the trigram index for rare terms and LIKE over the time index for frequent ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, bindparam, case, false, func, select
from sqlalchemy.orm import Session, aliased

from refdesk.domain import lifecycle
from refdesk.domain.lifecycle import State
from refdesk.domain.models import Partner, Referral, ServiceLine, Staff
from refdesk.domain.next_action import Action
from refdesk.domain.times import as_utc, utc_now
from refdesk.domain.vocab import Urgency
from refdesk.services.search import SearchPlan, plan_search
from refdesk.storage import Database

PAGE_SIZE = 200
#: SQLite VM steps between two looks at ``should_stop`` (well under a millisecond of work).
_STOP_CHECK_STEPS = 10_000
Q = TypeVar("Q", bound=Select[*tuple[Any, ...]])

#: The open states in the order the partial indexes list them (see the 0001 migration).
_OPEN_VALUES = [state.value for state in lifecycle.OPEN_STATES]


class SortKey(StrEnum):
    RECEIVED = "received"
    PATIENT = "patient"
    DOB = "dob"
    PHONE = "phone"
    PARTNER = "partner"
    SERVICE_LINE = "service_line"
    URGENCY = "urgency"
    STATE = "state"
    OWNER = "owner"
    ATTEMPTS = "attempts"
    DUE = "due"


@dataclass(frozen=True)
class QueueFilter:
    """What the queue shows. Empty sets mean "any"; the default is every open referral."""

    states: frozenset[State] = field(default_factory=lambda: frozenset(lifecycle.OPEN_STATES))
    partner_ids: frozenset[int] = frozenset()
    service_line_ids: frozenset[int] = frozenset()
    owner_ids: frozenset[int] = frozenset()
    urgencies: frozenset[Urgency] = frozenset()
    #: Only referrals whose next action is one of these (empty: any), e.g. ``APPOINTMENT_WORK``.
    actions: frozenset[Action] = frozenset()
    #: Only referrals whose next action is past due.
    overdue_only: bool = False
    received_from: date | None = None
    received_to: date | None = None
    search: str = ""


@dataclass(frozen=True)
class QueueSort:
    key: SortKey = SortKey.RECEIVED
    descending: bool = True


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One row of the queue, as plain values (no ORM object: cheap to hold and safe across threads)."""

    id: int
    received_at: datetime
    patient_first_name: str
    patient_last_name: str
    patient_dob: date
    phone: str
    partner_name: str
    service_line_name: str
    urgency: Urgency
    state: State
    owner_name: str | None
    attempt_count: int
    next_action: Action | None
    next_action_at: datetime | None
    acknowledged_at: datetime | None
    first_attempt_at: datetime | None
    ack_due_at: datetime | None
    first_contact_due_at: datetime | None

    @property
    def patient_name(self) -> str:
        return f"{self.patient_first_name} {self.patient_last_name}"


_Owner = aliased(Staff)

_ROW_COLUMNS = (
    Referral.id,
    Referral.received_at,
    Referral.patient_first_name,
    Referral.patient_last_name,
    Referral.patient_dob,
    Referral.phone,
    Partner.name,
    ServiceLine.name,
    Referral.urgency,
    Referral.state,
    _Owner.full_name,
    Referral.attempt_count,
    Referral.next_action,
    Referral.next_action_at,
    Referral.acknowledged_at,
    Referral.first_attempt_at,
    Referral.ack_due_at,
    Referral.first_contact_due_at,
)

#: The next actions that are appointment work: remind, record the visit, follow up a no-show, rebook. The
#: queue's "appointment work" filter; ``ix_referral_open_action_due`` answers it.
APPOINTMENT_WORK: frozenset[Action] = frozenset(
    {Action.REMIND, Action.RECORD_VISIT, Action.FOLLOW_UP_NO_SHOW, Action.REBOOK}
)

_URGENCY_ORDER = case({Urgency.STAT.value: 0, Urgency.URGENT.value: 1}, value=Referral.urgency, else_=2)
_STATE_ORDER = case({state.value: index for index, state in enumerate(State)}, value=Referral.state, else_=99)

_SORT_EXPRESSIONS: dict[SortKey, tuple[Any, ...]] = {
    SortKey.RECEIVED: (Referral.received_at,),
    SortKey.PATIENT: (func.lower(Referral.patient_last_name), func.lower(Referral.patient_first_name)),
    SortKey.DOB: (Referral.patient_dob,),
    SortKey.PHONE: (Referral.phone_digits,),
    SortKey.PARTNER: (Partner.name,),
    SortKey.SERVICE_LINE: (ServiceLine.name,),
    SortKey.URGENCY: (_URGENCY_ORDER,),
    SortKey.STATE: (_STATE_ORDER,),
    SortKey.OWNER: (_Owner.full_name.is_(None), _Owner.full_name),
    SortKey.ATTEMPTS: (Referral.attempt_count,),
    # Open referrals always have a next action, so no NULLS LAST term is needed (it would defeat the index).
    SortKey.DUE: (Referral.next_action_at,),
}

#: Sorts that need the partner / service line / owner joined even when only ids are fetched.
_SORT_JOINS = {SortKey.PARTNER: "partner", SortKey.SERVICE_LINE: "service_line", SortKey.OWNER: "owner"}


def open_states_term() -> ColumnElement[bool]:
    return Referral.state.in_(bindparam("open_states", _OPEN_VALUES, expanding=True, literal_execute=True))


def _conditions(db: Database, flt: QueueFilter, now: datetime) -> list[ColumnElement[bool]]:
    terms: list[ColumnElement[bool]] = []
    states = {state.value for state in flt.states}
    if states and states <= set(_OPEN_VALUES):
        terms.append(open_states_term())  # matches the partial indexes' WHERE exactly
        if states != set(_OPEN_VALUES):
            terms.append(Referral.state.in_(sorted(states)))
    elif states:
        terms.append(Referral.state.in_(sorted(states)))
    if flt.partner_ids:
        terms.append(Referral.partner_id.in_(sorted(flt.partner_ids)))
    if flt.service_line_ids:
        terms.append(Referral.service_line_id.in_(sorted(flt.service_line_ids)))
    if flt.owner_ids:
        terms.append(Referral.owner_id.in_(sorted(flt.owner_ids)))
    if flt.urgencies:
        terms.append(Referral.urgency.in_(sorted(u.value for u in flt.urgencies)))
    if flt.actions:
        terms.append(Referral.next_action.in_(sorted(action.value for action in flt.actions)))
    if flt.overdue_only:
        terms.append(Referral.next_action_at < now)
    if flt.received_from is not None:
        terms.append(Referral.received_at >= _local_midnight(flt.received_from))
    if flt.received_to is not None:
        terms.append(Referral.received_at < _local_midnight(flt.received_to, next_day=True))
    if flt.search.strip():
        terms.append(_search_term(db, plan_search(flt.search)))
    return terms


def _search_term(db: Database, plan: SearchPlan) -> ColumnElement[bool]:
    if plan.referral_id is not None:
        return Referral.id == plan.referral_id
    if plan.dob is not None:
        return Referral.patient_dob == plan.dob
    like = plan.like_terms(Referral.name_key, Referral.phone_digits)
    ids = plan.candidate_ids(db)
    if ids is not None:  # the trigram index found few enough matches: look only at those
        return and_(Referral.id.in_(ids), *like) if ids else false()
    return and_(*like)


def _local_midnight(day: date, *, next_day: bool = False) -> datetime:
    moment = datetime.combine(day, time(0, 0))
    if next_day:
        moment = datetime.fromordinal(day.toordinal() + 1)
    return as_utc(moment)


def _order_by(sort: QueueSort) -> list[Any]:
    expressions = [*_SORT_EXPRESSIONS[sort.key], Referral.id]
    return [e.desc() if sort.descending else e.asc() for e in expressions]


def _with_joins(query: Q, needed: set[str]) -> Q:
    # LEFT JOINs although both keys are NOT NULL (same rows): they keep referral the outer loop. With inner
    # joins SQLite may start from partner and sort every open row (overdue only: 2 s instead of 4 ms at 1M).
    if "partner" in needed:
        query = query.outerjoin(Partner, Partner.id == Referral.partner_id)
    if "service_line" in needed:
        query = query.outerjoin(ServiceLine, ServiceLine.id == Referral.service_line_id)
    if "owner" in needed:
        query = query.outerjoin(_Owner, _Owner.id == Referral.owner_id)
    return query


_ALL_JOINS = {"partner", "service_line", "owner"}


@contextmanager
def _reading(db: Database, should_stop: Callable[[], bool] | None) -> Iterator[Session]:
    """A read session whose query SQLite abandons as soon as ``should_stop()`` is true: a search overtaken
    by the next keystroke must not hold a worker thread for the seconds a scan can take at 1M rows."""
    with db.session() as session:
        raw = session.connection().connection.driver_connection if should_stop is not None else None
        if raw is None or not hasattr(raw, "set_progress_handler"):  # not SQLite: runs to its end
            yield session
            return
        raw.set_progress_handler(lambda: 1 if should_stop() else 0, _STOP_CHECK_STEPS)  # type: ignore[misc]
        try:
            yield session
        finally:
            raw.set_progress_handler(None, 0)


def first_page(
    db: Database,
    flt: QueueFilter,
    sort: QueueSort,
    *,
    limit: int = PAGE_SIZE,
    should_stop: Callable[[], bool] | None = None,
) -> list[QueueRow]:
    """The first ``limit`` rows: what the window paints at once when a filter changes.

    Raises:
        sqlalchemy.exc.OperationalError: ``should_stop()`` became true and SQLite stopped ("interrupted").
    """
    query = _with_joins(select(*_ROW_COLUMNS).select_from(Referral), _ALL_JOINS)
    query = query.where(*_conditions(db, flt, utc_now())).order_by(*_order_by(sort)).limit(limit)
    with _reading(db, should_stop) as session:
        return [QueueRow(*tuple(row)) for row in session.execute(query)]


def matching_ids(
    db: Database, flt: QueueFilter, sort: QueueSort, *, should_stop: Callable[[], bool] | None = None
) -> list[int]:
    """Every matching id in display order (fetched off the GUI thread; rows then come by page).

    Raises:
        sqlalchemy.exc.OperationalError: ``should_stop()`` became true and SQLite stopped ("interrupted").
    """
    needed = {_SORT_JOINS[sort.key]} if sort.key in _SORT_JOINS else set()
    query = _with_joins(select(Referral.id).select_from(Referral), needed)
    query = query.where(*_conditions(db, flt, utc_now())).order_by(*_order_by(sort))
    with _reading(db, should_stop) as session:
        return list(session.scalars(query))


def rows_by_id(db: Database, ids: Sequence[int]) -> dict[int, QueueRow]:
    """The rows for a page of ids (primary-key lookups: well under a millisecond for 200)."""
    if not ids:
        return {}
    query = _with_joins(select(*_ROW_COLUMNS).select_from(Referral), _ALL_JOINS).where(
        Referral.id.in_(list(ids))
    )
    with db.session() as session:
        return {row[0]: QueueRow(*tuple(row)) for row in session.execute(query)}


def count(db: Database, flt: QueueFilter) -> int:
    query = select(func.count()).select_from(Referral).where(*_conditions(db, flt, utc_now()))
    with db.session() as session:
        return session.scalar(query) or 0


@dataclass(frozen=True, slots=True)
class StatusCounts:
    open: int
    due_today: int
    overdue: int


def status_counts(db: Database, *, now: datetime | None = None) -> StatusCounts:
    """The status bar's three numbers, each answered from a partial index on the open rows."""
    now = now or utc_now()
    end_of_today = _local_midnight(now.astimezone().date(), next_day=True)
    open_term = open_states_term()
    with db.session() as session:
        open_count = session.scalar(select(func.count()).select_from(Referral).where(open_term)) or 0
        due = session.execute(
            select(
                func.count().filter(Referral.next_action_at < end_of_today),
                func.count().filter(Referral.next_action_at < now),
            ).where(open_term, Referral.next_action_at < end_of_today)
        ).one()
    return StatusCounts(open_count, due[0] or 0, due[1] or 0)
