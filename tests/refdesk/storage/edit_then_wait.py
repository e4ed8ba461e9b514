"""Child process of test_crash: edits a referral as the detail screen would, then waits to be killed.

Usage: edit_then_wait.py DB_PATH REFERRAL_ID NEW_PHONE

Opens the database, changes the phone (update_referral), logs a call (log_attempt), prints ``saved`` and
blocks reading stdin. It never closes the database and never checkpoints: the edits must already be
safe when the services return.
"""

from __future__ import annotations

import sys
from pathlib import Path

from refdesk.domain.vocab import AttemptMethod, AttemptOutcome
from refdesk.services.actor import ensure_staff
from refdesk.services.attempts import log_attempt
from refdesk.services.referrals import update_referral
from refdesk.storage import Database


def main() -> None:
    path, referral_id, phone = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    db = Database.open(path)
    actor = ensure_staff(db, "maria", "Maria Lopez")
    update_referral(db, actor, referral_id, {"phone": phone})
    log_attempt(
        db, actor, referral_id, AttemptMethod.CALL, AttemptOutcome.LEFT_VOICEMAIL, note="left message"
    )
    sys.stdout.write("saved\n")
    sys.stdout.flush()
    sys.stdin.readline()  # the parent kills us here
    raise SystemExit("the parent was supposed to kill this process")


if __name__ == "__main__":
    main()
