"""Every key the detail view binds, for the main window's Help → Keyboard shortcuts.

Built from the same tables that bind the keys (the contact log's quick actions, the state buttons'
mnemonics), so the help can never list a key the view does not have.
"""

from __future__ import annotations

from refdesk.domain import lifecycle
from ui.detail.contact_log import QUICK_ACTIONS
from ui.detail.state_actions import MNEMONICS, REOPEN_KEY


def shortcut_help() -> tuple[tuple[str, str], ...]:
    """(keys, what they do) for every key the detail view binds, built from the same tables that bind
    them, for the main window's Help → Keyboard shortcuts (``ui.shortcuts.DETAIL_SHORTCUTS``)."""
    rows = [(action.key, f"Log contact: {action.label.lower()}") for action in QUICK_ACTIONS]
    rows.append(("Alt+T", "Type a note for the next logged contact"))
    for state, key in MNEMONICS.items():
        verb = "Close as" if lifecycle.is_closed_outcome(state) else "Move to"
        rows.append((f"Alt+{key}", f"{verb} {lifecycle.LABELS[state]}"))
    rows.append((f"Alt+{REOPEN_KEY}", "Reopen a closed referral"))
    rows.append(("Alt+Y", "Yes to the offer in the prompt bar (close as unable to reach, confirm a visit)"))
    return tuple(rows)
