"""The wizard's background work: every read of the file, one at a time, on the task runner.

A ``Source`` is an open file (a CSV reader, an XLSX workbook): two threads must never read it at once,
and it must not be closed while a read is under way. So the wizard queues its work here instead of
submitting it to the runner itself: one job runs at a time; a new look at the file replaces whatever
waits and supersedes what runs (the user went back, chose another file, closed the wizard): that job is
asked to stop and finishes quietly before the next starts. Closing a file is "essential": it is never
dropped from the queue, so a file is always closed, and never under a reader's feet.

Stopping is our own flag rather than ``TaskHandle.cancel``: a cancelled handle drops the job's last word,
and the import page must hear it ("Import cancelled; nothing was changed.") once the transaction is
rolled back, not before.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from refdesk.errors import RefDeskError
from ui.tasks import TaskContext, TaskRunner

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


@dataclass(eq=False)
class Work:
    """What a job's function gets: report progress, and ask whether to stop (the wizard's Cancel, or
    the job's result is no longer wanted)."""

    context: TaskContext
    stop: threading.Event = field(default_factory=threading.Event)

    def progress(self, done: int, total: int) -> None:
        self.context.progress(done, total)

    def should_stop(self) -> bool:
        return self.stop.is_set() or self.context.cancelled


@dataclass(eq=False)
class Job:
    """One queued piece of work and what to do with its outcome (on the GUI thread)."""

    fn: Callable[[Work], Any]
    on_done: Callable[[Any], None]
    on_error: Callable[[BaseException], None]
    on_progress: Callable[[int, int], None] | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    #: Nobody wants the outcome any more: it is dropped (the job is asked to stop, too).
    superseded: bool = False
    finished: bool = False
    #: Runs even when superseded (closing a file): a newer request never removes it from the queue.
    essential: bool = False
    #: Given a superseded job's result (an opened file nobody will use), on the GUI thread.
    dispose: Callable[[Any], None] | None = None

    def request_stop(self) -> None:
        """Ask the work to stop; its outcome (``OperationCancelled``, usually) still arrives."""
        self.stop.set()


class SerialJobs:
    """Runs the wizard's jobs on ``runner`` strictly one after another (see the module docstring).

    Callbacks run on the GUI thread; a superseded job's callbacks never run, so a closed wizard's
    widgets are never touched by a late result.
    """

    def __init__(self, runner: TaskRunner) -> None:
        self._runner = runner
        self._running: Job | None = None
        self._waiting: deque[Job] = deque()
        self._closed = False

    @property
    def busy(self) -> bool:
        """True while a job runs or waits whose outcome is still wanted."""
        running = self._running is not None and not self._running.superseded
        return running or any(not job.superseded for job in self._waiting)

    @property
    def idle(self) -> bool:
        """True when nothing runs or waits at all, wanted or not."""
        return self._running is None and not self._waiting

    def submit(
        self,
        fn: Callable[[Work], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
        on_progress: Callable[[int, int], None] | None = None,
        *,
        replace: bool = True,
        essential: bool = False,
        dispose: Callable[[Any], None] | None = None,
    ) -> Job:
        """Queue ``fn(work)``. With ``replace`` (a new look at the file), whatever runs or waits is
        superseded first: its result would be stale. Without it the job simply waits its turn (saving
        a mapping file). ``essential``: see ``Job``; ``dispose`` receives the result if it is dropped."""
        job = Job(fn, on_done, on_error, on_progress, essential=essential, dispose=dispose)
        if self._closed:
            job.superseded = True
            return job
        if replace:
            self.supersede()
        self._waiting.append(job)
        if self._running is None:
            self._start_next()
        return job

    def supersede(self) -> None:
        """Drop the outcome of whatever runs or waits, and ask it to stop."""
        for job in (self._running, *self._waiting):
            if job is not None:
                job.superseded = True
                if not job.essential:
                    job.stop.set()
        kept = [job for job in self._waiting if job.essential]
        self._waiting.clear()
        self._waiting.extend(kept)

    def close(self, final: Callable[[], None] | None = None) -> None:
        """The wizard is going away: drop every outcome, then run ``final`` (closing the file) on a
        worker once the running job is done with the file. Later submissions are ignored."""
        self.supersede()
        if final is not None:

            def run_final(_work: Work) -> None:
                final()

            self._waiting.append(Job(run_final, _ignore, _log_late_error, essential=True))
            if self._running is None:
                self._start_next()
        self._closed = True

    # --- running ----------------------------------------------------------------------------------

    def _start_next(self) -> None:
        if not self._waiting:
            return
        job = self._waiting.popleft()
        self._running = job

        def run(context: TaskContext) -> Any:
            return job.fn(Work(context, job.stop))

        def progressed(done: int, total: int) -> None:
            if not job.superseded and job.on_progress is not None:
                job.on_progress(done, total)

        # The InlineRunner calls back before submit returns: _finished copes with that.
        self._runner.submit(
            run,
            on_done=lambda result: self._finished(job, result, None),
            on_error=lambda error: self._finished(job, None, error),
            on_progress=progressed,
        )

    def _finished(self, job: Job, result: Any, error: BaseException | None) -> None:
        job.finished = True
        if self._running is job:
            self._running = None
        try:
            if not job.superseded:
                if error is None:
                    job.on_done(result)
                else:
                    job.on_error(error)
            elif error is not None:
                _log_late_error(error)
            elif job.dispose is not None:
                job.dispose(result)
        finally:
            if self._running is None:
                self._start_next()


def _ignore(_value: object) -> None:
    """An outcome nobody reads (closing the file after the wizard is gone)."""


def _log_late_error(error: BaseException) -> None:
    """A job nobody waits for any more failed: a bug is still worth its line in the log."""
    if not isinstance(error, RefDeskError):
        log.error("import wizard: background read failed after it was dropped", exc_info=error)
