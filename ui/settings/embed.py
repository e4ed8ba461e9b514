"""A dialog shown as a page of Settings (Backups, Staff, Audit log were built as dialogs of their own).

How: the dialog itself becomes the page. ``setWindowFlags(Qt.WindowType.Widget)`` turns it into an
ordinary child widget inside ``DialogPage``; its own Close (or Cancel) button is hidden, since the
Settings dialog has one; Escape pressed inside it closes Settings instead of hiding the page.

Why not lift its layout's content into a new widget: the dialog's methods, slots and signals refer to
itself (``self.reject``, ``self.layout()``, its message bar, its ``closeEvent`` and unsaved-work checks),
and its tests drive it as a dialog. Kept whole, it behaves exactly as it does on its own, and the same
class still opens as a window where the main window wants one.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QVBoxLayout, QWidget

_CLOSING = (QDialogButtonBox.StandardButton.Close, QDialogButtonBox.StandardButton.Cancel)


class DialogPage(QWidget):
    """Holds one embedded dialog (``dialog``); object name ``dialogPage``. No signals of its own."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dialogPage")
        self.dialog: QWidget | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    def embed(self, dialog: QWidget) -> None:
        """Show ``dialog`` (a QDialog, or any widget) here as the page's content."""
        if isinstance(dialog, QDialog):
            _hide_close_buttons(dialog)
            dialog.setWindowFlags(Qt.WindowType.Widget)
            dialog.setSizeGripEnabled(False)
            dialog.installEventFilter(self)
            # it closes only with Settings: if its own code finishes it, the page must not go blank
            dialog.finished.connect(lambda _result: dialog.setVisible(True))
        self.dialog = dialog
        self._layout.addWidget(dialog)
        dialog.setVisible(True)  # a reparented widget is hidden until shown
        self.setFocusProxy(dialog)

    def maybe_leave(self, then: Callable[[], None] | None = None) -> bool:
        """The embedded dialog's own unsaved-work check, when it has one."""
        check = getattr(self.dialog, "maybe_leave", None)
        return bool(check(then=then)) if callable(check) else True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if (
            watched is self.dialog
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
            and event.modifiers() == Qt.KeyboardModifier.NoModifier
        ):
            host = self.window()
            if isinstance(host, QDialog) and host is not self.dialog:
                host.reject()
                return True
        return super().eventFilter(watched, event)


def _hide_close_buttons(dialog: QDialog) -> None:
    """Hide the dialog's Close/Cancel buttons (and a button box left empty): Settings closes it."""
    for box in dialog.findChildren(QDialogButtonBox):
        if box.window() is not dialog:  # a sub-dialog's buttons are its own
            continue
        for button in box.buttons():
            if box.standardButton(button) in _CLOSING:
                button.hide()
        if not any(button.isVisibleTo(dialog) for button in box.buttons()):
            box.hide()
