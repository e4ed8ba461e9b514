"""Reliability promise 3: the models and the migrations agree; every revision goes down and back up on a
populated database without losing a row; a migration that fails midway changes nothing; a table rebuild
never cascades into the child tables."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import Script, ScriptDirectory

from refdesk.domain.models import Base
from refdesk.domain.vocab import AttemptMethod, AttemptOutcome
from refdesk.errors import StorageError
from refdesk.services.actor import Actor
from refdesk.services.attempts import log_attempt
from refdesk.storage import Database, migrate
from refdesk.storage.engine import read_pragmas
from tests.refdesk.storage.helpers import (
    columns,
    content_digest,
    foreign_key_problems,
    populate,
    row_counts,
    schema,
    search_index_problems,
    tables,
    virtual_tables,
)

#: Tables whose rows point at a referral: a rebuild of ``referral`` with foreign keys on would empty them.
REFERRAL_CHILDREN = ("status_event", "contact_attempt", "appointment", "checklist_answer", "referral_record")


def chain(config: Config) -> list[Script]:
    """The revisions from base to head."""
    return list(reversed(list(ScriptDirectory.from_config(config).walk_revisions())))


def model_differences(db: Database) -> list[object]:
    with db.engine.connect() as connection:
        derived = virtual_tables(connection)  # the search index: no model describes it

        def include_name(name: str | None, kind: str, _parent: object) -> bool:
            return not (kind == "table" and name in derived)

        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": include_name}
        )
        return list(compare_metadata(context, Base.metadata))


@pytest.fixture(scope="module")
def populated_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A populated database, made once through the services and closed (so it is one self-contained
    file); each test works on its own copy."""
    path = tmp_path_factory.mktemp("populated") / "populated.db"
    with Database.open(path) as db:
        populate(db)
        empty = [table for table, count in row_counts(db).items() if count == 0]
    assert empty == [], "give every table rows in helpers.populate, so the round trips can lose them"
    assert not Path(f"{path}-wal").exists()
    return path


@pytest.fixture
def populated(populated_file: Path, tmp_path: Path) -> Iterator[Database]:
    path = tmp_path / "populated.db"
    shutil.copyfile(populated_file, path)
    with Database.open(path) as db:
        yield db


@pytest.fixture
def fresh_schema(tmp_path: Path) -> dict[tuple[str, str], str]:
    with Database.open(tmp_path / "fresh.db") as fresh:
        return schema(fresh)


# --- models and migrations agree -------------------------------------------------------------------------


def test_the_migrations_build_exactly_the_models(db: Database) -> None:
    """A model changed without a migration (or the reverse) shows up here, not on a clinic's computer."""
    assert model_differences(db) == []


def test_the_head_revision_constant_is_alembics_head() -> None:
    heads = ScriptDirectory.from_config(migrate.alembic_config()).get_heads()
    assert heads == [migrate.HEAD_REVISION]


def test_a_new_database_is_at_head(db: Database) -> None:
    assert db.schema_revision() == migrate.HEAD_REVISION


# --- down and up again ---------------------------------------------------------------------------------


def test_down_to_base_and_up_again_on_a_populated_database(
    populated: Database, fresh_schema: dict[tuple[str, str], str]
) -> None:
    db = populated
    migrate.downgrade(db.engine, "base")
    with db.engine.connect() as connection:
        assert tables(connection) == ["alembic_version"]
    assert db.schema_revision() is None
    migrate.upgrade(db.engine)
    assert db.schema_revision() == migrate.HEAD_REVISION
    assert foreign_key_problems(db) == []
    assert schema(db) == fresh_schema
    assert model_differences(db) == []
    with db.engine.connect() as connection:
        assert read_pragmas(connection)["foreign_keys"] == "1"


def round_trip(db: Database, config: Config, revision: Script) -> None:
    """At ``revision``: down to the revision before it and back up. The tables that exist at both ends keep
    every row; the foreign keys hold at each step; the schema comes back as it was."""
    down_to = revision.down_revision or "base"
    assert isinstance(down_to, str), "merge revisions need their own round trip"
    migrate.downgrade(db.engine, revision.revision, config=config)
    at_revision, schema_at_revision = row_counts(db), schema(db)

    migrate.downgrade(db.engine, down_to, config=config)
    assert foreign_key_problems(db) == []
    below = row_counts(db)
    kept = sorted((set(at_revision) & set(below)) - {"alembic_version"})
    assert {t: below[t] for t in kept} == {t: at_revision[t] for t in kept}

    migrate.upgrade(db.engine, revision.revision, config=config)
    assert foreign_key_problems(db) == []
    assert search_index_problems(db) == []
    assert schema(db) == schema_at_revision
    again = row_counts(db)
    assert {t: again[t] for t in kept} == {t: at_revision[t] for t in kept}
    assert db.schema_revision() == revision.revision


REAL_CHAIN = chain(migrate.alembic_config())


@pytest.mark.parametrize("revision", REAL_CHAIN, ids=[script.revision for script in REAL_CHAIN])
def test_each_revision_goes_down_and_up_without_losing_rows(
    populated: Database, revision: Script, fresh_schema: dict[tuple[str, str], str]
) -> None:
    config = migrate.alembic_config()
    round_trip(populated, config, revision)
    migrate.upgrade(populated.engine, config=config)
    assert schema(populated) == fresh_schema


# --- a revision after head, in a copy of the migrations folder -----------------------------------------

#: An ordinary next revision: a rebuild of ``referral`` (batch add column), a new table that points at it,
#: and a data update; ``{ending}`` then either does nothing, raises, or breaks references (which only the
#: foreign key check at the end of the migration can notice, since foreign keys are off while it runs).
NEXT_REVISION = '''
"""Test-only revision after head.

Revision ID: 9001
Revises: {down}
"""

import sqlalchemy as sa
from alembic import op

revision = "9001"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("referral", recreate="always") as batch_op:
        batch_op.add_column(sa.Column("priority_note", sa.String(length=40), nullable=True))
    op.create_table(
        "referral_tag",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "referral_id",
            sa.Integer(),
            sa.ForeignKey("referral.id", name="fk_referral_tag_referral_id_referral", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("tag", sa.String(length=40), nullable=False),
    )
    op.execute("UPDATE referral SET priority_note = 'migrated', name_key = name_key || ' (migrated)'")
    op.execute("INSERT INTO referral_tag (referral_id, tag) SELECT id, 'imported' FROM referral")
    {ending}


def downgrade() -> None:
    op.drop_table("referral_tag")
    with op.batch_alter_table("referral", recreate="always") as batch_op:
        batch_op.drop_column("priority_note")
'''


ENDINGS = {
    "succeeds": "pass",
    "raises": 'raise RuntimeError("this migration fails on purpose, after changing everything it could")',
    "breaks_references": 'op.execute("DELETE FROM partner")',
}


def migrations_with_next_revision(tmp_path: Path, ending: str = "succeeds") -> Config:
    location = tmp_path / f"migrations_{ending}"
    shutil.copytree(migrate.MIGRATIONS_DIR, location, ignore=shutil.ignore_patterns("__pycache__"))
    source = NEXT_REVISION.format(down=migrate.HEAD_REVISION, ending=ENDINGS[ending])
    (location / "versions" / "9001_test_next.py").write_text(textwrap.dedent(source))
    config = migrate.alembic_config()
    config.set_main_option("script_location", str(location))
    return config


@pytest.mark.parametrize(
    ("ending", "error", "message"),
    [("raises", RuntimeError, "fails on purpose"), ("breaks_references", StorageError, "broken references")],
)
def test_a_migration_that_fails_midway_changes_nothing(
    populated: Database, tmp_path: Path, ending: str, error: type[Exception], message: str
) -> None:
    db = populated
    config = migrations_with_next_revision(tmp_path, ending)
    counts, digest, schema_before = row_counts(db), content_digest(db), schema(db)

    with pytest.raises(error, match=message):
        migrate.upgrade(db.engine, config=config)

    assert db.schema_revision() == migrate.HEAD_REVISION
    with db.engine.connect() as connection:
        assert "referral_tag" not in tables(connection)
        assert "priority_note" not in columns(connection, "referral")
        # The connection the migration ran on is back in the pool with foreign keys on again.
        assert read_pragmas(connection)["foreign_keys"] == "1"
    assert row_counts(db) == counts
    assert content_digest(db) == digest
    assert schema(db) == schema_before
    assert foreign_key_problems(db) == []
    assert db.integrity_check() == ["ok"]


def test_a_rebuild_of_the_referral_table_keeps_its_children(populated: Database, tmp_path: Path) -> None:
    """Batch mode copies ``referral`` and drops the original: with foreign keys on, that DROP would delete
    every status event, attempt and appointment (ON DELETE CASCADE). RefDesk turns them off first."""
    db = populated
    config = migrations_with_next_revision(tmp_path)
    counts, digest, schema_before = row_counts(db), content_digest(db), schema(db)

    migrate.upgrade(db.engine, config=config)

    assert db.schema_revision() == "9001"
    after, after_digest = row_counts(db), content_digest(db)
    assert after["referral_tag"] == counts["referral"]
    del after["referral_tag"]
    assert after == counts
    for child in REFERRAL_CHILDREN:
        assert after_digest[child] == digest[child], child
    assert foreign_key_problems(db) == []
    with db.engine.connect() as connection:
        assert "priority_note" in columns(connection, "referral")
        assert read_pragmas(connection)["foreign_keys"] == "1"
    # Everything but the rebuilt table's own definition is as it was: its indexes (the partial ones with
    # their WHERE) and the triggers on it, which a DROP TABLE takes with it, are all there; and the search
    # index holds the names as the migration left them.
    assert search_index_problems(db) == []
    schema_after = schema(db)
    del schema_after[("table", "referral_tag")], schema_after[("table", "referral")]
    del schema_before[("table", "referral")]
    assert schema_after == schema_before


def test_the_rule_matters_a_rebuild_with_foreign_keys_on_empties_the_children(
    db: Database, actor: Actor, referral_id: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control for the test above: a runner that left foreign keys on would lose a referral's whole
    history without an error, and the test above would see it."""
    log_attempt(db, actor, referral_id, AttemptMethod.CALL, AttemptOutcome.NO_ANSWER)
    config = migrations_with_next_revision(tmp_path)
    monkeypatch.setattr(migrate, "_set_foreign_keys", lambda connection, on: None)
    counts = row_counts(db)
    assert counts["status_event"] == 2 and counts["contact_attempt"] == 1

    migrate.upgrade(db.engine, config=config)

    after = row_counts(db)
    assert after["referral"] == counts["referral"]
    assert after["status_event"] == after["contact_attempt"] == 0


def test_every_revision_of_a_longer_chain_goes_down_and_up(populated: Database, tmp_path: Path) -> None:
    """The round trip with a revision after the initial one, so the row-count check has tables to compare
    today (when the real chain grows, the parametrized test above does the same for each real revision)."""
    db = populated
    config = migrations_with_next_revision(tmp_path)
    migrate.upgrade(db.engine, config=config)
    revisions = chain(config)
    assert [script.revision for script in revisions][-2:] == [migrate.HEAD_REVISION, "9001"]
    for revision in reversed(revisions):  # newest first, while the database still holds its rows
        round_trip(db, config, revision)
        migrate.upgrade(db.engine, config=config)
