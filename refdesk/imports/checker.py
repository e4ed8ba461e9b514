"""Reading and checking referral rows: the part of an import that is pure Python, so that a large
import can run it in worker processes while the database writes.

A ``Checker`` turns one row into a referral in stored form or into its problems. It reads the cells
through the mapping into a ``NewReferral`` and checks it with the very function ``create_referral``
uses (``services.referrals.clean_referral``), so the rules are written once; then it derives what
``create_referral`` derives: deadlines and next action (``domain.next_action``, as ``services.due``
computes them), the state's time, the closing time. It needs no database: the partners and service
lines it may meet are in its ``Setup``, and ``clean_referral``'s look-ups by primary key are answered from
there (``_Lookups``).

``checker_pool.checked_rows`` runs it in-process, or for large files in worker processes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Table

from refdesk.domain.calendar import DEFAULT_HOURS
from refdesk.domain.formats import name_key
from refdesk.domain.lifecycle import CLOSE_REASONS, LABELS, CloseReason, State, is_closed_outcome, reasons_for
from refdesk.domain.models import Base, Partner, Referral, ServiceLine, partner_name_key
from refdesk.domain.next_action import Facts, Targets, deadlines, next_action
from refdesk.domain.row_order import REFERRAL_COLUMNS as ROW_ORDER
from refdesk.domain.times import as_utc, utc_now
from refdesk.domain.vocab import Channel, ContactMethod, Urgency
from refdesk.errors import ValidationError
from refdesk.imports.mapping import Mapping
from refdesk.imports.results import ROW
from refdesk.imports.values import (
    DATE_FORMAT_LABELS,
    IMPORTABLE_STATES,
    DateFormat,
    guess_value,
    norm,
    parse_count,
    parse_date,
    parse_datetime,
    split_name,
)
from refdesk.services.due import targets_of
from refdesk.services.referrals import NewReferral, clean_referral

#: What ``create_referral``'s ValidationError keys mean in the mapping's terms.
_CHECK_FIELDS = {"partner_id": "partner", "service_line_id": "service_line"}
_REFERRALS: Table = Base.metadata.tables[Referral.__tablename__]
REFERRAL_COLUMNS: tuple[str, ...] = tuple(column.name for column in _REFERRALS.columns)
#: The order ``Checker._referral_row`` writes the columns in (``domain.row_order``, shared with the demo's
#: generator); the model must agree (checked on import).
if ROW_ORDER != REFERRAL_COLUMNS:  # pragma: no cover - the referral table changed: update _referral_row
    raise RuntimeError("refdesk.imports.checker writes the referral's columns in an outdated order")
RECEIVED_AT = REFERRAL_COLUMNS.index("received_at")
STATE = REFERRAL_COLUMNS.index("state")
CLOSE_REASON = REFERRAL_COLUMNS.index("close_reason")
PARTNER = REFERRAL_COLUMNS.index("partner_id")

#: (line, problems, duplicate key, referral row, service line id): problems None when the row is good;
#: the key is (name key, date of birth's ordinal or 0, partner id or "new:KEY", day received's ordinal);
#: the row is None only in a preview, for a partner still to be created. All marshal-able.
Checked = tuple[
    int, dict[str, str] | None, tuple[str, int, int | str, int] | None, tuple[Any, ...] | None, int
]


@dataclass(frozen=True, slots=True)
class Known:
    """What ``clean_referral`` reads of a partner or a service line."""

    id: int
    name: str
    active: bool


@dataclass
class Setup:
    """Everything a checker needs (picklable: it is handed to the worker processes)."""

    mapping: Mapping
    order: DateFormat | None
    #: partner name key -> id; id -> what ``clean_referral`` reads
    partners: dict[str, int]
    known_partners: dict[int, Known]
    #: service line name (casefolded) -> id; id -> what ``clean_referral`` reads, and its response targets
    lines: dict[str, int]
    known_lines: dict[int, Known]
    targets: dict[int, Targets]
    #: Partners the import will create (a preview counts their rows as good).
    pending_partners: set[str] = field(default_factory=set)
    today: date = field(default_factory=date.today)
    #: The stored time of the import (created_at, updated_at).
    now: str = ""

    @classmethod
    def of(
        cls,
        mapping: Mapping,
        order: DateFormat | None,
        partners: Iterable[Partner],
        lines: Iterable[ServiceLine],
    ) -> Setup:
        setup = cls(mapping, order, {}, {}, {}, {}, {}, now=stored_time(utc_now()))
        for partner in partners:
            setup.add_partner(partner.id, partner.name, partner.name_key, partner.active)
        for line in lines:
            setup.lines[" ".join(line.name.split()).casefold()] = line.id
            setup.known_lines[line.id] = Known(line.id, line.name, line.active)
            setup.targets[line.id] = targets_of(line)
        return setup

    def add_partner(self, partner_id: int, name: str, key: str, active: bool = True) -> None:
        self.partners[key] = partner_id
        self.known_partners[partner_id] = Known(partner_id, name, active)


class _Lookups:
    """What ``clean_referral`` is handed as its session: it looks up each row's partner and service line by
    primary key, answered here from the setup (through a session's identity map they cost ~10 µs each).
    Anything else ``clean_referral`` might ask for is refused loudly rather than answered wrongly."""

    def __init__(self, setup: Setup) -> None:
        self.tables: dict[type, dict[int, Known]] = {
            Partner: setup.known_partners,
            ServiceLine: setup.known_lines,
        }

    def get(self, model: type, ident: int, **_: Any) -> Known | None:
        table = self.tables.get(model)
        if table is None:
            raise NotImplementedError(f"the import does not look up {model.__name__} rows")
        return table.get(ident)


_NO_SOURCE: tuple[None, str] = (None, "")
#: Enum members by value (calling an enum costs ~1 µs a row each).
_CONTACT_METHODS = {member.value: member for member in ContactMethod}
_CHANNELS = {member.value: member for member in Channel}
_URGENCIES = {member.value: member for member in Urgency}


class Checker:
    """Checks rows of one file against one setup; counts the unknown partners it meets."""

    def __init__(self, setup: Setup) -> None:
        self.setup = setup
        self.mapping = setup.mapping
        self.order = setup.order
        self.today = setup.today
        self.lookups: Any = _Lookups(setup)
        self.columns = setup.mapping.columns
        self.defaults = {name: value for name, value in setup.mapping.defaults.items() if value}
        self.words = {
            name: {norm(word): value for word, value in words.items()}
            for name, words in setup.mapping.values.items()
        }
        self._choices: dict[tuple[str, str], str | None] = {}
        #: field -> (its column's header or None, its default or "")
        self._sources = {
            name: (self.columns.get(name), self.defaults.get(name, ""))
            for name in {*self.columns, *self.defaults}
        }
        self._plans: dict[tuple[State, datetime, datetime, int], tuple[str, str, str, str]] = {}
        self.unknown: Counter[str] = Counter()
        self.unknown_names: dict[str, str] = {}

    def check(self, line: int, cells: dict[str, str], problem: str | None) -> Checked:
        """One row: its problems (field -> message), or the referral it makes, in stored form."""
        errors: dict[str, str] = {}
        if problem:
            errors[ROW] = problem
        data, state, reason, closed_at, partner_key = self._read(cells, errors)
        values: dict[str, Any] | None = None
        try:
            values = clean_referral(self.lookups, data)
        except ValidationError as refused:
            for name, message in refused.errors.items():
                errors.setdefault(_CHECK_FIELDS.get(name, name), message)
        if partner_key in self.setup.pending_partners:
            errors.pop("partner", None)  # created by the import: only the preview gets here
        if closed_at is not None and data.received_at is not None and "received_at" not in errors:
            if closed_at < as_utc(data.received_at):
                errors["closed_at"] = "A referral cannot be closed before it was received."
            elif closed_at > utc_now():
                errors["closed_at"] = "The closing date cannot be in the future."
        if errors:
            return (line, errors, None, None, 0)
        assert data.received_at is not None
        key_name = values["name_key"] if values else name_key(data.patient_first_name, data.patient_last_name)
        partner_ref: int | str = data.partner_id if data.partner_id is not None else f"new:{partner_key}"
        received = data.received_at
        day = received.date() if received.tzinfo is None else received.astimezone().date()
        dob = data.patient_dob.toordinal() if data.patient_dob else 0
        key = (key_name, dob, partner_ref, day.toordinal())
        row = self._referral_row(values, state, reason, closed_at) if values is not None else None
        return (line, None, key, row, values["service_line_id"] if values else 0)

    def _text(self, cells: dict[str, str], name: str) -> str:
        header, default = self._sources.get(name, _NO_SOURCE)
        if header is None:
            return default
        return cells.get(header, "") or default

    def _choice(self, name: str, text: str) -> str | None:
        """The RefDesk value a word of the file means for ``name``: the mapping's, else RefDesk's guess."""
        key = (name, text)
        if key in self._choices:
            return self._choices[key]
        word = norm(text)
        value = self.words.get(name, {}).get(word) or guess_value(name, text)
        self._choices[key] = value
        return value

    def _read(
        self, cells: dict[str, str], errors: dict[str, str]
    ) -> tuple[NewReferral, State, CloseReason | None, datetime | None, str]:
        """The row's cells as a NewReferral (and state, close reason, closing time, partner key);
        what cannot be read goes into ``errors``, without quoting patient data."""
        text = self._text
        data = NewReferral()
        if "patient_first_name" in self.columns or "patient_last_name" in self.columns:
            data.patient_first_name = text(cells, "patient_first_name")
            data.patient_last_name = text(cells, "patient_last_name")
        else:
            data.patient_first_name, data.patient_last_name = split_name(text(cells, "patient_name"))
        data.patient_dob = self._date(cells, "patient_dob", errors)
        data.phone = text(cells, "phone")
        for name in (
            "phone_alt",
            "email",
            "preferred_contact_time",
            "language",
            "caregiver_name",
            "caregiver_phone",
            "caregiver_relationship",
            "insurance_payer",
            "insurance_member_id",
            "authorization_number",
            "referring_clinician",
        ):
            setattr(data, name, text(cells, name) or None)
        data.reason = text(cells, "reason")
        method = self._choice_of(cells, "preferred_contact_method", errors)
        data.preferred_contact_method = _CONTACT_METHODS[method] if method else None
        interpreter = self._choice_of(cells, "interpreter_needed", errors)
        data.interpreter_needed = interpreter == "yes"
        visits = text(cells, "authorization_visits")
        if visits:
            data.authorization_visits = parse_count(visits)
            if data.authorization_visits is None:
                errors["authorization_visits"] = "Not a whole number."
        data.authorization_expires_on = self._date(cells, "authorization_expires_on", errors)
        urgency = self._choice_of(cells, "urgency", errors)
        data.urgency = _URGENCIES[urgency] if urgency else Urgency.ROUTINE
        channel = self._choice_of(cells, "channel", errors)
        data.channel = _CHANNELS[channel] if channel else None
        received = text(cells, "received_at")
        if not received:
            errors["received_at"] = "The received date is required."
        else:
            data.received_at = parse_datetime(received, self.order, today=self.today)
            if data.received_at is None:
                errors["received_at"] = self._not_a_date()
        data.partner_id, partner_key = self._partner(cells, errors)
        data.service_line_id = self._service_line(cells, errors)
        state, reason = self._state(cells, errors)
        closed_at = None
        if is_closed_outcome(state):
            closed_text = text(cells, "closed_at")
            if closed_text:
                closed = parse_datetime(closed_text, self.order, today=self.today)
                if closed is None:
                    errors["closed_at"] = self._not_a_date()
                else:
                    closed_at = as_utc(closed)
        return data, state, reason, closed_at, partner_key

    def _not_a_date(self) -> str:
        if self.order is None:
            return "Not a date RefDesk can read (write it like 2024-05-03)."
        return f"Not a date in the order {DATE_FORMAT_LABELS[self.order]}."

    def _date(self, cells: dict[str, str], name: str, errors: dict[str, str]) -> date | None:
        text = self._text(cells, name)
        if not text:
            return None
        found = parse_date(text, self.order, today=self.today)
        if found is None:
            errors[name] = self._not_a_date()
        return found

    def _choice_of(self, cells: dict[str, str], name: str, errors: dict[str, str]) -> str | None:
        text = self._text(cells, name)
        if not text:
            return None
        value = self._choice(name, text)
        if value is None:
            errors[name] = f"“{text[:60]}” is not a value RefDesk knows; map it to one."
        return value

    def _partner(self, cells: dict[str, str], errors: dict[str, str]) -> tuple[int | None, str]:
        text = self._text(cells, "partner")
        if not text:
            return None, ""
        name = self.mapping.values.get("partner", {}).get(text, text)
        key = partner_name_key(name)
        found = self.setup.partners.get(key)
        if found is None:
            if key not in self.unknown_names:
                self.unknown_names[key] = " ".join(name.split())
            self.unknown[key] += 1
            if key not in self.setup.pending_partners:
                errors["partner"] = f"“{name[:200]}” is not a partner in RefDesk (create it with the import)."
        return found, key

    def _service_line(self, cells: dict[str, str], errors: dict[str, str]) -> int | None:
        text = self._text(cells, "service_line")
        if not text:
            return None
        name = self.mapping.values.get("service_line", {}).get(text, text)
        found = self.setup.lines.get(" ".join(name.split()).casefold())
        if found is None:
            errors["service_line"] = f"“{name[:120]}” is not a service line in RefDesk."
        return found

    def _state(self, cells: dict[str, str], errors: dict[str, str]) -> tuple[State, CloseReason | None]:
        given = self._choice_of(cells, "state", errors)
        reason_value = self._choice_of(cells, "close_reason", errors)
        reason = CloseReason(reason_value) if reason_value else None
        if given is None:
            state = CLOSE_REASONS[reason].outcome if reason is not None else State.RECEIVED
        else:
            state = State(given)
        if state not in IMPORTABLE_STATES:
            errors["state"] = f"{LABELS[state]} cannot be imported: map it to Reached and book the visit."
            return State.RECEIVED, None
        if not is_closed_outcome(state):
            if reason is not None:
                errors["close_reason"] = (
                    f"A close reason applies only to a closed referral, not {LABELS[state]}."
                )
            return state, None
        if reason is None:
            choices = reasons_for(state)
            if len(choices) == 1:
                return state, choices[0]
            errors["close_reason"] = (
                f"Closing as {LABELS[state]} needs a reason: "
                f"{', '.join(CLOSE_REASONS[r].label for r in choices)}."
            )
            return state, None
        if CLOSE_REASONS[reason].outcome is not state:
            errors["close_reason"] = f"“{CLOSE_REASONS[reason].label}” is not a reason for {LABELS[state]}."
        return state, reason

    def _referral_row(
        self, values: dict[str, Any], state: State, reason: CloseReason | None, closed_at: datetime | None
    ) -> tuple[Any, ...]:
        """The referral's columns in ``REFERRAL_COLUMNS`` order, in stored form (its id 0: the writer's)."""
        received: datetime = values["received_at"]
        line_id = values["service_line_id"]
        closed = (closed_at or received) if is_closed_outcome(state) else None
        changed = closed or received
        # Many rows share a day of receipt (a log without times): the business-hours arithmetic is memoised.
        plan_key = (state, received, changed, line_id)
        plan = self._plans.get(plan_key)
        if plan is None:
            targets = self.setup.targets[line_id]
            due = deadlines(received, targets, DEFAULT_HOURS)
            facts = Facts(state=state, received_at=received, state_changed_at=changed)
            action = next_action(facts, targets, due)
            plan = self._plans[plan_key] = (
                _stored(due.ack_due_at),
                _stored(due.first_contact_due_at),
                action.action.value if action else "",
                _stored(action.due_at) if action else "",
            )
            if len(self._plans) > 100_000:
                self._plans.clear()
        ack_due, contact_due, action_name, action_at = plan
        v = values
        received_text = _stored(received)
        changed_text = received_text if changed is received else _stored(changed)
        method = v["preferred_contact_method"]
        expires = v["authorization_expires_on"]
        # In REFERRAL_COLUMNS order (checked below, where the module is loaded); '' is NULL for text.
        return (
            0,
            v["partner_id"],
            v["service_line_id"],
            v["patient_first_name"],
            v["patient_last_name"],
            v["patient_dob"].isoformat(),
            v["phone"],
            v["phone_alt"] or "",
            v["email"] or "",
            v["name_key"],
            v["phone_digits"],
            method.value if method else "",
            v["preferred_contact_time"] or "",
            v["language"] or "",
            int(v["interpreter_needed"]),
            v["caregiver_name"] or "",
            v["caregiver_phone"] or "",
            v["caregiver_relationship"] or "",
            v["insurance_payer"] or "",
            v["insurance_member_id"] or "",
            v["authorization_number"] or "",
            v["authorization_visits"],
            expires.isoformat() if expires else "",
            v["referring_clinician"] or "",
            v["reason"],
            v["urgency"].value,
            v["channel"].value,
            received_text,
            v["owner_id"],
            state.value,
            reason.value if reason else "",
            (changed_text if closed is not None else ""),
            v["linked_referral_id"],
            "",
            "",
            "",
            0,
            "",
            changed_text,
            ack_due,
            contact_due,
            action_name,
            action_at,
            self.setup.now,
            self.setup.now,
        )


def stored_time(moment: datetime) -> str:
    """What ``UTCDateTime`` writes on SQLite: naive UTC with microseconds."""
    utc = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    return utc.replace(tzinfo=None).isoformat(" ", "microseconds")


_stored = stored_time
