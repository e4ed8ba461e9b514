"""How a backup is described to the person at the desk: its date, age, size and what it holds.

The same words appear on the recovery screen, in the Backups dialog and in the restore confirmations, so
the backup someone picked in one place is recognisable in the next. Day and month names are English and
fixed here, not taken from the C library: Qt switches the process locale on start, and a backup's date
must read the same in a test, a log and on the desk.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Protocol

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class Backup(Protocol):
    """What these words read from a backup (``refdesk.storage.backup.BackupInfo``)."""

    @property
    def path(self) -> Path: ...
    @property
    def taken_at(self) -> datetime: ...
    @property
    def size(self) -> int: ...
    @property
    def referrals(self) -> int | None: ...
    @property
    def partners(self) -> int | None: ...


def when(moment: datetime) -> str:
    """``Mon 23 Nov 2026, 08:15``."""
    return (
        f"{_DAYS[moment.weekday()]} {moment.day} {_MONTHS[moment.month - 1]} {moment.year}, "
        f"{moment.hour:02d}:{moment.minute:02d}"
    )


def age(moment: datetime, now: datetime) -> str:
    """How long ago, in words: ``just now``, ``3 hours ago``, ``yesterday``, ``12 days ago``."""
    seconds = (now - moment).total_seconds()
    if seconds < -60:
        return "dated in the future: check this computer's clock"
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'' if minutes == 1 else 's'} ago"
    days = (now.date() - moment.date()).days
    if days == 0:
        hours = int(seconds // 3600)
        return f"{hours} hour{'' if hours == 1 else 's'} ago"
    if days == 1:
        return "yesterday"
    return f"{days:,} days ago"


def counted(count: int | None, noun: str) -> str:
    """``10,234 referrals``, ``1 partner``; ``? referrals`` when the backup could not be read."""
    if count is None:
        return f"? {noun}s"
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def contents(info: Backup) -> str:
    """``10,234 referrals, 120 partners``."""
    return f"{counted(info.referrals, 'referral')}, {counted(info.partners, 'partner')}"


def title(info: Backup) -> str:
    """``Backup of Mon 23 Nov 2026, 08:15``."""
    return f"Backup of {when(info.taken_at)}"


def describe(info: Backup) -> str:
    """``Backup of Mon 23 Nov 2026, 08:15 — 10,234 referrals, 120 partners``: one backup in one line."""
    return f"{title(info)} — {contents(info)}"


def size_text(size: int) -> str:
    """A file size as people read it: ``820 KB``, ``12.4 MB``, ``1.2 GB``."""
    if size < 1000 * 1000:
        return f"{max(1, round(size / 1000)):,} KB"
    if size < 1000 * 1000 * 1000:
        return f"{size / 1e6:.1f} MB"
    return f"{size / 1e9:.1f} GB"
