"""Clinic-wide settings stored in the database (so a backup carries them): clinic name, letterhead, ...

Per-workstation preferences (window geometry, last filters) live in QSettings instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from refdesk.domain.models import Setting
from refdesk.reports.letterhead import Letterhead
from refdesk.services.actor import Actor
from refdesk.services.audit import audited
from refdesk.services.validation import Errors
from refdesk.storage import Database

CLINIC_NAME = "clinic.name"
#: The letterhead's address, one printed line per line of text ("12 River Road", "Springfield, IL 62701").
CLINIC_ADDRESS = "clinic.address"
CLINIC_PHONE = "clinic.phone"
CLINIC_FAX = "clinic.fax"
#: Where the logo file is; a file that has gone missing is left off the letters, not an error.
CLINIC_LOGO = "clinic.logo_path"
LETTERHEAD_KEYS = (CLINIC_NAME, CLINIC_ADDRESS, CLINIC_PHONE, CLINIC_FAX, CLINIC_LOGO)

MAX_ADDRESS_LINES = 4
#: Image formats ReportLab draws without extra libraries beyond Pillow, and people have logos in.
LOGO_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif")


def get(db: Database, key: str, default: Any = None) -> Any:
    with db.session() as session:
        row = session.get(Setting, key)
        return default if row is None else row.value


def put(db: Database, actor: Actor, key: str, value: Any) -> None:
    with audited(db, actor, "setting.update", "setting") as scope:
        row = scope.session.get(Setting, key)
        old = None if row is None else row.value
        if row is None:
            scope.session.add(Setting(key=key, value=value))
        else:
            row.value = value
        scope.detail.update({"key": key, "old": old, "new": value})


def clinic_name(db: Database) -> str:
    name = get(db, CLINIC_NAME)
    return name if isinstance(name, str) and name.strip() else ""


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def letterhead(db: Database) -> Letterhead:
    """The letterhead as Settings holds it now (one read); unset parts are empty."""
    with db.session() as session:
        rows = session.scalars(select(Setting).where(Setting.key.in_(LETTERHEAD_KEYS)))
        values = {row.key: row.value for row in rows}
    address = tuple(line.strip() for line in _text(values.get(CLINIC_ADDRESS)).splitlines() if line.strip())
    logo = _text(values.get(CLINIC_LOGO))
    return Letterhead(
        clinic_name=_text(values.get(CLINIC_NAME)),
        address_lines=address,
        phone=_text(values.get(CLINIC_PHONE)) or None,
        fax=_text(values.get(CLINIC_FAX)) or None,
        logo_path=Path(logo) if logo else None,
    )


def clean_letterhead_field(key: str, value: str | None) -> str | None:
    """The value a letterhead field is stored as (None: cleared).

    Raises:
        ValidationError: keyed by the setting key, in words for the person at the desk.
    """
    errors = Errors()
    cleaned: str | None
    if key == CLINIC_NAME:
        cleaned = errors.text(key, value, label="Clinic name", max_length=120, required=False)
    elif key == CLINIC_ADDRESS:
        lines = [" ".join(line.split()) for line in (value or "").splitlines() if line.strip()]
        if len(lines) > MAX_ADDRESS_LINES:
            errors.add(key, f"The address fits on at most {MAX_ADDRESS_LINES} lines.")
        elif any(len(line) > 100 for line in lines):
            errors.add(key, "An address line is too long (at most 100 characters).")
        cleaned = "\n".join(lines) or None
    elif key in (CLINIC_PHONE, CLINIC_FAX):
        cleaned = errors.phone(key, value, required=False)
    elif key == CLINIC_LOGO:
        cleaned = value.strip() if value and value.strip() else None
        if cleaned is not None:
            path = Path(cleaned).expanduser()
            if path.suffix.lower() not in LOGO_SUFFIXES:
                errors.add(key, "Choose a PNG, JPEG or GIF image for the logo.")
            elif not path.is_file():
                errors.add(key, "The logo file cannot be found.")
            cleaned = str(path)
    else:
        raise ValueError(f"not a letterhead setting: {key}")
    errors.raise_if_any()
    return cleaned


def save_letterhead_field(db: Database, actor: Actor, key: str, value: str | None) -> str | None:
    """Check and save one letterhead field (the Settings page saves each as it is edited); returns the
    value as stored, so the page can show what was understood (a phone number formatted).

    Raises:
        ValidationError: the value is refused; nothing is saved.
    """
    cleaned = clean_letterhead_field(key, value)
    put(db, actor, key, cleaned)
    return cleaned
