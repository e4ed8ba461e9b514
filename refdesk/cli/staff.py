"""``refdesk staff``: staff accounts from a terminal, for the clinic's IT person.

    refdesk staff list [--db PATH]                       one line per account
    refdesk staff reset-password USERNAME [--db PATH]    the way back in when every admin is locked out

``reset-password`` asks for the new password twice (hidden) on a terminal, or reads one line from standard
input when it is not one (``echo ... | refdesk staff reset-password admin`` in a script). The account is
unlocked and its owner chooses a new password at the next sign-in. It needs no sign-in: whoever can run
commands on the computer that holds the database can read the file anyway. It is audited as done by
nobody signed in, "via command line".
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from refdesk.cli.report import DbOption
from refdesk.errors import RefDeskError
from refdesk.paths import default_database_path


def register(commands: Any, db_option: DbOption) -> None:
    """Add ``staff list`` and ``staff reset-password`` to the ``refdesk`` parser's subcommands."""
    staff = commands.add_parser("staff", help="list staff accounts, or reset a password (for IT)")
    actions = staff.add_subparsers(title="actions", metavar="ACTION", required=True, parser_class=type(staff))

    listing = actions.add_parser("list", help="one line per account: user name, name, role, state")
    db_option(listing, argparse.SUPPRESS)
    listing.set_defaults(command=run_list)

    reset = actions.add_parser(
        "reset-password",
        help="give an account a new password and unlock it (the way back in for a locked-out admin)",
        description=(
            "Give an account a new password and unlock it; its owner chooses their own at the next "
            "sign-in. The password is asked twice on a terminal, or read from standard input."
        ),
    )
    reset.add_argument("username", metavar="USERNAME", help="the account's user name")
    db_option(reset, argparse.SUPPRESS)
    reset.set_defaults(command=run_reset_password)


def run_list(args: argparse.Namespace) -> int:
    from refdesk.services.accounts import staff_accounts
    from refdesk.storage import Database

    with Database.open(_existing_database(args)) as db:
        accounts = staff_accounts(db)
    if not accounts:
        print("No staff accounts yet: start RefDesk to set up the clinic.")
        return 0
    user_width = max(len(account.username) for account in accounts)
    name_width = max(len(account.full_name) for account in accounts)
    role_width = max(len(account.role.label) for account in accounts)
    for account in accounts:
        state = ["active" if account.active else "disabled"]
        if account.locked():
            state.append("locked")
        if not account.has_password:
            state.append("no password")
        elif account.must_change_password:
            state.append("must change password")
        print(
            f"{account.username:<{user_width}}  {account.full_name:<{name_width}}  "
            f"{account.role.label:<{role_width}}  {', '.join(state)}"
        )
    return 0


def run_reset_password(args: argparse.Namespace) -> int:
    from refdesk.services.accounts import reset_password_from_command_line
    from refdesk.storage import Database

    path = _existing_database(args)
    password = read_new_password()
    with Database.open(path) as db:
        account = reset_password_from_command_line(db, args.username, password)
    print(
        f"New password set for {account.username} ({account.full_name}); the account is unlocked. "
        "They choose their own password at their next sign-in."
    )
    return 0


def read_new_password() -> str:
    """Twice, hidden, on a terminal; else the first line of standard input (without its line ending)."""
    if sys.stdin.isatty():
        first = getpass.getpass("New password: ")
        if getpass.getpass("Again: ") != first:
            raise RefDeskError("The two passwords differ; nothing was changed.")
        return first
    line = sys.stdin.readline()
    password = line.removesuffix("\n").removesuffix("\r")
    if not password:
        raise RefDeskError("No password was given on standard input; nothing was changed.")
    return password


def _existing_database(args: argparse.Namespace) -> Path:
    """The database to work on; a missing one is refused rather than created empty."""
    path = Path(getattr(args, "db", None) or default_database_path())
    if not path.is_file():
        raise RefDeskError(f"There is no RefDesk database at {path}.")
    return path
