"""Background work reaches the GUI thread, reports progress, and drops results nobody wants any more."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QThread
from pytestqt.qtbot import QtBot

from ui.tasks import InlineRunner, TaskContext, TaskRunner

ROOT = Path(__file__).resolve().parents[2]


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


def test_the_garbage_collector_never_runs_on_a_worker(qtbot: QtBot) -> None:
    """Automatic collection is off while work runs (the GUI thread collects), and back on afterwards."""
    collections_on: list[str] = []

    def record(phase: str, _info: dict[str, Any]) -> None:
        if phase == "start":
            collections_on.append(threading.current_thread().name)

    def allocate(_: TaskContext) -> bool:
        rows = [(i,) for i in range(50_000)]  # ~70 collections' worth of new objects, as a fetchall makes
        return gc.isenabled() and len(rows) > 0

    runner = TaskRunner()
    results: list[bool] = []
    gc.callbacks.append(record)
    try:
        runner.submit(allocate, on_done=results.append)
        qtbot.waitUntil(lambda: bool(results))
        assert runner.wait()
    finally:
        gc.callbacks.remove(record)
    assert results == [False]
    assert set(collections_on) <= {threading.main_thread().name}
    assert gc.isenabled()


#: A widget tree left as cyclic garbage, then work that allocates as ``queue.matching_ids`` does (an
#: sqlite3 fetchall of many rows). Before the fix the worker's allocations ran the collector on the worker,
#: which destroyed the widgets there while the GUI thread processed their events: a segfault within a
#: few rounds, and always Qt's warning about the widget's timer (it may only be stopped on its thread).
_GARBAGE_WIDGETS_DURING_A_FETCH = r"""
import sqlite3
from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget
from ui.tasks import TaskRunner

IDS = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) SELECT i FROM n"


class Panel(QWidget):
    def __init__(self):
        super().__init__()
        rows = QVBoxLayout(self)
        for _ in range(5):
            box = QWidget()
            form = QFormLayout(box)
            for i in range(5):
                form.addRow(QLabel(str(i)), QLineEdit())
            rows.addWidget(box)
        self.startTimer(60_000)
        self.me = self  # only the cyclic collector frees it


def fetch_ids(_context):
    connection = sqlite3.connect(":memory:")
    try:
        return connection.execute(IDS).fetchall()
    finally:
        connection.close()


app = QApplication([])
runner = TaskRunner()
for _ in range(5):
    Panel()
    done = []
    runner.submit(fetch_ids, on_done=done.append)
    while not done:
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
runner.wait()
print("ok")
"""


def test_widgets_left_as_garbage_are_not_destroyed_by_a_worker() -> None:
    """The segfault seen in the queue benchmark, in a child process so that a crash fails this test only."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT), PYTHONFAULTHANDLER="1")
    child = subprocess.run(
        [sys.executable, "-c", _GARBAGE_WIDGETS_DURING_A_FETCH],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert child.returncode == 0, child.stderr[-3000:]
    assert "another thread" not in child.stderr, child.stderr[-3000:]
    assert child.stdout.strip() == "ok"
