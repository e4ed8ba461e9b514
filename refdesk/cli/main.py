"""``refdesk``: opens the GUI, or runs a subcommand (``demo``, ``check``, ``report``, ``export``,
``import``, ``backup``, ``restore``, ``staff``, ``selftest``).

Conventions every subcommand keeps: ``--db PATH`` picks the database; a bad argument prints one line
on stderr and exits 2; a problem of the environment or the input (unwritable folder, damaged file)
prints plain words and exits 1; a bug is logged with its traceback and reported in one line, exit 1.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from refdesk import __version__
from refdesk.cli import backup, check, demo, export, gui, imports, report, selftest, staff
from refdesk.errors import RefDeskError
from refdesk.logs import configure_logging

log = logging.getLogger("refdesk.cli")

Command = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line on stderr (no usage dump), exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _db_option(parser: argparse.ArgumentParser, default: object = None) -> None:
    parser.add_argument(
        "--db",
        type=Path,
        metavar="PATH",
        default=default,
        help="database file (default: the one in your data folder)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="refdesk", description="RefDesk: work partner referrals from received to first visit."
    )
    parser.add_argument("--version", action="version", version=f"RefDesk {__version__}")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--db", type=Path, metavar="PATH", help="open this database file")
    where.add_argument(
        "--demo",
        action="store_true",
        help="open the separate demo database (filled with demo data on first use)",
    )
    parser.set_defaults(command=gui.run)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)

    demo_parser = commands.add_parser("demo", help="fill a new database with realistic synthetic referrals")
    _db_option(demo_parser, argparse.SUPPRESS)
    demo_parser.add_argument("--referrals", type=_count, default=demo.DEFAULT_REFERRALS, metavar="N")
    demo_parser.add_argument("--partners", type=_positive, default=demo.DEFAULT_PARTNERS, metavar="M")
    demo_parser.add_argument("--seed", type=int, default=1, metavar="S", help="same seed, same data")
    demo_parser.set_defaults(command=demo.run)

    check_parser = commands.add_parser(
        "check", help="check a database's integrity and schema (exit 0 when ok)"
    )
    _db_option(check_parser, argparse.SUPPRESS)
    check_parser.set_defaults(command=check.run)

    report.register(commands, _db_option)
    export.register(commands, _db_option)
    imports.register(commands, _db_option)
    backup.register(commands, _db_option)
    staff.register(commands, _db_option)
    selftest.register(commands)
    return parser


def _count(text: str) -> int:
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def _positive(text: str) -> int:
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _integer(text: str) -> int:
    try:
        return int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # A command that must not write to the data folder (``selftest``) opts out of the log file there.
    log_path = configure_logging() if getattr(args, "log_to_file", True) else None
    command: Command = args.command
    try:
        return command(args)
    except RefDeskError as error:
        print(f"refdesk: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("refdesk: interrupted", file=sys.stderr)
        return 130
    except Exception:
        log.exception("unexpected error in %s", getattr(command, "__module__", "refdesk"))
        where = f"; details are in {log_path}" if log_path else ""
        print(f"refdesk: internal error{where}. Please report it.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    # The PyInstaller bundle's entry point (build.spec). freeze_support: a frozen program started as a
    # multiprocessing worker must act as one, not open the window again.
    import multiprocessing

    multiprocessing.freeze_support()
    raise SystemExit(main())
