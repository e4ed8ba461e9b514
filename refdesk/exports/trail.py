"""The audit of an export or a print whose long part runs outside any write transaction.

``services.audit.audited`` holds a write transaction (``BEGIN IMMEDIATE``) for the whole of its block.
Rendering 500 letters or streaming a million rows takes seconds, and the desk must go on saving edits
meanwhile, so an output does its long work first, inside ``failures_audited`` (which records a failed
row when that work fails or is cancelled), and then writes its file and its success row together in a
short ``audited`` block. Either way, one audit row per export or print (promise 13).

``Steps`` is how that long part reports its progress and notices Cancel.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from refdesk.errors import OperationCancelled, RefDeskError
from refdesk.services.actor import Actor
from refdesk.services.audit import record
from refdesk.storage import Database

log = logging.getLogger(__name__)


@contextmanager
def failures_audited(
    db: Database, actor: Actor, action: str, entity: str, entity_id: int | None = None
) -> Iterator[None]:
    """Record one failed audit row when the block raises (then re-raise); nothing when it succeeds.

    A ``RefDeskError``'s message is kept (it carries no patient data: "Cancelled", "No partner ...");
    any other error is recorded by its type only, as ``audited`` does.
    """
    try:
        yield
    except Exception as error:
        internal = f"internal error ({type(error).__name__})"
        message = str(error) if isinstance(error, RefDeskError) else internal
        try:
            with db.transaction() as session:
                record(session, actor, action, entity, entity_id, success=False, detail={"error": message})
        except Exception:
            log.exception("could not audit the failure of %s", action)
        raise


@dataclass(frozen=True, slots=True)
class Steps:
    """The progress and Cancel of an output's long part: ``progress(done, total)`` and ``should_stop()``
    as the caller passed them (either may be None), and what Cancel says (``cancelled``)."""

    progress: Callable[[int, int], None] | None
    should_stop: Callable[[], bool] | None
    cancelled: str

    def check(self) -> None:
        """Stop here if Cancel was asked for.

        Raises:
            OperationCancelled: ``should_stop()`` is true (with the ``cancelled`` message).
        """
        if self.should_stop is not None and self.should_stop():
            raise OperationCancelled(self.cancelled)

    def step(self, done: int, total: int) -> None:
        """``check``, then report ``done`` of ``total``."""
        self.check()
        if self.progress is not None:
            self.progress(done, total)
