"""Partner status letters: closing the loop with each referring partner, on the clinic's letterhead.

For each chosen partner, one letter to the person there who receives updates, listing the referrals
received from that partner in the period and where each stands today: received and being contacted,
scheduled for a date, seen on a date, or closed (could not reach, declined, ...) with the coded reason
in the plain words of ``lifecycle.CLOSE_REASONS[reason].letter_text``. The minimum necessary: the
patient's name and date of birth, our referral number, the service line and the dates. No reason for
referral, no notes, no phone numbers.

``build_letters`` turns plain data into PDF bytes (pure: tests and previews call it). ``write_letters``
is the desk's action: it reads the period's referrals in one query, renders the letters (off the GUI
thread, with progress and Cancel), then writes the file(s) atomically and logs every letter (partner,
period, who, when, file name, SHA-256) with one audit row, in one short transaction.

One file for all partners puts each letter on its own pages, with its own letterhead, "Page x of y"
and reference, so the pile can be split for mailing; the PDF's outline lists the partners.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from refdesk.domain.models import (
    LetterSent,
)
from refdesk.domain.times import to_local, utc_now
from refdesk.domain.vocab import LetterKind
from refdesk.errors import RefDeskError
from refdesk.exports.trail import Steps, failures_audited
from refdesk.reports.atomic import taken_back_on_failure, write_atomic
from refdesk.reports.base import (
    PageSize,
    period_text,
    require_clinic_name,
)
from refdesk.reports.letter_parts import staff_name
from refdesk.reports.status_gather import gather as gather
from refdesk.reports.status_gather import period_bounds as period_bounds
from refdesk.reports.status_layout import TITLE as TITLE
from refdesk.reports.status_layout import build_letters as build_letters
from refdesk.reports.status_layout import status_words as status_words
from refdesk.reports.status_records import (
    WITHHELD_WORDS as WITHHELD_WORDS,
)
from refdesk.reports.status_records import (
    LetterBatch as LetterBatch,
)
from refdesk.reports.status_records import (
    ReferralStatus as ReferralStatus,
)
from refdesk.reports.status_records import (
    Standing as Standing,
)
from refdesk.reports.status_records import (
    StatusLetter as StatusLetter,
)
from refdesk.services import settings
from refdesk.services.actor import Actor
from refdesk.services.audit import audited
from refdesk.services.metrics import Period
from refdesk.storage import Database

ACTION = "report.letters"
CANCELLED = "Cancelled: no letter was written."

# -- file names --------------------------------------------------------------------------------------

_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')
_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)
_NAME_LENGTH = 80


def safe_file_stem(name: str, fallback: str) -> str:
    """``name`` made into a file name every system accepts: no path separators or characters Windows
    refuses, no trailing dot or space, not a reserved device name, at most 80 characters. Letters and
    accents stay (``Zoë Nguyễn``)."""
    cleaned = _UNSAFE.sub(" ", unicodedata.normalize("NFC", name))
    cleaned = " ".join(cleaned.split())[:_NAME_LENGTH].strip(" .")
    if not cleaned or _RESERVED.match(cleaned):
        return fallback
    return cleaned


def letter_file_name(partner_name: str, partner_id: int, period: Period) -> str:
    """``Oak Street Primary Care - status 2024-04.pdf``: one partner's letter in a folder of letters."""
    start, end = period.start, period.end
    if period_text(start, end) == f"{start:%B} {start.year}":
        when = f"{start:%Y-%m}"
    else:
        when = f"{start.isoformat()} to {end.isoformat()}"
    stem = safe_file_stem(partner_name, f"Partner {partner_id}")
    return f"{stem} - status {when}.pdf"


# -- the desk's action -------------------------------------------------------------------------------


def write_letters(
    db: Database,
    actor: Actor,
    period: Period,
    partner_ids: Collection[int] | None,
    target: Path,
    *,
    one_file: bool = True,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    page_size: PageSize = PageSize.LETTER,
    now: datetime | None = None,
) -> list[Path]:
    """Write the status letters and log each one; returns the files written.

    ``one_file``: every letter in the PDF ``target``; otherwise ``target`` is a folder and each partner
    gets its own file there (``letter_file_name``). ``partner_ids`` None: every partner that referred
    someone in the period. ``progress(done, total)`` counts letters laid out; ``should_stop()`` true
    stops at the next letter with ``OperationCancelled``, and nothing is written or logged.

    The letters are read and laid out outside any write transaction (the desk keeps saving meanwhile);
    the files are then written, and the letters logged with one audit row, in one short transaction: a
    failure writes nothing, or takes back what it wrote.

    Raises:
        RefDeskError: no clinic name on the letterhead, or no letter to write.
        NotFoundError: a partner id names no partner.
        OperationCancelled: ``should_stop()`` became true.
        ExportError: a file could not be written.
    """
    moment = now or utc_now()
    target = Path(target)
    with failures_audited(db, actor, ACTION, "partner"):
        head = settings.letterhead(db)
        require_clinic_name(head, "Letters need")
        if period.end < period.start:
            raise RefDeskError("The period ends before it starts.")
        if not one_file and not target.is_dir():
            raise RefDeskError(f"Cannot save the letters: the folder {target} does not exist.")
        with db.session() as session:
            letters = gather(session, period, partner_ids)
            signer = staff_name(session, actor)
        if not letters:
            words = period_text(period.start, period.end)
            raise RefDeskError(f"No partner sent a referral in {words}: there is no letter to write.")
        today = to_local(moment).date()
        batch = LetterBatch(head, period, signer, today, moment, tuple(letters), page_size)
        files = _render(batch, target, one_file, progress, should_stop)
    return _save(db, actor, batch, files)


def _render(
    batch: LetterBatch,
    target: Path,
    one_file: bool,
    progress: Callable[[int, int], None] | None,
    should_stop: Callable[[], bool] | None,
) -> list[tuple[Path, bytes, tuple[StatusLetter, ...]]]:
    total = len(batch.letters)
    steps = Steps(progress, should_stop, CANCELLED)
    if one_file:
        pdf = build_letters(batch, on_letter=lambda index: steps.step(index, total))
        files = [(target, pdf, batch.letters)]
    else:
        files = []
        taken: set[str] = set()
        for index, letter in enumerate(batch.letters):
            steps.step(index, total)
            single = replace(batch, letters=(letter,))
            name = letter_file_name(letter.recipient.partner_name, letter.partner_id, batch.period)
            if name.casefold() in taken:  # two partners whose names clean up the same
                name = name[: -len(".pdf")] + f" ({letter.partner_id}).pdf"
            taken.add(name.casefold())
            files.append((target / name, build_letters(single), (letter,)))
    steps.step(total, total)
    return files


def _save(
    db: Database,
    actor: Actor,
    batch: LetterBatch,
    files: list[tuple[Path, bytes, tuple[StatusLetter, ...]]],
) -> list[Path]:
    # The letters on disk must match the log: when the commit fails after a write, they are taken back.
    with taken_back_on_failure() as written, audited(db, actor, ACTION, "partner") as scope:
        logged = 0
        for path, pdf, letters in files:
            digest = write_atomic(path, pdf)
            written.append(path)
            for letter in letters:
                scope.session.add(
                    LetterSent(
                        partner_id=letter.partner_id,
                        kind=LetterKind.STATUS,
                        period_start=batch.period.start,
                        period_end=batch.period.end,
                        staff_id=actor.staff_id,
                        at=batch.generated_at,
                        file_name=path.name,
                        sha256=digest,
                    )
                )
                logged += 1
        if len(batch.letters) == 1:
            scope.entity_id = batch.letters[0].partner_id
        scope.detail.update(
            {
                "period_start": batch.period.start.isoformat(),
                "period_end": batch.period.end.isoformat(),
                "letters": logged,
                "files": [path.name for path, _pdf, _letters in files][:20],
                "file_count": len(files),
            }
        )
    return written
