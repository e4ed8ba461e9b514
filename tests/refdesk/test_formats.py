"""Phone numbers, folded names and referral numbers: what staff type, what is stored, what matches."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from refdesk.domain.formats import (
    PhoneError,
    fold,
    normalize_phone,
    parse_referral_number,
    phone_digits,
    referral_number,
)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("555-201-4477", "(555) 201-4477"),
        ("(555) 201 4477", "(555) 201-4477"),
        ("1 555.201.4477", "(555) 201-4477"),
        ("+1 (555) 201-4477", "(555) 201-4477"),
        ("555 201 4477 x12", "(555) 201-4477 x12"),
        ("5552014477 ext. 9", "(555) 201-4477 x9"),
        ("+44 20  7946 0958", "+44 20 7946 0958"),
    ],
)
def test_phones_are_stored_in_one_readable_form(typed: str, stored: str) -> None:
    assert normalize_phone(typed) == stored


@pytest.mark.parametrize(
    "typed", ["", "555-1234", "055-201-4477", "555-201-44777", "+12", "call me", "555-201-447x"]
)
def test_unusable_phones_are_refused(typed: str) -> None:
    with pytest.raises(PhoneError):
        normalize_phone(typed)


@given(
    st.from_regex(r"[2-9][0-9]{9}", fullmatch=True),
    st.sampled_from(["{a}-{b}-{c}", "({a}) {b} {c}", "1{a}{b}{c}"]),
)
def test_any_way_of_typing_a_number_matches_the_stored_one(digits: str, pattern: str) -> None:
    typed = pattern.format(a=digits[:3], b=digits[3:6], c=digits[6:])
    assert phone_digits(normalize_phone(typed)) == digits == phone_digits(typed)


def test_names_fold_for_matching() -> None:
    assert fold("  José   NÚÑEZ ") == "jose nunez"
    assert fold("Zoë Nguyễn") == "zoe nguyen"
    assert fold("Ольга") == "ольга"
    assert fold("O'Brien-Smith") == "o'brien-smith"


def test_referral_numbers_round_trip() -> None:
    assert referral_number(123) == "R-000123"
    for typed in ("R-000123", "r123", "#123", " R-123 "):
        assert parse_referral_number(typed) == 123
    assert parse_referral_number("Smith") is None
    assert parse_referral_number("555-1234") is None
