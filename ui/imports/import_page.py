"""The last step: the import itself, on a worker, with a progress bar and Cancel; then what happened.

Cancel (the button, the wizard's Cancel, Esc, closing the window) asks the import to stop; it rolls
its transaction back and says so ("Import cancelled; nothing was changed."): the wizard stays open
until the database is known to be as it was. A refusal (all or nothing, and some rows have problems)
is shown in plain words, and "Back to the preview" lets the user choose to import the valid rows.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from refdesk.errors import OperationCancelled
from refdesk.imports import partners as partner_import
from refdesk.imports import referrals as referral_import
from refdesk.imports.results import ImportResult
from ui.errors import user_message
from ui.imports.jobs import Job, Work
from ui.imports.pages import ImportPage as Page
from ui.imports.state import PARTNERS
from ui.widgets import named, plain_label

CANCELLED_TEXT = "Import cancelled; nothing was changed."


class ImportPage(Page):
    """While running: ``importStatus``, the progress bar ``importProgress`` and ``cancelImport``. When
    done: the figures (``resultRead``, ``resultImported``, ``resultDuplicates``, ``resultRejected``,
    ``resultPartners``), ``openRejects`` when rows were written to a rejects file, and ``backToPreview``
    after a refusal or a cancel.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("import", "Import", "", parent)
        self.status = plain_label("importStatus", hide_empty=False, selectable=True)
        self.progress = named(QProgressBar(), "importProgress")
        self.progress.setFormat("%v of %m rows")
        self.cancel_button = named(QPushButton("&Cancel import"), "cancelImport")
        self.cancel_button.clicked.connect(self.cancel)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)

        self.figures = QWidget()
        grid = QGridLayout(self.figures)
        grid.setContentsMargins(0, 12, 0, 0)
        grid.setColumnStretch(2, 1)
        self.values: dict[str, QLabel] = {}
        self._captions: dict[str, QLabel] = {}
        for row, (key, text) in enumerate(
            (
                ("read", "Rows read"),
                ("imported", "Imported"),
                ("duplicates", "Duplicates skipped"),
                ("rejected", "Rejected"),
                ("partners", "Partners created"),
            )
        ):
            name = f"result{key.capitalize()}"
            caption = QLabel(f"{text}:")
            grid.addWidget(caption, row, 0)
            self._captions[key] = caption
            value = plain_label(name, hide_empty=False, wrap=False, selectable=True)
            value.setStyleSheet("font-weight: 600;")
            grid.addWidget(value, row, 1)
            self.values[key] = value
        self.figures.hide()

        self.open_rejects_button = named(QPushButton("&Open rejects file"), "openRejects")
        self.open_rejects_button.clicked.connect(self._open_rejects)
        self.back_button = named(QPushButton("Back to the &preview"), "backToPreview")
        self.back_button.clicked.connect(self._back)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_rejects_button)
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        self.open_rejects_button.hide()
        self.back_button.hide()

        self.body.addWidget(self.status)
        self.body.addLayout(progress_row)
        self.body.addWidget(self.figures)
        self.body.addLayout(buttons)
        self.body.addStretch(1)
        self._import_job: Job | None = None
        self._finished = False
        self._rejects: Path | None = None

    @property
    def running(self) -> bool:
        """True from the start of the import until its outcome (done, refused, cancelled) is known."""
        return self._import_job is not None

    def initializePage(self) -> None:  # noqa: N802 - Qt's name
        self._start()

    def isComplete(self) -> bool:  # noqa: N802 - Qt's name
        return self._finished and not self.running

    def cleanupPage(self) -> None:  # noqa: N802 - Qt's name
        self._finished = False

    # --- running -----------------------------------------------------------------------------

    def _start(self) -> None:
        wizard = self.import_wizard()
        state = wizard.state
        options = wizard.preview_page.options()
        source, mapping, db, actor = state.source, state.mapping, wizard.db, wizard.actor
        assert source is not None and mapping is not None  # the preview step had both
        partners = state.kind == PARTNERS
        self._finished = False
        self._rejects = None
        self.setTitle("Import")
        self.messages.clear()
        self.figures.hide()
        self.open_rejects_button.hide()
        self.back_button.hide()
        self.progress.show()
        self.progress.setRange(0, 0)
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)
        self.status.setText(f"Importing {state.path.name if state.path else 'the file'}…")
        self.setSubTitle("Cancel leaves the database as it was.")

        def work(job: Work) -> ImportResult:
            # looked up when the import starts (tests slow it down by replacing it)
            run_import = partner_import.run_import if partners else referral_import.run_import
            return run_import(
                db,
                actor,
                source,
                mapping,
                skip_invalid=options.skip_invalid,
                rejects_path=options.rejects_path,
                create_partners=options.create_partners,
                progress=job.progress,
                should_stop=job.should_stop,
            )

        self._import_job = wizard.jobs.submit(work, self._done, self._failed, self._progressed, replace=False)
        if self._import_job.finished:  # the inline runner has already answered
            self._import_job = None
        self.completeChanged.emit()
        self.focus_later(self.cancel_button)

    def cancel(self) -> None:
        """Ask the import to stop; the page says so once it has rolled back."""
        if self._import_job is None:
            return
        self._import_job.request_stop()
        self.cancel_button.setEnabled(False)
        self.status.setText("Cancelling… nothing is kept.")

    def _progressed(self, done: int, total: int) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))

    def _settled(self) -> None:
        self._import_job = None
        self._finished = True
        self.progress.hide()
        self.cancel_button.hide()
        self.completeChanged.emit()

    def _done(self, result: ImportResult) -> None:
        self._settled()
        wizard = self.import_wizard()
        wizard.state.result = result
        kind = "partners" if wizard.state.kind == PARTNERS else "referrals"
        self.status.setText(f"Done: {result.imported:,} {kind} imported.")
        self.values["read"].setText(f"{result.read:,}")
        self.values["imported"].setText(f"{result.imported:,}")
        self.values["duplicates"].setText(f"{result.duplicates:,}")
        self.values["rejected"].setText(f"{result.rejected:,}")
        self.values["partners"].setText(f"{result.partners_created:,}")
        # a partner list creates partners by importing them: the line would only confuse
        for widget in (self.values["partners"], self._captions["partners"]):
            widget.setVisible(wizard.state.kind != PARTNERS)
        self.figures.show()
        self._rejects = result.rejects_path
        if self._rejects is not None and result.rejected:
            self.status.setText(
                self.status.text() + f" The rejected rows, each with its reason, are in {self._rejects}."
            )
            self.open_rejects_button.show()
            self.open_rejects_button.setFocus()
        else:
            finish = wizard.button(wizard.WizardButton.FinishButton)
            if finish is not None:
                finish.setFocus()
        self.setTitle("Import finished")
        where = "the Partners tab" if wizard.state.kind == PARTNERS else "the queue"
        self.setSubTitle(f"Finish closes the wizard; what was imported is on {where}.")
        wizard.setOption(wizard.WizardOption.NoCancelButton, True)  # nothing left to cancel: Finish closes
        wizard.imported.emit(result.imported)

    def _failed(self, error: BaseException) -> None:
        self._settled()
        self._finished = False  # nothing was imported: Finish would say otherwise
        self.setSubTitle("Go back to the preview to change the choices, or Cancel to close the wizard.")
        self.status.setText(CANCELLED_TEXT if isinstance(error, OperationCancelled) else user_message(error))
        self.back_button.show()
        self.back_button.setFocus()
        self.completeChanged.emit()

    # --- after -------------------------------------------------------------------------------

    def _open_rejects(self) -> None:
        if self._rejects is None:
            return
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._rejects))):
            self.messages.show_message(
                f"No program on this computer would open it; it is in {self._rejects.parent}.", "info"
            )

    def _back(self) -> None:
        wizard = self.wizard()
        if wizard is not None:
            wizard.back()
