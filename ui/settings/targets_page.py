"""Settings → Response targets: the targets a new service line starts with.

Each service line keeps its own targets (Settings → Service lines); these are only where a new one
starts. Each field is saved when the user leaves it; a refusal (out of range, first contact before the
acknowledgement) is shown under the field. Front desk sees the values read-only.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QVBoxLayout, QWidget

from refdesk.domain.calendar import DEFAULT_HOURS, BusinessHours
from refdesk.domain.next_action import Targets
from refdesk.errors import ValidationError
from refdesk.services import service_lines
from refdesk.services.actor import Actor
from refdesk.storage import Database
from ui.errors import user_message
from ui.partners.fields import FieldSet
from ui.tasks import TaskContext, TaskRunner
from ui.widgets import plain_label
from ui.widgets.text import CountLineEdit

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
READ_ONLY_NOTE = "Only an administrator or a coordinator can change these."
APPLIES_NOTE = (
    "Referrals keep the acknowledgement and first contact deadlines they were given when they were "
    "received: a changed target applies to referrals received afterwards. A changed number of attempts "
    "counts from the next attempt logged."
)


def describe_hours(hours: BusinessHours = DEFAULT_HOURS) -> str:
    """A sentence on how targets are counted, from the clinic's business hours."""
    days = sorted(hours.weekdays)
    if days and days == list(range(days[0], days[-1] + 1)) and len(days) > 2:
        day_text = f"{DAY_NAMES[days[0]]} to {DAY_NAMES[days[-1]]}"
    else:
        day_text = ", ".join(DAY_NAMES[day] for day in days) or "no day"
    span = (hours.closes.hour * 60 + hours.closes.minute) - (hours.opens.hour * 60 + hours.opens.minute)
    per_day = f"{span // 60} hours" if span % 60 == 0 else f"{span / 60:.1f} hours"
    return (
        f"Targets count business hours, not clock hours: {day_text}, {hours.opens:%H:%M} to "
        f"{hours.closes:%H:%M} ({per_day} a day). A referral that arrives after closing starts its clock "
        "when the clinic opens again."
    )


def targets_values(targets: Targets) -> dict[str, Any]:
    return {
        "ack_hours": targets.ack_hours,
        "first_contact_hours": targets.first_contact_hours,
        "max_attempts": targets.max_attempts,
    }


class TargetsPage(QWidget):
    """The default targets. Fields by object name: ``ack_hours``, ``first_contact_hours``,
    ``max_attempts`` (each with its ``fieldError`` label under it); ``targetsNote`` (read-only note),
    ``targetsStatus`` (a read that failed).

    Signals:
        saved(str): a field was saved; its name.
        loaded(): the stored values are shown.
    """

    saved = Signal(str)
    loaded = Signal()

    def __init__(self, db: Database, actor: Actor, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("targetsPage")
        self._db, self._actor, self._runner = db, actor, runner
        self.editable = service_lines.can_change_settings(actor)

        self.fields = FieldSet(self)
        form = QFormLayout()
        for name, label, digits in (
            ("ack_hours", "&Acknowledge within (business hours):", 3),
            ("first_contact_hours", "&First contact within (business hours):", 3),
            ("max_attempts", "Contact a&ttempts before offering to close:", 2),
        ):
            field = CountLineEdit(digits)
            field.setReadOnly(not self.editable)
            field.setMaximumWidth(field.fontMetrics().averageCharWidth() * 10)
            box = self.fields.add(name, field, label.replace("&", "").rstrip(":"))
            box.setFocusProxy(field)
            form.addRow(label, box)
        self.fields.edited.connect(self._save)

        intro = plain_label(
            "targetsIntro",
            "The targets a new service line starts with. Each service line keeps its own targets: change "
            "them on the Service lines page. Each field is saved when you leave it.",
        )
        self.note = plain_label("targetsNote", "" if self.editable else READ_ONLY_NOTE)
        self.status = plain_label("targetsStatus")
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.note)
        layout.addLayout(form)
        layout.addWidget(plain_label("targetsHours", describe_hours()))
        layout.addWidget(plain_label("targetsApplies", APPLIES_NOTE))
        layout.addWidget(self.status)
        layout.addStretch(1)
        self.reload()

    def reload(self) -> None:
        db = self._db

        def done(targets: Targets) -> None:
            self.status.hide()
            self.fields.set_values(targets_values(targets))
            self.loaded.emit()

        self._runner.submit(
            lambda _context: service_lines.default_targets(db),
            on_done=done,
            on_error=self._failed,
            owner=self,
        )

    def _save(self, name: str, value: Any) -> None:
        db, actor = self._db, self._actor

        def save(_context: TaskContext) -> Targets:
            return service_lines.set_default_targets(db, actor, {name: value})

        def done(targets: Targets) -> None:
            self.fields.saved(name, targets_values(targets)[name], value)
            self.saved.emit(name)

        def failed(error: BaseException) -> None:
            if isinstance(error, ValidationError):
                self.fields.set_error(name, error.errors.get(name) or " ".join(error.errors.values()))
            else:
                self.fields.set_error(name, user_message(error))

        self._runner.submit(save, on_done=done, on_error=failed, owner=self)

    def _failed(self, error: BaseException) -> None:
        self.status.setText(user_message(error))
        self.status.show()
