"""Who the patients are: name, date of birth, phones, language, caregiver and insurance.

Everything a referral row needs about its patient is drawn here from pools built once (names with
their folded keys, phone numbers with their digits, dates as stored text), because at a million
referrals a per-row ``unicodedata`` fold or ``datetime`` costs more than the rest of the row.
The pools use the same functions the services use (``fold``, ``normalize_phone``, ``phone_digits``),
so search and duplicate checks find demo patients exactly as they find real ones.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, timedelta
from itertools import accumulate
from random import Random
from typing import NamedTuple

from refdesk.demo import catalog, names
from refdesk.demo.clock import stored_date
from refdesk.domain.formats import fold

EARLIEST_DOB = date(1930, 1, 1)
LATEST_DOB = date(2022, 12, 31)
_YEAR = 365.25


def _area_codes() -> tuple[int, ...]:
    """Geographic-looking area codes: no N11, no N9X, no toll-free or personal codes, no 555."""
    special = {500, 521, 522, 533, 544, 566, 577, 588, 600, 700, 800, 833, 844, 855, 866, 877, 888, 900}
    return tuple(
        code
        for code in range(201, 990)
        if code % 100 != 11 and (code // 10) % 10 != 9 and code not in special and len(set(str(code))) > 1
    )


#: Patients' phones spread over many area codes, since only a hundred numbers per code are fictional.
_AREA_CODES = _area_codes()

#: Preferred contact method ('' = not recorded).
_CONTACT_METHODS = ("phone", "text", "email", "mail", "")
_CONTACT_METHOD_CUM = list(accumulate((60.0, 22.0, 8.0, 4.0, 6.0)))


class Patient(NamedTuple):
    """The patient's columns of a referral row, in the table's column order, as stored ('' = NULL).

    A tuple, so the referral row is built by splicing it in (this runs a million times).
    """

    first_name: str
    last_name: str
    dob: str
    phone: str
    phone_alt: str
    email: str
    name_key: str
    phone_digits: str
    contact_method: str
    contact_time: str
    language: str
    interpreter_needed: int
    caregiver_name: str
    caregiver_phone: str
    caregiver_relationship: str
    insurance_payer: str
    insurance_member_id: str


class _NamePool:
    """One culture's names with their folded forms and an ASCII form for e-mail addresses."""

    def __init__(self, culture: names.Culture) -> None:
        self.culture = culture
        self.first = [(n, fold(n), _ascii(n)) for n in culture.first_names]
        self.last = [(n, fold(n), _ascii(n)) for n in culture.last_names]


def _ascii(name: str) -> str:
    return "".join(ch for ch in fold(name) if ch.isascii() and ch.isalpha())


class PatientMaker:
    """Draws patients; ``today`` bounds ages and dates of birth."""

    def __init__(self, rng: Random, today: date) -> None:
        self.rng = rng
        self.today_ordinal = today.toordinal()
        latest = min(LATEST_DOB, today - timedelta(days=30))
        self.dob_first = EARLIEST_DOB.toordinal()
        self.dob_last = latest.toordinal()
        self.dob_text = [
            stored_date(EARLIEST_DOB + timedelta(days=n)) for n in range(self.dob_last - self.dob_first + 1)
        ]
        self.pools = [_NamePool(c) for c in names.CULTURES]
        self.culture_cum = list(accumulate(c.weight for c in names.CULTURES))
        self._phones: dict[int, tuple[str, str]] = {}
        self.payer_prefix = {payer: _payer_prefix(payer) for payer in catalog.PAYERS}

    def phone(self) -> tuple[str, str]:
        """A fictional 555-01xx number in one of many area codes, with its digits (cached)."""
        index = int(self.rng.random() * len(_AREA_CODES) * 100)
        found = self._phones.get(index)
        if found is None:
            area, line = divmod(index, 100)
            code = _AREA_CODES[area]
            # normalize_phone's format, written directly (a test checks every number against it).
            found = (f"({code}) 555-01{line:02d}", f"{code}55501{line:02d}")
            self._phones[index] = found
        return found

    def make(self, min_age: int) -> Patient:
        r = self.rng.random
        pool = self.pools[bisect_right(self.culture_cum, r() * self.culture_cum[-1])]
        culture = pool.culture
        first, first_key, first_ascii = pool.first[int(r() * len(pool.first))]
        last, last_key, last_ascii = pool.last[int(r() * len(pool.last))]
        if culture.double_surname_share and r() < culture.double_surname_share:
            other, other_key, other_ascii = pool.last[int(r() * len(pool.last))]
            if other != last:
                last, last_key, last_ascii = (
                    f"{last}-{other}",
                    f"{last_key}-{other_key}",
                    last_ascii + other_ascii,
                )

        roll = r()
        if roll < 0.12:
            age = r() * 18
        elif roll < 0.62:
            age = 18 + r() * 47
        else:
            age = 65 + (r() ** 1.4) * 30
        if age < min_age:
            age = min_age + r() * 50
        dob_ordinal = int(self.today_ordinal - age * _YEAR)
        dob_ordinal = min(max(dob_ordinal, self.dob_first), self.dob_last)
        age = (self.today_ordinal - dob_ordinal) / _YEAR

        phone, digits = self.phone()
        phone_alt = self.phone()[0] if r() < 0.15 else ""
        email = ""
        if r() < 0.28 and first_ascii and last_ascii:
            domain = ("example.com", "example.net", "example.org")[int(r() * 3)]
            email = f"{first_ascii}.{last_ascii}{int(r() * 90) + 10}@{domain}"
        method = _CONTACT_METHODS[bisect_right(_CONTACT_METHOD_CUM, r() * _CONTACT_METHOD_CUM[-1])]
        if method == "email" and not email:
            method = "phone"
        contact_time = catalog.CONTACT_TIMES[int(r() * len(catalog.CONTACT_TIMES))] if r() < 0.4 else ""

        language = ""
        interpreter = 0
        if culture.language_share and r() < culture.language_share:
            language = culture.languages[int(r() * len(culture.languages))]
            interpreter = 1 if r() < culture.interpreter_share else 0
        elif not culture.languages and r() < 0.03:
            language = "English"

        caregiver = caregiver_phone = relationship = ""
        if age < 18 or (age >= 80 and r() < 0.35) or (interpreter and r() < 0.15):
            who = pool.first[int(r() * len(pool.first))][0]
            caregiver = f"{who} {last}"
            if age < 18:
                relationship = catalog.CAREGIVER_CHILD[int(r() * len(catalog.CAREGIVER_CHILD))]
                caregiver_phone = phone if r() < 0.6 else self.phone()[0]
            else:
                relationship = catalog.CAREGIVER_ELDER[int(r() * len(catalog.CAREGIVER_ELDER))]
                caregiver_phone = self.phone()[0]

        payer = member = ""
        if r() < 0.94:
            payer = catalog.PAYERS[int(r() * len(catalog.PAYERS))]
            prefix = self.payer_prefix[payer]
            if prefix:
                member = f"{prefix}{int(r() * 1_000_000_000):09d}"
        return Patient(
            first,
            last,
            self.dob_text[dob_ordinal - self.dob_first],
            phone,
            phone_alt,
            email,
            f"{first_key} {last_key}",
            digits,
            method,
            contact_time,
            language,
            interpreter,
            caregiver,
            caregiver_phone,
            relationship,
            payer,
            member,
        )


def _payer_prefix(payer: str) -> str:
    if payer == "Self-pay":
        return ""
    letters = "".join(word[0] for word in payer.replace("(", "").split() if word[0].isalpha())
    return (letters.upper() + "XX")[:3]
