"""CMS NPPES ``npidata_pfile`` rows as partners: which columns hold what, and the taxonomy -> category table.

The NPPES downloadable file has one row per NPI with some 330 columns. A partner is taken from the
organisation's legal name (an individual's "First Last, Credential" when the row is a person), the
practice location address and phones, and the primary taxonomy code, which says what kind of practice it
is (``category_of``). Deactivated NPIs are not imported.
"""

from __future__ import annotations

from collections.abc import Mapping as Cells

from refdesk.domain.vocab import PartnerCategory

NPI = "NPI"
ENTITY_TYPE = "Entity Type Code"
ORGANIZATION = "Provider Organization Name (Legal Business Name)"
LAST_NAME = "Provider Last Name (Legal Name)"
FIRST_NAME = "Provider First Name"
CREDENTIAL = "Provider Credential Text"
DEACTIVATED = "NPI Deactivation Date"
REACTIVATED = "NPI Reactivation Date"
_LOCATION = "Provider Business Practice Location Address"
COLUMNS: dict[str, str] = {
    "name": ORGANIZATION,
    "npi": NPI,
    "address_line1": "Provider First Line Business Practice Location Address",
    "address_line2": "Provider Second Line Business Practice Location Address",
    "city": f"{_LOCATION} City Name",
    "region": f"{_LOCATION} State Name",
    "postal_code": f"{_LOCATION} Postal Code",
    "phone": f"{_LOCATION} Telephone Number",
    "fax": f"{_LOCATION} Fax Number",
}
TAXONOMY_SLOTS = 15


def taxonomy_column(slot: int) -> str:
    return f"Healthcare Provider Taxonomy Code_{slot}"


def primary_switch_column(slot: int) -> str:
    return f"Healthcare Provider Primary Taxonomy Switch_{slot}"


def is_nppes(headers: list[str]) -> bool:
    """Whether the headers are those of an NPPES ``npidata_pfile`` (or a subset of its columns)."""
    present = set(headers)
    return {NPI, ENTITY_TYPE, ORGANIZATION, taxonomy_column(1)} <= present


def columns(headers: list[str]) -> dict[str, str]:
    """The partner fields an NPPES file's columns fill (those the file has)."""
    present = set(headers)
    return {name: header for name, header in COLUMNS.items() if header in present}


def individual_name(cells: Cells[str, str]) -> str:
    """The name "First Last, Credential" of a row describing a person (entity type 1); "" if none."""
    name = " ".join(part for part in (cells.get(FIRST_NAME, ""), cells.get(LAST_NAME, "")) if part)
    credential = cells.get(CREDENTIAL, "").strip()
    return f"{name}, {credential}" if name and credential else name


def is_deactivated(cells: Cells[str, str]) -> bool:
    return bool(cells.get(DEACTIVATED)) and not cells.get(REACTIVATED)


def primary_taxonomy(cells: Cells[str, str]) -> str:
    """The taxonomy code marked primary ("Y"), else the first one given."""
    first = ""
    for slot in range(1, TAXONOMY_SLOTS + 1):
        code = cells.get(taxonomy_column(slot), "").strip().upper()
        if not code:
            continue
        if cells.get(primary_switch_column(slot), "").strip().upper() == "Y":
            return code
        first = first or code
    return first


#: Taxonomy code prefixes (NUCC Health Care Provider Taxonomy), longest match wins.
TAXONOMY_CATEGORIES: dict[str, PartnerCategory] = {
    # primary care: family and internal medicine, general practice, pediatrics, primary care clinics
    "207Q": PartnerCategory.PRIMARY_CARE,
    "207R00000X": PartnerCategory.PRIMARY_CARE,
    "208D": PartnerCategory.PRIMARY_CARE,
    "208000000X": PartnerCategory.PRIMARY_CARE,
    "261QP2300X": PartnerCategory.PRIMARY_CARE,
    "261QF0400X": PartnerCategory.PRIMARY_CARE,
    "261QR1300X": PartnerCategory.PRIMARY_CARE,
    "261QC1500X": PartnerCategory.PRIMARY_CARE,
    "363LF": PartnerCategory.PRIMARY_CARE,
    "363LP0200X": PartnerCategory.PRIMARY_CARE,
    "363LA2200X": PartnerCategory.PRIMARY_CARE,
    "363A": PartnerCategory.PRIMARY_CARE,
    # physicians of other specialties (internal medicine subspecialties 207R..., orthopaedics 207X, ...)
    "20": PartnerCategory.SPECIALTY,
    "204": PartnerCategory.SPECIALTY,
    "261Q": PartnerCategory.SPECIALTY,
    "363L": PartnerCategory.SPECIALTY,
    "152W": PartnerCategory.SPECIALTY,
    "213E": PartnerCategory.SPECIALTY,
    # physical, occupational and speech therapy, rehabilitation
    "2251": PartnerCategory.THERAPY,
    "225X": PartnerCategory.THERAPY,
    "2255": PartnerCategory.THERAPY,
    "225": PartnerCategory.THERAPY,
    "235Z": PartnerCategory.THERAPY,
    "261QP2000X": PartnerCategory.THERAPY,
    "261QR0400X": PartnerCategory.THERAPY,
    "2084P": PartnerCategory.BEHAVIORAL_HEALTH,
    "2084A": PartnerCategory.BEHAVIORAL_HEALTH,
    # behavioral health and social service providers, mental health clinics and hospitals
    "101": PartnerCategory.BEHAVIORAL_HEALTH,
    "102": PartnerCategory.BEHAVIORAL_HEALTH,
    "103": PartnerCategory.BEHAVIORAL_HEALTH,
    "104100000X": PartnerCategory.BEHAVIORAL_HEALTH,
    "106": PartnerCategory.BEHAVIORAL_HEALTH,
    "261QM0801X": PartnerCategory.BEHAVIORAL_HEALTH,
    "261QM0850X": PartnerCategory.BEHAVIORAL_HEALTH,
    "251S": PartnerCategory.BEHAVIORAL_HEALTH,
    "283Q": PartnerCategory.BEHAVIORAL_HEALTH,
    "323P": PartnerCategory.BEHAVIORAL_HEALTH,
    "324500000X": PartnerCategory.BEHAVIORAL_HEALTH,
    # home health, hospice, nursing care, care coordination
    "251E": PartnerCategory.HOME_HEALTH,
    "251G": PartnerCategory.HOME_HEALTH,
    "251J": PartnerCategory.HOME_HEALTH,
    "251F": PartnerCategory.HOME_HEALTH,
    "171M": PartnerCategory.HOME_HEALTH,
    "3140": PartnerCategory.HOME_HEALTH,
    "311": PartnerCategory.HOME_HEALTH,
    # community agencies, case management, public health
    "251B": PartnerCategory.COMMUNITY,
    "251K": PartnerCategory.COMMUNITY,
    "251V": PartnerCategory.COMMUNITY,
    "251X": PartnerCategory.COMMUNITY,
    "253": PartnerCategory.COMMUNITY,
    "261QP0905X": PartnerCategory.COMMUNITY,
    "1041C0700X": PartnerCategory.COMMUNITY,
    # hospitals and hospital units
    "27": PartnerCategory.HOSPITAL,
    "28": PartnerCategory.HOSPITAL,
}


def category_of(code: str) -> PartnerCategory:
    """The partner category a taxonomy code means (self-referral / other when it says nothing)."""
    code = code.strip().upper()
    for length in range(len(code), 0, -1):
        found = TAXONOMY_CATEGORIES.get(code[:length])
        if found is not None:
            return found
    return PartnerCategory.SELF_OTHER
