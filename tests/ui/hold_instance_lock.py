"""Child process of test_instance: a RefDesk start-up as far as the instance lock.

Usage: hold_instance_lock.py DB_PATH

Takes ``InstanceLock(DB_PATH)`` and prints ``held`` or ``refused: <the message a user would see>``;
then, while it holds the lock, waits for ``release`` on stdin (prints ``released``) or for its end.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ui.instance import InstanceLock


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main() -> None:
    lock = InstanceLock(Path(sys.argv[1]))
    if not lock.try_acquire():
        say(f"refused: {lock.refused_message()}")
        return
    say("held")
    for command in sys.stdin:
        if command.strip() == "release":
            lock.release()
            say("released")


if __name__ == "__main__":
    main()
