"""The first step: what to import (referrals or partners), from which file and sheet, and optionally a
mapping saved from an earlier import of the same kind of file.

The file is opened on a worker (a workbook on a network drive can take seconds); the page says what it
found (kind of file, encoding, columns) so a wrong file is noticed here, not four steps later.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from PySide6.QtWidgets import (
    QButtonGroup,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QWidget,
)

from refdesk.errors import RefDeskError
from refdesk.imports import nppes
from refdesk.imports.mapping import Mapping
from refdesk.imports.source import ImportFileError, Source, open_source
from refdesk.services.catalog import list_service_lines
from refdesk.storage import Database
from ui.errors import user_message
from ui.imports.jobs import Work
from ui.imports.pages import ImportPage
from ui.imports.state import PARTNERS, REFERRALS, SAMPLE_ROWS, Opened
from ui.widgets import named, plain_label
from ui.widgets.choices import ChoiceCombo
from ui.widgets.saving import last_folder

#: QSettings key of the folder files were last imported from (and mappings loaded from).
FOLDER_KEY = "imports/last_folder"
FILE_KINDS = "Spreadsheets (*.csv *.xlsx);;CSV files (*.csv);;Excel workbooks (*.xlsx);;All files (*)"
MAPPING_KINDS = "Import mappings (*.json);;All files (*)"


def read_samples(source: Source, limit: int = SAMPLE_ROWS) -> list[dict[str, str]]:
    """The first ``limit`` rows' cells (header -> text): the columns step's sample values and the dates
    step's examples. Rows whose shape is wrong are still shown: their values are what the file says."""
    return [dict(row.cells) for row in itertools.islice(source.rows(), limit)]


def open_file(db: Database, path: Path, sheet: str | None) -> Opened:
    """Open ``path`` (and ``sheet``), read the first rows and RefDesk's service lines; runs on a worker.

    A workbook opened without a sheet chosen starts on its first sheet with rows: a cover or notes
    sheet in front of the data is common, and should not make the file look empty.
    """
    source = open_source(path, sheet=sheet)
    skipped: str | None = None
    try:
        samples = read_samples(source)
        if source.kind == "xlsx" and sheet is None and not samples:
            for name in source.sheets[1:]:
                try:
                    candidate = open_source(path, sheet=name)
                except ImportFileError:
                    continue  # an empty sheet
                rows = read_samples(candidate)
                if rows:
                    skipped = source.sheet
                    source.close()
                    source, samples = candidate, rows
                    break
                candidate.close()
        is_nppes = nppes.is_nppes(list(source.headers))
        lines = [line.name for line in list_service_lines(db)]
    except BaseException:
        source.close()
        raise
    return Opened(source, samples, is_nppes, lines, skipped)


def describe(opened: Opened) -> str:
    """One line on what the file is: ``CSV (UTF-8, comma-separated): 9 columns.``"""
    source = opened.source
    if source.kind == "xlsx":
        what = f"Excel workbook, sheet “{source.sheet}”"
    else:
        encoding = _ENCODING_NAMES.get(source.encoding or "", source.encoding)
        details = [part for part in (encoding, _delimiter_name(source.delimiter)) if part]
        what = f"CSV file ({', '.join(details)})" if details else "CSV file"
    columns = len(source.headers)
    found = f"{what}: {columns} column{'s' if columns != 1 else ''}"
    if opened.skipped_sheet:
        found = f"The first sheet, “{opened.skipped_sheet}”, has no rows to import. {found}"
    if not opened.samples:
        return found + ", and no rows under the header line: nothing to import."
    return found + "."


_ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252",
}


def _delimiter_name(delimiter: str | None) -> str:
    names = {",": "comma-separated", ";": "semicolon-separated", "\t": "tab-separated", "|": "bar-separated"}
    return names.get(delimiter or "", f"separated by “{delimiter}”" if delimiter else "")


class FilePage(ImportPage):
    """Kind (``kindReferrals`` / ``kindPartners``), file (``importPath`` and ``importBrowse``), sheet
    (``importSheet``, shown for workbooks), what was found (``fileSummary``), and "Load mapping…"
    (``loadMapping``, with ``mappingSummary``).

    Keyboard: Alt+R / Alt+P choose the kind, Alt+L the file field (Enter there opens the file), Alt+O
    browses, Alt+S the sheet, Alt+M loads a mapping.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "file",
            "Choose the file",
            "A CSV file or an Excel workbook (.xlsx) whose first row names the columns.",
            parent,
        )
        self.referrals_option = named(QRadioButton("&Referrals"), "kindReferrals")
        self.partners_option = named(
            QRadioButton("&Partners (a partner list, or a CMS NPPES file)"), "kindPartners"
        )
        self._kinds = QButtonGroup(self)
        self._kinds.addButton(self.referrals_option)
        self._kinds.addButton(self.partners_option)
        kinds = QHBoxLayout()
        kinds.addWidget(self.referrals_option)
        kinds.addWidget(self.partners_option)
        kinds.addStretch(1)

        self.path_edit = named(QLineEdit(), "importPath")
        self.path_edit.setPlaceholderText("Type or paste the file's full path, or Browse")
        self.path_edit.setClearButtonEnabled(True)
        self.browse_button = named(QPushButton("Br&owse…"), "importBrowse")
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(self.browse_button)

        self.sheet_combo = named(ChoiceCombo(), "importSheet")
        self.sheet_label = QLabel("&Sheet:")
        self.sheet_label.setBuddy(self.sheet_combo)
        self.summary = plain_label("fileSummary", selectable=True)

        self.load_mapping_button = named(QPushButton("Load &mapping…"), "loadMapping")
        self.load_mapping_button.setToolTip(
            "Use the columns and values chosen in an earlier import of the same kind of file"
        )
        self.mapping_summary = plain_label("mappingSummary")
        mapping_row = QHBoxLayout()
        mapping_row.addWidget(self.load_mapping_button)
        mapping_row.addWidget(self.mapping_summary, 1)
        mapping_row.addStretch(0)

        form = QFormLayout()
        kind_label = QLabel("Import:")
        form.addRow(kind_label, kinds)
        file_label = QLabel("Fi&le:")
        file_label.setBuddy(self.path_edit)
        form.addRow(file_label, path_row)
        sheet_row = QHBoxLayout()
        sheet_row.addWidget(self.sheet_combo)
        sheet_row.addStretch(1)
        self.sheet_combo.setSizeAdjustPolicy(ChoiceCombo.SizeAdjustPolicy.AdjustToContents)
        self.sheet_combo.setMinimumContentsLength(16)
        form.addRow(self.sheet_label, sheet_row)
        form.addRow("", self.summary)
        form.addRow("Mapping:", mapping_row)
        self.body.addLayout(form)
        self.body.addStretch(1)
        self._set_sheet_visible(False)

        self._kinds.buttonToggled.connect(self._kind_toggled)
        self.path_edit.editingFinished.connect(self._path_entered)
        self.browse_button.clicked.connect(self._browse)
        self.sheet_combo.activated.connect(self._sheet_chosen)
        self.load_mapping_button.clicked.connect(self._load_mapping)

    def initializePage(self) -> None:  # noqa: N802 - Qt's name
        state = self.state
        (self.partners_option if state.kind == PARTNERS else self.referrals_option).setChecked(True)
        self.focus_later(self.path_edit)

    def typed_path(self) -> Path | None:
        """The path in the field; quotes around it (Windows' "Copy as path") are taken off."""
        text = self.path_edit.text().strip().strip('"').strip()
        return Path(text).expanduser() if text else None

    def isComplete(self) -> bool:  # noqa: N802 - Qt's name
        state = self.state
        same = state.path is not None and self.typed_path() == state.path
        return state.source is not None and bool(state.samples) and same and super().isComplete()

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        if not self.state.samples:
            self.messages.show_message("The file has no rows under its header line: nothing to import.")
            return False
        return True

    # --- kind ------------------------------------------------------------------------------------

    def _kind_toggled(self) -> None:
        kind = PARTNERS if self.partners_option.isChecked() else REFERRALS
        wizard = self.import_wizard()
        if kind != wizard.state.kind:
            wizard.set_kind(kind)

    # --- file ------------------------------------------------------------------------------------

    def _browse(self) -> None:
        wizard = self.import_wizard()
        start = str(
            self.state.path.parent if self.state.path else last_folder(wizard.preferences, FOLDER_KEY)
        )
        chosen, _filter = QFileDialog.getOpenFileName(self, "Import from", start, FILE_KINDS)
        if chosen:
            self.path_edit.setText(chosen)
            self._open(Path(chosen), None)

    def _path_entered(self) -> None:
        path = self.typed_path()
        if path is None:
            return
        if path == self.state.path and (self.state.source is not None or self.busy):
            return
        self._open(path, None)

    def _sheet_chosen(self) -> None:
        sheet = self.sheet_combo.value()
        source = self.state.source
        if (
            self.state.path is not None
            and isinstance(sheet, str)
            and (source is None or sheet != source.sheet)
        ):
            self._open(self.state.path, sheet)

    def _open(self, path: Path, sheet: str | None) -> None:
        wizard = self.import_wizard()
        wizard.close_source()
        self.state.path = path
        self.summary.clear()
        self.summary.hide()
        if sheet is None:
            self._set_sheet_visible(False)
        wizard.preferences.setValue(FOLDER_KEY, str(path.parent))

        db = wizard.db

        def work(_work: Work) -> Opened:
            return open_file(db, path, sheet)

        self.run(
            f"Opening {path.name}…", work, self._opened, on_error=self._open_failed, dispose=_close_opened
        )

    def _opened(self, opened: Opened) -> None:
        state = self.state
        state.source, state.samples, state.nppes = opened.source, opened.samples, opened.nppes
        state.service_lines = opened.service_lines
        state.forget_findings()
        source = opened.source
        if source.kind == "xlsx" and len(source.sheets) > 0:
            self.sheet_combo.set_choices([(name, name) for name in source.sheets])
            self.sheet_combo.set_value(source.sheet)
            self._set_sheet_visible(True)
        else:
            self._set_sheet_visible(False)
        text = describe(opened)
        if opened.nppes and state.kind != PARTNERS:
            self.partners_option.setChecked(True)  # switches the wizard's kind
            text += " It is a CMS NPPES provider file, so it is imported as partners."
        elif opened.nppes:
            text += " It is a CMS NPPES provider file."
        self.summary.setText(text)
        self.summary.show()
        self.completeChanged.emit()

    def _open_failed(self, error: BaseException) -> None:
        self.state.source = None
        self.summary.clear()
        self.summary.hide()
        self.messages.show_message(user_message(error))
        self.path_edit.setFocus()
        self.completeChanged.emit()

    def _set_sheet_visible(self, visible: bool) -> None:
        self.sheet_label.setVisible(visible)
        self.sheet_combo.setVisible(visible)

    # --- mapping ---------------------------------------------------------------------------------

    def _load_mapping(self) -> None:
        wizard = self.import_wizard()
        start = str(last_folder(wizard.preferences, FOLDER_KEY))
        chosen, _filter = QFileDialog.getOpenFileName(self, "Load a mapping", start, MAPPING_KINDS)
        if not chosen:
            return
        path = Path(chosen)

        def work(_work: Work) -> Mapping:
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                raise RefDeskError(f"Cannot read {path.name}: it is not a mapping RefDesk saved.") from error
            return Mapping.from_json(text)

        self.run(
            f"Reading {path.name}…", work, lambda mapping: self._mapping_loaded(path, mapping), replace=False
        )

    def _mapping_loaded(self, path: Path, mapping: Mapping) -> None:
        wizard = self.import_wizard()
        state = self.state
        state.loaded_mapping, state.loaded_from = mapping, path
        if mapping.kind != state.kind:
            (self.partners_option if mapping.kind == PARTNERS else self.referrals_option).setChecked(True)
        state.mapping = None  # the columns step starts from the loaded one
        state.analysis = None
        self.mapping_summary.setText(f"{path.name}: used in the next steps (you can still change it).")
        self.mapping_summary.show()
        wizard.preferences.setValue(FOLDER_KEY, str(path.parent))


def _close_opened(opened: Opened) -> None:
    """A file opened for a request the user has since replaced: nobody will read it."""
    opened.source.close()
