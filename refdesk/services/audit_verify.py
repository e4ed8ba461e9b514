"""The built-in verifier of the audit trail's hash chain (reliability.md 14): was any row edited,
deleted or inserted by another program since RefDesk sealed it?

It reads the log once, in id order and a chunk at a time (memory stays flat at millions of rows), in
one read transaction (a consistent snapshot while the desk keeps writing), and recomputes every seal
with the key on this computer. It only reads: no key is made, nothing is sealed.

What it tells apart (see ``refdesk.services.audit_chain`` for how the chain is written):

- a row whose content no longer matches its seal: changed (or forged);
- a row that no longer follows the row before it, with a gap in the ids: the rows between were deleted;
- rows after the end the anchor names: added by another program; an anchor naming a row the log no
  longer reaches: the newest rows were deleted; an anchor whose MAC fails, or none at all: changed;
- rows sealed with a key that is not on this computer (before an "audit.key_replaced" row, or the whole
  log when the anchor names another key): not verifiable, which is a warning and not tampering.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Row, func, select

from refdesk import paths
from refdesk.errors import AuditKeyError, OperationCancelled
from refdesk.services.audit_chain import (
    KEY_REPLACED,
    ROW_COLUMNS,
    SEAL_BROKEN,
    TRAIL_ENTITY,
    Anchor,
    Sealer,
    read_anchor,
)
from refdesk.services.audit_key import AuditKey, load_key
from refdesk.storage import Database

#: Problems listed in a verdict; the rest are counted.
MAX_PROBLEMS = 20
CHUNK = 5000
CANCELLED = "Checking the audit trail was cancelled."
MISSING_KEY = "The audit trail cannot be verified: the key is missing"
NOT_HERE = "sealed with a key that is not on this computer (cannot be verified)"

_table = ROW_COLUMNS[0].table


@dataclass(frozen=True)
class AuditVerdict:
    """What ``verify`` found. ``ok``: nothing points to tampering (warnings may remain)."""

    ok: bool
    #: Rows in the log, and rows whose seal was recomputed and matched.
    rows: int
    checked: int
    #: (audit id or None when the problem is not one row's, plain words), the first ``MAX_PROBLEMS``.
    problems: list[tuple[int | None, str]] = field(default_factory=list)
    #: Every problem found, listed or not.
    problem_count: int = 0
    #: Rows sealed with a key that is not on this computer.
    unverifiable: int = 0
    #: Rows written before RefDesk sealed its log, not sealed yet (sealed at the next change).
    unsealed: int = 0
    warnings: list[str] = field(default_factory=list)
    #: The fingerprint of the key this computer verified with.
    key_id: str = ""

    def summary(self) -> str:
        """One line: "12,345 rows, chain intact" or "TAMPERED: row 17 was changed (and 2 more problems)"."""
        if not self.ok:
            first = self.problems[0][1] if self.problems else "the chain is broken"
            more = self.problem_count - 1
            return f"TAMPERED: {first}" + (
                f" (and {more:,} more problem{'s' if more != 1 else ''})" if more else ""
            )
        if self.rows == 0:
            return "no rows yet"
        if self.unsealed:
            return f"{self.rows:,} rows, not sealed yet (RefDesk seals them at its next change)"
        if self.checked == 0 and self.unverifiable:
            return f"{self.rows:,} rows, {NOT_HERE}"
        text = f"{self.rows:,} rows, chain intact"
        return text + (f"; {self.warnings[0]}" if self.warnings else "")


class _Findings:
    def __init__(self) -> None:
        self.problems: list[tuple[int | None, str]] = []
        self.count = 0

    def add(self, row_id: int | None, message: str) -> None:
        self.count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append((row_id, message))


def verify(
    db: Database,
    *,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> AuditVerdict:
    """Check every row's seal and the anchor; ``progress(done, total)`` after each chunk. An empty log
    needs no key.

    Raises:
        AuditKeyError: there are rows, and this computer has no audit key (``MISSING_KEY``) or cannot
            read it: nothing can be verified.
        OperationCancelled: ``should_stop()`` became true.
    """
    with db.engine.connect() as connection, connection.begin():
        total = connection.execute(select(func.count()).select_from(_table)).scalar() or 0
        exists, value = read_anchor(connection)
        if total == 0 and not exists:
            return AuditVerdict(ok=True, rows=0, checked=0)
        key = load_key()
        if key is None:
            raise AuditKeyError(f"{MISSING_KEY} ({paths.audit_key_path()}).")
        return _verify(connection, key, total, (exists, value), progress, should_stop)


def _verify(
    connection: Connection,
    key: AuditKey,
    total: int,
    stored_anchor: tuple[bool, object],
    progress: Callable[[int, int], None] | None,
    should_stop: Callable[[], bool] | None,
) -> AuditVerdict:
    exists, value = stored_anchor
    found = _Findings()
    if not exists:
        if (
            connection.execute(select(_table.c.id).where(_table.c.chain_hash.is_not(None)).limit(1)).first()
            is None
        ):
            return AuditVerdict(ok=True, rows=total, checked=0, unsealed=total, key_id=key.key_id)
        found.add(None, "the end seal of the audit trail is missing: it was removed by another program")
    anchor = Anchor.parse(value) if exists else None
    if exists and anchor is None:
        found.add(None, "the end seal of the audit trail was changed by another program")
    sealer = Sealer(key)
    warnings: list[str] = []
    boundary, end = 0, None
    if anchor is not None and anchor.key_id != key.key_id:
        boundary, end = anchor.last_id, anchor.last_id  # nothing here was sealed with this computer's key
        warnings.append(f"the whole log was {NOT_HERE} (key {anchor.key_id}; this computer has {key.key_id})")
    elif anchor is not None:
        if anchor.valid(key):
            end = anchor.last_id
        else:
            found.add(None, "the end seal of the audit trail was changed by another program")
        boundary = _replaced_boundary(connection, sealer, key)
        if boundary:
            warnings.append(f"rows up to {boundary:,} were {NOT_HERE}")
    walk = _Walk(sealer, found, boundary, end)
    done = 0
    for rows in _chunks(connection):
        if should_stop is not None and should_stop():
            raise OperationCancelled(CANCELLED)
        for row in rows:
            walk.step(row)
        done += len(rows)
        if progress is not None:
            progress(done, total)
    walk.finish(anchor if end is not None else None)
    return AuditVerdict(
        ok=found.count == 0,
        rows=done,
        checked=walk.checked,
        problems=found.problems,
        problem_count=found.count,
        unverifiable=walk.unverifiable,
        warnings=warnings,
        key_id=key.key_id,
    )


class _Walk:
    """The row-by-row part. Each row's seal is recomputed from the stored seal of the row before it, so
    one edited row is one problem and the rows after it still verify; a row that does not follow the
    stored row before it but does follow the last row that verified is genuine (the rows between, which
    another program inserted, are the problem, and were reported)."""

    def __init__(self, sealer: Sealer, found: _Findings, boundary: int, end: int | None) -> None:
        self.sealer, self.found, self.boundary, self.end = sealer, found, boundary, end
        self.previous_id, self.previous_hash = 0, ""
        self.good_hash = ""
        self.checked = self.unverifiable = 0
        self.end_hash: str | None = None

    def step(self, row: Row[*tuple[Any, ...]]) -> None:
        row_id, stored = int(row[0]), row[-1]
        if row_id <= self.boundary:
            self.unverifiable += 1
            self.good_hash = stored or ""
        elif self.end is not None and row_id > self.end:
            self.found.add(row_id, f"row {row_id} was added after the last seal, by another program")
        elif not stored:
            self.found.add(row_id, f"row {row_id} has no seal: it was changed or added by another program")
        elif self.sealer.row_hash(self.previous_hash, row) == stored or (
            self.good_hash != self.previous_hash and self.sealer.row_hash(self.good_hash, row) == stored
        ):
            self.checked += 1
            self.good_hash = stored
            if row[3] == SEAL_BROKEN:
                self.found.add(row_id, _broken(row_id, row[7]))
        else:
            self.found.add(row_id, self._mismatch(row_id))
        if row_id == self.end:
            self.end_hash = stored
        self.previous_id, self.previous_hash = row_id, stored or ""

    def _mismatch(self, row_id: int) -> str:
        gap = row_id - self.previous_id - 1
        if gap <= 0:
            return f"row {row_id} was changed (or inserted) by another program: it does not match its seal"
        missing = f"row {self.previous_id + 1}" if gap == 1 else f"rows {self.previous_id + 1}–{row_id - 1}"
        return f"{missing} {'was' if gap == 1 else 'were'} deleted (or row {row_id} was changed)"

    def finish(self, anchor: Anchor | None) -> None:
        """Does the log still end where the anchor says?"""
        if anchor is None:
            return
        if self.previous_id < anchor.last_id:
            last = f"row {self.previous_id}" if self.previous_id else "no row at all"
            self.found.add(
                None,
                f"the newest rows were deleted: the log was sealed up to row {anchor.last_id} and now ends "
                f"at {last}",
            )
        elif self.end_hash is None:
            self.found.add(anchor.last_id, f"row {anchor.last_id}, the last one sealed, was deleted")
        elif self.end_hash != anchor.hash:
            self.found.add(anchor.last_id, f"row {anchor.last_id} no longer matches the end seal")


def _broken(row_id: int, detail: object) -> str:
    """What an "audit.seal_broken" row (sealed, so genuine) says RefDesk found when it wrote it."""
    found = detail.get("found") if isinstance(detail, dict) else None
    up_to = detail.get("sealed_up_to") if isinstance(detail, dict) else None
    if found == "missing":
        what = "the end seal had been removed"
    elif found == "changed":
        what = "the end seal had been changed"
    else:
        what = f"the newest rows (sealed up to row {up_to}) had been deleted or changed"
    return f"row {row_id}: when RefDesk wrote it, it found that {what} by another program"


def _chunks(connection: Connection) -> Iterator[Sequence[Row[*tuple[Any, ...]]]]:
    cursor = 0
    while True:
        query = select(*ROW_COLUMNS).where(_table.c.id > cursor).order_by(_table.c.id).limit(CHUNK)
        rows = connection.execute(query).all()
        if not rows:
            return
        yield rows
        cursor = int(rows[-1][0])


def _replaced_boundary(connection: Connection, sealer: Sealer, key: AuditKey) -> int:
    """The last row sealed with an earlier key, as the newest genuine "audit.key_replaced" row that
    names this computer's key says (0: the whole log is this key's). A row that claims so without this
    key's seal is not believed (the walk reports it)."""
    query = (
        select(*ROW_COLUMNS)
        .where(_table.c.entity == TRAIL_ENTITY, _table.c.action == KEY_REPLACED)
        .order_by(_table.c.id.desc())
    )
    for row in connection.execute(query).all():
        detail = row[7] if isinstance(row[7], dict) else {}
        last_sealed = detail.get("last_sealed_id")
        if detail.get("new_key_id") != key.key_id or not isinstance(last_sealed, int):
            continue
        before = select(_table.c.chain_hash).where(_table.c.id < row[0]).order_by(_table.c.id.desc()).limit(1)
        previous = connection.execute(before).scalar() or ""
        if sealer.row_hash(previous, row) == row[-1]:
            return last_sealed
    return 0
