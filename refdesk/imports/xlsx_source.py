"""Reading an XLSX for import (``source.open_source`` opens one): the zip checked before anything is
decompressed, then openpyxl in read-only mode with defusedxml; openpyxl is imported only here."""

from __future__ import annotations

import logging
import warnings
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from refdesk.imports import source
from refdesk.imports.source import ImportFileError, Source, SourceRow, cell_text, clean_headers, too_many_rows

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook

log = logging.getLogger(__name__)


class XlsxSource(Source):
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
    def open(cls, path: Path, sheet: str | None) -> XlsxSource:
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
                if any(cell_text(value) for value in values):
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
            texts = [cell_text(value) for value in values]
            if not any(texts):
                continue
            count += 1
            if count > source.MAX_ROWS:
                raise ImportFileError(too_many_rows(self.path))
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
    if len(members) > source.XLSX_MAX_MEMBERS:
        raise bomb
    total = 0
    for member in members:
        total += member.file_size
        if member.file_size > source.XLSX_MAX_MEMBER_BYTES or total > source.XLSX_MAX_TOTAL_BYTES:
            raise bomb
        if member.file_size > source.XLSX_RATIO_FLOOR and member.file_size > source.XLSX_MAX_RATIO * max(
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
