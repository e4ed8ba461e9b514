"""What the user answers in a save dialog, for the UI tests (a real QFileDialog would wait for a person)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QFileDialog


def answer_save_dialog(monkeypatch: pytest.MonkeyPatch, answer: Callable[[Path], Path]) -> list[str]:
    """Every save dialog is answered with ``answer(the path it suggested)``; returns the file names
    suggested, in order, as the dialogs open."""
    asked: list[str] = []

    def save_as(_parent: Any, _caption: str, suggested: str, _filter: str) -> tuple[str, str]:
        asked.append(Path(suggested).name)
        return str(answer(Path(suggested))), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(save_as))
    return asked
