"""A ``Mapping``: which column holds which field and what the file's words mean, as the import wizard builds
it and as a ``refdesk import --mapping`` JSON file holds it (``to_json`` / ``from_json``, checked)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import ClassVar, cast, get_args

from refdesk.imports.fields import _STATE_CHOICES, FIELDS, Field, Fields, Kind, valid_choice
from refdesk.imports.source import ImportFileError
from refdesk.imports.values import DATE_FORMATS, DateFormat


@dataclass
class Mapping:
    """What the wizard builds and ``--mapping`` files hold. See ``refdesk.imports.mapping``."""

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
