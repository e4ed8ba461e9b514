"""The workstation's preferences (window layout, queue filters, the folders letters and exports were last
saved in): one INI file beside the data, so ``REFDESK_HOME`` moves them too.

A part that remembers something takes the preferences it is given (tests give a file of their own), or
else the workstation's (``or_workstation``).
"""

from __future__ import annotations

from PySide6.QtCore import QSettings

from refdesk.paths import data_dir


def workstation_preferences() -> QSettings:
    """The workstation's preferences file, ``preferences.ini`` in the data folder."""
    return QSettings(str(data_dir() / "preferences.ini"), QSettings.Format.IniFormat)


def or_workstation(preferences: QSettings | None) -> QSettings:
    """``preferences``, or the workstation's when None."""
    return preferences if preferences is not None else workstation_preferences()
