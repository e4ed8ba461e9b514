"""The referral detail: where the front desk works one referral from receipt to the first visit.

It shows who and where the referral stands (header), its fields (the shared referral form, each edit
saved at once), the contact log with one-key outcomes, the moves the lifecycle allows as buttons, the
appointment (booked, confirmed, rescheduled, missed; ``ui.detail.appointment``), and the history. The
state buttons that are about the appointment (Scheduled, No-show, Appointment cancelled, First visit
completed) act through the appointment pane: Scheduled opens the booking dialog, the others are
recorded on the appointment shown.

Every write goes through a service on the task runner; a refusal is shown inside the view (the message
bar), never as a traceback or a modal box, and every success emits ``changed`` so the queue can
repaint that one row.

Opening a referral reads the row with its partner, service line and owner (by primary key), its
history (three reads by the indexed ``referral_id`` and one for staff names) and its appointments (by
``referral_id``, with the intake items that block scheduling): a fixed handful of queries whatever
the size of the database. Each opening is audited once ("referral.view", written on the runner);
re-reading the referral shown, after an edit or a change elsewhere, is not a new view.

Keys (listed for the help screen by ``ui.detail.keys.shortcut_help``): Alt+1…Alt+5 log a contact
outcome (see ``ui.detail.contact_log`` for why), Alt+letter mnemonics reach the state buttons (see
``ui.detail.state_actions``; the appointment pane adds Alt+S Reschedule and Alt+C Confirm while
Scheduled, see ``ui.detail.appointment``), Alt+T the note, Alt+Y accepts an offer in the prompt bar.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import QApplication, QSplitter, QTabWidget, QVBoxLayout, QWidget

from refdesk.domain import lifecycle
from refdesk.domain.lifecycle import CloseReason, State
from refdesk.domain.models import Referral
from refdesk.domain.vocab import AttemptMethod, AttemptOutcome
from refdesk.errors import ValidationError
from refdesk.services import scheduling, workflow
from refdesk.services.actor import Actor
from refdesk.services.attempts import AttemptResult, log_attempt
from refdesk.services.audit import record_view
from refdesk.services.referrals import update_referral
from refdesk.services.timeline import TimelineEntry
from refdesk.storage import Database
from ui.detail.appointment import AppointmentPane
from ui.detail.bars import MessageBar, PromptBar, scrolling, set_style_property
from ui.detail.checklist import ChecklistPane
from ui.detail.contact_log import ContactLog
from ui.detail.header import DetailHeader
from ui.detail.history import HistoryView
from ui.detail.keys import SIDE_TABS
from ui.detail.prompts import PROMPT_CONFIRM_COMPLETED, PROMPT_UNABLE_TO_REACH, DetailPrompts
from ui.detail.reading import DetailData, read_detail
from ui.detail.records import RecordsPane
from ui.detail.state_actions import StateActions
from ui.dialogs.close_referral import CloseReferralDialog
from ui.errors import user_message
from ui.preferences import or_workstation
from ui.referral_form import FIELD_NAMES, FormChoices, ReferralForm
from ui.tasks import TaskHandle, TaskRunner
from ui.widgets import plain_label

__all__ = [
    "PROMPT_CONFIRM_COMPLETED",
    "PROMPT_UNABLE_TO_REACH",
    "SIDE_TAB_CHECKLIST",
    "SIDE_TAB_DETAILS",
    "SIDE_TAB_RECORDS",
    "WIDE_ENOUGH_EM",
    "DetailData",
    "ReferralDetail",
    "read_detail",
]

T = TypeVar("T")


#: The side tabs, in order, and the keys that bring each forward.
SIDE_TAB_DETAILS, SIDE_TAB_CHECKLIST, SIDE_TAB_RECORDS = range(3)

#: Below this width (in average characters) the work and fields panes stack instead of sitting side by side.
WIDE_ENOUGH_EM = 120


class ReferralDetail(DetailPrompts, QWidget):
    """One referral, worked from the keyboard. Construct once, then ``load(referral_id)`` per referral.

    Object name ``referralDetail``; dynamic property ``busy`` is true while a write is running. The
    parts' object names are listed in their classes (``ui.detail.*``, ``CloseReferralDialog``).

    Signals:
        changed(int): a write on this referral succeeded (attempt logged, state moved, closed,
            reopened, field saved); the id is the referral's. The queue refreshes that row.
        loaded(int): the referral was read and shown (after ``load`` and after every refresh).
    """

    changed = Signal(int)
    loaded = Signal(int)

    def __init__(
        self,
        db: Database,
        actor: Actor,
        runner: TaskRunner,
        parent: QWidget | None = None,
        *,
        choices: FormChoices | None = None,
        preferences: QSettings | None = None,
    ) -> None:
        """``choices``: the form's partner, service line and staff lists (read from ``db`` when None);
        ``preferences``: where the records pane keeps the last letter folder (the workstation's when
        None)."""
        super().__init__(parent)
        self._db, self._actor, self._runner = db, actor, runner
        self._prefs = or_workstation(preferences)
        self._referral_id: int | None = None
        self._referral: Referral | None = None
        #: The referral whose opening was last audited: re-reading it (after an edit, or when the queue
        #: says someone else changed it) is not a new view.
        self._viewed_id: int | None = None
        self._timeline: list[TimelineEntry] = []
        self._pending: TaskHandle | None = None
        self._form_stale = True
        self._busy = False
        #: Limit offer: shown once after the attempt that reached it, and whenever the referral opens at
        #: its limit, unless dismissed at this attempt count.
        self._offer_limit = False
        self._limit_dismissed_at: int | None = None
        self._prompt_target: State | None = None
        self.setObjectName("referralDetail")
        self.setProperty("busy", False)
        self._build(choices)

    # -- building ----------------------------------------------------------------------------------

    def _build(self, choices: FormChoices | None) -> None:
        self.messages = MessageBar()
        self.prompt = PromptBar()
        self.prompt.dismiss_button.clicked.connect(self._prompt_dismissed)
        self.placeholder = plain_label(
            "detailPlaceholder", "Open a referral from the queue (Enter).", hide_empty=False, selectable=True
        )
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.header = DetailHeader()
        self.state_actions = StateActions()
        self.state_actions.move_requested.connect(self._move)
        self.state_actions.close_requested.connect(self._ask_close)
        self.state_actions.reopen_requested.connect(self._reopen)
        self.contact = ContactLog(shortcut_scope=self)
        self.contact.log_requested.connect(self._log_attempt)
        self.appointment = AppointmentPane(self._db, self._actor, self._runner)
        self.appointment.move_requested.connect(self._move)
        self.appointment.written.connect(self._appointment_written)
        self.appointment.dialog_closed.connect(self._dialog_finished)
        self.history = HistoryView()

        work = QWidget()
        work_layout = QVBoxLayout(work)
        # The appointment first: once a visit is booked it is what the desk works (it hides itself before).
        work_layout.addWidget(self.appointment)
        work_layout.addWidget(self.state_actions)
        work_layout.addWidget(self.contact)
        work_layout.addWidget(self.history)
        work_layout.addStretch(1)

        # The two panes scroll on their own: at 1280×720, or at 200 % scaling, nothing is cut off, and
        # the header with the state stays in sight while either pane scrolls.
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.work_pane = scrolling(work, "workPane")
        self.work_pane.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.splitter.addWidget(self.work_pane)
        # The referral's fields, its intake checklist and its required records: one tab each, so the
        # side beside the work stays readable on a 1280-pixel screen (F6, F7, F8 reach them).
        self.fields_pane = scrolling(QWidget(), "fieldsPane")
        self.checklist = ChecklistPane(self._db, self._actor, self._runner)
        self.records = RecordsPane(self._db, self._actor, self._runner, preferences=self._prefs)
        self.side_tabs = QTabWidget(objectName="detailTabs")
        self.side_tabs.setDocumentMode(True)
        # Records scroll as a whole: its row of buttons must not widen the view past a small screen.
        panes = (self.fields_pane, self.checklist, scrolling(self.records, "recordsScroll"))
        for pane, (_key, title) in zip(panes, SIDE_TABS, strict=True):
            self.side_tabs.addTab(pane, title)
        for index, pane in ((SIDE_TAB_CHECKLIST, self.checklist), (SIDE_TAB_RECORDS, self.records)):
            pane.summary_changed.connect(lambda text, i=index: self.side_tabs.setTabText(i, text))
            pane.changed.connect(self._side_pane_changed)
        for index, (key, _title) in enumerate(SIDE_TABS):
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(lambda i=index: self.show_side_tab(i))
        self.splitter.addWidget(self.side_tabs)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)

        self.body = QWidget()
        body_layout = QVBoxLayout(self.body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        body_layout.addWidget(self.header)
        body_layout.addWidget(self.splitter, 1)
        self.body.hide()

        layout = QVBoxLayout(self)
        layout.addWidget(self.messages)
        layout.addWidget(self.prompt)
        layout.addWidget(self.placeholder, 1)
        layout.addWidget(self.body, 1)

        self.form = self._attach_form(choices)

    def _attach_form(self, choices: FormChoices | None) -> ReferralForm:
        """Put the shared referral form (``ui.referral_form``) in the fields pane, in edit mode: each
        field the user finishes is saved at once through ``update_referral``."""
        form = ReferralForm(choices or FormChoices.load(self._db))
        form.field_edited.connect(self._save_field)
        self.fields_pane.setWidget(form)
        return form

    # -- public API --------------------------------------------------------------------------------

    @property
    def referral_id(self) -> int | None:
        return self._referral_id

    def load(self, referral_id: int) -> None:
        """Show referral ``referral_id`` (read on the runner; ``loaded`` is emitted once shown).

        Loading another referral drops the previous one's messages and offers; loading the same one
        again re-reads it, fields included (the queue calls this after someone else changed it).
        """
        if referral_id != self._referral_id:
            self.messages.clear()
            self._clear_prompt()
            self._limit_dismissed_at = None
            self._offer_limit = False
            self.contact.note.clear()
            self.checklist.flush()  # an answer still being typed belongs to the referral it was typed in
        self._referral_id = referral_id
        self._form_stale = True
        self._fetch()
        self.checklist.load(referral_id)
        self.records.load(referral_id)

    def refresh(self) -> None:
        """Re-read the referral shown (header, buttons, log, history), keeping what is typed in the form."""
        if self._referral_id is not None:
            self._fetch()
            self.checklist.load(self._referral_id)
            self.records.load(self._referral_id)

    def show_side_tab(self, index: int) -> None:
        """Bring Details, Intake or Records forward and put the keyboard in it (F6, F7, F8)."""
        self.side_tabs.setCurrentIndex(index)
        page = self.side_tabs.currentWidget()
        page.setFocus(Qt.FocusReason.ShortcutFocusReason)
        page.focusNextChild()

    def _side_pane_changed(self, referral_id: int) -> None:
        """An answer or a record was saved: the header's next action and the scheduling gate may have
        changed with it, and the queue repaints the row."""
        if referral_id == self._referral_id:
            self._fetch()
        self.changed.emit(referral_id)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        """Side by side when there is room for both panes, stacked when the panel is narrow (beside the
        queue on a 1280-pixel screen), so no button or field is ever cut off."""
        wide = event.size().width() >= WIDE_ENOUGH_EM * self.fontMetrics().averageCharWidth()
        orientation = Qt.Orientation.Horizontal if wide else Qt.Orientation.Vertical
        if self.splitter.orientation() != orientation:
            self.splitter.setOrientation(orientation)
        super().resizeEvent(event)

    def focus_work(self) -> None:
        """Put the keyboard in the contact log's note (or the first state button when it cannot log):
        the main window calls this (or ``setFocus``, which the view forwards there) when the user opens
        a referral with Enter."""
        self._work_target().setFocus(Qt.FocusReason.OtherFocusReason)

    def _work_target(self) -> QWidget:
        """The note; for a closed referral its first button (Reopen); for a finished one the work pane
        itself, where the arrow keys scroll the history."""
        if self.contact.note.isEnabled():
            return self.contact.note
        return self.state_actions.buttons[0] if self.state_actions.buttons else self.work_pane

    # -- reading -----------------------------------------------------------------------------------

    def _fetch(self) -> None:
        if self._pending is not None:
            self._pending.cancel()  # an older read must not paint over a newer one
        referral_id = self._referral_id
        assert referral_id is not None
        self._pending = self._runner.submit(
            lambda _context: read_detail(self._db, referral_id),
            on_done=self._show,
            on_error=self._load_failed,
        )

    def _load_failed(self, error: BaseException) -> None:
        self.messages.show_message(user_message(error))
        self._referral = None
        self.body.hide()
        self.placeholder.show()

    def _show(self, data: DetailData) -> None:
        referral = data.referral
        if referral.id != self._referral_id:
            return
        previous = self._referral
        state_changed = previous is None or previous.id != referral.id or previous.state is not referral.state
        self._referral, self._timeline = referral, data.timeline
        focus = QApplication.focusWidget()
        actions_had_focus = focus is not None and (
            self.state_actions.isAncestorOf(focus) or self.appointment.isAncestorOf(focus)
        )

        self.header.show_referral(referral)
        self.state_actions.set_state(referral.state)
        is_open = lifecycle.is_open(referral.state)
        reopen = lifecycle.can_reopen(referral.state)
        why_not = "" if is_open else "Reopen the referral to log contact." if reopen else reopen.reason
        self.contact.set_can_log(is_open, why_not)
        self.contact.set_attempts(data.timeline, referral.service_line.max_attempts)
        self.appointment.set_history(data.appointments)
        self.history.set_entries(data.timeline)
        if self._form_stale:
            self.form.set_values(referral)
            self._form_stale = False
        self.placeholder.hide()
        self.body.show()
        self._update_prompt(referral)
        # ``setFocus()`` on the view lands where work starts, so the view's keys work at once.
        self.setFocusProxy(self._work_target())
        if actions_had_focus and state_changed:
            # The button that was pressed is gone (the buttons follow the new state): keep the keyboard
            # in the view, or the view's shortcuts would stop working.
            self.focus_work()
        if referral.id != self._viewed_id:
            self._viewed_id = referral.id
            self._record_view(referral.id)
        self.loaded.emit(referral.id)

    def _record_view(self, referral_id: int) -> None:
        """Audit the opening of a referral whose patient is now on screen (reliability.md 13: a view is
        recorded like a change), on the worker; a failure is logged, the desk is not interrupted."""
        db, actor = self._db, self._actor
        self._runner.submit(lambda _context: record_view(db, actor, referral_id), on_done=lambda _none: None)

    # -- writing -----------------------------------------------------------------------------------

    def _write(
        self,
        work: Callable[[int], T],
        on_success: Callable[[T], None] | None = None,
        *,
        referral_id: int | None = None,
    ) -> None:
        """Run one service call for ``referral_id`` (default: the referral shown); then refresh and emit
        ``changed``. A refusal goes to the message bar (and the view re-reads: a refusal often means it
        was out of date). Requests made while a write is running are ignored (a double press must not
        log twice)."""
        referral_id = self._referral_id if referral_id is None else referral_id
        if referral_id is None or self._busy:
            return
        self._set_busy(True)

        def done(result: T) -> None:
            self._set_busy(False)
            if referral_id == self._referral_id:
                self.messages.clear()
                if on_success is not None:
                    on_success(result)
                self._fetch()
            self.changed.emit(referral_id)

        def failed(error: BaseException) -> None:
            self._set_busy(False)
            if referral_id == self._referral_id:
                self.messages.show_message(user_message(error))
                self._fetch()

        self._runner.submit(lambda _context: work(referral_id), on_done=done, on_error=failed)

    def _set_busy(self, busy: bool) -> None:
        # Not setEnabled(False): disabling the focused button would throw the keyboard focus elsewhere.
        self._busy = busy
        set_style_property(self, "busy", busy)

    def _log_attempt(self, method: AttemptMethod, outcome: AttemptOutcome, note: str) -> None:
        def logged(result: AttemptResult) -> None:
            self.contact.attempt_logged()
            self._offer_limit = result.limit_reached
            if result.limit_reached:
                self._limit_dismissed_at = None

        self._write(
            lambda rid: log_attempt(self._db, self._actor, rid, method, outcome, note=note or None), logged
        )

    def _move(self, target: State) -> None:
        """A state button (or the appointment pane's button for the same move). The moves that belong to
        the appointment go through it: Scheduled opens the booking dialog, No-show and Appointment
        cancelled are recorded on the appointment shown, First visit completed asks first."""
        appointment_id = self.appointment.active_id
        if target is State.SCHEDULED:
            self.appointment.open_booking()
            return
        if target is State.COMPLETED:
            referral_id = self._referral_id
            # The one move that can never be undone (a completed referral cannot be reopened): ask first.
            self._ask(
                PROMPT_CONFIRM_COMPLETED,
                target,
                "Mark the first visit completed? This finishes the referral for good; it cannot be reopened.",
                "&Yes, first visit completed",
                lambda: self._write(self._appointment_move(target, appointment_id), referral_id=referral_id),
            )
            self.prompt.accept_button.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        self._write(self._appointment_move(target, appointment_id))

    def _appointment_move(self, target: State, appointment_id: int | None) -> Callable[[int], None]:
        """The write for a move: on the appointment shown when the move is about it (so a view that is
        out of date cannot record a no-show on an appointment that was moved meanwhile), else the plain
        lifecycle move (which also explains a refusal)."""
        db, actor = self._db, self._actor
        by_appointment = scheduling.MOVES.get(target)
        if by_appointment is not None and appointment_id is not None:
            return lambda _rid: by_appointment(db, actor, appointment_id)
        return lambda rid: workflow.move(db, actor, rid, target)

    def _appointment_written(self, referral_id: int, text: str) -> None:
        """A dialog of the appointment pane saved: say what happened, re-read, tell the queue."""
        if referral_id == self._referral_id:
            self.messages.show_message(text, "info")
            self._fetch()
        self.changed.emit(referral_id)

    def _ask_close(self, outcome: State) -> None:
        referral_id = self._referral_id
        dialog = CloseReferralDialog(outcome, self)
        # The id is taken now: whatever the view shows when the dialog ends, this referral is closed.
        dialog.accepted.connect(lambda: self._close(dialog.reason(), dialog.note(), referral_id))
        opener = QApplication.focusWidget()
        dialog.finished.connect(lambda _result: self._dialog_finished(opener))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _dialog_finished(self, opener: QWidget | None) -> None:
        """Bring the keyboard back into the view, so its keys keep working without a click: to the
        button that opened the dialog when it is still there (cancelled), else to the contact log (the
        buttons were rebuilt for the new state)."""
        self.activateWindow()
        if (
            opener is not None
            and shiboken6.isValid(opener)
            and self.isAncestorOf(opener)
            and opener.isVisible()
        ):
            opener.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self.focus_work()

    def _close(self, reason: CloseReason, note: str | None, referral_id: int | None = None) -> None:
        self._write(
            lambda rid: workflow.close(self._db, self._actor, rid, reason, note=note), referral_id=referral_id
        )

    def _reopen(self) -> None:
        def reopened(target: State) -> None:
            self.messages.show_message(f"Reopened as {lifecycle.LABELS[target]}.", "info")

        self._write(lambda rid: workflow.reopen(self._db, self._actor, rid), reopened)

    def _save_field(self, name: str, value: Any) -> None:
        """Save one edited field at once; a refusal is shown at the field, nothing else is touched."""
        referral_id, form = self._referral_id, self.form
        if referral_id is None:
            return

        def saved(_result: None) -> None:
            form.set_field_error(name, None)
            self.changed.emit(referral_id)
            if referral_id == self._referral_id:
                self._fetch()  # the header shows the saved value; the form keeps what is typed

        def refused(error: BaseException) -> None:
            if referral_id != self._referral_id:
                return
            if isinstance(error, ValidationError):
                at_fields = {key: text for key, text in error.errors.items() if key in FIELD_NAMES}
                for key, text in at_fields.items():
                    form.set_field_error(key, text)
                elsewhere = [text for key, text in error.errors.items() if key not in at_fields]
                if elsewhere:
                    self.messages.show_message(" ".join(elsewhere))
            else:
                self.messages.show_message(user_message(error))

        self._runner.submit(
            lambda _context: update_referral(self._db, self._actor, referral_id, {name: value}),
            on_done=saved,
            on_error=refused,
        )
