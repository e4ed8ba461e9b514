"""Start the Qt application: one RefDesk per database, then the desk's run (``ui.startup.desk``).

Order matters: the QApplication comes first, so that every problem after it (another RefDesk open on the
same database, a folder that cannot be written, a damaged file) is shown in a window in plain words
rather than printed as a traceback to a terminal nobody is looking at.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from refdesk import APP_NAME, __version__
from refdesk.errors import StorageError
from refdesk.paths import resource_path
from ui.errors import install_excepthook
from ui.instance import InstanceLock
from ui.startup import messages
from ui.startup.desk import Desk, Prepare, SessionFactory
from ui.style import apply_style


def create_application(argv: Sequence[str]) -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(list(argv))
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName(APP_NAME)
    app.setWindowIcon(QIcon(str(resource_path("icons", "refdesk.svg"))))
    apply_style(app)
    return app


def run(
    db_path: Path,
    *,
    demo: bool,
    argv: Sequence[str],
    prepare: Prepare | None = None,
    sessions: SessionFactory | None = None,
) -> int:
    """Run RefDesk on the database file ``db_path`` until the person quits; returns the exit code.

    ``prepare(db, progress)`` runs once on the freshly opened database (the demo data on first use).
    ``sessions`` makes the signed-in session (default: ``SessionController``; tests pass their own).
    """
    app = create_application(argv)
    install_excepthook()
    lock = InstanceLock(db_path)
    try:
        held = lock.try_acquire()
    except StorageError as error:
        messages.tell(str(error))
        return 1
    if not held:
        messages.tell(lock.refused_message())
        return 1
    try:
        return Desk(Path(db_path), demo=demo, prepare=prepare, sessions=sessions).run()
    finally:
        lock.release()
        app.setQuitOnLastWindowClosed(True)
