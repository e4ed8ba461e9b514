"""What a search box entry means: a referral number, a date of birth, a phone number, or name words.

Staff type whatever they have in front of them ("R-000123", "04/02/1958", "4477", "zoe ngu"), so the
search decides which it is instead of offering a field picker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, text

from refdesk.domain.formats import fold, parse_referral_number
from refdesk.storage import Database, search_index

#: Beyond this many trigram matches a term is "frequent": LIKE over the time index fills a page faster.
FREQUENT = 5000
_TRIGRAM = 3
_PHONE_CHARS = re.compile(r"^[\d\s()+.\-]+$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_US_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")


@dataclass(frozen=True)
class SearchPlan:
    referral_id: int | None = None
    dob: date | None = None
    digits: str = ""
    words: tuple[str, ...] = ()

    def like_terms(self, name_column: Any, phone_column: Any) -> list[ColumnElement[bool]]:
        """LIKE conditions that every match must meet (the exact definition of a match)."""
        if self.digits:
            return [phone_column.like(f"%{self.digits}%")]
        return [name_column.like(f"%{_escape(word)}%", escape="\\") for word in self.words]

    def candidate_ids(self, db: Database) -> list[int] | None:
        """The ids the trigram index finds, when it can answer and the term is not frequent; else None."""
        needles = [self.digits] if self.digits else [w for w in self.words if len(w) >= _TRIGRAM]
        if not needles:
            return None
        column = "phone_digits" if self.digits else "name_key"
        query = " AND ".join(f'{column} : "{needle.replace(chr(34), chr(34) * 2)}"' for needle in needles)
        with db.engine.connect() as connection:
            if not search_index.exists(connection):
                return None
            found = connection.execute(
                text(f"SELECT rowid FROM {search_index.TABLE} WHERE {search_index.TABLE} MATCH :q LIMIT :n"),
                {"q": query, "n": FREQUENT + 1},
            ).scalars()
            ids = list(found)
        return None if len(ids) > FREQUENT else ids


def plan_search(typed: str) -> SearchPlan:
    entry = typed.strip()
    number = parse_referral_number(entry)
    if number is not None:
        return SearchPlan(referral_id=number)
    dob = _parse_date(entry)
    if dob is not None:
        return SearchPlan(dob=dob)
    digits = re.sub(r"\D", "", entry)
    if _PHONE_CHARS.match(entry) and len(digits) >= _TRIGRAM:
        return SearchPlan(digits=digits)
    return SearchPlan(words=tuple(fold(entry).split()))


def _parse_date(entry: str) -> date | None:
    iso, us = _ISO_DATE.match(entry), _US_DATE.match(entry)
    try:
        if iso:
            return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        if us:
            return date(int(us.group(3)), int(us.group(1)), int(us.group(2)))
    except ValueError:
        return None
    return None


def _escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
