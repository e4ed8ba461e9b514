"""Reading a CSV for import (``source.open_source`` opens one): the encoding checked over the whole file,
the delimiter sniffed from the first rows, rows streamed with their shape problems."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from refdesk.imports import source
from refdesk.imports.source import ImportFileError, Source, SourceRow, clean_headers, too_many_rows

_SAMPLE_BYTES = 64 * 1024
_CHUNK_BYTES = 1024 * 1024
_DELIMITERS = (",", ";", "\t")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
#: Bytes Windows-1252 leaves undefined: a file holding them is in some other encoding.
_NOT_CP1252 = frozenset(b"\x81\x8d\x8f\x90\x9d")


class CsvSource(Source):
    kind: Literal["csv", "xlsx"] = "csv"

    def __init__(self, path: Path, headers: list[str], encoding: str, delimiter: str, size: int) -> None:
        super().__init__(path, headers)
        self.encoding = encoding
        self.delimiter = delimiter
        self._size = size

    @classmethod
    def open(cls, path: Path, size: int) -> CsvSource:
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
                    if count > source.MAX_ROWS:
                        raise ImportFileError(too_many_rows(self.path))
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
