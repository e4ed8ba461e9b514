"""The GUI half of ``refdesk selftest``: start the application as ``refdesk`` does and walk the window.

``refdesk.cli.selftest`` imports this module by name (the core never imports Qt) and runs ``steps()``
one by one, printing a line for each. The steps drive the real start-up code (``ui.app``'s
``create_application``: name, version, icon, style) and the real main window, for a demo administrator
rather than through the sign-in screen, since nobody is there to type: shown, every tab opened (the
Partners and Reports tabs build themselves and pull in QtCharts when first shown), the first referral of
the queue opened, and the window closed again. It works on the ``offscreen`` platform, so CI runs it
inside the freshly built bundle: a Qt plugin, a module loaded by name or a resource left out of the
bundle fails here, named.

Waiting is done by processing events until the window's background work (``TaskRunner``) is idle; an
exception escaping a slot during a step fails that step (it is caught, not shown in a dialog).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import PySide6
from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QSettings, QThread, qVersion
from PySide6.QtWidgets import QApplication

from refdesk import APP_NAME, __version__
from refdesk.services.actor import Actor
from refdesk.storage import Database
from ui.main_window import MainWindow
from ui.tasks import TaskRunner

#: How long one step may wait for the window (a cold start of a bundle on a busy CI machine is slow).
WAIT_SECONDS = 60.0
#: The window's preferences go to a file in the self-test's folder, never to the workstation's.
PREFERENCES_FILE = "selftest-preferences.ini"

Step = Callable[[], str]


def qt_version() -> str:
    return f"PySide6 {PySide6.__version__}, Qt {qVersion()}"


class GuiSelfTest:
    """The window steps on ``db`` as ``actor``, keeping its preferences in ``folder``.

    Use it as a context manager: leaving closes whatever a failed step left open and waits for the
    background work, so the database can be closed safely afterwards.
    """

    def __init__(self, db: Database, actor: Actor, folder: Path) -> None:
        self.db, self.actor, self.folder = db, actor, folder
        self.runner = TaskRunner()
        self.window: MainWindow | None = None
        self._preferences: QSettings | None = None
        self._caught: list[BaseException] = []
        self._previous_hook = sys.excepthook

    def __enter__(self) -> GuiSelfTest:
        sys.excepthook = self._catch
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self.window is not None and self.window.isVisible():
                self.window.close()
            self.runner.wait()
            QApplication.processEvents()
        finally:
            sys.excepthook = self._previous_hook

    def steps(self) -> list[tuple[str, Step]]:
        """The steps in order, each with the name its line is printed under."""
        return [
            ("application", self.application),
            ("main window", self.main_window),
            ("tabs", self.tabs),
            ("referral", self.referral),
            ("close", self.close),
        ]

    # -- the steps -----------------------------------------------------------------------------------

    def application(self) -> str:
        """The QApplication, set up by the same function ``refdesk`` starts with."""
        from ui.app import create_application

        app = create_application([sys.argv[0] if sys.argv else APP_NAME])
        found = (app.applicationName(), app.applicationVersion())
        if found != (APP_NAME, __version__):
            raise ValueError(f"the application calls itself {found[0]} {found[1]}")
        icon = app.windowIcon()
        if icon.isNull() or icon.pixmap(32, 32).isNull():
            raise ValueError("the window icon did not load (the SVG image plugin may be missing)")
        if not app.styleSheet():
            raise ValueError("the style sheet was not applied")
        return f"{APP_NAME} {__version__}, icon, style sheet, platform {app.platformName()}"

    def main_window(self) -> str:
        """The main window shown, its queue's first page and status bar filled in."""
        self._preferences = QSettings(str(self.folder / PREFERENCES_FILE), QSettings.Format.IniFormat)
        window = MainWindow(self.db, self.actor, demo=True, runner=self.runner, preferences=self._preferences)
        self.window = window
        window.show()
        self._wait(lambda: window.isVisible() and window.queue.model.rowCount() > 0, "the queue's first page")
        self._settle()
        if APP_NAME not in window.windowTitle():
            raise ValueError(f"the window is titled “{window.windowTitle()}”")
        return f"{window.queue.model.rowCount()} referrals in the queue"

    def tabs(self) -> str:
        """Every tab shown in turn; the ones built on first use are built."""
        window = self._window()
        for index, name in enumerate(window.TABS):
            window.show_tab(index)
            page = window.tabs.widget(index)
            if page is None:
                raise ValueError(f"the window has no {name} tab")
            self._wait(page.isVisible, f"the {name} tab")
            self._settle()
        lazy = (window.partners_page, window.reports_page)
        unbuilt = [page.objectName() for page in lazy if not page.built]
        if unbuilt:
            raise ValueError(f"pages not built when shown: {', '.join(unbuilt)}")
        return ", ".join(window.TABS)

    def referral(self) -> str:
        """The first referral of the queue opened in the panel beside it."""
        window = self._window()
        window.show_tab(window.TABS.index("Queue"))
        self._wait(lambda: window.queue.model.referral_id_at(0) is not None, "the queue's first row")
        referral_id = window.queue.model.referral_id_at(0)
        assert referral_id is not None
        shown: list[int] = []
        window.detail.loaded.connect(lambda loaded_id: shown.append(loaded_id))
        window.open_referral(referral_id)
        self._wait(lambda: referral_id in shown, "the referral")
        self._settle()
        return f"referral {referral_id}"

    def close(self) -> str:
        """The window closed as the user closes it: its layout saved, its background work finished."""
        window = self._window()
        window.close()
        self._wait(lambda: not window.isVisible(), "closing the window")
        if not self.runner.wait(int(WAIT_SECONDS * 1000)):
            raise TimeoutError(f"background work still running {WAIT_SECONDS:.0f} s after closing")
        self._settle()
        window.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        self.window = None
        saved = self.folder / PREFERENCES_FILE
        if not saved.is_file():
            raise ValueError("the window did not save its layout on closing")
        return "layout saved"

    # -- waiting -------------------------------------------------------------------------------------

    def _window(self) -> MainWindow:
        if self.window is None:
            raise RuntimeError("the main window is not open")
        return self.window

    def _wait(self, ready: Callable[[], bool], what: str) -> None:
        """Process events until ``ready()``; raises when ``what`` takes longer than ``WAIT_SECONDS`` or
        a slot raised meanwhile."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            if self._caught:
                error = self._caught.pop(0)
                self._caught.clear()
                raise error
            if ready():
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what}: not there after {WAIT_SECONDS:.0f} s")
            QThread.msleep(5)

    def _settle(self) -> None:
        """Wait until the background work has been idle for a few rounds of events (results arrive as
        events and may start more work)."""
        quiet = 0

        def settled() -> bool:
            nonlocal quiet
            quiet = quiet + 1 if self.runner.idle() else 0
            return quiet >= 3

        self._wait(settled, "the window's background work")

    def _catch(self, kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        """``sys.excepthook`` during the steps: an exception escaping a slot fails the running step."""
        self._caught.append(error.with_traceback(tb))
