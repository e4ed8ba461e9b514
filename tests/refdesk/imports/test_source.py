"""Reading files from elsewhere (reliability promise 16): encodings, delimiters, broken rows, limits,
XLSX sheets and the files built to hurt: a clear message or per-row problems, never a traceback."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from refdesk.imports import source as source_module
from refdesk.imports.source import ImportFileError, open_source
from tests.refdesk.imports.files import HEADER, billion_laughs, row, write_csv, write_xlsx, zip_bomb


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_each_encoding_reads_the_names_as_typed(tmp_path: Path, encoding: str) -> None:
    path = write_csv(tmp_path / "log.csv", [row(first="Zoë", last="Müller-Núñez")], encoding=encoding)
    with open_source(path) as source:
        rows = list(source.rows())
    assert source.encoding == encoding
    assert source.headers == HEADER  # no byte order mark left on the first header
    assert rows[0].cells["First Name"] == "Zoë" and rows[0].cells["Last Name"] == "Müller-Núñez"
    assert rows[0].problem is None and rows[0].line == 2


def test_a_file_utf8_at_the_start_and_cp1252_later_is_read_as_cp1252(tmp_path: Path) -> None:
    rows = [row(first=f"Ann{i}") for i in range(3000)] + [row(first="Zoë")]
    path = write_csv(tmp_path / "log.csv", rows, encoding="cp1252")
    with open_source(path) as source:
        assert source.encoding == "cp1252"
        assert [r.cells["First Name"] for r in source.rows()][-1] == "Zoë"


def test_bytes_no_encoding_explains_are_refused_in_words(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_bytes(b"Name\r\n\x81\x8d\xc3(\r\n")
    with pytest.raises(ImportFileError, match="text encoding"):
        open_source(path)


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_each_delimiter_is_found(tmp_path: Path, delimiter: str) -> None:
    rows = [row(reason="Pain, left knee; 6 weeks"), row(first="Ann")]
    path = write_csv(tmp_path / "log.csv", rows, delimiter=delimiter)
    with open_source(path) as source:
        found = list(source.rows())
    assert source.delimiter == delimiter
    assert [r.cells["Reason"] for r in found] == ["Pain, left knee; 6 weeks", "Low back pain"]
    assert all(r.problem is None for r in found)


def test_quoted_newlines_stay_in_their_cell_and_lines_are_counted(tmp_path: Path) -> None:
    rows = [row(reason="Line one\nLine two\r\nLine three"), row(first="Ann")]
    path = write_csv(tmp_path / "log.csv", rows)
    with open_source(path) as source:
        first, second = source.rows()
    assert first.cells["Reason"] == "Line one\nLine two\r\nLine three"
    assert (first.line, second.line) == (2, 5)
    assert source.size_hint() >= 2


def test_rows_with_too_many_or_too_few_cells_carry_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    good = ",".join(row())
    path.write_text(f"{','.join(HEADER)}\n{good}\n{good},extra\nZoe,Ng\n{good},,\n\n,,,\n", encoding="utf-8")
    with open_source(path) as source:
        rows = list(source.rows())
    assert [r.line for r in rows] == [2, 3, 4, 5]  # blank lines and empty rows are skipped
    assert rows[0].problem is None
    assert "10 cells but the header has 9" in (rows[1].problem or "")
    assert "2 cells but the header has 9" in (rows[2].problem or "")
    assert rows[2].cells["Phone"] == ""
    assert rows[3].problem is None  # trailing empty cells are not a problem


def test_an_unmatched_quote_is_reported_on_its_row_not_as_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    good = ",".join(row())
    path.write_text(f'{",".join(HEADER)}\n{good}\nZoe,"Ng,04/02/1958\n{good}\n{good}\n', encoding="utf-8")
    with open_source(path) as source:
        rows = list(source.rows())
    assert rows[0].problem is None
    assert "quote opened on line 3 is never closed" in (rows[1].problem or "")
    assert len(rows) == 2


def test_an_unmatched_quote_in_a_big_file_stops_reading_with_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    good = ",".join(row())
    body = "\n".join([good] * 20_000)
    path.write_text(f'{",".join(HEADER)}\n{good}\n"Zoe,{body}\n', encoding="utf-8")
    with open_source(path) as source:
        rows = list(source.rows())
    assert rows[-1].problem is not None and "cannot be read from line" in rows[-1].problem


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"  \r\n\r\n", "blank"),
        (b"PK\x03\x04garbage", "not a valid XLSX"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old Excel"),
        (b"Name\x00\x01\x02", "not a text file"),
    ],
)
def test_files_that_are_no_table_are_refused_in_words(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "log.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match=message):
        open_source(path)


def test_a_missing_file_is_refused_in_words(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="no file"):
        open_source(tmp_path / "nowhere.csv")


def test_a_header_only_file_has_headers_and_no_rows(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "log.csv", [])
    with open_source(path) as source:
        assert source.headers == HEADER
        assert list(source.rows()) == []


def test_headers_are_cleaned_blank_and_repeated_ones_named(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "log.csv", [["a", "b", "c", "d"]], header=[" First  Name ", "", "Phone", "phone"]
    )
    with open_source(path) as source:
        assert source.headers == ["First Name", "Column 2", "Phone", "phone (2)"]


def test_the_limits_are_messages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_csv(tmp_path / "log.csv", [row() for _ in range(30)])
    monkeypatch.setattr(source_module, "MAX_ROWS", 10)
    with open_source(path) as source, pytest.raises(ImportFileError, match="more than 10 rows"):
        list(source.rows())
    monkeypatch.setattr(source_module, "MAX_FILE_BYTES", 100)
    with pytest.raises(ImportFileError, match="imports files of up to"):
        open_source(path)


def test_a_large_file_streams_in_bounded_memory(tmp_path: Path) -> None:
    """200,000 rows (~17 MB): reading them all keeps the peak of Python allocations small."""
    path = tmp_path / "big.csv"
    line = ",".join(row()) + "\r\n"
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(HEADER) + "\r\n")
        for _ in range(200_000):
            handle.write(line)
    assert path.stat().st_size > 15_000_000
    with open_source(path) as source:
        tracemalloc.start()
        try:
            count = sum(1 for _ in source.rows())
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert count == 200_000
    assert peak < 5_000_000, peak


# --- XLSX -------------------------------------------------------------------------------------------


def test_an_xlsx_is_read_with_dates_numbers_and_its_sheets(tmp_path: Path) -> None:
    from datetime import date, datetime

    path = write_xlsx(
        tmp_path / "log.xlsx",
        {
            "Notes": [],
            "2024": [
                [],
                ["First", "DOB", "Phone", "Received"],
                ["Zoë", date(1958, 4, 2), 5552014477.0, datetime(2024, 5, 3, 14, 30)],
                [None, None],
                ["Ann", "x", 1, None, "extra"],
            ],
        },
    )
    with pytest.raises(ImportFileError, match="is empty"):
        open_source(path)  # the first sheet has nothing
    with open_source(path, sheet="2024") as source:
        assert source.kind == "xlsx" and source.sheets == ["Notes", "2024"] and source.sheet == "2024"
        assert source.headers == ["First", "DOB", "Phone", "Received"]
        rows = list(source.rows())
    assert rows[0].line == 3 and rows[0].cells == {
        "First": "Zoë",
        "DOB": "1958-04-02",
        "Phone": "5552014477",
        "Received": "2024-05-03 14:30",
    }
    assert rows[1].line == 5 and "5 cells but the header has 4" in (rows[1].problem or "")
    with pytest.raises(ImportFileError, match="no sheet named"):
        open_source(path, sheet="2023")


def test_a_zip_bomb_is_refused_before_decompressing(tmp_path: Path) -> None:
    path = zip_bomb(tmp_path / "bomb.xlsx")
    assert path.stat().st_size < 200_000
    with pytest.raises(ImportFileError, match="zip bomb"):
        open_source(path)


def test_a_declared_size_over_the_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_xlsx(tmp_path / "ok.xlsx", {"Sheet": [["a"], ["b"]]})
    monkeypatch.setattr(source_module, "XLSX_MAX_TOTAL_BYTES", 1000)
    with pytest.raises(ImportFileError, match="zip bomb"):
        open_source(path)


@pytest.mark.parametrize("member", ["xl/sharedStrings.xml", "xl/worksheets/sheet1.xml", "xl/workbook.xml"])
def test_billion_laughs_are_refused(tmp_path: Path, member: str) -> None:
    path = billion_laughs(tmp_path / "laughs.xlsx", member=member)
    expected = (
        "entity declarations" if member.endswith("sharedStrings.xml") else "entity|not a valid|cannot be read"
    )
    with pytest.raises(ImportFileError, match=expected), open_source(path) as source:
        list(source.rows())
