"""What the clinic prints at the top of its letters, as plain data.

Apart from the drawing code in ``refdesk.reports.letterhead`` so that reading the settings (which the main
window does at start-up) does not import ReportLab: that is left to the first letter printed.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Letterhead:
    """What the clinic prints at the top of its letters (Settings → Letterhead)."""

    clinic_name: str
    address_lines: tuple[str, ...] = ()
    phone: str | None = None
    fax: str | None = None
    #: The logo image's bytes (PNG, JPEG or GIF), as stored in Settings; None: no logo.
    logo: bytes | None = field(default=None, repr=False)

    def contact_line(self) -> str:
        """``Phone (555) 201-0000 · Fax (555) 201-0001``; empty when neither is set."""
        parts = [f"Phone {self.phone}" if self.phone else "", f"Fax {self.fax}" if self.fax else ""]
        return " · ".join(part for part in parts if part)

    def text_lines(self) -> list[str]:
        """The small lines under the clinic's name: the address, then phone and fax."""
        lines = [line for line in self.address_lines if line.strip()]
        if self.contact_line():
            lines.append(self.contact_line())
        return lines


__all__ = ["Letterhead"]
