"""``refdesk export queue|metrics``: the CSV exports, from a scheduled task or a terminal.

    refdesk export queue --out queue.csv [--all]
    refdesk export metrics [--from YYYY-MM-DD --to YYYY-MM-DD] [--partner NAME_OR_ID ...] --out m.csv

The queue export lists the open referrals (``--all``: every referral), newest first, as the Queue tab's
default view does; the metrics export covers the last whole month unless dates are given. Both are the
Reports tab's exports (formula-safe, written whole, audited), as the workstation's user.
"""

from __future__ import annotations

import argparse
from typing import Any

from refdesk.cli.report import (
    DbOption,
    finish,
    open_database,
    partner_ids,
    period_of,
    period_options,
    progress_printer,
)


def register(commands: Any, db_option: DbOption) -> None:
    """Add ``export`` and its two tables to the ``refdesk`` parser's subcommands."""
    export = commands.add_parser("export", help="write a CSV: the queue, or the metrics")
    kinds = export.add_subparsers(title="tables", metavar="TABLE", parser_class=type(export))
    kinds.required = True

    queue = kinds.add_parser("queue", help="the open referrals (or all, with --all) as CSV")
    queue.add_argument("--all", action="store_true", help="every referral, not only the open ones")
    finish(queue, run_queue, "the CSV to write", db_option)

    metrics = kinds.add_parser("metrics", help="the partner metrics of a period as CSV")
    period_options(metrics)
    finish(metrics, run_metrics, "the CSV to write", db_option)


def run_queue(args: argparse.Namespace) -> int:
    from refdesk.domain.lifecycle import State
    from refdesk.exports.tables import export_queue
    from refdesk.services.actor import local_actor
    from refdesk.services.queue import QueueFilter

    flt = QueueFilter(states=frozenset(State)) if args.all else QueueFilter()
    with open_database(args) as db:
        rows = export_queue(db, local_actor(db), flt, args.out, progress=progress_printer("rows"))
    print(f"Wrote {rows:,} referrals to {args.out}")
    return 0


def run_metrics(args: argparse.Namespace) -> int:
    from refdesk.exports.tables import export_metrics
    from refdesk.services.actor import local_actor
    from refdesk.services.metrics import Period, compute

    start, end = period_of(args)
    with open_database(args) as db:
        ids = partner_ids(db, args.partners)
        report = compute(db, Period(start, end), ids)
        rows = export_metrics(db, local_actor(db), report, args.out)
    print(f"Wrote the metrics for {start} to {end} ({rows:,} rows) to {args.out}")
    return 0
