"""``refdesk import referrals|partners FILE``: the spreadsheet import, from a terminal or a script.

    refdesk import referrals log.csv --default service_line="Physical therapy" --default channel=fax
    refdesk import referrals log.xlsx --sheet 2024 --mapping log-mapping.json --skip-invalid
    refdesk import partners npidata_pfile.csv --dry-run

The mapping file holds what the import wizard builds (and saves): which column is which field, what the
file's words mean, the date order, values for fields the file lacks. Without ``--mapping`` the wizard's
own header guess is used, and a field it cannot map is refused by name. All-or-nothing unless
``--skip-invalid`` (the rejected rows then go to ``--rejects``, by default beside the file). It prints
what it did; exit 0, or 1 when nothing was imported because of errors.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from refdesk.cli.report import DbOption, open_database, progress_printer
from refdesk.errors import RefDeskError
from refdesk.imports.values import DATE_FORMATS, DateFormat

if TYPE_CHECKING:
    from refdesk.imports.mapping import Kind

#: Problems printed when an import is refused (every one is in the rejects file).
SHOWN_PROBLEMS = 10


def register(commands: Any, db_option: DbOption) -> None:
    """Add ``import`` and its two kinds to the ``refdesk`` parser's subcommands."""
    command = commands.add_parser("import", help="import referrals or partners from a CSV or XLSX file")
    kinds = command.add_subparsers(title="what", metavar="WHAT", parser_class=type(command))
    kinds.required = True
    for kind, help_text in (
        ("referrals", "a referral log (one referral per row)"),
        ("partners", "a partner list, or rows of the CMS NPPES npidata_pfile"),
    ):
        parser = kinds.add_parser(kind, help=help_text)
        parser.add_argument("file", type=Path, metavar="FILE", help="the CSV or XLSX file")
        parser.add_argument("--mapping", type=Path, metavar="MAP.json", help="a mapping saved by the wizard")
        parser.add_argument("--sheet", metavar="NAME", help="the XLSX sheet (default: the first)")
        parser.add_argument(
            "--date-format",
            choices=("MDY", "DMY", "YMD"),
            help="how numeric dates are written: MDY (MM/DD/YYYY), DMY (DD/MM/YYYY), YMD",
        )
        parser.add_argument(
            "--default",
            dest="defaults",
            action="append",
            type=_assignment,
            default=[],
            metavar="FIELD=VALUE",
            help="a value for every row whose file has no such column (repeatable), e.g. channel=fax",
        )
        if kind == "referrals":
            parser.add_argument(
                "--create-partners",
                action="store_true",
                help="create the partners the file names that RefDesk does not know",
            )
        parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
        parser.add_argument(
            "--skip-invalid", action="store_true", help="import the valid rows; write the others to --rejects"
        )
        parser.add_argument(
            "--rejects",
            type=Path,
            metavar="OUT.csv",
            help="where rejected rows go (default: FILE-rejected.csv)",
        )
        parser.add_argument(
            "--save-mapping", type=Path, metavar="MAP.json", help="also write the mapping used to this file"
        )
        db_option(parser, argparse.SUPPRESS)
        parser.set_defaults(command=run, kind=kind, parser=parser)


def _assignment(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected FIELD=VALUE, not {text!r}")
    return name.strip(), value.strip()


def run(args: argparse.Namespace) -> int:
    from refdesk.imports import partners as partner_import
    from refdesk.imports import referrals as referral_import
    from refdesk.imports.mapping import Mapping, guess_mapping, missing_required
    from refdesk.imports.results import ImportRefused, ImportResult
    from refdesk.imports.source import ImportFileError, open_source
    from refdesk.services.actor import local_actor

    kind: Kind = "referrals" if args.kind == "referrals" else "partners"
    core: Any = referral_import if kind == "referrals" else partner_import
    with open_database(args) as db, open_source(args.file, sheet=args.sheet) as source:
        if args.mapping is not None:
            try:
                text = args.mapping.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as error:
                raise ImportFileError(f"Cannot read the mapping file {args.mapping}.") from error
            mapping = Mapping.from_json(text)
            if mapping.kind != kind:
                raise ImportFileError(f"{args.mapping.name} is a mapping for {mapping.kind}, not for {kind}.")
        else:
            mapping = guess_mapping(kind, source.headers)
        mapping.defaults.update(dict(args.defaults))
        if args.date_format:
            mapping.date_format = args.date_format
        mapping.check()
        missing = missing_required(mapping)
        if missing:
            raise ImportFileError(
                f"Cannot map: {', '.join(missing)} (no column with a name RefDesk recognises). "
                "Give a --mapping file (the import wizard saves one), or --default FIELD=VALUE."
            )
        if mapping.date_format is None:
            mapping.date_format = _date_order(source, mapping)
        if args.save_mapping is not None:
            _save(args.save_mapping, mapping.to_json())
        create: list[str] = []
        if getattr(args, "create_partners", False):
            found = referral_import.preview(db, source, mapping, limit=0)
            create = [name for name, _ in found.unknown_partners]
        actor = local_actor(db)
        try:
            result: ImportResult = core.run_import(
                db,
                actor,
                source,
                mapping,
                skip_invalid=args.skip_invalid,
                rejects_path=args.rejects,
                create_partners=create,
                dry_run=args.dry_run,
                progress=progress_printer("rows"),
            )
        except ImportRefused as refused:
            _print_refusal(refused, kind)
            return 1
    print(result.summary())
    if result.rejects_path is not None:
        print(f"Rejected rows, with the reason for each: {result.rejects_path}")
    return 1 if result.rejected and not result.imported else 0


def _date_order(source: Any, mapping: Any) -> DateFormat | None:
    """The order the file's dates are written in, as the wizard finds it (a 13 in the first or second
    place settles it); a file that could be read either way is refused rather than guessed."""
    from refdesk.imports.mapping import detect_date_format
    from refdesk.imports.source import ImportFileError

    guess = detect_date_format(source, mapping)
    if guess.ambiguous:
        raise ImportFileError(
            "The dates could be month first (03/04/2024 = March 4) or day first (3 April): "
            "say which with --date-format MDY or --date-format DMY."
        )
    for order in DATE_FORMATS:
        if guess.candidates and guess.candidates[0] == order:
            return order
    return None


def _print_refusal(refused: Any, kind: Kind) -> None:
    from refdesk.imports.mapping import FIELDS

    result = refused.result
    print(f"refdesk: {refused}", file=sys.stderr)
    for problem in result.problems[:SHOWN_PROBLEMS]:
        print(f"  line {problem.line}: {problem.describe(FIELDS[kind])}", file=sys.stderr)
    if result.rejected > SHOWN_PROBLEMS:
        print(f"  ... and {result.rejected - SHOWN_PROBLEMS:,} more", file=sys.stderr)
    if result.rejects_path is not None:
        print(f"Every rejected row, with its reason: {result.rejects_path}", file=sys.stderr)


def _save(path: Path, text: str) -> None:
    try:
        path.write_text(text + "\n", encoding="utf-8")
    except OSError as error:
        raise RefDeskError(
            f"Cannot write the mapping file {path}: {error.strerror or 'access refused'}."
        ) from error
