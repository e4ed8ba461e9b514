"""File → Import…: the wizard that brings referrals or partners in from a CSV file or an Excel workbook.

Steps: the file (and sheet); which column holds which field (guessed from the headers); what the file's
own words for states, urgency, close reasons, channels, service lines and partner categories mean in
RefDesk (guessed); the date format, only when the dates could be read both ways; a preview with each
row's problems and the partners to create; then the import itself, with a progress bar and Cancel.

The work is done by ``refdesk.imports`` (no Qt); every read of the file runs on the task runner, one at
a time (``ui.imports.jobs``). All or nothing by default: Cancel, or a row with a problem, leaves the
database as it was.

Keyboard: Alt+N goes on, Alt+B goes back; Enter presses only the focused button (as in every RefDesk
dialog), so Enter at the end of a field never starts the import. Esc cancels the wizard, or during the
import cancels the import.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, QSize, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QShowEvent
from PySide6.QtWidgets import QWidget, QWizard

from refdesk.services.actor import Actor
from refdesk.storage import Database
from ui.imports.columns_page import ColumnsPage
from ui.imports.dates_page import DatesPage
from ui.imports.file_page import FilePage
from ui.imports.import_page import ImportPage as RunPage
from ui.imports.jobs import SerialJobs
from ui.imports.preview_page import PreviewPage
from ui.imports.state import KINDS, PARTNERS, ImportState
from ui.imports.values_page import ValuesPage
from ui.preferences import or_workstation
from ui.tasks import TaskRunner
from ui.widgets import enter_presses_focused_button

FILE, COLUMNS, VALUES, DATES, PREVIEW, IMPORT = range(6)

_TITLES = {"referrals": "Import referrals", PARTNERS: "Import partners"}


class ImportWizard(QWizard):
    """The import wizard (see the module docstring). ``kind`` is ``"referrals"`` or ``"partners"``; the
    first page can change it. ``preferences``: where the folder used last is remembered (the
    workstation's by default).

    Object names: ``importWizard``; pages ``filePage``, ``columnsPage``, ``valuesPage``, ``datesPage``,
    ``previewPage``, ``importPage`` (each page documents its widgets).

    Signals:
        imported(int): rows were imported (the count; partners for a partner import), so the window can
            refresh what it shows. Emitted once, when the import has committed.
    """

    imported = Signal(int)

    def __init__(
        self,
        db: Database,
        actor: Actor,
        runner: TaskRunner,
        parent: QWidget | None = None,
        *,
        kind: str = "referrals",
        preferences: QSettings | None = None,
    ) -> None:
        super().__init__(parent)
        if kind not in KINDS:
            raise ValueError(f"unknown import kind {kind!r}")
        self.setObjectName("importWizard")
        self.db, self.actor = db, actor
        self.preferences = or_workstation(preferences)
        self.jobs = SerialJobs(runner)
        self.state = ImportState(kind=kind)
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setOption(QWizard.WizardOption.NoDefaultButton, True)
        self.file_page = FilePage()
        self.columns_page = ColumnsPage()
        self.values_page = ValuesPage()
        self.dates_page = DatesPage()
        self.preview_page = PreviewPage()
        self.import_page = RunPage()
        for page_id, page in (
            (FILE, self.file_page),
            (COLUMNS, self.columns_page),
            (VALUES, self.values_page),
            (DATES, self.dates_page),
            (PREVIEW, self.preview_page),
            (IMPORT, self.import_page),
        ):
            self.setPage(page_id, page)
        self.setStartId(FILE)
        self._retitle()
        self._sized = False

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        first = not self._sized
        if first:
            self._sized = True
            self.resize(self._first_size())
        super().showEvent(event)
        if first and self.currentId() == FILE:
            # QWizard gives the first page's first button the focus once shown; the file is what to type
            QTimer.singleShot(0, self.file_page.path_edit.setFocus)

    def _first_size(self) -> QSize:
        """Wide enough for a field, its column and sample values side by side, and tall enough for a
        dozen fields or preview rows; measured in characters so it scales with the font and display,
        and never larger than the screen."""
        metrics = self.fontMetrics()
        wanted = QSize(150 * metrics.averageCharWidth(), 46 * metrics.height())
        screen = self.screen().availableGeometry().size() if self.screen() is not None else wanted
        return wanted.boundedTo(QSize(int(screen.width() * 0.9), int(screen.height() * 0.9)))

    # --- state shared by the pages -------------------------------------------------------------

    @property
    def kind(self) -> str:
        return self.state.kind

    def set_kind(self, kind: str) -> None:
        """Referrals or partners: the fields differ, so the mapping built so far is dropped."""
        if kind not in KINDS:
            raise ValueError(f"unknown import kind {kind!r}")
        if kind == self.state.kind:
            return
        self.state.kind = kind
        self.state.forget_findings()
        self._retitle()

    def close_source(self) -> None:
        """Close the open file on a worker, after whatever is still reading it."""
        source = self.state.take_source()
        self.state.forget_findings()
        if source is not None:
            self.jobs.submit(lambda _work: source.close(), _ignore, _ignore, replace=False, essential=True)

    def nextId(self) -> int:  # noqa: N802 - Qt's name
        """The values and dates steps only when there is something to ask."""
        current = self.currentId()
        if current == COLUMNS and not self.values_page.has_work():
            current = VALUES
        if current == VALUES:
            return DATES if self.dates_page.needed() else PREVIEW
        return super().nextId()

    def _retitle(self) -> None:
        self.setWindowTitle(_TITLES[self.state.kind])

    # --- closing -------------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if not enter_presses_focused_button(self, event):  # never Next (or Import) by accident
            super().keyPressEvent(event)

    def reject(self) -> None:
        """Cancel and Esc: during the import they cancel the import (the wizard stays to say so)."""
        if self.import_page.running:
            self.import_page.cancel()
            return
        super().reject()

    def done(self, result: int) -> None:
        if self.import_page.running:
            self.import_page.cancel()
            return
        source = self.state.take_source()
        self.jobs.close(source.close if source is not None else None)
        super().done(result)


def _ignore(_value: object) -> None:
    """The outcome of closing a file: nothing to say."""
