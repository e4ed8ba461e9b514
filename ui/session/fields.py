"""What the session's forms share: a text field with its error under it, and password fields.

The first-run and password dialogs show each refused value's message next to its field (a
``ValidationError``'s ``errors`` are keyed by field), like every other RefDesk form.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from ui.widgets import named, plain_label


def password_field(name: str) -> QLineEdit:
    """A password field named ``name``: its text is never shown, copied or kept for undo."""
    field = named(QLineEdit(), name)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setMaxLength(256)
    return field


def _focus_target(widget: QWidget) -> QWidget:
    """The widget that takes the cursor for ``widget`` (a box hands it on to the field inside)."""
    while (proxy := widget.focusProxy()) is not None:
        widget = proxy
    return widget


def _grow_to_fit(widget: QWidget) -> None:
    """Make ``widget``'s window tall enough for the messages just shown. A window whose layout holds
    wrapping text (its height depends on its width) is not grown by Qt itself: the fields would be
    squeezed to make room for their messages."""
    window = widget.window()
    layout = window.layout()
    if layout is None or not window.isVisible():
        return
    layout.activate()
    needed = window.heightForWidth(window.width()) if window.hasHeightForWidth() else -1
    needed = max(needed, window.minimumSizeHint().height())
    if needed > window.height():
        window.resize(window.width(), needed)


class FieldErrors:
    """The error labels of a form, by field key: ``row`` adds a field with its (hidden) error label to a
    form layout; ``show`` puts each message under its field and focuses the first refused field."""

    def __init__(self) -> None:
        self.labels: dict[str, QLabel] = {}
        self._fields: dict[str, QWidget] = {}

    def row(self, form: QFormLayout, label: str, field: QWidget, key: str) -> None:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(field)
        error = plain_label("fieldError")
        error.setProperty("key", key)
        layout.addWidget(error)
        box.setFocusProxy(field)
        caption = QLabel(label)
        caption.setBuddy(_focus_target(field))  # the field itself: Alt+letter puts the cursor in it
        form.addRow(caption, box)
        self.labels[key] = error
        self._fields[key] = field

    def set(self, key: str, message: str) -> None:
        """Show ``message`` under ``key``'s field (an empty one hides it), leaving the others as they are."""
        label = self.labels[key]
        label.setText(message)
        label.setVisible(bool(message))
        _grow_to_fit(label)

    def clear(self) -> None:
        for label in self.labels.values():
            label.clear()
            label.hide()

    def show(self, errors: dict[str, str]) -> list[str]:
        """Show ``errors`` under their fields; returns the messages that have no field of this form
        (the caller shows those elsewhere)."""
        self.clear()
        first: QWidget | None = None
        unplaced: list[str] = []
        for key, message in errors.items():
            label = self.labels.get(key)
            if label is None:
                unplaced.append(message)
                continue
            label.setText(message)
            label.show()
            first = first or self._fields[key]
        if first is not None:
            _grow_to_fit(first)
            first.setFocus()
            inner = _focus_target(first)
            if isinstance(inner, QLineEdit):
                inner.selectAll()
        return unplaced

    def text(self, key: str) -> str:
        """The message shown for ``key`` (empty when none): what the tests read."""
        label = self.labels.get(key)
        return label.text() if label is not None and not label.isHidden() else ""
