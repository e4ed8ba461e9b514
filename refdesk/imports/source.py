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

import codecs
import csv
import io
import logging
import warnings
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from refdesk.errors import RefDeskError

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook

log = logging.getLogger(__name__)

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

_SAMPLE_BYTES = 64 * 1024
_CHUNK_BYTES = 1024 * 1024
_DELIMITERS = (",", ";", "\t")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
#: Bytes Windows-1252 leaves undefined: a file holding them is in some other encoding.
_NOT_CP1252 = frozenset(b"\x81\x8d\x8f\x90\x9d")
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
        return _XlsxSource.open(path, sheet)
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        raise ImportFileError(f"{path.name} is not a valid XLSX workbook (it may be damaged).")
    return _CsvSource.open(path, size)


# --- CSV ----------------------------------------------------------------------------------------------


class _CsvSource(Source):
    kind: Literal["csv", "xlsx"] = "csv"

    def __init__(self, path: Path, headers: list[str], encoding: str, delimiter: str, size: int) -> None:
        super().__init__(path, headers)
        self.encoding = encoding
        self.delimiter = delimiter
        self._size = size

    @classmethod
    def open(cls, path: Path, size: int) -> _CsvSource:
        encoding = _detect_encoding(path)
        with _text(path, encoding) as stream:
            sample = stream.read(_SAMPLE_BYTES)
        if size > _SAMPLE_BYTES and "\n" in sample:
            sample = sample[: sample.rindex("\n") + 1]  # no half line at the end of the sample
        if not sample.strip():
            raise ImportFileError(f"{path.name} holds no text (it is blank).")
        delimiter = _sniff_delimiter(sample)
        with _text(path, encoding) as stream:
            reader = csv.reader(stream, delimiter=delimiter)
            try:
                first = next((row for row in reader if any(cell.strip() for cell in row)), None)
            except csv.Error as error:
                raise ImportFileError(f"{path.name}: the header row cannot be read ({error}).") from error
        if first is None:
            raise ImportFileError(f"{path.name} holds no text (it is blank).")
        return cls(path, clean_headers(first, path.name), encoding, delimiter, size)

    def rows(self) -> Iterator[SourceRow]:
        assert self.encoding is not None and self.delimiter is not None
        width = len(self.headers)
        with _text(self.path, self.encoding) as stream:
            reader = csv.reader(stream, delimiter=self.delimiter)
            end = 0
            header_seen = False
            count = 0
            try:
                for record in reader:
                    start, end = end + 1, reader.line_num
                    if not any(cell.strip() for cell in record):
                        continue
                    if not header_seen:
                        header_seen = True
                        continue
                    count += 1
                    if count > MAX_ROWS:
                        raise ImportFileError(_too_many_rows(self.path))
                    yield _row(start, end, record, self.headers, width, self.delimiter)
            except csv.Error as error:
                line = reader.line_num
                yield SourceRow(
                    line,
                    {},
                    f"The file cannot be read from line {line} on ({error}): "
                    "there may be a quote that is never closed.",
                )
            except UnicodeDecodeError as error:  # the file changed since it was opened
                raise ImportFileError(
                    f"{self.path.name} changed while it was read; open it again."
                ) from error

    def size_hint(self) -> int:
        """Line ends minus the header: exact unless cells hold newlines. Reads the bytes once, quickly."""
        newline = "\n".encode(self.encoding or "utf-8")[-1:] if self.encoding != "utf-16" else b"\n\x00"
        lines = 0
        last = b""
        with self.path.open("rb") as handle:
            while chunk := handle.read(_CHUNK_BYTES):
                lines += chunk.count(newline)
                last = chunk
        if last and not last.rstrip(b"\x00").endswith(b"\n"):
            lines += 1
        return max(lines - 1, 0)


def _row(
    start: int, end: int, record: list[str], headers: list[str], width: int, delimiter: str
) -> SourceRow:
    cells = {header: cell.strip() for header, cell in zip(headers, record, strict=False)}
    problem = None
    if len(record) > width and any(cell.strip() for cell in record[width:]):
        problem = (
            f"This row has {len(record)} cells but the header has {width}: a value may hold an "
            f"unquoted {_DELIMITER_NAMES.get(delimiter, 'delimiter')}."
        )
    elif len(record) < width:
        for header in headers[len(record) :]:
            cells[header] = ""
        if end > start and "\n" in record[-1]:
            problem = (
                f"A quote opened on line {start} is never closed, "
                f"so lines {start}-{end} were read as one row."
            )
        else:
            problem = f"This row has {len(record)} cells but the header has {width}."
    return SourceRow(start, cells, problem)


def _text(path: Path, encoding: str) -> io.TextIOWrapper:
    try:
        return path.open("r", encoding=encoding, newline="")
    except OSError as error:
        raise ImportFileError(f"Cannot read {path.name}: {error.strerror or 'access refused'}.") from error


def _detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM), UTF-16 with a BOM, else Windows-1252; the whole file is checked."""
    with path.open("rb") as handle:
        head = handle.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        handle.seek(0)
        sample = handle.read(_SAMPLE_BYTES)
        if b"\x00" in sample:
            raise ImportFileError(
                f"{path.name} is not a text file: save the spreadsheet as CSV (or XLSX) and import that."
            )
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        cp1252 = True
        utf8 = True
        while chunk := handle.read(_CHUNK_BYTES):
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
            if cp1252 and not _NOT_CP1252.isdisjoint(chunk):
                cp1252 = False
            if not utf8 and not cp1252:
                break
        if utf8:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                utf8 = False
    if utf8:
        return "utf-8"
    if cp1252:
        return "cp1252"
    raise ImportFileError(
        f"{path.name} is in a text encoding RefDesk does not read. Save it as CSV UTF-8 and import that."
    )


def _sniff_delimiter(sample: str) -> str:
    """The delimiter that gives the header most columns while the rows below agree with it."""
    best, best_score = ",", (False, 0.0, 0)
    for delimiter in _DELIMITERS:
        try:
            rows = [row for row in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter) if row]
        except csv.Error:
            continue
        rows = rows[:100]
        if not rows:
            continue
        width = len(rows[0])
        body = rows[1:]
        agree = sum(1 for row in body if len(row) == width) / len(body) if body else 1.0
        score = (width > 1, round(agree, 1), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def clean_headers(cells: Sequence[object], name: str) -> list[str]:
    """The header row as names: trimmed, blanks named "Column N", repeats numbered "Name (2)".

    Raises:
        ImportFileError: more columns than ``MAX_COLUMNS``.
    """
    while cells and not _cell_text(cells[-1]):
        cells = cells[:-1]
    if len(cells) > MAX_COLUMNS:
        raise ImportFileError(f"{name} has {len(cells):,} columns; RefDesk reads at most {MAX_COLUMNS:,}.")
    headers: list[str] = []
    seen: set[str] = set()
    for index, cell in enumerate(cells, start=1):
        header = " ".join(_cell_text(cell).replace("\ufeff", "").split()) or f"Column {index}"
        candidate, number = header, 1
        while candidate.casefold() in seen:
            number += 1
            candidate = f"{header} ({number})"
        seen.add(candidate.casefold())
        headers.append(candidate)
    return headers


def _too_many_rows(path: Path) -> str:
    return f"{path.name} has more than {MAX_ROWS:,} rows; split it into smaller files and import each."


# --- XLSX ---------------------------------------------------------------------------------------------


class _XlsxSource(Source):
    kind: Literal["csv", "xlsx"] = "xlsx"

    def __init__(
        self, path: Path, headers: list[str], workbook: Workbook, sheet: str, header_row: int
    ) -> None:
        super().__init__(path, headers)
        self._workbook: Workbook | None = workbook
        self.sheets = [worksheet.title for worksheet in workbook.worksheets]
        self.sheet = sheet
        self._header_row = header_row

    @classmethod
    def open(cls, path: Path, sheet: str | None) -> _XlsxSource:
        check_zip(path)
        workbook = _load_workbook(path)
        try:
            names = [worksheet.title for worksheet in workbook.worksheets]
            if not names:
                raise ImportFileError(f"{path.name} has no worksheet.")
            if sheet is None:
                sheet = names[0]
            elif sheet not in names:
                raise ImportFileError(
                    f"{path.name} has no sheet named “{sheet}”; it has: {', '.join(names)}."
                )
            header_row, headers = 0, []
            for number, values in _sheet_rows(workbook, sheet, path):
                if any(_cell_text(value) for value in values):
                    header_row, headers = number, clean_headers(values, path.name)
                    break
            if not headers:
                raise ImportFileError(f"The sheet “{sheet}” of {path.name} is empty.")
            return cls(path, headers, workbook, sheet, header_row)
        except BaseException:
            workbook.close()
            raise

    def rows(self) -> Iterator[SourceRow]:
        if self._workbook is None:
            raise RuntimeError("this source is closed")
        assert self.sheet is not None
        width = len(self.headers)
        count = 0
        for number, values in _sheet_rows(self._workbook, self.sheet, self.path):
            if number <= self._header_row:
                continue
            texts = [_cell_text(value) for value in values]
            if not any(texts):
                continue
            count += 1
            if count > MAX_ROWS:
                raise ImportFileError(_too_many_rows(self.path))
            cells = {header: texts[i] if i < len(texts) else "" for i, header in enumerate(self.headers)}
            problem = None
            if any(texts[width:]):
                extra = max(i for i, text in enumerate(texts) if text) + 1
                problem = f"This row has {extra} cells but the header has {width}."
            yield SourceRow(number, cells, problem)

    def size_hint(self) -> int:
        if self._workbook is None:
            return 0
        assert self.sheet is not None
        try:
            last = self._workbook[self.sheet].max_row
        except Exception:  # a sheet without a dimension record
            last = None
        return max(int(last or 0) - self._header_row, 0)

    def close(self) -> None:
        if self._workbook is not None:
            self._workbook.close()
            self._workbook = None


def check_zip(path: Path) -> None:
    """Refuse an XLSX whose zip would decompress to too much (a zip bomb), before decompressing it.

    Python's zipfile never yields more than a member's declared size (and fails its checksum if the
    data holds more), so checking the declared sizes bounds what reading can produce.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as error:
        raise ImportFileError(f"{path.name} is not a valid XLSX workbook (it may be damaged).") from error
    bomb = ImportFileError(
        f"{path.name} was refused: it would decompress to far more than its size (a “zip bomb”). "
        "Open it in Excel and save it again, or save it as CSV."
    )
    if len(members) > XLSX_MAX_MEMBERS:
        raise bomb
    total = 0
    for member in members:
        total += member.file_size
        if member.file_size > XLSX_MAX_MEMBER_BYTES or total > XLSX_MAX_TOTAL_BYTES:
            raise bomb
        if member.file_size > XLSX_RATIO_FLOOR and member.file_size > XLSX_MAX_RATIO * max(
            member.compress_size, 1
        ):
            raise bomb
    if "xl/workbook.xml" not in {member.filename for member in members}:
        raise ImportFileError(f"{path.name} is a zip file but not an Excel workbook.")


def _unsafe(path: Path) -> ImportFileError:
    return ImportFileError(
        f"{path.name} was refused: it holds XML entity declarations, which spreadsheets never need and "
        "attacks use (“billion laughs”). Save it again from Excel, or as CSV."
    )


def _load_workbook(path: Path) -> Workbook:
    import defusedxml
    import openpyxl

    if not openpyxl.DEFUSEDXML:  # switched off by OPENPYXL_DEFUSEDXML=False
        raise ImportFileError("XLSX files are read only with defusedxml's protection, which is switched off.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # a third-party parser on untrusted input: any failure means a bad file
        if _caused_by(error, defusedxml.DefusedXmlException):  # openpyxl wraps some in a ValueError
            raise _unsafe(path) from error
        log.info("openpyxl could not open an XLSX: %s", type(error).__name__)
        raise ImportFileError(f"{path.name} is not a valid XLSX workbook (it may be damaged).") from error


def _caused_by(error: BaseException | None, kind: type[BaseException]) -> bool:
    seen = 0
    while error is not None and seen < 20:
        if isinstance(error, kind):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def _sheet_rows(workbook: Workbook, sheet: str, path: Path) -> Iterator[tuple[int, Sequence[Any]]]:
    """(row number, cell values) of every row of ``sheet``, parsing errors turned into plain words."""
    import defusedxml

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            worksheet = workbook[sheet]
            yield from enumerate(worksheet.iter_rows(values_only=True), start=1)
    except ImportFileError:
        raise
    except Exception as error:  # a third-party parser on untrusted input
        if _caused_by(error, defusedxml.DefusedXmlException):
            raise _unsafe(path) from error
        log.info("openpyxl could not read a sheet: %s", type(error).__name__)
        raise ImportFileError(
            f"The sheet “{sheet}” of {path.name} cannot be read (it may be damaged)."
        ) from error


def _cell_text(value: object) -> str:
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
