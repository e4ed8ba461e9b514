"""Fields that save themselves one at a time: the partner's fields and a contact's fields both work so.

Each field is a widget with its own error line under it. When the user finishes a field (leaves it,
presses Enter, picks an item, ticks a box) and its value differs from the one last shown or saved,
``edited`` carries the new value to the screen that saves it. Text that cannot become a value (an
impossible date) is reported at the field and never sent. Setting values from code never emits.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from functools import partial
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ui.detail.bars import set_style_property
from ui.widgets import plain_label
from ui.widgets.dates import InputError
from ui.widgets.values import finished_signal, read_value, shown_state, write_value

_UNSET = object()


@dataclass(slots=True)
class _Field:
    widget: QWidget
    error: QLabel
    #: Text fields whose value is ``""`` when empty (required text); the others give None.
    keep_empty: bool
    #: What the widget showed when its error was set: the error goes once the user changes that.
    shown_with: object = None


class FieldSet(QObject):
    """A group of self-saving fields (the widgets are laid out by the caller, via ``box``).

    Signals:
        edited(str, object): the user finished field ``name`` and its value differs from the last value
            set or sent; the value is what the widget means (None for empty optional text).
    """

    edited = Signal(str, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fields: dict[str, _Field] = {}
        self._known: dict[str, object] = {}
        self._loading = False

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._fields)

    def add(self, name: str, widget: QWidget, label: str, *, keep_empty: bool = False) -> QWidget:
        """Register ``widget`` as field ``name`` (its object name and accessible name are set); returns a
        box holding the widget with its error line under it, to put in a layout."""
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        widget.setObjectName(name)
        widget.setAccessibleName(label)
        error = plain_label("fieldError")
        layout.addWidget(widget)
        layout.addWidget(error)
        self._fields[name] = _Field(widget, error, keep_empty)
        finished_signal(widget).connect(partial(self._finished, name))
        return box

    def widget(self, name: str) -> QWidget:
        return self._fields[name].widget

    def read(self, name: str) -> Any:
        """The field's value. Raises InputError for text that is no value of its kind."""
        field = self._fields[name]
        value = read_value(field.widget)
        if isinstance(value, str) and not value.strip():
            return "" if field.keep_empty else None
        return value

    def values(self) -> dict[str, Any]:
        """Every field's value; fields whose text is no value are left out (their message is shown)."""
        values: dict[str, Any] = {}
        for name in self._fields:
            try:
                values[name] = self.read(name)
            except InputError as error:
                self.set_error(name, str(error))
        return values

    def set_values(self, values: Mapping[str, Any]) -> None:
        """Show these values (a field not named is emptied); clears every message and emits nothing."""
        self._loading = True
        try:
            for name, field in self._fields.items():
                write_value(field.widget, values.get(name))
        finally:
            self._loading = False
        self._known = {}
        for name in self._fields:
            self.set_error(name, None)
            with suppress(InputError):
                self._known[name] = self.read(name)

    def saved(self, name: str, stored: Any, sent: Any) -> None:
        """Field ``name`` was saved as ``stored`` (a phone as RefDesk writes it): clear its message and, if
        the field still means what was sent, show the stored form, so what is seen is what was kept."""
        field = self._fields.get(name)
        if field is None:
            return
        self.set_error(name, None)
        try:
            still_sent = self.read(name) == sent
        except InputError:
            still_sent = False
        if still_sent:
            self._known[name] = stored
            if stored != sent:
                self._loading = True
                try:
                    write_value(field.widget, stored)
                finally:
                    self._loading = False

    def flush(self) -> None:
        """Send a change whose editing has not finished (the cursor is still in the field): call before
        showing another record, so nothing typed is lost."""
        for name in self._fields:
            self._finished(name)

    def set_error(self, name: str, message: str | None) -> None:
        """Show (or with None clear) one field's message, with the field marked invalid for the style."""
        field = self._fields[name]
        field.error.setText(message or "")
        field.error.setVisible(bool(message))
        field.shown_with = shown_state(field.widget) if message else None
        set_style_property(field.widget, "invalid", bool(message))
        field.widget.setAccessibleDescription(message or "")

    def show_errors(self, errors: Mapping[str, str]) -> dict[str, str]:
        """Show each message at its field; returns the messages that have no field here."""
        for name, message in errors.items():
            if name in self._fields:
                self.set_error(name, message)
        return {name: message for name, message in errors.items() if name not in self._fields}

    def errors(self) -> dict[str, str]:
        """The messages shown now, by field."""
        return {name: f.error.text() for name, f in self._fields.items() if f.error.text()}

    def setEnabled(self, enabled: bool) -> None:  # noqa: N802 - reads like Qt's
        for field in self._fields.values():
            field.widget.setEnabled(enabled)

    def _finished(self, name: str, *_: object) -> None:
        if self._loading:
            return
        field = self._fields[name]
        if field.error.text() and shown_state(field.widget) != field.shown_with:
            self.set_error(name, None)
        try:
            value = self.read(name)
        except InputError as error:
            self.set_error(name, str(error))
            return
        if self._known.get(name, _UNSET) != value:
            self._known[name] = value
            self.edited.emit(name, value)
