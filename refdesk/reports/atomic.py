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
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from refdesk.errors import RefDeskError


class ExportError(RefDeskError):
    """A document could not be saved where the user asked (folder missing, no permission, disk full)."""


class AtomicFile:
    """A file being written beside ``target``, put in place whole by ``publish`` or dropped by
    ``discard`` (or by leaving the ``with`` block without publishing): the one atomic writer behind
    every exported file, whole documents (``write_atomic``) and streamed CSV (``SafeCsv``) alike.

    ``stream`` is binary, or text in ``encoding`` (with ``newline=""``) when one is given. The file is
    created readable by its owner only: it usually carries patient names.

    Raises:
        ExportError: the folder is missing or the file cannot be written; the message names the folder
            and the reason only.
    """

    def __init__(self, target: Path, *, encoding: str | None = None) -> None:
        self.target = Path(target)
        folder = self.target.parent
        if not folder.is_dir():
            raise ExportError(f"Cannot save the file: the folder {folder} does not exist.")
        try:
            handle, name = tempfile.mkstemp(dir=folder, prefix=f".{self.target.name}.", suffix=".tmp")
        except OSError as error:
            raise failure(folder, error) from error
        self._temp: Path | None = Path(name)
        self._stream: IO[Any] | None = (
            os.fdopen(handle, "wb")
            if encoding is None
            else os.fdopen(handle, "w", encoding=encoding, newline="")
        )

    @property
    def stream(self) -> IO[Any]:
        if self._stream is None:
            raise RuntimeError("this file was already published or discarded")
        return self._stream

    def write(self, data: Any) -> None:
        """Write ``data`` (bytes, or text in a text file)."""
        try:
            self.stream.write(data)
        except OSError as error:
            raise failure(self.target.parent, error) from error

    def publish(self) -> None:
        """Flush the file to disk and put it in place of ``target`` in one step."""
        stream, temp = self._stream, self._temp
        if stream is None or temp is None:
            raise RuntimeError("this file was already published or discarded")
        try:
            stream.flush()
            os.fsync(stream.fileno())
            stream.close()
            self._stream = None
            os.replace(temp, self.target)
            self._temp = None
        except OSError as error:
            raise failure(self.target.parent, error) from error
        # The file is in place; a folder that cannot be synced (network share) does not undo that.
        with contextlib.suppress(OSError):
            _sync_folder(self.target.parent)

    def discard(self) -> None:
        """Drop what was written (idempotent; a published file stays)."""
        if self._stream is not None:
            with contextlib.suppress(OSError):
                self._stream.close()
            self._stream = None
        if self._temp is not None:
            with contextlib.suppress(OSError):
                self._temp.unlink()
            self._temp = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.discard()


def write_atomic(target: Path, data: bytes) -> str:
    """Write ``data`` to ``target`` atomically and return its SHA-256 (hex), the hash a letter log keeps.

    Raises:
        ExportError: the file could not be written; the message names the folder and the reason only.
    """
    digest = hashlib.sha256(data).hexdigest()
    with AtomicFile(target) as out:
        out.write(data)
        out.publish()
    return digest


@contextlib.contextmanager
def taken_back_on_failure() -> Iterator[list[Path]]:
    """The files a transaction puts in place (append each path once it is there), removed again when
    the block fails, the commit included: what is on disk always matches the log.

    ``with taken_back_on_failure() as placed, audited(...) as scope: write_atomic(path, data);
    placed.append(path)``.
    """
    placed: list[Path] = []
    try:
        yield placed
    except BaseException:
        for path in placed:
            path.unlink(missing_ok=True)
        raise


def failure(folder: Path, error: OSError) -> ExportError:
    """An ``OSError`` while saving in ``folder``, in plain words (the reason, no data)."""
    reason = error.strerror or type(error).__name__
    return ExportError(f"Cannot save the file in {folder}: {reason}.")


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); Windows cannot open a folder for this and needs it not."""
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
