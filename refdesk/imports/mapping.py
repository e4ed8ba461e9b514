"""Which column of the file holds which RefDesk field, and what the file's words mean in RefDesk.

A ``Mapping`` is what the import wizard builds step by step and what ``refdesk import --mapping`` reads
from a JSON file: ``columns`` (field -> header), ``values`` (field -> {word in the file -> RefDesk
value}), the ``date_format`` of numeric dates, and ``defaults`` for fields the file has no column for
(the service line, the intake channel). ``guess_mapping`` guesses the columns from common header names;
``guess_values`` the values from the words other systems use; ``detect_date_format`` reads the dates.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, cast, get_args

from refdesk.domain.lifecycle import CLOSE_REASONS, LABELS
from refdesk.domain.vocab import Channel, ContactMethod, PartnerCategory, Urgency
from refdesk.imports import nppes
from refdesk.imports.source import ImportFileError, Source
from refdesk.imports.values import (
    DATE_FORMATS,
    IMPORTABLE_STATES,
    WORDS,
    DateFormat,
    guess_value,
    norm,
    possible_orders,
)

Kind = Literal["referrals", "partners"]
FieldKind = Literal["text", "date", "datetime", "choice", "count", "partner", "service_line"]


@dataclass(frozen=True, slots=True)
class Field:
    """One field a column can fill."""

    label: str
    required: bool = False
    #: A value in ``Mapping.defaults`` may stand in for the column (service line, channel, category).
    defaultable: bool = False
    kind: FieldKind = "text"
    #: (RefDesk value, label) for the fields whose words are mapped (states, urgency, ...).
    choices: tuple[tuple[str, str], ...] = ()
    #: Header names that guess this field, compared as ``values.norm`` folds them.
    headers: tuple[str, ...] = ()


Fields = dict[str, Field]


def _choices(members: Iterable[Any]) -> tuple[tuple[str, str], ...]:
    return tuple((member.value, member.label) for member in members)


_STATE_CHOICES = tuple((state.value, LABELS[state]) for state in IMPORTABLE_STATES)
_REASON_CHOICES = tuple((reason.value, info.label) for reason, info in CLOSE_REASONS.items())
_YES_NO = (("yes", "Yes"), ("no", "No"))

REFERRAL_FIELDS: Fields = {
    "patient_first_name": Field(
        "First name", True, headers=("first name", "first", "given name", "fname", "forename", "firstname")
    ),
    "patient_last_name": Field(
        "Last name", True, headers=("last name", "last", "surname", "family name", "lname", "lastname")
    ),
    "patient_name": Field(
        "Patient name (first and last in one column)",
        headers=(
            "patient name",
            "patient",
            "name",
            "full name",
            "client name",
            "client",
            "patient full name",
        ),
    ),
    "patient_dob": Field(
        "Date of birth",
        True,
        kind="date",
        headers=("dob", "date of birth", "birth date", "birthdate", "birthday", "d o b", "born"),
    ),
    "phone": Field(
        "Phone",
        True,
        headers=(
            "phone",
            "phone number",
            "telephone",
            "tel",
            "cell",
            "mobile",
            "home phone",
            "primary phone",
            "contact number",
            "cell phone",
            "phone 1",
            "phone1",
        ),
    ),
    "phone_alt": Field(
        "Other phone",
        headers=(
            "alt phone",
            "alternate phone",
            "other phone",
            "secondary phone",
            "phone 2",
            "phone2",
            "work phone",
            "second phone",
        ),
    ),
    "email": Field("Email", headers=("email", "e mail", "email address")),
    "preferred_contact_method": Field(
        "Preferred contact",
        kind="choice",
        choices=_choices(ContactMethod),
        headers=("preferred contact", "contact method", "preferred contact method", "contact preference"),
    ),
    "preferred_contact_time": Field(
        "Contact time", headers=("best time", "best time to call", "preferred time", "contact time")
    ),
    "language": Field("Language", headers=("language", "preferred language", "primary language")),
    "interpreter_needed": Field(
        "Interpreter needed",
        kind="choice",
        choices=_YES_NO,
        headers=("interpreter", "interpreter needed", "needs interpreter", "interpreter required"),
    ),
    "caregiver_name": Field(
        "Caregiver", headers=("caregiver", "caregiver name", "guardian", "guardian name")
    ),
    "caregiver_phone": Field("Caregiver phone", headers=("caregiver phone", "guardian phone")),
    "caregiver_relationship": Field(
        "Caregiver relationship", headers=("relationship", "caregiver relationship", "guardian relationship")
    ),
    "insurance_payer": Field(
        "Insurance",
        headers=(
            "insurance",
            "payer",
            "insurance company",
            "insurance payer",
            "insurance plan",
            "plan",
            "payor",
        ),
    ),
    "insurance_member_id": Field(
        "Member ID",
        headers=("member id", "insurance id", "policy number", "subscriber id", "member number", "policy"),
    ),
    "authorization_number": Field(
        "Authorization",
        headers=("authorization", "auth", "auth number", "authorization number", "prior auth", "auth no"),
    ),
    "authorization_visits": Field(
        "Approved visits",
        kind="count",
        headers=("visits approved", "approved visits", "auth visits", "authorized visits", "visits"),
    ),
    "authorization_expires_on": Field(
        "Authorization expires",
        kind="date",
        headers=(
            "auth expires",
            "authorization expires",
            "auth expiration",
            "authorization expiration",
            "auth expiry",
            "authorization expiration date",
            "auth end date",
        ),
    ),
    "referring_clinician": Field(
        "Referring clinician",
        headers=(
            "referring provider",
            "referring physician",
            "referring doctor",
            "referring clinician",
            "provider",
            "physician",
            "doctor",
            "ordering provider",
            "referring md",
            "clinician",
        ),
    ),
    "partner": Field(
        "Referring partner",
        True,
        kind="partner",
        headers=(
            "referring practice",
            "referral source",
            "source",
            "referred by",
            "practice",
            "partner",
            "referring office",
            "referring clinic",
            "clinic",
            "referring organization",
            "referrer",
            "referring organisation",
            "office",
            "facility",
            "referring facility",
            "referring practice name",
        ),
    ),
    "service_line": Field(
        "Service line",
        True,
        defaultable=True,
        kind="service_line",
        headers=(
            "service",
            "service line",
            "department",
            "specialty",
            "referred to",
            "program",
            "service requested",
            "referral type",
        ),
    ),
    "reason": Field(
        "Reason for referral",
        True,
        headers=(
            "reason",
            "reason for referral",
            "referral reason",
            "diagnosis",
            "chief complaint",
            "indication",
            "dx",
            "complaint",
            "referral notes",
        ),
    ),
    "urgency": Field("Urgency", kind="choice", choices=_choices(Urgency), headers=("urgency", "priority")),
    "channel": Field(
        "Received by (channel)",
        True,
        defaultable=True,
        kind="choice",
        choices=_choices(Channel),
        headers=(
            "channel",
            "received via",
            "method",
            "how received",
            "intake method",
            "referral method",
            "received by",
            "intake channel",
        ),
    ),
    "received_at": Field(
        "Received",
        True,
        kind="datetime",
        headers=(
            "received",
            "received date",
            "date received",
            "referral date",
            "date",
            "received on",
            "date of referral",
            "referred date",
            "referral received",
            "date referred",
            "received at",
        ),
    ),
    "state": Field(
        "Status",
        kind="choice",
        choices=_STATE_CHOICES,
        headers=("status", "state", "referral status", "stage"),
    ),
    "close_reason": Field(
        "Close reason",
        kind="choice",
        choices=_REASON_CHOICES,
        headers=(
            "close reason",
            "closed reason",
            "reason closed",
            "closure reason",
            "disposition",
            "reason for closing",
            "outcome reason",
            "outcome",
        ),
    ),
    "closed_at": Field(
        "Closed on", kind="datetime", headers=("closed", "closed date", "date closed", "closed on")
    ),
}

PARTNER_FIELDS: Fields = {
    "name": Field(
        "Partner name",
        True,
        headers=(
            "name",
            "partner",
            "partner name",
            "practice",
            "practice name",
            "organization",
            "organisation",
            "organization name",
            "organisation name",
            "clinic",
            "clinic name",
            "facility",
            "facility name",
            "referral source",
            "source",
            "company",
        ),
    ),
    "category": Field(
        "Category",
        defaultable=True,
        kind="choice",
        choices=_choices(PartnerCategory),
        headers=("category", "type", "practice type", "partner type", "specialty", "kind", "provider type"),
    ),
    "phone": Field(
        "Phone", headers=("phone", "telephone", "phone number", "main phone", "office phone", "tel")
    ),
    "fax": Field("Fax", headers=("fax", "fax number", "office fax")),
    "email": Field("Email", headers=("email", "e mail", "email address")),
    "portal": Field("Portal", headers=("portal", "website", "web", "url", "web site")),
    "address_line1": Field(
        "Address", headers=("address", "address 1", "address line 1", "street", "street address", "address1")
    ),
    "address_line2": Field("Address line 2", headers=("address 2", "address line 2", "suite", "address2")),
    "city": Field("City", headers=("city", "town")),
    "region": Field("State / region", headers=("state", "region", "province", "st", "county")),
    "postal_code": Field(
        "ZIP / postal code", headers=("zip", "zip code", "postal code", "postcode", "zipcode")
    ),
    "npi": Field("NPI", headers=("npi", "npi number", "organization npi", "group npi")),
    "preferred_update_channel": Field(
        "Preferred way to receive updates",
        kind="choice",
        choices=_choices(ContactMethod),
        headers=("preferred update", "update method", "send updates by"),
    ),
    "notes": Field("Notes", headers=("notes", "note", "comments", "comment")),
}

FIELDS: dict[Kind, Fields] = {"referrals": REFERRAL_FIELDS, "partners": PARTNER_FIELDS}
#: Fields whose values are dates (what ``detect_date_format`` reads).
DATE_KINDS: frozenset[FieldKind] = frozenset({"date", "datetime"})
#: A header preceded by one of these words is also tried without it ("Patient DOB", "Pt Phone").
_PREFIXES = ("patient", "pt", "client", "referral", "partner", "practice")


@dataclass
class Mapping:
    """What the wizard builds and ``--mapping`` files hold. See the module's docstring."""

    kind: Kind
    #: RefDesk field -> the header of the column that holds it.
    columns: dict[str, str] = field(default_factory=dict)
    #: RefDesk field -> {word in the file -> RefDesk value}. Words not listed are read by ``guess_value``.
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    #: The order of numeric dates (3/4/2024); None: found from the data (refused when ambiguous).
    date_format: DateFormat | None = None
    #: RefDesk field -> value for every row whose file has no such column (or an empty cell).
    defaults: dict[str, str] = field(default_factory=dict)

    VERSION: ClassVar[int] = 1

    @property
    def fields(self) -> Fields:
        return FIELDS[self.kind]

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": self.VERSION,
                "kind": self.kind,
                "columns": self.columns,
                "values": self.values,
                "date_format": self.date_format,
                "defaults": self.defaults,
            },
            indent=2,
            ensure_ascii=False,
            sort_keys=False,
        )

    @classmethod
    def from_json(cls, text: str) -> Mapping:
        """The mapping a file holds.

        Raises:
            ImportFileError: not JSON, another version or kind, unknown fields or values.
        """
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as error:
            raise ImportFileError("The mapping file is not valid JSON.") from error
        if not isinstance(data, dict):
            raise ImportFileError("The mapping file does not hold a RefDesk import mapping.")
        if data.get("version") != cls.VERSION:
            raise ImportFileError(
                f"The mapping file is of version {data.get('version')!r}; "
                f"this RefDesk reads version {cls.VERSION}."
            )
        kind = data.get("kind")
        if kind not in get_args(Kind):
            raise ImportFileError("The mapping file's kind must be “referrals” or “partners”.")
        date_format = data.get("date_format")
        if date_format is not None and date_format not in DATE_FORMATS:
            raise ImportFileError(f"The mapping file's date_format must be one of {', '.join(DATE_FORMATS)}.")
        columns = _str_dict(data.get("columns", {}), "columns")
        defaults = _str_dict(data.get("defaults", {}), "defaults")
        raw_values = data.get("values", {})
        if not isinstance(raw_values, dict):
            raise ImportFileError("The mapping file's “values” must map each field to {word: value}.")
        values = {str(name): _str_dict(words, f"values.{name}") for name, words in raw_values.items()}
        mapping = cls(cast(Kind, kind), columns, values, cast(DateFormat | None, date_format), defaults)
        mapping.check()
        return mapping

    def check(self) -> None:
        """Every field named exists for this kind, and every mapped or default value is one RefDesk has.

        Raises:
            ImportFileError: the first problem, in plain words.
        """
        fields = self.fields
        for part, names in (("columns", self.columns), ("values", self.values), ("defaults", self.defaults)):
            unknown = sorted(set(names) - set(fields))
            if unknown:
                raise ImportFileError(
                    f"The mapping's {part} name fields RefDesk does not know: {', '.join(unknown)}."
                )
        for name, words in self.values.items():
            for word, value in words.items():
                if value and not valid_choice(name, value):
                    raise ImportFileError(_bad_choice(fields[name], f"“{word}” is mapped to “{value}”"))
        for name, value in self.defaults.items():
            if value and not valid_choice(name, value):
                raise ImportFileError(_bad_choice(fields[name], f"the default “{value}”"))


def valid_choice(field: str, value: str) -> bool:
    """Whether ``value`` may be the target of ``field`` (choice fields: one of its choices)."""
    spec = FIELDS["referrals"].get(field) or FIELDS["partners"].get(field)
    if spec is None or spec.kind != "choice":
        return True
    return value in {choice for choice, _ in spec.choices}


def _bad_choice(spec: Field, what: str) -> str:
    if spec.choices is _STATE_CHOICES:
        return (
            f"{spec.label}: {what}, which cannot be imported. Referrals come in as one of: "
            f"{', '.join(value for value, _ in spec.choices)} (scheduled ones as “reached”, to be booked "
            "in RefDesk)."
        )
    return f"{spec.label}: {what}, which is not one of: {', '.join(value for value, _ in spec.choices)}."


def _str_dict(value: object, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ImportFileError(f"The mapping file's “{where}” must map names to text.")
    return dict(value)


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
