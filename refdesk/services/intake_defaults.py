"""The shipped default intake script, and handing it to a service line that never had a script."""

from __future__ import annotations

import json
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from refdesk.domain.models import IntakeItem, IntakeScript, ServiceLine
from refdesk.domain.vocab import ItemKind
from refdesk.paths import resource_path
from refdesk.services.intake_scripts import ItemDraft, _clean_drafts
from refdesk.services.validation import Errors

DEFAULT_SCRIPT = ("intake", "default_script.json")


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
