"""Hiding every window's patient data while the session is locked, without losing anyone's work.

Locking must not close anything: a dialog running ``exec()`` would return and what the person was typing
would be lost. So each open window other than the main one (dialogs, message boxes, Qt's file dialogs,
wizards) is covered by an opaque child widget, a ``Curtain``, spanning the whole window and kept on top
of its siblings, and is retitled; the main window swaps its central area for a blank page itself
(``MainWindow.set_locked``). Tooltips and popups (menus, completer lists) are closed: they are the only
things a lock may close, as they hold nothing typed. A window shown while locked (a message box from a
background task) is covered as it appears, and tooltips are refused.

``release()`` gives everything back as it was (the same person signed in again); ``discard()`` closes the
covered windows instead (someone else signed in: the previous person's dialogs are rejected).

A native file dialog (Windows, macOS) is a window of the operating system, not a widget, and cannot be
covered; it shows file names only.
"""

from __future__ import annotations

from typing import Protocol, cast

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLabel,
    QStackedWidget,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from refdesk import APP_NAME

LOCKED_TITLE = f"{APP_NAME} — Locked"
#: Window kinds that are not windows a person works in: closed (popups) or left alone (the rest).
_TRANSIENT = (Qt.WindowType.Popup, Qt.WindowType.ToolTip, Qt.WindowType.SplashScreen)
_MAX_POPUPS = 16


class Lockable(Protocol):
    """The main window: hides its own patient data (see ``MainWindow.set_locked``)."""

    def set_locked(self, locked: bool) -> None: ...


class Curtain(QWidget):
    """An opaque cover over a whole window, on top of everything else in it."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setObjectName("lockCurtain")
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setAutoFillBackground(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        label = QLabel(f"{APP_NAME} is locked.", self)
        label.setObjectName("lockCurtainLabel")
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        self.cover()
        window.installEventFilter(self)

    def cover(self) -> None:
        window = self.parentWidget()
        if window is not None:
            self.setGeometry(window.rect())
        self.raise_()
        self.show()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().window())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        # A resized window, or a child added later (a panel built when a result arrives) that would sit
        # above the curtain: cover again.
        if event.type() in (QEvent.Type.Resize, QEvent.Type.ChildAdded, QEvent.Type.ChildPolished):
            self.cover()
        return False

    def remove(self) -> None:
        window = self.parentWidget()
        if window is not None:
            window.removeEventFilter(self)
        self.hide()
        self.setParent(None)
        self.deleteLater()


class ScreenLock(QObject):
    """Covers the application's windows; ``locked`` while it does. ``keep`` is the lock screen itself."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._main: Lockable | None = None
        self._keep: QWidget | None = None
        self._titles: dict[QWidget, str] = {}
        self._curtains: dict[QWidget, Curtain] = {}
        self.locked = False

    def lock(self, main: Lockable, keep: QWidget) -> None:
        """Hide every window's patient data now; ``main`` hides its own, ``keep`` (the lock screen) stays."""
        if self.locked:
            return
        self.locked, self._main, self._keep = True, main, keep
        QToolTip.hideText()
        for _ in range(_MAX_POPUPS):  # nested menus: one close each (bounded, should one refuse to close)
            popup = QApplication.activePopupWidget()
            if popup is None:
                break
            popup.close()
        main.set_locked(True)
        for window in QApplication.topLevelWidgets():
            if window is not cast(object, main) and window.isVisible():
                self._cover(window)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def covered(self) -> list[QWidget]:
        """The windows under a curtain now."""
        return [window for window in self._curtains if _alive(window)]

    def curtain(self, window: QWidget) -> Curtain | None:
        return self._curtains.get(window)

    def _cover(self, window: QWidget) -> None:
        if window is self._keep or window in self._curtains or window is cast(object, self._main):
            return
        if window.windowType() in _TRANSIENT:
            if window.windowType() == Qt.WindowType.Popup:
                window.close()
            return
        self._titles[window] = window.windowTitle()
        window.setWindowTitle(LOCKED_TITLE)
        self._curtains[window] = Curtain(window)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if kind == QEvent.Type.ToolTip:
            return True  # no tooltip (a patient's name in a cell) while locked
        if kind == QEvent.Type.WindowTitleChange and watched in self._curtains:
            # A covered window retitled itself (progress, a name): keep its new title for later, not now.
            assert isinstance(watched, QWidget)
            if watched.windowTitle() != LOCKED_TITLE:
                self._titles[watched] = watched.windowTitle()
                watched.setWindowTitle(LOCKED_TITLE)
            return False
        if (
            kind == QEvent.Type.Show
            and isinstance(watched, QWidget)
            and watched.isWindow()
            and watched.windowType() not in _TRANSIENT  # only the lock screen can open one now
        ):
            self._cover(watched)
        return False

    def release(self) -> None:
        """The same person is back: every window as it was, titles included."""
        self._stop_watching()  # first: the titles put back below are not retitles to catch
        for window, curtain in list(self._curtains.items()):
            if _alive(window):
                window.setWindowTitle(self._titles.get(window, window.windowTitle()))
                curtain.remove()
        if self._main is not None:
            self._main.set_locked(False)
        self._finish()

    def discard(self) -> None:
        """Someone else signed in: the covered windows are closed (dialogs rejected, ending their
        ``exec()``), nothing of them is saved. The main window stays locked: the caller replaces it."""
        self._stop_watching()
        for window, curtain in list(self._curtains.items()):
            if not _alive(window):
                continue
            if isinstance(window, QDialog):
                window.reject()
            window.close()
            if _alive(window):  # hidden now; its curtain goes with it
                curtain.remove()
        self._finish()

    def _stop_watching(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    def _finish(self) -> None:
        self._stop_watching()
        self._curtains.clear()
        self._titles.clear()
        self._main = self._keep = None
        self.locked = False


def _alive(widget: QWidget) -> bool:
    """False once Qt has deleted the widget (a dialog closed with WA_DeleteOnClose while locked)."""
    try:
        widget.objectName()
    except RuntimeError:
        return False
    return True


class LockablePages(QStackedWidget):
    """A window's central area that a blank "locked" page can stand in for: the content is hidden, not
    closed, and the keyboard focus it had comes back with it (``set_locked``)."""

    def __init__(self, content: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainPages")
        self.content = content
        self.locked_page = QLabel(f"{APP_NAME} is locked.")
        self.locked_page.setObjectName("lockedPage")
        self.locked_page.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.addWidget(content)
        self.addWidget(self.locked_page)
        self._focus: QWidget | None = None

    def set_locked(self, locked: bool) -> None:
        if locked:
            focus = QApplication.focusWidget()
            self._focus = focus if focus is not None and self.content.isAncestorOf(focus) else None
            self.setCurrentWidget(self.locked_page)
        else:
            self.setCurrentWidget(self.content)
            if self._focus is not None and _alive(self._focus):
                self._focus.setFocus(Qt.FocusReason.OtherFocusReason)
            self._focus = None
