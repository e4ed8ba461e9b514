"""Take the README's screenshots of the real window (run under Xvfb or on a desktop):

    REFDESK_HOME=/tmp/shots python docs/screenshots.py   # uses the demo database, built on first use

Writes docs/queue.png (the Queue with a referral open beside it), docs/today.png, docs/signin.png (the
sign-in on the demo database), docs/settings.png (Settings → Service lines) and docs/welcome.png (the
first run on an empty database).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from refdesk.cli.demo import DEFAULT_PARTNERS, DEFAULT_REFERRALS, fill
from refdesk.demo import DEMO_ADMIN, DEMO_PASSWORD
from refdesk.paths import data_dir, demo_database_path
from refdesk.services import accounts
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
    from ui.session.signin import SignInDialog

    sign_in = SignInDialog(db, demo=True, username=DEMO_ADMIN)
    sign_in.show()
    settle(app, 1)
    sign_in.grab().save(str(HERE / "signin.png"))
    sign_in.close()
    admin = accounts.sign_in(db, DEMO_ADMIN, DEMO_PASSWORD)
    prefs = QSettings(str(data_dir() / "screenshot-prefs.ini"), QSettings.Format.IniFormat)
    window = MainWindow(db, admin, demo=True, preferences=prefs)
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
    settings = window.settings_menu.open("service_lines")
    settings.resize(1180, 640)
    settle(app, 2)
    settings.grab().save(str(HERE / "settings.png"))
    settings.close()
    window.close()
    db.close()
    welcome(app)
    return 0


def welcome(app: QApplication) -> None:
    """The first run's welcome, on an empty database of its own."""
    from ui.session.first_run import FirstRunWizard

    empty = Database.open(data_dir() / "screenshot-empty.db")
    wizard = FirstRunWizard(empty)
    wizard.show()
    settle(app, 1)
    wizard.grab().save(str(HERE / "welcome.png"))
    wizard.close()
    empty.close()


if __name__ == "__main__":
    raise SystemExit(main())
