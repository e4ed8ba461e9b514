"""Opening the GUI from the command line.

The core never imports Qt: the GUI package is loaded by name here, only when a window is wanted, so
``refdesk check`` and every other subcommand run (and are tested) without Qt.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from sqlalchemy import select

from refdesk.cli.demo import DEFAULT_PARTNERS, DEFAULT_REFERRALS, fill
from refdesk.domain.models import Referral
from refdesk.paths import default_database_path, demo_database_path
from refdesk.storage import Database

GUI_MODULE = "ui.app"


def run(args: argparse.Namespace) -> int:
    path = demo_database_path() if args.demo else (args.db or default_database_path())
    db = Database.open(path)
    try:
        if args.demo and not _has_referrals(db):
            print(f"Creating the demo database {path} ...", file=sys.stderr)
            fill(db, referrals=DEFAULT_REFERRALS, partners=DEFAULT_PARTNERS)
        gui = importlib.import_module(GUI_MODULE)
        exit_code: int = gui.run(db, demo=args.demo, argv=sys.argv[:1])
        return exit_code
    finally:
        db.close()


def _has_referrals(db: Database) -> bool:
    with db.session() as session:
        return session.scalars(select(Referral.id).limit(1)).first() is not None
