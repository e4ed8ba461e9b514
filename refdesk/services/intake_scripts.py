"""Intake scripts: a service line's versioned list of intake items, and the editor's drafts of it.

A service line has one current script (a version); editing it writes a new version, so an answer
already given keeps pointing at the item it answered and is never rewritten. Items carry a ``key`` that
lasts across versions: a referral's answer to any version of an item counts for the current one, so
rewording or moving a question does not make staff ask it again. An item the new version leaves out is
retired. Changing an item's kind makes it a new question (new key): a "yes" cannot answer a date.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from refdesk.domain.models import IntakeItem, IntakeScript, ServiceLine
from refdesk.domain.vocab import ItemKind
from refdesk.errors import NotFoundError
from refdesk.services.actor import Actor
from refdesk.services.audit import audited
from refdesk.services.service_lines import check_can_change_settings
from refdesk.services.validation import Errors
from refdesk.storage import Database

#: A script longer than this is no longer one phone call; the editor refuses it.
MAX_ITEMS = 40
MAX_PROMPT_LENGTH = 500
MAX_CHOICES = 20
MAX_CHOICE_LENGTH = 100
KEY_LENGTH = 40


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
        AccessDenied: a front desk account (scripts are for those who run the clinic's settings).
    """
    check_can_change_settings(db, actor, "intake_script.save", "service_line", line_id)
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
