"""Shared fixtures: every test gets its own data folder and a fresh database; Qt runs offscreen."""

from __future__ import annotations

import logging
import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# A data folder for the whole run, before any fixture (module- and session-scoped ones included) opens a
# database: nothing a test writes (an audit key, a log, preferences) ever lands in the real user folder.
# Each test still gets its own folder from the ``refdesk_home`` fixture below.
os.environ["REFDESK_HOME"] = tempfile.mkdtemp(prefix="refdesk-tests-")

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from refdesk.domain.vocab import Channel, PartnerCategory
from refdesk.services.actor import Actor, ensure_staff
from refdesk.services.catalog import NewPartner, NewServiceLine, create_partner, create_service_line
from refdesk.services.referrals import NewReferral, create_referral
from refdesk.storage import Database
from tests.refdesk.reports.clinic_data import Month, a_month


@pytest.fixture(autouse=True)
def refdesk_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test ever touches the real user data folder."""
    home = tmp_path / "refdesk-home"
    monkeypatch.setenv("REFDESK_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id with the smallest parameters: production's 64 MiB, 3 passes per hash would make the suite
    crawl (one test checks the production parameters themselves)."""
    from argon2 import PasswordHasher

    from refdesk.services import passwords

    monkeypatch.setattr(passwords, "hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "test.db"


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    database = Database.open(db_path)
    yield database
    database.close()


@pytest.fixture
def actor(db: Database) -> Actor:
    return ensure_staff(db, "maria", "Maria Lopez")


@pytest.fixture
def partner_id(db: Database, actor: Actor) -> int:
    return create_partner(
        db, actor, NewPartner(name="Oak Street Primary Care", category=PartnerCategory.PRIMARY_CARE)
    )


@pytest.fixture
def service_line_id(db: Database, actor: Actor) -> int:
    return create_service_line(
        db, actor, NewServiceLine(name="Physical therapy", required_records=["Recent notes"], max_attempts=3)
    )


@pytest.fixture
def new_referral(partner_id: int, service_line_id: int) -> NewReferral:
    """A valid referral form, filled as the front desk would; tests change one field at a time."""
    return NewReferral(
        partner_id=partner_id,
        service_line_id=service_line_id,
        patient_first_name="Zoë",
        patient_last_name="Nguyễn",
        patient_dob=date(1958, 4, 2),
        phone="555-201-4477",
        reason="Low back pain, 6 weeks; PT evaluation and treatment.",
        channel=Channel.FAX,
    )


@pytest.fixture
def referral_id(db: Database, actor: Actor, new_referral: NewReferral) -> int:
    return create_referral(db, actor, new_referral)


@pytest.fixture
def month(db: Database, actor: Actor, new_referral: NewReferral) -> Month:
    """A small clinic's month of referrals at every stage (``clinic_data.a_month``): the documents'
    and the exports' data."""
    return a_month(db, actor, new_referral)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """A folder of its own for what a test writes (the test's database lives in ``tmp_path``)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


@pytest.fixture
def no_log_handlers_left() -> Iterator[None]:
    """Removes the log handlers a command installed (``refdesk`` sets up logging as it starts)."""
    before = list(logging.getLogger().handlers)
    yield
    for handler in logging.getLogger().handlers[:]:
        if handler not in before:
            logging.getLogger().removeHandler(handler)
            handler.close()
