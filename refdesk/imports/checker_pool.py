"""Checking the rows of a large import in worker processes while the database writes: ``checked_rows``
runs a ``checker.Checker`` in-process, or for large files in two worker processes (started with
``spawn``, as the demo's generator is: ``refdesk.demo.workers``), the rows travelling as ``marshal``
data in chunks, results coming back in file order."""

from __future__ import annotations

import marshal
import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

from refdesk.demo.workers import _main_script_hidden, worker_count
from refdesk.imports.checker import Checked, Checker, Setup

#: Rows per chunk sent to a worker, and chunks in flight per worker.
CHUNK_ROWS = 2000
IN_FLIGHT = 2
#: Below this many rows, checking in-process is faster than starting workers.
PARALLEL_FROM = 20_000

Rows = list[tuple[int, dict[str, str], str | None]]
_worker: Checker | None = None


def _start_worker(setup: Setup) -> None:
    global _worker
    _worker = Checker(setup)


def _check_chunk(data: bytes) -> bytes:
    """A chunk of rows (marshal: line, cells, problem) checked: marshal of (results, unknown partners)."""
    assert _worker is not None
    rows: Rows = marshal.loads(data)
    _worker.unknown.clear()
    results = [_worker.check(line, cells, problem) for line, cells, problem in rows]
    return marshal.dumps((results, dict(_worker.unknown), _worker.unknown_names))


def checked_rows(
    checker: Checker, rows: Iterable[tuple[int, dict[str, str], str | None]], expected: int
) -> Iterator[Checked]:
    """Each row checked, in order: in this process, or in worker processes when ``expected`` (about how
    many rows there are) is large enough. Unknown partners are counted in ``checker`` either way."""
    workers = worker_count(expected) if expected >= PARALLEL_FROM else 0
    if workers <= 0:
        for line, cells, problem in rows:
            yield checker.check(line, cells, problem)
        return
    workers = min(workers, 2)
    context = multiprocessing.get_context("spawn")
    chunks = _chunks(rows)
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_start_worker, initargs=(checker.setup,)
    ) as pool:
        pending: deque[Future[bytes]] = deque()
        try:
            with _main_script_hidden():
                for chunk in chunks:
                    pending.append(pool.submit(_check_chunk, chunk))
                    if len(pending) >= workers * IN_FLIGHT:
                        break
            while pending:
                results, unknown, names = marshal.loads(pending.popleft().result())
                following = next(chunks, None)
                if following is not None:
                    pending.append(pool.submit(_check_chunk, following))
                checker.unknown.update(unknown)
                for key, name in names.items():
                    checker.unknown_names.setdefault(key, name)
                yield from results
        finally:
            for future in pending:
                future.cancel()


def _chunks(rows: Iterable[tuple[int, dict[str, str], str | None]]) -> Iterator[bytes]:
    chunk: Rows = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK_ROWS:
            yield marshal.dumps(chunk)
            chunk = []
    if chunk:
        yield marshal.dumps(chunk)
