"""Intake scripts and each referral's checklist: the questions the intake call goes through.

A service line has one current script (a version); editing it writes a new version, so an answer
already given keeps pointing at the item it answered and is never rewritten. Items carry a ``key`` that
lasts across versions: a referral's answer to any version of an item counts for the current one, so
rewording or moving a question does not make staff ask it again. An item the new version leaves out is
retired: its answers stay in the database and the checklist lists them apart, with the words they
answered. Changing an item's kind makes it a new question (new key): a "yes" cannot answer a date.

What "5 of 7" counts: all the current script's items (``total``), and of them those whose answer settles
them (``done``): any answer that is not empty, except that an item blocking scheduling counts only when
``is_done`` (a yes/no one by Yes: "Records on file? No" is still work to do). "Required" means the
answer cannot be emptied once given; optional items count too, because staff go through every item on
the call and "7 of 7" should mean "nothing left to ask".
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from refdesk.domain.models import ChecklistAnswer, IntakeItem, IntakeScript, Referral, ServiceLine, Staff
from refdesk.domain.times import local_today, utc_now
from refdesk.domain.vocab import ItemKind
from refdesk.errors import NotFoundError
from refdesk.paths import resource_path
from refdesk.services.actor import Actor
from refdesk.services.audit import audited
from refdesk.services.validation import Errors
from refdesk.storage import Database

#: A script longer than this is no longer one phone call; the editor refuses it.
MAX_ITEMS = 40
MAX_PROMPT_LENGTH = 500
MAX_CHOICES = 20
MAX_CHOICE_LENGTH = 100
MAX_TEXT_ANSWER = 2000
#: Answers to date items (date of injury, of a last study, of a planned surgery) lie in this window:
#: earlier is a typo in the year, later is too.
EARLIEST_ANSWER_DATE = date(1900, 1, 1)
LATEST_ANSWER_YEARS_AHEAD = 2
KEY_LENGTH = 40
DEFAULT_SCRIPT = ("intake", "default_script.json")


# --- scripts --------------------------------------------------------------------------------------


@dataclass
class ItemDraft:
    """One item as the script editor holds it. ``key`` None is a new item (it gets a fresh key)."""

    prompt: str
    kind: ItemKind
    choices: list[str] = field(default_factory=list)
    required: bool = False
    blocks_scheduling: bool = False
    key: str | None = None


@dataclass
class Script:
    """A service line's current script as the editor starts from it (version 0: the line has none)."""

    service_line_id: int
    service_line_name: str
    version: int
    created_at: datetime | None
    items: list[ItemDraft]


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


@lru_cache(maxsize=1)
def _shipped_items() -> tuple[tuple[str, str, ItemKind, tuple[str, ...], bool, bool], ...]:
    """The shipped default script, read and checked once (it is part of the program, not user data)."""
    path = resource_path(*DEFAULT_SCRIPT)
    data = json.loads(path.read_text(encoding="utf-8"))
    drafts = [
        ItemDraft(
            prompt=entry["prompt"],
            kind=ItemKind(entry["kind"]),
            choices=list(entry.get("choices", [])),
            required=bool(entry.get("required", False)),
            blocks_scheduling=bool(entry.get("blocks_scheduling", False)),
            key=entry["key"],
        )
        for entry in data["items"]
    ]
    errors = Errors()
    cleaned = _clean_drafts(errors, drafts)
    keys = [draft.key for draft in drafts]
    if errors.messages or len(set(keys)) != len(keys) or not all(keys):
        raise RuntimeError(
            f"{path} is not a valid intake script: {errors.messages or 'keys missing or repeated'}"
        )
    return tuple(
        (d.key or "", d.prompt, d.kind, tuple(d.choices), d.required, d.blocks_scheduling) for d in cleaned
    )


def default_items() -> list[ItemDraft]:
    """The shipped default script (``resources/intake/default_script.json``): domain.md's checklist, in
    the order of the call. Fresh copies each time, so a caller may edit them."""
    return [
        ItemDraft(prompt, kind, list(choices), required, blocks, key)
        for key, prompt, kind, choices, required, blocks in _shipped_items()
    ]


def ensure_script(
    session: Session, service_line: ServiceLine, *, created_by: int | None = None
) -> IntakeScript | None:
    """Give a service line that never had a script the shipped default as its version 1.

    Returns the script written, or None when the line already had one (any version: a line whose items
    were all retired on purpose is not handed the defaults again). ``service_line`` must be flushed.
    """
    had_one = session.scalar(
        select(func.count()).select_from(IntakeScript).where(IntakeScript.service_line_id == service_line.id)
    )
    if had_one:
        return None
    script = IntakeScript(service_line_id=service_line.id, version=1, current=True, created_by=created_by)
    script.items = [
        IntakeItem(
            key=draft.key,
            position=position,
            prompt=draft.prompt,
            kind=draft.kind,
            choices=list(draft.choices),
            required=draft.required,
            blocks_scheduling=draft.blocks_scheduling,
        )
        for position, draft in enumerate(default_items(), start=1)
    ]
    session.add(script)
    session.flush()
    return script


def current_script(db: Database, line_id: int) -> Script:
    """The line's current script as editable drafts (keys kept, so saving them changes nothing).

    Raises:
        NotFoundError: no such service line.
    """
    with db.session() as session:
        line = session.get(ServiceLine, line_id)
        if line is None:
            raise NotFoundError(f"Service line {line_id} does not exist.")
        script = session.scalars(
            select(IntakeScript).where(IntakeScript.service_line_id == line_id, IntakeScript.current)
        ).first()
        if script is None:
            return Script(line_id, line.name, 0, None, [])
        return Script(
            line_id, line.name, script.version, script.created_at, [_draft(i) for i in script.items]
        )


def _draft(item: IntakeItem) -> ItemDraft:
    return ItemDraft(
        item.prompt, item.kind, list(item.choices or []), item.required, item.blocks_scheduling, item.key
    )


def _clean_drafts(errors: Errors, drafts: list[ItemDraft]) -> list[ItemDraft]:
    """Tidied copies of ``drafts``; problems go to ``errors`` keyed ``items.<index>.<field>`` (index from
    0, in the drafts' order) so the editor can point at the item."""
    if len(drafts) > MAX_ITEMS:
        errors.add("items", f"A script can have at most {MAX_ITEMS} items; retire some first.")
    cleaned = []
    for index, draft in enumerate(drafts):
        where = f"items.{index}"
        prompt = " ".join(draft.prompt.split())
        if not prompt:
            errors.add(f"{where}.prompt", "Type the words staff say or check.")
        elif len(prompt) > MAX_PROMPT_LENGTH:
            errors.add(
                f"{where}.prompt", f"The wording is too long (at most {MAX_PROMPT_LENGTH} characters)."
            )
        choices: list[str] = []
        if draft.kind is ItemKind.CHOICE:
            choices = [" ".join(choice.split()) for choice in draft.choices]
            choices = [choice for choice in choices if choice]
            folded = [choice.casefold() for choice in choices]
            repeated = next((c for i, c in enumerate(choices) if folded.index(c.casefold()) != i), None)
            if len(choices) < 2:
                errors.add(f"{where}.choices", "A choice item needs at least two choices, one per line.")
            elif len(choices) > MAX_CHOICES:
                errors.add(f"{where}.choices", f"A choice item can offer at most {MAX_CHOICES} choices.")
            elif repeated is not None:
                errors.add(f"{where}.choices", f"The choice “{repeated}” is listed twice.")
            elif any(len(choice) > MAX_CHOICE_LENGTH for choice in choices):
                errors.add(f"{where}.choices", f"Each choice can be at most {MAX_CHOICE_LENGTH} characters.")
        cleaned.append(
            ItemDraft(
                prompt, draft.kind, choices, bool(draft.required), bool(draft.blocks_scheduling), draft.key
            )
        )
    return cleaned


def check_items(drafts: list[ItemDraft]) -> dict[str, str]:
    """What ``save_script`` would refuse in ``drafts``, keyed the same way, without saving anything: the
    item editor shows it before the item even goes into the list."""
    errors = Errors()
    _clean_drafts(errors, drafts)
    return errors.messages


def _same(items: list[IntakeItem], drafts: list[ItemDraft]) -> bool:
    return [_draft(item) for item in items] == drafts


def save_script(db: Database, actor: Actor, line_id: int, drafts: list[ItemDraft]) -> int:
    """Save the line's script as the editor left it and return the current version number.

    The drafts' order is the new order; a draft with key None is a new item; a current item left out
    is retired. A new version is written only when something changed (saving an untouched script
    returns the current number and writes nothing). Earlier versions and every answer given to them
    stay as they are.

    Raises:
        NotFoundError: no such service line.
        ValidationError: messages keyed ``items`` or ``items.<index>.prompt`` / ``.choices``; nothing
            is saved.
        ValueError: a draft's key is repeated or never belonged to this line (a caller's bug).
    """
    errors = Errors()
    cleaned = _clean_drafts(errors, drafts)
    if not errors.messages:
        with db.session() as session:
            script = session.scalars(
                select(IntakeScript).where(IntakeScript.service_line_id == line_id, IntakeScript.current)
            ).first()
            if script is not None and _same(list(script.items), cleaned):
                return script.version
    with audited(db, actor, "intake_script.save", "service_line", line_id) as scope:
        session = scope.session
        if session.get(ServiceLine, line_id) is None:
            raise NotFoundError(f"Service line {line_id} does not exist.")
        errors = Errors()
        cleaned = _clean_drafts(errors, drafts)
        errors.raise_if_any()
        previous = session.scalars(
            select(IntakeScript).where(IntakeScript.service_line_id == line_id, IntakeScript.current)
        ).first()
        old_items = list(previous.items) if previous is not None else []
        if previous is not None and _same(old_items, cleaned):  # someone saved the same a moment ago
            scope.detail = {"version": previous.version, "unchanged": True}
            return previous.version
        taken = set(
            session.scalars(
                select(IntakeItem.key)
                .join(IntakeScript, IntakeScript.id == IntakeItem.script_id)
                .where(IntakeScript.service_line_id == line_id)
            )
        )
        given = [draft.key for draft in cleaned if draft.key is not None]
        if len(set(given)) != len(given) or not set(given) <= taken:
            raise ValueError(f"intake item keys repeated or not of service line {line_id}: {given}")
        version = (
            session.scalar(
                select(func.max(IntakeScript.version)).where(IntakeScript.service_line_id == line_id)
            )
            or 0
        ) + 1
        if previous is not None:
            previous.current = False
        script = IntakeScript(
            service_line_id=line_id, version=version, current=True, created_by=actor.staff_id
        )
        script.items, summary = _next_items(old_items, cleaned, taken)
        session.add(script)
        session.flush()
        scope.detail = {"version": version, **summary}
        return version


def _next_items(
    old_items: list[IntakeItem], drafts: list[ItemDraft], taken: set[str]
) -> tuple[list[IntakeItem], dict[str, Any]]:
    """The new version's items from the cleaned drafts, and what changed against ``old_items`` (the
    audit's summary: keys added, reworded, changed, retired, and whether the order changed)."""
    by_key = {item.key: item for item in old_items}
    items: list[IntakeItem] = []
    added: list[str] = []
    reworded: list[str] = []
    changed: list[str] = []
    for position, draft in enumerate(drafts, start=1):
        old = by_key.get(draft.key) if draft.key is not None else None
        if old is None or old.kind is not draft.kind:
            # A new question, or a different kind of answer (a "yes" cannot answer a date): a key of its
            # own, and earlier answers stay with the wording they answered.
            key = _fresh_key(draft.prompt, taken)
            taken.add(key)
            added.append(key)
        else:
            key = old.key
            if old.prompt != draft.prompt:
                reworded.append(key)
            marks = (draft.choices, draft.required, draft.blocks_scheduling)
            if (list(old.choices or []), old.required, old.blocks_scheduling) != marks:
                changed.append(key)
        items.append(
            IntakeItem(
                key=key,
                position=position,
                prompt=draft.prompt,
                kind=draft.kind,
                choices=list(draft.choices),
                required=draft.required,
                blocks_scheduling=draft.blocks_scheduling,
            )
        )
    kept = [item.key for item in items if item.key in by_key]
    summary = {
        "added": added,
        "reworded": reworded,
        "changed": changed,
        "retired": [item.key for item in old_items if item.key not in kept],
        "reordered": kept != [item.key for item in old_items if item.key in kept],
    }
    return items, summary


def _fresh_key(prompt: str, taken: set[str]) -> str:
    """A readable key from the wording ("Recent ECG available?" → ``recent_ecg_available``), unique
    among every key the line ever used, so a retired item's answers never attach to a new question."""
    ascii_text = unicodedata.normalize("NFKD", prompt).encode("ascii", "ignore").decode().lower()
    stem = ""
    for word in re.findall(r"[a-z0-9]+", ascii_text):
        if len(stem) + len(word) + 1 > KEY_LENGTH - 6:
            break
        stem = f"{stem}_{word}" if stem else word
    stem = stem or "item"
    key, number = stem, 1
    while key in taken:
        number += 1
        key = f"{stem}_{number}"
    return key


# --- answers and the checklist --------------------------------------------------------------------


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
