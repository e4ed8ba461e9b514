"""Saving a document where the user chooses: the save dialog that starts in the folder used last, and
the bar that says where the file went and opens it (the records letter, the Reports tab's exports)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths
from PySide6.QtWidgets import QFileDialog, QFrame, QHBoxLayout, QPushButton, QSizePolicy, QWidget

from ui.widgets import named, plain_label

PDF = (".pdf", "PDF documents (*.pdf)")
CSV = (".csv", "CSV files (*.csv)")


def last_folder(preferences: QSettings, key: str) -> Path:
    """The folder remembered under ``key`` while it still exists, else the user's Documents, else home."""
    remembered = preferences.value(key, "", str)
    if isinstance(remembered, str) and remembered and Path(remembered).is_dir():
        return Path(remembered)
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(documents) if documents and Path(documents).is_dir() else Path.home()


def ask_save_path(
    parent: QWidget,
    preferences: QSettings,
    key: str,
    title: str,
    name: str,
    kind: tuple[str, str] = PDF,
) -> Path | None:
    """Ask where to save ``name`` (a ``PDF`` or ``CSV``), starting in ``last_folder``; the file name gets
    the kind's suffix if it lacks it, and its folder is remembered under ``key``. None: cancelled."""
    suffix, kinds = kind
    chosen, _filter = QFileDialog.getSaveFileName(
        parent, title, str(last_folder(preferences, key) / name), kinds
    )
    if not chosen:
        return None
    target = Path(chosen)
    if target.suffix.lower() != suffix:
        target = target.with_name(target.name + suffix)
    preferences.setValue(key, str(target.parent))
    return target


class SavedBar(QFrame):
    """Where a document was saved, with Open file, Open folder and Dismiss; hidden until ``show_saved``.

    Object names ``{prefix}Saved``, ``{prefix}SavedText``, ``{prefix}OpenFile``, ``{prefix}OpenFolder`` and
    ``{prefix}SavedDismiss``. ``mnemonics``: Alt+O and Alt+D on the open buttons (not where those keys
    belong to the view around). No signals of its own: connect the buttons' ``clicked``.
    """

    def __init__(self, prefix: str, parent: QWidget | None = None, *, mnemonics: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName(f"{prefix}Saved")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.text = plain_label(f"{prefix}SavedText", hide_empty=False, selectable=True)
        self.text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        file_text, folder_text = ("&Open file", "Open fol&der") if mnemonics else ("Open file", "Open folder")
        self.open_file_button = named(QPushButton(file_text, self), f"{prefix}OpenFile")
        self.open_folder_button = named(QPushButton(folder_text, self), f"{prefix}OpenFolder")
        self.dismiss_button = named(QPushButton("Dismiss", self), f"{prefix}SavedDismiss")
        self.dismiss_button.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.open_file_button)
        layout.addWidget(self.open_folder_button)
        layout.addWidget(self.dismiss_button)
        self.hide()

    def show_saved(self, text: str) -> None:
        self.text.setText(text)
        self.show()
