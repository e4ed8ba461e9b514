"""``refdesk check``: is this database sound and current? One line, exit 0 (ok) or 1."""

from __future__ import annotations

import argparse

from sqlalchemy import func, select

from refdesk.domain.models import Referral
from refdesk.errors import StorageError
from refdesk.paths import default_database_path
from refdesk.storage import Database, migrate


def run(args: argparse.Namespace) -> int:
    path = args.db or default_database_path()
    if not path.exists():
        raise StorageError(f"No database at {path}.")
    # upgrade=False: a check reads; it never changes the file it is asked about.
    with Database.open(path, upgrade=False) as db:
        problems = [line for line in db.integrity_check() if line != "ok"]
        if problems:
            print(
                f"damaged: {path}: {problems[0]}"
                + (f" (+{len(problems) - 1} more)" if len(problems) > 1 else "")
            )
            return 1
        revision = db.schema_revision()
        if revision is None:
            print(f"not a RefDesk database: {path} has no RefDesk schema")
            return 1
        if revision != migrate.HEAD_REVISION and revision not in migrate.known_revisions():
            print(f"newer: {path} has schema {revision}, written by a newer RefDesk")
            return 1
        state = (
            "current" if revision == migrate.HEAD_REVISION else "older; upgraded when RefDesk next opens it"
        )
        with db.session() as session:
            referrals = session.scalar(select(func.count()).select_from(Referral)) or 0
    print(f"ok: {path}: integrity ok, schema {revision} ({state}), {referrals:,} referrals")
    return 0
