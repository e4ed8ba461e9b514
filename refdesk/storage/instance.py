"""One RefDesk per database (reliability.md 7), without Qt: the lock file beside the database.

The GUI holds ``<db>.lock`` with Qt's ``QLockFile`` (``ui/instance.py``) for as long as it runs. This
module reads and takes the *same* lock the same way, so command-line work that must not run under a
live RefDesk (``refdesk restore``) refuses while the GUI runs, and a GUI starting meanwhile refuses too.

What makes the lock a lock is the operating system, not the file's text:

* POSIX: the holder keeps the file open with an exclusive ``flock`` (and a ``fcntl`` record lock for
  network file systems), as ``QLockFile`` does. The kernel drops both when the holder dies, even by
  ``kill -9``, so "a lock nobody holds" is exactly "a stale lock". Qt checks staleness by the recorded
  pid and program name and then tries the same ``flock`` before deleting, so a live holder is never taken
  over (checked against Qt 6.11, including a holder whose program name differs from Qt's idea of it).
* Windows: the holder keeps the file open without delete sharing; a file that cannot be deleted is held.

The text (pid, program name, host name, machine id, boot id: ``QLockFile``'s format) only serves to
say who holds it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from refdesk.errors import StorageError

#: A lock file younger than this with no text yet is being created by a starting RefDesk (Qt writes the
#: text right after taking the lock), not left behind by a dead one.
_CREATING_SECONDS = 5.0
_ATTEMPTS = 5


@dataclass(frozen=True)
class Holder:
    """Who holds a lock, as recorded in the lock file (``pid`` 0 and empty names when unreadable)."""

    pid: int
    program: str
    host: str

    def __str__(self) -> str:
        if not self.pid:
            return "another RefDesk"
        return f"process {self.pid} on {self.host}" if self.host else f"process {self.pid}"


def lock_path(db_path: Path) -> Path:
    """``<db>.lock`` next to the database: every RefDesk and ``refdesk restore`` look there."""
    db_path = Path(db_path).expanduser().resolve()
    return db_path.with_name(f"{db_path.name}.lock")


def in_use(db_path: Path) -> bool:
    """True when a live RefDesk (or a ``refdesk restore``) holds the database's lock.

    Meant for a process that does not hold the lock itself: on POSIX, closing the probe's descriptor
    would drop a ``fcntl`` lock this process holds (the ``flock`` that matters stays).
    """
    return _state(lock_path(db_path)) == "held"


def remove_stale(db_path: Path) -> bool:
    """Delete the database's lock file when nobody holds it (its holder died); True when it did.

    For ``QLockFile``, which trusts a dead holder's pid when it now belongs to another live program of
    the same name (pids reused after a reboot) and would refuse for ever. Also True when there is no
    file (any more) to stand in the way.
    """
    path = lock_path(db_path)
    state = _state(path)
    if state == "held":
        return False
    return state == "free" or _remove_stale(path)


def holder(db_path: Path) -> Holder:
    """Who the lock file names (whether or not it is still held)."""
    return _read_holder(lock_path(db_path))


@contextlib.contextmanager
def exclusive(db_path: Path) -> Iterator[None]:
    """Hold the database's lock for the block: no RefDesk can start on it meanwhile.

    A stale lock (its holder died) is taken over; a held one is refused.

    Raises:
        StorageError: RefDesk is open on this database, or the lock file cannot be created.
    """
    path = lock_path(db_path)
    descriptor = _acquire(path)
    try:
        yield
    finally:
        _release(path, descriptor)


def _release(path: Path, descriptor: int) -> None:
    """Qt's order on POSIX: the name goes first, then the descriptor, so nobody meets a free file with
    our text. Windows cannot delete a file its own handle keeps undeletable: close first there."""
    if os.name == "posix":
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(descriptor)
    else:
        os.close(descriptor)
        with contextlib.suppress(OSError):
            path.unlink()


# -- taking the lock ----------------------------------------------------------------------------------


def _acquire(path: Path) -> int:
    for _ in range(_ATTEMPTS):
        try:
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            state = _state(path)
            if state == "held":
                raise StorageError(_refusal(path)) from None
            if state == "stale":
                _remove_stale(path)
            continue
        except OSError as error:
            raise StorageError(
                f"Cannot create the lock file {path.name} in {path.parent}: "
                f"{(error.strerror or str(error)).lower()}."
            ) from error
        try:
            _lock_native(descriptor)
            os.write(descriptor, _contents())
            os.fsync(descriptor)
        except OSError:
            # A prober holding the file for an instant: start over rather than hold a half-lock.
            with contextlib.suppress(OSError):
                path.unlink()
            os.close(descriptor)
            time.sleep(0.05)
            continue
        return descriptor
    raise StorageError(_refusal(path))


def _lock_native(descriptor: int) -> None:
    """Qt's ``setNativeLocks``: ``flock`` for local disks, a ``fcntl`` record lock for network ones."""
    if os.name != "posix":
        return  # Windows: the open handle without delete sharing is the lock.
    import fcntl

    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    fcntl.lockf(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _remove_stale(path: Path) -> bool:
    """Delete a lock nobody holds, making sure it is still the same file (a starting RefDesk may have
    replaced it meanwhile) and nobody takes it while we look."""
    if os.name != "posix":
        try:
            path.unlink()
        except OSError:
            return False
        return True
    import fcntl

    try:
        descriptor = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        status = os.fstat(descriptor)
        if status.st_ino != path.stat().st_ino or _being_created(status):
            return False
        path.unlink()
    except OSError:
        return False  # taken meanwhile, or already gone: the caller looks again
    finally:
        os.close(descriptor)
    return True


def _contents() -> bytes:
    """``QLockFile``'s text: pid, program name, host name, machine id, boot id, one a line."""
    lines = [str(os.getpid()), _program_name(), socket.gethostname(), _read_text("/etc/machine-id")]
    lines.append(_read_text("/proc/sys/kernel/random/boot_id"))
    return ("\n".join(lines) + "\n").encode("utf-8")


def _program_name() -> str:
    """What Qt records and compares: the executable's file name (``python3.11``, ``RefDesk.exe``)."""
    with contextlib.suppress(OSError):
        return Path(os.readlink("/proc/self/exe")).name
    return Path(sys.executable).name


def _read_text(name: str) -> str:
    try:
        return Path(name).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""


# -- looking at a lock ----------------------------------------------------------------------------------


def _state(path: Path) -> str:
    """``"free"`` (no file), ``"held"`` or ``"stale"`` (a file nobody holds)."""
    if os.name != "posix":
        return _state_windows(path)
    import fcntl

    try:
        descriptor = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return "free"
    except PermissionError:
        return "held"  # another user's RefDesk: not ours to judge
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as error:
        if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return "held"
        # A file system without locks (Qt then locks by the text alone): judge by the recorded pid.
        return "held" if _alive(_read_holder(path).pid) else "stale"
    else:
        return "held" if _being_created(os.fstat(descriptor)) else "stale"
    finally:
        os.close(descriptor)


def _being_created(status: os.stat_result) -> bool:
    return status.st_size == 0 and time.time() - status.st_mtime < _CREATING_SECONDS


def _state_windows(path: Path) -> str:
    """A held lock file cannot be deleted; a stale one can, and is (as Qt would)."""
    if not path.exists():
        return "free"
    try:
        path.unlink()
    except FileNotFoundError:
        return "free"
    except PermissionError:
        return "held"
    return "free"


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process: alive
    return True


def _read_holder(path: Path) -> Holder:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return Holder(0, "", "")
    try:
        pid = int(lines[0])
    except (IndexError, ValueError):
        return Holder(0, "", "")
    program = lines[1] if len(lines) > 1 else ""
    host = lines[2] if len(lines) > 2 else ""
    return Holder(pid, program, host)


def _refusal(path: Path) -> str:
    return f"RefDesk is open on this database ({_read_holder(path)}). Close it first."
