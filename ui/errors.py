"""Showing errors: a RefDeskError's own words for the user; a bug logged with its traceback and shown
as one calm sentence. Never a traceback on screen."""

from __future__ import annotations

import logging
import sys
from types import TracebackType

from PySide6.QtWidgets import QMessageBox, QWidget

from refdesk.errors import RefDeskError

log = logging.getLogger(__name__)

BUG_MESSAGE = (
    "Something went wrong inside RefDesk; what you saved before is safe. "
    "The details are in the log file. Please tell your IT contact."
)


def user_message(error: BaseException) -> str:
    """The text to show for ``error``; logs it first when it is a bug."""
    if isinstance(error, RefDeskError):
        return str(error)
    log.error("unexpected error", exc_info=error)
    return BUG_MESSAGE


def show_error(parent: QWidget | None, error: BaseException, title: str = "RefDesk") -> None:
    QMessageBox.warning(parent, title, user_message(error))


def install_excepthook() -> None:
    """An exception escaping a slot is logged and shown, instead of printed (or aborting the app)."""

    def hook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, tb)
            return
        show_error(None, error.with_traceback(tb))

    sys.excepthook = hook
