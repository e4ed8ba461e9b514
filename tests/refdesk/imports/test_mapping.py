"""The mapping the wizard builds and ``--mapping`` files hold: header guesses, value guesses, date order,
the JSON form and its refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from refdesk.imports.mapping import (
    Mapping,
    detect_date_format,
    distinct_values,
    guess_mapping,
    guess_values,
    missing_required,
)
from refdesk.imports.source import ImportFileError, open_source
from refdesk.imports.values import parse_date, parse_datetime, split_name
from tests.refdesk.imports.files import row, write_csv


def test_common_header_names_are_guessed() -> None:
    headers = [
        "Patient Name",
        "Birth Date",
        "Phone #",
        "Referring Practice",
        "Referring Provider",
        "Reason",
        "Priority",
        "Status",
        "Referral Date",
        "Pt Email",
        "Unrelated",
    ]
    mapping = guess_mapping("referrals", headers)
    assert mapping.columns == {
        "patient_name": "Patient Name",
        "patient_dob": "Birth Date",
        "phone": "Phone #",
        "partner": "Referring Practice",
        "referring_clinician": "Referring Provider",
        "reason": "Reason",
        "urgency": "Priority",
        "state": "Status",
        "received_at": "Referral Date",
        "email": "Pt Email",
    }
    assert missing_required(mapping) == ["Service line", "Received by (channel)"]
    mapping.defaults = {"service_line": "Physical therapy", "channel": "fax"}
    assert missing_required(mapping) == []


def test_first_and_last_columns_win_over_a_full_name_column() -> None:
    mapping = guess_mapping("referrals", ["First", "Last", "Name", "DOB"])
    assert {"patient_first_name", "patient_last_name"} <= mapping.columns.keys()
    assert "patient_name" not in mapping.columns


def test_nothing_recognisable_is_missing_by_label() -> None:
    mapping = guess_mapping("referrals", ["a", "b"])
    assert "Date of birth" in missing_required(mapping) and "First name" in missing_required(mapping)


def test_the_issues_words_get_refdesk_values() -> None:
    assert guess_values("state", ["Pending", "In Progress", "Sent", "Completed", "Closed?"]) == {
        "Pending": "received",
        "In Progress": "contact_attempted",
        "Sent": "received",
        "Completed": "completed",
    }
    assert guess_values("urgency", [("High", 3), ("STAT", 1), ("Routine", 9)]) == {
        "High": "urgent",
        "STAT": "stat",
        "Routine": "routine",
    }
    assert guess_values("close_reason", ["No answer", "Wrong number"]) == {
        "No answer": "no_response",
        "Wrong number": "invalid_contact",
    }
    # scheduled referrals come in as reached (the appointment is booked in RefDesk)
    assert guess_values("state", ["Scheduled"]) == {"Scheduled": "reached"}


def test_json_round_trip_and_refusals() -> None:
    mapping = Mapping(
        "referrals", {"phone": "Tel"}, {"state": {"Open": "received"}}, "DMY", {"channel": "fax"}
    )
    assert Mapping.from_json(mapping.to_json()) == mapping
    for text, message in [
        ("{", "not valid JSON"),
        ("[]", "does not hold"),
        ('{"version": 9, "kind": "referrals"}', "version"),
        ('{"version": 1, "kind": "patients"}', "kind"),
        ('{"version": 1, "kind": "referrals", "columns": {"shoe_size": "x"}}', "shoe_size"),
        (
            '{"version": 1, "kind": "referrals", "values": {"state": {"x": "scheduled"}}}',
            "cannot be imported",
        ),
        ('{"version": 1, "kind": "referrals", "defaults": {"channel": "pigeon"}}', "pigeon"),
        ('{"version": 1, "kind": "referrals", "date_format": "YDM"}', "date_format"),
        ('{"version": 1, "kind": "referrals", "columns": {"phone": 3}}', "map names to text"),
    ]:
        with pytest.raises(ImportFileError, match=message):
            Mapping.from_json(text)


@pytest.mark.parametrize(
    ("dates", "candidates", "ambiguous"),
    [
        (["04/02/1958", "05/03/2024"], ["MDY", "DMY"], True),
        (["04/22/1958", "05/03/2024"], ["MDY"], False),
        (["22/04/1958", "05/03/2024"], ["DMY"], False),
        (["1958-04-22", "2024-05-03"], ["YMD"], False),
        (["22/04/1958", "04/22/1958"], [], False),
    ],
)
def test_the_date_order_is_read_from_the_data(
    tmp_path: Path, dates: list[str], candidates: list[str], ambiguous: bool
) -> None:
    path = write_csv(tmp_path / "log.csv", [row(dob=dates[0], received=dates[1])])
    with open_source(path) as source:
        guess = detect_date_format(source, guess_mapping("referrals", source.headers))
    assert guess.candidates == candidates and guess.ambiguous is ambiguous


def test_distinct_values_count_the_words_of_a_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "log.csv", [row(status="Pending"), row(status="Sent"), row(status="Pending")])
    with open_source(path) as source:
        mapping = guess_mapping("referrals", source.headers)
        assert distinct_values(source, mapping, "state") == [("Pending", 2), ("Sent", 1)]
        assert distinct_values(source, mapping, "channel") == []


def test_cells_are_read_as_dates_names_and_times() -> None:
    assert str(parse_date("3/4/2024", "MDY")) == "2024-03-04"
    assert str(parse_date("3/4/2024", "DMY")) == "2024-04-03"
    assert parse_date("3/4/2024", None) is None and str(parse_date("13/4/2024", None)) == "2024-04-13"
    assert (
        str(parse_date("3 May 2024", None)) == "2024-05-03"
        and str(parse_date("May 3, 2024", "DMY")) == "2024-05-03"
    )
    assert str(parse_datetime("2024-05-03T14:30", None)) == "2024-05-03 14:30:00"
    assert str(parse_datetime("05/03/2024 2:30 PM", "MDY")) == "2024-05-03 14:30:00"
    assert parse_date("02/30/2024", "MDY") is None and parse_date("soon", "MDY") is None
    assert split_name("Nguyen, Zoe Anne") == ("Zoe Anne", "Nguyen")
    assert split_name("Zoe Anne Nguyen") == ("Zoe Anne", "Nguyen")
