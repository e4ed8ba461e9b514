"""A referral's intake checklist: the current script's items with its answers, and recording an answer.

Retired items' answers stay in the database and the checklist lists them apart, with the words they
answered.

What "5 of 7" counts: all the current script's items (``total``), and of them those whose answer settles
them (``done``): any answer that is not empty, except that an item blocking scheduling counts only when
``is_done`` (a yes/no one by Yes: "Records on file? No" is still work to do). "Required" means the
answer cannot be emptied once given; optional items count too, because staff go through every item on
the call and "7 of 7" should mean "nothing left to ask".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from refdesk.domain.models import ChecklistAnswer, IntakeItem, IntakeScript, Referral, Staff
from refdesk.domain.times import local_today, utc_now
from refdesk.domain.vocab import ItemKind
from refdesk.errors import NotFoundError
from refdesk.services.actor import Actor
from refdesk.services.audit import audited
from refdesk.services.intake_scripts import current_items
from refdesk.services.validation import Errors
from refdesk.storage import Database

MAX_TEXT_ANSWER = 2000
#: Answers to date items (date of injury, of a last study, of a planned surgery) lie in this window:
#: earlier is a typo in the year, later is too.
EARLIEST_ANSWER_DATE = date(1900, 1, 1)
LATEST_ANSWER_YEARS_AHEAD = 2


def answers_by_key(session: Session, referral_id: int) -> dict[str, ChecklistAnswer]:
    """The referral's answers by item key; when several versions of an item were answered, the newest."""
    rows = session.execute(
        select(IntakeItem.key, ChecklistAnswer)
        .join(IntakeItem, IntakeItem.id == ChecklistAnswer.item_id)
        .where(ChecklistAnswer.referral_id == referral_id)
        .order_by(ChecklistAnswer.answered_at, ChecklistAnswer.id)
    )
    return {key: answer for key, answer in rows}


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


def _given(value: Any) -> bool:
    """Whether there is an answer at all (No is an answer; an empty text is not)."""
    return value is not None and not (isinstance(value, str) and not value.strip())


def counts_as_done(kind: ItemKind, blocks_scheduling: bool, value: Any) -> bool:
    """Whether an answer counts towards "5 of 7" (see the module's docstring)."""
    return is_done(kind, value) if blocks_scheduling else _given(value)


@dataclass(frozen=True, slots=True)
class ChecklistRow:
    """One current item with the referral's answer (``value`` as the kind takes it: bool, str, date)."""

    key: str
    item_id: int
    prompt: str
    kind: ItemKind
    choices: tuple[str, ...]
    required: bool
    blocks_scheduling: bool
    value: Any
    answered_at: datetime | None
    answered_by: str | None
    #: The wording the answer was given to, when it was an earlier version's different wording.
    answered_prompt: str | None
    done: bool

    @property
    def blocking_open(self) -> bool:
        """Blocks scheduling and is not settled: the scheduling gate would refuse because of it."""
        return self.blocks_scheduling and not self.done


@dataclass(frozen=True, slots=True)
class RetiredAnswer:
    """An answer to an item the current script no longer asks, with the words it answered (read-only)."""

    key: str
    prompt: str
    kind: ItemKind
    value: Any
    version: int
    answered_at: datetime
    answered_by: str | None


@dataclass(frozen=True, slots=True)
class Checklist:
    """A referral's intake checklist: the current script's items with their answers, and the answers
    given to items since retired. ``version`` is 0 when the line has no script."""

    referral_id: int
    service_line_id: int
    version: int
    items: tuple[ChecklistRow, ...]
    retired: tuple[RetiredAnswer, ...]

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def done(self) -> int:
        return sum(row.done for row in self.items)

    @property
    def progress(self) -> str:
        """``"5 of 7"``: settled items of all the current items (see the module's docstring)."""
        return f"{self.done} of {self.total}"

    @property
    def open_blocking(self) -> list[str]:
        """The prompts that would make the scheduling gate refuse, in script order."""
        return [row.prompt for row in self.items if row.blocking_open]

    def row(self, key: str) -> ChecklistRow:
        return next(row for row in self.items if row.key == key)


def _from_stored(kind: ItemKind, stored: Any) -> Any:
    """A stored answer as its kind takes it (dates are kept as ISO text in the JSON column)."""
    if kind is ItemKind.DATE and isinstance(stored, str):
        try:
            return date.fromisoformat(stored)
        except ValueError:
            return stored
    return stored


def _to_stored(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _row(item: IntakeItem, found: tuple[ChecklistAnswer, IntakeItem, int, str | None] | None) -> ChecklistRow:
    """A current item with the newest answer to any version of it (``found``: the answer, the item
    version it answered, that version's number and who answered)."""
    answer, answered_item, _version, name = found if found is not None else (None, None, 0, None)
    value = _from_stored(item.kind, answer.value) if answer is not None else None
    earlier = answered_item.prompt if answered_item is not None else None
    return ChecklistRow(
        key=item.key,
        item_id=item.id,
        prompt=item.prompt,
        kind=item.kind,
        choices=tuple(item.choices or ()),
        required=item.required,
        blocks_scheduling=item.blocks_scheduling,
        value=value,
        answered_at=answer.answered_at if answer is not None else None,
        answered_by=name,
        answered_prompt=earlier if earlier != item.prompt else None,
        done=counts_as_done(item.kind, item.blocks_scheduling, value),
    )


def checklist(db: Database, referral_id: int) -> Checklist:
    """The referral's checklist: current items in order with the newest answer to any version of each.

    Raises:
        NotFoundError: no such referral.
    """
    with db.session() as session:
        referral = session.get(Referral, referral_id)
        if referral is None:
            raise NotFoundError(f"Referral {referral_id} does not exist.")
        items = current_items(session, referral.service_line_id)
        version = session.scalar(
            select(IntakeScript.version).where(
                IntakeScript.service_line_id == referral.service_line_id, IntakeScript.current
            )
        )
        answered = session.execute(
            select(ChecklistAnswer, IntakeItem, IntakeScript.version, Staff.full_name)
            .join(IntakeItem, IntakeItem.id == ChecklistAnswer.item_id)
            .join(IntakeScript, IntakeScript.id == IntakeItem.script_id)
            .outerjoin(Staff, Staff.id == ChecklistAnswer.answered_by)
            .where(ChecklistAnswer.referral_id == referral_id)
            .order_by(ChecklistAnswer.answered_at, ChecklistAnswer.id)
        ).all()
        newest = {
            item.key: (answer, item, answered_version, name)
            for answer, item, answered_version, name in answered
        }
        rows = []
        current_keys = set()
        for item in items:
            found = newest.get(item.key)
            if found is not None and found[1].kind is not item.kind:
                found = None  # cannot happen through save_script; such an answer is listed as retired
            else:
                current_keys.add(item.key)
            rows.append(_row(item, found))
        retired = [
            RetiredAnswer(
                key=key,
                prompt=item.prompt,
                kind=item.kind,
                value=_from_stored(item.kind, answer.value),
                version=answered_version,
                answered_at=answer.answered_at,
                answered_by=name,
            )
            for key, (answer, item, answered_version, name) in newest.items()
            if key not in current_keys and _given(answer.value)
        ]
        retired.sort(key=lambda entry: entry.answered_at)
        return Checklist(referral_id, referral.service_line_id, version or 0, tuple(rows), tuple(retired))


def _clean_answer(errors: Errors, item: IntakeItem, value: Any) -> Any:
    """The answer as stored for ``item``'s kind, or None for "no answer"; problems go to ``errors``
    under the item's key. Messages never repeat what was typed (they may be logged and audited)."""
    where = item.key
    if isinstance(value, str) and item.kind is not ItemKind.TEXT:
        value = value.strip() or None
    cleaned: Any = None
    if value is None:
        pass
    elif item.kind is ItemKind.YES_NO:
        if isinstance(value, bool):
            cleaned = value
        else:
            errors.add(where, "Answer yes or no.")
    elif item.kind is ItemKind.TEXT:
        if not isinstance(value, str):
            raise TypeError(f"a text answer must be str, not {type(value).__name__}")
        cleaned = value.strip() or None
        if cleaned is not None and len(cleaned) > MAX_TEXT_ANSWER:
            errors.add(where, f"The answer is too long (at most {MAX_TEXT_ANSWER} characters).")
    elif item.kind is ItemKind.CHOICE:
        if value in (item.choices or []):
            cleaned = value
        else:
            errors.add(where, "Choose one of the listed answers.")
    else:
        cleaned = _clean_date(errors, where, value)
    if cleaned is None and item.required and where not in errors.messages:
        errors.add(where, "This item needs an answer; it cannot be left empty.")
    return cleaned


def _clean_date(errors: Errors, where: str, value: Any) -> date | None:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            errors.add(where, "That is not a real date.")
            return None
    if not isinstance(value, date):
        raise TypeError(f"a date answer must be a date, not {type(value).__name__}")
    today = local_today()
    try:
        latest = today.replace(year=today.year + LATEST_ANSWER_YEARS_AHEAD)
    except ValueError:  # 29 February
        latest = today.replace(year=today.year + LATEST_ANSWER_YEARS_AHEAD, day=28)
    if value < EARLIEST_ANSWER_DATE:
        errors.add(where, f"The date cannot be before {EARLIEST_ANSWER_DATE:%Y}; check the year.")
    elif value > latest:
        errors.add(
            where, f"The date cannot be more than {LATEST_ANSWER_YEARS_AHEAD} years ahead; check the year."
        )
    return value


def answer(db: Database, actor: Actor, referral_id: int, item_key: str, value: Any) -> Any:
    """Record the referral's answer to the current script's item ``item_key`` and return it as stored
    for the kind (text trimmed; None when cleared).

    ``value`` by kind: yes/no a bool, text a str (at most 2000 characters), choice one of the item's
    choices, date a ``date`` (or ISO text) from 1900 to two years ahead. None or empty text clears an
    optional item's answer; a required item refuses it. The row written is the current item's (updated
    when it exists): an answer given to an earlier version of the item is never touched, and a cleared
    answer is kept as an empty row so the earlier one does not count again.

    Raises:
        NotFoundError: no such referral, or the item is no longer in the line's current script.
        ValidationError: one message keyed by ``item_key``; nothing is saved.
    """
    with audited(db, actor, "referral.answer", "referral", referral_id) as scope:
        session = scope.session
        referral = session.get(Referral, referral_id)
        if referral is None:
            raise NotFoundError(f"Referral {referral_id} does not exist.")
        item = next((i for i in current_items(session, referral.service_line_id) if i.key == item_key), None)
        if item is None:
            raise NotFoundError(
                "That item is no longer in the service line's intake script; reopen the checklist."
            )
        errors = Errors()
        cleaned = _clean_answer(errors, item, value)
        errors.raise_if_any()
        stored = _to_stored(cleaned)
        previous = answers_by_key(session, referral_id).get(item_key)
        old = previous.value if previous is not None else None
        scope.detail = {"item": item_key, "old": old, "new": stored}
        if old == stored:  # the same answer (to this or an earlier wording): nothing to write
            scope.detail["unchanged"] = True
            return cleaned
        row = session.scalars(
            select(ChecklistAnswer).where(
                ChecklistAnswer.referral_id == referral_id, ChecklistAnswer.item_id == item.id
            )
        ).first()
        if row is None:
            row = ChecklistAnswer(referral_id=referral_id, item_id=item.id)
            session.add(row)
        row.value = stored
        row.answered_at = utc_now()
        row.answered_by = actor.staff_id
        return cleaned


#: The shipped script's item in which the patient says whether updates may go to the referring partner.
