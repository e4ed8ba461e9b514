"""New referral (Ctrl+N): type a referral, see possible duplicates before it is saved, save it.

Every problem is shown inside the dialog, next to what caused it: field messages under their fields,
the duplicate choice in a panel, anything else in one line above the buttons. Nothing pops up, so the
desk can keep typing, and nothing is saved until every field is right.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from PySide6.QtCore import QSize, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from refdesk.domain.formats import referral_number
from refdesk.errors import ValidationError
from refdesk.services.actor import Actor
from refdesk.services.referrals import NewReferral, check_referral, create_referral, find_possible_duplicates
from refdesk.storage import Database
from ui.dialogs.duplicate_panel import DuplicatePanel
from ui.errors import user_message
from ui.referral_form import FormChoices, ReferralForm
from ui.widgets import enter_presses_focused_button, plain_label

#: Share of the screen the dialog may take at first (the form scrolls inside it when that is too little).
_SCREEN_SHARE = 0.9


@dataclass(frozen=True, slots=True)
class _Resolution:
    """How the user dealt with a set of possible duplicates; it holds while no new match appears."""

    seen: frozenset[int]
    link_id: int | None = None
    note: str | None = None

    def covers(self, ids: frozenset[int]) -> bool:
        return ids <= self.seen and (self.link_id is None or self.link_id in ids)


class NewReferralDialog(QDialog):
    """The referral form with Save (Ctrl+S, Ctrl+Enter) and Cancel (Esc).

    Enter alone never saves (it ends a field, or presses the focused button), so a half-typed referral
    is not saved by accident.

    Signals:
        referral_created(int): the new referral's id, once it is saved; the dialog then accepts.
        open_referral(int): the user chose to open an existing possible duplicate instead; nothing was
            saved and the dialog rejects.
    """

    referral_created = Signal(int)
    open_referral = Signal(int)

    def __init__(
        self,
        db: Database,
        actor: Actor,
        parent: QWidget | None = None,
        *,
        choices: FormChoices | None = None,
        initial: NewReferral | None = None,
    ) -> None:
        super().__init__(parent)
        self._db, self._actor = db, actor
        self._resolution: _Resolution | None = None
        self.setWindowTitle("New referral")
        self.setObjectName("newReferralDialog")

        self.form = ReferralForm(choices or FormChoices.load(db), initial)
        self._scroll = QScrollArea(widgetResizable=True)
        self._scroll.setObjectName("formScroll")
        self._scroll.setFrameShape(QFrame.Shape.NoFrame)
        self._scroll.setWidget(self.form)
        self.duplicates = DuplicatePanel()
        self.duplicates.open_requested.connect(self._open_existing)
        self.duplicates.link_requested.connect(self._link_and_save)
        self.duplicates.save_anyway_requested.connect(self._save_anyway)
        self._message = plain_label("dialogMessage")
        buttons = QDialogButtonBox()
        self.save_button = buttons.addButton("Save", QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setObjectName("save")
        self.save_button.setToolTip("Save the referral (Ctrl+S)")
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setObjectName("cancel")
        for button in (self.save_button, self.cancel_button):
            button.setAutoDefault(False)
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self._scroll, 1)
        layout.addWidget(self.duplicates)
        layout.addWidget(self._message)
        layout.addWidget(buttons)
        for keys in ("Ctrl+S", "Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self).activated.connect(self.save)
        self.resize(self._initial_size())
        self.form.focus_field("patient_first_name")

    def message(self) -> str:
        """The dialog-level message shown now ("" when none)."""
        return self._message.text() if self._message.isVisibleTo(self) else ""

    def save(self) -> None:
        """Check for duplicates (unless already dealt with), then save; stop at the first problem."""
        self._show_message("")
        try:
            data = self.form.values()
            check_referral(self._db, data)  # every missing field is said before any duplicate question
        except ValidationError as error:
            self._refused(error)
            return
        try:
            matches = find_possible_duplicates(
                self._db,
                first_name=data.patient_first_name,
                last_name=data.patient_last_name,
                dob=data.patient_dob,
                phone=data.phone,
                partner_id=data.partner_id,
            )
        except Exception as error:  # a bug or an unusable database: said in the dialog, never raised
            self._show_message(user_message(error))
            return
        ids = frozenset(match.referral_id for match in matches)
        if not ids:
            self._resolution = None
        elif self._resolution is None or not self._resolution.covers(ids):
            self._resolution = None
            self.duplicates.show_matches(matches)
            return
        self._create(data)

    def _create(self, data: NewReferral) -> None:
        resolution = self._resolution
        if resolution is not None and resolution.link_id is not None:
            data = replace(data, linked_referral_id=resolution.link_id)
        try:
            referral_id = create_referral(
                self._db, self._actor, data, note=resolution.note if resolution else None
            )
        except ValidationError as error:
            self._refused(error)
            return
        except Exception as error:  # see save(): the user reads a sentence, the log gets the traceback
            self._show_message(user_message(error))
            return
        self.referral_created.emit(referral_id)
        self.accept()

    def _refused(self, error: ValidationError) -> None:
        self.form.show_errors(error.errors)
        count = len(error.errors)
        self._show_message(
            "Please correct the marked field." if count == 1 else f"Please correct the {count} marked fields."
        )

    def _open_existing(self, referral_id: int) -> None:
        self.open_referral.emit(referral_id)
        self.reject()

    def _link_and_save(self, referral_id: int) -> None:
        seen = frozenset(match.referral_id for match in self.duplicates.matches)
        self._resolution = _Resolution(seen, link_id=referral_id)
        self.duplicates.set_choice(f"The new referral will be linked to {referral_number(referral_id)}.")
        self.save()

    def _save_anyway(self, reason: str) -> None:
        matches = self.duplicates.matches
        numbers = ", ".join(referral_number(match.referral_id) for match in matches)
        plural = "s" if len(matches) > 1 else ""
        note = f"Saved despite possible duplicate{plural} {numbers}: {reason}"
        self._resolution = _Resolution(frozenset(match.referral_id for match in matches), note=note)
        self.duplicates.set_choice("The new referral will be saved on its own, with your reason.")
        self.save()

    def _show_message(self, text: str) -> None:
        self._message.setText(text)
        self._message.setVisible(bool(text))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not enter_presses_focused_button(self, event):  # never the default button: see there
            super().keyPressEvent(event)

    def _initial_size(self) -> QSize:
        """Big enough for the whole form when the screen allows, never bigger than the screen."""
        frame = self.sizeHint() - self._scroll.sizeHint()
        bar = self._scroll.verticalScrollBar().sizeHint().width()
        wanted = self.form.sizeHint() + frame + QSize(bar, 0)
        screen = self.screen().availableGeometry().size()
        limit = QSize(int(screen.width() * _SCREEN_SHARE), int(screen.height() * _SCREEN_SHARE))
        return wanted.boundedTo(limit).expandedTo(self.minimumSizeHint())
