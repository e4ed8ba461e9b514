"""Start the Qt application on an open database."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from refdesk import APP_NAME, __version__
from refdesk.paths import resource_path
from refdesk.services.actor import local_actor
from refdesk.storage import Database
from ui.errors import install_excepthook
from ui.main_window import MainWindow
from ui.preferences import workstation_preferences
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


def run(db: Database, *, demo: bool, argv: Sequence[str]) -> int:
    """Show the main window until it is closed; returns the exit code."""
    app = create_application(argv)
    install_excepthook()
    window = MainWindow(db, local_actor(db), demo=demo, preferences=workstation_preferences())
    window.show()
    return app.exec()
