"""Take the README's screenshots of the real window (run under Xvfb or on a desktop):

    REFDESK_HOME=/tmp/shots python docs/screenshots.py   # uses the demo database, built on first use

Writes docs/queue.png (the Queue with a referral open beside it) and docs/today.png.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from refdesk.cli.demo import DEFAULT_PARTNERS, DEFAULT_REFERRALS, fill
from refdesk.paths import data_dir, demo_database_path
from refdesk.services.actor import local_actor
from refdesk.services.queue import QueueFilter
from refdesk.storage import Database
from ui.app import create_application
from ui.main_window import MainWindow

HERE = Path(__file__).resolve().parent


def settle(app: QApplication, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def main() -> int:
    app = create_application(sys.argv[:1])
    db = Database.open(demo_database_path())
    with db.session() as session:
        from sqlalchemy import func, select

        from refdesk.domain.models import Referral

        if not session.scalar(select(func.count()).select_from(Referral)):
            fill(db, referrals=DEFAULT_REFERRALS, partners=DEFAULT_PARTNERS)
    prefs = QSettings(str(data_dir() / "screenshot-prefs.ini"), QSettings.Format.IniFormat)
    window = MainWindow(db, local_actor(db), demo=True, preferences=prefs)
    window.resize(1280, 720)  # logical pixels: 2560×1440 at 200 %
    window.show()
    settle(app, 3)
    window.grab().save(str(HERE / "today.png"))
    window.show_tab(window.TABS.index("Queue"))
    window.queue.filter_bar.set_filter(QueueFilter())
    settle(app, 2)
    row = 2
    referral_id = window.queue.model.referral_id_at(row)
    if referral_id is not None:
        window.open_referral(referral_id)
    settle(app, 2)
    window.grab().save(str(HERE / "queue.png"))
    window.close()
    db.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
