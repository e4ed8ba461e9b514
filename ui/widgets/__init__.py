"""Small widgets shared by RefDesk's forms and dialogs: keyboard-first date and time fields, choice
lists that hold Python values, text fields that behave like the others, plain-text labels, the Enter key
of a form dialog, and (``ui.widgets.tables``) what the app's tables share."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget

W = TypeVar("W", bound=QWidget)


def named(widget: W, name: str) -> W:
    """``widget`` with its object name set: what the style sheet and the tests find it by."""
    widget.setObjectName(name)
    return widget


def plain_label(
    name: str, text: str = "", *, hide_empty: bool = True, wrap: bool = True, selectable: bool = False
) -> QLabel:
    """A label named ``name`` that shows ``text`` as plain text, wrapping it (unless ``wrap`` is False)
    and hiding while empty (unless ``hide_empty`` is False); ``selectable`` lets the mouse select the
    text (names, numbers and phone numbers someone may want to copy).

    Plain text, always: QLabel's default (AutoText) renders anything that looks like HTML, and names
    such as ``<b>Ольга</b> & O'Brien``, reasons and error messages come from people and partners. Hidden
    while empty, so an unused message line takes no room; a label that is filled later and must keep its
    place passes ``hide_empty=False``. Never shown here: a label without a parent yet that is shown
    becomes a window of its own for a moment, and takes the keyboard from the main window.
    """
    label = QLabel()
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(wrap)
    label.setText(text)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if hide_empty and not text:
        label.hide()
    return label


def enter_presses_focused_button(dialog: QWidget, event: QKeyEvent) -> bool:
    """For a dialog's ``keyPressEvent``: Enter or Return (on the keypad too) presses only the button that
    has focus, never the default button, so Enter at the end of a field never saves half a form.
    Returns whether it took the key (otherwise pass the event on)."""
    if event.key() not in (Qt.Key.Key_Return, Qt.Key.Key_Enter) or event.modifiers() & ~(
        Qt.KeyboardModifier.KeypadModifier
    ):
        return False
    focused = dialog.focusWidget()
    if isinstance(focused, QAbstractButton):
        focused.click()
    event.accept()
    return True
