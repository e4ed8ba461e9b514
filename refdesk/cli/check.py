"""``refdesk check``: is this database sound and current, and is its audit trail intact? One line for the
file, one for the audit trail; exit 0 (ok) or 1.

The check only reads: the schema is not upgraded, and no audit key is made (a missing key is reported,
since without it the trail cannot be verified).
"""

from __future__ import annotations

import argparse

from sqlalchemy import func, select

from refdesk.domain.models import Referral
from refdesk.errors import AuditKeyError, StorageError
from refdesk.paths import default_database_path
from refdesk.services import audit_verify
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
        return check_audit_trail(db)


def check_audit_trail(db: Database) -> int:
    """Print the audit trail's line ("audit trail: 12,345 rows, chain intact"); 1 when it was tampered
    with or cannot be verified at all (no key, or only another computer's), else 0."""
    try:
        verdict = audit_verify.verify(db)
    except AuditKeyError as error:
        reason = str(error).removeprefix("The audit trail cannot be verified: ").rstrip(".")
        print(f"audit trail: cannot be verified: {reason}")
        return 1
    print(f"audit trail: {verdict.summary()}")
    nothing_verified = verdict.rows > 0 and verdict.checked == 0 and verdict.unverifiable > 0
    return 0 if verdict.ok and not nothing_verified else 1
