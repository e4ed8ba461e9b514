"""The full check of the database file, on a worker once the desk is open.

``recovery.full_check`` reads every page (SQLite's ``quick_check``): about a second at 100,000
referrals, up to 100 s for a million on a cold disk. Start-up cannot wait for it, so it runs right after
sign-in on a worker of its own, on its own read-only connection (in WAL mode it never blocks the desk's
writes). Only a verdict of damage is passed on; a file that was merely busy is not damage.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from refdesk.errors import OperationCancelled
from refdesk.storage.recovery import Health, full_check
from ui.tasks import TaskContext, TaskRunner

log = logging.getLogger(__name__)


class BackgroundCheck(QObject):
    """Checks one database file in full, once.

    Signals:
        damaged(object): the file is damaged (the ``Health``, whose ``problem`` says what).
        checked(object): the check finished, whatever its verdict (the ``Health``).
    """

    damaged = Signal(object)
    checked = Signal(object)

    def __init__(
        self, path: Path, *, runner: TaskRunner | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._path = Path(path)
        self._runner = runner or TaskRunner(max_threads=1)
        self._stop = threading.Event()
        self.running = False

    def start(self) -> None:
        path, stop = self._path, self._stop

        def job(_context: TaskContext) -> Health:
            return full_check(path, should_stop=stop.is_set)

        self.running = True
        self._runner.submit(job, on_done=self._done, on_error=self._failed)

    def stop(self) -> None:
        """Stop the check (it looks every few thousand steps) and wait for its worker to let go of the
        file: a restore must never find it open."""
        self._stop.set()
        self._runner.wait()
        self.running = False

    def _done(self, health: Health) -> None:
        self.running = False
        if self._stop.is_set():
            return
        self.checked.emit(health)
        if not health.ok and health.kind == "damaged":
            log.error("full check: %s", health.problem)
            self.damaged.emit(health)
        elif not health.ok:
            log.warning("full check could not finish: %s", health.problem)

    def _failed(self, error: BaseException) -> None:
        self.running = False
        if isinstance(error, OperationCancelled):
            return
        log.error("full check failed", exc_info=error)
