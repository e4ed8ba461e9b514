"""Passwords: Argon2id hashes only, and the rules a new password must meet (reliability.md promise 11).

The rules follow NIST SP 800-63B: a length floor and nothing else the person must compose (no "one digit,
one symbol"), but a password equal to the user name or among the most common ones is refused. Only the
hash is ever stored; a password never goes into an audit row, a log line or an error message.

``hasher`` is module state on purpose: production uses argon2-cffi's defaults (RFC 9106's low-memory
profile: 64 MiB, 3 passes, 4 lanes); the test suite swaps in cheap parameters so thousands of hashes stay
fast. Every function here reads it at call time, so a swap reaches all of them.
"""

from __future__ import annotations

import contextlib
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from refdesk.services.validation import Errors

PASSWORD_MIN_LENGTH = 8
#: Long enough for any passphrase; the cap only keeps a pasted novel from being hashed.
PASSWORD_MAX_LENGTH = 256


#: The hasher every hash is made and checked with (its parameters are written into each hash, so a hash
#: made with older parameters still verifies; ``needs_rehash`` says when to replace it).
def production_hasher() -> PasswordHasher:
    """argon2-cffi's defaults, which follow RFC 9106's second recommendation (Argon2id, 64 MiB of memory,
    3 passes, 4 lanes: tens of milliseconds per hash here, years per guess list for whoever steals it)."""
    return PasswordHasher()


hasher = production_hasher()

#: The passwords tried first by anyone guessing (NIST 800-63B asks to refuse "commonly used" ones); a short
#: list keeps the module small and catches what people actually type at a clinic desk.
_COMMON = frozenset(
    {
        "password",
        "password1",
        "password123",
        "passw0rd",
        "12345678",
        "123456789",
        "1234567890",
        "87654321",
        "11111111",
        "00000000",
        "qwertyui",
        "qwerty123",
        "qwertyuiop",
        "abcd1234",
        "abc12345",
        "iloveyou",
        "letmein1",
        "welcome1",
        "welcome123",
        "changeme",
        "sunshine",
        "football",
        "baseball",
        "trustno1",
        "admin123",
        "administrator",
        "clinic123",
        "refdesk1",
        "refdesk123",
    }
)

_dummy: tuple[PasswordHasher, str] | None = None


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """The Argon2id hash to store (``$argon2id$...``); each call salts afresh.

    ``salt`` is for demo data only, whose published password gets the same hash on every fill so that the
    same seed gives the same database; a real password always gets a random salt.
    """
    return hasher.hash(password, salt=salt)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash``. An account without a hash, or with a damaged one,
    matches nothing, but still costs one verification, so the time taken does not tell them apart."""
    if not stored_hash:
        spend_a_verification(password)
        return False
    try:
        return hasher.verify(stored_hash, password)
    except VerifyMismatchError:
        return False
    except (InvalidHashError, VerificationError):
        spend_a_verification(password)
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when ``stored_hash`` was made with other parameters than the current ones (sign-in then
    stores a fresh hash of the password it just checked)."""
    try:
        return hasher.check_needs_rehash(stored_hash)
    except (InvalidHashError, ValueError):
        return True


def spend_a_verification(password: str) -> None:
    """Verify against a hash of nothing anyone can type, so an unknown name takes as long to refuse as a
    wrong password (the timing must not tell which names exist)."""
    global _dummy
    if _dummy is None or _dummy[0] is not hasher:
        _dummy = (hasher, hasher.hash("\x00refdesk: no such account\x00"))
    with contextlib.suppress(VerificationError):
        hasher.verify(_dummy[1], password)


def normalize_username(username: str) -> str:
    """How a user name is compared and stored: trimmed, case folded (``" Maria "`` is ``maria``)."""
    return unicodedata.normalize("NFKC", username).strip().lower()


def check_new_password(errors: Errors, field: str, password: str, *, username: str) -> None:
    """Record in ``errors`` why ``password`` cannot be a new password for ``username`` (nothing when it
    can). Messages never repeat the password."""
    if len(password) < PASSWORD_MIN_LENGTH:
        errors.add(field, f"Use at least {PASSWORD_MIN_LENGTH} characters.")
    elif len(password) > PASSWORD_MAX_LENGTH:
        errors.add(field, f"Use at most {PASSWORD_MAX_LENGTH} characters.")
    elif username and normalize_username(password) == normalize_username(username):
        errors.add(field, "The password cannot be the user name.")
    elif password.lower() in _COMMON:
        errors.add(field, "This password is one of the first anyone would guess; choose another.")
