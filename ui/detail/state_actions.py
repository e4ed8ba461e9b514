"""The state buttons: exactly the moves the lifecycle allows from the current state, nothing more.

The buttons are rebuilt from ``lifecycle.allowed_targets`` each time the state changes, so this view
never decides what is allowed; it only decides how a move looks and which key reaches it.

Keys: each state keeps one Alt+letter wherever it appears (muscle memory: Alt+U is always "unable to
reach"). The letters avoid E, F, H, R and V, which the main window's menus take (Edit, File, Help,
Referrals, View), and T, Y and O, which the note field, the prompt bar and Reopen use. While the
referral is Scheduled its Scheduled and Reached buttons are not shown, and the appointment pane uses
their letters for Reschedule (S) and Confirm (C) (``ui.detail.appointment``).

The moves that are about the appointment (Scheduled, No-show, Appointment cancelled, First visit
completed) are only requested here: the detail view carries them out through the appointment pane
(booking dialog, or the appointment shown), so the state and the appointment rows never disagree.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QGroupBox, QPushButton, QVBoxLayout, QWidget

from refdesk.domain import lifecycle
from refdesk.domain.lifecycle import State
from ui.widgets import plain_label

#: The Alt+letter of each state's button. A state missing here still gets its button, without a key.
MNEMONICS: dict[State, str] = {
    State.CONTACT_ATTEMPTED: "A",
    State.REACHED: "C",
    State.SCHEDULED: "S",
    State.COMPLETED: "M",
    State.NO_SHOW: "N",
    State.APPOINTMENT_CANCELLED: "P",
    State.DECLINED_BY_CLINIC: "D",
    State.DECLINED_BY_PATIENT: "B",
    State.UNABLE_TO_REACH: "U",
    State.CANCELLED_BY_REFERRER: "L",
    State.DUPLICATE: "I",
    State.SEEN_ELSEWHERE: "W",
}
REOPEN_KEY = "O"

#: Buttons to a row: keeps the group narrow enough for a side panel at 200 % scaling.
_COLUMNS = 2


def with_mnemonic(label: str, letter: str | None) -> str:
    """``label`` with ``&`` before the first ``letter`` (any case); a literal ``&`` is escaped."""
    text = label.replace("&", "&&")
    if not letter:
        return text
    index = text.lower().find(letter.lower())
    return text if index < 0 else f"{text[:index]}&{text[index:]}"


class StateActions(QGroupBox):
    """Object name ``stateActions``. Buttons: ``moveButton`` and ``closeButton`` (property ``target`` =
    the state's value), ``reopenButton``; captions ``moveCaption``, ``closeCaption``, ``closedCaption``
    and ``finishedCaption``.

    Every button exists once and is shown or hidden as the state changes: building widgets on each
    refresh would cost more than the rest of opening a referral.

    Signals:
        move_requested(object): move forward to this State (never a closed outcome).
        close_requested(object): close in this closed-outcome State; the view asks for the reason.
        reopen_requested(): reopen the closed referral.
    """

    move_requested = Signal(object)
    close_requested = Signal(object)
    reopen_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Status", parent)
        self.setObjectName("stateActions")
        #: The buttons offered now, in order.
        self.buttons: list[QPushButton] = []
        self._state: State | None = None
        self._targets: dict[State, QPushButton] = {}
        for target in State:
            closing = lifecycle.is_closed_outcome(target)
            button = self._button(
                "closeButton" if closing else "moveButton",
                with_mnemonic(lifecycle.LABELS[target], MNEMONICS.get(target)),
                MNEMONICS.get(target),
            )
            button.setProperty("target", target.value)
            signal = self.close_requested if closing else self.move_requested
            button.clicked.connect(lambda _checked=False, t=target, s=signal: s.emit(t))
            self._targets[target] = button
        self._reopen = self._button("reopenButton", with_mnemonic("Reopen", REOPEN_KEY), REOPEN_KEY)
        self._reopen.setProperty("target", "")
        self._reopen.setToolTip(f"Reopen the referral to work it again (Alt+{REOPEN_KEY})")
        self._reopen.clicked.connect(self.reopen_requested)

        self._move_caption = plain_label(
            "moveCaption", "Move to (Alt + underlined letter):", hide_empty=False, selectable=True
        )
        self._close_caption = plain_label("closeCaption", "Close as:", hide_empty=False, selectable=True)
        self._closed_caption = plain_label(
            "closedCaption", "The referral is closed.", hide_empty=False, selectable=True
        )
        self._finished_caption = plain_label(
            "finishedCaption", "Finished: the first visit is completed.", hide_empty=False, selectable=True
        )
        self._move_grid, self._close_grid, self._reopen_grid = QGridLayout(), QGridLayout(), QGridLayout()
        layout = QVBoxLayout(self)
        for caption, grid in (
            (self._move_caption, self._move_grid),
            (self._close_caption, self._close_grid),
            (self._closed_caption, self._reopen_grid),
        ):
            layout.addWidget(caption)
            layout.addLayout(grid)
        layout.addWidget(self._finished_caption)
        self.set_state(State.RECEIVED)

    def set_state(self, state: State) -> None:
        """Offer the moves the lifecycle allows from ``state`` (or Reopen, for a closed referral)."""
        if state is self._state:
            return  # the same buttons: re-laying them out would only cost time
        self._state = state
        for button in [*self._targets.values(), self._reopen]:
            button.hide()
            for grid in (self._move_grid, self._close_grid, self._reopen_grid):
                grid.removeWidget(button)
        closed = lifecycle.is_closed_outcome(state)
        targets = () if closed else lifecycle.allowed_targets(state)
        moves = [self._targets[t] for t in targets if not lifecycle.is_closed_outcome(t)]
        closes = [self._targets[t] for t in targets if lifecycle.is_closed_outcome(t)]
        reopen = [self._reopen] if closed else []
        for grid, buttons, caption in (
            (self._move_grid, moves, self._move_caption),
            (self._close_grid, closes, self._close_caption),
            (self._reopen_grid, reopen, self._closed_caption),
        ):
            for index, button in enumerate(buttons):
                grid.addWidget(button, index // _COLUMNS, index % _COLUMNS)
                button.show()
            caption.setVisible(bool(buttons))
        self._finished_caption.setVisible(not closed and not targets)
        self.buttons = [*moves, *closes, *reopen]

    def offered(self) -> list[State]:
        """The targets of the buttons shown, in order (tests and the main window's menus read it)."""
        return [State(str(b.property("target"))) for b in self.buttons if b.property("target")]

    def _button(self, name: str, text: str, letter: str | None) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        if letter:
            button.setToolTip(f"Alt+{letter}")
        button.hide()
        return button
