"""The header of the detail view: whose referral this is and where it stands, readable at a glance.

Everything in it comes from the referral row (and its partner, service line and owner, loaded with it):
opening a referral reads no more than that for the header.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from refdesk.domain import lifecycle, next_action
from refdesk.domain.formats import referral_number
from refdesk.domain.models import Referral
from refdesk.domain.times import local_today, utc_now
from refdesk.domain.vocab import Urgency
from ui.detail.bars import local_time, set_style_property
from ui.widgets import plain_label

NOTHING = "—"


def age_on(born: date, today: date) -> int:
    """Completed years: someone born on 2 April is a year older from 2 April on."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class DetailHeader(QFrame):
    """Referral number, patient, date of birth and age, phone, partner, service line, urgency, state,
    owner, and the next action with its due time in local time.

    Object name ``detailHeader``. Styling hooks: ``stateBadge`` (properties ``state`` = the state's value
    and ``open`` = bool), ``urgencyMarker`` (property ``urgency``; hidden for routine referrals) and
    ``nextAction`` (property ``overdue`` = bool). Value labels: ``referralNumber``, ``patientName``,
    ``patientDob``, ``patientPhone``, ``partnerName``, ``serviceLineName``, ``urgencyText``,
    ``ownerName``. No signals.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detailHeader")
        self.number = plain_label("referralNumber", hide_empty=False, wrap=False, selectable=True)
        self.name = plain_label("patientName", hide_empty=False, selectable=True)
        self.name.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.urgency_marker = plain_label("urgencyMarker", hide_empty=False, wrap=False, selectable=True)
        self.state_badge = plain_label("stateBadge", hide_empty=False, wrap=False, selectable=True)
        top = QHBoxLayout()
        top.addWidget(self.number)
        top.addWidget(self.name, 1)
        top.addWidget(self.urgency_marker)
        top.addWidget(self.state_badge)

        self.dob = plain_label("patientDob", hide_empty=False, selectable=True)
        self.phone = plain_label("patientPhone", hide_empty=False, selectable=True)
        self.partner = plain_label("partnerName", hide_empty=False, selectable=True)
        self.service_line = plain_label("serviceLineName", hide_empty=False, selectable=True)
        self.urgency = plain_label("urgencyText", hide_empty=False, selectable=True)
        self.owner = plain_label("ownerName", hide_empty=False, selectable=True)
        self.next_action = plain_label("nextAction", hide_empty=False, selectable=True)
        facts = QGridLayout()
        pairs = [
            ("Born", self.dob),
            ("Phone", self.phone),
            ("Partner", self.partner),
            ("Service line", self.service_line),
            ("Urgency", self.urgency),
            ("Owner", self.owner),
        ]
        # Two pairs to a row keeps the header short on a 720-pixel screen; the values wrap when narrow.
        for index, (caption, value) in enumerate(pairs):
            row, column = divmod(index, 2)
            caption_label = QLabel(caption + ":")
            caption_label.setBuddy(value)
            facts.addWidget(caption_label, row, column * 2)
            facts.addWidget(value, row, column * 2 + 1)
        facts.addWidget(QLabel("Next:"), len(pairs) // 2, 0)
        facts.addWidget(self.next_action, len(pairs) // 2, 1, 1, 3)
        facts.setColumnStretch(1, 1)
        facts.setColumnStretch(3, 1)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(facts)
        self.clear()

    def clear(self) -> None:
        for label in (self.number, self.dob, self.phone, self.partner, self.service_line, self.urgency):
            label.setText(NOTHING)
        self.owner.setText(NOTHING)
        self.name.setText("No referral open")
        self.next_action.setText(NOTHING)
        self.state_badge.clear()
        self.state_badge.hide()
        self.urgency_marker.hide()

    def show_referral(self, referral: Referral) -> None:
        """Fill in from ``referral``; its partner, service line and owner must be loaded."""
        self.number.setText(referral_number(referral.id))
        self.name.setText(referral.patient_name)
        self.dob.setText(
            f"{referral.patient_dob:%d %b %Y} (age {age_on(referral.patient_dob, local_today())})"
        )
        self.phone.setText(referral.phone + (f"; alt. {referral.phone_alt}" if referral.phone_alt else ""))
        self.partner.setText(referral.partner.name)
        self.service_line.setText(referral.service_line.name)
        self.urgency.setText(referral.urgency.label)
        self.owner.setText(referral.owner.full_name if referral.owner else "Unassigned")

        self.state_badge.setText(lifecycle.LABELS[referral.state])
        set_style_property(self.state_badge, "state", referral.state.value)
        set_style_property(self.state_badge, "open", lifecycle.is_open(referral.state))
        self.state_badge.show()
        urgent = referral.urgency is not Urgency.ROUTINE
        self.urgency_marker.setText(referral.urgency.label.upper() if urgent else "")
        set_style_property(self.urgency_marker, "urgency", referral.urgency.value)
        self.urgency_marker.setVisible(urgent)

        action, due_at = referral.next_action, referral.next_action_at
        if action is None or due_at is None:
            self.next_action.setText("Nothing: the referral is finished.")
            set_style_property(self.next_action, "overdue", False)
        else:
            overdue = due_at < utc_now()
            late = " (overdue)" if overdue else ""
            self.next_action.setText(f"{next_action.LABELS[action]} · due {local_time(due_at)}{late}")
            set_style_property(self.next_action, "overdue", overdue)
