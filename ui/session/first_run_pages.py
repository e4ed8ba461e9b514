"""The first run's clinic pages: the letterhead every letter prints on, and the response targets with
the clinic's service lines.

Why not the Settings pages themselves (``ui.dialogs.letterhead.LetterheadPage``,
``ui.settings.targets_page.TargetsPage``, ``ui.settings.lines_page.ServiceLinesPage``): those save each
field as it is left, as the signed-in person. During the first run nobody is signed in yet (the
administrator is made at the end), and nothing may be saved before the end. So these pages hold their
values, check them with the same rules when Next is pressed (``refdesk.services.setup``), and the
wizard saves everything at Finish. What can be shared is shared: the fields' widgets, labels and
limits, the business-hours sentence, the logo check (``settings.read_logo_file``) and its preview.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from refdesk.domain.next_action import Targets
from refdesk.errors import ValidationError
from refdesk.services import settings, setup
from refdesk.services.setup import SetupStart
from ui.dialogs.letterhead import LOGO_PREVIEW
from ui.errors import user_message
from ui.session.fields import FieldErrors
from ui.settings.targets_page import describe_hours
from ui.tasks import TaskContext, TaskRunner
from ui.widgets import named, plain_label
from ui.widgets.text import CountLineEdit, PlainTextField

LINES_NOTE = (
    "At least one service line is needed before a referral can be added. Add their details (criteria, "
    "required records, targets of their own) later in Settings → Service lines."
)
LINE_PLACEHOLDER = "e.g. Physical therapy, Behavioral health intake"


def _fill(field: QLineEdit | PlainTextField, text: str) -> None:
    """Show a stored value, unless the person has typed in the field already (theirs wins)."""
    if isinstance(field, PlainTextField):
        if not field.toPlainText():
            field.set_text(text)
    elif not field.isModified():
        field.setText(text)


class ClinicPage(QWizardPage):
    """Clinic name (required), address, phone, fax and logo: the letterhead. Object names:
    ``firstRunClinic``, ``firstRunAddress``, ``firstRunPhone``, ``firstRunFax``, ``firstRunLogo`` (the
    chosen file's name) with ``firstRunChooseLogo``, ``firstRunRemoveLogo`` and ``firstRunLogoPreview``;
    error labels ``fieldError`` with property ``key`` (``clinic_name``, ``address``, ``phone``, ``fax``,
    ``logo``). ``values`` is what Next accepted (phone numbers formatted); ``logo_path`` the checked logo.
    """

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self.setObjectName("firstRunClinicPage")
        self.setTitle("Your clinic")
        self.setSubTitle(
            "The letterhead every letter to partners prints on. Only the name is needed now; the rest "
            "can be added later in Settings → Clinic and letterhead."
        )
        self.values: dict[str, str] = {}
        self.logo_path: str | None = None
        self._logo_folder = ""
        self._reading_logo = False
        self.clinic = named(QLineEdit(maxLength=120), "firstRunClinic")
        self.address = PlainTextField(lines=settings.MAX_ADDRESS_LINES)
        self.address.setObjectName("firstRunAddress")
        self.address.setPlaceholderText("12 River Road, Suite 300\nSpringfield, IL 62704")
        self.phone = named(QLineEdit(placeholderText="(555) 201-0000", maxLength=40), "firstRunPhone")
        self.fax = named(QLineEdit(placeholderText="(555) 201-0001", maxLength=40), "firstRunFax")
        self.logo = named(QLineEdit(readOnly=True, placeholderText="No logo"), "firstRunLogo")
        self.logo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.choose = named(QPushButton("C&hoose logo…"), "firstRunChooseLogo")
        self.choose.setAutoDefault(False)
        self.choose.clicked.connect(self.choose_logo)
        self.remove = named(QPushButton("Re&move logo"), "firstRunRemoveLogo")
        self.remove.setAutoDefault(False)
        self.remove.clicked.connect(self.remove_logo)
        self.preview = named(QLabel(), "firstRunLogoPreview")
        self.preview.setFixedSize(LOGO_PREVIEW)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        logo_box = QWidget()
        logo_layout = QVBoxLayout(logo_box)
        logo_layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(self.logo, 1)
        row.addWidget(self.choose)
        row.addWidget(self.remove)
        logo_layout.addLayout(row)
        logo_layout.addWidget(self.preview)

        self.errors = FieldErrors()
        form = QFormLayout()
        self.errors.row(form, "&Clinic name:", self.clinic, "clinic_name")
        self.errors.row(form, "&Address:", self.address, "address")
        self.errors.row(form, "&Phone:", self.phone, "phone")
        self.errors.row(form, "Fa&x:", self.fax, "fax")
        self.errors.row(form, "Logo:", logo_box, "logo")
        logo_box.setFocusProxy(self.choose)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addStretch(1)

    def initializePage(self) -> None:  # noqa: N802 - Qt's name
        self.clinic.setFocus(Qt.FocusReason.OtherFocusReason)

    def start_from(self, start: SetupStart) -> None:
        """Show what the database holds already (a database made before sign-in existed)."""
        _fill(self.clinic, start.letterhead.get("clinic_name", ""))
        _fill(self.address, start.letterhead.get("address", ""))
        _fill(self.phone, start.letterhead.get("phone", ""))
        _fill(self.fax, start.letterhead.get("fax", ""))

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        """Check the letterhead (nothing is saved yet); a refusal stays on the page under its field."""
        if self._reading_logo:
            return False  # the logo's check ends in a moment; its answer decides
        try:
            self.values = setup.check_clinic(
                self.clinic.text(), self.address.toPlainText(), self.phone.text(), self.fax.text()
            )
        except ValidationError as error:
            self.errors.show(error.errors)
            return False
        self.errors.clear()
        self.phone.setText(self.values["phone"])  # as it will print
        self.fax.setText(self.values["fax"])
        return True

    # -- the logo ------------------------------------------------------------------------------------

    def choose_logo(self) -> None:
        chosen, _filter = QFileDialog.getOpenFileName(
            self, "Choose the clinic's logo", self._logo_folder, "Images (*.png *.jpg *.jpeg *.gif)"
        )
        if chosen:
            self._logo_folder = str(Path(chosen).parent)
            self.set_logo(chosen)

    def set_logo(self, path: str) -> None:
        """Read and check the logo file on a worker (decoding a large image takes a while), then show it
        or say why it cannot be the logo."""
        self._reading_logo = True

        def read(_context: TaskContext) -> settings.StoredLogo:
            return settings.read_logo_file(path)

        def done(logo: settings.StoredLogo) -> None:
            self._reading_logo = False
            self.logo_path = path
            self.errors.set("logo", "")
            self._show_logo(logo)

        def failed(error: BaseException) -> None:
            self._reading_logo = False
            if isinstance(error, ValidationError):
                message = error.errors.get(settings.CLINIC_LOGO) or " ".join(error.errors.values())
            else:
                message = user_message(error)
            self.errors.set("logo", message)

        self._runner.submit(read, on_done=done, on_error=failed, owner=self)

    def remove_logo(self) -> None:
        self.logo_path = None
        self.errors.set("logo", "")
        self._show_logo(None)

    @property
    def reading_logo(self) -> bool:
        """True while a chosen logo is being checked."""
        return self._reading_logo

    def _show_logo(self, logo: settings.StoredLogo | None) -> None:
        self.logo.setText(logo.file_name if logo else "")
        pixmap = QPixmap()
        if logo is not None and pixmap.loadFromData(logo.data):
            pixmap = pixmap.scaled(
                LOGO_PREVIEW, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
        self.preview.setPixmap(pixmap)


class TargetsPage(QWizardPage):
    """The default response targets and the clinic's service lines. Object names: ``ack_hours``,
    ``first_contact_hours``, ``max_attempts`` (error keys the same), ``firstRunLines`` (the list),
    ``firstRunNewLine`` with ``firstRunAddLine`` and ``firstRunRemoveLine`` (error key ``name``).
    Enter in the new line's name adds it (when something is typed); elsewhere it goes on.

    ``targets`` and ``new_lines`` are what Next accepted; lines that exist already are listed but kept.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("firstRunTargetsPage")
        self.setTitle("Response targets and service lines")
        self.setSubTitle(
            "How fast a new referral is acknowledged and the patient first contacted: the targets each "
            "new service line starts with."
        )
        self.targets = Targets()
        self._existing: tuple[str, ...] = ()
        self.errors = FieldErrors()
        form = QFormLayout()
        self.fields: dict[str, CountLineEdit] = {}
        for name, label, digits in (
            ("ack_hours", "&Acknowledge within (business hours):", 3),
            ("first_contact_hours", "&First contact within (business hours):", 3),
            ("max_attempts", "Contact a&ttempts before offering to close:", 2),
        ):
            field = named(CountLineEdit(digits), name)
            field.setMaximumWidth(field.fontMetrics().averageCharWidth() * 10)
            self.fields[name] = field
            self.errors.row(form, label, field, name)
        self._show_targets(Targets())

        self.lines = named(QListWidget(), "firstRunLines")
        self.lines.setMaximumHeight(self.lines.fontMetrics().lineSpacing() * 6)
        self.new_line = named(QLineEdit(maxLength=120, placeholderText=LINE_PLACEHOLDER), "firstRunNewLine")
        self.new_line.installEventFilter(self)
        self.add_button = named(QPushButton("A&dd"), "firstRunAddLine")
        self.add_button.setAutoDefault(False)
        self.add_button.clicked.connect(self.add_line)
        self.remove_button = named(QPushButton("&Remove"), "firstRunRemoveLine")
        self.remove_button.setAutoDefault(False)
        self.remove_button.clicked.connect(self.remove_line)
        adding = QHBoxLayout()
        adding.addWidget(self.new_line, 1)
        adding.addWidget(self.add_button)
        adding.addWidget(self.remove_button)
        adding_box = QWidget()
        adding_box.setLayout(adding)
        adding.setContentsMargins(0, 0, 0, 0)
        adding_box.setFocusProxy(self.new_line)
        lines_form = QFormLayout()
        self.errors.row(lines_form, "Ne&w service line:", adding_box, "name")

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(plain_label("firstRunHours", describe_hours()))
        layout.addWidget(
            plain_label("firstRunLinesIntro", "Service lines: what partners refer patients for.")
        )
        layout.addWidget(self.lines)
        layout.addLayout(lines_form)
        layout.addWidget(plain_label("firstRunLinesNote", LINES_NOTE))
        layout.addStretch(1)

    def initializePage(self) -> None:  # noqa: N802 - Qt's name
        self.fields["ack_hours"].setFocus(Qt.FocusReason.OtherFocusReason)

    def start_from(self, start: SetupStart) -> None:
        """Start from the stored targets, and list the service lines there are already (kept as they are)."""
        if not any(field.isModified() for field in self.fields.values()):
            self._show_targets(start.targets)
        self._existing = start.service_lines
        for name in reversed(start.service_lines):
            item = QListWidgetItem(f"{name} (there already)")
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsSelectable)
            self.lines.insertItem(0, item)

    @property
    def new_lines(self) -> tuple[str, ...]:
        """The service lines to add, in the order added."""
        count = self.lines.count()
        items = (self.lines.item(row) for row in range(len(self._existing), count))
        return tuple(item.text() for item in items)

    def _show_targets(self, targets: Targets) -> None:
        self.fields["ack_hours"].set_value(targets.ack_hours)
        self.fields["first_contact_hours"].set_value(targets.first_contact_hours)
        self.fields["max_attempts"].set_value(targets.max_attempts)

    # -- service lines -----------------------------------------------------------------------------------

    def add_line(self) -> bool:
        """Add the name typed (checked: not empty, not listed yet); False when it is refused."""
        try:
            name = setup.check_new_line(self.new_line.text(), (*self._existing, *self.new_lines))
        except ValidationError as error:
            self.errors.show({"name": error.errors.get("name", str(error))})
            return False
        self.lines.addItem(name)
        self.new_line.clear()
        self.errors.set("name", "")
        self.new_line.setFocus(Qt.FocusReason.OtherFocusReason)
        return True

    def remove_line(self) -> None:
        """Take the chosen line (one added here) off the list."""
        row = self.lines.currentRow()
        if row >= len(self._existing):
            self.lines.takeItem(row)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if (
            watched is self.new_line
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and self.new_line.text().strip()
        ):
            self.add_line()  # Enter adds what was typed; with nothing typed it goes to the next page
            return True
        return super().eventFilter(watched, event)

    # -- Next ----------------------------------------------------------------------------------------------

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        """Check the targets, and add a name typed but not added yet; a refusal stays on the page."""
        self.errors.clear()
        try:
            self.targets = setup.check_targets(*(field.value() for field in self.fields.values()))
        except ValidationError as error:
            self.errors.show(error.errors)
            return False
        return not (self.new_line.text().strip() and not self.add_line())
