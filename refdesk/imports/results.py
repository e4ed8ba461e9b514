"""What a preview and an import report, and the pieces both kinds of import share: the rejected-rows
file, progress and Cancel.

Row problems are keyed by field and never quote a cell (a cell may be patient data), so they can be
shown, written to the audit trail and put in an error message alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from refdesk.errors import OperationCancelled
from refdesk.exports.csv_safe import SafeCsv
from refdesk.imports.mapping import Fields
from refdesk.imports.source import ImportFileError, Source, SourceRow

Progress = Callable[[int, int], None]
ShouldStop = Callable[[], bool]

#: The key of a problem with the row's shape (too many cells, an unclosed quote) rather than a field.
ROW = "row"
#: Rows with problems kept in memory for the preview and the result (the rejects file has every one).
KEEP_PROBLEMS = 1000
#: Rows between two progress reports and Cancel checks.
TICK_ROWS = 250


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A row that cannot be imported: its line and one message per field (``ROW`` for its shape)."""

    line: int
    messages: dict[str, str]

    def describe(self, fields: Fields) -> str:
        """ "Date of birth: ...; Phone: ..." with the fields' labels."""
        return "; ".join(
            message if name == ROW else f"{fields[name].label if name in fields else name}: {message}"
            for name, message in self.messages.items()
        )


@dataclass(slots=True)
class PreviewRow:
    """One row as the preview shows it: the text of each mapped field, and what is wrong with it."""

    line: int
    #: field -> the cell's text (the columns the mapping uses).
    values: dict[str, str]
    #: field -> message; empty when the row can be imported.
    problems: dict[str, str] = field(default_factory=dict)
    #: Already in RefDesk (or earlier in the file): it will be skipped, not imported twice.
    duplicate: bool = False


@dataclass(slots=True)
class Preview:
    """The whole file checked without writing: counts, the first rows, the first problems."""

    #: The first ``limit`` rows, in file order.
    rows: list[PreviewRow] = field(default_factory=list)
    #: The first ``limit`` rows that cannot be imported, wherever they are in the file.
    problems: list[RowProblem] = field(default_factory=list)
    read: int = 0
    valid: int = 0
    invalid: int = 0
    duplicates: int = 0
    #: Names the file uses for partners RefDesk does not know, with how many rows use each (referrals).
    unknown_partners: list[tuple[str, int]] = field(default_factory=list)
    #: The order numeric dates were read in (the mapping's, or the one the data allows).
    date_format: str | None = None


@dataclass(frozen=True, slots=True)
class ImportResult:
    read: int
    imported: int
    duplicates: int
    rejected: int
    #: Where the rejected rows were written (None when none were, or no file was asked for).
    rejects_path: Path | None
    partners_created: int = 0
    dry_run: bool = False
    #: The first rejected rows (all of them are in the rejects file).
    problems: tuple[RowProblem, ...] = ()

    def summary(self) -> str:
        """One line for a person: "Read 1,200 rows: imported 1,180, skipped 15 duplicates, rejected 5"."""
        verb = "would import" if self.dry_run else "imported"
        text = (
            f"Read {self.read:,} rows: {verb} {self.imported:,}, skipped {self.duplicates:,} "
            f"duplicate{'s' if self.duplicates != 1 else ''}, rejected {self.rejected:,}"
        )
        if self.partners_created:
            created = "would create" if self.dry_run else "created"
            text += (
                f"; {created} {self.partners_created:,} partner{'s' if self.partners_created != 1 else ''}"
            )
        return text + "."


class ImportRefused(ImportFileError):
    """All-or-nothing: some rows cannot be imported, so none was. ``result`` counts what was found and
    holds the first problems (with line numbers; the message quotes no cell)."""

    def __init__(self, result: ImportResult) -> None:
        self.result = result
        lines = ", ".join(str(problem.line) for problem in result.problems[:10])
        more = ", ..." if result.rejected > 10 else ""
        super().__init__(
            f"Nothing was imported: {result.rejected:,} of {result.read:,} rows cannot be imported "
            f"(line{'s' if result.rejected != 1 else ''} {lines}{more}). Correct them, or import only the "
            "valid rows."
        )


def default_rejects_path(source: Source) -> Path:
    """Beside the source: ``log.csv`` -> ``log-rejected.csv`` (``log-Sheet1-rejected.csv`` for a sheet)."""
    sheet = f"-{source.sheet}" if source.sheet else ""
    safe = "".join(ch if ch.isalnum() or ch in " -_." else "_" for ch in sheet)
    return source.path.with_name(f"{source.path.stem}{safe}-rejected.csv")


class Rejects:
    """The rejected rows, as the file had them plus the line and the reason, streamed to a CSV that is
    written whole (``publish``) or not at all; formula-safe like every export."""

    def __init__(self, source: Source, fields: Fields, target: Path | None) -> None:
        self.fields = fields
        self.headers = source.headers
        self.target = target
        self.count = 0
        self.kept: list[RowProblem] = []
        self._csv: SafeCsv | None = None
        if target is not None:
            self._csv = SafeCsv(target)
            self._csv.row(["Line", *self.headers, "Problem"])

    def add(self, row: SourceRow, problem: RowProblem) -> None:
        self.count += 1
        if len(self.kept) < KEEP_PROBLEMS:
            self.kept.append(problem)
        if self._csv is not None:
            cells = [row.cells.get(header, "") for header in self.headers]
            self._csv.row([row.line, *cells, problem.describe(self.fields)])

    def publish(self) -> Path | None:
        """Put the file in place when it holds rows; returns its path (None when nothing was written)."""
        if self._csv is None:
            return None
        if not self.count:
            self._csv.discard()
            return None
        self._csv.publish()
        return self.target

    def discard(self) -> None:
        if self._csv is not None:
            self._csv.discard()


class Ticker:
    """Reports progress and honours Cancel every ``TICK_ROWS`` rows."""

    def __init__(self, total: int, progress: Progress | None, should_stop: ShouldStop | None) -> None:
        self.total = max(total, 1)
        self.progress = progress
        self.should_stop = should_stop
        self.done = 0

    def tick(self) -> None:
        self.done += 1
        if self.done % TICK_ROWS == 0:
            self.check()
            if self.progress is not None:
                self.total = max(self.total, self.done)
                self.progress(self.done, self.total)

    def check(self) -> None:
        """Raises OperationCancelled when Cancel was pressed."""
        if self.should_stop is not None and self.should_stop():
            raise OperationCancelled("Import cancelled: nothing was imported.")

    def finish(self) -> None:
        self.check()
        if self.progress is not None:
            self.progress(self.done, self.done)
