"""Reading a spreadsheet someone hands the front desk: CSV in any of the usual shapes, or XLSX, safely.

Reliability promise 16: a file from elsewhere is read with limits and never crashes the program.

- CSV: UTF-8, UTF-8 with a byte order mark, UTF-16 with one (Excel's "Unicode text") or Windows-1252
  (checked over the whole file, not guessed from its start); ``,`` ``;`` or tab between cells (sniffed
  from the first rows); quoted cells may hold newlines. A row with too many or too few cells, or a
  quote never closed, is yielded with its ``problem``; a file that cannot be read at all raises
  ``ImportFileError`` with plain words. Rows are streamed: memory does not grow with the file.
- XLSX: the zip is checked before anything is decompressed (members, declared sizes, compression
  ratio: a zip bomb is refused), then openpyxl reads it in read-only mode with defusedxml, which refuses
  entity declarations (the "billion laughs"). openpyxl is imported only when an XLSX is opened.

Messages name the file and the line, never a cell's content: a cell may be patient data.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from types import TracebackType
from typing import Literal

from refdesk.errors import RefDeskError

#: The limits (module constants, so a test can lower them). 50 MB and 200,000 rows are well inside.
MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_ROWS = 1_000_000
MAX_COLUMNS = 1_000
#: An XLSX is a zip: what it may hold once decompressed, in all and per member, and how much more
#: than its compressed size a member may claim (real sheets compress 5-30 times; bombs 1000 times).
XLSX_MAX_TOTAL_BYTES = 1024 * 1024 * 1024
XLSX_MAX_MEMBER_BYTES = 512 * 1024 * 1024
XLSX_MAX_RATIO = 100
#: Members smaller than this are never called bombs, whatever their ratio (an empty sheet's XML).
XLSX_RATIO_FLOOR = 1024 * 1024
XLSX_MAX_MEMBERS = 10_000

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"


class ImportFileError(RefDeskError):
    """The file cannot be imported as it is (missing, empty, too large, damaged, unsafe, not a table);
    the message says why in plain words and never quotes the file's content."""


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One data row: ``line`` is where it starts (the file's line, or the sheet's row number), ``cells``
    maps each header to its text (stripped; "" when empty or missing), ``problem`` says what is wrong
    with the row's shape (too many or too few cells, an unclosed quote), None when nothing is."""

    line: int
    cells: dict[str, str]
    problem: str | None = None


class Source:
    """An open file to import from; ``rows()`` streams it again at each call. Close it when done
    (or use it as a context manager)."""

    kind: Literal["csv", "xlsx"]

    def __init__(self, path: Path, headers: list[str]) -> None:
        self.path = path
        self.headers = headers
        #: XLSX: every worksheet's name, in workbook order; CSV: empty.
        self.sheets: list[str] = []
        self.sheet: str | None = None
        #: CSV: the text encoding found ("utf-8", "utf-8-sig", "utf-16", "cp1252"); XLSX: None.
        self.encoding: str | None = None
        #: CSV: the delimiter found; XLSX: None.
        self.delimiter: str | None = None

    def rows(self) -> Iterator[SourceRow]:  # pragma: no cover - every kind overrides it
        raise NotImplementedError

    def size_hint(self) -> int:
        """About how many data rows the file holds (for a progress bar; exact for most files)."""
        raise NotImplementedError  # pragma: no cover

    def close(self) -> None:
        """Release the file (an XLSX keeps its zip open while the source is)."""

    def __enter__(self) -> Source:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def open_source(path: Path, *, sheet: str | None = None) -> Source:
    """Open ``path`` for import: an XLSX (by its content, whatever its name) or a CSV.

    Args:
        sheet: the XLSX worksheet to read (default: the first); ignored for a CSV.

    Raises:
        ImportFileError: the file is missing, empty, too large, not text nor XLSX, damaged or unsafe.
    """
    path = Path(path)
    if not path.is_file():
        raise ImportFileError(f"There is no file at {path}.")
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as error:
        raise ImportFileError(f"Cannot read {path.name}: {error.strerror or 'access refused'}.") from error
    if size == 0:
        raise ImportFileError(f"{path.name} is empty.")
    if size > MAX_FILE_BYTES:
        raise ImportFileError(
            f"{path.name} is {size / 1024 / 1024:,.0f} MB; RefDesk imports files of up to "
            f"{MAX_FILE_BYTES // 1024 // 1024:,} MB. Split it into smaller files."
        )
    if head.startswith(_OLE_MAGIC):
        raise ImportFileError(
            f"{path.name} is an old Excel (.xls) or password-protected workbook. "
            "Save it as .xlsx (without a password) or as CSV, and import that."
        )
    if head.startswith(_ZIP_MAGIC):
        from refdesk.imports.xlsx_source import XlsxSource

        return XlsxSource.open(path, sheet)
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        raise ImportFileError(f"{path.name} is not a valid XLSX workbook (it may be damaged).")
    from refdesk.imports.csv_source import CsvSource

    return CsvSource.open(path, size)


def clean_headers(cells: Sequence[object], name: str) -> list[str]:
    """The header row as names: trimmed, blanks named "Column N", repeats numbered "Name (2)".

    Raises:
        ImportFileError: more columns than ``MAX_COLUMNS``.
    """
    while cells and not cell_text(cells[-1]):
        cells = cells[:-1]
    if len(cells) > MAX_COLUMNS:
        raise ImportFileError(f"{name} has {len(cells):,} columns; RefDesk reads at most {MAX_COLUMNS:,}.")
    headers: list[str] = []
    seen: set[str] = set()
    for index, cell in enumerate(cells, start=1):
        header = " ".join(cell_text(cell).replace("\ufeff", "").split()) or f"Column {index}"
        candidate, number = header, 1
        while candidate.casefold() in seen:
            number += 1
            candidate = f"{header} ({number})"
        seen.add(candidate.casefold())
        headers.append(candidate)
    return headers


def too_many_rows(path: Path) -> str:
    return f"{path.name} has more than {MAX_ROWS:,} rows; split it into smaller files and import each."


def cell_text(value: object) -> str:
    """A cell as text: dates as ISO (2024-05-03, or 2024-05-03 14:30), whole numbers without ".0"."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat(timespec="minutes")
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value).strip()
