"""First run: an empty database opens a welcome, sets up the clinic and its first administrator, then
asks what to do first.

A new database has no accounts, and nobody may work in it unsigned (reliability promise 11). The
person installing RefDesk goes through:

1. Welcome: what RefDesk is; set up this clinic, or explore with demo data first (another RefDesk on
   the separate demo database; this one quits and the real database is left untouched, so the welcome
   comes back the next time it is opened).
2. The clinic: its name and the letterhead every letter prints on (``first_run_pages.ClinicPage``).
3. The response targets and the clinic's service lines (``first_run_pages.TargetsPage``).
4. The first administrator. "Finish setup" saves everything in one step (``setup.finish_setup``) on a
   worker, the wizard waiting with a wait cursor (Argon2 takes about half a second on purpose); a part
   that fails after the administrator exists is said on the next page, to be finished in Settings.
5. What next (``first_run_next.WhatNextPage``): import a spreadsheet, add a referral, or just open.

Nothing is saved before step 4, and after it there is no going back. Keyboard: Enter is Next (in the
address, a new line), Alt+B Back, Escape cancels; refusals show under their fields and the page stays.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QProcess, QProcessEnvironment, Qt, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QFormLayout,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from refdesk import APP_NAME
from refdesk.errors import RefDeskError, ValidationError
from refdesk.services import setup
from refdesk.services.actor import Actor
from refdesk.services.setup import ClinicSetup, SetupOutcome, SetupStart
from refdesk.storage import Database
from ui.errors import user_message
from ui.session.fields import FieldErrors, password_field
from ui.session.first_run_next import NextStep, WhatNextPage
from ui.session.first_run_pages import ClinicPage, TargetsPage
from ui.tasks import TaskContext, TaskRunner
from ui.widgets import named, plain_label

log = logging.getLogger(__name__)

__all__ = ["FirstRunWizard", "NextStep", "DemoNotStarted", "start_demo"]

INTRO = (
    f"{APP_NAME} keeps your clinic's referrals from partner practices, from the day one arrives until "
    "the patient's first visit: who to call, what is overdue, and the letters back to the partner."
)
DEMO_NOTE = (
    "The demo opens a separate demo database, marked DEMO in the title bar (sign in as admin, password "
    "demo). Nothing is set up here meanwhile: this welcome comes back the next time you start "
    f"{APP_NAME}."
)

#: The wizard's pages, in order.
WELCOME, CLINIC, TARGETS, ADMIN, WHAT_NEXT = range(5)


class DemoNotStarted(RefDeskError):
    """The demo RefDesk could not be started (said on the welcome page)."""


def start_demo() -> None:
    """Start another RefDesk on the demo database (``refdesk --demo``), detached from this one.

    Why a new process rather than switching databases in this one: the demo then runs exactly as
    ``refdesk --demo`` does (its own instance lock on the demo file, the demo data made on first use
    behind its progress dialog, its sign-in with the demo hint, DEMO in the title bar), and this
    process, which holds the lock and the connection of the real database, simply quits. No code path
    can then mix the two databases, and the real one stays exactly as it was.

    Raises:
        DemoNotStarted: the program could not be started.
    """
    program, arguments, extra = setup.demo_command()
    process = QProcess()
    process.setProgram(program)
    process.setArguments(arguments)
    environment = QProcessEnvironment.systemEnvironment()
    for name, value in extra.items():
        environment.insert(name, value)
    process.setProcessEnvironment(environment)
    answer = process.startDetached()  # PySide6 answers a bool here (a (bool, pid) pair in some versions)
    started = answer[0] if isinstance(answer, tuple) else bool(answer)
    if not started:
        log.warning("demo not started: %s %s", program, arguments)
        raise DemoNotStarted(f"The demo could not be started ({process.errorString()}).")


class WelcomePage(QWizardPage):
    """What RefDesk is, and the choice: ``firstRunSetUp`` (the default) or ``firstRunDemo``. With the
    demo chosen, Next opens it; if it cannot start, ``firstRunError`` says why and the page stays."""

    def __init__(self, launch_demo: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._launch_demo = launch_demo
        self.demo_started = False
        self.setObjectName("firstRunWelcomePage")
        self.setTitle(f"Welcome to {APP_NAME}")
        self.setSubTitle("This database is new. Set it up for your clinic in a few steps.")
        self.set_up = named(QRadioButton("&Set up this clinic"), "firstRunSetUp")
        self.set_up.setChecked(True)
        self.demo = named(QRadioButton("&Explore with demo data first"), "firstRunDemo")
        self.demo.toggled.connect(self._choice_changed)
        self.error = plain_label("firstRunError")
        self.error.setProperty("kind", "error")
        layout = QVBoxLayout(self)
        layout.addWidget(plain_label("firstRunIntro", INTRO))
        layout.addSpacing(12)
        layout.addWidget(self.set_up)
        layout.addWidget(self.demo)
        layout.addWidget(plain_label("firstRunDemoNote", DEMO_NOTE))
        layout.addWidget(self.error)
        layout.addStretch(1)

    def initializePage(self) -> None:  # noqa: N802 - Qt's name
        (self.demo if self.demo.isChecked() else self.set_up).setFocus(Qt.FocusReason.OtherFocusReason)

    def _choice_changed(self) -> None:
        self.error.hide()
        self.setButtonText(
            QWizard.WizardButton.NextButton, "Open the &demo" if self.demo.isChecked() else "&Next >"
        )

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        if not self.demo.isChecked() or self.demo_started:
            return True  # (started: QWizard checks the page again as the wizard ends)
        try:
            self._launch_demo()
        except RefDeskError as error:
            self.error.setText(str(error))
            self.error.show()
            return False
        except Exception as error:  # noqa: BLE001 - said calmly, logged by user_message
            self.error.setText(user_message(error))
            self.error.show()
            return False
        self.demo_started = True
        wizard = self.wizard()
        if isinstance(wizard, FirstRunWizard):
            wizard.chose(NextStep.DEMO)
        return False


class AdminPage(QWizardPage):
    """The first administrator: ``firstRunFullName``, ``firstRunUser``, ``firstRunPassword``,
    ``firstRunRepeat``; error labels ``fieldError`` (keys ``full_name``, ``username``, ``password``,
    ``repeat``); other refusals in ``firstRunError``. Its button ("Finish setup") saves everything."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("firstRunAccountPage")
        self.setTitle("Your administrator account")
        self.setSubTitle(
            "You sign in with it, and add the rest of the staff, each with their own sign-in, from "
            "Settings → Staff. Finish setup saves everything."
        )
        self.setCommitPage(True)  # once saved, there is no going back to change it here
        self.setButtonText(QWizard.WizardButton.CommitButton, "&Finish setup")
        self.full_name = named(QLineEdit(maxLength=120), "firstRunFullName")
        self.username = named(QLineEdit(maxLength=64), "firstRunUser")
        self.password = password_field("firstRunPassword")
        self.repeat = password_field("firstRunRepeat")
        self.errors = FieldErrors()
        form = QFormLayout()
        self.errors.row(form, "&Your name:", self.full_name, "full_name")
        self.errors.row(form, "&User name:", self.username, "username")
        self.errors.row(form, "&Password:", self.password, "password")
        self.errors.row(form, "&Repeat password:", self.repeat, "repeat")
        self.other_error = plain_label("firstRunError")
        self.other_error.setProperty("kind", "error")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.other_error)
        layout.addStretch(1)

    def initializePage(self) -> None:  # noqa: N802 - Qt's name
        self.full_name.setFocus(Qt.FocusReason.OtherFocusReason)

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        """Saved already: go on. Otherwise check the account here, then save everything on a worker;
        the wizard goes on by itself when that is done, or shows the refusal."""
        wizard = self.wizard()
        assert isinstance(wizard, FirstRunWizard)
        if wizard.outcome is not None:
            return True
        self.other_error.hide()
        try:
            setup.check_admin(
                self.username.text(), self.full_name.text(), self.password.text(), self.repeat.text()
            )
        except ValidationError as error:
            self.errors.show(error.errors)
            if "repeat" in error.errors:
                self.repeat.clear()
            return False
        self.errors.clear()
        wizard.finish()
        return False

    def refused(self, error: BaseException) -> None:
        """The save was refused (nothing was saved): say it under the field, or below the form."""
        if isinstance(error, ValidationError):
            for message in self.errors.show(error.errors):
                self.say(message)
        else:
            self.say(user_message(error))
            self.password.setFocus(Qt.FocusReason.OtherFocusReason)

    def say(self, message: str) -> None:
        self.other_error.setText(message)
        self.other_error.show()


class FirstRunWizard(QWizard):
    """The first run's pages. After ``exec()``: ``choice`` (a ``NextStep``: the demo was started, or
    what to open first; None when cancelled) and ``actor``, the new administrator (None unless setup
    was saved; once saved, cancelling the last page still signs them in).

    ``launch_demo`` starts the demo (default ``start_demo``; tests pass their own). No signals beyond
    QWizard's.
    """

    def __init__(
        self,
        db: Database,
        *,
        launch_demo: Callable[[], None] = start_demo,
        runner: TaskRunner | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._runner = runner or TaskRunner(max_threads=1)
        self._busy = False
        self.outcome: SetupOutcome | None = None
        self.choice: NextStep | None = None
        self.setObjectName("firstRunWizard")
        self.setWindowTitle(f"Set up {APP_NAME}")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)  # the same on every platform
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        for which in (QWizard.WizardButton.NextButton, QWizard.WizardButton.CommitButton):
            # Styled (bold) as the default button before it is first laid out, so its text fits; the
            # wizard has polished its buttons already, so the style is applied again.
            button = self.button(which)
            button.setProperty("primary", True)
            button.style().unpolish(button)
            button.style().polish(button)
        self.welcome_page = WelcomePage(launch_demo)
        self.clinic_page = ClinicPage(self._runner)
        self.targets_page = TargetsPage()
        self.account_page = AdminPage()
        self.next_page = WhatNextPage()
        self.next_page.chosen.connect(self.chose)
        for page_id, page in (
            (WELCOME, self.welcome_page),
            (CLINIC, self.clinic_page),
            (TARGETS, self.targets_page),
            (ADMIN, self.account_page),
            (WHAT_NEXT, self.next_page),
        ):
            self.setPage(page_id, page)
        self.currentIdChanged.connect(self._page_changed)
        self.setMinimumWidth(600)
        self._runner.submit(
            lambda _context: setup.starting_point(db),
            on_done=self._start_from,
            on_error=self._no_start,
            owner=self,
        )

    @property
    def actor(self) -> Actor | None:
        return self.outcome.actor if self.outcome is not None else None

    @property
    def busy(self) -> bool:
        """True while setup is being saved (the wizard waits)."""
        return self._busy

    def _start_from(self, start: SetupStart) -> None:
        self.clinic_page.start_from(start)
        self.targets_page.start_from(start)

    def _no_start(self, error: BaseException) -> None:
        # The database could not be read: the pages start empty; saving will say what is wrong.
        log.warning("first run: the stored settings could not be read (%s)", user_message(error))

    def _page_changed(self, page_id: int) -> None:
        # The last page has its own three buttons; Escape there still opens RefDesk (setup is saved).
        layout = [QWizard.WizardButton.Stretch]
        if page_id != WHAT_NEXT:
            layout += [
                QWizard.WizardButton.BackButton,
                QWizard.WizardButton.NextButton,
                QWizard.WizardButton.CommitButton,
                QWizard.WizardButton.FinishButton,
                QWizard.WizardButton.CancelButton,
            ]
        self.setButtonLayout(layout)

    # -- saving --------------------------------------------------------------------------------------------

    def collected(self) -> ClinicSetup:
        """Everything the pages hold, as checked when each page was left."""
        clinic, targets, admin = self.clinic_page, self.targets_page, self.account_page
        values = clinic.values
        return ClinicSetup(
            clinic_name=values.get("clinic_name", clinic.clinic.text()),
            username=admin.username.text(),
            full_name=admin.full_name.text(),
            password=admin.password.text(),
            address=values.get("address", ""),
            phone=values.get("phone", ""),
            fax=values.get("fax", ""),
            logo_path=clinic.logo_path,
            targets=targets.targets,
            service_lines=targets.new_lines,
        )

    def finish(self) -> None:
        """Save everything on a worker, the wizard disabled and the cursor waiting meanwhile."""
        if self._busy:
            return
        data, db = self.collected(), self._db
        self._set_busy(True)

        def save(_context: TaskContext) -> SetupOutcome:
            return setup.finish_setup(db, data)

        self._runner.submit(save, on_done=self._saved, on_error=self._refused, owner=self)

    def _saved(self, outcome: SetupOutcome) -> None:
        self._set_busy(False)
        self.outcome = outcome
        for field in (self.account_page.password, self.account_page.repeat):
            field.clear()
        self.next_page.show_outcome(outcome)
        self.next()  # the account page's check now passes: on to "what next"

    def _refused(self, error: BaseException) -> None:
        self._set_busy(False)
        self.account_page.refused(error)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        if busy:
            # Disabled once the key press or click that asked for the save has been handled (a window
            # disabled inside its own key handler leaves that key press unhandled).
            QTimer.singleShot(0, self, self._follow_busy)
        else:
            self.setEnabled(True)
        if busy:
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        else:
            QApplication.restoreOverrideCursor()

    def _follow_busy(self) -> None:
        self.setEnabled(not self._busy)

    # -- ending ----------------------------------------------------------------------------------------------

    def chose(self, step: NextStep) -> None:
        """End the wizard with ``step`` (the demo was started, or what to open first)."""
        self.choice = step
        self.accept()

    def reject(self) -> None:
        if not self._busy:  # saving cannot be cancelled half-way
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self._busy:
            event.ignore()
            return
        super().closeEvent(event)
