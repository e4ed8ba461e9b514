"""Partner and program metrics: the one place the Reports tab, the PDFs and the CLI get their figures.

What a coordinator asks: how many referrals each partner sends (per month, by service line and channel),
how fast the clinic answered them against the service line's targets, how far they got (the funnel), how
long patients waited for the first visit, how often they missed or moved it, and why the others did not
convert -- each beside the previous period of equal length.

The figures are defined here, once, in these dataclasses; ``compute`` fills them (see its docstring for
how it stays fast at a million referrals).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Connection, or_, select

from refdesk.domain.lifecycle import CloseReason
from refdesk.domain.models import MetricCell, Partner, ServiceLine
from refdesk.domain.vocab import Channel
from refdesk.errors import NotFoundError, OperationCancelled, ValidationError
from refdesk.services import metric_cells
from refdesk.storage import Database


@dataclass(frozen=True, slots=True)
class Period:
    """Calendar days ``start`` to ``end``, both included (local dates, as a coordinator picks them)."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of equal length just before this one (what "change" is measured against)."""
        length = timedelta(days=self.days)
        return Period(self.start - length, self.end - length)


@dataclass(frozen=True, slots=True)
class Timing:
    """How long something took from receipt, over the referrals where it happened.

    ``median_hours`` / ``p90_hours`` are clock hours (what a partner understands); ``within_target`` is
    the share (0..1) of ``measured`` done by the deadline the service line's target set for that referral
    in business hours (``ack_due_at`` / ``first_contact_due_at``). All None when nothing was measured.
    ``pending`` counts referrals where it has not happened yet (not acknowledged, never attempted).
    The median and 90th percentile are read from histograms, so they are the lower bound of their
    bucket: to 15 minutes below a day, to the hour below a week (``metric_cells.LOWER_BOUNDS``).
    """

    measured: int = 0
    median_hours: float | None = None
    p90_hours: float | None = None
    within_target: float | None = None
    pending: int = 0


@dataclass(frozen=True, slots=True)
class Funnel:
    """How far the referrals received in the period got; each stage counts those that reached it at any
    time (a referral reached and later declined still counts as reached)."""

    received: int = 0
    contacted: int = 0
    reached: int = 0
    scheduled: int = 0
    completed: int = 0

    def share(self, stage: int) -> float | None:
        """``stage`` as a share of received (None for an empty period)."""
        return stage / self.received if self.received else None


@dataclass(frozen=True, slots=True)
class Figures:
    """Every metric for one scope (one partner or the whole program) over one period."""

    received: int = 0
    #: (first day of month, referrals received) for every month the period touches, zero months included.
    by_month: tuple[tuple[date, int], ...] = ()
    #: Service line name -> referrals received, most first.
    by_service_line: tuple[tuple[str, int], ...] = ()
    by_channel: tuple[tuple[Channel, int], ...] = ()
    acknowledgement: Timing = field(default_factory=Timing)
    first_contact: Timing = field(default_factory=Timing)
    funnel: Funnel = field(default_factory=Funnel)
    #: Median days (of 24 hours, weekends included) from receipt to the start of the first appointment
    #: booked (the earliest booking, however often it was moved); to the hour within a week, to the day
    #: within nine weeks. None when none was booked.
    median_days_to_appointment: float | None = None
    #: Referrals with at least one no-show / reschedule, as a share of those scheduled (None when none).
    no_show_rate: float | None = None
    reschedule_rate: float | None = None
    #: Close reason -> referrals closed with it, most first.
    close_reasons: tuple[tuple[CloseReason, int], ...] = ()


@dataclass(frozen=True, slots=True)
class PartnerFigures:
    partner_id: int
    partner_name: str
    current: Figures
    previous: Figures


@dataclass(frozen=True, slots=True)
class Report:
    """What ``compute`` returns: the program (the partners asked for, together) and each partner."""

    period: Period
    program: Figures
    program_previous: Figures
    partners: tuple[PartnerFigures, ...]


def change(current: float | None, previous: float | None) -> float | None:
    """Relative change from ``previous`` to ``current`` (0.25 = up 25 %); None when there is no base."""
    if current is None or previous is None or previous == 0:
        return None
    return (current - previous) / previous


# --- computing them ----------------------------------------------------------------------------------------


def compute(
    db: Database,
    period: Period,
    partner_ids: Collection[int] | None = None,
    *,
    should_stop: Callable[[], bool] | None = None,
) -> Report:
    """Every figure for ``period`` and for the period of equal length before it, per partner and together.

    ``partner_ids`` None means every partner that is active or has ever sent a referral; otherwise the
    partners listed. The program figures are over those partners together; partners come by name.

    How it stays fast at a million referrals: whole months are read from the metric cells
    (``refdesk.services.metric_cells``: one row per partner and month, kept current in every write
    transaction). A month the period cuts through is counted from the referrals' stored facts (one row
    each, the rows the cells are the sums of), but only the smaller of its two parts: the part inside the
    period directly, or the part outside taken from the cell. So at most half a month is ever read row
    by row, and a part with no referrals (the rest of the current month, the time before the first
    referral) costs one index count. The current period begins in the month the previous one ends in,
    and both use the same rows. Measured at a million referrals (benchmarks/bench_metrics.py): about
    0.7 s for every partner over a year, under 2 s for the worst cut (both ends mid-month), 10-120 ms
    for one partner.

    The medians and 90th percentiles come from histograms and are rounded down to their bucket (see
    ``metric_cells``): 15 minutes below a day, an hour below a week, a day below nine weeks.

    Raises:
        ValidationError: the period ends before it starts.
        NotFoundError: one of ``partner_ids`` is not a partner.
        OperationCancelled: ``should_stop()`` returned True (checked between the steps, each well under
            a second at a million referrals).
    """
    if period.end < period.start:
        raise ValidationError({"period": "The period ends before it starts."})
    before = period.previous()
    with db.session() as session:
        connection = session.connection()
        partners = _partners(connection, partner_ids)
        wanted = None if partner_ids is None else [partner_id for partner_id, _ in partners]
        lines = {
            str(line_id): name
            for line_id, name in connection.execute(select(ServiceLine.id, ServiceLine.name))
        }
        reader = _Reader(connection, wanted, should_stop)
        reader.load(before.start, period.end)
        current = reader.period(period)
        previous = reader.period(before)
    months, months_before = (
        list(metric_cells.months(period.start, period.end)),
        list(metric_cells.months(before.start, before.end)),
    )
    return Report(
        period=period,
        program=_figures(_together(current.values()), months, lines),
        program_previous=_figures(_together(previous.values()), months_before, lines),
        partners=tuple(
            PartnerFigures(
                partner_id=partner_id,
                partner_name=name,
                current=_figures(current.get(partner_id), months, lines),
                previous=_figures(previous.get(partner_id), months_before, lines),
            )
            for partner_id, name in partners
        ),
    )


@dataclass(slots=True)
class _Scope:
    """What one partner (or the program) came to over a period: the tally and the received per month."""

    tally: metric_cells.Tally = field(default_factory=metric_cells.Tally)
    by_month: dict[date, int] = field(default_factory=dict)


class _Reader:
    """Reads the cells once for both periods and counts the edges of months from rows, each part once."""

    def __init__(
        self,
        connection: Connection,
        partner_ids: Collection[int] | None,
        should_stop: Callable[[], bool] | None,
    ) -> None:
        self.connection = connection
        self.partner_ids = partner_ids
        self.should_stop = should_stop
        self.cells: dict[date, dict[int, Sequence[Any]]] = {}
        self._counts: dict[tuple[datetime, datetime], int] = {}
        self._tallies: dict[tuple[datetime, datetime], dict[int, metric_cells.Tally]] = {}

    def load(self, first: date, last: date) -> None:
        self._check()
        self.cells = metric_cells.read_cells(self.connection, first, last, self.partner_ids)

    def period(self, period: Period) -> dict[int, _Scope]:
        start = metric_cells.day_start(period.start)
        end = metric_cells.day_start(period.end + timedelta(days=1))
        scopes: dict[int, _Scope] = {}
        for month in metric_cells.months(period.start, period.end):
            self._check()
            month_start, month_end = metric_cells.month_bounds(month)
            part = self._part(month, month_start, month_end, max(start, month_start), min(end, month_end))
            if part is None:  # the whole month: its cells as they are
                for partner_id, values in self.cells.get(month, {}).items():
                    scope = scopes.get(partner_id)
                    if scope is None:
                        scope = scopes[partner_id] = _Scope()
                    scope.tally.add_values(values)
                    scope.by_month[month] = values[0]
                continue
            for partner_id, tally in part.items():
                scope = scopes.get(partner_id)
                if scope is None:
                    scope = scopes[partner_id] = _Scope()
                scope.tally.add(tally)
                scope.by_month[month] = tally.received
        return scopes

    def _part(
        self, month: date, month_start: datetime, month_end: datetime, start: datetime, end: datetime
    ) -> Mapping[int, metric_cells.Tally] | None:
        """Each partner's tally of the referrals received in [start, end), a part of ``month``; None when
        that is the whole month's cells (the part outside holds no referral)."""
        if (start, end) == (month_start, month_end):
            return None
        outside = [(a, b) for a, b in ((month_start, start), (end, month_end)) if a < b]
        outside_count = sum(self._count(a, b) for a, b in outside)
        if outside_count == 0:
            return None
        inside_count = self._count(start, end)
        if inside_count == 0:
            return {}
        if inside_count <= outside_count:
            return self._tally(start, end)
        whole = self.cells.get(month, {})
        result = {partner_id: metric_cells.Tally.from_values(values) for partner_id, values in whole.items()}
        for a, b in outside:
            for partner_id, tally in self._tally(a, b).items():
                result.setdefault(partner_id, metric_cells.Tally()).add(tally, -1)
        return {partner_id: tally for partner_id, tally in result.items() if tally.received}

    def _count(self, start: datetime, end: datetime) -> int:
        found = self._counts.get((start, end))
        if found is None:
            self._check()
            found = self._counts[start, end] = metric_cells.count_rows(
                self.connection, start, end, self.partner_ids
            )
        return found

    def _tally(self, start: datetime, end: datetime) -> dict[int, metric_cells.Tally]:
        found = self._tallies.get((start, end))
        if found is None:
            self._check()
            found = self._tallies[start, end] = metric_cells.tally_rows(
                self.connection, start, end, self.partner_ids
            )
        return found

    def _check(self) -> None:
        if self.should_stop is not None and self.should_stop():
            raise OperationCancelled("Cancelled: the figures were not computed.")


def _partners(connection: Connection, partner_ids: Collection[int] | None) -> list[tuple[int, str]]:
    """(id, name) of the partners asked for, by name; None: the active ones and any with referrals."""
    query = select(Partner.id, Partner.name)
    if partner_ids is None:
        query = query.where(or_(Partner.active.is_(True), Partner.id.in_(select(MetricCell.partner_id))))
    else:
        wanted = sorted(set(partner_ids))
        query = query.where(Partner.id.in_(wanted))
    rows = [(partner_id, name) for partner_id, name in connection.execute(query)]
    if partner_ids is not None:
        missing = set(wanted) - {partner_id for partner_id, _ in rows}
        if missing:
            raise NotFoundError(f"No partner with id {', '.join(map(str, sorted(missing)))}.")
    return sorted(rows, key=lambda row: (row[1].casefold(), row[0]))


def _together(scopes: Iterable[_Scope]) -> _Scope:
    total = _Scope()
    for scope in scopes:
        total.tally.add(scope.tally)
        for month, number in scope.by_month.items():
            total.by_month[month] = total.by_month.get(month, 0) + number
    return total


def _figures(scope: _Scope | None, months: list[date], lines: Mapping[str, str]) -> Figures:
    if scope is None:
        scope = _Scope()
    tally = scope.tally
    counts, mappings, histograms, received = tally.counts, tally.mappings, tally.histograms, tally.received
    lead = metric_cells.quantile(histograms["appointment_histogram"], 0.5)
    return Figures(
        received=received,
        by_month=tuple((month, scope.by_month.get(month, 0)) for month in months),
        by_service_line=_ranked(
            (
                (lines.get(key, f"Service line {key}"), number)
                for key, number in mappings["by_service_line"].items()
            ),
            lambda name: name.casefold(),
        ),
        by_channel=_ranked(
            ((Channel(key), number) for key, number in mappings["by_channel"].items()), _CHANNEL_ORDER.index
        ),
        acknowledgement=_timing(
            histograms["ack_histogram"], counts["ack_measured"], counts["ack_within"], received
        ),
        first_contact=_timing(
            histograms["contact_histogram"], counts["contact_measured"], counts["contact_within"], received
        ),
        funnel=Funnel(
            received, counts["contacted"], counts["reached"], counts["scheduled"], counts["completed"]
        ),
        median_days_to_appointment=_in(lead, _MINUTES_PER_DAY),
        no_show_rate=_share(counts["no_show"], counts["scheduled"]),
        reschedule_rate=_share(counts["rescheduled"], counts["scheduled"]),
        close_reasons=_ranked(
            ((CloseReason(key), number) for key, number in mappings["close_reasons"].items()),
            _REASON_ORDER.index,
        ),
    )


_CHANNEL_ORDER = list(Channel)
_REASON_ORDER = list(CloseReason)
_MINUTES_PER_DAY = 24 * 60

K = TypeVar("K")


def _ranked(items: Iterable[tuple[K, int]], tie: Callable[[K], Any]) -> tuple[tuple[K, int], ...]:
    """Most first; ties in a stable order (names alphabetically, codes as the vocabulary lists them)."""
    return tuple(
        sorted(((key, number) for key, number in items if number), key=lambda kv: (-kv[1], tie(kv[0])))
    )


def _timing(histogram: int, measured: int, within: int, received: int) -> Timing:
    if not measured:
        return Timing(pending=received)
    median, p90 = metric_cells.quantile(histogram, 0.5), metric_cells.quantile(histogram, 0.9)
    return Timing(
        measured=measured,
        median_hours=_in(median, 60),
        p90_hours=_in(p90, 60),
        within_target=within / measured,
        pending=received - measured,
    )


def _in(minutes: float | None, unit: int) -> float | None:
    """Minutes in hours or days, rounded to 1/1000 (below the buckets' resolution) so that interpolation's
    float noise (3.2000000000000006) never shows or breaks a comparison."""
    return None if minutes is None else round(minutes / unit, 3)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None
