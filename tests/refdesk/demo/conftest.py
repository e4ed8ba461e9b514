"""One demo database for the content tests of this package (building it takes a few seconds)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from refdesk.demo import DemoSummary, build_demo
from refdesk.storage import Database

#: A Monday afternoon: recent referrals are still being worked, appointments are booked ahead.
NOW = datetime(2026, 3, 16, 15, 0, tzinfo=UTC)
REFERRALS = 3_000
PARTNERS = 40


@pytest.fixture(scope="package")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, DemoSummary]]:
    db = Database.open(tmp_path_factory.mktemp("demo") / "demo.db")
    summary = build_demo(db, referrals=REFERRALS, partners=PARTNERS, seed=7, now=NOW)
    yield db, summary
    db.close()


@pytest.fixture
def demo(demo_build: tuple[Database, DemoSummary]) -> Database:
    return demo_build[0]
