"""Background work reaches the GUI thread, reports progress, and drops results nobody wants any more."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThread
from pytestqt.qtbot import QtBot

from ui.tasks import InlineRunner, TaskContext, TaskRunner


def test_work_runs_off_the_gui_thread_and_its_result_arrives_on_it(qtbot: QtBot) -> None:
    runner = TaskRunner()
    gui_thread = QThread.currentThread()
    seen: dict[str, object] = {}

    def work(_: TaskContext) -> str:
        seen["worker_is_gui"] = QThread.currentThread() == gui_thread
        return "rows"

    def done(result: str) -> None:
        seen["result"], seen["done_is_gui"] = result, QThread.currentThread() == gui_thread

    runner.submit(work, on_done=done)
    qtbot.waitUntil(lambda: "result" in seen)
    assert seen == {"worker_is_gui": False, "result": "rows", "done_is_gui": True}


def test_an_error_goes_to_the_error_callback(qtbot: QtBot) -> None:
    errors: list[BaseException] = []

    def work(_: TaskContext) -> None:
        raise ValueError("bad file")

    TaskRunner().submit(work, on_done=lambda _: None, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors))
    assert isinstance(errors[0], ValueError)


def test_progress_is_reported_and_cancel_drops_the_result(qtbot: QtBot) -> None:
    runner = TaskRunner()
    release = threading.Event()
    progress: list[tuple[int, int]] = []
    results: list[str] = []

    def slow(context: TaskContext) -> str:
        context.progress(1, 2)
        release.wait(5)
        return "stale"

    handle = runner.submit(slow, on_done=results.append, on_progress=lambda d, t: progress.append((d, t)))
    qtbot.waitUntil(lambda: progress == [(1, 2)])
    handle.cancel()
    release.set()
    runner.wait()
    qtbot.waitUntil(lambda: handle.finished)
    assert results == []


def test_the_inline_runner_runs_at_once() -> None:
    results: list[int] = []
    InlineRunner().submit(lambda _: 42, on_done=results.append)
    assert results == [42]


def test_a_result_for_a_destroyed_widget_is_dropped(qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QLabel

    runner = TaskRunner()
    release = threading.Event()
    label = QLabel()
    shown: list[str] = []

    def slow(_: TaskContext) -> str:
        release.wait(5)
        return "late"

    handle = runner.submit(slow, on_done=lambda text: shown.append(text), owner=label)
    label.deleteLater()
    qtbot.waitUntil(lambda: handle.cancelled)
    release.set()
    runner.wait()
    qtbot.waitUntil(lambda: handle.finished)
    assert shown == []


def test_a_failed_jobs_locals_are_released_on_its_own_thread(qtbot: QtBot) -> None:
    """A cursor held by a failed query must not be finalised later by the GUI thread's garbage collector
    (while another worker uses that connection): the worker clears its frames before handing over."""
    import weakref

    class Cursor:
        pass

    held: list[weakref.ref[Cursor]] = []
    errors: list[BaseException] = []

    def work(_: TaskContext) -> None:
        cursor = Cursor()
        held.append(weakref.ref(cursor))
        raise ValueError("interrupted")

    runner = TaskRunner()
    runner.submit(work, on_done=lambda _: None, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors))
    assert errors[0].__traceback__ is not None  # still printable for the log
    assert held[0]() is None
