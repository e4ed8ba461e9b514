"""What the import wizard knows so far, shared by its pages: the open file, the mapping being built, and
what the background reads found (sample rows, the values in the file, the date format, the preview).

Each page writes what it decides and reads what the pages before it decided; a page that changes
something earlier pages' findings depend on (another file, another column) forgets those findings, so a
later page never shows an answer to an old question.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from refdesk.imports.mapping import DateGuess, Kind, Mapping
from refdesk.imports.results import ImportResult, Preview
from refdesk.imports.source import Source

REFERRALS: Kind = "referrals"
PARTNERS: Kind = "partners"
KINDS: tuple[Kind, ...] = (REFERRALS, PARTNERS)

#: Rows read when a file is opened, for the sample values beside each column and the date examples.
SAMPLE_ROWS = 20


@dataclass
class Opened:
    """What opening a file found (read on a worker), with the service lines RefDesk has (a service line
    column's values, or a service line for every row, are chosen among them)."""

    source: Source
    samples: list[dict[str, str]]
    nppes: bool
    service_lines: list[str]
    #: A workbook's first sheet, passed over because it has no rows (None: nothing was passed over).
    skipped_sheet: str | None = None


@dataclass
class Analysis:
    """What the values step and the dates step need, read from the whole file for one mapping."""

    #: The mapping's columns it was read for: a change of column makes it stale.
    columns: dict[str, str]
    #: Field -> the distinct values in its column, most common first, with their counts.
    values: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    #: Field -> raw value -> RefDesk value, as guessed.
    guesses: dict[str, dict[str, str]] = field(default_factory=dict)
    dates: DateGuess | None = None


@dataclass
class ImportState:
    kind: Kind = REFERRALS
    path: Path | None = None
    source: Source | None = None
    samples: list[dict[str, str]] = field(default_factory=list)
    nppes: bool = False
    service_lines: list[str] = field(default_factory=list)
    #: A mapping loaded from a file ("Load mapping…"), applied when the columns step is next shown.
    loaded_mapping: Mapping | None = None
    loaded_from: Path | None = None
    mapping: Mapping | None = None
    analysis: Analysis | None = None
    preview: Preview | None = None
    result: ImportResult | None = None

    @property
    def headers(self) -> list[str]:
        return list(self.source.headers) if self.source is not None else []

    def forget_findings(self) -> None:
        """The file or the kind changed: what was read for the old one no longer holds."""
        self.mapping = None
        self.analysis = None
        self.preview = None
        self.result = None

    def take_source(self) -> Source | None:
        """Hand over the open file (to be closed on a worker) and forget it."""
        source, self.source = self.source, None
        self.samples = []
        self.nppes = False
        return source
