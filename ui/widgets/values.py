"""Read and write any of the form widgets as the Python value it stands for.

A form that saves field by field needs the same three things from every kind of input: its value, how
to show a value, and the signal that means "the user is done with it". Keeping them here lets each form
treat its fields alike instead of switching on widget types itself.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from PySide6.QtCore import SignalInstance
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QWidget

from ui.widgets.choices import ChoiceCombo, SearchCombo
from ui.widgets.dates import DateLineEdit, DateTimeField
from ui.widgets.text import CountLineEdit, PlainTextField


def read_value(widget: QWidget) -> Any:
    """The widget's value: date, datetime, int, bool, a listed value, or text (as typed).

    Raises:
        InputError: the text is not a value of the widget's kind (an impossible date, an unknown name).
    """
    if isinstance(widget, DateTimeField | DateLineEdit | CountLineEdit | ChoiceCombo):
        return widget.value()
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    if isinstance(widget, PlainTextField):
        return widget.toPlainText()
    if isinstance(widget, QLineEdit):
        return widget.text()
    raise TypeError(f"no value for {type(widget).__name__}")


def write_value(widget: QWidget, value: Any, *, missing_label: str | None = None) -> None:
    """Show ``value``; for a choice list, ``missing_label`` names a value that is not listed."""
    if isinstance(widget, ChoiceCombo):
        widget.set_value(value, missing_label=missing_label)
    elif isinstance(widget, DateTimeField | DateLineEdit | CountLineEdit):
        widget.set_value(value)
    elif isinstance(widget, QCheckBox):
        widget.setChecked(bool(value))
    elif isinstance(widget, PlainTextField):
        widget.set_text(value or "")
    elif isinstance(widget, QLineEdit):
        widget.setText("" if value is None else str(value))
    else:
        raise TypeError(f"cannot show a value in {type(widget).__name__}")


def shown_state(widget: QWidget) -> Hashable:
    """What the widget shows, convertible or not: tells whether the user changed it since a moment."""
    if isinstance(widget, DateTimeField):
        return widget.date_edit.text(), widget.time_edit.text()
    if isinstance(widget, QComboBox):
        return widget.currentIndex(), widget.currentText()
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    if isinstance(widget, PlainTextField):
        return widget.toPlainText()
    if isinstance(widget, QLineEdit):
        return widget.text()
    raise TypeError(f"no state for {type(widget).__name__}")


def finished_signal(widget: QWidget) -> SignalInstance:
    """The signal meaning the user is done with the value: left the field or pressed Enter, picked an
    item, ticked the box. Never emitted by setting a value from code, except QCheckBox.toggled."""
    if isinstance(widget, SearchCombo):
        return widget.committed
    if isinstance(widget, QComboBox):
        return widget.activated
    if isinstance(widget, QCheckBox):
        return widget.toggled
    if isinstance(widget, QLineEdit | DateTimeField | PlainTextField):
        return widget.editingFinished
    raise TypeError(f"no finished signal for {type(widget).__name__}")
