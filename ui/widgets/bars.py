"""The error bar a view shows above its content when a background read fails, with "Try again"."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget


def error_bar(parent: QWidget, prefix: str, retry: Callable[[], None]) -> tuple[QFrame, QLabel]:
    """A hidden ``messageBar`` (kind ``error``) with a plain-text ``<prefix>Error`` label and a
    ``<prefix>Retry`` button; returns the bar and the label to put the message in."""
    bar = QFrame(parent, objectName="messageBar")
    bar.setProperty("kind", "error")
    label = QLabel(bar, objectName=f"{prefix}Error", wordWrap=True, textFormat=Qt.TextFormat.PlainText)
    button = QPushButton("Try again", bar, objectName=f"{prefix}Retry")
    button.clicked.connect(retry)
    row = QHBoxLayout(bar)
    row.addWidget(label, 1)
    row.addWidget(button)
    bar.hide()
    return bar, label
