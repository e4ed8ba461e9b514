"""One RefDesk per database (reliability.md 7): the GUI holds ``<db>.lock`` with ``QLockFile``.

Take the lock before opening the database and keep the ``InstanceLock`` for as long as the window runs;
a second RefDesk on the same file is refused with ``refused_message()``. The stale-lock time is 0: a lock
is never stale for its age (a desk may stay open for weeks), only because its holder is dead. A holder
killed by ``kill -9`` or a power cut leaves the file behind; the next RefDesk takes it over.

``refdesk.storage.instance`` reads and takes the same lock without Qt (``refdesk restore``).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QLockFile

from refdesk.errors import StorageError
from refdesk.storage import instance


class InstanceLock:
    """The lock file of one database, held by this process once ``try_acquire()`` returned True."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = Path(db_path).expanduser().resolve()
        self.path = instance.lock_path(self.db_path)
        self._lock = QLockFile(str(self.path))
        self._lock.setStaleLockTime(0)

    def try_acquire(self) -> bool:
        """Take the lock without waiting: False when another live RefDesk holds it.

        Raises:
            StorageError: the lock file cannot be created (a read-only folder, say); the message says so.
        """
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StorageError(
                f"Cannot create the folder {self.path.parent}: {(error.strerror or str(error)).lower()}."
            ) from error
        if self._lock.tryLock(0):
            return True
        if self._lock.error() != QLockFile.LockError.LockFailedError:
            raise StorageError(
                f"Cannot create the lock file {self.path.name} in {self.path.parent}: check that you may "
                "write to that folder."
            )
        # Qt keeps a dead holder's lock when its pid now belongs to another program of the same name
        # (a reboot, pids reused); nobody holds the file's flock then, so it is stale: take it over.
        return instance.remove_stale(self.db_path) and bool(self._lock.tryLock(0))

    def holder_text(self) -> str:
        """Who holds the lock, for the refusal: ``process 1234 on FRONTDESK-1``."""
        pid, host, _program = self._lock.getLockInfo()
        if not pid:
            return str(instance.holder(self.db_path))
        return f"process {pid} on {host}" if host else f"process {pid}"

    def refused_message(self) -> str:
        """What the second RefDesk says before it quits (plain words, no patient data)."""
        return (
            f"RefDesk is already open on {self.db_path.name} ({self.holder_text()}). Switch to that "
            "window, or close it and start RefDesk again."
        )

    def is_held(self) -> bool:
        return bool(self._lock.isLocked())

    def release(self) -> None:
        """Let go (on exit); harmless when not held."""
        if self._lock.isLocked():
            self._lock.unlock()
