"""Finding the order a file's numeric dates are written in (month/day or day/month) from the data."""

from __future__ import annotations

from dataclasses import dataclass

from refdesk.imports.fields import DATE_KINDS
from refdesk.imports.mapping_file import Mapping
from refdesk.imports.source import Source
from refdesk.imports.values import possible_orders


@dataclass(frozen=True, slots=True)
class DateGuess:
    """The date orders the file's numeric dates allow: one (no question), two (ask: ``ambiguous``), or
    none (the dates disagree, or there are no numeric dates; rows with unreadable dates are refused)."""

    candidates: list[str]
    ambiguous: bool


def detect_date_format(source: Source, mapping: Mapping, *, sample: int = 20_000) -> DateGuess:
    """Which order the numeric dates of the mapped date columns are written in, from up to ``sample``
    rows: 13/04/2024 can only be DD/MM, 04/13/2024 only MM/DD; 04/05/2024 alone leaves both."""
    headers = [
        mapping.columns[name]
        for name, spec in mapping.fields.items()
        if spec.kind in DATE_KINDS and name in mapping.columns
    ]
    if not headers:
        return DateGuess([], False)
    allowed: set[str] = {"MDY", "DMY"}
    numeric = iso = False
    for count, row in enumerate(source.rows()):
        if count >= sample:
            break
        for header in headers:
            text = row.cells.get(header, "")
            if not text:
                continue
            orders = possible_orders(text)
            if orders is None:
                iso = iso or text.lstrip()[:4].isdigit()
                continue
            if not orders:
                continue  # 99/99/1999 is no date in either order: that row's problem, not the file's order
            numeric = True
            allowed &= orders
    if not numeric:
        return DateGuess(["YMD"] if iso else [], False)
    candidates: list[str] = [order for order in ("MDY", "DMY") if order in allowed]
    return DateGuess(candidates, len(candidates) > 1)
