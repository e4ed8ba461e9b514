"""Small widgets shared by RefDesk's forms and dialogs: keyboard-first date and time fields, choice
lists that hold Python values, text fields that behave like the others, and plain-text message labels."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

W = TypeVar("W", bound=QWidget)


def named(widget: W, name: str) -> W:
    """``widget`` with its object name set: what the style sheet and the tests find it by."""
    widget.setObjectName(name)
    return widget


def plain_label(name: str, text: str = "") -> QLabel:
    """A wrapping label that shows its text as plain text and hides while empty.

    Plain text, always: QLabel's default (AutoText) renders anything that looks like HTML, and names,
    reasons and error messages come from people and partners. Hidden while empty, so an unused message
    line takes no room.
    """
    label = QLabel()
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setText(text)
    label.setVisible(bool(text))
    return label
