"""The Reports tab: pick a period and partners, read the figures as a table and two charts, export the
partner summary, status letters, referral packets and CSV files.

``ReportsTab(db, actor, runner)`` is what the main window puts in its Reports tab.
"""

from __future__ import annotations

from ui.reports.tab import ReportsTab

__all__ = ["ReportsTab"]
