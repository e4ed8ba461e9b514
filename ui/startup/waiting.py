"""Waiting for one piece of work with a small modal progress dialog: the exit backup, a restore, the
demo data on first use.

These happen when there is nothing else to do (RefDesk is closing, or not open yet), so the caller
waits, but the work still runs on a worker: the dialog paints, its Cancel button answers, and the
operating system never calls the window "not responding". The wait is a local event loop, which also
works after the application's own loop has ended (the exit backup runs then).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from PySide6.QtCore import QEventLoop, Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QProgressDialog, QWidget

from refdesk.errors import OperationCancelled
from ui.tasks import TaskContext, TaskRunner

T = TypeVar("T")

Progress = Callable[[int, int], None]
ShouldStop = Callable[[], bool]
#: Show the dialog only when the work takes longer than this: a small backup is done before it appears.
SHOW_AFTER_MS = 400


@dataclass
class Outcome(Generic[T]):
    """How the work ended: its result, the error it raised, or cancelled by the user."""

    result: T | None = None
    error: BaseException | None = None
    cancelled: bool = False


class ProgressDialog(QProgressDialog):
    """A progress dialog that Escape and the window's close button cancel (when cancelling is allowed)
    and otherwise cannot close: the work goes on, so the dialog must stay to say so."""

    def __init__(self, label: str, cancellable: bool, parent: QWidget | None) -> None:
        super().__init__(label, "Cancel", 0, 0, parent)
        self._cancellable = cancellable
        if not cancellable:
            self.setCancelButton(None)  # Qt's documented way to remove it

    def reject(self) -> None:
        if self._cancellable:
            self.canceled.emit()  # what the Cancel button emits (``cancel()`` alone would not say so)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        event.ignore()
        self.reject()


def run_modal(
    work: Callable[[Progress, ShouldStop], T],
    *,
    runner: TaskRunner,
    title: str,
    label: str,
    parent: QWidget | None = None,
    cancellable: bool = True,
) -> Outcome[T]:
    """Run ``work(progress, should_stop)`` on ``runner`` and wait for it behind a modal progress dialog.

    Cancel sets ``should_stop``; the work is expected to stop soon after (raising
    ``OperationCancelled``), and the wait lasts until it has: nothing is left running behind the caller.
    """
    stop = threading.Event()
    outcome: Outcome[T] = Outcome()
    finished: list[bool] = []
    loop = QEventLoop()
    dialog = ProgressDialog(label, cancellable, parent)
    dialog.setObjectName("waitingProgress")
    dialog.setWindowTitle(title)
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
    dialog.setMinimumWidth(40 * dialog.fontMetrics().averageCharWidth())
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.setMinimumDuration(SHOW_AFTER_MS)

    def cancel() -> None:
        stop.set()
        dialog.setLabelText("Stopping…")

    def end() -> None:
        finished.append(True)
        loop.quit()

    def done(result: T) -> None:
        outcome.result = result
        end()

    def failed(error: BaseException) -> None:
        if isinstance(error, OperationCancelled):
            outcome.cancelled = True
        else:
            outcome.error = error
        end()

    def progressed(done_count: int, total: int) -> None:
        if total > 0 and not stop.is_set():
            dialog.setMaximum(total)
            dialog.setValue(min(done_count, total))

    def job(context: TaskContext) -> T:
        return work(context.progress, lambda: stop.is_set() or context.cancelled)

    dialog.canceled.connect(cancel)
    dialog.setValue(0)  # starts the delay after which the dialog shows itself
    runner.submit(job, on_done=done, on_error=failed, on_progress=progressed)
    if not finished:  # an inline runner has finished already
        loop.exec()
    dialog.canceled.disconnect(cancel)
    dialog.reset()
    dialog.hide()
    dialog.deleteLater()
    return outcome
