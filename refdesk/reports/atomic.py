"""Writing an export so that a failure leaves the old file or none, never half a file (promise 8).

The bytes go to a temporary file in the target's own folder (so the final rename stays on one file
system and is atomic), are flushed to disk, and then replace the target in one step. Whatever goes wrong
before that step, the temporary file is removed and the target is untouched.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

from refdesk.errors import RefDeskError


class ExportError(RefDeskError):
    """A document could not be saved where the user asked (folder missing, no permission, disk full)."""


def write_atomic(target: Path, data: bytes) -> str:
    """Write ``data`` to ``target`` atomically and return its SHA-256 (hex), the hash a letter log keeps.

    The file is created readable by its owner only: it usually carries patient names.

    Raises:
        ExportError: the file could not be written; the message names the folder and the reason only.
    """
    target = Path(target)
    folder = target.parent
    if not folder.is_dir():
        raise ExportError(f"Cannot save the file: the folder {folder} does not exist.")
    digest = hashlib.sha256(data).hexdigest()
    temp_name: str | None = None
    try:
        handle, temp_name = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp_name, target)
        temp_name = None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ExportError(f"Cannot save the file in {folder}: {reason}.") from error
    finally:
        if temp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp_name)
    # The file is in place; a folder that cannot be synced (network share) does not undo that.
    with contextlib.suppress(OSError):
        _sync_folder(folder)
    return digest


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); Windows cannot open a folder for this and needs it not."""
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
