"""The key that seals the audit trail (reliability.md 14), kept in a file beside the database's folder.

The key lives outside the database on purpose: someone who edits the database with an outside tool
must not also find the key in it. It is 32 random bytes, written once as two lines of text (a version
header, then the bytes in hex), readable by its owner only. Creating it never replaces a key another
process has just written: the bytes go to a private temporary file, are flushed to disk, and are linked
to the final name only if that name is still free.

A key is named in messages and in the anchor by its ``key_id``, a short fingerprint that says which key
sealed the log without giving the key away.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from refdesk import paths
from refdesk.errors import AuditKeyError

log = logging.getLogger(__name__)

HEADER = "RefDesk audit key v1"
KEY_BYTES = 32
#: Hex digits of the fingerprint: 64 bits, plenty to tell a clinic's keys apart.
KEY_ID_DIGITS = 16
_ID_DOMAIN = b"refdesk audit key id\x00"


@dataclass(frozen=True, slots=True)
class AuditKey:
    """The secret (never printed: ``repr`` shows the id only) and its fingerprint."""

    secret: bytes = field(repr=False)
    key_id: str

    @classmethod
    def from_secret(cls, secret: bytes) -> AuditKey:
        return cls(secret, fingerprint(secret))


def fingerprint(secret: bytes) -> str:
    """The key's short id: the start of a hash of it, safe to show and to store."""
    return hashlib.sha256(_ID_DOMAIN + secret).hexdigest()[:KEY_ID_DIGITS]


# Reading the file on every commit would cost a system call and a parse per write; the key is kept
# until the file changes (a replaced or deleted key is noticed at the next ``stat``).
_cache: dict[Path, tuple[tuple[int, int, int], AuditKey]] = {}


def load_key(path: Path | None = None) -> AuditKey | None:
    """The key in ``path`` (default: ``paths.audit_key_path()``), or None when there is no key file.
    Never creates one (``refdesk check`` and the verifier only read).

    Raises:
        AuditKeyError: the file exists but cannot be read or is not a RefDesk audit key.
    """
    path = path or paths.audit_key_path()
    try:
        status = path.stat()
    except FileNotFoundError:
        _cache.pop(path, None)
        return None
    except OSError as error:
        raise _unreadable(path, error) from error
    stamp = (status.st_ino, status.st_size, status.st_mtime_ns)
    cached = _cache.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise _unreadable(path, error) from error
    key = AuditKey.from_secret(_parse(path, text))
    _cache[path] = (stamp, key)
    return key


def load_or_create_key(path: Path | None = None) -> tuple[AuditKey, bool]:
    """The key, created on first need; returns it and whether it was created now.

    A damaged key file (not a RefDesk key) cannot seal anything and would stop every write: it is
    renamed aside (``audit.key.damaged-<time>``, kept for whoever looks into it) and a new key made;
    the chain then records the change of key like a lost key.

    Raises:
        AuditKeyError: the key file or its folder cannot be read or written (permissions, a full disk).
    """
    path = path or paths.audit_key_path()
    try:
        key = load_key(path)
    except AuditKeyError:
        if not path.is_file() or not os.access(path, os.R_OK):
            raise  # unreadable, not damaged: renaming it would hide a permissions problem
        aside = path.with_name(f"{path.name}.damaged-{datetime.now(UTC):%Y%m%dT%H%M%SZ}")
        log.warning("the audit key file is damaged; it is kept as %s and a new key is made", aside.name)
        try:
            os.replace(path, aside)
        except OSError as error:
            raise _unreadable(path, error) from error
        key = None
    if key is not None:
        return key, False
    return _create(path)


def _create(path: Path) -> tuple[AuditKey, bool]:
    secret = secrets.token_bytes(KEY_BYTES)
    text = f"{HEADER}\n{secret.hex()}\n".encode("ascii")
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY, 0o600)
        try:
            os.write(descriptor, text)
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        try:
            os.link(temporary, path)  # fails when another process made the key first: theirs wins
        except FileExistsError:
            existing = load_key(path)
            if existing is None:
                raise AuditKeyError(f"The audit key {path} appeared and vanished; try again.") from None
            return existing, False
        _sync_folder(path.parent)
    except OSError as error:
        raise AuditKeyError(f"Cannot create the audit key {path}: {error.strerror or error}.") from error
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink()
    key = AuditKey.from_secret(secret)
    log.info("created audit key %s", key.key_id)
    return key, True


_BINARY = getattr(os, "O_BINARY", 0)


def _parse(path: Path, text: str) -> bytes:
    lines = text.splitlines()
    if len(lines) < 2 or lines[0].strip() != HEADER:
        raise AuditKeyError(f"{path} is not a RefDesk audit key.")
    try:
        secret = bytes.fromhex(lines[1].strip())
    except ValueError:
        raise AuditKeyError(f"The audit key {path} is damaged.") from None
    if len(secret) != KEY_BYTES:
        raise AuditKeyError(f"The audit key {path} is damaged.")
    return secret


def _unreadable(path: Path, error: BaseException) -> AuditKeyError:
    reason = error.strerror if isinstance(error, OSError) and error.strerror else "not readable text"
    return AuditKeyError(f"Cannot read the audit key {path}: {reason}.")


def _sync_folder(folder: Path) -> None:
    """Make the new name durable (POSIX); Windows cannot open a folder for this."""
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
