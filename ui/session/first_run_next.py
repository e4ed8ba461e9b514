"""The first run's last page, "what next", and what each choice opens once the main window is up.

Three big buttons: import a spreadsheet (the main window, then its Import wizard), add a referral (the
main window, then New referral) and just open RefDesk. A referral needs a referring partner and a
service line: the New referral dialog picks both from lists and cannot create either, so with no
partner yet a small "Add a partner" dialog comes first (``AddPartnerDialog``, saving with
``catalog.create_partner``); with no service line, the button says where to add one.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCommandLinkButton,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from refdesk.domain.vocab import PartnerCategory
from refdesk.errors import ValidationError
from refdesk.services import catalog
from refdesk.services.actor import Actor
from refdesk.services.catalog import NewPartner
from refdesk.services.setup import SetupOutcome
from refdesk.storage import Database
from ui.errors import user_message
from ui.session.fields import FieldErrors
from ui.tasks import TaskContext, TaskRunner
from ui.widgets import named, plain_label
from ui.widgets.choices import ChoiceCombo

if TYPE_CHECKING:
    from ui.main_window import MainWindow

NO_LINE = "Needs a service line first: add one in Settings → Service lines, then New referral (Ctrl+N)."
NO_PARTNER = "Type a referral from a partner practice. You will add the referring partner first."
WITH_PARTNER = "Type a referral from a partner practice: the New referral form."


class NextStep(enum.Enum):
    """How the first run ended: the demo was started, or what to open first in the main window."""

    DEMO = "demo"
    IMPORT = "import"
    REFERRAL = "referral"
    OPEN = "open"


class WhatNextPage(QWizardPage):
    """What was saved (``firstRunSaved``; parts not saved in ``firstRunNotSaved``, each saying where to
    finish it) and three buttons: ``firstRunImport``, ``firstRunReferral``, ``firstRunOpen``.

    Signals:
        chosen(object): the ``NextStep`` the person chose.
    """

    chosen = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("firstRunNextPage")
        self.setTitle("Your clinic is set up")
        self.setSubTitle("What would you like to do first?")
        self.saved = plain_label("firstRunSaved")
        self.not_saved = plain_label("firstRunNotSaved")
        self.not_saved.setProperty("kind", "error")
        self.import_button = self._button(
            "firstRunImport",
            "&Import a spreadsheet",
            "Referrals or partners you keep in Excel or CSV: the import checks every row first.",
            NextStep.IMPORT,
        )
        self.referral_button = self._button(
            "firstRunReferral", "&Add a referral", NO_PARTNER, NextStep.REFERRAL
        )
        self.open_button = self._button(
            "firstRunOpen",
            "&Just open RefDesk",
            "Look around first: everything is in the menus.",
            NextStep.OPEN,
        )
        layout = QVBoxLayout(self)
        layout.addWidget(self.saved)
        layout.addWidget(self.not_saved)
        for button in (self.import_button, self.referral_button, self.open_button):
            layout.addWidget(button)
        layout.addStretch(1)

    def _button(self, name: str, text: str, description: str, step: NextStep) -> QCommandLinkButton:
        button = named(QCommandLinkButton(text, description), name)
        button.clicked.connect(lambda: self.chosen.emit(step))
        return button

    def show_outcome(self, outcome: SetupOutcome) -> None:
        """Say what was saved and what was not; offer "Add a referral" only when one can be saved."""
        self.saved.setText("Saved: " + ", ".join(outcome.saved) + ".")
        self.saved.show()
        self.not_saved.setText("\n".join(outcome.not_saved))
        self.not_saved.setVisible(bool(outcome.not_saved))
        self.referral_button.setEnabled(outcome.has_service_line)
        if not outcome.has_service_line:
            self.referral_button.setDescription(NO_LINE)
        else:
            self.referral_button.setDescription(WITH_PARTNER if outcome.has_partner else NO_PARTNER)

    def initializePage(self) -> None:  # noqa: N802 - Qt's name
        self.import_button.setFocus(Qt.FocusReason.OtherFocusReason)


class AddPartnerDialog(QDialog):
    """A partner's name (required), kind, phone and fax: enough for a first referral; the rest is on the
    Partners tab. Object names ``partnerName``, ``partnerCategory``, ``partnerPhone``, ``partnerFax``,
    ``partnerSave``; error labels ``fieldError`` (keys ``name``, ``phone``, ``fax``), others in
    ``partnerError``. Saved on the runner; the dialog accepts once it is, ``partner_id`` set."""

    def __init__(self, db: Database, actor: Actor, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db, self._actor, self._runner = db, actor, runner
        self._busy = False
        self.partner_id: int | None = None
        self.setObjectName("addPartnerDialog")
        self.setWindowTitle("Add a partner")
        self.name = named(QLineEdit(maxLength=200), "partnerName")
        self.category = named(
            ChoiceCombo([(kind, kind.label) for kind in PartnerCategory]), "partnerCategory"
        )
        self.phone = named(QLineEdit(maxLength=40), "partnerPhone")
        self.fax = named(QLineEdit(maxLength=40), "partnerFax")
        self.errors = FieldErrors()
        form = QFormLayout()
        self.errors.row(form, "Partner &name:", self.name, "name")
        self.errors.row(form, "&Kind:", self.category, "category")
        self.errors.row(form, "&Phone:", self.phone, "phone")
        self.errors.row(form, "Fa&x:", self.fax, "fax")
        self.other_error = plain_label("partnerError")
        self.other_error.setProperty("kind", "error")
        buttons = QDialogButtonBox()
        self.save_button = named(
            buttons.addButton("&Save partner", QDialogButtonBox.ButtonRole.AcceptRole), "partnerSave"
        )
        self.save_button.setDefault(True)
        self.save_button.setProperty("primary", True)  # styled (bold) before it is laid out: its text fits
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(
            plain_label(
                "partnerIntro",
                "Every referral comes from a partner practice. Add the first one here; its contacts and "
                "agreements are on the Partners tab.",
            )
        )
        layout.addLayout(form)
        layout.addWidget(self.other_error)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)
        self.name.setFocus(Qt.FocusReason.OtherFocusReason)

    def save(self) -> None:
        if self._busy:
            return
        value = self.category.value()
        data = NewPartner(
            name=self.name.text(),
            category=value if isinstance(value, PartnerCategory) else PartnerCategory.PRIMARY_CARE,
            phone=self.phone.text() or None,
            fax=self.fax.text() or None,
        )
        db, actor = self._db, self._actor
        self._busy = True
        self.save_button.setEnabled(False)

        def create(_context: TaskContext) -> int:
            return catalog.create_partner(db, actor, data)

        self._runner.submit(create, on_done=self._saved, on_error=self._refused, owner=self)

    def _saved(self, partner_id: int) -> None:
        self._busy = False
        self.partner_id = partner_id
        self.accept()

    def _refused(self, error: BaseException) -> None:
        self._busy = False
        self.save_button.setEnabled(True)
        self.other_error.hide()
        if isinstance(error, ValidationError):
            for message in self.errors.show(error.errors):
                self._say(message)
        else:
            self.errors.clear()
            self._say(user_message(error))

    def _say(self, message: str) -> None:
        self.other_error.setText(message)
        self.other_error.show()

    def reject(self) -> None:
        if not self._busy:
            super().reject()


def open_first(window: MainWindow, db: Database, step: NextStep, outcome: SetupOutcome | None) -> None:
    """Open what the person chose on the last page, over the main window just shown."""
    if step is NextStep.IMPORT:
        window.import_file()
    elif step is NextStep.REFERRAL:
        if outcome is not None and not outcome.has_partner:
            dialog = AddPartnerDialog(db, window.actor, window.runner, window)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.accepted.connect(window.queue.reload_choices)  # the queue's partner filter lists it
            dialog.accepted.connect(window.new_referral)
            dialog.open()
        else:
            window.new_referral()
