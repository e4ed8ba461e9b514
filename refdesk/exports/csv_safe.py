"""CSV that a spreadsheet opens as data, never as formulas, written whole or not at all.

A cell that begins with ``=``, ``+``, ``-``, ``@``, tab, CR or LF is a formula to Excel, LibreOffice and
Google Sheets: a patient named ``=HYPERLINK("http://...")`` or a note ``@SUM(...)`` would run when a
coordinator opens the export (OWASP "CSV injection"). Every such cell gets a leading apostrophe, which
the spreadsheet shows as text (reliability promise 17). Numbers are written through the same gate: the
exports are shaped so that none is negative, and a cell is neutralised whatever produced it.

The file is UTF-8 with a byte order mark, which is what makes Excel read "Zoë" and "Ольга" as typed
rather than as Windows-1252 debris, with CRLF line ends. It is streamed to a temporary file in the
target's folder by ``reports.atomic.AtomicFile``, the atomic writer of every export, and only
``publish`` puts it in place (promise 8): a cancelled or failed export leaves the old file or none, and
memory stays flat at a million rows.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

from refdesk.reports.atomic import AtomicFile, failure

#: What a spreadsheet reads as the start of a formula (or of a cell it splits).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
ENCODING = "utf-8-sig"


def neutralise(value: object) -> str:
    """The text of one cell, never starting a formula: ``=1+1`` becomes ``'=1+1``; None is empty."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class SafeCsv:
    """One CSV export being written: ``row`` each row, then ``publish`` (or leave the ``with`` block
    with an error, or call ``discard``, and nothing is left behind). Written through ``AtomicFile``,
    the atomic writer of every export.

    ``with SafeCsv(target) as out: out.row(header); ...; out.publish()``.

    Raises:
        ExportError: the folder is missing or the file cannot be written (plain words, no data).
    """

    def __init__(self, target: Path) -> None:
        self._file = AtomicFile(target, encoding=ENCODING)
        self.target = self._file.target
        self.rows = 0
        self._writer = csv.writer(self._file.stream, lineterminator="\r\n")

    def row(self, cells: Iterable[object]) -> None:
        """Write one row (cells neutralised)."""
        try:
            self._writer.writerow([neutralise(cell) for cell in cells])
        except OSError as error:
            raise failure(self.target.parent, error) from error
        self.rows += 1

    def publish(self) -> str:
        """Flush the file to disk and put it in place of ``target`` in one step; returns its name."""
        self._file.publish()
        return self.target.name

    def discard(self) -> None:
        """Drop what was written (idempotent; a published file stays)."""
        self._file.discard()

    def __enter__(self) -> SafeCsv:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.discard()
