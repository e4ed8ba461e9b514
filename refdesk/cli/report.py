"""``refdesk report summary|letters|packet``: the documents, from a scheduled task or a terminal.

    refdesk report summary --from 2024-05-01 --to 2024-05-31 [--partner NAME_OR_ID ...] --out summary.pdf
    refdesk report letters [--from ... --to ...] [--partner ...] --out letters.pdf
    refdesk report letters --per-partner --out letters/      (one file per partner in that folder)
    refdesk report packet --service "Physical therapy" --out packet.pdf

Without ``--from``/``--to`` the period is the last whole calendar month, so a monthly task needs no
dates. Letters without ``--partner`` go to every partner who referred someone in the period. The work is
done by the same functions as the Reports tab (audited, letters logged), as the workstation's user.
ReportLab is imported only when a document is made.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from refdesk.domain.models import Partner, ServiceLine
from refdesk.domain.times import local_today
from refdesk.errors import NotFoundError, StorageError
from refdesk.paths import default_database_path
from refdesk.services.catalog import find_partner
from refdesk.storage import Database

DbOption = Callable[..., None]


def register(commands: Any, db_option: DbOption) -> None:
    """Add ``report`` and its three documents to the ``refdesk`` parser's subcommands."""
    report = commands.add_parser("report", help="make a document: partner summary, status letters, packet")
    kinds = report.add_subparsers(title="documents", metavar="DOCUMENT", parser_class=type(report))
    kinds.required = True

    summary = kinds.add_parser("summary", help="the partner summary PDF for a period")
    period_options(summary)
    finish(summary, run_summary, "the PDF to write", db_option)

    letters = kinds.add_parser("letters", help="partner status letters PDF for a period")
    period_options(letters)
    letters.add_argument(
        "--per-partner",
        action="store_true",
        help="one PDF per partner, in the folder given by --out",
    )
    finish(letters, run_letters, "the PDF to write (with --per-partner: an existing folder)", db_option)

    packet = kinds.add_parser("packet", help="the referral packet PDF of a service line")
    packet.add_argument("--service", required=True, metavar="NAME_OR_ID", help="the service line")
    finish(packet, run_packet, "the PDF to write", db_option)


# -- arguments ---------------------------------------------------------------------------------------


def day(text: str) -> date:
    """An argparse type: ``YYYY-MM-DD``."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def period_options(parser: argparse.ArgumentParser) -> None:
    """``--from``, ``--to`` (default: last month) and ``--partner`` (default: all)."""
    parser.add_argument(
        "--from",
        dest="start",
        type=day,
        metavar="YYYY-MM-DD",
        help="first day (default: the first day of last month)",
    )
    parser.add_argument("--to", dest="end", type=day, metavar="YYYY-MM-DD", help="last day, included "
                        "(default: the last day of last month)")  # fmt: skip
    parser.add_argument(
        "--partner",
        dest="partners",
        action="extend",
        nargs="+",
        metavar="NAME_OR_ID",
        help="only these partners (repeatable; default: all)",
    )


def finish(
    parser: argparse.ArgumentParser, run: Callable[[argparse.Namespace], int], out: str, db_option: DbOption
) -> None:
    """What every command ends with: ``--out`` (``out`` says what it names), ``--db``, and what runs it."""
    parser.add_argument("--out", required=True, type=Path, metavar="PATH", help=out)
    db_option(parser, argparse.SUPPRESS)
    parser.set_defaults(command=run, parser=parser)


def last_month(today: date) -> tuple[date, date]:
    """The last whole calendar month before ``today``."""
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def period_of(args: argparse.Namespace) -> tuple[date, date]:
    """The period the arguments name; a bad one ends the command as a bad argument (exit 2)."""
    if (args.start is None) != (args.end is None):
        args.parser.error("give both --from and --to, or neither (last month)")
    if args.start is None:
        return last_month(local_today())
    if args.end < args.start:
        args.parser.error(f"--to {args.end} is before --from {args.start}")
    start: date = args.start
    end: date = args.end
    return start, end


# -- the database ------------------------------------------------------------------------------------


def open_database(args: argparse.Namespace) -> Database:
    """The database named by ``--db`` (or the default one); it must exist: a report never creates one."""
    path = Path(getattr(args, "db", None) or default_database_path())
    if not path.exists():
        raise StorageError(f"No database at {path}.")
    return Database.open(path)


def partner_ids(db: Database, names: Sequence[str] | None) -> list[int] | None:
    """The partners named by id or by name (case and spacing ignored); None when none were named.

    Raises:
        NotFoundError: a name or id matches no partner (the message quotes what was typed).
    """
    if not names:
        return None
    found: list[int] = []
    for name in names:
        text = name.strip()
        partner: Partner | None = None
        if text.isdigit():
            with db.session() as session:
                partner = session.get(Partner, int(text))
        if partner is None:
            partner = find_partner(db, text)
        if partner is None:
            raise NotFoundError(f"No partner named or numbered “{text}”.")
        if partner.id not in found:
            found.append(partner.id)
    return found


def service_line_id(db: Database, name: str) -> int:
    """The service line named by id or by name (case ignored).

    Raises:
        NotFoundError: nothing matches.
    """
    text = name.strip()
    with db.session() as session:
        if text.isdigit() and session.get(ServiceLine, int(text)) is not None:
            return int(text)
        found = session.scalars(
            select(ServiceLine.id).where(func.lower(ServiceLine.name) == text.casefold())
        ).first()
    if found is None:
        raise NotFoundError(f"No service line named or numbered “{text}”.")
    return found


def progress_printer(what: str) -> Callable[[int, int], None] | None:
    """A progress line on a terminal (stderr), nothing when run by a scheduler."""
    if not sys.stderr.isatty():
        return None
    started = time.monotonic()

    def show(done: int, total: int) -> None:
        elapsed = time.monotonic() - started
        end = "\n" if done >= total else ""
        print(f"\r  {what}: {done:,} / {total:,} ({elapsed:.0f} s)", end=end, file=sys.stderr, flush=True)

    return show


# -- the commands ------------------------------------------------------------------------------------


def run_summary(args: argparse.Namespace) -> int:
    from refdesk.reports.summary import write_summary  # ReportLab: only when a document is made
    from refdesk.services.actor import local_actor
    from refdesk.services.metrics import Period

    start, end = period_of(args)
    with open_database(args) as db:
        ids = partner_ids(db, args.partners)
        path = write_summary(
            db, local_actor(db), Period(start, end), ids, args.out, progress=progress_printer("partners")
        )
    print(f"Wrote the partner summary for {start} to {end} to {path}")
    return 0


def run_letters(args: argparse.Namespace) -> int:
    from refdesk.reports.status_letters import write_letters
    from refdesk.services.actor import local_actor
    from refdesk.services.metrics import Period

    start, end = period_of(args)
    with open_database(args) as db:
        ids = partner_ids(db, args.partners)
        paths = write_letters(
            db,
            local_actor(db),
            Period(start, end),
            ids,
            args.out,
            one_file=not args.per_partner,
            progress=progress_printer("letters"),
        )
    where = args.out if args.per_partner else paths[0]
    files = f"{len(paths):,} files" if args.per_partner else "one file"
    print(f"Wrote the status letters for {start} to {end} ({files}) to {where}")
    return 0


def run_packet(args: argparse.Namespace) -> int:
    from refdesk.reports.packet import write_packet
    from refdesk.services.actor import local_actor

    with open_database(args) as db:
        line = service_line_id(db, args.service)
        path = write_packet(db, local_actor(db), line, args.out)
    print(f"Wrote the referral packet to {path}")
    return 0
