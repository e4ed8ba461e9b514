"""The main window: Today, Queue (with the referral detail beside it), Partners and Reports.

It wires the parts together and remembers the workstation's preferences (geometry, tab, splitter, queue
filters) in QSettings; the parts know nothing of each other. It is one signed-in person's window: the
title says who, every action is done as them, and while the session is locked (``set_locked``) a blank
page stands in for the tabs. Locking, unlocking and switching user are the session's
(``ui.session.controller``); the window only asks for them through its signals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from refdesk import APP_NAME, __version__
from refdesk.domain.vocab import StaffRole
from refdesk.services import queue, settings
from refdesk.services.actor import Actor
from refdesk.services.queue import QueueFilter
from refdesk.storage import Database
from ui.dialogs.new_referral import NewReferralDialog
from ui.preferences import or_workstation
from ui.queue.view import QueueView
from ui.referral_form import FormChoices
from ui.session.lock import LOCKED_TITLE, LockablePages
from ui.session.password import PasswordDialog
from ui.settings.menu import SettingsMenu
from ui.shortcuts import by_key
from ui.tasks import TaskRunner
from ui.today import TodayView
from ui.widgets.lazy import LazyPage

if TYPE_CHECKING:
    from ui.partners.tab import PartnersTab
    from ui.referral_detail import ReferralDetail
    from ui.reports.tab import ReportsTab

#: How often the status bar counts are refreshed while the window is open.
STATUS_REFRESH_MS = 60_000


class MainWindow(QMainWindow):
    """One signed-in person's window.

    Signals:
        lock_requested(): File → Lock screen (Ctrl+L).
        switch_user_requested(): File → Switch user….
        idle_minutes_changed(int): an administrator saved new idle-lock minutes.
        closed(): the window was closed (the person quit).
    """

    TABS = ("Today", "Queue", "Partners", "Reports")

    lock_requested = Signal()
    switch_user_requested = Signal()
    idle_minutes_changed = Signal(int)
    closed = Signal()

    def __init__(
        self,
        db: Database,
        actor: Actor,
        *,
        demo: bool,
        runner: TaskRunner | None = None,
        preferences: QSettings | None = None,
    ) -> None:
        super().__init__()
        self._db, self._actor, self.demo = db, actor, demo
        self._runner = runner or TaskRunner()
        self._prefs = or_workstation(preferences)
        self._locked = False
        self.setObjectName("mainWindow")
        self._update_title()
        choices = FormChoices.load(db)
        self._choices = choices

        # The queue first: its first page (a few ms) then leads the worker queue, ahead of Today's worklist.
        self.queue = QueueView(db, self._runner, filters=self._saved_filters())
        self.today = TodayView(db, self._runner)
        # The referral panel is built when the first referral is opened (``detail``): it is the biggest
        # widget tree of the window, and start-up is what the desk waits for every morning.
        self._detail: ReferralDetail | None = None
        self._detail_slot = QLabel(
            "Open a referral from the queue (Enter).",
            objectName="detailPlaceholder",
            alignment=Qt.AlignmentFlag.AlignCenter,
        )
        self.splitter = QSplitter(Qt.Orientation.Horizontal, objectName="queueSplitter")
        self.splitter.addWidget(self.queue)
        self.splitter.addWidget(self._detail_slot)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([700, 580])  # until the user's own split is restored
        self.splitter.setChildrenCollapsible(False)

        self.tabs = QTabWidget(objectName="mainTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.today, "Today")
        self.tabs.addTab(self.splitter, "Queue")
        self.partners_page: LazyPage[PartnersTab] = LazyPage(self._build_partners, "partnersPage")
        self.tabs.addTab(self.partners_page, "Partners")
        self.reports_page: LazyPage[ReportsTab] = LazyPage(self._build_reports, "reportsPage")
        self.tabs.addTab(self.reports_page, "Reports")

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 6)
        if demo:
            banner = QLabel("Demo database: every patient here is synthetic.", objectName="demoBanner")
            layout.addWidget(banner)
        layout.addWidget(self.tabs)
        self._pages = LockablePages(central)  # while locked, a blank page stands in (``set_locked``)
        self.setCentralWidget(self._pages)

        self._counts = QLabel(objectName="statusCounts")
        self.statusBar().addPermanentWidget(self._counts)
        self._status_timer = QTimer(self, interval=STATUS_REFRESH_MS)
        self._status_timer.timeout.connect(self.refresh_counts)
        self._status_timer.start()

        self._actions: dict[str, QAction] = {}
        self._build_menus()
        self._connect()
        self._restore()
        self.refresh_counts()

    # -- structure ---------------------------------------------------------------------------------

    def _action(self, key: str, slot: Any) -> QAction:
        shortcut = by_key(key)
        action = QAction(shortcut.text, self, shortcut=shortcut.sequence())
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        self._actions[key] = action
        return action

    def _build_menus(self) -> None:
        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        file_menu.addAction(self._action("new_referral", self.new_referral))
        file_menu.addAction(self._action("import", self.import_file))
        if self._actor.role is StaffRole.ADMIN:  # only an administrator deletes (reliability.md 9, 15)
            delete = QAction("&Delete referral entered by mistake…", self, objectName="fileDeleteReferral")
            delete.triggered.connect(self.delete_referral)
            file_menu.addAction(delete)
        file_menu.addSeparator()
        file_menu.addAction(self._action("lock", self.lock_requested.emit))
        switch_user = QAction("S&witch user…", self, objectName="fileSwitchUser")
        switch_user.triggered.connect(self.switch_user_requested.emit)
        file_menu.addAction(switch_user)
        password = QAction("Change my &password…", self, objectName="fileChangePassword")
        password.triggered.connect(self.change_password)
        file_menu.addAction(password)
        file_menu.addSeparator()
        file_menu.addAction(self._action("quit", self.close))
        view = menus.addMenu("&View")
        for index, name in enumerate(self.TABS):
            view.addAction(self._action(f"tab_{name.lower()}", lambda _=False, i=index: self.show_tab(i)))
        view.addSeparator()
        view.addAction(self._action("find", self.find))
        view.addAction(self._action("clear_filters", self.queue.clear_filters))
        view.addAction(self._action("refresh", self.refresh_all))
        settings_menu = menus.addMenu("S&ettings")  # Alt+S belongs to the detail (Scheduled)
        self.settings_menu = SettingsMenu(
            settings_menu,
            self,
            self._db,
            self._actor,
            self._runner,
            on_saved=self._settings_saved,
            on_idle_minutes=self.idle_minutes_changed.emit,
        )
        help_menu = menus.addMenu("&Help")
        help_menu.addAction(self._action("shortcuts", self.show_shortcuts))
        about = QAction(f"&About {APP_NAME}", self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

    def _connect(self) -> None:
        self.queue.selection_changed.connect(self._selected)
        self.queue.open_referral.connect(self.open_referral)
        self.today.open_referral.connect(self.open_referral)
        self.queue.filter_bar.filter_changed.connect(lambda _flt: self._save_filters())

    # -- the session -------------------------------------------------------------------------------

    @property
    def actor(self) -> Actor:
        """Who is signed in to this window; everything done in it is done as them."""
        return self._actor

    @property
    def runner(self) -> TaskRunner:
        return self._runner

    @property
    def locked(self) -> bool:
        return self._locked

    def set_locked(self, locked: bool) -> None:
        """Hide (or show again) everything that may carry patient data: a blank page stands in for the
        tabs, the title names no one, the menus are off and the status message is cleared. Nothing is
        closed or reloaded, so unlocking shows the same tab, referral and half-typed field."""
        if locked == self._locked:
            return
        self._locked = locked
        self._pages.set_locked(locked)
        self.menuBar().setEnabled(not locked)
        if locked:
            self.statusBar().clearMessage()
            self.setWindowTitle(LOCKED_TITLE)
        else:
            self._update_title()

    def change_password(self) -> None:
        """File → Change my password…"""
        dialog = PasswordDialog(self._db, self._actor, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.statusBar().showMessage("Your password is changed.", 5000))
        dialog.open()

    # -- behaviour ---------------------------------------------------------------------------------

    def show_tab(self, index: int) -> None:
        """Bring a tab forward with the keyboard in it (Ctrl+1…4): the keys go on working at once."""
        self.tabs.setCurrentIndex(index)
        page = self.tabs.currentWidget()
        target = self.queue if page is self.splitter else page
        target.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def find(self) -> None:
        """Ctrl+F: the search of the tab in front (partners on the Partners tab, else the queue's)."""
        if self.tabs.currentWidget() is self.partners_page:
            self.partners.focus_search()
            return
        self.show_tab(self.TABS.index("Queue"))
        self.queue.focus_search()

    def new_referral(self) -> None:
        dialog = NewReferralDialog(self._db, self._actor, self)  # fresh lists: partners may have been added
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.referral_created.connect(self._referral_created)
        dialog.open_referral.connect(self.open_referral)
        dialog.open()

    def import_file(self) -> None:
        """File → Import…: referrals or partners from a spreadsheet (the wizard does the rest)."""
        from ui.imports.wizard import ImportWizard  # built on first use, like the tabs

        wizard = ImportWizard(self._db, self._actor, self._runner, self)
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.imported.connect(self._imported)
        wizard.open()

    def _imported(self, count: int) -> None:
        self.queue.reload_choices()  # the import may have created partners
        self.refresh_all()
        self.statusBar().showMessage(f"{count:,} imported.", 8000)

    def _settings_saved(self, key: str) -> None:
        """A Settings page saved an edit: follow what this window shows of it."""
        if key == "letterhead":
            self._update_title()  # the clinic name is in the title
        elif key in ("service_lines", "targets"):
            self.queue.reload_choices()
            self.refresh_all()
        elif key == "intake_scripts" and self._detail is not None:
            self._detail.refresh()  # an open checklist follows the saved version

    def _build_partners(self) -> PartnersTab:
        from ui.partners.tab import PartnersTab  # built on first use: see ui.widgets.lazy

        tab = PartnersTab(self._db, self._actor, self._runner)
        tab.open_partner_referrals.connect(self.show_partner_referrals)
        return tab

    def _build_reports(self) -> ReportsTab:
        from ui.reports.tab import ReportsTab  # built on first use: see ui.widgets.lazy

        return ReportsTab(self._db, self._actor, self._runner, settings=self._prefs)

    @property
    def reports(self) -> ReportsTab:
        """The Reports tab's content (built now if it was not yet)."""
        return self.reports_page.content()

    @property
    def partners(self) -> PartnersTab:
        """The Partners tab's content (built now if it was not yet)."""
        return self.partners_page.content()

    def show_partner_referrals(self, partner_id: int) -> None:
        """A partner's "Show referrals": the queue, filtered to that partner's open referrals."""
        self.show_tab(self.TABS.index("Queue"))
        self.queue.reload_choices()  # the partner may have been added since the queue's pickers were read
        self.queue.filter_bar.set_filter(QueueFilter(partner_ids=frozenset({partner_id})))
        self.queue.table.setFocus(Qt.FocusReason.OtherFocusReason)

    @property
    def detail(self) -> ReferralDetail:
        """The referral panel beside the queue, built on first use."""
        if self._detail is None:
            from ui.referral_detail import ReferralDetail  # built on first use, see __init__

            detail = ReferralDetail(
                self._db, self._actor, self._runner, choices=self._choices, preferences=self._prefs
            )
            detail.changed.connect(self._referral_changed)
            self.splitter.replaceWidget(1, detail)
            self._detail_slot.deleteLater()
            self._detail = detail
        return self._detail

    def open_referral(self, referral_id: int) -> None:
        """Show a referral in the detail panel of the Queue tab and put the keyboard there."""
        self.show_tab(self.TABS.index("Queue"))
        self.queue.select_referral(referral_id)
        if referral_id != self.detail.referral_id:
            self.detail.load(referral_id)
        self.detail.setVisible(True)
        self.detail.setFocus(Qt.FocusReason.OtherFocusReason)

    def _selected(self, referral_id: int | None) -> None:
        # Reloading the referral already shown would reset a field the user is typing in.
        if referral_id is not None and referral_id != self.detail.referral_id:
            self.detail.load(referral_id)
        if referral_id is not None:
            self.detail.setVisible(True)  # hidden after the referral it showed was deleted

    def delete_referral(self) -> None:
        """File → Delete referral entered by mistake: the referral open in the detail, after the dialog's
        confirmation (``ui.dialogs.delete_referral``)."""
        referral_id = self._detail.referral_id if self._detail is not None else None
        if referral_id is None or not self._detail_shown():
            self.statusBar().showMessage("Open the referral to delete first.", 6000)
            return
        from ui.dialogs.delete_referral import ask_delete_referral  # rare: built when asked for

        ask_delete_referral(self, self._db, self._actor, self._runner, referral_id, self._referral_deleted)

    def _detail_shown(self) -> bool:
        return self._detail is not None and not self._detail.isHidden()

    def _referral_deleted(self, referral_id: int) -> None:
        if self._detail is not None and self._detail.referral_id == referral_id:
            self._detail.setVisible(False)  # nothing of it stays on screen
        self.refresh_all()
        self.statusBar().showMessage("The referral was deleted.", 8000)

    def _referral_created(self, referral_id: int) -> None:
        self.queue.refresh()
        self.today.refresh()
        self.refresh_counts()
        self.open_referral(referral_id)
        self.statusBar().showMessage("Referral saved.", 5000)

    def _referral_changed(self, referral_id: int) -> None:
        self.queue.model.refresh_row(referral_id)
        self.today.refresh()
        self.refresh_counts()

    def refresh_all(self) -> None:
        self.queue.refresh()
        self.today.refresh()
        for page in self._lazy_pages():
            if page.built:
                page.content().refresh()
        self.refresh_counts()

    def _lazy_pages(self) -> tuple[LazyPage[Any], ...]:
        return (self.partners_page, self.reports_page)

    def refresh_counts(self) -> None:
        self._runner.submit(lambda _ctx: queue.status_counts(self._db), on_done=self._show_counts)

    def _show_counts(self, counts: queue.StatusCounts) -> None:
        self._counts.setText(
            f"Open {counts.open:,}   ·   Due today {counts.due_today:,}   ·   Overdue {counts.overdue:,}"
        )

    def _update_title(self) -> None:
        """The title names RefDesk, the clinic and who is signed in, never a patient; kept while locked."""
        if self._locked:
            return
        clinic = settings.clinic_name(self._db)
        parts = [APP_NAME, clinic] if clinic else [APP_NAME]
        parts.append(self._actor.full_name or self._actor.username)
        if self.demo:
            parts.append("DEMO")
        self.setWindowTitle(" — ".join(parts))

    def show_shortcuts(self) -> None:
        from ui.dialogs.shortcuts import ShortcutsDialog  # built when asked for

        ShortcutsDialog(self).exec()

    def _about(self) -> None:
        QMessageBox.about(
            self, f"About {APP_NAME}", f"{APP_NAME} {__version__}\nThe referral desk of a small clinic."
        )

    # -- preferences -------------------------------------------------------------------------------

    def _restore(self) -> None:
        geometry = self._prefs.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 720)
        splitter = self._prefs.value("queue/splitter")
        if isinstance(splitter, QByteArray) and not splitter.isEmpty():
            self.splitter.restoreState(splitter)
        tab = self._prefs.value("window/tab", 0)
        self.tabs.setCurrentIndex(int(tab) if str(tab).isdigit() else 0)

    def _saved_filters(self) -> dict[str, Any] | None:
        """Last session's queue filters, handed to the queue at construction (one query at start-up)."""
        saved = self._prefs.value("queue/filters")
        return saved if isinstance(saved, dict) else None

    def _save_filters(self) -> None:
        self._prefs.setValue("queue/filters", self.queue.filter_bar.to_settings())

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self._locked and event.spontaneous():
            event.ignore()  # only a sign-in opens a locked window, and closing it would end the session
            return
        self._prefs.setValue("window/geometry", self.saveGeometry())
        self._prefs.setValue("queue/splitter", self.splitter.saveState())
        self._prefs.setValue("window/tab", self.tabs.currentIndex())
        self._save_filters()
        self._prefs.sync()
        self._status_timer.stop()
        super().closeEvent(event)
        self.closed.emit()
