"""Settings → Letterhead: what the clinic prints at the top of its letters (name, address, phone, fax,
logo). Each field is saved when the user leaves it, like every other form in RefDesk; a value the
settings service refuses is shown under its field and not saved. The logo is read from the chosen file
once and kept in the database, so moving or deleting the file later changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from refdesk.errors import ValidationError
from refdesk.services import settings
from refdesk.services.actor import Actor
from refdesk.storage import Database
from ui.errors import user_message
from ui.tasks import TaskContext, TaskRunner
from ui.widgets import named, plain_label
from ui.widgets.bars import error_bar
from ui.widgets.text import PlainTextField

LOGO_PREVIEW = QSize(160, 80)


class LetterheadPage(QWidget):
    """The letterhead fields. Object names: ``letterheadName``, ``letterheadAddress``,
    ``letterheadPhone``, ``letterheadFax``, ``letterheadLogo`` (the chosen file's name, read-only) with
    ``letterheadChooseLogo`` and ``letterheadRemoveLogo``, ``letterheadLogoPreview``; each field's
    error label is ``fieldError`` (property ``key`` = the setting key). A failed read shows
    ``letterheadError`` with ``letterheadRetry``.

    Signals:
        saved(str): a field was saved; the setting key (``refdesk.services.settings.CLINIC_*``).
        loaded(): the stored values were read and shown.
    """

    saved = Signal(str)
    loaded = Signal()

    def __init__(self, db: Database, actor: Actor, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db, self._actor, self._runner = db, actor, runner
        self.setObjectName("letterheadPage")
        self._shown: dict[str, str] = {}
        self._logo: settings.StoredLogo | None = None
        self._logo_folder = ""
        self._errors: dict[str, QLabel] = {}

        self.name = named(QLineEdit(maxLength=120), "letterheadName")
        self.address = PlainTextField(lines=settings.MAX_ADDRESS_LINES)
        self.address.setObjectName("letterheadAddress")
        self.address.setPlaceholderText("12 River Road, Suite 300\nSpringfield, IL 62704")
        self.phone = named(QLineEdit(placeholderText="(555) 201-0000"), "letterheadPhone")
        self.fax = named(QLineEdit(placeholderText="(555) 201-0001"), "letterheadFax")
        self.logo = named(QLineEdit(readOnly=True, placeholderText="No logo"), "letterheadLogo")
        choose = named(QPushButton("Choose…"), "letterheadChooseLogo")
        choose.clicked.connect(self.choose_logo)
        remove = named(QPushButton("Remove"), "letterheadRemoveLogo")
        remove.clicked.connect(self.remove_logo)
        self.preview = named(QLabel(), "letterheadLogoPreview")
        self.preview.setFixedSize(LOGO_PREVIEW)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.bar, self.bar_label = error_bar(self, "letterhead", self.reload)
        intro = plain_label(
            "letterheadIntro",
            "Printed at the top of every letter to partners. Each field is saved when you leave it.",
        )
        form = QFormLayout()
        form.addRow("Clinic &name:", self._with_error(self.name, settings.CLINIC_NAME))
        form.addRow("&Address:", self._with_error(self.address, settings.CLINIC_ADDRESS))
        form.addRow("&Phone:", self._with_error(self.phone, settings.CLINIC_PHONE))
        form.addRow("Fa&x:", self._with_error(self.fax, settings.CLINIC_FAX))
        logo_row = QHBoxLayout()
        logo_row.addWidget(self.logo, 1)
        logo_row.addWidget(choose)
        logo_row.addWidget(remove)
        logo_box = QWidget()
        logo_layout = QVBoxLayout(logo_box)
        logo_layout.setContentsMargins(0, 0, 0, 0)
        logo_layout.addLayout(logo_row)
        logo_layout.addWidget(self.preview)
        form.addRow("&Logo:", self._with_error(logo_box, settings.CLINIC_LOGO))

        layout = QVBoxLayout(self)
        layout.addWidget(self.bar)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addStretch(1)

        self.name.editingFinished.connect(lambda: self._save(settings.CLINIC_NAME, self.name.text()))
        self.address.editingFinished.connect(
            lambda: self._save(settings.CLINIC_ADDRESS, self.address.toPlainText())
        )
        self.phone.editingFinished.connect(lambda: self._save(settings.CLINIC_PHONE, self.phone.text()))
        self.fax.editingFinished.connect(lambda: self._save(settings.CLINIC_FAX, self.fax.text()))
        self.reload()

    def _with_error(self, field: QWidget, key: str) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(field)
        error = plain_label("fieldError")
        error.setProperty("key", key)
        layout.addWidget(error)
        self._errors[key] = error
        box.setFocusProxy(field)
        return box

    # -- reading -------------------------------------------------------------------------------------

    def reload(self) -> None:
        db = self._db

        def read(_context: TaskContext) -> tuple[dict[str, str], settings.StoredLogo | None]:
            head = settings.letterhead(db)
            values = {
                settings.CLINIC_NAME: head.clinic_name,
                settings.CLINIC_ADDRESS: "\n".join(head.address_lines),
                settings.CLINIC_PHONE: head.phone or "",
                settings.CLINIC_FAX: head.fax or "",
            }
            return values, settings.stored_logo(db)

        self._runner.submit(read, on_done=self._show_all, on_error=self._read_failed, owner=self)

    def _show_all(self, stored: tuple[dict[str, str], settings.StoredLogo | None]) -> None:
        values, logo = stored
        self.bar.hide()
        for key, value in values.items():
            self._show(key, value)
        self._show_logo(logo)
        self.loaded.emit()

    def _read_failed(self, error: BaseException) -> None:
        self.bar_label.setText(user_message(error))
        self.bar.show()

    def _show(self, key: str, value: str) -> None:
        self._shown[key] = value
        if key == settings.CLINIC_NAME:
            self.name.setText(value)
        elif key == settings.CLINIC_ADDRESS:
            self.address.set_text(value)
        elif key == settings.CLINIC_PHONE:
            self.phone.setText(value)
        elif key == settings.CLINIC_FAX:
            self.fax.setText(value)

    def _show_logo(self, logo: settings.StoredLogo | None) -> None:
        """Show the stored logo: its file's name, and the image itself (not the file, which may be gone)."""
        self._logo = logo
        self.logo.setText(logo.file_name if logo else "")
        pixmap = QPixmap()
        if logo is None:
            self.preview.setPixmap(pixmap)
            self.preview.setText("")
        elif not pixmap.loadFromData(logo.data):
            self.preview.setPixmap(QPixmap())
            self.preview.setText("The logo cannot be shown here")
        else:
            self.preview.setText("")
            self.preview.setPixmap(
                pixmap.scaled(
                    LOGO_PREVIEW,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )

    # -- saving --------------------------------------------------------------------------------------

    def choose_logo(self) -> None:
        """Pick a logo file; the settings service reads and checks it, and keeps the image itself."""
        chosen, _filter = QFileDialog.getOpenFileName(
            self, "Choose the clinic's logo", self._logo_folder, "Images (*.png *.jpg *.jpeg *.gif)"
        )
        if chosen:
            self._logo_folder = str(Path(chosen).parent)
            self._save_logo(chosen)

    def remove_logo(self) -> None:
        if self._logo is None and not self._errors[settings.CLINIC_LOGO].text():
            return
        self._save_logo(None)

    def _save_logo(self, path: str | None) -> None:
        db, actor = self._db, self._actor

        def save(_context: TaskContext) -> settings.StoredLogo | None:
            return settings.save_logo(db, actor, path)

        def done(stored: settings.StoredLogo | None) -> None:
            self._set_error(settings.CLINIC_LOGO, "")
            self._show_logo(stored)
            self.saved.emit(settings.CLINIC_LOGO)

        self._runner.submit(save, on_done=done, on_error=self._failed(settings.CLINIC_LOGO), owner=self)

    def _save(self, key: str, value: str) -> None:
        if value == self._shown.get(key, None) and not self._errors[key].text():
            return
        db, actor = self._db, self._actor

        def save(_context: TaskContext) -> str | None:
            return settings.save_letterhead_field(db, actor, key, value)

        def done(stored: str | None) -> None:
            self._set_error(key, "")
            self._show(key, stored or "")
            self.saved.emit(key)

        self._runner.submit(save, on_done=done, on_error=self._failed(key), owner=self)

    def _failed(self, key: str) -> Callable[[BaseException], None]:
        def failed(error: BaseException) -> None:
            if isinstance(error, ValidationError):
                self._set_error(key, error.errors.get(key, str(error)))
            else:
                self._set_error(key, user_message(error))

        return failed

    def _set_error(self, key: str, text: str) -> None:
        label = self._errors[key]
        label.setText(text)
        label.setVisible(bool(text))

    def error_text(self, key: str) -> str:
        """The message shown under ``key``'s field ("" when none)."""
        return self._errors[key].text()


class LetterheadDialog(QDialog):
    """The letterhead page in a small dialog with a Close button (fields save themselves).

    Object name ``letterheadDialog``; the page is ``page``. Signals: those of QDialog.
    """

    def __init__(self, db: Database, actor: Actor, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("letterheadDialog")
        self.setWindowTitle("Letterhead")
        self.page = LetterheadPage(db, actor, runner, self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.page)
        layout.addWidget(buttons)
        self.resize(560, 420)
