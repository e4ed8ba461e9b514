"""Help → Keyboard shortcuts: every key of the main window and of the referral detail, in one table
built from the same lists the menus and the detail use, so the two can never disagree."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.detail.keys import shortcut_help
from ui.shortcuts import SHORTCUTS


class ShortcutsDialog(QDialog):
    """Help → Keyboard shortcuts: the window's shortcuts (from ui.shortcuts) and the detail panel's."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows: list[tuple[str, str, str]] = [(s.group, s.text, s.native()) for s in SHORTCUTS]
        rows += [("Referral", text, keys) for text, keys in _detail_shortcuts()]
        from ui.partners.tab import KEYS as PARTNER_KEYS  # the tab owns its keys

        rows += [("Partners", text, keys) for keys, text in PARTNER_KEYS]
        table = QTableWidget(len(rows), 3, objectName="shortcutsTable")
        table.setHorizontalHeaderLabels(["Where", "What", "Keys"])
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, (group, text, keys) in enumerate(rows):
            for column, value in enumerate((group, text, keys)):
                table.setItem(row, column, QTableWidgetItem(value))
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(buttons)
        self.resize(560, 480)


def _detail_shortcuts() -> list[tuple[str, str]]:
    return [(text, keys) for keys, text in shortcut_help()]  # the detail view owns its key scheme


__all__ = ["ShortcutsDialog"]
