"""The partner list: its filter, its rows with their per-partner figures, search and sort (see
``partners`` for why it is built this way)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from refdesk.domain.formats import fold
from refdesk.domain.models import Partner, PartnerTouch, Referral
from refdesk.domain.times import utc_now
from refdesk.domain.vocab import OutreachCadence, PartnerCategory
from refdesk.services.partner_cadence import add_months, next_touch_due
from refdesk.services.queue import open_states_term
from refdesk.storage import Database

#: "Lapsed": referred before, but nothing in this many days (the list's default).
LAPSED_DAYS = 90
#: The window of the list's "referrals in the last 12 months" figure.
RECENT_MONTHS = 12

_DIGITS = re.compile(r"\D")
#: A search of this many digits or more (and nothing but phone characters) is a phone search.
_PHONE_SEARCH_DIGITS = 3
_PHONE_CHARS = re.compile(r"^[\d\s()+.\-]+$")


# --- the list -----------------------------------------------------------------------------------------


class PartnerSort(StrEnum):
    NAME = "name"
    CATEGORY = "category"
    CITY = "city"
    PHONE = "phone"
    RECENT = "recent"
    LAST_REFERRAL = "last_referral"
    OPEN = "open"
    NEXT_TOUCH = "next_touch"


@dataclass(frozen=True)
class PartnerFilter:
    """What the partner list shows. The default: every active partner."""

    #: Words that must each appear in the name or city, or digits in the phone or fax (any case, accents).
    search: str = ""
    #: Only this category (None: any).
    category: PartnerCategory | None = None
    #: Only lapsed partners: at least one referral ever, none in the last ``lapsed_days`` days.
    lapsed_days: int | None = None
    #: Partners marked inactive are hidden unless this is set.
    include_inactive: bool = False


@dataclass(frozen=True, slots=True)
class PartnerRow:
    """One line of the partner list, as plain values (cheap to hold, safe to hand across threads)."""

    id: int
    name: str
    category: PartnerCategory
    city: str | None
    phone: str | None
    active: bool
    outreach_cadence: OutreachCadence
    #: Referrals received in the last 12 months.
    recent_referrals: int
    last_referral_at: datetime | None
    open_referrals: int
    last_touch_at: datetime | None
    #: When the next outreach touch is due (None: no cadence); see ``next_touch_due``.
    next_touch_due: datetime | None


def _figures(now: datetime) -> tuple[Any, Any, Any, Any]:
    """The per-partner figures as correlated subqueries, each answered from an index by ``partner_id``."""
    since = add_months(now, -RECENT_MONTHS)
    # ORDER BY ... LIMIT 1 rather than max(): one seek to the end of the partner's index range, sure
    last_referral = (
        select(Referral.received_at)
        .where(Referral.partner_id == Partner.id)
        .order_by(Referral.received_at.desc())
        .limit(1)
        .correlate(Partner)
        .scalar_subquery()
    )
    recent = (
        select(func.count())
        .select_from(Referral)
        .where(Referral.partner_id == Partner.id, Referral.received_at >= since)
        .correlate(Partner)
        .scalar_subquery()
    )
    # the same literal IN list as the partial index's WHERE, so SQLite counts from that index
    open_count = (
        select(func.count())
        .select_from(Referral)
        .where(Referral.partner_id == Partner.id, open_states_term())
        .correlate(Partner)
        .scalar_subquery()
    )
    last_touch = (
        select(func.max(PartnerTouch.at))
        .where(PartnerTouch.partner_id == Partner.id)
        .correlate(Partner)
        .scalar_subquery()
    )
    return last_referral, recent, open_count, last_touch


def list_query(flt: PartnerFilter, *, now: datetime, ids: Sequence[int] | None = None) -> Select[Any]:
    """The list's query (without the search, which ``list_partner_rows`` resolves to ``ids``); public so
    the test can read its plan."""
    last_referral, recent, open_count, last_touch = _figures(now)
    query = select(
        Partner.id,
        Partner.name,
        Partner.category,
        Partner.city,
        Partner.phone,
        Partner.active,
        Partner.outreach_cadence,
        recent,
        last_referral,
        open_count,
        last_touch,
    )
    query = query.where(*_partner_terms(flt))
    if flt.lapsed_days is not None:
        query = query.where(last_referral < now - timedelta(days=max(flt.lapsed_days, 0)))
    if ids is not None:
        query = query.where(Partner.id.in_(list(ids)))
    return query


def _partner_terms(flt: PartnerFilter) -> list[ColumnElement[bool]]:
    terms: list[ColumnElement[bool]] = []
    if not flt.include_inactive:
        terms.append(Partner.active.is_(True))
    if flt.category is not None:
        terms.append(Partner.category == flt.category)
    return terms


def search_matches(search: str, name: str, city: str | None, phone: str | None, fax: str | None) -> bool:
    """Whether a partner matches a search: phone digits (3 or more) anywhere in its phone or fax, or else
    every word somewhere in its name or city, ignoring case and accents."""
    entry = search.strip()
    digits = _DIGITS.sub("", entry)
    if _PHONE_CHARS.match(entry) and len(digits) >= _PHONE_SEARCH_DIGITS:
        return any(digits in _DIGITS.sub("", number) for number in (phone, fax) if number)
    haystack = _fold(f"{name} {city or ''}")
    return all(word in haystack for word in _fold(entry).split())


def _fold(text: str) -> str:
    """``formats.fold``, with a shortcut for plain ASCII (most names): the same result at a tenth of the
    cost, which is most of a search over a few thousand partners."""
    return " ".join(text.lower().split()) if text.isascii() else fold(text)


def _search_ids(session: Session, flt: PartnerFilter) -> list[int]:
    query = select(Partner.id, Partner.name, Partner.city, Partner.phone, Partner.fax).where(
        *_partner_terms(flt)
    )
    return [
        pid
        for pid, name, city, phone, fax in session.execute(query)
        if search_matches(flt.search, name, city, phone, fax)
    ]


def _rows(session: Session, query: Select[Any], now: datetime) -> list[PartnerRow]:
    rows = []
    for values in session.execute(query):
        (pid, name, category, city, phone, active, cadence, recent, last_referral, open_count, last_touch) = (
            tuple(values)
        )
        rows.append(
            PartnerRow(
                pid,
                name,
                category,
                city,
                phone,
                bool(active),
                cadence,
                recent or 0,
                last_referral,
                open_count or 0,
                last_touch,
                next_touch_due(cadence, last_touch, now),
            )
        )
    return rows


def list_partner_rows(
    db: Database,
    flt: PartnerFilter = PartnerFilter(),  # noqa: B008 - frozen, so a shared default is safe
    sort: PartnerSort = PartnerSort.NAME,
    *,
    descending: bool = False,
    now: datetime | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> list[PartnerRow]:
    """Every partner the filter lets through, with its figures, in ``sort`` order.

    ``should_stop``: checked between the search and the figures, so a search overtaken by the next
    keystroke does not count figures nobody will see (it then returns an empty list).
    """
    now = now or utc_now()
    with db.session() as session:
        ids = _search_ids(session, flt) if flt.search.strip() else None
        if ids == [] or (should_stop is not None and should_stop()):
            return []
        rows = _rows(session, list_query(flt, now=now, ids=ids), now)
    return sort_rows(rows, sort, descending=descending)


def partner_rows_by_id(
    db: Database, ids: Iterable[int], *, now: datetime | None = None
) -> dict[int, PartnerRow]:
    """The list rows of these partners whatever the filter (to repaint a row after an edit)."""
    now = now or utc_now()
    wanted = list(ids)
    if not wanted:
        return {}
    with db.session() as session:
        query = list_query(PartnerFilter(include_inactive=True), now=now, ids=wanted)
        return {row.id: row for row in _rows(session, query, now)}


def _sort_value(row: PartnerRow, sort: PartnerSort) -> tuple[Any, ...]:
    """(is-missing, value): rows without a value sort after those with one, in either direction."""
    if sort is PartnerSort.NAME:
        return (False, _fold(row.name))
    if sort is PartnerSort.CATEGORY:
        return (False, row.category.label)
    if sort is PartnerSort.CITY:
        return (not row.city, _fold(row.city or ""))
    if sort is PartnerSort.PHONE:
        return (not row.phone, _DIGITS.sub("", row.phone or ""))
    if sort is PartnerSort.RECENT:
        return (False, row.recent_referrals)
    if sort is PartnerSort.OPEN:
        return (False, row.open_referrals)
    moment = row.last_referral_at if sort is PartnerSort.LAST_REFERRAL else row.next_touch_due
    return (moment is None, moment.timestamp() if moment is not None else 0.0)


def sort_rows(rows: Iterable[PartnerRow], sort: PartnerSort, *, descending: bool = False) -> list[PartnerRow]:
    """``rows`` in ``sort`` order, ties by name; rows lacking the value (no city, never referred, no
    cadence) always last. Each key is computed once per row: folding names is most of the cost."""
    keyed = sorted(
        ((_sort_value(row, sort), _fold(row.name), row.id, row) for row in rows), key=lambda k: k[1:3]
    )
    present = [k for k in keyed if not k[0][0]]
    missing = [k for k in keyed if k[0][0]]
    present.sort(key=lambda k: k[0][1], reverse=descending)  # stable: ties stay in name order
    return [k[3] for k in present + missing]
