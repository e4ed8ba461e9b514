"""Start the Qt application on an open database."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from refdesk import APP_NAME, __version__
from refdesk.paths import resource_path
from refdesk.storage import Database
from ui.main_window import MainWindow


def create_application(argv: Sequence[str]) -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(list(argv))
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName(APP_NAME)
    app.setWindowIcon(QIcon(str(resource_path("icons", "refdesk.svg"))))
    return app


def run(db: Database, *, demo: bool, argv: Sequence[str]) -> int:
    """Show the main window until it is closed; returns the exit code."""
    app = create_application(argv)
    window = MainWindow(db, demo=demo)
    window.show()
    return app.exec()
