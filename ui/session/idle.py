"""Noticing that nobody is at the desk: the idle half of the automatic lock (reliability promise 12).

An application-wide event filter notes the time of the last keyboard, mouse, wheel or touch input, in
any window; a timer compares it every few seconds with the clinic's idle minutes. Time comes from an
injectable monotonic clock, so tests move a fake clock and call ``check()`` instead of waiting, and a
change of the wall clock (daylight saving, a corrected time) neither locks early nor never.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer, Signal

#: How often the idle time is compared with the limit: a lock a few seconds late is still a lock.
CHECK_MS = 5_000

#: What a person at the desk does. Window activation and paint events are not input: a screen that only
#: redraws (a refresh timer, a notification) must still lock.
INPUT_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.KeyRelease,
        QEvent.Type.ShortcutOverride,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonRelease,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TouchUpdate,
        QEvent.Type.TabletPress,
        QEvent.Type.TabletMove,
    }
)


class IdleWatch(QObject):
    """Says when no input has come for ``minutes`` minutes.

    Signals:
        idle(): the limit was reached; sent once, then the watch pauses until ``start()`` again.
    """

    idle = Signal()

    def __init__(
        self,
        minutes: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        interval_ms: int = CHECK_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._clock = clock
        self._limit = minutes * 60.0
        self._last = clock()
        self._running = False
        self._timer = QTimer(self, interval=interval_ms)
        self._timer.timeout.connect(self.check)

    @property
    def running(self) -> bool:
        return self._running

    @property
    def minutes(self) -> float:
        return self._limit / 60.0

    def set_minutes(self, minutes: int) -> None:
        self._limit = minutes * 60.0

    def idle_seconds(self) -> float:
        return self._clock() - self._last

    def start(self) -> None:
        """Watch from now (the idle time starts at zero); installs the input filter."""
        self._last = self._clock()
        if not self._running:
            app = QCoreApplication.instance()
            if app is not None:
                app.installEventFilter(self)
            self._running = True
        self._timer.start()

    def stop(self) -> None:
        """Stop watching (locked, or signed out); input is no longer noted."""
        self._timer.stop()
        if self._running:
            app = QCoreApplication.instance()
            if app is not None:
                app.removeEventFilter(self)
            self._running = False

    def touch(self) -> None:
        """Input now (what the filter does for each key or mouse event)."""
        self._last = self._clock()

    def check(self) -> None:
        """Lock time? Sends ``idle`` once when the limit is reached, and stops."""
        if self._running and self.idle_seconds() >= self._limit:
            self.stop()
            self.idle.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        # Called for every event of the application: one set lookup, nothing else.
        if event.type() in INPUT_EVENTS:
            self._last = self._clock()
        return False
