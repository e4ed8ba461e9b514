"""How patient identifiers are written, matched and numbered: phone numbers, folded names, referral numbers.

Pure functions, shared by validation, search, duplicate checks, import and the demo data.
"""

from __future__ import annotations

import re
import unicodedata

REFERRAL_PREFIX = "R-"
_EXTENSION = re.compile(r"\s*(?:x|ext\.?|extension)\s*(\d{1,6})\s*$", re.IGNORECASE)
_ALLOWED_PHONE_CHARS = re.compile(r"^[\d\s()+.\-/]+$")


class PhoneError(ValueError):
    """The text is not a usable phone number; the message says what is wrong."""


def normalize_phone(text: str) -> str:
    """The phone as RefDesk stores and shows it: ``(555) 201-4477``, ``+44 20 7946 0958``, ``... x12``.

    North American numbers (10 digits, or 11 starting with 1) are formatted; a number typed with a
    leading ``+`` is kept international (8 to 15 digits). Raises PhoneError otherwise.
    """
    raw = text.strip()
    if not raw:
        raise PhoneError("Enter a phone number.")
    extension = ""
    match = _EXTENSION.search(raw)
    if match:
        extension = f" x{match.group(1)}"
        raw = raw[: match.start()]
    if not _ALLOWED_PHONE_CHARS.match(raw):
        raise PhoneError("A phone number may hold only digits, spaces, ( ) + - . and an extension (x12).")
    digits = re.sub(r"\D", "", raw)
    if raw.startswith("+") and not raw.startswith("+1"):
        if not 8 <= len(digits) <= 15:
            raise PhoneError("An international number has 8 to 15 digits after the +.")
        return "+" + " ".join(raw[1:].split()) + extension
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10:
        raise PhoneError("Enter 10 digits with the area code, e.g. (555) 201-4477.")
    if digits[0] in "01":
        raise PhoneError("An area code cannot start with 0 or 1.")
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}{extension}"


def phone_digits(phone: str) -> str:
    """The digits that identify a stored phone (no extension, no North American leading 1)."""
    digits = re.sub(r"\D", "", _EXTENSION.sub("", phone))
    # Every country code that starts with 1 is North American, so "+1 555..." and "1-555..." are "555...".
    return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits


def fold(text: str) -> str:
    """Case-, accent- and space-insensitive form for matching ("José  Núñez" -> "jose nunez")."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def name_key(first_name: str, last_name: str) -> str:
    return fold(f"{first_name} {last_name}")


def referral_number(referral_id: int) -> str:
    """The number staff read out and partners quote: ``R-000123``."""
    return f"{REFERRAL_PREFIX}{referral_id:06d}"


def parse_referral_number(text: str) -> int | None:
    """The referral id in ``R-000123``, ``r123`` or ``#123``; None when the text is no referral number."""
    match = re.fullmatch(r"\s*(?:r-?|#)\s*0*(\d{1,12})\s*", text, re.IGNORECASE)
    return int(match.group(1)) if match else None
