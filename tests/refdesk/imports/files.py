"""Building the files the import tests read: CSV in any encoding and shape, XLSX (normal, several
sheets, a zip bomb, a billion laughs), and a database fingerprint to prove nothing changed."""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import text

from refdesk.services.audit_chain import ANCHOR_KEY
from refdesk.storage import Database

HEADER = [
    "First Name",
    "Last Name",
    "DOB",
    "Phone",
    "Referring Practice",
    "Reason",
    "Priority",
    "Status",
    "Received Date",
]
PARTNER = "Oak Street Primary Care"


def row(
    first: str = "Zoë",
    last: str = "Nguyen",
    dob: str = "04/02/1958",
    phone: str = "555-201-4477",
    partner: str = PARTNER,
    reason: str = "Low back pain",
    priority: str = "Routine",
    status: str = "Pending",
    received: str = "05/03/2024",
) -> list[str]:
    return [first, last, dob, phone, partner, reason, priority, status, received]


def write_csv(
    path: Path,
    rows: Sequence[Sequence[str]],
    *,
    header: Sequence[str] = HEADER,
    delimiter: str = ",",
    encoding: str = "utf-8",
    newline: str = "\r\n",
) -> Path:
    """Rows joined by hand (so a test controls quoting); cells holding the delimiter, a quote or a
    newline are quoted."""

    def cell(value: str) -> str:
        if any(ch in value for ch in (delimiter, '"', "\n", "\r")):
            return '"' + value.replace('"', '""') + '"'
        return value

    lines = [delimiter.join(cell(c) for c in line) for line in [list(header), *rows]]
    path.write_bytes((newline.join(lines) + newline).encode(encoding))
    return path


def write_xlsx(path: Path, sheets: dict[str, Sequence[Sequence[object]]]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    first = True
    for name, rows in sheets.items():
        sheet = book.active if first else book.create_sheet()
        assert sheet is not None
        sheet.title = name
        first = False
        for line in rows:
            sheet.append(list(line))
    book.save(path)
    return path


def zip_bomb(path: Path, *, declared: int = 20 * 1024 * 1024) -> Path:
    """An XLSX-shaped zip whose sheet decompresses to ``declared`` bytes of nothing (ratio ~1000)."""
    good = write_xlsx(path.with_name("good-" + path.name), {"Sheet": [["a"], ["b"]]})
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data + b" " * declared
            bomb.writestr(item.filename, data)
    return path


LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">
<si><t>&lol4;</t></si></sst>"""


SHARED_STRINGS_TYPE = (
    b'<Override PartName="/xl/sharedStrings.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)


def billion_laughs(path: Path, *, member: str = "xl/sharedStrings.xml") -> Path:
    """An XLSX whose shared strings (or another part) declare nested entities."""
    good = write_xlsx(path.with_name("good-" + path.name), {"Sheet": [["Name"], ["x"]]})
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as evil:
        names = source.namelist()
        for name in names:
            data = source.read(name)
            if name == member:
                data = LAUGHS if member.endswith("sharedStrings.xml") else _with_entities(data)
            if name == "[Content_Types].xml" and member == "xl/sharedStrings.xml":
                data = data.replace(b"</Types>", SHARED_STRINGS_TYPE + b"</Types>")
            evil.writestr(name, data)
        if member not in names:
            evil.writestr(member, LAUGHS)
    return path


def _with_entities(xml: bytes) -> bytes:
    head, _, body = xml.partition(b"?>")
    return head + b'?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;">]>' + body


def fingerprint(db: Database, *, skip: Sequence[str] = ("audit_event",)) -> dict[str, tuple[int, str]]:
    """Every table's row count and a hash of its rows in rowid order (the schema's tables, indexes and
    triggers included through sqlite_master): equal fingerprints mean an unchanged database. The audit
    trail is left out (a refused import is audited), and so is its seal in ``setting``, which moves with
    it."""
    found: dict[str, tuple[int, str]] = {}
    with db.engine.connect() as connection:
        tables = [
            str(name)
            for (name,) in connection.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            )
        ]
        for table in tables:
            if table in skip or table.startswith("sqlite_"):
                continue
            digest = hashlib.sha256()
            count = 0
            for line in connection.exec_driver_sql(f'SELECT * FROM "{table}"'):
                if "audit_event" in skip and table == "setting" and line[0] == ANCHOR_KEY:
                    continue
                digest.update(repr(tuple(line)).encode())
                count += 1
            found[table] = (count, digest.hexdigest())
        schema = connection.exec_driver_sql("SELECT type, name, sql FROM sqlite_master ORDER BY name").all()
        found["sqlite_master"] = (len(schema), hashlib.sha256(repr(schema).encode()).hexdigest())
    return found
