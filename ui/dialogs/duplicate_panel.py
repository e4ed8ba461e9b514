"""The possible-duplicate panel of the New referral dialog: the matches, and what to do about them.

A second referral for the same patient is common (a partner faxes twice, a patient calls after the fax)
and creating it blindly splits the patient's history, so the desk sees the matches before saving. Names
come from the outside world (faxes, portals), so every text here is shown as plain text, never markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from refdesk.domain.formats import referral_number
from refdesk.domain.lifecycle import LABELS as STATE_LABELS
from refdesk.services.referrals import PossibleDuplicate
from ui.widgets import plain_label
from ui.widgets.dates import format_date, format_datetime

#: How many text lines of matches show before the list scrolls (in lines, so it scales with the font).
_VISIBLE_LINES = 9


def describe(match: PossibleDuplicate) -> str:
    """One line about a match, with only what tells two patients apart."""
    return (
        f"Born {format_date(match.patient_dob)} · {match.partner_name} · "
        f"received {format_datetime(match.received_at)} · {STATE_LABELS[match.state]}"
    )


class _FittingScrollArea(QScrollArea):
    """As tall as its wrapped rows at the width it has, up to its maximum height; then it scrolls.

    QScrollArea's own hint guesses the height of word-wrapped labels at some other width, which leaves
    blank lines under the matches at large font sizes.
    """

    def __init__(self) -> None:
        super().__init__()
        self._fitted_height = -1
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

    def sizeHint(self) -> QSize:
        inner = self.widget()
        hint = super().sizeHint()
        if inner is None:
            return hint
        width = self.viewport().width()
        height = inner.heightForWidth(width) if inner.hasHeightForWidth() else -1
        height = height if height >= 0 else inner.sizeHint().height()
        return QSize(hint.width(), min(height + 2 * self.frameWidth(), self.maximumHeight()))

    def minimumSizeHint(self) -> QSize:
        # QAbstractScrollArea asks for room for both scroll bars even when one short match fits
        minimum = super().minimumSizeHint()
        return QSize(minimum.width(), min(minimum.height(), self.sizeHint().height()))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        height = self.sizeHint().height()
        if height != self._fitted_height:  # only when the wrapping changed: no layout loop
            self._fitted_height = height
            self.updateGeometry()


class DuplicatePanel(QFrame):
    """Lists possible duplicates, each with Open existing and Link and save, and offers Save anyway
    with a required reason.

    Signals:
        open_requested(int): open this existing referral instead of saving a new one.
        link_requested(int): save the new referral linked to this one.
        save_anyway_requested(str): save without linking; the argument is the reason typed (never empty).
    """

    open_requested = Signal(int)
    link_requested = Signal(int)
    save_anyway_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("duplicatePanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Possible duplicates")
        layout = QVBoxLayout(self)
        self._title = plain_label("duplicateTitle", selectable=True)
        layout.addWidget(self._title)
        self._list = QWidget()
        self._list_layout = QVBoxLayout(self._list)
        self._list_layout.setContentsMargins(0, 0, 0, 0)
        self._list_layout.addStretch(1)  # rows stay together at the top when there is room to spare
        self._scroll = _FittingScrollArea()
        self._scroll.setWidgetResizable(True)
        self._scroll.setObjectName("duplicateMatches")
        self._scroll.setFrameShape(QFrame.Shape.NoFrame)
        self._scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._scroll.setWidget(self._list)
        layout.addWidget(self._scroll)

        anyway = QHBoxLayout()
        self.reason = QLineEdit(placeholderText="Why is this not a duplicate?")
        self.reason.setObjectName("duplicateReason")
        self.reason.setAccessibleName("Reason for saving anyway")
        self.reason.returnPressed.connect(self._save_anyway)
        self.save_anyway_button = QPushButton("Save anyway")
        self.save_anyway_button.setObjectName("saveAnyway")
        self.save_anyway_button.clicked.connect(self._save_anyway)
        anyway.addWidget(self.reason, 1)
        anyway.addWidget(self.save_anyway_button)
        layout.addLayout(anyway)
        self.reason_error = plain_label("fieldError", selectable=True)
        layout.addWidget(self.reason_error)
        self._choice = plain_label("duplicateChoice", selectable=True)
        layout.addWidget(self._choice)
        self._matches: list[PossibleDuplicate] = []
        #: each match's row and its Open existing button
        self._rows: list[tuple[QFrame, QPushButton]] = []
        self.hide()

    @property
    def matches(self) -> list[PossibleDuplicate]:
        return list(self._matches)

    def show_matches(self, matches: Sequence[PossibleDuplicate]) -> None:
        """Replace the list, forget any earlier choice, show the panel and put the cursor on it."""
        self._matches = list(matches)
        for row, _ in self._rows:  # deleted later: the button being clicked may be one of them
            row.hide()
            row.deleteLater()
        self._rows = [self._match_row(match) for match in self._matches]
        for position, (row, _) in enumerate(self._rows):
            self._list_layout.insertWidget(position, row)
        count = len(self._matches)
        self._title.setText(
            "This patient may already have a referral. Open it, link the new one to it, or save anyway."
            if count == 1
            else f"This patient may already have {count} referrals. Open one, link to one, or save anyway."
        )
        self._title.show()
        self.reason_error.hide()
        self.set_choice(None)
        line = self.fontMetrics().lineSpacing()
        self._scroll.setMaximumHeight(line * _VISIBLE_LINES)
        self.show()
        if self._rows:
            self._rows[0][1].setFocus(Qt.FocusReason.OtherFocusReason)

    def set_choice(self, text: str | None) -> None:
        """Say what the user chose, for when saving then stops on a field to correct."""
        self._choice.setText(text or "")
        self._choice.setVisible(bool(text))

    def _match_row(self, match: PossibleDuplicate) -> tuple[QFrame, QPushButton]:
        row = QFrame()
        row.setObjectName("duplicateMatch")
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        number = referral_number(match.referral_id)
        text = QVBoxLayout()
        text.setSpacing(0)
        text.addWidget(plain_label("matchName", f"{number}  {match.patient_name}", selectable=True))
        text.addWidget(plain_label("matchDetails", describe(match), selectable=True))
        text.addWidget(plain_label("matchWhy", f"Matched on {match.why}", selectable=True))
        layout.addLayout(text, 1)
        open_button = QPushButton("Open existing")
        open_button.setObjectName("openExisting")
        open_button.setAccessibleName(f"Open existing referral {number}")
        open_button.clicked.connect(partial(self.open_requested.emit, match.referral_id))
        link_button = QPushButton("Link and save")
        link_button.setObjectName("linkAndSave")
        link_button.setAccessibleName(f"Link to {number} and save")
        link_button.clicked.connect(partial(self.link_requested.emit, match.referral_id))
        for button in (open_button, link_button):
            button.setAutoDefault(False)
            layout.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
        return row, open_button

    def _save_anyway(self, *_: object) -> None:
        reason = " ".join(self.reason.text().split())
        if not reason:
            self.reason_error.setText("Type why this is not a duplicate, then save anyway.")
            self.reason_error.show()
            self.reason.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        self.reason_error.hide()
        self.save_anyway_requested.emit(reason)
