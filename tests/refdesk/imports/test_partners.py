"""Importing partner lists and CMS NPPES rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from refdesk.domain.models import Partner
from refdesk.domain.vocab import PartnerCategory
from refdesk.imports import nppes
from refdesk.imports.mapping import guess_mapping
from refdesk.imports.partners import is_nppes, npi_is_valid, preview, run_import
from refdesk.imports.results import ImportRefused
from refdesk.imports.source import open_source
from refdesk.services.actor import Actor
from refdesk.storage import Database
from tests.refdesk.imports.files import fingerprint, write_csv

LIST_HEADER = ["Practice Name", "Type", "Phone", "Fax", "Email", "Address", "City", "State", "Zip", "NPI"]


def import_partners(db: Database, actor: Actor, path: Path, **options: object) -> object:
    with open_source(path) as source:
        return run_import(db, actor, source, guess_mapping("partners", source.headers), **options)  # type: ignore[arg-type]


def partners(db: Database) -> dict[str, Partner]:
    with db.session() as session:
        return {p.name: p for p in session.scalars(select(Partner))}


def test_npi_check_digit() -> None:
    assert npi_is_valid("1234567893") and not npi_is_valid("1234567890") and not npi_is_valid("12345")


def test_a_partner_list_is_imported_with_duplicates_skipped(
    db: Database, actor: Actor, partner_id: int, tmp_path: Path
) -> None:
    rows = [
        [
            "Riverside Physical Therapy",
            "PT",
            "555-301-2000",
            "555 301 2001",
            "front@riverside.example",
            "1 Main St",
            "Springfield",
            "IL",
            "62701",
            "1234567893",
        ],
        ["oak street  primary care", "", "", "", "", "", "", "", "", ""],  # the fixture's partner
        ["Riverside Physical Therapy", "", "", "", "", "", "", "", "", ""],  # an earlier row
        ["Harbor Cardiology", "Cardiology", "", "", "", "", "", "", "", ""],
    ]
    path = write_csv(tmp_path / "partners.csv", rows, header=LIST_HEADER)
    result = import_partners(db, actor, path)
    assert (result.read, result.imported, result.duplicates, result.rejected) == (4, 2, 2, 0)  # type: ignore[attr-defined]
    found = partners(db)
    riverside = found["Riverside Physical Therapy"]
    assert riverside.category is PartnerCategory.THERAPY and riverside.phone == "(555) 301-2000"
    assert riverside.fax == "(555) 301-2001" and riverside.npi == "1234567893" and riverside.region == "IL"
    assert riverside.name_key == "riverside physical therapy" and riverside.active
    assert found["Harbor Cardiology"].category is PartnerCategory.SPECIALTY


def test_bad_rows_refuse_the_whole_list(db: Database, actor: Actor, tmp_path: Path) -> None:
    rows = [
        ["Good Practice", *[""] * 9],
        ["Bad NPI", *[""] * 8, "1234567890"],
        ["", "", "555-000-1111", *[""] * 7],
    ]
    path = write_csv(tmp_path / "partners.csv", rows, header=LIST_HEADER)
    before = fingerprint(db)
    with pytest.raises(ImportRefused) as refused:
        import_partners(db, actor, path)
    assert fingerprint(db) == before
    assert [(p.line, sorted(p.messages)) for p in refused.value.result.problems] == [
        (3, ["npi"]),
        (4, ["name"]),
    ]
    result = import_partners(db, actor, path, skip_invalid=True)
    assert (result.imported, result.rejected) == (1, 2)  # type: ignore[attr-defined]


NPPES_HEADER = [
    nppes.NPI,
    nppes.ENTITY_TYPE,
    nppes.ORGANIZATION,
    nppes.LAST_NAME,
    nppes.FIRST_NAME,
    nppes.CREDENTIAL,
    *nppes.COLUMNS.values(),
    nppes.DEACTIVATED,
    nppes.REACTIVATED,
    nppes.taxonomy_column(1),
    nppes.primary_switch_column(1),
    nppes.taxonomy_column(2),
    nppes.primary_switch_column(2),
]


def nppes_row(
    npi: str,
    entity: str,
    org: str,
    last: str = "",
    first: str = "",
    cred: str = "",
    taxonomy: tuple[str, str] = ("", ""),
    deactivated: str = "",
) -> list[str]:
    location = {
        "npi": npi,
        "name": org,
        "address_line1": "10 Lake Dr",
        "address_line2": "",
        "city": "Austin",
        "region": "TX",
        "postal_code": "787011234",
        "phone": "5125550100",
        "fax": "",
    }
    values = [location[name] for name in nppes.COLUMNS]
    return [npi, entity, org, last, first, cred, *values, deactivated, "", taxonomy[0], "N", taxonomy[1], "Y"]


def test_nppes_rows_become_partners_with_their_taxonomy_category(
    db: Database, actor: Actor, tmp_path: Path
) -> None:
    rows = [
        nppes_row("1234567893", "2", "LAKESIDE HOME HEALTH LLC", taxonomy=("207Q00000X", "251E00000X")),
        nppes_row("1245319599", "1", "", "RIVERA", "ANA", "DPT", taxonomy=("225100000X", "")),
        nppes_row("1003000126", "2", "AUSTIN ORTHO GROUP", taxonomy=("207X00000X", "")),
        nppes_row("1003000134", "2", "CLOSED CLINIC", taxonomy=("207Q00000X", ""), deactivated="01/01/2020"),
    ]
    path = write_csv(tmp_path / "npidata_pfile_2024.csv", rows, header=NPPES_HEADER)
    with open_source(path) as source:
        assert is_nppes(source.headers)
        mapping = guess_mapping("partners", source.headers)
        assert mapping.columns["name"] == nppes.ORGANIZATION and mapping.columns["npi"] == nppes.NPI
        checked = preview(db, source, mapping)
    assert (checked.valid, checked.invalid) == (3, 1)
    result = import_partners(db, actor, path, skip_invalid=True)
    assert (result.imported, result.rejected) == (3, 1)  # type: ignore[attr-defined]
    found = partners(db)
    assert found["LAKESIDE HOME HEALTH LLC"].category is PartnerCategory.HOME_HEALTH  # the primary one
    assert found["ANA RIVERA, DPT"].category is PartnerCategory.THERAPY
    assert found["AUSTIN ORTHO GROUP"].category is PartnerCategory.SPECIALTY
    assert (
        found["AUSTIN ORTHO GROUP"].phone == "(512) 555-0100" and found["AUSTIN ORTHO GROUP"].city == "Austin"
    )


@pytest.mark.parametrize(
    ("code", "category"),
    [
        ("207R00000X", "primary_care"),
        ("207RC0000X", "specialty"),
        ("2084P0800X", "behavioral_health"),
        ("282N00000X", "hospital"),
        ("251B00000X", "community"),
        ("999Z00000X", "self_other"),
    ],
)
def test_taxonomy_codes_map_to_categories(code: str, category: str) -> None:
    assert nppes.category_of(code).value == category
