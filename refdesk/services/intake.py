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

The work is split by job; this module re-exports their public names so callers keep using
``refdesk.services.intake.X``:

- ``intake_scripts``: the editor's drafts, script versions and saving them;
- ``intake_defaults``: the shipped default script and giving it to a new service line;
- ``intake_checklist``: a referral's checklist, its answers and their validation;
- ``intake_gate``: the scheduling gate's open items and the consent to updates.
"""

from __future__ import annotations

from refdesk.services.intake_checklist import (
    EARLIEST_ANSWER_DATE,
    LATEST_ANSWER_YEARS_AHEAD,
    MAX_TEXT_ANSWER,
    Checklist,
    ChecklistRow,
    RetiredAnswer,
    answer,
    answers_by_key,
    checklist,
    counts_as_done,
    is_done,
)
from refdesk.services.intake_defaults import DEFAULT_SCRIPT, default_items, ensure_script
from refdesk.services.intake_gate import CONSENT_KEY, declined_updates, open_blocking_items
from refdesk.services.intake_scripts import (
    KEY_LENGTH,
    MAX_CHOICE_LENGTH,
    MAX_CHOICES,
    MAX_ITEMS,
    MAX_PROMPT_LENGTH,
    ItemDraft,
    Script,
    check_items,
    current_items,
    current_script,
    save_script,
)

__all__ = [
    "CONSENT_KEY",
    "DEFAULT_SCRIPT",
    "EARLIEST_ANSWER_DATE",
    "KEY_LENGTH",
    "LATEST_ANSWER_YEARS_AHEAD",
    "MAX_CHOICES",
    "MAX_CHOICE_LENGTH",
    "MAX_ITEMS",
    "MAX_PROMPT_LENGTH",
    "MAX_TEXT_ANSWER",
    "Checklist",
    "ChecklistRow",
    "ItemDraft",
    "RetiredAnswer",
    "Script",
    "answer",
    "answers_by_key",
    "check_items",
    "checklist",
    "counts_as_done",
    "current_items",
    "current_script",
    "declined_updates",
    "default_items",
    "ensure_script",
    "is_done",
    "open_blocking_items",
    "save_script",
]
