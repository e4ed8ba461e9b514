"""Child process of test_backup: a backup of a large database, slowed so it can be killed midway.

Usage: backup_child.py DB_PATH FOLDER

Copies 8 pages a step and prints ``step DONE TOTAL`` after each one (then pauses briefly), and
``done NAME`` when the backup is finished, so the test can SIGKILL it in the middle of the copy.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from refdesk.storage import backup


def step(done: int, total: int) -> None:
    sys.stdout.write(f"step {done} {total}\n")
    sys.stdout.flush()
    time.sleep(0.02)


def main() -> None:
    backup.PAGES_PER_STEP = 8
    info = backup.make_backup(Path(sys.argv[1]), Path(sys.argv[2]), progress=step)
    sys.stdout.write(f"done {info.path.name}\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
