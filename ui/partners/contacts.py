"""A partner's people: the table of contacts (roles, decision makers, who receives status updates) and
the selected contact's fields under it, each saved when the user leaves it.

A new contact is saved as soon as it has a name (whichever field the user leaves first after typing
it), so nothing typed waits for a Save button; until then the form says so. Removing asks first, in the
prompt bar (Alt+Y), not in a modal box that would take the keyboard away.

Keys: Alt+A adds a contact, Alt+M removes the selected one (Delete in the table does too), Return in the
table moves to the contact's fields.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from refdesk.errors import ValidationError
from refdesk.services import partners
from refdesk.services.actor import Actor
from refdesk.services.partners import ContactData, ContactRow
from refdesk.storage import Database
from ui.detail.bars import MessageBar, PromptBar
from ui.errors import user_message
from ui.partners.fields import FieldSet
from ui.tasks import TaskRunner
from ui.widgets import named, plain_label
from ui.widgets.tables import ID_ROLE, SORT_ROLE, RowsModel, fit_columns, read_only_rows
from ui.widgets.text import PlainTextField

PROMPT_REMOVE_CONTACT = "remove_contact"
#: The check mark for the decision-maker and receives-updates columns (read out as "Yes").
MARK = "✓"

_HEADERS = ("Name", "Role", "Decides", "Updates", "Phone", "Email")
_TIPS = (
    None,
    None,
    "Decision maker",
    "Receives status updates (letters are addressed to this person)",
    None,
    None,
)
_MARKS = (2, 3)
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_ACCESSIBLE = int(Qt.ItemDataRole.AccessibleTextRole)
_CENTER = int(Qt.AlignmentFlag.AlignCenter)

LABELS: dict[str, str] = {
    "name": "Name",
    "role": "Role",
    "decision_maker": "Decision maker",
    "receives_updates": "Receives status updates",
    "phone": "Phone",
    "fax": "Fax",
    "email": "Email",
    "notes": "Notes",
}
#: Typical content per column (the last, email, takes the rest).
_WIDTHS = {0: "Zoltán Delacroix", 1: "Office manag", 2: "Decides", 3: "Updates", 4: "(000) 000-0000 x00"}
NEW_HINT = "New contact: it is saved as soon as it has a name."


class ContactsModel(RowsModel[ContactRow]):
    """One partner's contacts (a handful of rows, held whole). No signals of its own."""

    HEADERS = _HEADERS
    HEADER_TIPS = _TIPS

    def row_of(self, contact_id: int) -> int | None:
        return next((i for i, row in enumerate(self._rows) if row.id == contact_id), None)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        contact, column = self._rows[index.row()], index.column()
        raw: tuple[Any, ...] = (
            contact.name,
            contact.role,
            contact.decision_maker,
            contact.receives_updates,
            contact.phone,
            contact.email,
        )
        value = raw[column]
        if role == _DISPLAY:
            if column in _MARKS:
                return MARK if value else ""
            return value or ""
        if role == _ACCESSIBLE and column in _MARKS:
            return "Yes" if value else "No"
        if role == _ALIGNMENT and column in _MARKS:
            return _CENTER
        if role == _TOOLTIP:
            if column in _MARKS:
                return _TIPS[column] if value else None
            return value or None  # the whole text of a cell cut short
        if role == ID_ROLE:
            return contact.id
        if role == SORT_ROLE:
            return value
        return None


class _ContactTable(QTableView):
    """Return moves to the contact's fields; Delete asks to remove it.

    Signals:
        edit_requested(): Return or Enter on a row.
        remove_requested(): Delete on a row.
    """

    edit_requested = Signal()
    remove_requested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.currentIndex().isValid():
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.edit_requested.emit()
                return
            if event.key() == Qt.Key.Key_Delete:
                self.remove_requested.emit()
                return
        super().keyPressEvent(event)


class ContactsPane(QWidget):
    """The contacts of the partner shown. Object names: ``contactTable``, ``addContact``,
    ``removeContact``, ``contactHint``, the fields by their ContactData names inside ``contactForm``.

    Signals:
        changed(int): a contact of this partner (the id) was added, edited or removed.
        count_changed(int): how many contacts the partner has (for the tab's title).
    """

    changed = Signal(int)
    count_changed = Signal(int)

    def __init__(
        self,
        db: Database,
        actor: Actor,
        runner: TaskRunner,
        messages: MessageBar,
        prompt: PromptBar,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db, self._actor, self._runner = db, actor, runner
        self._messages, self._prompt = messages, prompt
        self._partner_id: int | None = None
        self._contact_id: int | None = None
        self._new = False
        self._creating = False
        #: Fields finished while the new contact was being created: sent once it exists.
        self._pending: dict[str, Any] = {}
        self.setObjectName("contactsPane")

        self.add_button = named(QPushButton("&Add contact"), "addContact")
        self.add_button.setToolTip("Add a person at this partner (Alt+A)")
        self.add_button.clicked.connect(self.start_new)
        self.remove_button = named(QPushButton("Re&move contact…"), "removeContact")
        self.remove_button.setToolTip("Remove the selected contact (Alt+M, or Delete in the table)")
        self.remove_button.clicked.connect(self.ask_remove)
        self.hint = plain_label("contactHint")

        self.model = ContactsModel(self)
        self.table = _ContactTable()
        self.table.setObjectName("contactTable")
        self.table.setModel(self.model)
        self.table.setAccessibleName("Contacts")
        read_only_rows(self.table)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.horizontalHeader().setStretchLastSection(True)
        fit_columns(self.table, _WIDTHS)
        # room for about five contacts; more scroll
        self._fitted = False
        self._size_table()
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.table.edit_requested.connect(self.focus_form)
        self.table.remove_requested.connect(self.ask_remove)

        self.fields = FieldSet(self)
        self.fields.edited.connect(self._edited)
        self.form_box = QGroupBox("Contact")
        self.form_box.setObjectName("contactForm")
        form = QFormLayout(self.form_box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.addRow("Name *", self.fields.add("name", QLineEdit(), LABELS["name"], keep_empty=True))
        role = QLineEdit(placeholderText="e.g. Office manager, Physician, Care coordinator")
        form.addRow("Role", self.fields.add("role", role, LABELS["role"]))
        marks = QHBoxLayout()
        marks.addWidget(
            self.fields.add("decision_maker", QCheckBox(LABELS["decision_maker"]), LABELS["decision_maker"])
        )
        updates = QCheckBox(LABELS["receives_updates"])
        updates.setToolTip("Status letters are addressed to this person (one per partner)")
        marks.addWidget(self.fields.add("receives_updates", updates, LABELS["receives_updates"]))
        marks.addStretch(1)
        form.addRow("", marks)
        form.addRow("Phone", self.fields.add("phone", QLineEdit(placeholderText="(555) 201-4477"), "Phone"))
        form.addRow("Fax", self.fields.add("fax", QLineEdit(placeholderText="(555) 201-4478"), "Fax"))
        form.addRow("Email", self.fields.add("email", QLineEdit(placeholderText="name@example.org"), "Email"))
        form.addRow("Notes", self.fields.add("notes", PlainTextField(lines=2), "Notes"))
        for name in self.fields.names:
            box = self.fields.widget(name).parentWidget()
            label = form.labelForField(box) if box is not None else None
            if isinstance(label, QLabel):
                label.setBuddy(self.fields.widget(name))

        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.table)
        layout.addWidget(self.hint)
        layout.addWidget(self.form_box)
        layout.addStretch(1)
        self._show_form(None)

    def showEvent(self, event: QShowEvent) -> None:
        if not self._fitted:
            self._fitted = True
            fit_columns(self.table, _WIDTHS)
            self._size_table()
        super().showEvent(event)

    def _size_table(self) -> None:
        """Room for about five contacts with the header; more scroll."""
        rows = self.table.verticalHeader().defaultSectionSize()
        header = self.table.horizontalHeader().sizeHint().height()
        self.table.setMinimumHeight(header + rows * 3)
        self.table.setMaximumHeight(header + rows * 6 + 4)

    # --- public -------------------------------------------------------------------------------------

    @property
    def contact_id(self) -> int | None:
        return self._contact_id

    def set_contacts(self, partner_id: int, rows: list[ContactRow]) -> None:
        """Show ``rows``. For another partner the form starts over on its first contact; for the same
        partner (a re-read after a save) the contact being edited stays, fields as typed."""
        same = partner_id == self._partner_id
        if not same:
            self._new, self._creating, self._pending = False, False, {}
            self._contact_id = None
        self._partner_id = partner_id
        keep = self._contact_id
        self.model.set_rows(rows)
        self.count_changed.emit(len(rows))
        if keep is not None and self.model.row_of(keep) is not None:
            self._select(keep)
            self._update_hint()
        elif self._new:
            self._update_hint()
        elif rows:
            self._contact_id = rows[0].id
            self._select(rows[0].id)
            self._show_form(rows[0])
        else:
            self._contact_id = None
            self._show_form(None)

    def flush(self) -> None:
        """Send a field still being typed (before another partner is shown)."""
        self.fields.flush()

    def detach(self) -> None:
        """Another partner is being read: until ``set_contacts`` shows it, edits are not saved anywhere."""
        self._partner_id = self._contact_id = None
        self._new, self._creating, self._pending = False, False, {}

    def start_new(self) -> None:
        """Empty the form for a new contact and put the cursor in its name (Alt+A)."""
        if self._partner_id is None:
            return
        self.fields.flush()
        self._new, self._creating, self._pending = True, False, {}
        self._contact_id = None
        self.table.clearSelection()
        self._show_form(ContactRow(0, self._partner_id, "", None, False, False, None, None, None, None))
        self.fields.widget("name").setFocus(Qt.FocusReason.OtherFocusReason)

    def focus_form(self) -> None:
        if self.form_box.isEnabled():
            self.fields.widget("name").setFocus(Qt.FocusReason.OtherFocusReason)

    def ask_remove(self) -> None:
        """Ask in the prompt bar whether to remove the selected contact (Alt+M, Delete)."""
        contact = self._selected_contact()
        if contact is None or self._partner_id is None:
            return
        partner_id = self._partner_id
        self._prompt.ask(
            PROMPT_REMOVE_CONTACT,
            f"Remove {contact.name} from this partner's contacts?",
            "&Yes, remove",
            lambda: self._remove(partner_id, contact.id),
        )
        self._prompt.accept_button.setFocus(Qt.FocusReason.OtherFocusReason)

    # --- inside -------------------------------------------------------------------------------------

    def _selected_contact(self) -> ContactRow | None:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def _select(self, contact_id: int) -> None:
        row = self.model.row_of(contact_id)
        if row is not None:
            self.table.selectRow(row)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        contact = self.model.row_at(current.row()) if current.isValid() else None
        if contact is None or contact.id == self._contact_id:
            return
        self.fields.flush()  # an edit still in a field belongs to the contact it was typed for
        self._new, self._creating, self._pending = False, False, {}
        self._contact_id = contact.id
        self._show_form(contact)

    def _show_form(self, contact: ContactRow | None) -> None:
        values = asdict(contact) if contact is not None else {}
        self.fields.set_values(values)
        self.form_box.setEnabled(contact is not None)
        self.remove_button.setEnabled(self._contact_id is not None)
        if contact is None:
            self.form_box.setTitle("Contact")
        elif self._new:
            self.form_box.setTitle("New contact")
        else:
            self.form_box.setTitle(f"Contact: {contact.name}")
        self._update_hint()

    def _update_hint(self) -> None:
        if self._new:
            text = NEW_HINT
        elif self.model.rowCount() == 0 and self._partner_id is not None:
            text = "No contacts yet: add the office manager or the clinical lead (Alt+A)."
        else:
            text = ""
        self.hint.setText(text)
        self.hint.setVisible(bool(text))

    def _edited(self, name: str, value: Any) -> None:
        partner_id = self._partner_id
        if partner_id is None:
            return
        if self._new:
            if self._creating:
                self._pending[name] = value
            else:
                self._create(partner_id)
            return
        contact_id = self._contact_id
        if contact_id is None:
            return
        self._update(partner_id, contact_id, {name: value})

    def _update(self, partner_id: int, contact_id: int, changes: dict[str, Any]) -> None:
        db, actor = self._db, self._actor

        def saved(stored: dict[str, Any]) -> None:
            if contact_id == self._contact_id:
                for name, value in changes.items():
                    self.fields.saved(name, stored[name], value)
                if "name" in stored:
                    self.form_box.setTitle(f"Contact: {stored['name']}")
            self.changed.emit(partner_id)

        self._runner.submit(
            lambda _context: partners.update_contact(db, actor, contact_id, changes),
            on_done=saved,
            on_error=lambda error: self._refused(contact_id, error),
        )

    def _create(self, partner_id: int) -> None:
        values = self.fields.values()
        if not str(values.get("name") or "").strip():
            self._update_hint()
            return
        data = ContactData(**{f.name: values[f.name] for f in fields(ContactData) if f.name in values})
        data.decision_maker, data.receives_updates = bool(data.decision_maker), bool(data.receives_updates)
        self._creating = True
        db, actor = self._db, self._actor

        def create(_context: object) -> ContactRow:
            contact_id = partners.add_contact(db, actor, partner_id, data)
            return partners.get_contact(db, contact_id)

        def created(row: ContactRow) -> None:
            self._creating = False
            if partner_id == self._partner_id and self._new:
                self._new = False
                self._contact_id = row.id
                for name in self.fields.names:
                    self.fields.saved(name, getattr(row, name), values.get(name))
                self.form_box.setTitle(f"Contact: {row.name}")
                self.remove_button.setEnabled(True)
                self._update_hint()
                pending, self._pending = self._pending, {}
                stored = asdict(row)
                changes = {name: value for name, value in pending.items() if stored.get(name) != value}
                if changes:
                    self._update(partner_id, row.id, changes)
            self.changed.emit(partner_id)

        def refused(error: BaseException) -> None:
            self._creating = False
            self._pending = {}
            if partner_id == self._partner_id and self._new:
                self._refused(None, error)
            else:  # the form shows something else by now: say it in words
                self._messages.show_message(user_message(error))

        self._runner.submit(create, on_done=created, on_error=refused)

    def _refused(self, contact_id: int | None, error: BaseException) -> None:
        """A refused save: each message at its field while that contact is still shown."""
        if contact_id != self._contact_id:
            self._messages.show_message(user_message(error))
            return
        if isinstance(error, ValidationError):
            elsewhere = self.fields.show_errors(error.errors)
            if elsewhere:
                self._messages.show_message(" ".join(elsewhere.values()))
        else:
            self._messages.show_message(user_message(error))

    def _remove(self, partner_id: int, contact_id: int) -> None:
        db, actor = self._db, self._actor

        def removed(_result: None) -> None:
            if contact_id == self._contact_id:
                self._contact_id = None
            self._messages.show_message("Contact removed (the audit log keeps what it held).", "info")
            self.changed.emit(partner_id)
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)

        self._runner.submit(
            lambda _context: partners.remove_contact(db, actor, contact_id),
            on_done=removed,
            on_error=lambda error: self._messages.show_message(user_message(error)),
        )
