"""The audit trail is tamper-evident (reliability.md 14): whatever another program does to the log (edit,
delete, insert, swap, touch the end seal), the built-in verifier says so, and keeps saying so after the
desk writes again; an untouched log verifies; a lost key never stops the desk."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import threading
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import select

from refdesk import paths
from refdesk.domain.models import AuditEvent, Setting
from refdesk.errors import AuditKeyError, OperationCancelled, TransitionError
from refdesk.services import audit_chain, audit_key, audit_verify, settings
from refdesk.services.actor import Actor
from refdesk.services.audit import audited
from refdesk.services.audit_key import load_key
from refdesk.services.audit_verify import AuditVerdict, verify
from refdesk.storage import Database
from tests.refdesk.services.helpers import audit_rows

Tamper = Callable[[sqlite3.Connection], None]


@pytest.fixture
def log(db: Database, actor: Actor) -> Database:
    """A log of ten rows: the staff account's, then nine setting changes."""
    for n in range(9):
        settings.put(db, actor, settings.CLINIC_NAME, f"Clinic {n}")
    return db


def outside(db_path: Path, change: Tamper) -> None:
    """Change the file with a plain sqlite3 connection, as another program would."""
    with closing(sqlite3.connect(db_path)) as connection:
        change(connection)
        connection.commit()


def rows(db: Database) -> list[AuditEvent]:
    with db.session() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def anchor(db: Database) -> dict[str, object]:
    with db.session() as session:
        row = session.get(Setting, audit_chain.ANCHOR_KEY)
    assert row is not None
    value: dict[str, object] = row.value
    return value


# -- an untouched log --------------------------------------------------------------------------------


def test_every_row_is_sealed_and_the_anchor_names_the_last(log: Database) -> None:
    written = rows(log)
    assert len(written) == 10 and all(row.chain_hash and len(row.chain_hash) == 64 for row in written)
    assert len({row.chain_hash for row in written}) == 10
    end = anchor(log)
    key = load_key()
    assert key is not None
    assert end["last_id"] == written[-1].id and end["hash"] == written[-1].chain_hash
    assert end["key_id"] == key.key_id


def test_an_untouched_log_verifies(log: Database) -> None:
    verdict = verify(log)
    assert verdict.ok and verdict.rows == verdict.checked == 10
    assert verdict.problems == [] and verdict.unverifiable == 0
    assert verdict.summary() == "10 rows, chain intact"


def test_a_failed_write_is_sealed_too(log: Database, actor: Actor) -> None:
    with pytest.raises(TransitionError), audited(log, actor, "referral.move", "referral", 1):
        raise TransitionError("a refusal")
    last = rows(log)[-1]
    assert last.success is False and last.chain_hash
    assert verify(log).ok


def test_a_rolled_back_transaction_leaves_the_anchor_where_it_was(log: Database) -> None:
    before = anchor(log)
    with pytest.raises(RuntimeError), log.transaction() as session:
        session.add(AuditEvent(action="referral.view", entity="referral", entity_id=1))
        session.flush()
        raise RuntimeError("rolled back")
    assert anchor(log) == before and verify(log).ok


def test_the_key_is_private_versioned_text_and_made_once(log: Database) -> None:
    path = paths.audit_key_path()
    text = path.read_text(encoding="ascii")
    assert text.startswith(audit_key.HEADER + "\n") and len(text.splitlines()[1]) == 64
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key, created = audit_key.load_or_create_key()
    assert not created and key == load_key()
    assert key.secret.hex() not in repr(key) and key.key_id in repr(key)


def test_streaming_in_chunks_reports_progress_and_stops_on_cancel(
    log: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit_verify, "CHUNK", 3)
    seen: list[tuple[int, int]] = []
    assert verify(log, progress=lambda done, total: seen.append((done, total))).ok
    assert seen == [(3, 10), (6, 10), (9, 10), (10, 10)]
    with pytest.raises(OperationCancelled):
        verify(log, should_stop=lambda: True)


# -- tampering with an outside tool ------------------------------------------------------------------


def edit_detail(c: sqlite3.Connection) -> None:
    c.execute("UPDATE audit_event SET detail = ? WHERE id = 4", (json.dumps({"key": "x", "new": "forged"}),))


def edit_who(c: sqlite3.Connection) -> None:
    c.execute("UPDATE audit_event SET success = 0 WHERE id = 4")


def delete_middle(c: sqlite3.Connection) -> None:
    c.execute("DELETE FROM audit_event WHERE id = 4")


def delete_newest(c: sqlite3.Connection) -> None:
    c.execute("DELETE FROM audit_event WHERE id = (SELECT max(id) FROM audit_event)")


def delete_newest_three(c: sqlite3.Connection) -> None:
    c.execute("DELETE FROM audit_event WHERE id > 7")


def insert_forged(c: sqlite3.Connection) -> None:
    c.execute(
        "INSERT INTO audit_event (at, staff_id, action, entity, entity_id, success, chain_hash) "
        "VALUES ('2030-01-01 00:00:00.000000', 1, 'referral.view', 'referral', 1, 1, ?)",
        ("0" * 64,),
    )


def insert_forged_unsealed(c: sqlite3.Connection) -> None:
    c.execute(
        "INSERT INTO audit_event (at, staff_id, action, entity, entity_id, success) "
        "VALUES ('2030-01-01 00:00:00.000000', 1, 'referral.view', 'referral', 1, 1)"
    )


def swap_contents(c: sqlite3.Connection) -> None:
    third = c.execute("SELECT detail FROM audit_event WHERE id = 3").fetchone()[0]
    fifth = c.execute("SELECT detail FROM audit_event WHERE id = 5").fetchone()[0]
    c.execute("UPDATE audit_event SET detail = ? WHERE id = 3", (fifth,))
    c.execute("UPDATE audit_event SET detail = ? WHERE id = 5", (third,))


def swap_whole_rows(c: sqlite3.Connection) -> None:
    """Rows 3 and 5 trade everything but their ids, seals included."""
    columns = "at, staff_id, action, entity, entity_id, success, detail, chain_hash"
    third = c.execute(f"SELECT {columns} FROM audit_event WHERE id = 3").fetchone()
    fifth = c.execute(f"SELECT {columns} FROM audit_event WHERE id = 5").fetchone()
    assignments = ", ".join(f"{name} = ?" for name in columns.split(", "))
    c.execute(f"UPDATE audit_event SET {assignments} WHERE id = 3", fifth)
    c.execute(f"UPDATE audit_event SET {assignments} WHERE id = 5", third)


def change_anchor(c: sqlite3.Connection) -> None:
    c.execute("UPDATE setting SET value = json_set(value, '$.last_id', 7) WHERE key = 'audit.anchor'")


def delete_anchor(c: sqlite3.Connection) -> None:
    c.execute("DELETE FROM setting WHERE key = 'audit.anchor'")


def delete_newest_and_fix_anchor(c: sqlite3.Connection) -> None:
    """The newest row goes, and the anchor is pointed at the row before (without the key's MAC)."""
    nine = c.execute("SELECT chain_hash FROM audit_event WHERE id = 9").fetchone()[0]
    c.execute("DELETE FROM audit_event WHERE id = 10")
    c.execute(
        "UPDATE setting SET value = json_set(value, '$.last_id', 9, '$.hash', ?) WHERE key = 'audit.anchor'",
        (nine,),
    )


def null_every_seal(c: sqlite3.Connection) -> None:
    c.execute("UPDATE audit_event SET chain_hash = NULL WHERE id >= 4")


TAMPERING: dict[str, tuple[Tamper, str]] = {
    "an edited row": (edit_detail, "row 4 was changed"),
    "an edited success flag": (edit_who, "row 4 was changed"),
    "a deleted middle row": (delete_middle, "row 4 was deleted"),
    "the deleted newest row": (delete_newest, "the newest rows were deleted"),
    "the three newest rows deleted": (delete_newest_three, "sealed up to row 10 and now ends at row 7"),
    "a forged row with a made-up seal": (insert_forged, "row 11 was added after the last seal"),
    "a forged row without a seal": (insert_forged_unsealed, "row 11 was added after the last seal"),
    "two rows' details swapped": (swap_contents, "row 3 was changed"),
    "two whole rows swapped": (swap_whole_rows, "row 3 was changed"),
    "a changed anchor": (change_anchor, "end seal of the audit trail was changed"),
    "a deleted anchor": (delete_anchor, "end seal of the audit trail is missing"),
    "newest deleted, anchor moved back": (
        delete_newest_and_fix_anchor,
        "end seal of the audit trail was changed",
    ),
    "seals removed": (null_every_seal, "row 4 has no seal"),
}


@pytest.fixture(params=list(TAMPERING), ids=list(TAMPERING))
def tampered(request: pytest.FixtureRequest, log: Database, db_path: Path) -> Iterator[tuple[Database, str]]:
    change, message = TAMPERING[request.param]
    outside(db_path, change)
    yield log, message


def test_tampering_is_detected(tampered: tuple[Database, str]) -> None:
    db, message = tampered
    verdict = verify(db)
    assert not verdict.ok and verdict.problem_count >= 1
    assert any(message in text for _row, text in verdict.problems), verdict.problems
    assert verdict.summary().startswith("TAMPERED: ")


def test_tampering_stays_detected_after_the_desk_writes_again(
    tampered: tuple[Database, str], actor: Actor
) -> None:
    """The next write must never vouch for what another program did: it seals its own rows only, and
    when it finds the end seal broken it writes that into the chain."""
    db, _message = tampered
    settings.put(db, actor, settings.CLINIC_NAME, "After")
    settings.put(db, actor, settings.CLINIC_NAME, "After again")
    verdict = verify(db)
    assert not verdict.ok, "the desk's next write hid the tampering"
    assert rows(db)[-1].action == "setting.update" and rows(db)[-1].chain_hash


def test_a_broken_end_seal_is_written_into_the_chain_once(log: Database, db_path: Path, actor: Actor) -> None:
    outside(db_path, delete_anchor)
    settings.put(log, actor, settings.CLINIC_NAME, "After")
    settings.put(log, actor, settings.CLINIC_NAME, "After again")
    broken = audit_rows(log, audit_chain.SEAL_BROKEN)
    assert [row.detail for row in broken] == [{"found": "missing", "sealed_up_to": None}]
    verdict = verify(log)
    assert [text for _row, text in verdict.problems] == [
        f"row {broken[0].id}: when RefDesk wrote it, it found that the end seal had been removed by "
        "another program"
    ]


# -- a lost or damaged key -------------------------------------------------------------------------------


def test_a_lost_key_never_stops_the_desk(log: Database, actor: Actor) -> None:
    old = load_key()
    assert old is not None
    paths.audit_key_path().unlink()
    settings.put(log, actor, settings.CLINIC_NAME, "With a new key")
    settings.put(log, actor, settings.CLINIC_NAME, "And again")
    new = load_key()
    assert new is not None and new.key_id != old.key_id
    replaced = audit_rows(log, audit_chain.KEY_REPLACED)
    assert [row.detail for row in replaced] == [
        {"old_key_id": old.key_id, "new_key_id": new.key_id, "last_sealed_id": 10}
    ]
    verdict = verify(log)
    assert verdict.ok and verdict.unverifiable == 10 and verdict.checked == 3
    assert verdict.warnings == [
        "rows up to 10 were sealed with a key that is not on this computer (cannot be verified)"
    ]
    assert "chain intact" in verdict.summary() and "cannot be verified" in verdict.summary()


def test_after_a_lost_key_tampering_with_the_new_rows_is_still_detected(
    log: Database, actor: Actor, db_path: Path
) -> None:
    paths.audit_key_path().unlink()
    settings.put(log, actor, settings.CLINIC_NAME, "With a new key")
    outside(db_path, lambda c: c.execute("UPDATE audit_event SET detail = '{}' WHERE id = 11"))
    verdict = verify(log)
    assert not verdict.ok and verdict.problems[0][0] == 11


def test_a_forged_key_replacement_is_not_believed(log: Database, db_path: Path) -> None:
    key = load_key()
    assert key is not None
    detail = json.dumps({"old_key_id": "0" * 16, "new_key_id": key.key_id, "last_sealed_id": 9})
    outside(
        db_path,
        lambda c: c.execute(
            "INSERT INTO audit_event (at, action, entity, success, detail, chain_hash) "
            "VALUES ('2030-01-01 00:00:00.000000', 'audit.key_replaced', 'audit', 1, ?, ?)",
            (detail, "1" * 64),
        ),
    )
    verdict = verify(log)
    assert not verdict.ok and verdict.unverifiable == 0


def test_a_log_moved_to_a_computer_without_its_key_cannot_be_verified(log: Database) -> None:
    paths.audit_key_path().unlink()
    audit_key.load_or_create_key()  # this computer's own key, not the one that sealed the log
    verdict = verify(log)
    assert verdict.ok and verdict.checked == 0 and verdict.unverifiable == 10
    assert verdict.summary() == "10 rows, sealed with a key that is not on this computer (cannot be verified)"


def test_verifying_without_a_key_says_so_and_makes_none(log: Database) -> None:
    path = paths.audit_key_path()
    path.unlink()
    with pytest.raises(AuditKeyError, match="the key is missing"):
        verify(log)
    assert not path.exists()


def test_a_damaged_key_is_kept_aside_and_replaced(log: Database, actor: Actor) -> None:
    path = paths.audit_key_path()
    path.write_text("not a key\n", encoding="ascii")
    with pytest.raises(AuditKeyError, match="not a RefDesk audit key"):
        verify(log)
    settings.put(log, actor, settings.CLINIC_NAME, "After")
    assert [p.name.startswith("audit.key.damaged-") for p in path.parent.glob("audit.key.*")] == [True]
    assert len(audit_rows(log, audit_chain.KEY_REPLACED)) == 1
    assert verify(log).ok


# -- logs sealed by other paths --------------------------------------------------------------------------


def test_a_log_from_before_sealing_is_sealed_whole_at_the_next_write(
    log: Database, db_path: Path, actor: Actor
) -> None:
    outside(db_path, lambda c: c.execute("UPDATE audit_event SET chain_hash = NULL"))
    outside(db_path, delete_anchor)
    verdict = verify(log)
    assert verdict.ok and verdict.unsealed == 10
    assert verdict.summary() == "10 rows, not sealed yet (RefDesk seals them at its next change)"
    settings.put(log, actor, settings.CLINIC_NAME, "After")
    assert verify(log) == AuditVerdict(ok=True, rows=11, checked=11, key_id=verdict.key_id)


def test_a_core_insert_is_sealed_by_seal(log: Database) -> None:
    table = AuditEvent.__table__
    with log.engine.begin() as connection:
        result = connection.execute(
            table.insert().values(action="demo.load", entity="database", at=rows(log)[0].at, success=True)
        )
        assert result.inserted_primary_key is not None
        assert audit_chain.seal(connection, own=[int(result.inserted_primary_key[0])]) == 1
    assert verify(log).ok and verify(log).checked == 11


def test_writers_on_two_threads_keep_one_unbroken_chain(log: Database, actor: Actor) -> None:
    """Every write transaction is BEGIN IMMEDIATE, so two sealers never read the same anchor."""

    def write(prefix: str) -> None:
        for n in range(15):
            settings.put(log, actor, f"test.{prefix}", n)

    threads = [threading.Thread(target=write, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    verdict = verify(log)
    assert verdict.ok and verdict.rows == verdict.checked == 40
