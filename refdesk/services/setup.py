"""First-run setup as one step: the clinic, its letterhead, response targets, service lines and first
administrator, checked page by page before anything is written, then saved together at the end.

Why a service of its own: the first-run screens collect everything before the administrator exists, and
nothing may be saved half-way (a clinic with a name but nobody who can sign in, or an administrator and
a letterhead refused a moment later). So each page's values are checked here without writing
(``check_clinic``, ``check_targets``, ``check_new_line``, ``check_admin``), and ``finish_setup`` saves:
first the clinic and its administrator (``accounts.set_up_clinic``: all or nothing), then, as that
administrator, the letterhead, the logo, the default targets and each service line, each with the
services Settings uses (so each is audited as it would be there). A part that fails after the
administrator exists (a logo file moved meanwhile, a full disk) is reported in plain words in the
outcome, never raised: the person can sign in and finish it in Settings.

``demo_command`` is how RefDesk starts itself again on the demo database ("Explore with demo data").
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from sqlalchemy import func, select

from refdesk.domain.models import Partner, ServiceLine
from refdesk.domain.next_action import Targets
from refdesk.errors import RefDeskError, ValidationError
from refdesk.services import accounts, service_lines, settings
from refdesk.services.actor import Actor
from refdesk.services.passwords import check_new_password
from refdesk.services.staff_admin import check_username
from refdesk.services.validation import Errors
from refdesk.storage import Database

log = logging.getLogger(__name__)

#: The clinic page's fields, keyed as its refusals are, and the letterhead setting each one is.
CLINIC_FIELDS = {
    "clinic_name": settings.CLINIC_NAME,
    "address": settings.CLINIC_ADDRESS,
    "phone": settings.CLINIC_PHONE,
    "fax": settings.CLINIC_FAX,
}
#: The targets page's fields (as ``service_lines.set_default_targets`` names them).
TARGET_FIELDS = service_lines.DEFAULT_TARGET_FIELDS
#: How many service lines the first run takes (more, and their details, are added in Settings).
MAX_NEW_LINES = 20
#: Where the Settings dialog lets the rest be finished, by part.
SETTINGS_PAGE = {
    "letterhead": "Settings → Clinic and letterhead",
    "logo": "Settings → Clinic and letterhead",
    "targets": "Settings → Response targets",
    "service_lines": "Settings → Service lines",
}
UNEXPECTED = "something went wrong inside RefDesk (the details are in the log file)"


@dataclass(frozen=True, slots=True)
class SetupStart:
    """What the database holds already (a new one: nothing), for the first-run screens to start from;
    a database made before sign-in existed may have a letterhead and service lines."""

    letterhead: dict[str, str]
    targets: Targets
    service_lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ClinicSetup:
    """Everything the first run collected (each part checked already by its ``check_*``)."""

    clinic_name: str
    username: str
    full_name: str
    password: str = field(repr=False)
    address: str = ""
    phone: str = ""
    fax: str = ""
    #: The logo file chosen (read and checked again when saved), or None for no logo.
    logo_path: str | None = None
    targets: Targets = field(default_factory=Targets)
    #: Names of the service lines to add.
    service_lines: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SetupOutcome:
    """What ``finish_setup`` did: the administrator (signed in), the parts saved (in words), the parts
    that were not (each a sentence saying what and where to finish it), and whether a referral can be
    added straight away (it needs a partner and an active service line)."""

    actor: Actor
    saved: tuple[str, ...]
    not_saved: tuple[str, ...]
    has_partner: bool
    has_service_line: bool

    @property
    def complete(self) -> bool:
        return not self.not_saved


# -- what is there already -----------------------------------------------------------------------------


def starting_point(db: Database) -> SetupStart:
    """The letterhead, default targets and active service lines as stored (one short read)."""
    head = settings.letterhead(db)
    letterhead = {
        "clinic_name": head.clinic_name,
        "address": "\n".join(head.address_lines),
        "phone": head.phone or "",
        "fax": head.fax or "",
    }
    with db.session() as session:
        targets = service_lines.targets_in(session)
        active = select(ServiceLine.name).where(ServiceLine.active).order_by(ServiceLine.name)
        names = tuple(session.scalars(active))
    return SetupStart(letterhead, targets, names)


# -- checks, page by page (nothing is written) -----------------------------------------------------------


def check_clinic(clinic_name: str, address: str, phone: str, fax: str) -> dict[str, str]:
    """The clinic page's values as they will be stored (a phone number formatted; "" for none).

    Raises:
        ValidationError: keyed ``clinic_name``, ``address``, ``phone``, ``fax``.
    """
    errors = Errors()
    given = {"clinic_name": clinic_name, "address": address, "phone": phone, "fax": fax}
    cleaned: dict[str, str] = {}
    for key, value in given.items():
        try:
            cleaned[key] = settings.clean_letterhead_field(CLINIC_FIELDS[key], value) or ""
        except ValidationError as error:
            errors.add(key, next(iter(error.errors.values()), str(error)))
        if key == "clinic_name" and not cleaned.get(key):
            errors.add(key, "Clinic name is required.")  # (first: the cursor goes to the first refusal)
    errors.raise_if_any()
    return cleaned


def check_targets(
    ack_hours: int | None, first_contact_hours: int | None, max_attempts: int | None
) -> Targets:
    """The default targets, checked as Settings checks them.

    Raises:
        ValidationError: keyed ``ack_hours``, ``first_contact_hours``, ``max_attempts``.
    """
    errors = Errors()
    targets = service_lines.check_targets(
        errors, ack_hours, first_contact_hours, max_attempts, keys=TARGET_FIELDS
    )
    errors.raise_if_any()
    return targets


def check_new_line(name: str, listed: Sequence[str]) -> str:
    """A new service line's name as it will be stored: required, at most 120 characters, and not one
    of ``listed`` (ignoring case).

    Raises:
        ValidationError: keyed ``name``.
    """
    errors = Errors()
    cleaned = errors.text("name", name, label="Service line name", max_length=120, required=True)
    if cleaned and any(cleaned.casefold() == other.casefold() for other in listed):
        errors.add("name", f"{cleaned} is listed already.")
    elif cleaned and len(listed) >= MAX_NEW_LINES:
        errors.add("name", f"Add at most {MAX_NEW_LINES} here; add more later in Settings → Service lines.")
    errors.raise_if_any()
    assert cleaned is not None
    return cleaned


def check_admin(username: str, full_name: str, password: str, repeat: str) -> None:
    """The administrator's account as ``accounts.set_up_clinic`` will check it, and the password typed
    the same twice. Messages never repeat the password.

    Raises:
        ValidationError: keyed ``full_name``, ``username``, ``password``, ``repeat``.
    """
    errors = Errors()
    errors.text("full_name", full_name, label="Your name", max_length=120, required=True)
    name = check_username(errors, "username", username)
    check_new_password(errors, "password", password, username=name)
    if "password" not in errors.messages and password != repeat:
        errors.add("repeat", "The two passwords differ; type the same password twice.")
    errors.raise_if_any()


# -- saving -----------------------------------------------------------------------------------------------


def finish_setup(db: Database, setup: ClinicSetup) -> SetupOutcome:
    """Save the first run: the clinic and its administrator first, then the rest as that administrator.

    Raises:
        ValidationError, AccessDenied: from ``accounts.set_up_clinic`` (a user name taken, the clinic set
            up meanwhile at another desk); nothing is saved then.
    """
    actor = accounts.set_up_clinic(
        db,
        clinic_name=setup.clinic_name,
        username=setup.username,
        full_name=setup.full_name,
        password=setup.password,
    )
    saved = ["the clinic and your administrator account"]
    not_saved: list[str] = []

    def attempt(part: str, what: str, save: Callable[[], object]) -> None:
        try:
            save()
        except RefDeskError as error:
            not_saved.append(_not_saved(part, what, _reason(error)))
        except Exception:  # noqa: BLE001 - the administrator exists: report the part, never a traceback
            log.exception("first-run setup: %s not saved", part)
            not_saved.append(_not_saved(part, what, UNEXPECTED))
        else:
            saved.append(what)

    if _letterhead_changes(db, setup):
        attempt("letterhead", "the letterhead", lambda: _save_letterhead(db, actor, setup))
    if setup.logo_path:
        logo_path = setup.logo_path
        attempt("logo", "the logo", lambda: settings.save_logo(db, actor, logo_path))
    if setup.targets != service_lines.default_targets(db):
        attempt("targets", "the response targets", lambda: _save_targets(db, actor, setup.targets))
    for name in setup.service_lines:
        attempt(
            "service_lines",
            f"the service line {name}",
            partial(service_lines.add_service_line, db, actor, name),
        )
    has_partner, has_line = _can_add_referral(db)
    return SetupOutcome(actor, tuple(saved), tuple(not_saved), has_partner, has_line)


def _letterhead_changes(db: Database, setup: ClinicSetup) -> dict[str, str]:
    """The letterhead fields (besides the name, which ``set_up_clinic`` saves) that differ from what is
    stored: only those are saved, so the audit trail shows real changes only."""
    stored = starting_point(db).letterhead
    wanted = {"address": setup.address, "phone": setup.phone, "fax": setup.fax}
    return {key: value for key, value in wanted.items() if (value or "") != stored.get(key, "")}


def _save_letterhead(db: Database, actor: Actor, setup: ClinicSetup) -> None:
    for key, value in _letterhead_changes(db, setup).items():
        settings.save_letterhead_field(db, actor, CLINIC_FIELDS[key], value or None)


def _save_targets(db: Database, actor: Actor, targets: Targets) -> None:
    service_lines.set_default_targets(
        db,
        actor,
        {
            "ack_hours": targets.ack_hours,
            "first_contact_hours": targets.first_contact_hours,
            "max_attempts": targets.max_attempts,
        },
    )


def _can_add_referral(db: Database) -> tuple[bool, bool]:
    try:
        with db.session() as session:
            partners = session.scalar(select(func.count()).select_from(Partner).where(Partner.active))
            lines = session.scalar(select(func.count()).select_from(ServiceLine).where(ServiceLine.active))
    except Exception:  # noqa: BLE001 - only decides which help is offered next
        log.exception("first-run setup: partners and service lines not counted")
        return False, False
    return bool(partners), bool(lines)


def _reason(error: RefDeskError) -> str:
    if isinstance(error, ValidationError) and error.errors:
        return " ".join(error.errors.values())
    return str(error)


def _not_saved(part: str, what: str, reason: str) -> str:
    reason = reason.rstrip(".")
    return f"Not saved: {what} ({reason}). Set it in {SETTINGS_PAGE[part]}."


# -- the demo ------------------------------------------------------------------------------------------------


def demo_command() -> tuple[str, list[str], dict[str, str]]:
    """How to start RefDesk on its demo database: the program, its arguments and the environment
    variables to add. The same program as this one: the bundle's own executable when frozen (its
    ``sys.executable`` is RefDesk itself), else this Python running the ``refdesk`` package, found
    where this one was loaded from even when it is not installed (a source checkout)."""
    if getattr(sys, "frozen", False):
        return sys.executable, ["--demo"], {}
    package_root = str(Path(__file__).resolve().parents[2])
    existing = os.environ.get("PYTHONPATH", "")
    path = os.pathsep.join(part for part in (package_root, existing) if part)
    return sys.executable, ["-m", "refdesk", "--demo"], {"PYTHONPATH": path}
