"""One partner, worked from the keyboard: who they are and how to reach them, the agreement, the people
there, the outreach cadence and touch log, and a button to this partner's referrals in the queue.

Every field saves itself when the user leaves it (``update_partner`` on the task runner); a refusal is
shown under the field and nothing else changes. The header (figures, next touch due) is re-read after
each save; the fields are only re-filled when another partner is shown, so a re-read never overwrites
what is being typed.

Keys: F6 Details, F7 Contacts, F8 Outreach (each puts the cursor in its first field); Alt+R shows this
partner's referrals; Alt+Y answers the prompt bar (removing a contact).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QBoxLayout,
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from refdesk.domain.times import local_today, to_local, utc_now
from refdesk.domain.vocab import AgreementStatus, ContactMethod, OutreachCadence, PartnerCategory
from refdesk.errors import ValidationError
from refdesk.services import partners
from refdesk.services.actor import Actor
from refdesk.services.partners import PARTNER_FIELDS, PartnerRecord, PartnerRow
from refdesk.storage import Database
from ui.detail.bars import MessageBar, PromptBar, scrolling
from ui.errors import user_message
from ui.partners.contacts import ContactsPane
from ui.partners.fields import FieldSet
from ui.partners.model import is_overdue, touch_tip
from ui.partners.outreach import OutreachPane
from ui.tasks import TaskHandle, TaskRunner
from ui.widgets import named, plain_label
from ui.widgets.choices import ChoiceCombo
from ui.widgets.dates import DateLineEdit, format_date
from ui.widgets.text import PlainTextField

#: The detail's tabs, in order: the key that brings each forward, and its title.
TABS: tuple[tuple[str, str], ...] = (("F6", "Details"), ("F7", "Contacts"), ("F8", "Outreach"))
TAB_DETAILS, TAB_CONTACTS, TAB_OUTREACH = range(3)
#: Below this width (in average characters) the Details groups stack in one column.
TWO_COLUMNS_EM = 105

#: The Details tab: two columns of groups, each a list of fields (the cadence lives on the Outreach tab).
_GROUPS: tuple[tuple[tuple[str, tuple[str, ...]], ...], ...] = (
    (
        ("Partner", ("name", "category", "npi", "active")),
        ("Channels", ("phone", "fax", "email", "portal", "preferred_update_channel")),
    ),
    (
        ("Address", ("address_line1", "address_line2", "city", "region", "postal_code")),
        ("Agreement", ("agreement_status", "agreement_date", "agreement_scope")),
        ("Notes", ("notes",)),
    ),
)
_PLACEHOLDERS = {
    "phone": "(555) 201-4477",
    "fax": "(555) 201-4478",
    "email": "referrals@example.org",
    "portal": "Portal name or web address",
    "npi": "10 digits",
    "address_line2": "Suite, floor",
}


def _make(name: str) -> QWidget:
    if name == "category":
        return ChoiceCombo([(c, c.label) for c in PartnerCategory])
    if name == "preferred_update_channel":
        return ChoiceCombo([(None, "Not stated"), *((m, m.label) for m in ContactMethod)])
    if name == "agreement_status":
        return ChoiceCombo([(s, s.label) for s in AgreementStatus])
    if name == "outreach_cadence":
        return ChoiceCombo([(c, c.label) for c in OutreachCadence])
    if name == "agreement_date":
        return DateLineEdit()
    if name in {"agreement_scope", "notes"}:
        return PlainTextField(lines=3)
    if name == "active":
        box = QCheckBox("Active: offered when entering a referral")
        box.setToolTip("Untick for a partner that no longer refers (its referrals stay)")
        return box
    return QLineEdit(placeholderText=_PLACEHOLDERS.get(name, ""))


def figures_text(row: PartnerRow, today: date | None = None) -> str:
    """The partner's referral figures in one line, with how long ago the last one came (what "lapsed"
    is about)."""
    if row.last_referral_at is None:
        return "No referrals yet."
    today = today or local_today()
    plural = "s" if row.recent_referrals != 1 else ""
    day = to_local(row.last_referral_at).date()
    days = (today - day).days
    ago = "today" if days <= 0 else "yesterday" if days == 1 else f"{days:,} days ago"
    return (
        f"{row.recent_referrals:,} referral{plural} in the last 12 months · "
        f"last received {format_date(day)} ({ago})"
    )


def due_text(row: PartnerRow) -> str:
    """What the Outreach tab says is due: the list's tooltip for the same row, so the two never differ."""
    return touch_tip(row, utc_now())


class PartnerDetail(QWidget):
    """One partner. Construct once, then ``load(partner_id)`` per partner.

    Object names: ``partnerTitle``, ``partnerSubtitle``, ``partnerFigures``, ``partnerReferrals`` (the
    "Show referrals" button), ``partnerTabs``, the fields by their Partner column names.

    Signals:
        changed(int): something of this partner (the id) was saved: a field, a contact, a touch.
        loaded(int): the partner was read and shown (after ``load`` and after every re-read).
        open_partner_referrals(int): the user asked for this partner's referrals (the queue, filtered).
    """

    changed = Signal(int)
    loaded = Signal(int)
    open_partner_referrals = Signal(int)

    def __init__(self, db: Database, actor: Actor, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db, self._actor, self._runner = db, actor, runner
        self._partner_id: int | None = None
        self._shown_id: int | None = None
        self._pending: TaskHandle | None = None
        self._two_columns: bool | None = None
        self.setObjectName("partnerDetail")
        self._build()

    # --- building -----------------------------------------------------------------------------------

    def _build(self) -> None:
        self.messages = MessageBar()
        self.prompt = PromptBar()
        self.placeholder = plain_label(
            "partnerPlaceholder", "Choose a partner from the list (Enter).", hide_empty=False, selectable=True
        )
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.title = named(QLabel(), "partnerTitle")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        # style.qss gives section titles their look by the object name "sectionTitle"; this label is named
        # for what it shows, so it carries the same look itself
        self.title.setStyleSheet("font-size: 13pt; font-weight: 600; color: #1f4e66;")
        self.title.setWordWrap(True)
        self.subtitle = plain_label("partnerSubtitle", hide_empty=False, selectable=True)
        self.figures = plain_label("partnerFigures", hide_empty=False, selectable=True)
        self.referrals_button = named(QPushButton("Show &referrals"), "partnerReferrals")
        self.referrals_button.setToolTip("Open the queue filtered to this partner's referrals (Alt+R)")
        self.referrals_button.clicked.connect(self._ask_referrals)
        header = QWidget()
        header.setObjectName("partnerHeader")
        header_layout = QHBoxLayout(header)
        header_layout.setContentsMargins(0, 0, 0, 0)
        words = QVBoxLayout()
        words.setSpacing(2)
        words.addWidget(self.title)
        words.addWidget(self.subtitle)
        words.addWidget(self.figures)
        header_layout.addLayout(words, 1)
        header_layout.addWidget(self.referrals_button, 0, Qt.AlignmentFlag.AlignTop)

        self.fields = FieldSet(self)
        self.fields.edited.connect(self._save_field)
        self.tabs = named(QTabWidget(), "partnerTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(scrolling(self._details_page(), "partnerDetailsPane"), TABS[TAB_DETAILS][1])
        self.contacts = ContactsPane(self._db, self._actor, self._runner, self.messages, self.prompt)
        self.contacts.changed.connect(self._written)
        self.contacts.count_changed.connect(
            lambda count: self.tabs.setTabText(TAB_CONTACTS, f"Contacts ({count})")
        )
        self.tabs.addTab(scrolling(self.contacts, "partnerContactsPane"), TABS[TAB_CONTACTS][1])
        cadence = _make("outreach_cadence")
        cadence_box = self.fields.add("outreach_cadence", cadence, PARTNER_FIELDS["outreach_cadence"])
        self.outreach = OutreachPane(self._db, self._actor, self._runner, self.messages, cadence_box)
        self.outreach.changed.connect(self._written)
        self.tabs.addTab(self.outreach, TABS[TAB_OUTREACH][1])
        for index, (key, _title) in enumerate(TABS):
            self.tabs.setTabToolTip(index, key)
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(lambda i=index: self.show_tab(i))

        self.body = QWidget()
        body_layout = QVBoxLayout(self.body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        body_layout.addWidget(header)
        body_layout.addWidget(self.tabs, 1)
        self.body.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.messages)
        layout.addWidget(self.prompt)
        layout.addWidget(self.placeholder, 1)
        layout.addWidget(self.body, 1)

    def _details_page(self) -> QWidget:
        page = QWidget()
        self._columns = QBoxLayout(QBoxLayout.Direction.LeftToRight, page)
        for column in _GROUPS:
            stack = QVBoxLayout()
            for title, names in column:
                stack.addWidget(self._group(title, names))
            stack.addStretch(1)
            self._columns.addLayout(stack, 1)
        return page

    def _group(self, title: str, names: tuple[str, ...]) -> QGroupBox:
        group = QGroupBox(title)
        group.setObjectName(f"{title.lower()}Group")
        form = QFormLayout(group)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        for name in names:
            label = PARTNER_FIELDS[name] + (" *" if name == "name" else "")
            widget = _make(name)
            box = self.fields.add(name, widget, PARTNER_FIELDS[name], keep_empty=name == "name")
            if isinstance(widget, QCheckBox):
                form.addRow(box)
            elif name == "notes":
                form.addRow(box)  # the group's title says what it is
            else:
                row_label = QLabel(label)
                row_label.setBuddy(widget)
                form.addRow(row_label, box)
        return group

    # --- public -------------------------------------------------------------------------------------

    @property
    def partner_id(self) -> int | None:
        """The partner asked for last (``load``)."""
        return self._partner_id

    @property
    def shown_partner_id(self) -> int | None:
        """The partner whose fields are on screen (None while another is being read)."""
        return self._shown_id

    def load(self, partner_id: int) -> None:
        """Show ``partner_id`` (read on the runner; ``loaded`` follows). Loading the partner already
        shown re-reads its header, contacts and touches but keeps what is typed in its fields."""
        if partner_id != self._partner_id:
            self.flush()  # an edit still in a field belongs to the partner it was typed for
            self.messages.clear()
            self.prompt.clear()
            # Until the new partner arrives nothing typed is saved: it would land on the one shown before.
            self._shown_id = None
            self.contacts.detach()
            self.outreach.detach()
        self._partner_id = partner_id
        self._fetch()

    def clear(self) -> None:
        """Show no partner (the list has none selected)."""
        self.flush()
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        self._partner_id = self._shown_id = None
        self.contacts.detach()
        self.outreach.detach()
        self.messages.clear()
        self.prompt.clear()
        self.body.hide()
        self.placeholder.show()

    def refresh(self) -> None:
        if self._partner_id is not None:
            self._fetch()

    def flush(self) -> None:
        """Save a field still being typed (the cursor has not left it yet)."""
        if self._shown_id is not None:
            self.fields.flush()
            self.contacts.flush()

    def show_tab(self, index: int) -> None:
        """Bring Details, Contacts or Outreach forward with the cursor in its first field (F6–F8)."""
        self.tabs.setCurrentIndex(index)
        if index == TAB_DETAILS:
            self.fields.widget("name").setFocus(Qt.FocusReason.ShortcutFocusReason)
        elif index == TAB_CONTACTS:
            target = self.contacts.table if self.contacts.model.rowCount() else self.contacts.add_button
            target.setFocus(Qt.FocusReason.ShortcutFocusReason)
        else:
            self.outreach.kind.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def focus_fields(self) -> None:
        """Put the keyboard in the partner (the tab opened last, its first field): Enter in the list."""
        if self.body.isVisible():
            self.show_tab(self.tabs.currentIndex())

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Two columns of groups when there is room, one when the pane is narrow, so no field is cut."""
        two = event.size().width() >= TWO_COLUMNS_EM * self.fontMetrics().averageCharWidth()
        if two != self._two_columns:
            self._two_columns = two
            direction = QBoxLayout.Direction.LeftToRight if two else QBoxLayout.Direction.TopToBottom
            self._columns.setDirection(direction)
        super().resizeEvent(event)

    # --- reading ------------------------------------------------------------------------------------

    def _fetch(self) -> None:
        if self._pending is not None:
            self._pending.cancel()  # an older read must not paint over a newer one
        partner_id = self._partner_id
        assert partner_id is not None
        db = self._db
        self._pending = self._runner.submit(
            lambda _context: partners.get_partner_detail(db, partner_id),
            on_done=self._show,
            on_error=lambda error: self._load_failed(partner_id, error),
        )

    def _load_failed(self, partner_id: int, error: BaseException) -> None:
        if partner_id != self._partner_id:
            return
        self.messages.show_message(user_message(error))
        if self._shown_id != partner_id:
            self.body.hide()
            self.placeholder.show()

    def _show(self, detail: PartnerRecord) -> None:
        partner = detail.partner
        if partner.id != self._partner_id:
            return
        another = partner.id != self._shown_id
        if another:
            self.fields.set_values({name: getattr(partner, name) for name in self.fields.names})
        self._shown_id = partner.id
        row = detail.figures
        self.title.setText(partner.name)
        where = ", ".join(part for part in (partner.city, partner.region) if part)
        words = [partner.category.label, where, "" if partner.active else "Inactive"]
        self.subtitle.setText(" · ".join(word for word in words if word))
        self.figures.setText(figures_text(row))
        self.referrals_button.setText(f"Show &referrals ({row.open_referrals:,} open)")
        self.contacts.set_contacts(partner.id, detail.contacts)
        self.outreach.set_partner(partner.id, detail.touches, due_text(row), is_overdue(row, utc_now()))
        self.placeholder.hide()
        self.body.show()
        self.loaded.emit(partner.id)

    # --- writing ------------------------------------------------------------------------------------

    def _save_field(self, name: str, value: Any) -> None:
        """Save one partner field at once; a refusal is shown at the field, nothing else is touched."""
        partner_id = self._shown_id
        if partner_id is None:
            return
        db, actor = self._db, self._actor

        def saved(stored: dict[str, Any]) -> None:
            if partner_id == self._shown_id:
                self.fields.saved(name, stored[name], value)
            self._written(partner_id)

        def refused(error: BaseException) -> None:
            if partner_id != self._shown_id:
                self.messages.show_message(user_message(error))
            elif isinstance(error, ValidationError):
                elsewhere = self.fields.show_errors(error.errors)
                if elsewhere:
                    self.messages.show_message(" ".join(elsewhere.values()))
            else:
                self.messages.show_message(user_message(error))

        self._runner.submit(
            lambda _context: partners.update_partner(db, actor, partner_id, {name: value}),
            on_done=saved,
            on_error=refused,
        )

    def _written(self, partner_id: int) -> None:
        """A save succeeded: re-read the header (and lists) if the partner is still shown; tell the tab."""
        if partner_id == self._partner_id:
            self._fetch()
        self.changed.emit(partner_id)

    def _ask_referrals(self) -> None:
        if self._shown_id is not None:
            self.flush()
            self.open_partner_referrals.emit(self._shown_id)
