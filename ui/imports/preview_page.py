"""Step five: the whole file checked as the import would check it, writing nothing; then the choices the
import needs.

Shown: the counts (read, can be imported, with problems, duplicates), the first rows with what is wrong
with each, the partners the file names that RefDesk does not know (ticked: created by the import; the
counts are checked again when a tick changes), all or nothing versus "import the valid rows" (the
rejected rows then go, with their reason, to a CSV beside the file), and "Save mapping…" for the next
import of the same kind of file. This is the wizard's commit page: its button says Import.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QButtonGroup,
    QGroupBox,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QTableView,
    QVBoxLayout,
    QWidget,
    QWizard,
)

from refdesk.imports import partners as partner_import
from refdesk.imports import referrals as referral_import
from refdesk.imports.mapping import Fields, Mapping
from refdesk.imports.results import ROW, Preview, PreviewRow, default_rejects_path
from refdesk.imports.source import Source
from refdesk.storage import Database
from ui.imports.jobs import Work
from ui.imports.pages import ImportPage
from ui.imports.state import PARTNERS
from ui.widgets import named, plain_label
from ui.widgets.saving import ask_save_path
from ui.widgets.tables import RowsModel, read_only_rows

#: Rows of the file the preview shows (all of them are checked).
PREVIEW_ROWS = 200
#: QSettings key of the folder mappings were last saved in.
MAPPING_FOLDER_KEY = "imports/mapping_folder"
MAPPING = (".json", "Import mappings (*.json)")
#: Waiting after a tick changes before the counts are checked again (ticking several in a row: once).
RECHECK_MS = 500
#: The columns the preview shows, when the file has them, besides the line and the problems.
SHOWN_FIELDS = {
    "referrals": (
        "patient_last_name",
        "patient_first_name",
        "patient_name",
        "patient_dob",
        "partner",
        "service_line",
        "received_at",
        "state",
    ),
    PARTNERS: ("name", "category", "phone", "city", "npi"),
}
_PROBLEM = QColor("#b42318")
_QUIET = QColor("#52606d")
#: The problems come second, where they are seen without scrolling sideways.
PROBLEMS_COLUMN = 1
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)


@dataclass(frozen=True)
class ImportOptions:
    """What the preview step decided for ``run_import``."""

    skip_invalid: bool
    rejects_path: Path | None
    create_partners: tuple[str, ...]


def problems_text(row: PreviewRow, fields: Fields) -> str:
    """What is wrong with ``row``, each with its field's label unless the message starts with it ("" when
    nothing)."""
    if row.duplicate and not row.problems:
        return "Duplicate: already in RefDesk or earlier in the file; skipped."
    parts = []
    for name, message in row.problems.items():
        label = fields[name].label if name in fields else name
        if name == ROW or message.casefold().startswith(label.casefold()):
            parts.append(message)
        else:
            parts.append(f"{label}: {message}")
    return "; ".join(parts)


class PreviewModel(RowsModel[PreviewRow]):
    """The first rows of the file: line, the row's problems (red), or "Duplicate" (grey), or "—", then
    the key fields' text. The columns depend on the mapping: ``set_preview`` sets them."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._fields: list[str] = []
        self._labels: list[str] = []
        self._all_fields: Fields = {}

    def set_preview(self, rows: list[PreviewRow], mapping: Mapping) -> None:
        self.beginResetModel()
        self._all_fields = mapping.fields
        self._fields = [name for name in SHOWN_FIELDS[mapping.kind] if name in mapping.columns]
        self._labels = ["Line", "Problems", *(mapping.fields[name].label for name in self._fields)]
        self._rows = sorted(rows, key=lambda row: row.line)  # problems are found before batches end
        self.endResetModel()

    @property
    def fields(self) -> Fields:
        """The fields of the mapping shown (their labels name the problems)."""
        return self._all_fields

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._labels)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == _DISPLAY and 0 <= section < len(self._labels):
            return self._labels[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        row = self.row_at(index.row()) if index.isValid() else None
        if row is None:
            return None
        column = index.column()
        if column == PROBLEMS_COLUMN:
            text = problems_text(row, self._all_fields)
            if role == _DISPLAY or (role == _TOOLTIP and text):
                return text or "Ready"
            if role == _FOREGROUND:
                return _PROBLEM if row.problems else _QUIET
            return None
        if role != _DISPLAY and role != _TOOLTIP:
            return None
        if column == 0:
            return str(row.line) if role == _DISPLAY else None
        value = row.values.get(self._fields[column - 2], "") if 2 <= column < len(self._labels) else ""
        return value if role == _DISPLAY else (value if len(value) > 24 else None)


class PreviewPage(ImportPage):
    """Counts (``previewSummary``), the rows (``previewTable``), the unknown partners (``newPartners``
    in ``newPartnersBox``: checkable, ticked = created), the choice ``allOrNothing`` / ``importValid``
    with ``rejectsHint``, a note when the choice would refuse the import (``refusalHint``), and
    ``saveMapping``.

    Keyboard: Tab reaches each part; Space ticks a partner; Alt+A / Alt+V choose; Alt+S saves the
    mapping; Alt+I imports (the wizard's commit button).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "preview",
            "Check before importing",
            "Every row was checked as the import will check it; nothing has been written yet.",
            parent,
        )
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "&Import")
        self.summary = plain_label("previewSummary", hide_empty=False, selectable=True)
        self.model = PreviewModel(self)
        self.table = named(QTableView(), "previewTable")
        self.table.setModel(self.model)
        read_only_rows(self.table)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.more_problems = plain_label("moreProblems", selectable=True)
        # the whole of the current row's problem, which the table's column may cut short
        self.row_problem = plain_label("rowProblem", selectable=True)
        self.row_problem.setStyleSheet("color: #b42318;")

        self.partners_box = named(
            QGroupBox("Partners the file names that RefDesk does not know"), "newPartnersBox"
        )
        self.partners_list = named(QListWidget(), "newPartners")
        self.partners_list.setToolTip("Ticked partners are created by the import (Space ticks and unticks)")
        # a few names at a time: the rows to check matter more than the partners' list
        self.partners_list.setMaximumHeight(5 * self.partners_list.fontMetrics().height() + 12)
        box_layout = QVBoxLayout(self.partners_box)
        box_layout.addWidget(
            plain_label(
                "newPartnersHint",
                "Ticked ones are created by the import (as primary care; change it on the Partners tab). "
                "Rows naming an unticked one are refused.",
            )
        )
        box_layout.addWidget(self.partners_list)
        self.partners_box.hide()

        self.all_option = named(
            QRadioButton("&All or nothing: import only if every row can be imported"), "allOrNothing"
        )
        self.valid_option = named(
            QRadioButton("Import the &valid rows and write the others to a file"), "importValid"
        )
        self._rules = QButtonGroup(self)
        self._rules.addButton(self.all_option)
        self._rules.addButton(self.valid_option)
        self.all_option.setChecked(True)
        self.rejects_hint = plain_label("rejectsHint", selectable=True)
        self.refusal_hint = plain_label("refusalHint")
        self.refusal_hint.setStyleSheet("color: #b42318;")
        rules = QVBoxLayout()
        rules.addWidget(self.all_option)
        rules.addWidget(self.valid_option)
        rules.addWidget(self.rejects_hint)
        rules.addWidget(self.refusal_hint)

        self.save_mapping_button = named(QPushButton("&Save mapping…"), "saveMapping")
        self.save_mapping_button.setToolTip("Save the columns, values and date format for the next import")
        bottom = QHBoxLayout()
        bottom.addLayout(rules, 1)
        bottom.addWidget(self.save_mapping_button, 0, Qt.AlignmentFlag.AlignBottom)

        self.body.addWidget(self.summary)
        self.body.addWidget(self.table, 3)
        self.body.addWidget(self.row_problem)
        self.body.addWidget(self.more_problems)
        self.body.addWidget(self.partners_box)
        self.body.addLayout(bottom)

        self._recheck = QTimer(self)
        self._recheck.setSingleShot(True)
        self._recheck.setInterval(RECHECK_MS)
        self._recheck.timeout.connect(self._check)
        self._rules.buttonToggled.connect(lambda *_: self._rules_changed())
        self.partners_list.itemChanged.connect(lambda _item: self._ticks_changed())
        self.save_mapping_button.clicked.connect(self._save_mapping)
        self.table.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self._show_row(current)
        )

    # --- checking ----------------------------------------------------------------------------

    def initializePage(self) -> None:  # noqa: N802 - Qt's name
        self.state.preview = None
        self.model.set_rows([])
        self.summary.setText("")
        self.more_problems.hide()
        self._set_partners([], ticked=None)
        self._check()
        self.focus_later(self.table)

    def _ticked(self) -> tuple[str, ...]:
        names = []
        for index in range(self.partners_list.count()):
            item = self.partners_list.item(index)
            if item.checkState() == Qt.CheckState.Checked:
                names.append(str(item.data(Qt.ItemDataRole.UserRole)))
        return tuple(names)

    def _check(self) -> None:
        """Check the whole file on a worker (again, with the partners ticked now)."""
        self._recheck.stop()
        wizard = self.import_wizard()
        state = wizard.state
        source, mapping, db = state.source, state.mapping, wizard.db
        assert source is not None and mapping is not None
        create = self._ticked()
        first = self.partners_list.count() == 0

        def work(job: Work) -> Preview:
            return check_file(db, source, mapping, create, job)

        self.summary.setText("")
        self.run(
            "Checking every row…" if first else "Checking again with the partners ticked…",
            work,
            self._checked,
            progress=True,
        )

    def _checked(self, preview: Preview) -> None:
        state = self.state
        assert state.mapping is not None
        first = state.preview is None
        state.preview = preview
        if first and preview.unknown_partners:
            self._set_partners(preview.unknown_partners, ticked=None)  # all ticked by default
            self._check()  # the counts with them created
            return
        self.model.set_preview(preview.rows, state.mapping)
        self._fit_columns()
        first_problem = next((i for i, row in enumerate(self.model.rows()) if row.problems), None)
        if first_problem is not None:
            self.table.setCurrentIndex(self.model.index(first_problem, PROBLEMS_COLUMN))
        else:
            self._show_row(QModelIndex())
        self.summary.setText(self._summary(preview))
        shown_lines = {row.line for row in preview.rows}
        further = [problem.line for problem in preview.problems if problem.line not in shown_lines]
        if further:
            lines = ", ".join(str(line) for line in further[:12])
            more = ", …" if preview.invalid > len(shown_lines) + 12 else ""
            self.more_problems.setText(f"Further down, rows with problems start on lines {lines}{more}.")
            self.more_problems.show()
        else:
            self.more_problems.hide()
        self._rules_changed()

    def _show_row(self, index: QModelIndex) -> None:
        row = self.model.row_at(index.row()) if index.isValid() else None
        text = problems_text(row, self.model.fields) if row is not None and row.problems else ""
        self.row_problem.setText(f"Line {row.line}: {text}" if row is not None and text else "")
        self.row_problem.setVisible(bool(text))

    def _summary(self, preview: Preview) -> str:
        kind = "partners" if self.state.kind == PARTNERS else "referrals"
        parts = [f"{_rows(preview.read)} read: {preview.valid:,} can be imported as {kind}"]
        if preview.invalid:
            parts.append(f"{preview.invalid:,} with problems")
        if preview.duplicates:
            parts.append(
                f"{preview.duplicates:,} duplicate{'s' if preview.duplicates != 1 else ''} (skipped)"
            )
        shown = min(len(preview.rows), PREVIEW_ROWS)
        tail = f" The first {shown:,} rows are listed." if preview.read > shown else ""
        return ", ".join(parts) + "." + tail

    def _fit_columns(self) -> None:
        header = self.table.horizontalHeader()
        self.table.resizeColumnsToContents()
        width = self.table.fontMetrics().averageCharWidth()
        for column in range(self.model.columnCount()):
            limit = 60 if column == PROBLEMS_COLUMN else 24
            header.resizeSection(column, min(header.sectionSize(column), limit * width))

    # --- partners ----------------------------------------------------------------------------

    def _set_partners(self, partners: list[tuple[str, int]], *, ticked: set[str] | None) -> None:
        self.partners_list.blockSignals(True)
        self.partners_list.clear()
        for name, count in partners:
            item = QListWidgetItem(f"{name}   ({count:,} row{'s' if count != 1 else ''})")
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            checked = ticked is None or name in ticked
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            self.partners_list.addItem(item)
        self.partners_list.blockSignals(False)
        if partners:
            self.partners_list.setCurrentRow(0)
        self.partners_box.setVisible(bool(partners))

    def _ticks_changed(self) -> None:
        self.drop_job()
        self.summary.setText("The counts are checked again in a moment…")
        self._recheck.start()
        self.completeChanged.emit()

    # --- rules -------------------------------------------------------------------------------

    def _rules_changed(self) -> None:
        preview = self.state.preview
        source = self.state.source
        if self.valid_option.isChecked() and source is not None:
            self.rejects_hint.setText(
                f"Rows with problems are written, each with its reason, to "
                f"{default_rejects_path(source).name} beside the file."
            )
            self.rejects_hint.show()
        else:
            self.rejects_hint.hide()
        refused = ""
        if preview is not None and not self._recheck.isActive() and not self.busy:
            if preview.valid == 0:
                refused = (
                    "No row can be imported. Go back to change the columns or values, or correct the file."
                )
            elif preview.invalid and self.all_option.isChecked():
                rows = (
                    "1 row has a problem"
                    if preview.invalid == 1
                    else f"{preview.invalid:,} rows have problems"
                )
                refused = (
                    f"{rows}, so “All or nothing” would import nothing. Correct the file, or choose to "
                    "import the valid rows."
                )
        self.refusal_hint.setText(refused)
        self.refusal_hint.setVisible(bool(refused))
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802 - Qt's name
        preview = self.state.preview if self.wizard() is not None else None
        if preview is None or self._recheck.isActive() or not super().isComplete():
            return False
        if preview.valid == 0:
            return False
        return not (preview.invalid and self.all_option.isChecked())

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        return self.isComplete()  # also when Import is reached without its (disabled) button

    def options(self) -> ImportOptions:
        """The choices made here, for the import."""
        source = self.state.source
        skip = self.valid_option.isChecked()
        rejects = default_rejects_path(source) if skip and source is not None else None
        return ImportOptions(skip_invalid=skip, rejects_path=rejects, create_partners=self._ticked())

    def cleanupPage(self) -> None:  # noqa: N802 - Qt's name
        self._recheck.stop()
        self.drop_job()
        self.state.preview = None

    # --- saving the mapping ------------------------------------------------------------------

    def _save_mapping(self) -> None:
        wizard = self.import_wizard()
        state = wizard.state
        if state.mapping is None:
            return
        stem = state.path.stem if state.path is not None else "import"
        target = ask_save_path(
            self, wizard.preferences, MAPPING_FOLDER_KEY, "Save the mapping", f"{stem} mapping.json", MAPPING
        )
        if target is None:
            return
        text = state.mapping.to_json()

        def work(_job: Work) -> Path:
            save_text(target, text)
            return target

        self.run(
            f"Saving {target.name}…",
            work,
            lambda saved: self.messages.show_message(f"Saved the mapping as {saved}.", "info"),
            replace=False,
        )


def _rows(count: int) -> str:
    return "1 row" if count == 1 else f"{count:,} rows"


def check_file(db: Database, source: Source, mapping: Mapping, create: tuple[str, ...], job: Work) -> Preview:
    """The preview of ``source`` (referrals or partners); runs on a worker."""
    preview = partner_import.preview if mapping.kind == PARTNERS else referral_import.preview
    return preview(
        db,
        source,
        mapping,
        limit=PREVIEW_ROWS,
        progress=job.progress,
        should_stop=job.should_stop,
        create_partners=create,
    )


def save_text(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` whole or not at all (a temporary file, then a rename)."""
    from refdesk.errors import RefDeskError

    partial = target.with_name(target.name + ".part")
    try:
        partial.write_text(text, encoding="utf-8")
        partial.replace(target)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise RefDeskError(f"Cannot save {target.name}: {error.strerror or 'access refused'}.") from error
