"""Child process of test_crash: writers that commit referrals in a loop until they are killed.

Usage: crash_writer.py DB_PATH PARTNER_ID SERVICE_LINE_ID

Python and RefDesk take most of a second to import, so this process imports once and then, for each
``round N`` line on stdin, forks a writer (it never opens the database itself, so nothing SQLite holds
is shared across the fork). It prints ``forked PID`` for the test to kill, and ``reaped PID SIGNAL`` once
the writer is dead: every line the writer printed comes before that one.

A writer prints ``ready`` once the database is open, then one line per committed step, each printed only
after the commit returned (so every line is a promise the test checks after the kill):

* ``created ID`` / ``attempted ID``: a referral made with the real services (create_referral, then
  log_attempt), each its own transaction with its status event and audit row;
* ``batch TAG ID ID ID``: one ``db.transaction()`` holding three referrals, each with the same rows the
  services would have written (creation event, attempt, attempt event, two audit rows).
"""

from __future__ import annotations

import os
import sys
import traceback
from datetime import UTC, date, datetime
from pathlib import Path

from refdesk.domain.formats import name_key, phone_digits
from refdesk.domain.lifecycle import State
from refdesk.domain.models import AuditEvent, ContactAttempt, Referral, StatusEvent
from refdesk.domain.vocab import AttemptMethod, AttemptOutcome, Channel
from refdesk.services.actor import ensure_staff
from refdesk.services.attempts import log_attempt
from refdesk.services.referrals import NewReferral, create_referral
from refdesk.storage import Database

BATCH_SIZE = 3


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()  # one write per line: a line is in the pipe whole, or not at all


def write(path: Path, round_number: str, partner_id: int, line_id: int) -> None:
    db = Database.open(path)
    actor = ensure_staff(db, "crash", "Crash Writer")
    say("ready")
    step = 0
    while True:
        step += 1
        if step % 2:
            form = NewReferral(
                partner_id=partner_id,
                service_line_id=line_id,
                patient_first_name="Solo",
                patient_last_name=f"R{round_number}-{step}",
                patient_dob=date(1960, 1, 1),
                phone="555-201-4477",
                reason="Crash test: one referral per transaction.",
                channel=Channel.FAX,
            )
            referral_id = create_referral(db, actor, form)
            say(f"created {referral_id}")
            log_attempt(db, actor, referral_id, AttemptMethod.CALL, AttemptOutcome.NO_ANSWER)
            say(f"attempted {referral_id}")
            continue
        tag = f"batch-{round_number}-{step}"
        now = datetime.now(UTC)
        with db.transaction() as session:
            referrals = []
            for member in range(BATCH_SIZE):
                first, last = "Batch", f"{tag}-{member}"
                referral = Referral(
                    partner_id=partner_id,
                    service_line_id=line_id,
                    patient_first_name=first,
                    patient_last_name=last,
                    patient_dob=date(1970, 1, 1),
                    phone="(555) 201-4477",
                    name_key=name_key(first, last),
                    phone_digits=phone_digits("555-201-4477"),
                    reason="Crash test: several referrals in one transaction.",
                    referring_clinician=tag,
                    channel=Channel.PORTAL,
                    received_at=now,
                    state=State.CONTACT_ATTEMPTED,
                    attempt_count=1,
                    first_attempt_at=now,
                    last_attempt_at=now,
                    acknowledged_at=now,
                )
                session.add(referral)
                session.flush()
                referrals.append(referral.id)
                session.add_all(
                    [
                        StatusEvent(referral_id=referral.id, to_state=State.RECEIVED, at=now),
                        StatusEvent(
                            referral_id=referral.id,
                            from_state=State.RECEIVED,
                            to_state=State.CONTACT_ATTEMPTED,
                            at=now,
                        ),
                        ContactAttempt(
                            referral_id=referral.id,
                            at=now,
                            staff_id=actor.staff_id,
                            method=AttemptMethod.CALL,
                            outcome=AttemptOutcome.NO_ANSWER,
                        ),
                        AuditEvent(
                            staff_id=actor.staff_id,
                            action="referral.create",
                            entity="referral",
                            entity_id=referral.id,
                        ),
                        AuditEvent(
                            staff_id=actor.staff_id,
                            action="attempt.create",
                            entity="referral",
                            entity_id=referral.id,
                        ),
                    ]
                )
        say(f"batch {tag} {' '.join(map(str, referrals))}")


def main() -> None:
    path, partner_id, line_id = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    for command in sys.stdin:
        _, round_number = command.split()
        pid = os.fork()
        if pid == 0:  # the writer: never returns into this loop
            try:
                write(path, round_number, partner_id, line_id)
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(1)
        say(f"forked {pid}")
        _, status = os.waitpid(pid, 0)
        say(f"reaped {pid} {os.WTERMSIG(status) if os.WIFSIGNALED(status) else 'exit'}")


if __name__ == "__main__":
    main()
