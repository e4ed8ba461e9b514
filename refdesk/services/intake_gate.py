"""What other services ask of a referral's intake answers: the scheduling gate's open items, and the
referrals whose patient declined updates to the referring partner."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from refdesk.domain.models import ChecklistAnswer, IntakeItem, Referral
from refdesk.services.intake_checklist import answers_by_key, is_done
from refdesk.services.intake_scripts import current_items


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


CONSENT_KEY = "consent_updates"


def declined_updates(session: Session, *where: ColumnElement[bool]) -> set[int]:
    """The referrals (among those ``where`` selects, as terms on ``Referral``) whose patient said no to
    updates being sent to the referring partner: their newest answer to ``CONSENT_KEY`` is No. Status
    letters leave those referrals' standing out. Unanswered is not a no (the referrer sent the patient)."""
    rows = session.execute(
        select(ChecklistAnswer.referral_id, ChecklistAnswer.value)
        .join(IntakeItem, IntakeItem.id == ChecklistAnswer.item_id)
        .join(Referral, Referral.id == ChecklistAnswer.referral_id)
        .where(IntakeItem.key == CONSENT_KEY, *where)
        .order_by(ChecklistAnswer.answered_at, ChecklistAnswer.id)
    )
    newest = {referral_id: value for referral_id, value in rows}
    return {referral_id for referral_id, value in newest.items() if value is False}
