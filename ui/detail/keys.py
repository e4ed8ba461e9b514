"""Every key the detail view binds, for the main window's Help → Keyboard shortcuts.

Built from the same tables that bind the keys (the contact log's quick actions, the state buttons'
mnemonics, the appointment pane's keys), so the help can never list a key the view does not have. A key
that means two things in two states (Alt+S books from Reached and reschedules while Scheduled; Alt+C
moves to Reached and confirms while Scheduled) is listed once, saying both.
"""

from __future__ import annotations

from refdesk.domain import lifecycle
from refdesk.domain.lifecycle import State
from ui.detail.appointment import CONFIRM_KEY, RESCHEDULE_KEY
from ui.detail.contact_log import QUICK_ACTIONS
from ui.detail.state_actions import MNEMONICS, REOPEN_KEY

#: The state moves that are about the appointment, in the words of what they do.
_APPOINTMENT_MOVES: dict[State, str] = {
    State.SCHEDULED: "Book the appointment (moves to Scheduled; after a no-show or cancellation: rebook)",
    State.NO_SHOW: "Record a no-show for the appointment",
    State.APPOINTMENT_CANCELLED: "Cancel the appointment (the referral stays open to rebook)",
    State.COMPLETED: "Record the first visit completed (asks first: it is final)",
}
#: The appointment pane's own keys, shown only while the referral is Scheduled.
_WHILE_SCHEDULED: dict[str, str] = {
    RESCHEDULE_KEY: "while Scheduled: reschedule the appointment",
    CONFIRM_KEY: "while Scheduled: confirm the appointment (reminder call made, text sent)",
}


#: The referral detail's side tabs, in order: the key that brings each forward, and what it shows.
SIDE_TABS: tuple[tuple[str, str], ...] = (
    ("F6", "Details"),
    ("F7", "Intake"),
    ("F8", "Records"),
)


def shortcut_help() -> tuple[tuple[str, str], ...]:
    """(keys, what they do) for every key the detail view binds, built from the same tables that bind
    them, for the main window's Help → Keyboard shortcuts (``ui.shortcuts.DETAIL_SHORTCUTS``)."""
    rows = [(action.key, f"Log contact: {action.label.lower()}") for action in QUICK_ACTIONS]
    rows.append(("Alt+T", "Type a note for the next logged contact"))
    for state, key in MNEMONICS.items():
        if state in _APPOINTMENT_MOVES:
            text = _APPOINTMENT_MOVES[state]
        else:
            verb = "Close as" if lifecycle.is_closed_outcome(state) else "Move to"
            text = f"{verb} {lifecycle.LABELS[state]}"
        if key in _WHILE_SCHEDULED:
            text += f"; {_WHILE_SCHEDULED[key]}"
        rows.append((f"Alt+{key}", text))
    for key, text in _WHILE_SCHEDULED.items():
        if key not in MNEMONICS.values():
            rows.append((f"Alt+{key}", text[0].upper() + text[1:]))
    rows.append((f"Alt+{REOPEN_KEY}", "Reopen a closed referral"))
    rows += [(key, f"Show the {title.lower()} tab") for key, title in SIDE_TABS]
    rows.append(("Alt+Y", "Yes to the offer in the prompt bar (close as unable to reach, confirm a visit)"))
    return tuple(rows)
