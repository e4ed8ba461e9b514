"""Which column of the file holds which RefDesk field, and what the file's words mean in RefDesk.

A ``Mapping`` is what the import wizard builds step by step and what ``refdesk import --mapping`` reads
from a JSON file: ``columns`` (field -> header), ``values`` (field -> {word in the file -> RefDesk
value}), the ``date_format`` of numeric dates, and ``defaults`` for fields the file has no column for
(the service line, the intake channel). ``guess_mapping`` guesses the columns from common header names;
``guess_values`` the values from the words other systems use; ``detect_date_format`` reads the dates.

The field tables are in ``fields``, the ``Mapping`` and its JSON file in ``mapping_file``, the date
order in ``date_order``; they are re-exported here, where the wizard and the command import them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from refdesk.imports import nppes
from refdesk.imports.date_order import DateGuess, detect_date_format
from refdesk.imports.fields import (
    DATE_KINDS,
    FIELDS,
    PARTNER_FIELDS,
    REFERRAL_FIELDS,
    Field,
    FieldKind,
    Fields,
    Kind,
    valid_choice,
)
from refdesk.imports.mapping_file import Mapping
from refdesk.imports.source import Source
from refdesk.imports.values import WORDS, guess_value, norm

__all__ = [
    "DATE_KINDS",
    "FIELDS",
    "PARTNER_FIELDS",
    "REFERRAL_FIELDS",
    "DateGuess",
    "Field",
    "FieldKind",
    "Fields",
    "Kind",
    "Mapping",
    "detect_date_format",
    "distinct_values",
    "guess_mapping",
    "guess_values",
    "missing_required",
    "valid_choice",
    "value_fields",
]

#: A header preceded by one of these words is also tried without it ("Patient DOB", "Pt Phone").
_PREFIXES = ("patient", "pt", "client", "referral", "partner", "practice")


def guess_mapping(kind: Kind, headers: list[str]) -> Mapping:
    """The columns guessed from the headers' names ("DOB", "Birth Date" -> date of birth). Each header
    fills at most one field; a CMS NPPES file (partners) gets its own columns."""
    if kind == "partners" and nppes.is_nppes(headers):
        return Mapping(kind, nppes.columns(headers))
    fields = FIELDS[kind]
    by_word: dict[str, str] = {}
    for name, spec in fields.items():
        for word in spec.headers:
            by_word.setdefault(norm(word), name)
    columns: dict[str, str] = {}
    for exact in (True, False):
        for header in headers:
            if header in columns.values():
                continue
            word = norm(header)
            candidates: list[str] = [word]
            if not exact:
                first, _, rest = word.partition(" ")
                candidates = [rest] if first in _PREFIXES and rest else []
            for candidate in candidates:
                target = by_word.get(candidate)
                if target is not None and target not in columns:
                    columns[target] = header
                    break
    if (
        kind == "referrals"
        and "patient_name" in columns
        and {"patient_first_name", "patient_last_name"} <= set(columns)
    ):
        del columns["patient_name"]
    return Mapping(kind, columns)


def missing_required(mapping: Mapping) -> list[str]:
    """The labels of the required fields that have neither a column nor (where allowed) a default; a
    referral's name may come from first and last name columns or from one patient name column."""
    columns, defaults = mapping.columns, mapping.defaults
    missing = []
    for name, spec in mapping.fields.items():
        if not spec.required or name in columns or (spec.defaultable and defaults.get(name)):
            continue
        if name in {"patient_first_name", "patient_last_name"} and "patient_name" in columns:
            continue
        missing.append(spec.label)
    return missing


def distinct_values(
    source: Source, mapping: Mapping, field: str, *, limit: int = 50
) -> list[tuple[str, int]]:
    """The most frequent non-empty values of ``field``'s column (for the value-mapping step), with their
    counts, most frequent first; empty when the field has no column. Reads the whole file once."""
    header = mapping.columns.get(field)
    if header is None:
        return []
    counts: Counter[str] = Counter()
    for row in source.rows():
        value = row.cells.get(header, "")
        if value:
            counts[value] += 1
    return counts.most_common(limit)


def guess_values(field: str, values: Iterable[str | tuple[str, int]]) -> dict[str, str]:
    """{word: RefDesk value} for the words RefDesk recognises ("In Progress" -> "contact_attempted");
    words it does not are left out for the person to map. ``values`` may be ``distinct_values``' pairs."""
    guessed = {}
    for item in values:
        word = item if isinstance(item, str) else item[0]
        value = guess_value(field, word)
        if value is not None:
            guessed[word] = value
    return guessed


def value_fields(kind: Kind) -> list[str]:
    """The fields whose words the value-mapping step offers to map (those with choices)."""
    return [name for name, spec in FIELDS[kind].items() if spec.kind == "choice" and name in WORDS]
