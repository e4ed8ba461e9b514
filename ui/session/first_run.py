"""First run: the clinic's name and its first administrator, before anything else can be done.

A new database has no accounts, and nobody may work in it unsigned (reliability promise 11): the person
installing RefDesk names the clinic and makes their own administrator account, with which they then add
everyone else (Settings → Staff). It is a wizard so that later steps (the letterhead, what to do next)
can follow as pages of their own; the account is made when its page is left, so those later pages act
as the new administrator.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFormLayout, QLineEdit, QVBoxLayout, QWidget, QWizard, QWizardPage

from refdesk import APP_NAME
from refdesk.errors import ValidationError
from refdesk.services import accounts
from refdesk.services.actor import Actor
from refdesk.storage import Database
from ui.errors import user_message
from ui.session.fields import FieldErrors, password_field
from ui.widgets import named, plain_label


class ClinicAccountPage(QWizardPage):
    """Clinic name, the administrator's name, user name and password (twice). Object names:
    ``firstRunClinic``, ``firstRunFullName``, ``firstRunUser``, ``firstRunPassword``, ``firstRunRepeat``;
    each error label is ``fieldError`` with property ``key`` (``clinic_name``, ``full_name``,
    ``username``, ``password``, ``repeat``); other refusals go to ``firstRunError``."""

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self.actor: Actor | None = None
        self.setObjectName("firstRunAccountPage")
        self.setTitle(f"Welcome to {APP_NAME}")
        self.setSubTitle(
            "Name your clinic and make your own administrator account. You will add the rest of the "
            "staff, each with their own sign-in, from Settings → Staff."
        )
        self.clinic = named(QLineEdit(maxLength=120), "firstRunClinic")
        self.full_name = named(QLineEdit(maxLength=120), "firstRunFullName")
        self.username = named(QLineEdit(maxLength=64), "firstRunUser")
        self.password = password_field("firstRunPassword")
        self.repeat = password_field("firstRunRepeat")
        self.errors = FieldErrors()
        form = QFormLayout()
        self.errors.row(form, "&Clinic name:", self.clinic, "clinic_name")
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
        self.clinic.setFocus(Qt.FocusReason.OtherFocusReason)

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        """Make the account; a refusal is shown under its field and the page stays."""
        if self.actor is not None:
            return True  # made already (the user came back to this page)
        self.other_error.hide()
        if self.password.text() != self.repeat.text():
            self.errors.show({"repeat": "The two passwords differ; type the same password twice."})
            self.repeat.clear()
            return False
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)  # one Argon2 hash, once ever
        try:
            self.actor = accounts.set_up_clinic(
                self._db,
                clinic_name=self.clinic.text(),
                username=self.username.text(),
                full_name=self.full_name.text(),
                password=self.password.text(),
            )
        except ValidationError as error:
            for message in self.errors.show(error.errors):
                self._other(message)
            return False
        except Exception as error:  # noqa: BLE001 - said in plain words, a bug logged by user_message
            self.errors.clear()
            self._other(user_message(error))
            return False
        finally:
            QApplication.restoreOverrideCursor()
        self.password.clear()
        self.repeat.clear()
        return True

    def _other(self, message: str) -> None:
        self.other_error.setText(message)
        self.other_error.show()


class FirstRunWizard(QWizard):
    """The first run's steps; ``actor`` is the new administrator once the account page is done.

    Enter on the last field finishes (the Finish button is the default), Escape cancels; cancelling
    before the account is made leaves the database as it was.
    """

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("firstRunWizard")
        self.setWindowTitle(f"Set up {APP_NAME}")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)  # the same on every platform
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setButtonText(QWizard.WizardButton.FinishButton, f"&Start {APP_NAME}")
        self.account_page = ClinicAccountPage(db)
        self.addPage(self.account_page)
        self.setMinimumWidth(520)

    @property
    def actor(self) -> Actor | None:
        return self.account_page.actor
