"""Child process of test_instance: what ``refdesk restore`` does first, holding the database's lock.

Usage: hold_exclusive.py DB_PATH

Prints ``held`` (then holds the lock until stdin ends or says ``release``, printing ``released``) or
``refused: <the message>``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from refdesk.errors import StorageError
from refdesk.storage.instance import exclusive


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main() -> None:
    try:
        with exclusive(Path(sys.argv[1])):
            say("held")
            for command in sys.stdin:
                if command.strip() == "release":
                    break
    except StorageError as error:
        say(f"refused: {error}")
        return
    say("released")


if __name__ == "__main__":
    main()
