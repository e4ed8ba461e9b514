"""The main window. For now: the title (clinic, DEMO mark), open-referral counts and the menu;
the queue, Today, Partners and Reports tabs come with issues 2/7 and 4/7."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox

from refdesk import APP_NAME, __version__
from refdesk.domain import lifecycle
from refdesk.services.counts import open_counts
from refdesk.storage import Database


class MainWindow(QMainWindow):
    def __init__(self, db: Database, *, demo: bool) -> None:
        super().__init__()
        self._db = db
        self.demo = demo
        self.setWindowTitle(f"{APP_NAME} — DEMO (synthetic patients)" if demo else APP_NAME)
        self.resize(1100, 700)
        self._summary = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self._summary.setObjectName("summary")
        self.setCentralWidget(self._summary)
        self._build_menu()
        self.refresh()

    def _build_menu(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        help_menu = self.menuBar().addMenu("&Help")
        about = QAction(f"&About {APP_NAME}", self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

    def refresh(self) -> None:
        counts = open_counts(self._db)
        total = sum(counts.values())
        if total == 0:
            self._summary.setText("No open referrals.")
        else:
            lines = [f"<h2>{total:,} open referrals</h2>"]
            lines += [f"{lifecycle.LABELS[state]}: {number:,}" for state, number in counts.items()]
            self._summary.setText("<br>".join(lines))
        self.statusBar().showMessage(f"{total:,} open")

    def _about(self) -> None:
        QMessageBox.about(
            self, f"About {APP_NAME}", f"{APP_NAME} {__version__}\nReferral desk for a small clinic."
        )
