"""The Reports tab's exports: partner summary, status letters, referral packets, CSV of the queue and of
the figures.

Each export asks where to save (a name that says what and when, in the folder used last, else the
user's Documents), then writes on the task runner behind a progress dialog with Cancel; the window stays
usable meanwhile. Cancel asks the writer to stop (``should_stop``); it then raises
``OperationCancelled`` and leaves no file, which is said as "cancelled", never as an error. When done, a
bar says what was saved with "Open file" and "Open folder". One export runs at a time.

The writers live in ``refdesk.reports`` and ``refdesk.exports`` and are imported when first used:
ReportLab costs start-up time nobody should pay for a tab they may not open.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QMenu,
    QProgressDialog,
    QPushButton,
    QToolButton,
    QWidget,
)

from refdesk.errors import OperationCancelled
from refdesk.services.actor import Actor
from refdesk.services.metrics import Period, Report
from refdesk.services.queue import QueueFilter
from refdesk.storage import Database
from ui.detail.bars import MessageBar
from ui.errors import user_message
from ui.reports.period import period_slug
from ui.tasks import TaskContext, TaskRunner
from ui.widgets import named
from ui.widgets.saving import CSV, PDF, SavedBar, ask_save_path, last_folder

#: QSettings key of the folder the last export was saved in.
LAST_FOLDER_KEY = "reports/last_folder"
#: How long an export runs before its progress dialog appears (a quick CSV never flashes one).
PROGRESS_DELAY_MS = 400
CANCELLED_TEXT = "Export cancelled; nothing was saved."

Progress = Callable[[int, int], None]
ShouldStop = Callable[[], bool]

_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f]+')
_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")


@dataclass(frozen=True, slots=True)
class Selection:
    """What the exports are about: the tab's period and partners, and the figures on screen."""

    period: Period
    #: None: every partner.
    partner_ids: frozenset[int] | None = None
    #: The partner's name when exactly one is chosen (it goes into file names).
    partner_name: str | None = None
    #: The report shown for exactly this period and these partners (None while it is computed).
    report: Report | None = None

    def scope(self) -> str:
        """Who the export covers, for a file name: ``all partners``, the partner, ``3 partners``."""
        if self.partner_ids is None:
            return "all partners"
        if self.partner_name is not None and len(self.partner_ids) == 1:
            return self.partner_name
        return f"{len(self.partner_ids)} partners"


@dataclass(frozen=True, slots=True)
class Saved:
    """What an export wrote: its files, the folder they are in, and how much (``6 pages``, ``12 files``)."""

    paths: tuple[Path, ...]
    folder: Path
    amount: str

    def message(self) -> str:
        if len(self.paths) == 1:
            return f"Saved {self.paths[0].name} ({self.amount}) in {self.folder}."
        return f"Saved {self.amount} in {self.folder}."


def safe_file_name(name: str) -> str:
    """``name`` made safe for Windows, macOS and Linux file systems (partner names hold slashes)."""
    cleaned = _UNSAFE.sub("-", name).strip(" -").rstrip(". -")
    return cleaned[:150] or "export"


def default_name(what: str, selection: Selection | None, suffix: str) -> str:
    """``Partner summary - Oak Street Primary Care - 2024-04.pdf`` and the like: what, who, when."""
    parts = [what]
    if selection is not None:
        parts += [selection.scope(), period_slug(selection.period)]
    return safe_file_name(" - ".join(parts)) + suffix


def pdf_pages(path: Path) -> int:
    """Pages in a PDF RefDesk wrote (ReportLab keeps page objects uncompressed: counting them is enough)."""
    try:
        return len(_PAGE.findall(path.read_bytes()))
    except OSError:
        return 0


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


def _pdf_saved(path: Path) -> Saved:
    return Saved((path,), path.parent, _plural(pdf_pages(path), "page"))


class ReportExporter(QWidget):
    """The export buttons, and the bars that report on exports (placed by the tab).

    Children: ``exportSummary`` (button), ``exportLetters``, ``exportPacket``, ``exportCsv`` (tool
    buttons with menus). ``saved_bar`` (``exportSaved``: ``exportSavedText``, ``exportOpenFile``,
    ``exportOpenFolder``) and ``messages`` (a ``MessageBar``) are for the tab to lay out.

    Signals:
        exported(Saved): an export finished and its files are in place.
        busy_changed(bool): an export started (True) or ended, however it ended (False).
    """

    exported = Signal(object)
    busy_changed = Signal(bool)

    def __init__(
        self,
        db: Database,
        actor: Actor,
        runner: TaskRunner,
        settings: QSettings,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("reportExporter")
        self._db, self._actor, self._runner, self._settings = db, actor, runner, settings
        self._selection: Selection | None = None
        self._service_lines: list[tuple[int, str]] = []
        self._busy = False
        self._stop: threading.Event | None = None
        self._saved: Saved | None = None
        self.progress_dialog: QProgressDialog | None = None

        self.summary_button = named(QPushButton("Partner &summary (PDF)…", self), "exportSummary")
        self.summary_button.setToolTip("The figures per partner and for all of them, with charts")
        self.summary_button.clicked.connect(self.export_summary)
        self.letters_menu = QMenu(self)
        self.letters_one = self.letters_menu.addAction("&One PDF with every letter…")
        self.letters_one.triggered.connect(lambda: self.export_letters(one_file=True))
        self.letters_each = self.letters_menu.addAction("One PDF &per partner (choose a folder)…")
        self.letters_each.triggered.connect(lambda: self.export_letters(one_file=False))
        self.letters_button = self._menu_button("Status &letters", "exportLetters", self.letters_menu)
        self.letters_button.setToolTip("Where each referral of the period stands, as a letter to its partner")
        self.packet_menu = QMenu(self)
        self.packet_button = self._menu_button("Referral pac&ket", "exportPacket", self.packet_menu)
        self.packet_button.setToolTip("How to refer to a service line: the one-page packet for partners")
        self.csv_menu = QMenu(self)
        self.csv_menu.setToolTipsVisible(True)
        self.queue_csv = self.csv_menu.addAction("&Referrals of the period (queue)…")
        self.queue_csv.setToolTip("Every referral from the chosen partners received in the period")
        self.queue_csv.triggered.connect(self.export_queue)
        self.metrics_csv = self.csv_menu.addAction("&Figures in the table…")
        self.metrics_csv.triggered.connect(self.export_metrics)
        self.csv_button = self._menu_button("&CSV", "exportCsv", self.csv_menu)
        self.csv_button.setToolTip("Spreadsheet files of the referrals or of the figures")

        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for button in (self.summary_button, self.letters_button, self.packet_button, self.csv_button):
            row.addWidget(button)

        self.messages = MessageBar(parent)
        self.saved_bar = SavedBar("export", parent)
        self.saved_text = self.saved_bar.text
        self.open_file_button = self.saved_bar.open_file_button
        self.open_file_button.clicked.connect(self.open_saved_file)
        self.open_folder_button = self.saved_bar.open_folder_button
        self.open_folder_button.clicked.connect(self.open_saved_folder)
        self.set_service_lines([])
        self._update_enabled()

    # --- public -------------------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._busy

    @property
    def saved(self) -> Saved | None:
        """What the last export wrote (what "Open file" opens)."""
        return self._saved

    def set_selection(self, selection: Selection | None) -> None:
        self._selection = selection
        self._update_enabled()

    def set_service_lines(self, lines: Sequence[tuple[int, str]]) -> None:
        """The service lines a packet can be written for, as ``(id, name)``."""
        self._service_lines = list(lines)
        self.packet_menu.clear()
        for line_id, name in self._service_lines:
            action = self.packet_menu.addAction(name.replace("&", "&&") + "…")
            action.triggered.connect(lambda _=False, i=line_id, n=name: self.export_packet(i, n))
        if not self._service_lines:
            self.packet_menu.addAction("No service lines yet").setEnabled(False)

    def cancel(self) -> None:
        """Ask the running export to stop (what the progress dialog's Cancel does)."""
        if self._stop is not None and not self._stop.is_set():
            self._stop.set()
            self.messages.show_message("Stopping the export…", "info")

    def export_summary(self) -> None:
        selection = self._selection
        if selection is None:
            return
        target = self._ask_file(
            "Save the partner summary", default_name("Partner summary", selection, ".pdf")
        )
        if target is None:
            return
        db, actor = self._db, self._actor

        def write(progress: Progress, should_stop: ShouldStop) -> Saved:
            from refdesk.reports.summary import write_summary

            path = write_summary(
                db, actor, selection.period, selection.partner_ids, target,
                progress=progress, should_stop=should_stop,
            )  # fmt: skip
            return _pdf_saved(path)

        self._run("Writing the partner summary", write)

    def export_letters(self, *, one_file: bool = True) -> None:
        """Status letters: one PDF for every partner, or one PDF per partner in a folder the user picks."""
        selection = self._selection
        if selection is None:
            return
        if one_file:
            target = self._ask_file(
                "Save the status letters", default_name("Status letters", selection, ".pdf")
            )
        else:
            target = self._ask_folder("Choose a folder for the status letters (one PDF per partner)")
        if target is None:
            return
        db, actor = self._db, self._actor

        def write(progress: Progress, should_stop: ShouldStop) -> Saved:
            from refdesk.reports.status_letters import write_letters

            paths = write_letters(
                db, actor, selection.period, selection.partner_ids, target,
                one_file=one_file, progress=progress, should_stop=should_stop,
            )  # fmt: skip
            if one_file and len(paths) == 1:
                return _pdf_saved(paths[0])
            folder = target if not one_file else target.parent
            return Saved(tuple(paths), folder, _plural(len(paths), "letter"))

        self._run("Writing the status letters", write)

    def export_packet(self, service_line_id: int, name: str) -> None:
        target = self._ask_file(
            "Save the referral packet", default_name(f"Referral packet - {name}", None, ".pdf")
        )
        if target is None:
            return
        db, actor = self._db, self._actor

        def write(_progress: Progress, _should_stop: ShouldStop) -> Saved:
            from refdesk.reports.packet import write_packet

            return _pdf_saved(write_packet(db, actor, service_line_id, target))

        self._run("Writing the referral packet", write)

    def export_queue(self) -> None:
        """Every referral the chosen partners sent in the period, in any state, as CSV."""
        selection = self._selection
        if selection is None:
            return
        target = self._ask_file(
            "Save the referrals as CSV", default_name("Referrals", selection, ".csv"), csv=True
        )
        if target is None:
            return
        flt = QueueFilter(
            states=frozenset(),
            partner_ids=selection.partner_ids or frozenset(),
            received_from=selection.period.start,
            received_to=selection.period.end,
        )
        db, actor = self._db, self._actor

        def write(progress: Progress, should_stop: ShouldStop) -> Saved:
            from refdesk.exports.tables import export_queue

            rows = export_queue(db, actor, flt, target, progress=progress, should_stop=should_stop)
            return Saved((target,), target.parent, _plural(rows, "referral"))

        self._run("Writing the referrals", write)

    def export_metrics(self) -> None:
        """The figures on screen as CSV (only once they are computed for the current choice)."""
        selection = self._selection
        if selection is None or selection.report is None:
            return
        report = selection.report
        target = self._ask_file(
            "Save the figures as CSV", default_name("Figures", selection, ".csv"), csv=True
        )
        if target is None:
            return
        db, actor = self._db, self._actor

        def write(_progress: Progress, _should_stop: ShouldStop) -> Saved:
            from refdesk.exports.tables import export_metrics

            rows = export_metrics(db, actor, report, target)
            return Saved((target,), target.parent, _plural(rows, "row"))

        self._run("Writing the figures", write)

    def open_saved_file(self) -> None:
        if self._saved is not None and len(self._saved.paths) == 1:
            self._open(self._saved.paths[0])

    def open_saved_folder(self) -> None:
        if self._saved is not None:
            self._open(self._saved.folder)

    # --- asking where ---------------------------------------------------------------------------------

    def _ask_file(self, title: str, name: str, *, csv: bool = False) -> Path | None:
        return ask_save_path(self, self._settings, LAST_FOLDER_KEY, title, name, CSV if csv else PDF)

    def _ask_folder(self, title: str) -> Path | None:
        chosen = QFileDialog.getExistingDirectory(
            self, title, str(last_folder(self._settings, LAST_FOLDER_KEY))
        )
        if not chosen:
            return None
        self._settings.setValue(LAST_FOLDER_KEY, chosen)
        return Path(chosen)

    # --- running --------------------------------------------------------------------------------------

    def _run(self, label: str, write: Callable[[Progress, ShouldStop], Saved]) -> None:
        if self._busy:
            return
        stop = threading.Event()
        self._stop = stop
        self._set_busy(True)
        self.messages.clear()
        self.saved_bar.hide()
        dialog = QProgressDialog(f"{label}…", "Cancel", 0, 0, self.window())
        dialog.setObjectName("exportProgress")
        dialog.setWindowTitle("Export")
        dialog.setMinimumWidth(45 * dialog.fontMetrics().averageCharWidth())  # room for "… 120 of 340"
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setMinimumDuration(PROGRESS_DELAY_MS)
        dialog.canceled.connect(self.cancel)  # the Cancel button
        dialog.rejected.connect(self.cancel)  # Esc
        dialog.setValue(0)  # starts the delay after which it shows itself
        self.progress_dialog = dialog

        def job(context: TaskContext) -> Saved:
            return write(context.progress, lambda: context.cancelled or stop.is_set())

        def progressed(done: int, total: int) -> None:
            if self.progress_dialog is dialog and not stop.is_set():
                dialog.setMaximum(max(total, 1))
                dialog.setValue(min(done, max(total, 1)))
                dialog.setLabelText(f"{label}… {done:,} of {total:,}")

        self._runner.submit(
            job, on_done=self._done, on_error=self._failed, on_progress=progressed, owner=self
        )

    def _end(self) -> None:
        dialog, self.progress_dialog = self.progress_dialog, None
        if dialog is not None:
            dialog.canceled.disconnect(self.cancel)
            dialog.rejected.disconnect(self.cancel)
            dialog.reset()
            dialog.hide()
            dialog.deleteLater()
        self._stop = None
        self._set_busy(False)

    def _done(self, saved: Saved) -> None:
        self._end()
        self.messages.clear()
        self._saved = saved
        self.open_file_button.setVisible(len(saved.paths) == 1)
        self.saved_bar.show_saved(saved.message())
        (self.open_file_button if len(saved.paths) == 1 else self.open_folder_button).setFocus()
        self.exported.emit(saved)

    def _failed(self, error: BaseException) -> None:
        self._end()
        if isinstance(error, OperationCancelled):
            self.messages.show_message(CANCELLED_TEXT, "info")
        else:
            self.messages.show_message(user_message(error))

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._update_enabled()
        self.busy_changed.emit(busy)

    def _update_enabled(self) -> None:
        ready = self._selection is not None and not self._busy
        for button in (self.summary_button, self.letters_button, self.csv_button):
            button.setEnabled(ready)
        self.packet_button.setEnabled(not self._busy)
        has_report = self._selection is not None and self._selection.report is not None
        self.metrics_csv.setEnabled(has_report)
        self.metrics_csv.setToolTip(
            "The table's figures, one row per partner" if has_report else "Wait until the figures are shown"
        )

    def _open(self, path: Path) -> None:
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            self.messages.show_message(f"No program on this computer would open it; it is in {path.parent}.")

    # --- structure ------------------------------------------------------------------------------------

    def _menu_button(self, text: str, name: str, menu: QMenu) -> QToolButton:
        button = named(QToolButton(self), name)
        button.setText(text)
        button.setMenu(menu)
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        return button
