"""The audit viewer's filter bar: who, which patient, what, from and to which day, failures only.

Each change applies at once (the patient field after a short pause in typing, or Enter); a date that
is not a real date is said under the bar and nothing is applied until it is fixed. The bar only builds an
``AuditFilter``; the dialog reads the log with it.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QGridLayout, QLabel, QLineEdit, QWidget

from refdesk.services.audit_log import ACTIONS, AuditFilter
from ui.widgets import named, plain_label
from ui.widgets.choices import ChoiceCombo
from ui.widgets.dates import DateLineEdit, InputError

#: Typing in the patient field applies the filter after this pause (a search per key would be wasted).
TYPING_PAUSE_MS = 400
ANYONE = "Anyone"
ANY_ACTION = "Any action"

#: Families of actions, offered above the single actions ("referral." matches every referral action).
FAMILIES = (
    ("referral.", "All referral actions"),
    ("appointment.", "All appointment actions"),
    ("auth.", "Sign-ins and sign-outs"),
    ("staff.", "All staff account changes"),
    ("audit.", "All audit log actions"),
)


def action_choices() -> list[tuple[str | None, str]]:
    singles = sorted(ACTIONS.items(), key=lambda item: item[1].casefold())
    return [(None, ANY_ACTION), *FAMILIES, *singles]


class AuditFilterBar(QWidget):
    """Person, Patient, Action, From, To, Failures only.

    Object names: ``auditPerson``, ``auditPatient``, ``auditAction``, ``auditFrom``, ``auditTo``,
    ``auditFailures``, ``auditFilterError``.

    Signals:
        filter_changed(object): the ``AuditFilter`` now asked for.
    """

    filter_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.person = named(ChoiceCombo([(None, ANYONE)]), "auditPerson")
        self.patient = named(QLineEdit(), "auditPatient")
        self.patient.setPlaceholderText("name, phone, date of birth or R-number")
        self.patient.setClearButtonEnabled(True)
        self.action = named(ChoiceCombo(action_choices()), "auditAction")
        self.date_from = named(DateLineEdit(), "auditFrom")
        self.date_to = named(DateLineEdit(), "auditTo")
        self.failures = named(QCheckBox("Fai&lures only"), "auditFailures")
        self.error = plain_label("auditFilterError")
        self._typing = QTimer(self, singleShot=True, interval=TYPING_PAUSE_MS)
        self._typing.timeout.connect(self.apply)
        self._applied: AuditFilter | None = None

        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        for column, (text, field) in enumerate(
            (("P&erson", self.person), ("Pa&tient", self.patient), ("&Action", self.action))
        ):
            label = QLabel(text)
            label.setBuddy(field)
            grid.addWidget(label, 0, column)
            grid.addWidget(field, 1, column)
        for column, (text, field) in enumerate((("&From", self.date_from), ("T&o", self.date_to)), start=3):
            label = QLabel(text)
            label.setBuddy(field)
            grid.addWidget(label, 0, column)
            grid.addWidget(field, 1, column)
        grid.addWidget(self.failures, 1, 5)
        grid.addWidget(self.error, 2, 0, 1, 6)
        grid.setColumnStretch(1, 2)
        grid.setColumnStretch(2, 2)

        self.person.activated.connect(lambda _index: self.apply())
        self.action.activated.connect(lambda _index: self.apply())
        self.failures.toggled.connect(lambda _checked: self.apply())
        self.date_from.editingFinished.connect(self.apply)
        self.date_to.editingFinished.connect(self.apply)
        self.patient.textEdited.connect(lambda _text: self._typing.start())
        self.patient.returnPressed.connect(self.apply)

    def set_people(self, people: list[tuple[int, str]]) -> None:
        """The staff to pick from (id, name), everyone who ever had an account."""
        chosen = self.person.value()
        self.person.set_choices([(None, ANYONE), *people])
        self.person.set_value(chosen)

    def current(self) -> AuditFilter:
        """The filter the fields say. Raises InputError when a date is not a real date."""
        person = self.person.value()
        action = self.action.value()
        patient = self.patient.text().strip()
        return AuditFilter(
            staff_id=person if isinstance(person, int) else None,
            patient=patient or None,
            action=action if isinstance(action, str) else None,
            date_from=self.date_from.value(),
            date_to=self.date_to.value(),
            failures_only=self.failures.isChecked(),
        )

    def apply(self) -> None:
        """Announce the filter if it is valid and changed; say what is wrong otherwise."""
        self._typing.stop()
        try:
            wanted = self.current()
        except InputError as error:
            self.error.setText(str(error))
            self.error.show()
            return
        if wanted.date_from and wanted.date_to and wanted.date_from > wanted.date_to:
            self.error.setText("The From day is after the To day.")
            self.error.show()
            return
        self.error.clear()
        self.error.hide()
        if wanted != self._applied:
            self._applied = wanted
            self.filter_changed.emit(wanted)
