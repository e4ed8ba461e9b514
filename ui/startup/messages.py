"""Plain messages of start-up: another RefDesk is open, the folder cannot be written, the file is from a
newer RefDesk. One calm sentence in a message box (and on stderr, for whoever started RefDesk from a
terminal), never a traceback. Tests replace ``tell`` to read what would be shown."""

from __future__ import annotations

import logging
import sys

from PySide6.QtWidgets import QMessageBox, QWidget

from refdesk import APP_NAME

log = logging.getLogger(__name__)


def tell(text: str, *, parent: QWidget | None = None, warning: bool = True, title: str = APP_NAME) -> None:
    """Show ``text`` and wait until it is read (OK). ``warning``: a problem; otherwise news."""
    if warning:
        log.warning("start-up: %s", text)
        print(f"refdesk: {text}", file=sys.stderr)
        QMessageBox.warning(parent, title, text)
    else:
        QMessageBox.information(parent, title, text)


def ask(text: str, *, parent: QWidget | None = None, title: str = APP_NAME) -> bool:
    """A yes/no question at start-up (a restore left over from last time); True for Yes."""
    answer = QMessageBox.question(
        parent,
        title,
        text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes
