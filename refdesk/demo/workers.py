"""Generating chunks while the database writes: worker processes for large demos, in-process for small.

On two cores, the Python that invents a year of referrals and the SQLite that stores it can run side
by side: worker processes generate chunks, the caller writes them in order. The chunks are the same
either way (each has its own seed), so a demo does not depend on where it was generated.

Workers are started with ``spawn`` (no fork of a process that may hold Qt or open connections) and
only for sizes where the ~0.5 s start pays off; never in a frozen application, where starting a
worker would start the application again. They run refdesk code only, so they are started without
the caller's main script (spawn would otherwise run again a script that lacks a ``__main__`` guard).
At most a few chunks are in flight, so memory stays flat.
"""

from __future__ import annotations

import marshal
import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

from refdesk.demo.generator import Chunk, Stream, generate

Tables = dict[str, list[tuple[Any, ...]]]

#: Below this many referrals, generating in-process is faster than starting workers.
PARALLEL_FROM = 40_000


def worker_count(referrals: int) -> int:
    """How many worker processes to use: none for small demos or a single core, else two or three.

    Generating a referral costs about twice what writing it does, so on two cores two generators and
    the writer share the machine best.
    """
    if referrals < PARALLEL_FROM or getattr(sys, "frozen", False):
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return 0 if cores < 2 else min(cores, 3)


def generate_marshalled(stream: Stream, chunk: Chunk) -> bytes:
    """A chunk's tables as ``marshal`` bytes: tuples of str and int travel ~2x cheaper than pickled."""
    return marshal.dumps(generate(stream, chunk).tables())


def batches(stream: Stream, chunks: list[Chunk], workers: int) -> Iterator[Tables]:
    """Each chunk's rows by table, in chunk order."""
    if workers <= 0:
        for chunk in chunks:
            yield generate(stream, chunk).tables()
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: deque[Future[bytes]] = deque()
        upcoming = iter(chunks)
        with _main_script_hidden():  # the pool starts one worker per submit until all are running
            for chunk in upcoming:
                pending.append(pool.submit(generate_marshalled, stream, chunk))
                if len(pending) == workers:
                    break
        following = next(upcoming, None)
        if following is not None:
            pending.append(pool.submit(generate_marshalled, stream, following))
        while pending:
            tables: Tables = marshal.loads(pending.popleft().result())
            following = next(upcoming, None)
            if following is not None:
                pending.append(pool.submit(generate_marshalled, stream, following))
            yield tables


@contextmanager
def _main_script_hidden() -> Iterator[None]:
    """Start processes without telling them the caller's main script (its ``__spec__``/``__file__``)."""
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    saved: dict[str, Any] = {
        key: main.__dict__[key] for key in ("__spec__", "__file__") if key in main.__dict__
    }
    main.__dict__["__spec__"] = None
    main.__dict__.pop("__file__", None)
    try:
        yield
    finally:
        main.__dict__.pop("__spec__", None)
        main.__dict__.update(saved)
