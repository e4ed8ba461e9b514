"""Every keyboard shortcut of the main window in one list: the menus are built from it and
Help → Keyboard shortcuts shows it, so the two can never disagree."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QKeySequence


@dataclass(frozen=True)
class Shortcut:
    key: str
    text: str
    keys: str
    group: str

    def sequence(self) -> QKeySequence:
        return QKeySequence(self.keys)

    def native(self) -> str:
        return self.sequence().toString(QKeySequence.SequenceFormat.NativeText)


SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut("new_referral", "New referral…", "Ctrl+N", "Referrals"),
    Shortcut("import", "Import from a spreadsheet…", "Ctrl+I", "File"),
    Shortcut("find", "Search the queue", "Ctrl+F", "Referrals"),
    Shortcut("clear_filters", "Clear queue filters", "Ctrl+Shift+X", "Referrals"),
    Shortcut("refresh", "Refresh", "F5", "View"),
    Shortcut("tab_today", "Today", "Ctrl+1", "View"),
    Shortcut("tab_queue", "Queue", "Ctrl+2", "View"),
    Shortcut("tab_partners", "Partners", "Ctrl+3", "View"),
    Shortcut("tab_reports", "Reports", "Ctrl+4", "View"),
    Shortcut("lock", "Lock screen", "Ctrl+L", "File"),
    Shortcut("settings", "Settings…", "Ctrl+,", "File"),
    Shortcut("shortcuts", "Keyboard shortcuts", "F1", "Help"),
    Shortcut("quit", "Quit", "Ctrl+Q", "File"),
)


def by_key(key: str) -> Shortcut:
    for shortcut in SHORTCUTS:
        if shortcut.key == key:
            return shortcut
    raise KeyError(key)
