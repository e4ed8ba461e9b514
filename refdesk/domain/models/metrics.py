"""What the metrics read instead of a million referrals (performance.md, "Metrics"): one row of facts per
referral, and per partner and local month the sum of those rows (a cell), so that a report sums a few
hundred cells and counts from facts only the part of a month a period cuts off.

Both are derived data, always recomputable from the referrals and their history. They are kept current
in the same transaction as the change that affects them, by the session hooks registered at the bottom
of this module (here, because every process that can write a referral through the ORM imports the
models); the work itself lives in ``refdesk.services.metric_cells``. Writes that bypass the ORM (the demo
loader, a bulk import) call ``metric_cells.rebuild_all`` themselves.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, SessionTransaction, UOWTransaction, mapped_column

from refdesk.domain.models.base import Base, UTCDateTime


class MetricFact(Base):
    """What the metrics count of one referral, worked out from it, its status events and appointments.

    No foreign key on ``id``: when a referral is deleted, its fact row is what says which cell it leaves
    (the hook removes the row and recounts the cell in the same transaction).
    """

    __tablename__ = "metric_fact"
    __table_args__ = (
        Index("ix_metric_fact_partner_received", "partner_id", "received_at"),
        Index("ix_metric_fact_received_at", "received_at"),
    )

    #: The referral's id.
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    partner_id: Mapped[int]
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    service_line_id: Mapped[int]
    channel: Mapped[str] = mapped_column(String(32))
    close_reason: Mapped[str | None] = mapped_column(String(32))
    #: Yes/no facts, bit i for ``refdesk.services.metric_cells.COUNTS[i]`` (contacted, reached, ...).
    flags: Mapped[int]
    #: The histogram bucket of the minutes from receipt to acknowledgement / first attempt / the start of
    #: the first appointment booked; NULL when it has not happened.
    ack_bucket: Mapped[int | None]
    contact_bucket: Mapped[int | None]
    appointment_bucket: Mapped[int | None]

    def __repr__(self) -> str:
        return f"MetricFact(id={self.id}, partner_id={self.partner_id}, flags={self.flags})"


class MetricCell(Base):
    """The referrals one partner sent in one local month (received then), counted by what happened to them:
    the sum of their ``MetricFact`` rows.

    Every number is additive (cells of several months or partners add up, and a part of a month can be
    subtracted), which is why the time measures are histograms rather than medians (their buckets:
    ``refdesk.services.metric_cells``). A cell with no referral is not stored.
    """

    __tablename__ = "metric_cell"
    __table_args__ = (
        UniqueConstraint("partner_id", "month"),
        Index("ix_metric_cell_month", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"))
    #: The first day of the local calendar month the referrals were received in.
    month: Mapped[date] = mapped_column(Date)

    received: Mapped[int]
    #: The funnel: referrals with a contact attempt, ever reached, ever booked, first visit completed.
    contacted: Mapped[int]
    reached: Mapped[int]
    scheduled: Mapped[int]
    completed: Mapped[int]
    #: Referrals with at least one appointment missed / moved.
    no_show: Mapped[int]
    rescheduled: Mapped[int]
    #: Referrals acknowledged (first attempted) at all, and by the service line's deadline.
    ack_measured: Mapped[int]
    ack_within: Mapped[int]
    contact_measured: Mapped[int]
    contact_within: Mapped[int]

    #: Referrals by service line id, channel and close reason (JSON objects: key -> number).
    by_service_line: Mapped[dict[str, int]] = mapped_column(JSON)
    by_channel: Mapped[dict[str, int]] = mapped_column(JSON)
    close_reasons: Mapped[dict[str, int]] = mapped_column(JSON)
    #: Histograms of the minutes from receipt to acknowledgement / first attempt / the start of the first
    #: appointment booked: a number in hexadecimal holding a 32-bit count per bucket (bucket i in bits
    #: 32i to 32i + 31), so that histograms add up as numbers.
    ack_histogram: Mapped[str] = mapped_column(Text)
    contact_histogram: Mapped[str] = mapped_column(Text)
    appointment_histogram: Mapped[str] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"MetricCell(partner_id={self.partner_id}, month={self.month}, received={self.received})"


# --- keeping the cells current ----------------------------------------------------------------------------
# Registered on every Session, once, at import. The functions only hand over to the services module
# (imported on first use: the models must not import the services at import time).


def _before_flush(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    from refdesk.services import metric_cells

    metric_cells.note_changes(session)


def _before_commit(session: Session) -> None:
    from refdesk.services import metric_cells

    metric_cells.refresh_noted(session)


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        from refdesk.services import metric_cells

        metric_cells.forget_noted(session)


event.listen(Session, "before_flush", _before_flush)
event.listen(Session, "before_commit", _before_commit)
event.listen(Session, "after_transaction_end", _after_transaction_end)
