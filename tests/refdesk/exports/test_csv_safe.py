"""The CSV writer every export goes through: no cell a spreadsheet would run as a formula (promise 17),
names in any script readable by Excel (UTF-8 with BOM), and a file written whole or not at all."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from refdesk.exports.csv_safe import FORMULA_STARTS, SafeCsv, neutralise
from refdesk.reports.atomic import ExportError


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+44 20 7946 0958", "'+44 20 7946 0958"),
        ("-5", "'-5"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("\n=1", "'\n=1"),
        ("Zoë Nguyễn", "Zoë Nguyễn"),
        ("a=b", "a=b"),
        ("1-2", "1-2"),
        ("", ""),
        (None, ""),
        (42, "42"),
        (12.5, "12.5"),
    ],
)
def test_a_cell_that_would_start_a_formula_gets_an_apostrophe(value: object, expected: str) -> None:
    assert neutralise(value) == expected


@given(st.text())
def test_no_cell_ever_starts_a_formula(text: str) -> None:
    cell = neutralise(text)
    assert not cell.startswith(FORMULA_STARTS)
    assert cell in (text, "'" + text)


def read(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_rows_come_back_as_written_with_a_bom_and_crlf(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    with SafeCsv(target) as out:
        out.row(["Name", "Note"])
        out.row(["Zoë Nguyễn", 'says "hi", then\nleaves'])
        out.row(["Ольга <b>&amp;", "=1+1"])
        out.publish()

    assert b"\r\n" in target.read_bytes()
    assert read(target) == [
        ["Name", "Note"],
        ["Zoë Nguyễn", 'says "hi", then\nleaves'],
        ["Ольга <b>&amp;", "'=1+1"],
    ]
    assert out.rows == 3
    assert target.stat().st_mode & 0o077 == 0  # patient data: the owner only


def test_an_export_that_fails_midway_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old export")

    with pytest.raises(RuntimeError), SafeCsv(target) as out:
        out.row(["half"])
        raise RuntimeError("stopped")

    assert target.read_text() == "old export"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_a_missing_folder_is_said_in_plain_words(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="does not exist"):
        SafeCsv(tmp_path / "gone" / "out.csv")
