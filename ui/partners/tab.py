"""The Partners tab: the partner list beside the selected partner's detail.

Selecting a partner shows it (the arrow keys browse); Return opens it, putting the keyboard in its
fields; Ctrl+F from anywhere in the tab goes back to the search. Every save in the detail repaints that
partner's row in the list.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from refdesk.services.actor import Actor
from refdesk.storage import Database
from ui.partners.detail import PartnerDetail
from ui.partners.view import PartnersView, take_find_key
from ui.tasks import TaskRunner

#: Every key the tab binds, as (keys, what they do), for the main window's Help → Keyboard shortcuts.
KEYS: tuple[tuple[str, str], ...] = (
    ("Ctrl+F", "Partners: search by name, city or phone"),
    ("Down / Enter", "Partners search: go to the list"),
    ("Enter", "Partners list: open the partner (the keyboard goes to its fields)"),
    ("Alt+L", "Partners: only lapsed partners (nothing in the last N days)"),
    ("Alt+I", "Partners: show inactive partners too"),
    ("F6 / F7 / F8", "Partner: Details, Contacts, Outreach"),
    ("Alt+R", "Partner: show its referrals in the queue"),
    ("Alt+A / Alt+M", "Partner contacts: add, remove (Delete in the table too)"),
    ("Ctrl+Enter", "Partner outreach: log the touch typed"),
    ("Alt+Y", "Partner: yes to the offer in the prompt bar (remove a contact)"),
)


class PartnersTab(QWidget):
    """The whole tab. Object name ``partnersTab``; its parts are ``view`` (PartnersView) and ``detail``
    (PartnerDetail), side by side in ``splitter`` (``partnersSplitter``).

    Signals:
        open_partner_referrals(int): the user asked for this partner's referrals; the main window shows
            the queue filtered to it (``QueueFilter(partner_ids=frozenset({id}))``).
    """

    open_partner_referrals = Signal(int)

    def __init__(self, db: Database, actor: Actor, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("partnersTab")
        self.view = PartnersView(db, runner)
        self.detail = PartnerDetail(db, actor, runner)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("partnersSplitter")
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(self.detail)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([620, 660])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

        self.view.partner_selected.connect(self._selected)
        self.view.open_partner.connect(self._open)
        self.detail.changed.connect(self.view.refresh_row)
        self.detail.open_partner_referrals.connect(self.open_partner_referrals)
        self.setFocusProxy(self.view)

    def refresh(self) -> None:
        """Read the list and the partner shown again (after edits elsewhere, or F5)."""
        self.view.refresh()
        self.detail.refresh()

    def focus_search(self) -> None:
        self.view.focus_search()

    def event(self, event: QEvent) -> bool:
        # Ctrl+F from the detail side too (the list handles it when the focus is there).
        return take_find_key(event, self.focus_search) or super().event(event)

    def _selected(self, partner_id: int | None) -> None:
        if partner_id is None:
            self.detail.clear()
        else:
            self.detail.load(partner_id)

    def _open(self, partner_id: int) -> None:
        if partner_id != self.detail.partner_id:
            self.detail.load(partner_id)
        if self.detail.shown_partner_id == partner_id:
            self.detail.focus_fields()
        else:  # still being read: put the keyboard in it once it is shown
            self.detail.loaded.connect(self._focus_once, Qt.ConnectionType.SingleShotConnection)

    def _focus_once(self, _partner_id: int) -> None:
        self.detail.focus_fields()
