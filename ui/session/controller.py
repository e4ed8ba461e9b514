"""The signed-in session: who is at the desk, from the first sign-in to quitting.

``SessionController.start()`` runs first-run setup (a new database: ``ui.session.first_run``) or the
sign-in screen, then shows the main window for that person (after the first run, with what they chose
to do first: the Import wizard or New referral). While they work, an ``IdleWatch`` notes their input;
after the clinic's idle minutes (``security_settings.idle_minutes``), or on File → Lock screen, the
session locks: every window's patient data is hidden (``ScreenLock``) and the lock screen takes the
keyboard. The same person signing in
again gets everything back as it was; someone else (after "Switch user") gets a fresh window of their own,
and the previous person's open dialogs are closed. Sign-ins, locks, switches and quitting are all in the
audit trail (``accounts.sign_in`` / ``accounts.sign_out``).

The application (``ui.app``) owns the event loop: it calls ``start()``, runs the loop, and on
``finished`` (the person quit) backs up and quits.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QSettings, QTimer, Signal
from PySide6.QtWidgets import QDialog, QWidget

from refdesk.services import accounts, security_settings
from refdesk.services.actor import Actor
from refdesk.storage import Database
from ui.main_window import MainWindow
from ui.preferences import or_workstation
from ui.session.first_run import FirstRunWizard, start_demo
from ui.session.first_run_next import NextStep, open_first
from ui.session.idle import IdleWatch
from ui.session.lock import ScreenLock
from ui.session.password import PasswordDialog
from ui.session.signin import SignInDialog

log = logging.getLogger(__name__)

#: The preferences key of the user name last signed in on this workstation, prefilled at the next start.
LAST_USER = "session/last_user"
#: How often a replaced window is checked for background work still running before it is deleted.
RETIRE_POLL_MS = 250


class SessionController(QObject):
    """Runs the session. ``window`` and ``actor`` are the current main window and signed-in person
    (None before ``start()`` and after quitting); ``lock_screen`` is the lock screen once first locked.

    Signals:
        finished(): the person closed the main window (quit): back up and quit.
        signed_in(object): someone signed in and their window is shown (the ``Actor``), at start and
            when another person took over a locked session.
        locked_changed(bool): the session locked (True) or was unlocked (False).
    """

    finished = Signal()
    signed_in = Signal(object)
    locked_changed = Signal(bool)

    def __init__(
        self,
        db: Database,
        *,
        demo: bool,
        preferences: QSettings | None = None,
        clock: Callable[[], float] = time.monotonic,
        launch_demo: Callable[[], None] = start_demo,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._db, self._demo = db, demo
        self._launch_demo = launch_demo
        self._prefs = or_workstation(preferences)
        self.window: MainWindow | None = None
        self.actor: Actor | None = None
        self.lock_screen: SignInDialog | None = None
        self.screen_lock = ScreenLock(self)
        self.idle = IdleWatch(security_settings.DEFAULT_IDLE_MINUTES, clock=clock, parent=self)
        self.idle.idle.connect(self.lock)
        self._retired: list[MainWindow] = []
        self._retire_timer = QTimer(self, interval=RETIRE_POLL_MS)
        self._retire_timer.timeout.connect(self._delete_retired)

    @property
    def locked(self) -> bool:
        return self.screen_lock.locked

    # -- start ---------------------------------------------------------------------------------------

    def start(self) -> bool:
        """First-run setup or sign-in, then the main window. False when the person cancelled (quit), or
        chose to explore the demo first (another RefDesk opens it; this one quits)."""
        if not accounts.needs_setup(self._db):
            actor = self._sign_in_at_start()
            if actor is None:
                return False
            self.open_window(actor)
            return True
        wizard = FirstRunWizard(self._db, launch_demo=self._launch_demo)
        wizard.exec()
        # The administrator exists once setup was saved, even if the last page was then cancelled.
        actor, step, outcome = wizard.actor, wizard.choice or NextStep.OPEN, wizard.outcome
        wizard.deleteLater()
        if actor is None:
            return False
        window = self.open_window(actor)
        open_first(window, self._db, step, outcome)
        return True

    def _sign_in_at_start(self) -> Actor | None:
        while True:
            dialog = SignInDialog(self._db, demo=self._demo, username=self._last_user())
            accepted = dialog.exec() == QDialog.DialogCode.Accepted
            actor, password = dialog.actor, dialog.take_password()
            dialog.deleteLater()
            if not accepted or actor is None:
                return None
            if self._password_settled(actor, password, None):
                return actor
            self._sign_out(actor, "signed out")  # "Sign out" instead of choosing a password: back to sign-in

    def _password_settled(self, actor: Actor, current: str | None, parent: QWidget | None) -> bool:
        """True unless an administrator set ``actor``'s password and they declined to choose their own."""
        if not accounts.password_change_required(self._db, actor):
            return True
        dialog = PasswordDialog(self._db, actor, parent, forced=True, current=current)
        settled = dialog.exec() == QDialog.DialogCode.Accepted
        dialog.deleteLater()
        return settled

    def open_window(self, actor: Actor) -> MainWindow:
        """Show a main window for ``actor``, who has just signed in, and start watching for idleness."""
        self.actor = actor
        self._prefs.setValue(LAST_USER, actor.username)
        window = MainWindow(self._db, actor, demo=self._demo, preferences=self._prefs)
        window.lock_requested.connect(self.lock)
        window.switch_user_requested.connect(self.switch_user)
        window.idle_minutes_changed.connect(self.idle.set_minutes)
        window.closed.connect(self._window_closed)
        self.window = window
        window.show()
        window.activateWindow()
        self._watch()
        self.signed_in.emit(actor)
        return window

    def _last_user(self) -> str:
        value = self._prefs.value(LAST_USER, "")
        return value if isinstance(value, str) else ""

    def _watch(self) -> None:
        try:
            minutes = security_settings.idle_minutes(self._db)
        except Exception:  # noqa: BLE001 - the lock must never be off because a setting could not be read
            log.exception("idle lock minutes unreadable, using the default")
            minutes = security_settings.DEFAULT_IDLE_MINUTES
        self.idle.set_minutes(minutes)
        self.idle.start()

    # -- lock ------------------------------------------------------------------------------------------

    def lock(self) -> None:
        """Lock now (idle, or File → Lock screen): patient data hidden everywhere, the lock screen up."""
        self._lock("idle lock")

    def switch_user(self) -> None:
        """File → Switch user…: lock, with the lock screen ready for another person's name."""
        self._lock("switch user")
        if self.lock_screen is not None:
            self.lock_screen.switch_user()

    def _lock(self, reason: str) -> None:
        window, actor = self.window, self.actor
        if window is None or actor is None or self.screen_lock.locked:
            return
        self.idle.stop()
        screen = self._lock_screen()
        screen.prepare(actor.username)
        self.screen_lock.lock(window, screen)  # first: nothing may wait on the audit write below
        self._sign_out(actor, reason)
        geometry = window.frameGeometry()
        screen.adjustSize()
        screen.move(geometry.center() - screen.rect().center())
        screen.show()
        screen.raise_()
        screen.activateWindow()
        self.locked_changed.emit(True)

    def _lock_screen(self) -> SignInDialog:
        if self.lock_screen is None:
            self.lock_screen = SignInDialog(self._db, demo=self._demo, locked=True)
            self.lock_screen.accepted.connect(self._unlocked)
        return self.lock_screen

    def _unlocked(self) -> None:
        screen, current, window = self.lock_screen, self.actor, self.window
        if screen is None or current is None or window is None or screen.actor is None:
            return
        actor, password = screen.actor, screen.take_password()
        if actor.staff_id == current.staff_id:
            self.screen_lock.release()
            window.activateWindow()
            self._watch()
        else:
            self._take_over(actor, window, current)
        self.locked_changed.emit(False)
        if not self._password_settled(actor, password, self.window):
            self.lock()

    def _take_over(self, actor: Actor, old_window: MainWindow, previous: Actor) -> None:
        """Someone else signed in at the lock screen: the previous person's dialogs are closed, their
        session ends, and a fresh window opens for the new person (so everything is done as them)."""
        self.screen_lock.discard()
        self._sign_out(previous, "switch user")
        old_window.closed.disconnect(self._window_closed)
        self.open_window(actor)  # shown before the old one closes: never a moment without a window
        old_window.close()
        self._retired.append(old_window)
        self._retire_timer.start()

    def _delete_retired(self) -> None:
        """Delete replaced windows once no background work of theirs can still deliver a result."""
        for window in list(self._retired):
            if window.runner.idle():
                self._retired.remove(window)
                window.deleteLater()
        if not self._retired:
            self._retire_timer.stop()

    # -- quit --------------------------------------------------------------------------------------------

    def _window_closed(self) -> None:
        self.idle.stop()
        if self.actor is not None:
            self._sign_out(self.actor, "signed out")
        self.window = self.actor = None
        if self.lock_screen is not None:
            self.lock_screen.deleteLater()
            self.lock_screen = None
        self.finished.emit()

    def _sign_out(self, actor: Actor, reason: str) -> None:
        """Audit the end of ``actor``'s session; a failed write is logged, never stops a lock or a quit."""
        try:
            accounts.sign_out(self._db, actor, reason=reason)
        except Exception:  # noqa: BLE001 - see above; the audit trail's own failure handling logs it
            log.exception("sign-out not recorded (%s)", reason)
