"""Importing a list of partner practices, or rows of the CMS NPPES ``npidata_pfile``.

Each row is checked with the rules of the partner form (``services.validation.Errors``: name, phones,
email) plus an NPI's check digit; a partner whose name matches an existing one (or an earlier row)
ignoring case and spacing is a duplicate, skipped and counted. An NPPES file (``is_nppes``) gets its
own columns, an individual's name when the row is a person, the category of its primary taxonomy code
(``nppes.category_of``), and deactivated NPIs refused. All-or-nothing unless ``skip_invalid``; Cancel
leaves the database as it was; the import is audited.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from refdesk.domain.models import Partner, partner_name_key
from refdesk.domain.vocab import ContactMethod, PartnerCategory
from refdesk.imports import nppes
from refdesk.imports.mapping import PARTNER_FIELDS, Mapping, missing_required
from refdesk.imports.results import (
    ROW,
    ImportResult,
    Preview,
    PreviewRow,
    Progress,
    Rejects,
    RowProblem,
    ShouldStop,
    Ticker,
)
from refdesk.imports.running import run_audited
from refdesk.imports.source import ImportFileError, Source, SourceRow
from refdesk.imports.values import guess_value, norm
from refdesk.services.actor import Actor
from refdesk.services.validation import Errors
from refdesk.storage import Database

__all__ = ["is_nppes", "preview", "run_import", "npi_is_valid", "TAXONOMY_CATEGORIES"]

is_nppes = nppes.is_nppes
TAXONOMY_CATEGORIES = nppes.TAXONOMY_CATEGORIES
BATCH = 1000
#: Text columns: field -> (label, longest length), as the partner table holds them.
_TEXT: dict[str, tuple[str, int]] = {
    "portal": ("Portal", 200),
    "address_line1": ("Address", 200),
    "address_line2": ("Address line 2", 200),
    "city": ("City", 100),
    "region": ("State / region", 100),
    "postal_code": ("ZIP / postal code", 20),
}


def npi_is_valid(npi: str) -> bool:
    """Ten digits whose last is the Luhn check digit of "80840" + the first nine (the NPI standard)."""
    if len(npi) != 10 or not npi.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed("80840" + npi)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def preview(
    db: Database,
    source: Source,
    mapping: Mapping,
    *,
    limit: int = 200,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
    create_partners: Collection[str] = (),
) -> Preview:
    """Check the whole file as ``run_import`` would, writing nothing (``create_partners`` is ignored)."""
    _prepare(source, mapping)
    result = Preview()
    ticker = Ticker(source.size_hint(), progress, should_stop)
    with db.session() as session:
        job = _Job(session, source, mapping)
        for row, values, problem, duplicate in job.rows(ticker):
            if len(result.rows) < limit:
                shown = PreviewRow(row.line, {f: row.cells.get(h, "") for f, h in mapping.columns.items()})
                shown.problems = dict(problem.messages) if problem else {}
                shown.duplicate = duplicate
                result.rows.append(shown)
            if problem is not None:
                result.invalid += 1
                if len(result.problems) < limit:
                    result.problems.append(problem)
            elif values is not None:
                result.valid += 1
        ticker.finish()
    result.read = job.read
    result.duplicates = job.duplicates
    return result


def run_import(
    db: Database,
    actor: Actor,
    source: Source,
    mapping: Mapping,
    *,
    skip_invalid: bool = False,
    rejects_path: Path | None = None,
    create_partners: Collection[str] = (),
    dry_run: bool = False,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
) -> ImportResult:
    """Import the partners of ``source`` in one transaction; the arguments and errors are those of
    ``referrals.run_import`` (``create_partners`` is ignored)."""
    _prepare(source, mapping)

    def work(session: Session, rejects: Rejects, ticker: Ticker) -> ImportResult:
        job = _Job(session, source, mapping)
        imported = 0
        batch: list[dict[str, Any]] = []
        for row, values, problem, _ in job.rows(ticker):
            if problem is not None:
                rejects.add(row, problem)
                continue
            if values is None:
                continue
            imported += 1
            if rejects.count and not skip_invalid:
                continue
            batch.append(values)
            if len(batch) >= BATCH:
                session.execute(insert(Partner), batch)
                batch = []
        if batch:
            session.execute(insert(Partner), batch)
        return ImportResult(
            read=job.read,
            imported=imported,
            duplicates=job.duplicates,
            rejected=rejects.count,
            rejects_path=None,
            dry_run=dry_run,
            problems=tuple(rejects.kept),
        )

    def detail(result: ImportResult) -> dict[str, Any]:
        return {
            "file": source.path.name,
            "sheet": source.sheet,
            "read": result.read,
            "imported": result.imported,
            "duplicates": result.duplicates,
            "rejected": result.rejected,
            "nppes": is_nppes(source.headers),
            "skip_invalid": skip_invalid,
            "dry_run": dry_run,
        }

    return run_audited(
        db,
        actor,
        "partner.import",
        "partner",
        source,
        PARTNER_FIELDS,
        work,
        detail,
        skip_invalid=skip_invalid,
        rejects_path=rejects_path,
        dry_run=dry_run,
        progress=progress,
        should_stop=should_stop,
    )


def _prepare(source: Source, mapping: Mapping) -> None:
    if mapping.kind != "partners":
        raise ImportFileError("This mapping is for referrals, not for a partner list.")
    mapping.check()
    missing = missing_required(mapping)
    if missing:
        raise ImportFileError(
            f"Cannot import without: {', '.join(missing)}. Choose the column that holds it."
        )
    absent = sorted(set(mapping.columns.values()) - set(source.headers))
    if absent:
        raise ImportFileError(f"The file has no column named: {', '.join(absent)}.")


class _Job:
    def __init__(self, session: Session, source: Source, mapping: Mapping) -> None:
        self.source = source
        self.mapping = mapping
        self.nppes = is_nppes(source.headers)
        self.known = set(session.scalars(select(Partner.name_key)))
        self.words = {name: {norm(k): v for k, v in words.items()} for name, words in mapping.values.items()}
        self.defaults = {name: value for name, value in mapping.defaults.items() if value}
        self.read = 0
        self.duplicates = 0

    def rows(
        self, ticker: Ticker
    ) -> Iterator[tuple[SourceRow, dict[str, Any] | None, RowProblem | None, bool]]:
        """Each row with its partner's columns, or its problem; duplicates come with neither."""
        for row in self.source.rows():
            self.read += 1
            ticker.tick()
            values, errors = self.check(row)
            if errors:
                yield row, None, RowProblem(row.line, errors), False
                continue
            assert values is not None
            if values["name_key"] in self.known:
                self.duplicates += 1
                yield row, None, None, True
                continue
            self.known.add(values["name_key"])
            yield row, values, None, False

    def _text(self, row: SourceRow, name: str) -> str:
        header = self.mapping.columns.get(name)
        text = row.cells.get(header, "") if header is not None else ""
        return text or self.defaults.get(name, "")

    def _choice(self, row: SourceRow, name: str, errors: Errors) -> str | None:
        text = self._text(row, name)
        if not text:
            return None
        value = self.words.get(name, {}).get(norm(text)) or guess_value(name, text)
        if value is None:
            errors.add(name, f"“{text[:60]}” is not a value RefDesk knows; map it to one.")
        return value

    def check(self, row: SourceRow) -> tuple[dict[str, Any] | None, dict[str, str]]:
        errors = Errors()
        if row.problem:
            errors.add(ROW, row.problem)
        name_text = self._text(row, "name")
        if self.nppes and not name_text and row.cells.get(nppes.ENTITY_TYPE) == "1":
            name_text = nppes.individual_name(row.cells)
        name = errors.text("name", name_text, label="Partner name", max_length=200, required=True)
        category = self._choice(row, "category", errors)
        if category is None and self.nppes and "category" not in self.defaults:
            category = nppes.category_of(nppes.primary_taxonomy(row.cells))
        values: dict[str, Any] = {
            "name": name,
            "name_key": partner_name_key(name or ""),
            "category": PartnerCategory(category or PartnerCategory.PRIMARY_CARE),
            "phone": errors.phone("phone", self._text(row, "phone"), required=False),
            "fax": errors.phone("fax", self._text(row, "fax"), required=False),
            "email": errors.email("email", self._text(row, "email")),
            "notes": errors.long_text("notes", self._text(row, "notes"), label="Notes", required=False),
        }
        for field, (label, length) in _TEXT.items():
            values[field] = errors.text(
                field, self._text(row, field), label=label, max_length=length, required=False
            )
        npi = self._text(row, "npi").replace(" ", "").replace("-", "")
        if npi and not npi_is_valid(npi):
            errors.add("npi", "An NPI has 10 digits, the last a check digit; this one is not valid.")
        values["npi"] = npi or None
        channel = self._choice(row, "preferred_update_channel", errors)
        values["preferred_update_channel"] = ContactMethod(channel) if channel else None
        if self.nppes and nppes.is_deactivated(row.cells):
            errors.add(ROW, "This NPI was deactivated.")
        return (None, errors.messages) if errors.messages else (values, {})
