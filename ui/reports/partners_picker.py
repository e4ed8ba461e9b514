"""Which partners the report covers: all of them (nothing ticked), one, or several.

A searchable list of ticks: type part of a name to narrow the list, Space ticks the current partner,
Enter reports on that partner alone, "Tick shown" ticks every partner the search left (all the physical
therapy practices, say), "All partners" clears the ticks. A few thousand partners is a small fixed list,
so a QSortFilterProxyModel over a QStandardItemModel filters it fast enough (performance.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import QModelIndex, QPoint, QRect, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QKeyEvent, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.queue.inputs import SearchEdit
from ui.widgets import named, plain_label

#: The partner's id on each item of ``PartnersPicker.source``.
PARTNER_ID_ROLE = int(Qt.ItemDataRole.UserRole)


class _PartnerList(QListView):
    """Enter reports on the current partner alone (Space, the view's own key, ticks it).

    Signals:
        only_requested(QModelIndex): Enter or Return on a partner.
    """

    only_requested = Signal(QModelIndex)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.only_requested.emit(self.currentIndex())
            return
        super().keyPressEvent(event)


class PartnersPicker(QWidget):
    """The partner list with its search field, summary and two buttons.

    Object names: ``partnerSearch``, ``partnerList``, ``partnerSummary``, ``partnerTickShown``,
    ``partnerAll``.

    Signals:
        selection_changed(object): the chosen partners changed: a ``frozenset[int]`` of partner ids, or
            None for all partners.
        summary_changed(str): the one-line summary of the choice changed ("3 of 60 partners").
    """

    selection_changed = Signal(object)
    summary_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("partnersPicker")
        self._names: dict[int, str] = {}
        self._checked: set[int] = set()
        self._bulk = False
        self.source = QStandardItemModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.source)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.source.itemChanged.connect(self._item_changed)

        self.search = named(SearchEdit(self), "partnerSearch")
        self.search.setPlaceholderText("Type to narrow the list…")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search partners")
        self.search.textChanged.connect(self.proxy.setFilterFixedString)
        self.search.leave.connect(self._enter_list)
        self.list = named(_PartnerList(self), "partnerList")
        self.list.setModel(self.proxy)
        self.list.setAccessibleName("Partners in the report")
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setUniformItemSizes(True)  # a few thousand rows: no per-row size measuring
        self.list.setToolTip("Space ticks a partner; Enter reports on that partner alone")
        self.list.only_requested.connect(self._only)
        self.list.doubleClicked.connect(self._only)
        self.summary = plain_label("partnerSummary", hide_empty=False)
        self.tick_shown = named(QPushButton("Tick sho&wn", self), "partnerTickShown")
        self.tick_shown.setToolTip("Tick every partner the search shows")
        self.tick_shown.clicked.connect(self.tick_visible)
        self.all_button = named(QPushButton("&All partners", self), "partnerAll")
        self.all_button.setToolTip("Report on every partner (clears the ticks)")
        self.all_button.clicked.connect(self.clear)

        title = QLabel("Pa&rtners", self)
        title.setBuddy(self.search)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.tick_shown)
        buttons.addWidget(self.all_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.summary)
        layout.addLayout(buttons)
        self._update_summary()

    # --- public -------------------------------------------------------------------------------------

    def set_partners(self, partners: Iterable[tuple[int, str]]) -> None:
        """List ``(id, name)`` pairs (sorted by the caller); ticks on partners still listed are kept."""
        self._bulk = True
        try:
            self.source.clear()
            self._names = {}
            for partner_id, name in partners:
                item = QStandardItem(name)
                item.setData(partner_id, PARTNER_ID_ROLE)
                item.setFlags(
                    Qt.ItemFlag.ItemIsEnabled
                    | Qt.ItemFlag.ItemIsSelectable
                    | Qt.ItemFlag.ItemIsUserCheckable
                    | Qt.ItemFlag.ItemNeverHasChildren
                )
                ticked = partner_id in self._checked
                item.setCheckState(Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)
                self._names[partner_id] = name
                self.source.appendRow(item)
        finally:
            self._bulk = False
        before = self.selected_ids()
        self._checked &= self._names.keys()
        self._update_summary()
        if self.selected_ids() != before:
            self.selection_changed.emit(self.selected_ids())

    def selected_ids(self) -> frozenset[int] | None:
        """The ticked partners, or None when none is ticked (the report then covers all partners)."""
        return frozenset(self._checked) if self._checked else None

    def name_of(self, partner_id: int) -> str | None:
        return self._names.get(partner_id)

    def partner_count(self) -> int:
        return len(self._names)

    def set_selected(self, partner_ids: Iterable[int] | None) -> None:
        """Tick exactly ``partner_ids`` (None or empty: all partners)."""
        wanted = set(partner_ids or ()) & self._names.keys()
        self._apply(lambda partner_id: partner_id in wanted)

    def choose_only(self, partner_id: int) -> None:
        """Report on ``partner_id`` alone."""
        self.set_selected({partner_id})

    def clear(self) -> None:
        """Back to all partners."""
        self.set_selected(None)

    def tick_visible(self) -> None:
        """Tick every partner the search shows (the ticks already made stay)."""
        shown = {self.proxy.index(row, 0).data(PARTNER_ID_ROLE) for row in range(self.proxy.rowCount())}
        ticked = set(self._checked)
        self._apply(lambda partner_id: partner_id in shown or partner_id in ticked)

    # --- internals ----------------------------------------------------------------------------------

    def _apply(self, ticked: Callable[[int], bool]) -> None:
        before = self.selected_ids()
        self._bulk = True
        try:
            for row in range(self.source.rowCount()):
                item = self.source.item(row)
                state = (
                    Qt.CheckState.Checked if ticked(item.data(PARTNER_ID_ROLE)) else Qt.CheckState.Unchecked
                )
                if item.checkState() != state:
                    item.setCheckState(state)
        finally:
            self._bulk = False
        self._checked = {pid for pid in self._names if ticked(pid)}
        self._update_summary()
        if self.selected_ids() != before:
            self.selection_changed.emit(self.selected_ids())

    def _item_changed(self, item: QStandardItem) -> None:
        if self._bulk:
            return
        partner_id = item.data(PARTNER_ID_ROLE)
        if item.checkState() == Qt.CheckState.Checked:
            self._checked.add(partner_id)
        else:
            self._checked.discard(partner_id)
        self._update_summary()
        self.selection_changed.emit(self.selected_ids())

    def _only(self, index: QModelIndex) -> None:
        partner_id = index.data(PARTNER_ID_ROLE)
        if isinstance(partner_id, int):
            self.choose_only(partner_id)

    def _enter_list(self) -> None:
        if self.proxy.rowCount() == 0:
            return
        self.list.setFocus(Qt.FocusReason.OtherFocusReason)
        if not self.list.currentIndex().isValid():
            self.list.setCurrentIndex(self.proxy.index(0, 0))

    def _update_summary(self) -> None:
        total, chosen = len(self._names), len(self._checked)
        if not chosen:
            text = f"All {total:,} partners" if total else "All partners"
        elif chosen == 1:
            text = f"Only {self._names[next(iter(self._checked))]}"
        else:
            text = f"{chosen:,} of {total:,} partners"
        if text != self.summary.text():
            self.summary.setText(text)
            self.summary_changed.emit(text)
        self.all_button.setEnabled(bool(chosen))


class PartnersButton(QPushButton):
    """Says who the report covers ("All 60 partners", "Only Oak Street…", "3 of 60 partners") and opens
    the picker in a popup below itself (Space, Enter or a click; Esc or a click outside closes it). A
    popup rather than a side panel: the figures table needs the window's full width.

    Object names: ``partnersButton``; the popup is ``partnersPopup``. Signals: those of QPushButton.
    """

    #: The popup's size in average character widths and lines of the list.
    POPUP_CHARS, POPUP_LINES = 48, 18

    def __init__(self, picker: PartnersPicker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("partnersButton")
        self.picker = picker
        self.popup = QFrame(self, Qt.WindowType.Popup)
        self.popup.setObjectName("partnersPopup")
        self.popup.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self.popup)
        layout.addWidget(picker)
        self.popup.setFocusProxy(picker.search)
        self.setToolTip("Choose the partners the report covers")
        self.clicked.connect(self.open_popup)
        picker.summary_changed.connect(lambda _text: self._show_summary())
        picker.list.only_requested.connect(lambda _index: self.popup.close())
        picker.list.doubleClicked.connect(lambda _index: self.popup.close())
        self._show_summary()

    def open_popup(self) -> None:
        metrics = self.fontMetrics()
        width = max(self.width(), self.POPUP_CHARS * metrics.averageCharWidth())
        height = self.POPUP_LINES * metrics.lineSpacing() + 6 * metrics.lineSpacing()
        below = self.mapToGlobal(QPoint(0, self.height()))
        screen = self.screen().availableGeometry()
        x = max(screen.left(), min(below.x(), screen.right() - width))
        y = below.y() if below.y() + height <= screen.bottom() else max(screen.top(), below.y() - height)
        self.popup.setGeometry(QRect(x, y, width, min(height, screen.height())))
        self.popup.show()
        self.picker.search.setFocus(Qt.FocusReason.PopupFocusReason)
        self.picker.search.selectAll()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Down:
            self.open_popup()
            return
        super().keyPressEvent(event)

    def _show_summary(self) -> None:
        text = self.picker.summary.text()
        limit = 28 * self.fontMetrics().averageCharWidth()
        self.setText(self.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, limit) + "  ▾")
        self.setAccessibleName(f"Partners: {text}")
        self.setToolTip(f"{text}. Choose the partners the report covers.")
