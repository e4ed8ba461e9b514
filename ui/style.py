"""Loads the style sheet from resources (one file, so the look can be changed without touching code)."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from refdesk.paths import resource_path


def apply_style(app: QApplication) -> None:
    app.setStyle("Fusion")  # the same look on every platform; native styles ignore parts of the sheet
    app.setStyleSheet(resource_path("style.qss").read_text(encoding="utf-8"))
