"""What every page of the import wizard shares: a reach to the wizard's state, a busy line with a
progress bar for background reads, and a message bar for what went wrong (in plain words).

A page never reads the file on the GUI thread: ``run`` hands the work to the wizard's ``SerialJobs``,
and the page reports itself incomplete while it runs, so Next waits for the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QVBoxLayout, QWidget, QWizardPage

from refdesk.errors import OperationCancelled
from ui.detail.bars import MessageBar
from ui.errors import user_message
from ui.imports.jobs import Job, Work
from ui.widgets import named, plain_label

if TYPE_CHECKING:
    from ui.imports.state import ImportState
    from ui.imports.wizard import ImportWizard


class ImportPage(QWizardPage):
    """A wizard page with a busy line (``{prefix}Busy``: text and a progress bar) and a message bar
    (``messageBar``) under its content, which goes into ``self.body``.

    No signals of its own: QWizardPage's ``completeChanged`` follows the busy state.
    """

    def __init__(self, prefix: str, title: str, subtitle: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"{prefix}Page")
        self.setTitle(title)
        self.setSubTitle(subtitle)
        self._job: Job | None = None
        self._token: object | None = None
        outer = QVBoxLayout(self)
        self.body = QVBoxLayout()
        outer.addLayout(self.body, 1)
        self.busy_row = named(QWidget(self), f"{prefix}Busy")
        busy_layout = QHBoxLayout(self.busy_row)
        busy_layout.setContentsMargins(0, 0, 0, 0)
        self.busy_text: QLabel = plain_label(f"{prefix}BusyText", hide_empty=False, wrap=False)
        self.busy_bar = named(QProgressBar(self.busy_row), f"{prefix}BusyBar")
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setTextVisible(False)
        busy_layout.addWidget(self.busy_text)
        busy_layout.addWidget(self.busy_bar, 1)
        self.busy_row.hide()
        outer.addWidget(self.busy_row)
        self.messages = MessageBar(self)
        outer.addWidget(self.messages)

    # --- the wizard ------------------------------------------------------------------------------

    def import_wizard(self) -> ImportWizard:
        from ui.imports.wizard import ImportWizard

        wizard = self.wizard()
        assert isinstance(wizard, ImportWizard)
        return wizard

    @property
    def state(self) -> ImportState:
        return self.import_wizard().state

    def focus_later(self, widget: QWidget) -> None:
        """Put the cursor in ``widget`` once the step is shown: QWizard itself leaves it on the button
        that was pressed, and a keyboard user should land on the step's first question."""

        def focus() -> None:
            if widget.isVisible():
                widget.setFocus(Qt.FocusReason.OtherFocusReason)

        QTimer.singleShot(0, self, focus)

    # --- background reads -------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._token is not None

    def run(
        self,
        text: str,
        fn: Callable[[Work], Any],
        on_done: Callable[[Any], None],
        *,
        on_error: Callable[[BaseException], None] | None = None,
        replace: bool = True,
        progress: bool = False,
        dispose: Callable[[Any], None] | None = None,
    ) -> Job:
        """Run ``fn`` on the runner behind the busy line ``text``; ``on_done`` gets its result on the GUI
        thread. A failure is shown in the message bar (or handed to ``on_error``). ``progress``: the
        bar counts rows instead of just moving. ``dispose``: given the result if it comes too late."""
        self.messages.clear()
        token = object()  # which run the answer belongs to (the inline runner answers inside submit)
        self._token = token

        def mine() -> bool:
            return self._token is token

        def done(result: Any) -> None:
            if mine():
                self._set_busy(None)
            on_done(result)

        def failed(error: BaseException) -> None:
            if mine():
                self._set_busy(None)
            if on_error is not None:
                on_error(error)
            elif isinstance(error, OperationCancelled):
                self.messages.show_message(str(error), "info")
            else:
                self.messages.show_message(user_message(error))

        def progressed(done_rows: int, total: int) -> None:
            if mine() and total > 0:
                self.busy_bar.setRange(0, total)
                self.busy_bar.setValue(min(done_rows, total))

        self.busy_bar.setRange(0, 0)
        self.busy_text.setText(text)
        self._set_busy(token)
        job = self.import_wizard().jobs.submit(
            fn, done, failed, progressed if progress else None, replace=replace, dispose=dispose
        )
        if mine() and not job.finished:
            self._job = job
        return job

    def drop_job(self) -> None:
        """Forget the job under way (the user moved on); its result is no longer shown here."""
        if self._job is not None:
            self._job.superseded = True
            self._job.request_stop()
        self._set_busy(None)

    def _set_busy(self, token: object | None) -> None:
        self._token = token
        if token is None:
            self._job = None
        self.busy_row.setVisible(token is not None)
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802 - Qt's name
        return not self.busy and super().isComplete()
