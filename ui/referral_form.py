"""The referral form: every field of a referral, grouped as a referral letter reads, each with its own
error line right under it.

One form serves two screens. The New referral dialog reads it whole (``values()``) and saves once; the
detail view puts it in edit mode and saves each field as soon as the user finishes it (``field_edited``
→ ``update_referral``). Both show the service's ValidationError the same way, next to the fields, so
nothing here repeats the service's rules: the form only converts text into values and reports text it
cannot convert (an impossible date) exactly as the service reports its own problems.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from refdesk.domain.models import Referral
from refdesk.domain.vocab import Channel, ContactMethod, Urgency
from refdesk.errors import ValidationError
from refdesk.services.actor import list_staff
from refdesk.services.catalog import list_partners, list_service_lines
from refdesk.services.referrals import NewReferral
from refdesk.storage import Database
from ui.widgets import plain_label
from ui.widgets.choices import ChoiceCombo, SearchCombo
from ui.widgets.dates import DateLineEdit, DateTimeField, InputError
from ui.widgets.text import CountLineEdit, PlainTextField
from ui.widgets.values import finished_signal, read_value, shown_state, write_value

#: Each field's name as a person reads it (row labels, accessible names).
LABELS: dict[str, str] = {
    "patient_first_name": "First name",
    "patient_last_name": "Last name",
    "patient_dob": "Date of birth",
    "phone": "Phone",
    "phone_alt": "Alternate phone",
    "email": "Email",
    "preferred_contact_method": "Preferred contact method",
    "preferred_contact_time": "Preferred contact time",
    "language": "Language",
    "interpreter_needed": "Interpreter needed",
    "caregiver_name": "Caregiver name",
    "caregiver_phone": "Caregiver phone",
    "caregiver_relationship": "Relationship to patient",
    "partner_id": "Referring partner",
    "service_line_id": "Service line",
    "referring_clinician": "Referring clinician",
    "reason": "Reason for referral",
    "urgency": "Urgency",
    "channel": "Received by",
    "received_at": "Received on",
    "owner_id": "Owner",
    "insurance_payer": "Insurance payer",
    "insurance_member_id": "Member ID",
    "authorization_number": "Authorization number",
    "authorization_visits": "Approved visits",
    "authorization_expires_on": "Authorization expires",
}

_Row = tuple[str, ...]
#: Two columns of groups; each row holds one field, or a few side by side (labelled by the first).
_COLUMNS: tuple[tuple[tuple[str, tuple[_Row, ...]], ...], ...] = (
    (
        (
            "Patient",
            (
                ("patient_first_name",),
                ("patient_last_name",),
                ("patient_dob",),
                ("phone",),
                ("phone_alt",),
                ("email",),
                ("preferred_contact_method", "preferred_contact_time"),
                ("language", "interpreter_needed"),
            ),
        ),
        ("Caregiver", (("caregiver_name",), ("caregiver_phone",), ("caregiver_relationship",))),
    ),
    (
        (
            "Referral",
            (
                ("partner_id",),
                ("service_line_id",),
                ("referring_clinician",),
                ("reason",),
                ("urgency",),
                ("channel",),
                ("received_at",),
                ("owner_id",),
            ),
        ),
        (
            "Insurance",
            (
                ("insurance_payer",),
                ("insurance_member_id",),
                ("authorization_number",),
                ("authorization_visits",),
                ("authorization_expires_on",),
            ),
        ),
    ),
)
#: Row labels that differ from the first field's label.
_ROW_LABELS = {"preferred_contact_method": "Preferred contact"}

#: Every field the form shows, in visual (and Tab) order: left column top to bottom, then the right.
FIELD_NAMES: tuple[str, ...] = tuple(
    name for column in _COLUMNS for _, rows in column for names in rows for name in names
)
REQUIRED: frozenset[str] = frozenset(
    {"patient_first_name", "patient_last_name", "patient_dob", "phone"}
    | {"partner_id", "service_line_id", "reason", "channel"}
)
#: Text fields whose NewReferral type is ``str`` (empty is ""); the other text fields give None when empty.
_REQUIRED_TEXT = frozenset({"patient_first_name", "patient_last_name", "phone", "reason"})
#: For a referral whose partner, service line or owner is no longer listed: where its name is.
_RELATIONS = {"partner_id": ("partner", "name"), "service_line_id": ("service_line", "name")}
_RELATIONS["owner_id"] = ("owner", "full_name")
_PLACEHOLDERS = {
    "phone": "(555) 201-4477",
    "phone_alt": "(555) 201-4477",
    "caregiver_phone": "(555) 201-4477",
    "email": "name@example.org",
    "preferred_contact_time": "e.g. weekday mornings",
}
_UNSET = object()


@dataclass(frozen=True, slots=True)
class FormChoices:
    """What the pickers offer, as (id, label) pairs, read through the services (ui/ builds no SQL)."""

    partners: tuple[tuple[int, str], ...] = ()
    service_lines: tuple[tuple[int, str], ...] = ()
    staff: tuple[tuple[int, str], ...] = ()

    @classmethod
    def load(cls, db: Database) -> FormChoices:
        """Active partners, service lines and staff, by name."""
        return cls(
            tuple((p.id, p.name) for p in list_partners(db)),
            tuple((s.id, s.name) for s in list_service_lines(db)),
            tuple((s.id, s.full_name) for s in list_staff(db)),
        )


@dataclass(slots=True)
class _Field:
    widget: QWidget
    error: QLabel
    #: what the widget showed when its error was set: the error goes once the user changes that
    shown_with: object = None


class ReferralForm(QWidget):
    """The fields of one referral, each widget named after its NewReferral field (``objectName``), each
    with a ``fieldError`` label under it that is hidden while empty.

    Signals:
        field_edited(str, object): the user finished editing one field (left it, pressed Enter, picked
            an item, ticked the box) and its value differs from the last value set or emitted. The name
            is a NewReferral field; the value has that field's type (an empty optional text is None,
            a received time is naive local time). Text that cannot be converted (an impossible date,
            a partner name that matches none) is not emitted: its message is shown next to the field.
            Programmatic changes (``set_values``) never emit; ``flush()`` emits a change still being
            typed.
    """

    field_edited = Signal(str, object)

    def __init__(
        self, choices: FormChoices, initial: NewReferral | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._fields: dict[str, _Field] = {}
        self._known: dict[str, object] = {}
        self._loading = False
        self._build(choices)
        self.set_values(initial or NewReferral(received_at=datetime.now().replace(second=0, microsecond=0)))

    # -- public API --------------------------------------------------------------------------------

    def field(self, name: str) -> QWidget:
        """The input widget of field ``name`` (a NewReferral field name)."""
        return self._fields[name].widget

    def values(self) -> NewReferral:
        """Everything typed, as the service takes it.

        Raises:
            ValidationError: text that cannot be converted, one message per field (nothing is shown;
                pass ``errors`` to ``show_errors`` as for the service's own ValidationError).
        """
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for name in FIELD_NAMES:
            try:
                values[name] = self._read(name)
            except InputError as error:
                errors[name] = str(error)
        if errors:
            raise ValidationError(errors)
        return NewReferral(**values)

    def set_values(self, referral: Referral | NewReferral) -> None:
        """Show a saved referral (detail view) or a draft; clears every error and emits nothing."""
        self._loading = True
        try:
            for name in FIELD_NAMES:
                value = getattr(referral, name)
                label = self._missing_label(name, value, referral)
                write_value(self._fields[name].widget, value, missing_label=label)
        finally:
            self._loading = False
        self.clear_errors()
        self._known = {}
        for name in FIELD_NAMES:
            # a stored value always converts back; a draft's may not, and then there is nothing to compare
            with suppress(InputError):
                self._known[name] = self._read(name)

    def show_errors(self, errors: Mapping[str, str], *, focus: bool = True) -> None:
        """Show each message next to its field and clear all the others; with ``focus``, put the cursor
        in the first wrong field (in Tab order) and scroll it into view. Messages for names that have
        no field (``linked_referral_id``) appear above the groups."""
        for name in FIELD_NAMES:
            self.set_field_error(name, errors.get(name))
        general = [message for name, message in errors.items() if name not in self._fields]
        self._form_error.setText("\n".join(general))
        self._form_error.setVisible(bool(general))
        first = next((name for name in FIELD_NAMES if name in errors), None)
        if focus and first is not None:
            self.focus_field(first)

    def flush(self) -> None:
        """Emit ``field_edited`` for a change whose editing has not finished yet (the cursor is still in
        the field): call it before showing another referral or closing, so no typed change is lost."""
        for name in FIELD_NAMES:
            self._finished(name)

    def set_field_error(self, name: str, message: str | None) -> None:
        """Show (or with None clear) one field's message, leaving the other fields' messages alone."""
        field = self._fields[name]
        field.error.setText(message or "")
        field.error.setVisible(bool(message))
        field.shown_with = shown_state(self._fields[name].widget) if message else None
        targets = [field.widget]
        if isinstance(field.widget, DateTimeField):
            targets += [field.widget.date_edit, field.widget.time_edit]
        for widget in targets:
            if widget.property("invalid") != bool(message):
                widget.setProperty("invalid", bool(message))
                widget.style().unpolish(widget)
                widget.style().polish(widget)
        field.widget.setAccessibleDescription(message or "")

    def clear_errors(self) -> None:
        self.show_errors({}, focus=False)

    def errors(self) -> dict[str, str]:
        """The messages shown now, by field (for tests and for the detail view's status line)."""
        return {name: f.error.text() for name, f in self._fields.items() if f.error.text()}

    def focus_field(self, name: str) -> None:
        """Put the cursor in a field and scroll the enclosing scroll area (if any) to show its message."""
        container = self._fields[name].error.parentWidget()
        area = self.parentWidget()
        while area is not None and not isinstance(area, QScrollArea):
            area = area.parentWidget()
        if isinstance(area, QScrollArea) and container is not None:
            area.ensureWidgetVisible(container)
        self._fields[name].widget.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- building ----------------------------------------------------------------------------------

    def _build(self, choices: FormChoices) -> None:
        outer = QVBoxLayout(self)
        hint = QLabel("Fields marked * are required.")
        hint.setObjectName("formHint")
        self._form_error = plain_label("formError")
        outer.addWidget(hint)
        outer.addWidget(self._form_error)
        columns = QHBoxLayout()
        outer.addLayout(columns)
        for column in _COLUMNS:
            stack = QVBoxLayout()
            for title, rows in column:
                stack.addWidget(self._group(title, rows, choices))
            stack.addStretch(1)
            columns.addLayout(stack, 1)
        chain: list[QWidget] = []
        for name in FIELD_NAMES:
            widget = self._fields[name].widget
            chain += [widget.date_edit, widget.time_edit] if isinstance(widget, DateTimeField) else [widget]
        for before, after in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(before, after)

    def _group(self, title: str, rows: tuple[_Row, ...], choices: FormChoices) -> QGroupBox:
        group = QGroupBox(title)
        group.setObjectName(f"{title.lower()}Group")
        form = QFormLayout(group)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for names in rows:
            label_text = _ROW_LABELS.get(names[0], LABELS[names[0]])
            row = QHBoxLayout()
            row.setContentsMargins(0, 0, 0, 0)
            for name in names:
                row.addWidget(self._field_box(name, choices), 1)
            required = any(name in REQUIRED for name in names)
            label = QLabel(f"{label_text} *" if required else label_text)
            label.setProperty("required", required)
            label.setBuddy(self._fields[names[0]].widget)
            form.addRow(label, row)
        return group

    def _field_box(self, name: str, choices: FormChoices) -> QWidget:
        """The field's widget with its error label under it."""
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        widget = self._make(name, choices)
        finished_signal(widget).connect(partial(self._finished, name))
        widget.setObjectName(name)
        widget.setAccessibleName(LABELS[name])
        error = plain_label("fieldError")
        layout.addWidget(widget)
        layout.addWidget(error)
        self._fields[name] = _Field(widget, error)
        return box

    @staticmethod
    def _make(name: str, choices: FormChoices) -> QWidget:
        if name in {"patient_dob", "authorization_expires_on"}:
            return DateLineEdit()
        if name == "received_at":
            return DateTimeField()
        if name == "reason":
            return PlainTextField(lines=4)
        if name == "authorization_visits":
            return CountLineEdit()
        if name == "interpreter_needed":
            return QCheckBox(LABELS[name])
        if name == "partner_id":
            return SearchCombo(choices.partners, missing_message="Choose a partner from the list.")
        if name == "service_line_id":
            return SearchCombo(choices.service_lines, missing_message="Choose a service line from the list.")
        if name == "owner_id":
            return ChoiceCombo([(None, "Unassigned"), *choices.staff])
        if name == "urgency":
            return ChoiceCombo([(u, u.label) for u in Urgency])
        if name == "channel":
            return ChoiceCombo([(c, c.label) for c in Channel], placeholder="Choose how it arrived")
        if name == "preferred_contact_method":
            return ChoiceCombo([(None, "Not stated"), *((m, m.label) for m in ContactMethod)])
        return QLineEdit(placeholderText=_PLACEHOLDERS.get(name, ""))

    # -- reading and writing -----------------------------------------------------------------------

    def _read(self, name: str) -> Any:
        """The field's value as NewReferral types it. Raises InputError for text that is no value."""
        value = read_value(self._fields[name].widget)
        if isinstance(value, str) and name not in _REQUIRED_TEXT and not value.strip():
            return None
        return value

    @staticmethod
    def _missing_label(name: str, value: Hashable | None, source: Referral | NewReferral) -> str | None:
        """The name of a partner, service line or owner that is no longer offered (kept as it is)."""
        if value is None or name not in _RELATIONS:
            return None
        relation, attribute = _RELATIONS[name]
        # only a relationship already loaded (get_referral loads them): never a lazy load here
        related = vars(source).get(relation) if isinstance(source, Referral) else None
        return f"{getattr(related, attribute)} (inactive)" if related is not None else f"#{value} (inactive)"

    def _finished(self, name: str, *_: object) -> None:
        if self._loading:
            return
        field = self._fields[name]
        if field.error.text() and shown_state(self._fields[name].widget) != field.shown_with:
            self.set_field_error(name, None)
        try:
            value = self._read(name)
        except InputError as error:
            self.set_field_error(name, str(error))
            return
        if self._known.get(name, _UNSET) != value:
            self._known[name] = value
            self.field_edited.emit(name, value)
