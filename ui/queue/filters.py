"""The queue's filter bar: search as you type, states, partner, service line, owner, urgency, next action
(appointment work), overdue, dates.

It only describes what to show (a ``QueueFilter``); it never reads the database, so typing never waits on
it. The search is debounced: the query starts once the typist pauses, and the model drops results that
newer keystrokes overtook. Partner, service line and staff lists come from the caller.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from refdesk.domain import lifecycle, next_action
from refdesk.domain.lifecycle import State
from refdesk.domain.next_action import Action
from refdesk.domain.vocab import Urgency
from refdesk.services.queue import APPOINTMENT_WORK, QueueFilter
from ui.queue.flow import FlowLayout
from ui.queue.inputs import DateEdit, SearchEdit, StickyMenu
from ui.widgets import named
from ui.widgets.dates import InputError, format_date

#: (id, name) pairs for the partner, service line and owner pickers.
Choice = tuple[int, str]

SEARCH_PLACEHOLDER = "Search name, phone, DOB or R-number  (Ctrl+F)"
#: Pause after the last keystroke before the search runs (fast typists type ~8 keys a second).
DEBOUNCE_MS = 250
SETTINGS_VERSION = 1

_OPEN = frozenset(lifecycle.OPEN_STATES)
_URGENCIES: tuple[tuple[str, frozenset[Urgency]], ...] = (
    ("Any urgency", frozenset()),
    (Urgency.STAT.label, frozenset({Urgency.STAT})),
    (f"{Urgency.URGENT.label} or {Urgency.STAT.label}", frozenset({Urgency.URGENT, Urgency.STAT})),
    (Urgency.URGENT.label, frozenset({Urgency.URGENT})),
    (Urgency.ROUTINE.label, frozenset({Urgency.ROUTINE})),
)
#: The next-action choices: any, all appointment work at once (reminders, visits to record, no-shows to
#: follow up, rebookings), then each action on its own.
_ACTIONS: tuple[tuple[str, frozenset[Action]], ...] = (
    ("Any next action", frozenset()),
    ("Appointment work", APPOINTMENT_WORK),
    *((label, frozenset({action})) for action, label in next_action.LABELS.items()),
)


class QueueFilterBar(QWidget):
    """The controls above the queue table.

    Signals:
        filter_changed(QueueFilter): the filter differs from the last one sent (search after a short pause,
            everything else at once).
        results_requested(): Down or Return in the search box (the view moves the focus to the table; a
            pending search runs first).
    """

    filter_changed = Signal(object)
    results_requested = Signal()

    def __init__(
        self,
        partners: Iterable[Choice] = (),
        service_lines: Iterable[Choice] = (),
        staff: Iterable[Choice] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("filterBar")
        self._states: frozenset[State] = _OPEN
        self._last: QueueFilter | None = None  # None until the controls are built
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self._apply)

        self.search = named(SearchEdit(self), "queueSearch")
        self.search.setPlaceholderText(SEARCH_PLACEHOLDER)
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search the queue")
        self.search.textChanged.connect(lambda _text: self._debounce.start())
        self.search.leave.connect(self._leave_search)
        self.search.escaped.connect(self._apply)

        self.states_button = named(QToolButton(self), "stateFilter")
        self.states_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.states_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self._build_state_menu()

        self.overdue = named(QCheckBox("&Overdue only", self), "overdueOnly")
        self.overdue.setToolTip("Only referrals whose next action is past due")
        self.overdue.toggled.connect(self._apply)
        self.clear_button = named(QToolButton(self), "clearFilters")
        self.clear_button.setText("Clear filters")
        self.clear_button.setToolTip("Show every open referral again (Ctrl+Shift+X)")
        self.clear_button.clicked.connect(self.clear)

        self.partner = self._combo("partnerFilter", "Any partner", "Partner")
        self.service_line = self._combo("serviceLineFilter", "Any service line", "Service line")
        self.owner = self._combo("ownerFilter", "Any owner", "Owner")
        self.urgency = self._combo("urgencyFilter", _URGENCIES[0][0], "Urgency")
        for text, _ in _URGENCIES[1:]:
            self.urgency.addItem(text)
        self.action = self._combo("actionFilter", _ACTIONS[0][0], "Next action")
        for text, _ in _ACTIONS[1:]:
            self.action.addItem(text)
        self.received_from = self._date("receivedFrom", "from", "Received on or after this day")
        self.received_to = self._date("receivedTo", "to", "Received on or before this day")
        self.set_choices(partners, service_lines, staff)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.search, 1)
        top.addWidget(self.states_button)
        top.addWidget(self.overdue)
        top.addWidget(self.clear_button)
        dates = QWidget(self)
        dates_row = QHBoxLayout(dates)
        dates_row.setContentsMargins(0, 0, 0, 0)
        dates_row.addWidget(QLabel("Received", dates))
        dates_row.addWidget(self.received_from)
        dates_row.addWidget(QLabel("–", dates))
        dates_row.addWidget(self.received_to)
        more = FlowLayout()
        more.setContentsMargins(0, 0, 0, 0)
        for widget in (self.partner, self.service_line, self.owner, self.urgency, self.action, dates):
            more.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addLayout(more)
        self._last = self.filter()
        self._sync()

    # --- public -------------------------------------------------------------------------------------

    def filter(self) -> QueueFilter:
        """What the controls say now (a search still waiting for its pause included)."""
        return QueueFilter(
            states=self._states,
            partner_ids=_one(self.partner.currentData()),
            service_line_ids=_one(self.service_line.currentData()),
            owner_ids=_one(self.owner.currentData()),
            urgencies=_URGENCIES[max(self.urgency.currentIndex(), 0)][1],
            actions=_ACTIONS[max(self.action.currentIndex(), 0)][1],
            overdue_only=self.overdue.isChecked(),
            received_from=self._date_of(self.received_from),
            received_to=self._date_of(self.received_to),
            search=self.search.text().strip(),
        )

    def set_filter(self, flt: QueueFilter) -> None:
        """Show ``flt``. A combo shows one choice, so of several ids only the smallest known one is kept."""
        widgets = (
            self.search,
            self.partner,
            self.service_line,
            self.owner,
            self.urgency,
            self.action,
            self.overdue,
        )
        for widget in (*widgets, self.received_from, self.received_to):
            widget.blockSignals(True)
        try:
            self._states = flt.states
            self.search.setText(flt.search)
            for combo, ids in (
                (self.partner, flt.partner_ids),
                (self.service_line, flt.service_line_ids),
                (self.owner, flt.owner_ids),
            ):
                found = [i for i in (combo.findData(value) for value in sorted(ids)) if i > 0]
                combo.setCurrentIndex(found[0] if found else 0)
            matches = [i for i, (_, value) in enumerate(_URGENCIES) if value == flt.urgencies]
            self.urgency.setCurrentIndex(matches[0] if matches else 0)
            chosen = [i for i, (_, value) in enumerate(_ACTIONS) if value == flt.actions]
            self.action.setCurrentIndex(chosen[0] if chosen else 0)
            self.overdue.setChecked(flt.overdue_only)
            self.received_from.set_value(flt.received_from)
            self.received_to.set_value(flt.received_to)
        finally:
            for widget in (*widgets, self.received_from, self.received_to):
                widget.blockSignals(False)
        self._apply()

    def clear(self) -> None:
        """Back to the default: every open referral, no search."""
        self.set_filter(QueueFilter())

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def set_choices(
        self, partners: Iterable[Choice], service_lines: Iterable[Choice], staff: Iterable[Choice]
    ) -> None:
        """Fill the pickers (again, after partners or staff changed), keeping each choice still offered."""
        for combo, choices in (
            (self.partner, partners),
            (self.service_line, service_lines),
            (self.owner, staff),
        ):
            current = combo.currentData()
            combo.blockSignals(True)
            while combo.count() > 1:
                combo.removeItem(1)
            for choice_id, name in choices:
                combo.addItem(name, choice_id)
            combo.setCurrentIndex(max(combo.findData(current), 0) if current is not None else 0)
            combo.blockSignals(False)
        self._apply()

    def to_settings(self) -> dict[str, Any]:
        """The filter as JSON-able values, to remember between runs. The search text is left out on
        purpose: a forgotten search would make the queue look empty the next morning."""
        flt = self.filter()
        return {
            "version": SETTINGS_VERSION,
            "states": sorted(state.value for state in flt.states),
            "partner_ids": sorted(flt.partner_ids),
            "service_line_ids": sorted(flt.service_line_ids),
            "owner_ids": sorted(flt.owner_ids),
            "urgencies": sorted(urgency.value for urgency in flt.urgencies),
            "actions": sorted(action.value for action in flt.actions),
            "overdue_only": flt.overdue_only,
            "received_from": flt.received_from.isoformat() if flt.received_from else None,
            "received_to": flt.received_to.isoformat() if flt.received_to else None,
        }

    def from_settings(self, settings: Mapping[str, Any]) -> None:
        """Restore ``to_settings()`` output; anything unknown or malformed (a partner since removed) is
        dropped quietly and the rest still applies."""
        if not isinstance(settings, Mapping):  # e.g. a hand-edited settings file
            settings = {}  # type: ignore[unreachable]
        states = _values(settings.get("states"), State)
        if states is None or (not states and settings.get("states")):
            states = _OPEN
        self.set_filter(
            QueueFilter(
                states=states,
                partner_ids=_ids(settings.get("partner_ids"), self.partner),
                service_line_ids=_ids(settings.get("service_line_ids"), self.service_line),
                owner_ids=_ids(settings.get("owner_ids"), self.owner),
                urgencies=_values(settings.get("urgencies"), Urgency) or frozenset(),
                actions=_values(settings.get("actions"), Action) or frozenset(),
                overdue_only=settings.get("overdue_only") is True,
                received_from=_iso_date(settings.get("received_from")),
                received_to=_iso_date(settings.get("received_to")),
                search=self.search.text().strip(),
            )
        )

    # --- inside -------------------------------------------------------------------------------------

    def _combo(self, name: str, any_text: str, label: str) -> QComboBox:
        combo = named(QComboBox(self), name)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(12)
        combo.setAccessibleName(label)
        combo.setToolTip(label)
        combo.addItem(any_text, None)
        combo.currentIndexChanged.connect(self._apply)
        return combo

    def _date(self, name: str, placeholder: str, tip: str) -> DateEdit:
        edit = named(DateEdit(self), name)
        edit.setPlaceholderText(placeholder)
        edit.setToolTip(f"{tip} (MM/DD/YYYY); empty for any day")
        edit.setAccessibleName(tip)
        edit.editingFinished.connect(lambda: self._tidy(edit))
        return edit

    def _build_state_menu(self) -> None:
        menu = StickyMenu(self.states_button)
        menu.setObjectName("stateFilterMenu")
        self._open_action = QAction("Open (default)", menu, checkable=True)
        self._open_action.triggered.connect(lambda: self._set_states(_OPEN))
        menu.addAction(self._open_action)
        menu.addSeparator()
        self._state_actions: dict[State, QAction] = {}
        for state, label in lifecycle.LABELS.items():
            action = QAction(label, menu, checkable=True)
            action.setProperty("sticky", True)
            action.triggered.connect(lambda checked, s=state: self._toggle_state(s, checked))
            menu.addAction(action)
            self._state_actions[state] = action
        menu.addSeparator()
        self._all_action = QAction("All", menu, checkable=True)
        self._all_action.triggered.connect(lambda: self._set_states(frozenset()))
        menu.addAction(self._all_action)
        self.states_button.setMenu(menu)

    def _toggle_state(self, state: State, checked: bool) -> None:
        self._set_states(self._states | {state} if checked else self._states - {state})

    def _set_states(self, states: frozenset[State]) -> None:
        self._states = frozenset(states)
        self._apply()

    def _date_of(self, edit: DateEdit) -> date | None:
        try:
            value, problem = edit.value(), ""
        except InputError as error:
            value, problem = None, str(error)
        if edit.property("invalid") != bool(problem):
            edit.setProperty("invalid", bool(problem))
            edit.style().unpolish(edit)
            edit.style().polish(edit)
        return value

    def _tidy(self, edit: DateEdit) -> None:
        """Rewrite an understood date as MM/DD/YYYY (what was understood is what is shown), then apply."""
        try:
            value = edit.value()
        except InputError:
            value = None
        if value is not None and edit.text() != format_date(value):
            edit.set_value(value)
        self._apply()

    def _leave_search(self) -> None:
        self._apply()
        self.results_requested.emit()

    def _apply(self) -> None:
        """Send the filter if it changed (a pending search is included, so its timer stops)."""
        self._debounce.stop()
        if self._last is None:
            return
        flt = self.filter()
        self._sync()
        if flt != self._last:
            self._last = flt
            self.filter_changed.emit(flt)

    def _sync(self) -> None:
        """Bring the state menu's ticks, the state button's text and the clear button up to date."""
        states = self._states
        self._open_action.setChecked(states == _OPEN)
        self._all_action.setChecked(not states)
        for state, action in self._state_actions.items():
            action.setChecked(state in states)
        if states == _OPEN:
            text = "Open"
        elif not states:
            text = "All"
        elif len(states) == 1:
            text = lifecycle.LABELS[next(iter(states))]
        else:
            text = f"{len(states)} states"
        self.states_button.setText(f"State: {text}")
        self.states_button.setToolTip(
            "Show referrals in these states: "
            + (", ".join(lifecycle.LABELS[s] for s in lifecycle.LABELS if s in states) or "any")
        )
        self.clear_button.setEnabled(self.filter() != QueueFilter())


def _one(value: object) -> frozenset[int]:
    return frozenset({value}) if isinstance(value, int) else frozenset()


def _ids(value: object, combo: QComboBox) -> frozenset[int]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        return frozenset()
    numbers = {int(v) for v in value if isinstance(v, int | str) and str(v).isdigit()}
    return frozenset(n for n in numbers if combo.findData(n) > 0)


def _values(value: object, kind: Any) -> frozenset[Any] | None:
    if not isinstance(value, Sequence) or isinstance(value, str):
        return None
    known = {member.value: member for member in kind}
    return frozenset(known[v] for v in value if isinstance(v, str) and v in known)


def _iso_date(value: object) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
