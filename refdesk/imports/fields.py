"""The RefDesk fields a column of an imported file can fill, for referrals and for partners: labels,
which are required, their kinds, the values of the choice fields and the header names that guess them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from refdesk.domain.lifecycle import CLOSE_REASONS, LABELS
from refdesk.domain.vocab import Channel, ContactMethod, PartnerCategory, Urgency
from refdesk.imports.values import IMPORTABLE_STATES

Kind = Literal["referrals", "partners"]
FieldKind = Literal["text", "date", "datetime", "choice", "count", "partner", "service_line"]


@dataclass(frozen=True, slots=True)
class Field:
    """One field a column can fill."""

    label: str
    required: bool = False
    #: A value in ``Mapping.defaults`` may stand in for the column (service line, channel, category).
    defaultable: bool = False
    kind: FieldKind = "text"
    #: (RefDesk value, label) for the fields whose words are mapped (states, urgency, ...).
    choices: tuple[tuple[str, str], ...] = ()
    #: Header names that guess this field, compared as ``values.norm`` folds them.
    headers: tuple[str, ...] = ()


Fields = dict[str, Field]


def _choices(members: Iterable[Any]) -> tuple[tuple[str, str], ...]:
    return tuple((member.value, member.label) for member in members)


_STATE_CHOICES = tuple((state.value, LABELS[state]) for state in IMPORTABLE_STATES)
_REASON_CHOICES = tuple((reason.value, info.label) for reason, info in CLOSE_REASONS.items())
_YES_NO = (("yes", "Yes"), ("no", "No"))

REFERRAL_FIELDS: Fields = {
    "patient_first_name": Field(
        "First name", True, headers=("first name", "first", "given name", "fname", "forename", "firstname")
    ),
    "patient_last_name": Field(
        "Last name", True, headers=("last name", "last", "surname", "family name", "lname", "lastname")
    ),
    "patient_name": Field(
        "Patient name (first and last in one column)",
        headers=(
            "patient name",
            "patient",
            "name",
            "full name",
            "client name",
            "client",
            "patient full name",
        ),
    ),
    "patient_dob": Field(
        "Date of birth",
        True,
        kind="date",
        headers=("dob", "date of birth", "birth date", "birthdate", "birthday", "d o b", "born"),
    ),
    "phone": Field(
        "Phone",
        True,
        headers=(
            "phone",
            "phone number",
            "telephone",
            "tel",
            "cell",
            "mobile",
            "home phone",
            "primary phone",
            "contact number",
            "cell phone",
            "phone 1",
            "phone1",
        ),
    ),
    "phone_alt": Field(
        "Other phone",
        headers=(
            "alt phone",
            "alternate phone",
            "other phone",
            "secondary phone",
            "phone 2",
            "phone2",
            "work phone",
            "second phone",
        ),
    ),
    "email": Field("Email", headers=("email", "e mail", "email address")),
    "preferred_contact_method": Field(
        "Preferred contact",
        kind="choice",
        choices=_choices(ContactMethod),
        headers=("preferred contact", "contact method", "preferred contact method", "contact preference"),
    ),
    "preferred_contact_time": Field(
        "Contact time", headers=("best time", "best time to call", "preferred time", "contact time")
    ),
    "language": Field("Language", headers=("language", "preferred language", "primary language")),
    "interpreter_needed": Field(
        "Interpreter needed",
        kind="choice",
        choices=_YES_NO,
        headers=("interpreter", "interpreter needed", "needs interpreter", "interpreter required"),
    ),
    "caregiver_name": Field(
        "Caregiver", headers=("caregiver", "caregiver name", "guardian", "guardian name")
    ),
    "caregiver_phone": Field("Caregiver phone", headers=("caregiver phone", "guardian phone")),
    "caregiver_relationship": Field(
        "Caregiver relationship", headers=("relationship", "caregiver relationship", "guardian relationship")
    ),
    "insurance_payer": Field(
        "Insurance",
        headers=(
            "insurance",
            "payer",
            "insurance company",
            "insurance payer",
            "insurance plan",
            "plan",
            "payor",
        ),
    ),
    "insurance_member_id": Field(
        "Member ID",
        headers=("member id", "insurance id", "policy number", "subscriber id", "member number", "policy"),
    ),
    "authorization_number": Field(
        "Authorization",
        headers=("authorization", "auth", "auth number", "authorization number", "prior auth", "auth no"),
    ),
    "authorization_visits": Field(
        "Approved visits",
        kind="count",
        headers=("visits approved", "approved visits", "auth visits", "authorized visits", "visits"),
    ),
    "authorization_expires_on": Field(
        "Authorization expires",
        kind="date",
        headers=(
            "auth expires",
            "authorization expires",
            "auth expiration",
            "authorization expiration",
            "auth expiry",
            "authorization expiration date",
            "auth end date",
        ),
    ),
    "referring_clinician": Field(
        "Referring clinician",
        headers=(
            "referring provider",
            "referring physician",
            "referring doctor",
            "referring clinician",
            "provider",
            "physician",
            "doctor",
            "ordering provider",
            "referring md",
            "clinician",
        ),
    ),
    "partner": Field(
        "Referring partner",
        True,
        kind="partner",
        headers=(
            "referring practice",
            "referral source",
            "source",
            "referred by",
            "practice",
            "partner",
            "referring office",
            "referring clinic",
            "clinic",
            "referring organization",
            "referrer",
            "referring organisation",
            "office",
            "facility",
            "referring facility",
            "referring practice name",
        ),
    ),
    "service_line": Field(
        "Service line",
        True,
        defaultable=True,
        kind="service_line",
        headers=(
            "service",
            "service line",
            "department",
            "specialty",
            "referred to",
            "program",
            "service requested",
            "referral type",
        ),
    ),
    "reason": Field(
        "Reason for referral",
        True,
        headers=(
            "reason",
            "reason for referral",
            "referral reason",
            "diagnosis",
            "chief complaint",
            "indication",
            "dx",
            "complaint",
            "referral notes",
        ),
    ),
    "urgency": Field("Urgency", kind="choice", choices=_choices(Urgency), headers=("urgency", "priority")),
    "channel": Field(
        "Received by (channel)",
        True,
        defaultable=True,
        kind="choice",
        choices=_choices(Channel),
        headers=(
            "channel",
            "received via",
            "method",
            "how received",
            "intake method",
            "referral method",
            "received by",
            "intake channel",
        ),
    ),
    "received_at": Field(
        "Received",
        True,
        kind="datetime",
        headers=(
            "received",
            "received date",
            "date received",
            "referral date",
            "date",
            "received on",
            "date of referral",
            "referred date",
            "referral received",
            "date referred",
            "received at",
        ),
    ),
    "state": Field(
        "Status",
        kind="choice",
        choices=_STATE_CHOICES,
        headers=("status", "state", "referral status", "stage"),
    ),
    "close_reason": Field(
        "Close reason",
        kind="choice",
        choices=_REASON_CHOICES,
        headers=(
            "close reason",
            "closed reason",
            "reason closed",
            "closure reason",
            "disposition",
            "reason for closing",
            "outcome reason",
            "outcome",
        ),
    ),
    "closed_at": Field(
        "Closed on", kind="datetime", headers=("closed", "closed date", "date closed", "closed on")
    ),
}

PARTNER_FIELDS: Fields = {
    "name": Field(
        "Partner name",
        True,
        headers=(
            "name",
            "partner",
            "partner name",
            "practice",
            "practice name",
            "organization",
            "organisation",
            "organization name",
            "organisation name",
            "clinic",
            "clinic name",
            "facility",
            "facility name",
            "referral source",
            "source",
            "company",
        ),
    ),
    "category": Field(
        "Category",
        defaultable=True,
        kind="choice",
        choices=_choices(PartnerCategory),
        headers=("category", "type", "practice type", "partner type", "specialty", "kind", "provider type"),
    ),
    "phone": Field(
        "Phone", headers=("phone", "telephone", "phone number", "main phone", "office phone", "tel")
    ),
    "fax": Field("Fax", headers=("fax", "fax number", "office fax")),
    "email": Field("Email", headers=("email", "e mail", "email address")),
    "portal": Field("Portal", headers=("portal", "website", "web", "url", "web site")),
    "address_line1": Field(
        "Address", headers=("address", "address 1", "address line 1", "street", "street address", "address1")
    ),
    "address_line2": Field("Address line 2", headers=("address 2", "address line 2", "suite", "address2")),
    "city": Field("City", headers=("city", "town")),
    "region": Field("State / region", headers=("state", "region", "province", "st", "county")),
    "postal_code": Field(
        "ZIP / postal code", headers=("zip", "zip code", "postal code", "postcode", "zipcode")
    ),
    "npi": Field("NPI", headers=("npi", "npi number", "organization npi", "group npi")),
    "preferred_update_channel": Field(
        "Preferred way to receive updates",
        kind="choice",
        choices=_choices(ContactMethod),
        headers=("preferred update", "update method", "send updates by"),
    ),
    "notes": Field("Notes", headers=("notes", "note", "comments", "comment")),
}

FIELDS: dict[Kind, Fields] = {"referrals": REFERRAL_FIELDS, "partners": PARTNER_FIELDS}
#: Fields whose values are dates (what ``detect_date_format`` reads).
DATE_KINDS: frozenset[FieldKind] = frozenset({"date", "datetime"})


def valid_choice(field: str, value: str) -> bool:
    """Whether ``value`` may be the target of ``field`` (choice fields: one of its choices)."""
    spec = FIELDS["referrals"].get(field) or FIELDS["partners"].get(field)
    if spec is None or spec.kind != "choice":
        return True
    return value in {choice for choice, _ in spec.choices}
