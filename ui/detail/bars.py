"""Small building blocks of the detail view: local times, scrolling panes, reusable
rows of logged events, and the two bars that speak to the user inside the view instead of in a modal box.

A refusal ("reach the patient before scheduling") or an offer ("close as unable to reach?") belongs next
to the work it is about; a modal box would steal the keyboard from someone logging calls, so both are
bars at the top of the view that stay until dismissed or replaced.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from refdesk.domain.times import to_local
from refdesk.services.timeline import TimelineEntry
from ui.widgets import plain_label

#: How the view writes a moment: the workstation's local time, with the weekday (front desks plan by it).
TIME_FORMAT = "%a %d %b %Y %H:%M"


def local_time(moment: datetime) -> str:
    return to_local(moment).strftime(TIME_FORMAT)


def scrolling(content: QWidget, object_name: str) -> QScrollArea:
    """``content`` in a frameless scroll area that widens it to the viewport and scrolls when it is
    taller (or, at large scaling, wider) than the space it gets."""
    area = QScrollArea()
    area.setObjectName(object_name)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(content)
    return area


def set_style_property(widget: QWidget, name: str, value: object) -> None:
    """Set a dynamic property the style sheet selects on, and make the style notice the change (only
    when it changed: re-polishing is the costly part)."""
    if widget.property(name) == value:
        return
    widget.setProperty(name, value)
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


class MessageBar(QFrame):
    """One message for the user inside the view: why a move was refused, what just happened.

    Object name ``messageBar``; dynamic property ``kind`` is ``"error"`` or ``"info"``. Its text label is
    ``messageText`` and its button ``messageDismiss``. No signals: the view calls ``show_message``.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setProperty("kind", "info")
        self._text = plain_label("messageText", hide_empty=False, selectable=True)
        self._text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        dismiss = QPushButton("Dismiss")
        dismiss.setObjectName("messageDismiss")
        dismiss.clicked.connect(self.clear)
        layout = QHBoxLayout(self)
        layout.addWidget(self._text, 1)
        layout.addWidget(dismiss, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_message(self, text: str, kind: str = "error") -> None:
        set_style_property(self, "kind", kind)
        self._text.setText(text)
        self.show()

    def text(self) -> str:
        return "" if self.isHidden() else self._text.text()

    def clear(self) -> None:
        self._text.clear()
        self.hide()


class PromptBar(QFrame):
    """An offer the user may take with one key or leave: "close as unable to reach?", "mark the first
    visit completed?". Not modal: work on the referral goes on while it is shown.

    Object name ``promptBar``; dynamic property ``prompt`` names the offer (``"unable_to_reach"``,
    ``"confirm_completed"``). Children: ``promptText``, ``promptAccept`` (mnemonic Alt+Y, always "yes"),
    ``promptDismiss``. No signals: ``ask`` takes the action to run.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("promptBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setProperty("prompt", "")
        self._on_accept: Callable[[], None] | None = None
        self._text = plain_label("promptText", hide_empty=False, selectable=True)
        self._text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.accept_button = QPushButton()
        self.accept_button.setObjectName("promptAccept")
        self.accept_button.clicked.connect(self._accept)
        self.dismiss_button = QPushButton("Not now")
        self.dismiss_button.setObjectName("promptDismiss")
        self.dismiss_button.clicked.connect(self.clear)
        layout = QHBoxLayout(self)
        layout.addWidget(self._text, 1)
        layout.addWidget(self.accept_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.dismiss_button, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    @property
    def prompt(self) -> str:
        """The offer shown now, or "" when the bar is hidden."""
        return str(self.property("prompt")) if not self.isHidden() else ""

    def ask(self, prompt: str, text: str, accept_text: str, on_accept: Callable[[], None]) -> None:
        """Show an offer. ``accept_text`` should carry the ``&Y`` mnemonic ("&Yes, close ...")."""
        set_style_property(self, "prompt", prompt)
        self._text.setText(text)
        self.accept_button.setText(accept_text)
        self.accept_button.setToolTip("Alt+Y")
        self._on_accept = on_accept
        self.show()

    def clear(self) -> None:
        self._on_accept = None
        set_style_property(self, "prompt", "")
        self.hide()

    def _accept(self) -> None:
        action = self._on_accept
        self.clear()
        if action is not None:
            action()


class EntryList(QWidget):
    """Logged events, one row each: when and who on one line, what happened below (plain text).

    Rows are kept and reused from one refresh to the next (hidden when not needed): creating and
    deleting label widgets on every refresh cost more than all the queries of opening a referral.

    Object names: ``{prefix}Entry`` frames (property ``kind``: status, attempt, appointment) holding
    ``{prefix}When`` and ``{prefix}Text``; ``{prefix}Empty`` when there is nothing. No signals.
    """

    def __init__(self, prefix: str, empty_text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._prefix = prefix
        self._rows: list[tuple[QFrame, QLabel, QLabel]] = []
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._empty = plain_label(f"{prefix}Empty", empty_text, hide_empty=False, selectable=True)
        self._layout.addWidget(self._empty)  # parented first: a parentless label shown is a window
        self._empty.setVisible(bool(empty_text))

    def set_entries(self, entries: Sequence[TimelineEntry]) -> None:
        while len(self._rows) < len(entries):
            self._rows.append(self._new_row())
        for (row, when, text), entry in zip(self._rows, entries, strict=False):
            when.setText(f"{local_time(entry.at)} · {entry.who}")
            text.setText(entry.text)
            set_style_property(row, "kind", entry.kind.value)
            row.show()
        for row, _when, _text in self._rows[len(entries) :]:
            row.hide()
        self._empty.setVisible(not entries and bool(self._empty.text()))

    def _new_row(self) -> tuple[QFrame, QLabel, QLabel]:
        row = QFrame(self)
        row.setObjectName(f"{self._prefix}Entry")
        layout = QVBoxLayout(row)
        layout.setContentsMargins(0, 2, 0, 2)
        layout.setSpacing(0)
        when = plain_label(f"{self._prefix}When", hide_empty=False, selectable=True)
        text = plain_label(f"{self._prefix}Text", hide_empty=False, selectable=True)
        layout.addWidget(when)
        layout.addWidget(text)
        self._layout.addWidget(row)
        return row, when, text
