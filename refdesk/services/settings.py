"""Clinic-wide settings stored in the database (so a backup carries them): clinic name, letterhead, ...

Per-workstation preferences (window geometry, last filters) live in QSettings instead.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from refdesk.domain.models import Setting
from refdesk.errors import ValidationError
from refdesk.reports.letterhead_info import Letterhead
from refdesk.services.actor import Actor
from refdesk.services.audit import audited
from refdesk.services.service_lines import check_can_change_settings
from refdesk.services.validation import Errors
from refdesk.storage import Database

log = logging.getLogger(__name__)

CLINIC_NAME = "clinic.name"
#: The letterhead's address, one printed line per line of text ("12 River Road", "Springfield, IL 62701").
CLINIC_ADDRESS = "clinic.address"
CLINIC_PHONE = "clinic.phone"
CLINIC_FAX = "clinic.fax"
#: The logo image itself (not a path: a moved file must not drop it, and a backup must carry it), as
#: ``{"file_name": ..., "media_type": ..., "data": <base64>}``; see ``StoredLogo``. Saved with ``save_logo``.
CLINIC_LOGO = "clinic.logo"
LETTERHEAD_KEYS = (CLINIC_NAME, CLINIC_ADDRESS, CLINIC_PHONE, CLINIC_FAX, CLINIC_LOGO)

MAX_ADDRESS_LINES = 4
#: The largest logo file taken (it is kept in the database, and printed at under 2 x 1 inches).
MAX_LOGO_BYTES = 1024 * 1024
#: The largest logo, in pixels each way: a small file can still unpack into a huge image.
MAX_LOGO_SIDE = 4000
#: Image formats ReportLab draws without extra libraries beyond Pillow, and people have logos in, by the
#: bytes they start with (the file's content, not its name, decides).
LOGO_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
LOGO_MEDIA_TYPES = frozenset(media_type for _signature, media_type in LOGO_SIGNATURES)


@dataclass(frozen=True, slots=True)
class StoredLogo:
    """The clinic's logo as Settings keeps it: the image's bytes, its media type (from its content), and
    the name of the file it was read from (shown, never opened again)."""

    file_name: str
    media_type: str
    data: bytes = field(repr=False)

    def to_json(self) -> dict[str, str]:
        return {
            "file_name": self.file_name,
            "media_type": self.media_type,
            "data": base64.b64encode(self.data).decode("ascii"),
        }

    @classmethod
    def from_json(cls, value: Any) -> StoredLogo:
        """Raises ValueError when ``value`` is not a stored logo (damaged or from elsewhere)."""
        if not isinstance(value, dict):
            raise ValueError("not an object")
        name, media_type, data = value.get("file_name"), value.get("media_type"), value.get("data")
        if not (isinstance(name, str) and isinstance(media_type, str) and isinstance(data, str)):
            raise ValueError("missing parts")
        try:
            raw = base64.b64decode(data, validate=True)
        except binascii.Error as error:
            raise ValueError("not base64") from error
        if not raw:
            raise ValueError("empty")
        return cls(name, media_type, raw)

    def audit_summary(self) -> dict[str, Any]:
        """What the audit trail records of a logo: enough to tell versions apart, not the image."""
        return {
            "file_name": self.file_name,
            "media_type": self.media_type,
            "size": len(self.data),
            "sha256": hashlib.sha256(self.data).hexdigest(),
        }


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


def _stored_logo(value: Any) -> StoredLogo | None:
    if value is None:
        return None
    try:
        return StoredLogo.from_json(value)
    except ValueError as error:
        log.warning("stored letterhead logo unreadable, left off: %s", error)
        return None


def stored_logo(db: Database) -> StoredLogo | None:
    """The logo as stored (None: none, or the stored value is damaged), for Settings to show."""
    return _stored_logo(get(db, CLINIC_LOGO))


def letterhead(db: Database) -> Letterhead:
    """The letterhead as Settings holds it now (one read); unset parts are empty."""
    with db.session() as session:
        rows = session.scalars(select(Setting).where(Setting.key.in_(LETTERHEAD_KEYS)))
        values = {row.key: row.value for row in rows}
    address = tuple(line.strip() for line in _text(values.get(CLINIC_ADDRESS)).splitlines() if line.strip())
    logo = _stored_logo(values.get(CLINIC_LOGO))
    return Letterhead(
        clinic_name=_text(values.get(CLINIC_NAME)),
        address_lines=address,
        phone=_text(values.get(CLINIC_PHONE)) or None,
        fax=_text(values.get(CLINIC_FAX)) or None,
        logo=logo.data if logo else None,
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
        raise ValueError("the logo is an image, not text: use read_logo_file and save_logo")
    else:
        raise ValueError(f"not a letterhead setting: {key}")
    errors.raise_if_any()
    return cleaned


def save_letterhead_field(db: Database, actor: Actor, key: str, value: str | None) -> str | None:
    """Check and save one letterhead field (the Settings page saves each as it is edited); returns the
    value as stored, so the page can show what was understood (a phone number formatted).

    Raises:
        ValidationError: the value is refused; nothing is saved.
        AccessDenied: a front desk account (the letterhead is for those who run the clinic's settings).
    """
    check_can_change_settings(db, actor, "setting.update", "setting")
    cleaned = clean_letterhead_field(key, value)
    put(db, actor, key, cleaned)
    return cleaned


def _media_type(data: bytes) -> str | None:
    return next((media for signature, media in LOGO_SIGNATURES if data.startswith(signature)), None)


def _logo_refused(message: str) -> ValidationError:
    return ValidationError({CLINIC_LOGO: message})


def read_logo_file(path: str | Path) -> StoredLogo:
    """Read and check a logo file once: a PNG, JPEG or GIF image by its content (whatever its name says),
    at most ``MAX_LOGO_BYTES`` and ``MAX_LOGO_SIDE`` pixels each way, that decodes in full.

    Raises:
        ValidationError: keyed by ``CLINIC_LOGO``, in words for the person at the desk.
    """
    file = Path(path).expanduser()
    try:
        with file.open("rb") as stream:
            data = stream.read(MAX_LOGO_BYTES + 1)
    except FileNotFoundError:
        raise _logo_refused("The logo file cannot be found.") from None
    except OSError:
        raise _logo_refused("The logo file cannot be read; choose another copy of it.") from None
    media_type = _media_type(data)
    if len(data) > MAX_LOGO_BYTES:
        problem: str | None = "The logo file is too large (at most 1 MB); save a smaller copy of it."
    elif media_type is None:
        problem = "This file is not a PNG, JPEG or GIF image; choose one of those for the logo."
    else:
        problem = _image_problem(data)
    if problem or media_type is None:
        raise _logo_refused(problem or "Choose a PNG, JPEG or GIF image for the logo.")
    return StoredLogo(file_name=file.name, media_type=media_type, data=data)


def _image_problem(data: bytes) -> str | None:
    """Why ``data`` cannot be the logo (it is decoded in full, as a letter would), or None."""
    damaged = "This image is damaged or cannot be read; choose another copy of the logo."
    try:
        from reportlab.lib.utils import ImageReader  # only when a logo is chosen: ReportLab is slow to import

        image = ImageReader(io.BytesIO(data))
        width, height = image.getSize()
    except Exception:  # noqa: BLE001 - image decoders raise what they like on damaged data
        return damaged
    if width <= 0 or height <= 0:
        return damaged
    if max(width, height) > MAX_LOGO_SIDE:
        return f"The logo image is too large (at most {MAX_LOGO_SIDE} pixels each way); save a smaller copy."
    try:
        image.getRGBData()
    except Exception:  # noqa: BLE001 - as above
        return damaged
    return None


def save_logo(db: Database, actor: Actor, path: str | Path | None) -> StoredLogo | None:
    """Read the logo file at ``path`` (checked by ``read_logo_file``) and keep its bytes in Settings; an
    empty ``path`` removes the logo. Returns the logo as stored. The audit trail records the file's name,
    size and checksum, not the image.

    Raises:
        ValidationError: keyed by ``CLINIC_LOGO``; nothing is saved.
        AccessDenied: a front desk account.
    """
    check_can_change_settings(db, actor, "setting.update", "setting")
    logo = read_logo_file(path) if path and str(path).strip() else None
    with audited(db, actor, "setting.update", "setting") as scope:
        row = scope.session.get(Setting, CLINIC_LOGO)
        old = _stored_logo(row.value) if row is not None else None
        value = logo.to_json() if logo else None
        if row is None:
            scope.session.add(Setting(key=CLINIC_LOGO, value=value))
        else:
            row.value = value
        scope.detail.update(
            {
                "key": CLINIC_LOGO,
                "old": old.audit_summary() if old else None,
                "new": logo.audit_summary() if logo else None,
            }
        )
    return logo
