"""File → Import…: the wizard that brings a clinic's referral log or partner list into RefDesk from a
CSV file or an Excel workbook (issue 5/7). The work itself is ``refdesk.imports``; this package only
asks, shows and runs it off the GUI thread."""

from __future__ import annotations

from ui.imports.wizard import ImportWizard

__all__ = ["ImportWizard"]
