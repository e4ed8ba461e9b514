"""The history timeline: every state change, attempt and appointment, newest first, with who and when."""

from __future__ import annotations

from PySide6.QtWidgets import QGroupBox, QVBoxLayout, QWidget

from refdesk.services.timeline import TimelineEntry
from ui.detail.bars import EntryList


class HistoryView(QGroupBox):
    """Object name ``history``; one frame ``timelineEntry`` per entry (property ``kind``), each with
    ``timelineWhen`` (local time · who) and ``timelineText``; ``timelineEmpty`` when there is none.
    Rows are plain labels rather than a list view so long notes wrap in full and the pane scrolls as
    one. No signals.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("History", parent)
        self.setObjectName("history")
        self._entries = EntryList("timeline", "Nothing recorded yet.")
        QVBoxLayout(self).addWidget(self._entries)

    def set_entries(self, timeline: list[TimelineEntry]) -> None:
        self._entries.set_entries(timeline)
