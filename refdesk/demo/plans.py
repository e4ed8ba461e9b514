"""What the referral stream needs to know about the directory: plain data, cheap to hand to a worker.

The directory is written by ``directory`` (through SQLAlchemy); the stream runs in worker processes
that should not have to import SQLAlchemy, so what it needs travels as these small picklable plans.
"""

from __future__ import annotations

from dataclasses import dataclass

from refdesk.demo.catalog import ServiceLineSpec
from refdesk.domain.vocab import ItemKind, PartnerCategory


@dataclass(frozen=True, slots=True)
class ItemPlan:
    item_id: int
    kind: ItemKind
    choices: tuple[str, ...]
    blocks_scheduling: bool
    #: The item's key: which answers make sense (a language for the interpreter item, not a ride).
    key: str = ""


@dataclass(frozen=True, slots=True)
class LinePlan:
    """A service line as the database has it (an existing line keeps its own targets)."""

    id: int
    spec: ServiceLineSpec
    ack_hours: int
    first_contact_hours: int
    max_attempts: int
    items: tuple[ItemPlan, ...]


@dataclass(slots=True)
class PartnerPlan:
    id: int
    category: PartnerCategory
    weight: float
    #: The partner refers between these moments (epoch seconds): new partners start late, lapsed stop early.
    active_from: int
    active_until: int
    line_cum: list[float]
    channel_cum: list[float]
    clinicians: tuple[str, ...]
