"""``refdesk selftest``: check that this installation works, in a throwaway data folder.

Made for the PyInstaller bundle (CI builds it and runs this offscreen) and for whoever installs RefDesk
on a desk: the bundle must find every file it loads at run time (icon, style sheet, fonts, the default
intake script, the Alembic migrations) and every module it imports by name, and this command is where
one that was left out shows up, by name, instead of on the first morning at the desk.

The checks: the resources are found; a small demo database is built (every migration runs); one PDF is
printed with the bundled fonts; a password is hashed; a spreadsheet is written and read back; then,
unless ``--no-gui``, the GUI is started as ``refdesk`` starts it (``ui.selftest``): the main window for a
demo administrator, every tab, the first referral, and closed again. One line per check; exit 0 when all
passed, 1 naming what failed.

Everything happens under a temporary ``REFDESK_HOME`` removed afterwards, and no log file is opened:
the user's real data folder is never read, created or written.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import func, select

from refdesk import APP_NAME, __version__
from refdesk.domain.vocab import StaffRole
from refdesk.errors import RefDeskError
from refdesk.paths import HOME_ENV, resource_dir, resource_path
from refdesk.services.actor import Actor, ensure_staff
from refdesk.storage import Database

#: The demo the checks run on: big enough for every tab to show something, built in about a second.
REFERRALS = 300
PARTNERS = 10
#: The GUI half, imported by name only when it runs: the core never imports Qt.
GUI_MODULE = "ui.selftest"

Step = Callable[[], str]


def register(commands: Any) -> None:
    """Add ``selftest`` to the ``refdesk`` parser's subcommands."""
    parser = commands.add_parser(
        "selftest", help="check that this installation works (in a temporary folder; exit 0 when ok)"
    )
    parser.add_argument(
        "--no-gui", action="store_true", help="skip the window checks (for a machine without a display)"
    )
    # No log file: it would live in the real data folder, which the self-test must not touch.
    parser.set_defaults(command=run, log_to_file=False)


class Checks:
    """Runs checks one by one and prints one line each: ``ok: NAME (detail)``, ``failed: NAME: why`` or
    ``skipped: NAME (needs ...)`` when a check it depends on did not pass.

    A check fails when its step raises, and also when something logs an error meanwhile (a background
    task in the window reports its failure in the log, not to the caller).
    """

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.passed: list[str] = []
        self.failed: list[str] = []
        self.skipped: list[str] = []

    def run(self, name: str, step: Step, *, needs: Sequence[str] = ()) -> bool:
        missing = [need for need in needs if need not in self.passed]
        if missing:
            self.skipped.append(name)
            self.say(f"skipped: {name} (needs {', '.join(missing)})")
            return False
        errors = _ErrorRecords()
        root = logging.getLogger()
        root.addHandler(errors)
        try:
            detail = step()
        except Exception as error:  # noqa: BLE001 - a check reports what went wrong, whatever it is
            if not isinstance(error, RefDeskError | FileNotFoundError):
                traceback.print_exception(error, file=sys.stderr)  # for whoever builds the bundle
            return self._fail(name, _reason(error))
        finally:
            root.removeHandler(errors)
        if errors.messages:
            return self._fail(name, f"logged an error: {errors.messages[0]}")
        self.passed.append(name)
        self.say(f"ok: {name}" + (f" ({detail})" if detail else ""))
        return True

    def _fail(self, name: str, reason: str) -> bool:
        self.failed.append(name)
        self.say(f"failed: {name}: {reason}")
        return False

    def say(self, line: str) -> None:
        print(line, file=self.out, flush=True)


class _ErrorRecords(logging.Handler):
    """Collects the messages logged at ERROR or above while a check runs."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text = f"{text}: {_reason(record.exc_info[1])}"
        self.messages.append(text)


def _reason(error: BaseException) -> str:
    """One line saying why: RefDesk's own words, or the kind of error and its message."""
    if isinstance(error, RefDeskError | FileNotFoundError):
        return str(error)
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


@contextmanager
def throwaway_home() -> Iterator[Path]:
    """``REFDESK_HOME`` pointed at a new temporary folder for the duration, then put back and removed."""
    previous = os.environ.get(HOME_ENV)
    with tempfile.TemporaryDirectory(prefix="refdesk-selftest-", ignore_cleanup_errors=True) as folder:
        os.environ[HOME_ENV] = folder
        try:
            yield Path(folder)
        finally:
            if previous is None:
                os.environ.pop(HOME_ENV, None)
            else:
                os.environ[HOME_ENV] = previous


def run(args: argparse.Namespace) -> int:
    return selftest(gui=not args.no_gui)


def selftest(*, gui: bool = True, out: TextIO | None = None) -> int:
    """Run every check (the window ones only with ``gui``); 0 when all passed, else 1."""
    checks = Checks(out or sys.stdout)
    started = time.monotonic()
    with throwaway_home() as home:
        checks.run("data folder", lambda: f"temporary: {home}")
        _resource_checks(checks)
        opened: list[Database] = []
        try:
            checks.run("database", lambda: _database(home / "selftest.db", opened))
            checks.run("pdf", lambda: _pdf(opened[0], home), needs=("database", "fonts"))
            checks.run("passwords", _passwords)
            checks.run("spreadsheets", lambda: _spreadsheets(home))
            if gui:
                _gui_checks(checks, opened[0] if opened else None, home)
        finally:
            for db in opened:
                db.close()  # before the folder is removed (Windows keeps an open file)
    seconds = time.monotonic() - started
    if checks.failed or checks.skipped:
        not_passed = ", ".join(checks.failed + checks.skipped)
        checks.say(f"{APP_NAME} {__version__} selftest FAILED ({seconds:.1f} s): {not_passed}")
        return 1
    checks.say(f"{APP_NAME} {__version__} selftest passed: {len(checks.passed)} checks in {seconds:.1f} s")
    return 0


# -- the core: files, database, documents ---------------------------------------------------------------


def _resource_checks(checks: Checks) -> None:
    checks.run("resources", lambda: str(resource_dir()) if resource_dir().is_dir() else _missing_folder())
    checks.run("icon", _icon)
    checks.run("style sheet", _style_sheet)
    checks.run("fonts", _fonts)
    checks.run("intake script", _intake_script)


def _missing_folder() -> str:
    raise FileNotFoundError(f"RefDesk resource folder missing: {resource_dir()}")


def _icon() -> str:
    path = resource_path("icons", "refdesk.svg")
    if b"<svg" not in path.read_bytes():
        raise ValueError(f"{path.name} is not an SVG image")
    return "icons/refdesk.svg"


def _style_sheet() -> str:
    text = resource_path("style.qss").read_text(encoding="utf-8")
    if "{" not in text:
        raise ValueError("style.qss holds no style rules")
    return f"style.qss, {len(text.splitlines())} lines"


def _fonts() -> str:
    from refdesk.reports import fonts  # ReportLab: only when the check runs

    # Every file the documents print with, looked up now: register_fonts reads them once per process.
    files = [*fonts._FILES.values(), fonts._FALLBACK_FILE]
    for name in files:
        resource_path("fonts", name)
    family = fonts.register_fonts()
    faces = {face for face, _text in fonts.runs("Nguyễn 杨娜", family.regular)}
    if faces != {family.regular, family.fallback}:
        raise ValueError("the CJK fallback font did not take over for Chinese characters")
    return f"{len(files)} files, CJK fallback"


def _intake_script() -> str:
    from refdesk.services.intake_defaults import DEFAULT_SCRIPT, default_items

    resource_path(*DEFAULT_SCRIPT)
    return f"{'/'.join(DEFAULT_SCRIPT)}, {len(default_items())} items"


def _database(path: Path, opened: list[Database]) -> str:
    """Create the demo database (every migration runs: their files must be in the bundle)."""
    from refdesk.cli.demo import fill
    from refdesk.domain.models import Partner, Referral
    from refdesk.storage.migrate import HEAD_REVISION, current_revision

    db = Database.open(path)
    opened.append(db)
    fill(db, referrals=REFERRALS, partners=PARTNERS)
    with db.session() as session:
        referrals = session.scalar(select(func.count()).select_from(Referral))
        partners = session.scalar(select(func.count()).select_from(Partner))
        revision = current_revision(session.connection())
    if revision != HEAD_REVISION:
        raise ValueError(f"schema {revision} after migrating, expected {HEAD_REVISION}")
    return f"demo: {referrals} referrals, {partners} partners, schema {revision}"


def _pdf(db: Database, home: Path) -> str:
    from refdesk.domain.times import local_today
    from refdesk.reports.summary import write_summary
    from refdesk.services.metrics import Period

    end = local_today()
    target = write_summary(db, administrator(db), Period(end - timedelta(days=90), end), None, home / "s.pdf")
    data = target.read_bytes()
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-64:]:
        raise ValueError(f"{target.name} is not a complete PDF ({len(data)} bytes)")
    accelerated = importlib.util.find_spec("_rl_accel") is not None
    return f"partner summary, {len(data) // 1024} KB, ReportLab accelerator {'on' if accelerated else 'off'}"


def _passwords() -> str:
    from argon2 import PasswordHasher

    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # cheap: the library is what counts
    if not hasher.verify(hasher.hash("selftest passphrase"), "selftest passphrase"):
        raise ValueError("a password did not verify against its own hash")
    return "argon2id"


def _spreadsheets(home: Path) -> str:
    from openpyxl import Workbook, load_workbook

    path = home / "selftest.xlsx"
    book = Workbook()
    book.active.append(["Patient", "Date of birth"])  # type: ignore[union-attr]
    book.save(path)
    read = load_workbook(path, read_only=True)
    try:
        header = next(read.active.iter_rows(values_only=True))  # type: ignore[union-attr]
    finally:
        read.close()
    if header != ("Patient", "Date of birth"):
        raise ValueError("a spreadsheet did not read back as written")
    return "xlsx written and read"


def administrator(db: Database) -> Actor:
    """The demo administrator the window opens for (no sign-in screen: nobody is there to type)."""
    return ensure_staff(db, "admin", "Clinic Administrator", StaffRole.ADMIN)


# -- the GUI ------------------------------------------------------------------------------------------


def _gui_checks(checks: Checks, db: Database | None, home: Path) -> None:
    """Start the GUI as ``refdesk`` does, step by step (``ui.selftest``); each step needs the one before."""
    modules: list[Any] = []

    def qt() -> str:
        offscreen_without_a_display()
        modules.append(importlib.import_module(GUI_MODULE))
        return str(modules[0].qt_version())

    if not checks.run("qt", qt, needs=("database",)) or db is None:
        return
    with modules[0].GuiSelfTest(db, administrator(db), home) as gui:
        previous = "qt"
        for name, step in gui.steps():
            checks.run(name, step, needs=(previous,))
            previous = name


def offscreen_without_a_display() -> None:
    """On Linux without a display (a server, a CI runner, an SSH session) Qt would abort the whole
    process before the first window check could report; there the checks draw offscreen instead."""
    names = ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")
    if sys.platform.startswith("linux") and not any(os.environ.get(name) for name in names):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
