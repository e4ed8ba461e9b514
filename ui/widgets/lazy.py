"""A tab page that builds its content the first time it is shown.

Start-up is what the front desk waits for every morning; the Partners and Reports tabs (and the
libraries they pull in, such as QtCharts) are built when someone first opens them, not before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

W = TypeVar("W", bound=QWidget)


class LazyPage(QWidget, Generic[W]):
    """Holds the place of a page; ``content()`` (or showing the page) builds it with ``build``."""

    def __init__(self, build: Callable[[], W], object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self._build = build
        self._content: W | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    @property
    def built(self) -> bool:
        return self._content is not None

    def content(self) -> W:
        if self._content is None:
            self._content = self._build()
            self._layout.addWidget(self._content)
            self.setFocusProxy(self._content)
        return self._content

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        self.content()
        super().showEvent(event)
