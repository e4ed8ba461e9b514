"""The Reports tab: choose a period and partners on the left; read the figures (a table, a funnel and the
monthly volume) on the right; export from the row of buttons above them.

The figures are computed by ``refdesk.services.metrics.compute`` on the task runner, never on the GUI
thread: over years of referrals that can take a while. A change of period or partners waits a moment
(ticking three partners in a row starts one computation, not three) and cancels a computation still
running, whose late result is then dropped. The table keeps the previous figures until the new ones
arrive, so it never flashes empty. Nothing is computed until the tab is first shown: most mornings
start in Today, and the queue's first page should not wait behind a report nobody looked at.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QFontMetrics, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from refdesk.domain.times import local_today, to_local, utc_now
from refdesk.services.actor import Actor
from refdesk.services.metrics import Period, Report
from refdesk.storage import Database
from ui.errors import user_message
from ui.preferences import or_workstation
from ui.queue.flow import FlowLayout
from ui.reports.export import ReportExporter, Selection
from ui.reports.metrics_model import HEADERS, ID_ROLE, SORT_MARKS, Column, MetricsModel
from ui.reports.partners_picker import PartnersButton, PartnersPicker
from ui.reports.period import PeriodPicker, comparison_text, period_text
from ui.tasks import TaskContext, TaskHandle, TaskRunner
from ui.widgets import named, plain_label
from ui.widgets.bars import error_bar
from ui.widgets.dates import format_time
from ui.widgets.tables import OpenRowTable, read_only_rows

if TYPE_CHECKING:
    from ui.reports.charts import ReportCharts

#: Pause after the last change of period or partners before computing.
DEBOUNCE_MS = 350
#: Widest text a figure column usually holds (the header may be wider).
_SAMPLE = "88.8 d"

Choices = list[tuple[int, str]]


class MetricsTable(OpenRowTable):
    """The figures table. Enter (or a double click) on a partner's row reports on that partner alone.

    Signals:
        partner_requested(int): report on this partner alone.
    """

    partner_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.open_requested.connect(self._request)
        self.doubleClicked.connect(self._request)

    def _request(self, index: QModelIndex) -> None:
        partner_id = index.data(ID_ROLE)
        if isinstance(partner_id, int):
            self.partner_requested.emit(partner_id)


class ReportsTab(QWidget):
    """Period and partner pickers, the figures table, the charts and the export buttons.

    Object names: ``reportsTab``; ``partnersButton``; ``reportsStatus`` (what the figures cover, what
    the change is against, when computed; or that they are being computed); ``metricsTable``;
    ``messageBar`` with ``reportsError`` and ``reportsRetry`` when a computation fails; see
    ``PeriodPicker``, ``PartnersPicker``, ``ReportCharts`` and ``ReportExporter`` for theirs. Dynamic
    property ``computing`` (bool).

    Signals:
        report_changed(Report): new figures are on screen.
        computing_changed(bool): a computation started (True) or ended however it ended (False).
    """

    report_changed = Signal(object)
    computing_changed = Signal(bool)

    def __init__(
        self,
        db: Database,
        actor: Actor,
        runner: TaskRunner,
        parent: QWidget | None = None,
        *,
        settings: QSettings | None = None,
        today: Callable[[], date] = local_today,
    ) -> None:
        """``settings``: where the last export folder is kept (the workstation's preferences when None);
        ``today``: the clock the period presets read (tests pin it)."""
        super().__init__(parent)
        self.setObjectName("reportsTab")
        self.setProperty("computing", False)
        self._db, self._actor, self._runner = db, actor, runner
        self._handle: TaskHandle | None = None
        self._lists_handle: TaskHandle | None = None
        self._computing = False
        self._stale = True  # nothing computed yet: the first show computes
        self._shown_key: tuple[Period, frozenset[int] | None] | None = None
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self._compute)

        self.period_picker = PeriodPicker(self, today=today)
        self.partners_picker = PartnersPicker()
        self.partners_button = PartnersButton(self.partners_picker, self)
        self.model = MetricsModel(self)
        self.table = named(MetricsTable(self), "metricsTable")
        #: Built when the tab is first shown: QtCharts stays out of start-up (performance.md).
        self.charts: ReportCharts | None = None
        self._charts_holder = QWidget(self)
        holder_layout = QVBoxLayout(self._charts_holder)
        holder_layout.setContentsMargins(0, 0, 0, 0)
        self.exporter = ReportExporter(db, actor, runner, or_workstation(settings), self)
        self.status = plain_label("reportsStatus", hide_empty=False)
        self.error_bar, self.error_label = error_bar(self, "reports", self.refresh)
        self._build()

        self.period_picker.period_changed.connect(lambda _period: self._changed())
        self.partners_picker.selection_changed.connect(lambda _ids: self._changed())
        self.table.partner_requested.connect(self.partners_picker.choose_only)
        selection_model = self.table.selectionModel()
        selection_model.currentRowChanged.connect(lambda _current, _previous: self._show_charts())
        self.exporter.set_selection(self._selection(None))

    # --- structure ------------------------------------------------------------------------------------

    def _build(self) -> None:
        table = self.table
        table.setModel(self.model)
        table.setAccessibleName("Figures per partner")
        read_only_rows(table)
        table.setToolTip("Enter or a double click on a partner reports on that partner alone")
        header = table.horizontalHeader()
        header.setSectionsMovable(False)
        header.setSortIndicator(Column.RECEIVED, Qt.SortOrder.DescendingOrder)  # the busiest partners first
        table.setSortingEnabled(True)
        header.setSortIndicatorShown(False)  # the model marks the sorted column (see SORT_MARKS)
        header.sortIndicatorChanged.connect(lambda _section, _order: self._widen_sorted())
        self._fit_columns()

        partners_label = QLabel("Pa&rtners", self)
        partners_label.setBuddy(self.partners_button)
        partners = QWidget(self)
        partners_row = QHBoxLayout(partners)
        partners_row.setContentsMargins(0, 0, 0, 0)
        partners_row.addWidget(partners_label)
        partners_row.addWidget(self.partners_button)
        choices = FlowLayout()
        choices.setContentsMargins(0, 0, 0, 0)
        choices.addWidget(self.period_picker)
        choices.addWidget(partners)

        self._status_row = status_row = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        status_row.setContentsMargins(0, 0, 0, 0)
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.exporter, 0, Qt.AlignmentFlag.AlignLeft)

        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("reportsSplitter")
        self.splitter.addWidget(table)
        self.splitter.addWidget(self._charts_holder)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)

        layout = QVBoxLayout(self)
        layout.addLayout(choices)
        layout.addLayout(status_row)
        layout.addWidget(self.error_bar)
        layout.addWidget(self.exporter.messages)
        layout.addWidget(self.exporter.saved_bar)
        layout.addWidget(self.splitter, 1)
        self.setFocusProxy(self.period_picker.preset_combo)
        picker, exporter = self.period_picker, self.exporter
        chain = (
            picker.preset_combo, picker.start_edit, picker.end_edit, self.partners_button,
            exporter.summary_button, exporter.letters_button, exporter.packet_button, exporter.csv_button,
            table,
        )  # fmt: skip
        for first, second in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(first, second)

    def _fit_columns(self) -> None:
        """Widths from the font, not the contents: measuring thousands of rows on each report would cost
        more than computing it, and columns that keep their width are calmer to read. The sorted column
        is wider by its sort mark."""
        header = self.table.horizontalHeader()
        bold = header.font()
        bold.setBold(True)  # the style sheet sets the header's weight
        metrics = QFontMetrics(bold)
        padding = metrics.averageCharWidth() + 12  # the style sheet's 6 px each side, and air
        self._widths: dict[int, int] = {}
        for column in Column:
            if column is Column.PARTNER:
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
                continue
            lines = (*HEADERS[column].split("\n"), _SAMPLE)
            self._widths[column] = max(metrics.horizontalAdvance(line) for line in lines) + padding
            header.resizeSection(column, self._widths[column])
        self._mark_width = metrics.horizontalAdvance(SORT_MARKS[1])
        self._widen_sorted()

    def _widen_sorted(self) -> None:
        sort = self.model.sort_order
        header = self.table.horizontalHeader()
        for column, width in self._widths.items():
            wider = sort is not None and sort[0] == column
            header.resizeSection(column, width + (self._mark_width if wider else 0))

    # --- public ---------------------------------------------------------------------------------------

    @property
    def report(self) -> Report | None:
        """The figures on screen (None until the first computation is done)."""
        return self.model.report

    @property
    def computing(self) -> bool:
        return self._computing

    def refresh(self) -> None:
        """Read the partner and service line lists again and recompute the figures (F5, or after an edit
        elsewhere). While the tab is hidden this only marks the figures stale: they are computed when it
        is next shown, not for nobody."""
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        self.period_picker.refresh_presets()
        self._load_lists()
        self._debounce.stop()
        self._compute()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # Narrow (a small screen at 200 %): the export buttons go under the status line instead of
        # squeezing it into a column a word wide.
        wide_enough = self.exporter.sizeHint().width() + 50 * self.fontMetrics().averageCharWidth()
        direction = QBoxLayout.Direction.LeftToRight
        if self.width() < wide_enough:
            direction = QBoxLayout.Direction.TopToBottom
        if self._status_row.direction() != direction:
            self._status_row.setDirection(direction)

    # --- computing ------------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.charts is None:
            from ui.reports.charts import ReportCharts

            self.charts = ReportCharts(self._charts_holder)
            layout = self._charts_holder.layout()
            assert layout is not None
            layout.addWidget(self.charts)
            height = self.splitter.height()
            self.splitter.setSizes([height * 11 // 20, height * 9 // 20])  # room for five funnel bars
            self._show_charts()
        if self._stale:
            self.refresh()

    def _key(self) -> tuple[Period, frozenset[int] | None]:
        return self.period_picker.period(), self.partners_picker.selected_ids()

    def _changed(self) -> None:
        self._show_computing()
        self.exporter.set_selection(self._selection(self.report if self._key() == self._shown_key else None))
        self._debounce.start()

    def _compute(self) -> None:
        if self._handle is not None and not self._handle.finished:
            self._handle.cancel()
        key = self._key()
        period, partner_ids = key
        db = self._db

        def work(context: TaskContext) -> Report:
            context.check()  # overtaken while it waited for a thread: never start it
            from refdesk.services import metrics

            return metrics.compute(db, period, partner_ids, should_stop=lambda: context.cancelled)

        self._set_computing(True)
        self._handle = self._runner.submit(
            work,
            on_done=lambda report: self._arrived(key, report),
            on_error=lambda error: self._failed(key, error),
            owner=self,
        )

    def _arrived(self, key: tuple[Period, frozenset[int] | None], report: Report) -> None:
        if key != self._key():
            return  # the choice changed meanwhile; its own computation is on its way
        self._set_computing(False)
        self.error_bar.hide()
        current = self.table.currentIndex()
        keep = current.data(ID_ROLE) if current.isValid() else None
        self.model.set_report(report, all_partners=key[1] is None)
        self._shown_key = key
        row = self.model.row_of(keep)
        self.table.selectionModel().setCurrentIndex(
            self.model.index(row if row is not None else 0, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
        )
        self._show_charts()
        moment = format_time(to_local(utc_now()).time())
        text = f"{period_text(report.period)}. {comparison_text(report.period)} Computed at {moment}."
        if not report.program.received:
            source = "" if key[1] is None else " from the chosen partners"
            text = f"No referrals were received{source} in {period_text(report.period)}."
        self.status.setText(text)
        self.exporter.set_selection(self._selection(report))
        self.report_changed.emit(report)

    def _failed(self, key: tuple[Period, frozenset[int] | None], error: BaseException) -> None:
        if key != self._key():
            return
        self._set_computing(False)
        self.error_label.setText(f"The figures could not be computed. {user_message(error)}")
        self.error_bar.show()
        self.status.setText("")

    def _show_computing(self) -> None:
        self.status.setText(f"Computing the figures for {period_text(self.period_picker.period())}…")

    def _set_computing(self, computing: bool) -> None:
        if computing:
            self._show_computing()
        if computing != self._computing:
            self._computing = computing
            self.setProperty("computing", computing)
            self.computing_changed.emit(computing)

    def _load_lists(self) -> None:
        """The partner and service line lists, read on the runner (a few thousand rows)."""
        if self._lists_handle is not None and not self._lists_handle.finished:
            self._lists_handle.cancel()
        db = self._db

        def work(_context: TaskContext) -> tuple[Choices, Choices]:
            from refdesk.services.catalog import list_partners, list_service_lines

            partners = [(partner.id, partner.name) for partner in list_partners(db)]
            lines = [(line.id, line.name) for line in list_service_lines(db)]
            return partners, lines

        def done(lists: tuple[Choices, Choices]) -> None:
            self.partners_picker.set_partners(lists[0])
            self.exporter.set_service_lines(lists[1])

        def failed(error: BaseException) -> None:
            self.error_label.setText(f"The partner list could not be read. {user_message(error)}")
            self.error_bar.show()

        self._lists_handle = self._runner.submit(work, on_done=done, on_error=failed, owner=self)

    # --- showing --------------------------------------------------------------------------------------

    def _selection(self, report: Report | None) -> Selection:
        period, partner_ids = self._key()
        name = None
        if partner_ids is not None and len(partner_ids) == 1:
            name = self.partners_picker.name_of(next(iter(partner_ids)))
        return Selection(period, partner_ids, name, report)

    def _show_charts(self) -> None:
        row = self.model.row_at(self.table.currentIndex().row()) or self.model.row_at(0)
        report = self.model.report
        if row is None or report is None or self.charts is None:
            return
        self.charts.show_figures(row.name, row.current, report.period)
