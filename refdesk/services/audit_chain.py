"""The audit trail's keyed hash chain: what makes the log tamper-evident (reliability.md 14).

Each row's ``chain_hash`` is HMAC-SHA256(key, previous row's chain_hash, the row as read back from the
database). Editing a row breaks its own seal; deleting or inserting one breaks the seal of the row after
it. Deleting the newest rows leaves no row after them, so the transaction that seals also keeps an
*anchor* in the ``setting`` table ("audit.anchor": the last sealed id, its hash, the key's id and a MAC
over the three): the verifier (``refdesk.services.audit_verify``) checks that the log still ends where
the anchor says.

Sealing happens in the transaction that writes the rows, just before it commits (the session hooks are
registered in ``refdesk.domain.models.audit``), so a row is never committed unsealed by the ORM. Writes
that bypass the ORM (the demo loader) call ``seal(connection, own=...)`` themselves. Only the rows a
transaction wrote are sealed: a row another program appended is never vouched for by the next write.
Every write transaction is ``BEGIN IMMEDIATE`` on SQLite, so two sealers never interleave; on
PostgreSQL the anchor row is read ``FOR UPDATE`` for the same reason.

The desk is never stopped by the chain:

- the key is gone (a new computer, a restored data folder without it): a new key is made and the chain
  goes on with one "audit.key_replaced" row naming both keys and the last row sealed with the old one.
  The verifier reports the earlier rows as sealed with a key that is not on this computer (a warning:
  they cannot be verified, which is not the same as tampered);
- the anchor was removed or changed by another program, or the rows it ends at were deleted: the rows
  of the transaction are sealed with one "audit.seal_broken" row saying what was found, which stays in
  the chain as lasting evidence (the verifier reports it), and a new anchor is written.

Cost per write: the anchor and its last row read, the new rows read and updated, the anchor written.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, insert, select, update
from sqlalchemy.orm import Session, attributes

from refdesk.domain.models import AuditEvent, Base
from refdesk.domain.times import utc_now
from refdesk.services.audit_key import AuditKey, load_or_create_key

log = logging.getLogger(__name__)

ANCHOR_KEY = "audit.anchor"
KEY_REPLACED = "audit.key_replaced"
SEAL_BROKEN = "audit.seal_broken"
#: The entity of the rows the chain writes itself (and of the audit viewer's own rows): indexed, so the
#: verifier finds the key changes without reading the whole log.
TRAIL_ENTITY = "audit"
#: Rows read and sealed at a time when many are unsealed (the first seal of an older log).
CHUNK = 5000

_ROW_DOMAIN = b"refdesk audit row v1\x00"
_ANCHOR_DOMAIN = b"refdesk audit anchor v1\x00"
_OWN_ROWS = "refdesk.audit_rows"
#: One encoder for every row (``json.dumps`` with options builds a new one per call).
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)

_table = Base.metadata.tables["audit_event"]
_setting = Base.metadata.tables["setting"]
#: The columns the seal covers, in order, then the seal itself.
SEALED_COLUMNS = (
    _table.c.id,
    _table.c.at,
    _table.c.staff_id,
    _table.c.action,
    _table.c.entity,
    _table.c.entity_id,
    _table.c.success,
    _table.c.detail,
)
ROW_COLUMNS = (*SEALED_COLUMNS, _table.c.chain_hash)

# The statements of a seal, built once: a write pays for executing them, not for building them.
_id, _hash = _table.c.id, _table.c.chain_hash
_READ_ANCHOR = select(_setting.c.value).where(_setting.c.key == ANCHOR_KEY)
#: PostgreSQL: one sealer at a time (SQLite ignores it: its writers are serialised by BEGIN IMMEDIATE).
_READ_ANCHOR_LOCKED = _READ_ANCHOR.with_for_update()
_UPDATE_ANCHOR = update(_setting).where(_setting.c.key == ANCHOR_KEY).values(value=bindparam("anchor"))
_INSERT_ANCHOR = insert(_setting).values(key=ANCHOR_KEY, value=bindparam("anchor"))
_HASH_OF = select(_hash).where(_id == bindparam("row_id"))
_HASH_BEFORE = select(_hash).where(_id < bindparam("row_id")).order_by(_id.desc()).limit(1)
_ANY_SEALED = select(_id).where(_hash.is_not(None)).limit(1)
_LAST_SEALED = select(_id).where(_hash.is_not(None)).order_by(_id.desc()).limit(1)
_ROWS_IN = select(*SEALED_COLUMNS).where(_id.in_(bindparam("ids", expanding=True))).order_by(_id)
_ROWS_AFTER = select(*SEALED_COLUMNS).where(_id > bindparam("after")).order_by(_id).limit(CHUNK)
_STORE = update(_table).where(_id == bindparam("row_id")).values(chain_hash=bindparam("row_hash"))


# -- the seal of one row and of the anchor ---------------------------------------------------------------


def canonical(row: Row[*tuple[Any, ...]] | Sequence[Any]) -> bytes:
    """One row's sealed content as bytes: its columns as read back from the database (``at`` in ISO
    form, UTC; ``detail`` as JSON with sorted keys), so the same row gives the same bytes on SQLite and
    PostgreSQL, and any change to any column changes them."""
    row_id, at, staff_id, action, entity, entity_id, success, detail = tuple(row)[:8]
    moment = at.isoformat() if isinstance(at, datetime) else at
    values = [row_id, moment, staff_id, action, entity, entity_id, bool(success), detail]
    return _ENCODER.encode(values).encode("utf-8")


class Sealer:
    """Computes row seals with one key (the HMAC's key schedule is done once, then copied per row)."""

    def __init__(self, key: AuditKey) -> None:
        self.key = key
        self._base = hmac.new(key.secret, _ROW_DOMAIN, hashlib.sha256)

    def row_hash(self, previous: str, row: Row[*tuple[Any, ...]] | Sequence[Any]) -> str:
        mac = self._base.copy()
        mac.update(previous.encode("ascii", "replace"))
        mac.update(b"\x00")
        mac.update(canonical(row))
        return mac.hexdigest()


@dataclass(frozen=True, slots=True)
class Anchor:
    """Where the sealed log ends: its last row's id and seal, which key sealed it, and a MAC over them."""

    last_id: int
    hash: str
    key_id: str
    mac: str

    @classmethod
    def make(cls, key: AuditKey, last_id: int, last_hash: str) -> Anchor:
        return cls(last_id, last_hash, key.key_id, _anchor_mac(key, last_id, last_hash))

    @classmethod
    def parse(cls, value: object) -> Anchor | None:
        """The anchor stored in the setting, or None when it is not one (changed by hand)."""
        if not isinstance(value, dict):
            return None
        last_id, last_hash = value.get("last_id"), value.get("hash")
        key_id, mac = value.get("key_id"), value.get("mac")
        if not (isinstance(last_id, int) and not isinstance(last_id, bool)):
            return None
        if not all(isinstance(part, str) for part in (last_hash, key_id, mac)):
            return None
        return cls(last_id, str(last_hash), str(key_id), str(mac))

    def to_json(self) -> dict[str, object]:
        return {"last_id": self.last_id, "hash": self.hash, "key_id": self.key_id, "mac": self.mac}

    def valid(self, key: AuditKey) -> bool:
        """True when ``key`` made this anchor and nothing in it was changed since."""
        expected = _anchor_mac(key, self.last_id, self.hash)
        return self.key_id == key.key_id and hmac.compare_digest(expected, self.mac)


def _anchor_mac(key: AuditKey, last_id: int, last_hash: str) -> str:
    message = _ANCHOR_DOMAIN + f"{last_id}\x00{last_hash}\x00{key.key_id}".encode("ascii", "replace")
    return hmac.new(key.secret, message, hashlib.sha256).hexdigest()


def read_anchor(connection: Connection, *, for_update: bool = False) -> tuple[bool, object]:
    """(whether the anchor row exists, its stored value)."""
    row = connection.execute(_READ_ANCHOR_LOCKED if for_update else _READ_ANCHOR).first()
    return (False, None) if row is None else (True, row[0])


# -- sealing ---------------------------------------------------------------------------------------------


def seal(connection: Connection, *, own: Iterable[int] | None = None) -> int:
    """Seal rows this transaction wrote and move the anchor to the last, in the caller's transaction on
    ``connection``; returns the rows sealed.

    ``own``: the ids of the rows the caller wrote (the ORM hook passes them; a Core path passes the ids
    its inserts returned). Only those are sealed: a row another program appended stays unsealed, so the
    verifier keeps reporting it instead of RefDesk vouching for it at its next write. ``None``: the
    caller vouches for every row after the anchor (a bulk path that wrote many).

    A log that was never sealed (new, or from before RefDesk sealed its trail) is sealed whole.

    Raises:
        AuditKeyError: there is no key and none can be made (the data folder is not writable).
    """
    claimed = None if own is None else sorted(set(own))
    key, created = load_or_create_key()
    exists, value = read_anchor(connection, for_update=True)
    anchor = Anchor.parse(value) if exists else None
    if not exists and not _any_sealed(connection):
        return _seal_and_anchor(connection, key, "", 0, None, exists=False)
    extra: list[int] = []
    if (anchor.key_id != key.key_id) if anchor is not None else created:
        last_sealed = anchor.last_id if anchor is not None else _last_sealed_id(connection)
        old = anchor.key_id if anchor is not None else None
        log.warning("audit key %s is not on this computer; sealing on with key %s", old, key.key_id)
        detail = {"old_key_id": old, "new_key_id": key.key_id, "last_sealed_id": last_sealed}
        extra.append(_write_trail_row(connection, KEY_REPLACED, detail))
    trouble = _trouble(connection, key, exists, anchor)
    if trouble is None and anchor is not None:
        ids = None if claimed is None else [*claimed, *extra]
        return _seal_and_anchor(connection, key, anchor.hash, anchor.last_id, ids, exists=exists)
    log.warning("the audit trail's end seal was found %s; writing that into the trail", trouble)
    detail = {"found": trouble, "sealed_up_to": anchor.last_id if anchor is not None else None}
    extra.append(_write_trail_row(connection, SEAL_BROKEN, detail))
    if claimed is None:  # everything after the last sealed row, from that row on
        after = _last_sealed_id(connection)
        return _seal_and_anchor(
            connection, key, _hash_before(connection, after + 1), after, None, exists=exists
        )
    ids = sorted([*claimed, *extra])
    return _seal_and_anchor(connection, key, _hash_before(connection, ids[0]), 0, ids, exists=exists)


def _trouble(connection: Connection, key: AuditKey, exists: bool, anchor: Anchor | None) -> str | None:
    """What is wrong with the anchor, in a word for the trail's detail (None: nothing)."""
    if not exists:
        return "missing"
    if anchor is None or (anchor.key_id == key.key_id and not anchor.valid(key)):
        return "changed"
    stored = connection.execute(_HASH_OF, {"row_id": anchor.last_id}).first()
    if stored is None or stored[0] != anchor.hash:
        return "newest rows deleted or changed"
    return None


def _seal_and_anchor(
    connection: Connection, key: AuditKey, previous: str, after: int, ids: list[int] | None, *, exists: bool
) -> int:
    sealed, last = _seal_rows(connection, Sealer(key), previous, after, ids)
    if last is not None:
        value = Anchor.make(key, *last).to_json()
        connection.execute(_UPDATE_ANCHOR if exists else _INSERT_ANCHOR, {"anchor": value})
    return sealed


def _any_sealed(connection: Connection) -> bool:
    return connection.execute(_ANY_SEALED).first() is not None


def _last_sealed_id(connection: Connection) -> int:
    return int(connection.execute(_LAST_SEALED).scalar() or 0)


def _hash_before(connection: Connection, row_id: int) -> str:
    """The stored seal of the row before ``row_id`` (empty when none): where sealing carries on when the
    anchor cannot be trusted."""
    return connection.execute(_HASH_BEFORE, {"row_id": row_id}).scalar() or ""


def _write_trail_row(connection: Connection, action: str, detail: dict[str, Any]) -> int:
    """A row the chain writes about itself (no staff member did it)."""
    values = {"at": utc_now(), "action": action, "entity": TRAIL_ENTITY, "success": True, "detail": detail}
    result = connection.execute(insert(_table).values(**values))
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _seal_rows(
    connection: Connection, sealer: Sealer, previous: str, after: int, ids: list[int] | None
) -> tuple[int, tuple[int, str] | None]:
    """Seal, in id order, the rows ``ids`` (None: every row above ``after``), each from the one before;
    returns the count and the last (id, seal)."""
    sealed, last = 0, None
    for rows in _rows(connection, after, ids):
        if not rows:
            continue
        changes = []
        for row in rows:
            previous = sealer.row_hash(previous, row)
            changes.append({"row_id": row[0], "row_hash": previous})
        connection.execute(_STORE, changes)
        sealed += len(rows)
        last = (int(rows[-1][0]), previous)
    return sealed, last


def _rows(
    connection: Connection, after: int, ids: list[int] | None
) -> Iterator[Sequence[Row[*tuple[Any, ...]]]]:
    """The rows to seal, a chunk at a time (each chunk is read in full before it is updated)."""
    if ids is not None:
        ordered = sorted(ids)
        for start in range(0, len(ordered), CHUNK):
            yield connection.execute(_ROWS_IN, {"ids": ordered[start : start + CHUNK]}).all()
        return
    cursor = after
    while True:
        rows = connection.execute(_ROWS_AFTER, {"after": cursor}).all()
        if not rows:
            return
        yield rows
        cursor = int(rows[-1][0])


# -- the session hooks (registered in refdesk.domain.models.audit) ----------------------------------------


def note_new_rows(session: Session) -> None:
    """``before_flush``: remember the audit rows this transaction adds (their ids come with the flush)."""
    added = [obj for obj in session.new if isinstance(obj, AuditEvent)]
    if added:
        session.info.setdefault(_OWN_ROWS, []).extend(added)


def seal_session(session: Session) -> None:
    """``before_commit`` (outermost only): flush, then seal the rows the transaction wrote, in it."""
    if session.in_nested_transaction():
        return
    if _OWN_ROWS not in session.info and not any(isinstance(obj, AuditEvent) for obj in session.new):
        return
    session.flush()
    added: list[AuditEvent] = session.info.pop(_OWN_ROWS, [])
    ids = [attributes.instance_state(obj).dict.get("id") for obj in added]
    seal(session.connection(), own=[row_id for row_id in ids if isinstance(row_id, int)])


def forget_new_rows(session: Session) -> None:
    """``after_transaction_end`` (outermost): a rolled-back transaction's rows are gone with it."""
    session.info.pop(_OWN_ROWS, None)
