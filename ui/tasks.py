"""Background work: the one way the UI runs anything that may take longer than a frame.

``TaskRunner.submit(fn, on_done=..., on_error=...)`` runs ``fn(context)`` on a thread pool and calls the
callbacks on the GUI thread; a worker never touches a widget. ``context.progress(done, total)`` reports
progress and ``context.cancelled`` tells long work to stop. Cancelling a handle also drops its late
result, so a query overtaken by newer input never paints stale rows. Tests may use ``InlineRunner``,
which runs the work at once on the calling thread.

While work runs, Python's cyclic garbage collector runs only on the GUI thread (``_GuiThreadCollector``):
otherwise a worker that allocates (a large fetch) frees whatever cyclic garbage there is, widgets
included, on its own thread, and the process crashes.
"""

from __future__ import annotations

import gc
import logging
import threading
import traceback
import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, QTimer, Signal, Slot

log = logging.getLogger(__name__)
T = TypeVar("T")


class Cancelled(Exception):
    """Raised inside work that noticed ``context.cancelled``; it is not an error."""


class TaskContext:
    """Handed to the work function: report progress, check for cancel (both thread-safe)."""

    def __init__(self, report: Callable[[int, int], None]) -> None:
        self._report = report
        self._cancel = threading.Event()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        """Raise Cancelled when the user cancelled; call it between chunks of long work."""
        if self._cancel.is_set():
            raise Cancelled

    def progress(self, done: int, total: int) -> None:
        self._report(done, total)


class TaskHandle:
    def __init__(self, context: TaskContext) -> None:
        self._context = context
        self.finished = False

    def cancel(self) -> None:
        """Ask the work to stop and drop whatever it still returns."""
        self._context._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._context.cancelled


class _Relay(QObject):
    """Lives on the GUI thread; the worker's signals reach its slots through queued connections."""

    succeeded = Signal(object)
    failed = Signal(object)
    progressed = Signal(int, int)

    def __init__(
        self,
        handle: TaskHandle,
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
        on_progress: Callable[[int, int], None] | None,
        forget: Callable[[_Relay], None],
    ) -> None:
        # Owned by the application object, not by Python references: the worker that drops the finished
        # job (and with it a reference to this relay) must never be the thread that deletes it.
        super().__init__(QCoreApplication.instance())
        self._handle, self._on_done, self._on_error = handle, on_done, on_error
        self._on_progress, self._forget = on_progress, forget
        self.succeeded.connect(self._done)
        self.failed.connect(self._fail)
        self.progressed.connect(self._progress)

    @Slot(object)
    def _done(self, result: object) -> None:
        self._finish()
        if not self._handle.cancelled:
            self._on_done(result)

    @Slot(object)
    def _fail(self, error: object) -> None:
        self._finish()
        if not self._handle.cancelled and not isinstance(error, Cancelled):
            assert isinstance(error, BaseException)
            self._on_error(error)

    @Slot(int, int)
    def _progress(self, done: int, total: int) -> None:
        if self._on_progress and not self._handle.cancelled:
            self._on_progress(done, total)

    def _finish(self) -> None:
        self._handle.finished = True
        self._forget(self)
        self.deleteLater()  # by Qt, on this (the GUI) thread, once this slot has returned


class _Job(QRunnable, Generic[T]):
    def __init__(self, fn: Callable[[TaskContext], T], context: TaskContext, relay: _Relay) -> None:
        super().__init__()
        self._fn, self._context, self._relay = fn, context, relay

    def run(self) -> None:
        try:
            result = self._fn(self._context)
        except BaseException as error:  # noqa: BLE001 - handed to the GUI thread, which decides
            # Release the failed frames' locals here, on the worker thread. Otherwise a database cursor
            # held by the traceback is finalised later by the GUI thread's garbage collector while
            # another worker uses the same pooled connection: two threads in one SQLite connection
            # crash the process. The traceback stays printable (file, line) for the log.
            if error.__traceback__ is not None:  # its first frame is this one, still running
                traceback.clear_frames(error.__traceback__.tb_next)
            self._relay.failed.emit(Cancelled() if self._context.cancelled else error)
        else:
            self._relay.succeeded.emit(result)


class _GuiThreadCollector:
    """Keeps Python's cyclic garbage collector on the GUI thread while any worker may run Python.

    CPython collects on whichever thread allocates past a generation's threshold: during a large
    ``fetchall`` that is the worker, and it frees every piece of cyclic garbage in the process. Garbage
    often holds widgets (a closed panel whose slots refer back to it). A Python subclass of QWidget is
    then destroyed on the worker thread (shiboken defers only plain Qt classes to the main thread), with
    the GIL released, while the GUI thread dispatches events to the same widgets: a segfault in
    ``processEvents``. So while work is in flight automatic collection is off and a timer on the GUI
    thread collects with the same thresholds; once every pool is idle it is switched back on. Nothing is
    left uncollected: only the thread that collects changes.
    """

    INTERVAL_MS = 100

    def __init__(self) -> None:
        self._runners: weakref.WeakSet[TaskRunner] = weakref.WeakSet()
        self._holding = False
        self._timer = QTimer()  # this object's for the process's life, not the application object's
        self._timer.setInterval(self.INTERVAL_MS)
        self._timer.timeout.connect(self.tick)

    @property
    def holding(self) -> bool:
        """True while automatic collection is off because work may be running."""
        return self._holding

    def hold(self, runner: TaskRunner) -> None:
        """Call on the GUI thread before ``runner`` starts work. A program (or test) that switched
        automatic collection off itself is left alone: nothing is collected behind its back."""
        self._runners.add(runner)
        if self._holding or not gc.isenabled():
            return
        gc.disable()
        self._holding = True
        self._timer.start()

    def tick(self) -> None:
        """Collect what CPython would have collected by now; give collection back once all is idle."""
        if not self._holding:
            return
        counts, thresholds = gc.get_count(), gc.get_threshold()
        if 0 < thresholds[0] < counts[0]:  # a threshold of 0 means "never" (gc.set_threshold)
            generation = 2 if counts[2] > thresholds[2] else 1 if counts[1] > thresholds[1] else 0
            gc.collect(generation)
        # activeThreadCount() counts a thread until its job has returned and been deleted: at zero no
        # worker can be running Python, so a collection it triggers can no longer happen there.
        if all(runner.idle() for runner in self._runners):
            self._timer.stop()
            self._holding = False
            gc.enable()


_collector: _GuiThreadCollector | None = None


def _gui_thread_collector() -> _GuiThreadCollector:
    global _collector
    if _collector is None:
        _collector = _GuiThreadCollector()
    return _collector


def _log_error(error: BaseException) -> None:
    log.error("background task failed", exc_info=error)


class TaskRunner:
    """Runs work on a thread pool (one database, many short reads: a small pool is plenty)."""

    def __init__(self, max_threads: int = 2) -> None:
        self._pool = QThreadPool()
        self._pool.setMaxThreadCount(max_threads)
        self._relays: set[_Relay] = set()

    def submit(
        self,
        fn: Callable[[TaskContext], T],
        *,
        on_done: Callable[[T], None],
        on_error: Callable[[BaseException], None] = _log_error,
        on_progress: Callable[[int, int], None] | None = None,
        owner: QObject | None = None,
    ) -> TaskHandle:
        """``owner``: the widget the result is for; when it is destroyed first, the result is dropped."""
        relay_box: list[_Relay] = []
        context = TaskContext(lambda done, total: relay_box[0].progressed.emit(done, total))
        handle = TaskHandle(context)
        relay = _Relay(handle, on_done, on_error, on_progress, self._relays.discard)
        relay_box.append(relay)
        self._relays.add(relay)
        if owner is not None:
            owner.destroyed.connect(handle.cancel)
        _gui_thread_collector().hold(self)  # before the worker can run a line
        self._pool.start(_Job(fn, context, relay))
        return handle

    def idle(self) -> bool:
        """True when no job of this runner is queued or running."""
        return self._pool.activeThreadCount() == 0

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until all work is done (shutdown and tests); results still arrive through the event loop."""
        done = self._pool.waitForDone(msecs)
        if done and _collector is not None:
            _collector.tick()  # collection comes back now, not only at the next timer tick
        return done


class InlineRunner(TaskRunner):
    """Runs work at once on the calling thread: deterministic tests without waiting."""

    def submit(
        self,
        fn: Callable[[TaskContext], T],
        *,
        on_done: Callable[[T], None],
        on_error: Callable[[BaseException], None] = _log_error,
        on_progress: Callable[[int, int], None] | None = None,
        owner: QObject | None = None,
    ) -> TaskHandle:
        context = TaskContext(on_progress or (lambda _done, _total: None))
        handle = TaskHandle(context)
        try:
            result = fn(context)
        except Cancelled:
            pass
        except Exception as error:  # noqa: BLE001 - same contract as the threaded runner
            on_error(error)
        else:
            on_done(result)
        handle.finished = True
        return handle
