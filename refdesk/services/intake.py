"""Intake scripts and each referral's checklist: the questions the intake call goes through.

A service line has one current script (a version); editing it writes a new version, so an answer
already given keeps pointing at the item it answered. Items carry a ``key`` that lasts across versions:
a referral's answer to any version of an item counts for the current one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from refdesk.domain.models import ChecklistAnswer, IntakeItem, IntakeScript, Referral
from refdesk.domain.vocab import ItemKind


def current_items(session: Session, service_line_id: int) -> list[IntakeItem]:
    """The current script's items for ``service_line_id``, in order (empty when it has no script)."""
    return list(
        session.scalars(
            select(IntakeItem)
            .join(IntakeScript, IntakeScript.id == IntakeItem.script_id)
            .where(IntakeScript.service_line_id == service_line_id, IntakeScript.current)
            .order_by(IntakeItem.position)
        )
    )


def answers_by_key(session: Session, referral_id: int) -> dict[str, ChecklistAnswer]:
    """The referral's answers by item key; when several versions of an item were answered, the newest."""
    rows = session.execute(
        select(IntakeItem.key, ChecklistAnswer)
        .join(IntakeItem, IntakeItem.id == ChecklistAnswer.item_id)
        .where(ChecklistAnswer.referral_id == referral_id)
        .order_by(ChecklistAnswer.answered_at, ChecklistAnswer.id)
    )
    return {key: answer for key, answer in rows.tuples()}


def is_done(kind: ItemKind, value: Any) -> bool:
    """Whether an answer settles its item: an empty answer does not, and a yes/no item is settled by
    "yes" only ("Required records on file? No" still blocks scheduling)."""
    if value is None:
        return False
    if kind is ItemKind.YES_NO:
        return value is True
    if isinstance(value, str):
        return bool(value.strip())
    return True


def open_blocking_items(session: Session, referral: Referral) -> list[str]:
    """The prompts of the current script's scheduling-blocking items this referral has not settled,
    in script order: what the scheduling gate lists when it refuses."""
    items = [item for item in current_items(session, referral.service_line_id) if item.blocks_scheduling]
    if not items:
        return []
    answers = answers_by_key(session, referral.id)
    return [
        item.prompt
        for item in items
        if item.key not in answers or not is_done(item.kind, answers[item.key].value)
    ]
