"""What the partner and the referral import share around their own work: the rejects file, progress and
cancel, one audited transaction (rolled back for a dry run), all-or-nothing refusal, and the rejects
published or discarded as the import ends."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from refdesk.imports.fields import Fields
from refdesk.imports.results import (
    ImportRefused,
    ImportResult,
    Progress,
    Rejects,
    ShouldStop,
    Ticker,
    default_rejects_path,
)
from refdesk.imports.source import ImportFileError, Source
from refdesk.services.actor import Actor
from refdesk.services.audit import audited
from refdesk.storage import Database

#: The work of one import, in the audited session: it checks and writes the rows (counting them with the
#: ticker, rejected ones into the rejects) and returns the result, ``rejects_path`` still None.
Work = Callable[[Session, Rejects, Ticker], ImportResult]


def run_audited(
    db: Database,
    actor: Actor,
    action: str,
    entity: str,
    source: Source,
    fields: Fields,
    work: Work,
    detail: Callable[[ImportResult], dict[str, Any]],
    *,
    skip_invalid: bool,
    rejects_path: Path | None,
    dry_run: bool,
    progress: Progress | None,
    should_stop: ShouldStop | None,
) -> ImportResult:
    """Run ``work`` in one audited transaction (``action`` on ``entity``, with ``detail`` of the result).

    Raises:
        ImportRefused: all-or-nothing and some rows cannot be imported; nothing was written.
        ImportFileError: the file has a header but no rows.
        OperationCancelled: ``should_stop`` said so; nothing was written.
    """
    target = rejects_path
    if target is None and skip_invalid and not dry_run:
        target = default_rejects_path(source)
    rejects = Rejects(source, fields, target)
    ticker = Ticker(source.size_hint(), progress, should_stop)
    try:
        with audited(db, actor, action, entity) as scope:
            savepoint = scope.session.begin_nested() if dry_run else None
            result = work(scope.session, rejects, ticker)
            ticker.finish()
            if not result.read:
                raise ImportFileError(f"{source.path.name} has a header but no rows: nothing to import.")
            if rejects.count and not skip_invalid:
                raise ImportRefused(result)
            if savepoint is not None:
                savepoint.rollback()
            scope.detail.update(detail(result))
    except ImportRefused as refused:
        path = rejects.publish() if rejects_path is not None else None
        if path is None:
            rejects.discard()
        raise ImportRefused(replace(refused.result, rejects_path=path)) from None
    except BaseException:
        rejects.discard()
        raise
    return replace(result, rejects_path=rejects.publish())
