"""Opening the GUI from the command line.

The core never imports Qt: the GUI package is loaded by name here, only when a window is wanted, so
``refdesk check`` and every other subcommand run (and are tested) without Qt. The database is opened by
the GUI itself (``ui.app.run``), after its instance lock and its check of the file, so that another
RefDesk on the same file, a damaged file or a read-only folder is answered in a window.

Before Qt is loaded, one thing is checked here: that there is a display to open a window on. Without
one (an SSH session, a service account) Qt would abort the process with a core dump; instead RefDesk says
so in one line and exits 1.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable

from sqlalchemy import select

from refdesk.cli.demo import DEFAULT_PARTNERS, DEFAULT_REFERRALS
from refdesk.domain.models import Referral
from refdesk.errors import RefDeskError
from refdesk.paths import default_database_path, demo_database_path
from refdesk.storage import Database

GUI_MODULE = "ui.app"


class NoDisplay(RefDeskError):
    """RefDesk's window cannot open here: no desktop session, or Qt cannot load."""


def run(args: argparse.Namespace) -> int:
    path = demo_database_path() if args.demo else (args.db or default_database_path())
    require_display()
    try:
        gui = importlib.import_module(GUI_MODULE)
    except ImportError as error:  # a missing system library of Qt's (libGL, libxkbcommon, ...)
        raise NoDisplay(
            f"RefDesk's window cannot start: a part of Qt could not be loaded ({error}). "
            "The commands still work: see 'refdesk --help'."
        ) from error
    exit_code: int = gui.run(
        path, demo=args.demo, argv=sys.argv[:1], prepare=fill_demo if args.demo else None
    )
    return exit_code


def require_display(environ: dict[str, str] | None = None, platform: str | None = None) -> None:
    """Raise NoDisplay when a window cannot be shown: on Linux and the BSDs, no X11 or Wayland display
    and no Qt platform chosen by hand (``QT_QPA_PLATFORM``). Windows and macOS always have one."""
    env = os.environ if environ is None else environ
    system = platform or sys.platform
    if system.startswith(("win", "cygwin", "darwin")):
        return
    if env.get("QT_QPA_PLATFORM") or env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return
    raise NoDisplay(
        "RefDesk's window needs a desktop session, and none was found (DISPLAY is not set). Start "
        "RefDesk from the desktop; the commands work anywhere: see 'refdesk --help'."
    )


def fill_demo(db: Database, progress: Callable[[int, int], None]) -> None:
    """The demo database's data, made the first time it is opened (a few seconds, with progress)."""
    if _has_referrals(db):
        return
    from refdesk.demo import build_demo  # the generator is only needed when demo data is built

    build_demo(db, referrals=DEFAULT_REFERRALS, partners=DEFAULT_PARTNERS, progress=progress)


def _has_referrals(db: Database) -> bool:
    with db.session() as session:
        return session.scalars(select(Referral.id).limit(1)).first() is not None
