"""How a person uses the keyboard, for the UI tests: type into whatever has focus, press keys, fill a
form field by field with Tab. QTest.keyClicks knows only printable ASCII, so other letters are sent as
key events carrying their text, as a keyboard layout would."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit, QPlainTextEdit, QWidget
from pytestqt.qtbot import QtBot

from ui.referral_form import ReferralForm
from ui.widgets.dates import DateTimeField


def activate(qtbot: QtBot, window: QWidget, *, size: tuple[int, int] | None = None) -> None:
    """Shown (at ``size``) and active, as a window the user clicked into: keys and shortcuts only reach
    the active window."""
    if size is not None:
        window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)


def focused() -> QWidget:
    """Where a real key press goes: an open popup (the completer's list) first, else the focus widget."""
    widget = QApplication.activePopupWidget() or QApplication.focusWidget()
    assert widget is not None
    return widget


def type_text(qtbot: QtBot, text: str) -> None:
    """Type into whatever has focus. QTest.keyClicks knows only printable ASCII (it aborts on others),
    so a new line is the Return key and other letters arrive as key events carrying their text, as
    from a keyboard layout."""
    for char in text:
        if char == "\n":
            press(qtbot, Qt.Key.Key_Return)
        elif char.isascii():
            qtbot.keyClicks(focused(), char)
        else:
            QTest.sendKeyEvent(
                QTest.KeyAction.Click, focused(), Qt.Key.Key_unknown, char, Qt.KeyboardModifier.NoModifier
            )


def press(qtbot: QtBot, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(focused(), key, modifier)


def replace_text(qtbot: QtBot, text: str) -> None:
    """Select what the focused field holds (Ctrl+A) and type over it; an empty text deletes it."""
    widget = focused()
    if isinstance(widget, QLineEdit | QPlainTextEdit) or (
        isinstance(widget, QComboBox) and widget.isEditable()
    ):
        press(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        if not text:
            press(qtbot, Qt.Key.Key_Delete)
    type_text(qtbot, text)


def fill(qtbot: QtBot, form: ReferralForm, entries: dict[str, str]) -> None:
    """For each field: put the cursor in it, type over what it holds, Tab on (a received time is
    typed as "date time", Tab between the two)."""
    for name, text in entries.items():
        widget = form.field(name)
        widget.setFocus(Qt.FocusReason.TabFocusReason)
        qtbot.waitUntil(widget.hasFocus)
        if isinstance(widget, DateTimeField):
            day, text = text.split(" ", 1)
            replace_text(qtbot, day)
            press(qtbot, Qt.Key.Key_Tab)
        replace_text(qtbot, text)
        press(qtbot, Qt.Key.Key_Tab)


def minimal(
    first: str = "Ana", last: str = "Ribeiro", dob: str = "07/19/1971", phone: str = "555 318 2290"
) -> dict[str, str]:
    """The required fields, as typed for a valid referral."""
    return {
        "patient_first_name": first,
        "patient_last_name": last,
        "patient_dob": dob,
        "phone": phone,
        "partner_id": "oak",
        "service_line_id": "phys",
        "reason": "Knee pain after a fall; evaluate and treat.",
        "channel": "f",
    }
