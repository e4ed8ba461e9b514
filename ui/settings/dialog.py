"""Settings: one dialog for everything the clinic sets up, a list of pages on the left and the chosen
page on the right.

As everywhere in RefDesk, an edit is saved when it is made (on leaving the field); the line at the
bottom says "Saved at ..." and a refusal is shown next to its field by the page. Close (or Escape)
leaves: the field being edited is finished first, so nothing typed is lost, and a page with unsaved
work (an intake script) asks before it is left.

Keys: Up/Down in the list, Ctrl+PgDown / Ctrl+PgUp from anywhere, or a page's first letter in the list
to move between pages; Escape closes. Pages are built the first time they are shown (``registry``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from refdesk.services.actor import Actor
from refdesk.storage import Database
from ui.settings.registry import PageSpec, pages_for
from ui.tasks import TaskRunner
from ui.widgets import enter_presses_focused_button, named, plain_label
from ui.widgets.lazy import LazyPage

KEY_ROLE = int(Qt.ItemDataRole.UserRole) + 1


class PageList(QListWidget):
    """The list of pages. A letter typed in it goes to the next page whose title starts with it, from
    the one shown, however slowly it is typed again (Qt's own search would stay put after a pause).
    No signals beyond QListWidget's."""

    def keyboardSearch(self, search: str) -> None:  # noqa: N802 - Qt's name
        if len(search) != 1 or not search.isprintable() or not self.count():
            super().keyboardSearch(search)
            return
        letter, start = search.casefold(), self.currentRow()
        for step in range(1, self.count() + 1):
            row = (start + step) % self.count()
            if self.item(row).text()[:1].casefold() == letter:
                self.setCurrentRow(row)
                return


class SettingsDialog(QDialog):
    """The Settings window. ``page``: the key of the page to open on (``registry.PAGES``); the first
    page when the role does not see it. ``runner``: where pages run their reads and saves (the main
    window's, so one pool serves the app; a dialog of its own otherwise).

    Children by object name: ``settingsPages`` (the list; each item's ``KEY_ROLE`` is its page key),
    ``settingsStack``, ``settingsStatus`` ("Saved at ..."), ``settingsButtons``. A built page is
    ``page(key)``.

    Signals:
        page_changed(str): another page is shown; its key.
        saved(str): a page saved an edit; the page's key (the main window refreshes what shows it: its
            title after "letterhead", the pickers after "service_lines", an open checklist after
            "intake_scripts").
        idle_minutes_changed(int): the idle-lock minutes were saved (the running idle watch follows).
    """

    page_changed = Signal(str)
    saved = Signal(str)
    idle_minutes_changed = Signal(int)

    def __init__(
        self,
        db: Database,
        actor: Actor,
        parent: QWidget | None = None,
        *,
        page: str | None = None,
        runner: TaskRunner | None = None,
        pages: list[PageSpec] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        self._db, self._actor = db, actor
        #: Found by ``registry.runner_for`` from any page inside.
        self.task_runner = runner or TaskRunner()
        self._specs = pages_for(actor.role, pages)
        self._holders: dict[str, LazyPage[QWidget]] = {}
        self._shown_row = -1

        self.page_list = named(PageList(), "settingsPages")
        self.page_list.setAccessibleName("Settings pages")
        self.stack = named(QStackedWidget(), "settingsStack")
        for spec in self._specs:
            item = QListWidgetItem(spec.title)
            item.setData(KEY_ROLE, spec.key)
            self.page_list.addItem(item)
            holder: LazyPage[QWidget] = LazyPage(self._builder(spec), f"settingsPage_{spec.key}")
            self._holders[spec.key] = holder
            self.stack.addWidget(holder)
        width = max(
            (self.page_list.fontMetrics().horizontalAdvance(s.title) for s in self._specs), default=80
        )
        self.page_list.setFixedWidth(width + 6 * self.page_list.fontMetrics().averageCharWidth())
        if not self._specs:
            self.stack.addWidget(plain_label("settingsEmpty", "There are no settings for your role."))

        self.status = plain_label("settingsStatus")
        buttons = named(QDialogButtonBox(QDialogButtonBox.StandardButton.Close), "settingsButtons")
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setAutoDefault(False)
        close.setObjectName("closeSettings")
        buttons.rejected.connect(self.reject)
        footer = QHBoxLayout()
        footer.addWidget(self.status, 1)
        footer.addWidget(buttons)
        body = QHBoxLayout()
        body.addWidget(self.page_list)
        body.addWidget(self.stack, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addLayout(footer)

        for keys, step in (("Ctrl+PgDown", 1), ("Ctrl+PgUp", -1)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(lambda step=step: self.step_page(step))
        self.page_list.currentRowChanged.connect(self._row_chosen)

        metrics = self.fontMetrics()
        self.resize(metrics.averageCharWidth() * 165, metrics.lineSpacing() * 40)
        if self._specs:
            start = self._row_of(page) if page is not None else None
            self.page_list.setCurrentRow(start if start is not None else 0)
        self.page_list.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- public API --------------------------------------------------------------------------------------

    def keys(self) -> list[str]:
        """The keys of the pages listed (those the signed-in role sees), in order."""
        return [spec.key for spec in self._specs]

    def current_key(self) -> str | None:
        row = self.page_list.currentRow()
        return self._specs[row].key if 0 <= row < len(self._specs) else None

    def page(self, key: str) -> QWidget | None:
        """The page ``key`` once built (it is built when first shown); None when not built or not listed."""
        holder = self._holders.get(key)
        return holder.content() if holder is not None and holder.built else None

    def show_page(self, key: str) -> bool:
        """Show page ``key``; False when it is not listed or the page shown now may not be left yet."""
        row = self._row_of(key)
        if row is None:
            return False
        self.page_list.setCurrentRow(row)
        return self.page_list.currentRow() == row

    def step_page(self, step: int) -> None:
        """The next (1) or previous (-1) page, wrapping around (Ctrl+PgDown / Ctrl+PgUp)."""
        if self._specs:
            self._finish_editing()
            self.page_list.setCurrentRow((self.page_list.currentRow() + step) % len(self._specs))

    def reject(self) -> None:
        """Close, Escape and the window's close button: finish the field being edited (so it saves),
        and let a page with unsaved work ask first."""
        self._finish_editing()
        for holder in self._holders.values():
            if holder.built and not _may_leave(holder.content(), then=self._close_now):
                return
        super().reject()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        # Enter at the end of a field finishes it; it never presses Close
        if not enter_presses_focused_button(self, event):
            super().keyPressEvent(event)

    # -- pages -------------------------------------------------------------------------------------------

    def _builder(self, spec: PageSpec) -> Callable[[], QWidget]:
        def build() -> QWidget:
            holder = self._holders[spec.key]
            page = spec.factory(self._db, self._actor, holder)
            saved = getattr(page, "saved", None)
            if saved is not None and hasattr(saved, "connect"):
                saved.connect(lambda *_args: self._page_saved(spec.key))
            minutes = getattr(page, "minutes_changed", None)
            if minutes is not None and hasattr(minutes, "connect"):
                minutes.connect(self.idle_minutes_changed)
            return page

        return build

    def _row_of(self, key: str | None) -> int | None:
        return next((row for row, spec in enumerate(self._specs) if spec.key == key), None)

    def _row_chosen(self, row: int) -> None:
        if row == self._shown_row or not 0 <= row < len(self._specs):
            return
        if 0 <= self._shown_row < len(self._specs):
            leaving = self._holders[self._specs[self._shown_row].key]
            wanted = self._specs[row].key
            # ``then`` runs once the save the user chose is done: after this choice is undone below
            later = lambda: QTimer.singleShot(0, self, lambda: self.show_page(wanted))  # noqa: E731
            if leaving.built and not _may_leave(leaving.content(), then=later):
                self._select_quietly(self._shown_row)
                return
        self._shown_row = row
        spec = self._specs[row]
        holder = self._holders[spec.key]
        holder.content()  # built now, so its saved signal is connected before any edit
        self.stack.setCurrentWidget(holder)
        self.page_changed.emit(spec.key)

    def _select_quietly(self, row: int) -> None:
        blocked = self.page_list.blockSignals(True)
        try:
            self.page_list.setCurrentRow(row)
        finally:
            self.page_list.blockSignals(blocked)

    def _finish_editing(self) -> None:
        """A field on the page still being edited is finished (and so saved): focus moves to the list."""
        focused = QApplication.focusWidget()
        if focused is not None and focused is not self.page_list and self.stack.isAncestorOf(focused):
            self.page_list.setFocus(Qt.FocusReason.OtherFocusReason)

    def _page_saved(self, key: str) -> None:
        self.status.setText(f"Saved at {datetime.now():%H:%M:%S}.")
        self.status.show()
        for other, holder in self._holders.items():
            follow = getattr(holder.content(), "settings_changed", None) if holder.built else None
            if other != key and callable(follow):
                follow(key)
        self.saved.emit(key)

    def _close_now(self) -> None:
        super().reject()


def _may_leave(page: QWidget, *, then: Callable[[], object]) -> bool:
    check = getattr(page, "maybe_leave", None)
    return bool(check(then=then)) if callable(check) else True
