"""The Today tab: the day's worklist in one keyboard-driven list.

The worklist is read by ``refdesk.services.today.worklist`` on the task runner (a few index lookups, but
never on the GUI thread); the view keeps showing the previous worklist until the new one arrives, then
swaps it in at once and puts the selection back on the referral that was selected.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from refdesk.domain.times import to_local, utc_now
from refdesk.services import today
from refdesk.services.today import Worklist
from refdesk.storage import Database
from ui.errors import user_message
from ui.tasks import TaskContext, TaskHandle, TaskRunner
from ui.today.lines import EMPTY_TEXT
from ui.today.model import Column, Prepared, TodayModel, prepare
from ui.today.tree import TodayDelegate, TodayTree
from ui.widgets import named
from ui.widgets.bars import error_bar
from ui.widgets.dates import format_date, format_time

LOADING_TEXT = "Loading today's work…"
UNAVAILABLE_TEXT = "Today's list is not available."
#: The longest texts the fixed-width columns usually hold (the urgency marker is bold).
_WIDTH_SAMPLES: dict[Column, tuple[str, ...]] = {
    Column.URGENCY: ("Urgency", "Urgent ", "STAT "),
    Column.WHEN: (
        "requested 05/13/2024 (10 days ago)",
        "received 12/31/2026 12:59 PM ",
        "follow up 12/31/2026 12:59 PM ",
    ),
}


class TodayView(QWidget):
    """The day's worklist: seven sections of referrals to work, each line opening its referral.

    Object names: ``todayView``; ``todayTitle`` (the date), ``todaySummary`` (how much there is, when it
    was read), ``todayRefresh`` (button); ``todayList`` (the tree); ``emptyState`` (property ``kind`` =
    ``"nothingToday"``) and ``todayLoading`` (first load); ``messageBar`` (property ``kind`` = ``"error"``)
    holding ``todayError`` and ``todayRetry``. Dynamic property ``loading`` (bool) on the view while a
    refresh runs. See ``TodayTree`` for the list's two style-sheet colours.

    Signals:
        open_referral(int): Return/Enter or a double click on a line: open this referral.
        counts_changed(dict): after each refresh, ``{section key: total}``; totals stop at
            ``today.COUNT_CAP + 1`` (a heading then says "999+").
    """

    open_referral = Signal(int)
    counts_changed = Signal(dict)

    def __init__(
        self,
        db: Database,
        runner: TaskRunner,
        parent: QWidget | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
        limit: int = today.DEFAULT_LIMIT,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("todayView")
        self.setProperty("loading", False)
        self._db, self._runner, self._clock, self._limit = db, runner, clock, limit
        self._pending: TaskHandle | None = None
        # A read still running when the view is deleted must not call back into it: the handle is
        # cancelled from the destroyed signal (the lambda holds this box, never the deleted view).
        pending: list[TaskHandle | None] = [None]
        self._pending_box = pending
        self.destroyed.connect(lambda: pending[0].cancel() if pending[0] is not None else None)
        self._worklist: Worklist | None = None
        self._fitted = False
        self.model = TodayModel(self)
        self.tree = TodayTree(self)
        self._setup_tree()

        self._title = named(QLabel(self), "todayTitle")
        self._summary = named(QLabel(self), "todaySummary")
        for label in (self._title, self._summary):
            label.setTextFormat(Qt.TextFormat.PlainText)
        self._refresh_button = named(QPushButton("&Refresh", self), "todayRefresh")
        self._refresh_button.clicked.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(self._title)
        top.addWidget(self._summary, 1)
        top.addWidget(self._refresh_button)

        self._stack = QStackedWidget(self)
        self._stack.addWidget(self.tree)
        self._empty = self._message_label("emptyState", EMPTY_TEXT)
        self._empty.setProperty("kind", "nothingToday")
        self._stack.addWidget(self._empty)
        self._loading = self._message_label("todayLoading", LOADING_TEXT)
        self._stack.addWidget(self._loading)
        self._stack.setCurrentWidget(self._loading)
        self._error_bar = self._build_error_bar()

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self._error_bar)
        layout.addWidget(self._stack, 1)
        self.setFocusProxy(self.tree)
        self.tree.open_requested.connect(self._open)
        self.tree.doubleClicked.connect(self._open)
        self.refresh()

    # --- public -------------------------------------------------------------------------------------

    @property
    def worklist(self) -> Worklist | None:
        """The worklist shown (None until the first one arrives)."""
        return self._worklist

    def refresh(self) -> None:
        """Read the worklist again in the background; a refresh still running is dropped."""
        if self._pending is not None and not self._pending.finished:
            self._pending.cancel()
        now, limit, db = self._clock(), self._limit, self._db
        self._set_loading(True)
        self._loading.setText(LOADING_TEXT)

        def work(_: TaskContext) -> Prepared:
            return prepare(today.worklist(db, now=now, limit=limit))

        self._pending = self._runner.submit(work, on_done=self._show, on_error=self._failed)
        self._pending_box[0] = self._pending

    def current_referral_id(self) -> int | None:
        return self.model.referral_id(self.tree.currentIndex())

    def select_referral(self, referral_id: int) -> bool:
        """Make the first line of ``referral_id`` current; False when it is not on today's list."""
        index = self.model.find(referral_id)
        if index.isValid():
            self._make_current(index)
        return index.isValid()

    # --- internals ----------------------------------------------------------------------------------

    def _setup_tree(self) -> None:
        tree = self.tree
        tree.setObjectName("todayList")
        tree.setAccessibleName("Today's worklist")
        tree.setModel(self.model)
        tree.setItemDelegate(TodayDelegate(tree))
        tree.setRootIsDecorated(False)
        tree.setItemsExpandable(False)
        tree.setExpandsOnDoubleClick(False)
        tree.setAllColumnsShowFocus(True)
        tree.setWordWrap(False)
        tree.setTextElideMode(Qt.TextElideMode.ElideRight)
        tree.setEditTriggers(QTreeView.EditTrigger.NoEditTriggers)
        tree.setSelectionMode(QTreeView.SelectionMode.SingleSelection)
        tree.setSelectionBehavior(QTreeView.SelectionBehavior.SelectRows)
        tree.setUniformRowHeights(False)  # headings are one line, referral lines two
        header = tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(Column.REFERRAL, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(Column.URGENCY, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(Column.WHEN, QHeaderView.ResizeMode.Interactive)
        self._fit_to_font()

    def _fit_to_font(self) -> None:
        """Column widths from the font in use, not from the contents: measuring every line on each refresh
        would cost more than reading the worklist, and columns that keep their width are calmer. Run again
        when first shown and when the font changes (the style sheet's font applies once polished)."""
        tree = self.tree
        tree.ensurePolished()
        metrics = tree.fontMetrics()
        padding = 2 * metrics.averageCharWidth()
        header = tree.header()
        for column, samples in _WIDTH_SAMPLES.items():
            widest = max(metrics.horizontalAdvance(sample) for sample in samples)
            header.resizeSection(column, max(widest + padding, header.sectionSizeHint(column)))
        tree.setIndentation(metrics.horizontalAdvance("MM"))

    def showEvent(self, event: QShowEvent) -> None:
        if not self._fitted:
            self._fitted = True
            self._fit_to_font()
            self._scroll_to_current()  # a list read before the view was shown was scrolled in no space
        super().showEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.FontChange:  # a new style sheet's font comes as one too
            self._fit_to_font()
        super().changeEvent(event)

    def _message_label(self, name: str, text: str) -> QLabel:
        label = named(QLabel(text, self), name)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        return label

    def _build_error_bar(self) -> QFrame:
        bar, self._error_label = error_bar(self, "today", self.refresh)
        return bar

    def _set_loading(self, loading: bool) -> None:
        self.setProperty("loading", loading)
        self.style().unpolish(self)
        self.style().polish(self)

    def _show(self, prepared: Prepared) -> None:
        worklist = prepared.worklist
        self._set_loading(False)
        self._error_bar.hide()
        focus = QApplication.focusWidget()
        focus_inside = focus is not None and (focus is self or self.isAncestorOf(focus))
        remembered = self._remember()
        self._worklist = worklist
        self.model.set_worklist(prepared)
        for row in range(self.model.rowCount()):
            self.tree.setFirstColumnSpanned(row, QModelIndex(), True)
        self.tree.expandAll()
        local = to_local(worklist.now)
        self._title.setText(f"Today, {local.strftime('%A')} {format_date(local.date())}")
        self._summary.setText(self._summary_text(worklist))
        # the tree first, then the selection: scrolling to it needs the tree's real size
        self._stack.setCurrentWidget(self._empty if worklist.empty else self.tree)
        self._restore(remembered)
        if focus_inside and not worklist.empty:
            self.tree.setFocus()
        self.counts_changed.emit(worklist.counts())

    def _failed(self, error: BaseException) -> None:
        self._set_loading(False)
        self._error_label.setText(f"Today's list could not be read. {user_message(error)}")
        self._error_bar.show()
        if self._worklist is None:  # nothing to keep showing: say so instead of "Loading…"
            self._loading.setText(UNAVAILABLE_TEXT)

    @staticmethod
    def _summary_text(worklist: Worklist) -> str:
        """``14 to do · updated 10:42 AM`` (a referral in two sections is two things to do)."""
        updated = f"updated {format_time(to_local(worklist.now).time())}"
        if worklist.empty:
            return f"Nothing due · {updated}"
        total = sum(section.total for section in worklist.sections)
        more = "+" if any(section.capped for section in worklist.sections) else ""
        return f"{total}{more} to do · {updated}"

    def _remember(self) -> tuple[str | None, int | None, int]:
        """The selected line as (section key, referral id, row) to find it again after the reset."""
        index = self.tree.currentIndex()
        return self.model.section_key(index), self.model.referral_id(index), max(index.row(), 0)

    def _restore(self, remembered: tuple[str | None, int | None, int]) -> None:
        """Select the same referral (same section first); if it left the list, the line that took its
        place in the section (working down a section keeps the cursor where the work is); else the first
        line."""
        key, referral_id, row = remembered
        index = QModelIndex()
        if referral_id is not None:
            index = self.model.find(referral_id, key)
            if not index.isValid():
                index = self.model.find(referral_id)
            if not index.isValid() and key is not None:
                section = self.model.section_index(key)
                count = self.model.rowCount(section)
                if count:
                    index = self.model.index(min(row, count - 1), 0, section)
        if not index.isValid():
            index = self.model.first_line()
        if index.isValid():
            self._make_current(index)

    def _make_current(self, index: QModelIndex) -> None:
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.tree.selectionModel().setCurrentIndex(index, flags)
        self._scroll_to_current()

    def _scroll_to_current(self) -> None:
        index = self.tree.currentIndex()
        if not index.isValid():
            return
        if index.row() == 0:  # the first line of a section: keep its heading in sight too
            self.tree.scrollTo(index.parent())
        self.tree.scrollTo(index)

    def _open(self, index: QModelIndex) -> None:
        referral_id = self.model.referral_id(index)
        if referral_id is not None:
            self.open_referral.emit(referral_id)
