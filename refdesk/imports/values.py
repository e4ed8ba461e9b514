"""Reading one spreadsheet cell as a RefDesk value: dates in the file's order, names, yes/no, numbers, and
the words other systems use for states, urgency, channels and close reasons.

Pure functions. Each returns None for text it cannot read; the caller says what was wrong, without
quoting the cell (it may be patient data).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Literal

from refdesk.domain.formats import fold
from refdesk.domain.lifecycle import CLOSE_REASONS, CLOSED_OUTCOMES, LABELS, CloseReason, State
from refdesk.domain.vocab import Channel, ContactMethod, Labelled, PartnerCategory, Urgency

DateFormat = Literal["MDY", "DMY", "YMD"]
DATE_FORMATS: tuple[DateFormat, ...] = ("MDY", "DMY", "YMD")
#: How each order is written, for messages and the wizard.
DATE_FORMAT_LABELS: dict[DateFormat, str] = {"MDY": "MM/DD/YYYY", "DMY": "DD/MM/YYYY", "YMD": "YYYY-MM-DD"}

#: The states a referral can be imported in. Scheduled, no-show and appointment cancelled belong to an
#: appointment (date, time, provider) the file does not describe: such rows come in as Reached, whose
#: next action is "Book appointment", and the desk books the visit in RefDesk.
IMPORTABLE_STATES: tuple[State, ...] = (
    State.RECEIVED,
    State.CONTACT_ATTEMPTED,
    State.REACHED,
    State.COMPLETED,
    *CLOSED_OUTCOMES,
)

_TIME = r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*([AaPp]\.?[Mm]\.?)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?"
_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME)
_NUMERIC = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})" + _TIME)
_DAY_MONTH = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?[ \-]+([A-Za-z]{3,9})\.?[ \-,]+(\d{2}|\d{4})" + _TIME)
_MONTH_DAY = re.compile(r"([A-Za-z]{3,9})\.?[ \-]+(\d{1,2})(?:st|nd|rd|th)?,?[ \-]+(\d{2}|\d{4})" + _TIME)
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}


def norm(text: str) -> str:
    """How headers and choice words are compared: folded, punctuation as spaces ("In-Progress" = "in
    progress", "E-mail" = "e mail", "Auth #" = "auth")."""
    return re.sub(r"[\W_]+", " ", fold(text)).strip()


# --- dates --------------------------------------------------------------------------------------------


def _year(text: str, today: date) -> int:
    year = int(text)
    if len(text) == 2:  # 2-digit years: the most recent year that is not in the future
        year += 2000 if 2000 + year <= today.year else 1900
    return year


def _clock(match: re.Match[str], first: int) -> time | None:
    hour, minute, second, half = match.group(first, first + 1, first + 2, first + 3)
    if hour is None:
        return time(0, 0)
    h, m, s = int(hour), int(minute), int(second or 0)
    if half:
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if half[0] in "pP" else 0)
    if h > 23 or m > 59 or s > 59:
        return None
    return time(h, m, s)


def parse_datetime(text: str, order: DateFormat | None, *, today: date | None = None) -> datetime | None:
    """A naive (local) date and time from ``text``: ISO and month names always, ``3/4/2024`` in
    ``order`` (None: only when day and month cannot be mixed up, 13/4/2024). Midnight when no time."""
    today = today or date.today()
    text = text.strip()
    if not text:
        return None
    try:
        if match := _ISO.fullmatch(text):
            year, month, day = int(match[1]), int(match[2]), int(match[3])
        elif match := _NUMERIC.fullmatch(text):
            first, second, year = int(match[1]), int(match[2]), _year(match[3], today)
            if order == "MDY" or (order is None and second > 12 >= first):
                month, day = first, second
            elif order == "DMY" or (order is None and first > 12 >= second):
                day, month = first, second
            elif order is None and first == second:
                day = month = first
            else:
                return None
        elif match := _DAY_MONTH.fullmatch(text):
            day, year = int(match[1]), _year(match[3], today)
            month = _MONTHS.get(match[2].casefold(), 0)
        elif match := _MONTH_DAY.fullmatch(text):
            day, year = int(match[2]), _year(match[3], today)
            month = _MONTHS.get(match[1].casefold(), 0)
        else:
            return None
        clock = _clock(match, 4)
        if clock is None:
            return None
        return datetime.combine(date(year, month, day), clock)
    except ValueError:  # 31 February, month 0
        return None


def parse_date(text: str, order: DateFormat | None, *, today: date | None = None) -> date | None:
    """A date from ``text`` (a time after it is ignored), as ``parse_datetime`` reads it."""
    moment = parse_datetime(text, order, today=today)
    return None if moment is None else moment.date()


def possible_orders(text: str, *, today: date | None = None) -> frozenset[DateFormat] | None:
    """For ``3/4/2024``-like text: the orders in which it is a real date; None for text whose order is
    not in question (ISO, month names) or that is no date."""
    match = _NUMERIC.fullmatch(text.strip())
    if match is None:
        return None
    first, second, year = int(match[1]), int(match[2]), _year(match[3], today or date.today())
    found: set[DateFormat] = set()
    for order, (month, day) in (("MDY", (first, second)), ("DMY", (second, first))):
        try:
            date(year, month, day)
        except ValueError:
            continue
        found.add(order)  # type: ignore[arg-type]
    return frozenset(found)


# --- other cells --------------------------------------------------------------------------------------


def split_name(text: str) -> tuple[str, str]:
    """(first, last) from one "Patient name" cell: "Nguyen, Zoe" or "Zoe Anne Nguyen"."""
    text = " ".join(text.split())
    if "," in text:
        last, _, first = text.partition(",")
        return first.strip(), last.strip()
    first, _, last = text.rpartition(" ")
    return (first, last) if first else (text, "")


_YES = frozenset({"yes", "y", "true", "1", "x", "needed", "required", "si", "oui"})
_NO = frozenset({"no", "n", "false", "0", "none", "not needed", "na", "n a"})


def parse_yes_no(text: str) -> bool | None:
    """True/False for yes/no words (empty is no); None when it is neither."""
    word = norm(text)
    if not word or word in _NO:
        return False
    return True if word in _YES else None


def parse_count(text: str) -> int | None:
    """A whole number ("12", "12.0", "1,200"); None otherwise."""
    cleaned = text.strip().replace(",", "")
    try:
        number = float(cleaned)
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


# --- words for choices --------------------------------------------------------------------------------

_STATE_WORDS: dict[str, State] = {
    # OSCAR, Ocean, FHIR Task.status, BSeR businessStatus, and what people type (domain.md)
    **dict.fromkeys(
        (
            "new",
            "pending",
            "open",
            "sent",
            "nothing done",
            "not started",
            "requested",
            "unprocessed",
            "to do",
            "todo",
            "service request created",
            "received",
            "referral received",
            "waiting",
            "pending review",
            "in queue",
        ),
        State.RECEIVED,
    ),
    **dict.fromkeys(
        (
            "in progress",
            "contacted",
            "called",
            "left message",
            "left voicemail",
            "voicemail",
            "attempted",
            "pending patient callback",
            "awaiting reply",
            "accepted",
            "contact attempted",
            "attempting contact",
            "no answer",
            "calling",
            "working",
        ),
        State.CONTACT_ATTEMPTED,
    ),
    **dict.fromkeys(
        (
            "reached",
            "patient reached",
            "pending booking",
            "pending specialist callback",
            "interested",
            "ready",
            "to schedule",
            "needs scheduling",
            # an appointment the file cannot describe: see IMPORTABLE_STATES
            "scheduled",
            "booked",
            "appointment booked",
            "booked unconfirmed",
            "booked confirmed",
            "event scheduled",
            "appointment scheduled",
            "no show",
            "noshow",
            "scheduled event unattended",
            "appointment cancelled",
            "appointment canceled",
            "scheduled event cancelled",
            "rescheduled",
        ),
        State.REACHED,
    ),
    **dict.fromkeys(
        (
            "completed",
            "complete",
            "seen",
            "done",
            "visit completed",
            "event completed",
            "fulfillment completed",
            "first visit completed",
            "attended",
            "closed seen",
            "seen here",
        ),
        State.COMPLETED,
    ),
    **dict.fromkeys(
        ("declined", "rejected", "not eligible", "denied", "ineligible", "declined by clinic"),
        State.DECLINED_BY_CLINIC,
    ),
    **dict.fromkeys(
        ("patient declined", "declined by patient", "refused", "patient refused", "not interested"),
        State.DECLINED_BY_PATIENT,
    ),
    **dict.fromkeys(
        (
            "unable to reach",
            "could not reach",
            "unreachable",
            "no response",
            "failed",
            "lost to follow up",
            "no contact",
        ),
        State.UNABLE_TO_REACH,
    ),
    **dict.fromkeys(
        (
            "cancelled",
            "canceled",
            "cancelled by referrer",
            "withdrawn",
            "referral cancelled",
            "referral canceled",
        ),
        State.CANCELLED_BY_REFERRER,
    ),
    **dict.fromkeys(("duplicate", "entered in error", "dup"), State.DUPLICATE),
    **dict.fromkeys(("seen elsewhere", "forwarded", "went elsewhere", "redirected"), State.SEEN_ELSEWHERE),
}

_REASON_WORDS: dict[str, CloseReason] = {
    **dict.fromkeys(("ineligible", "does not meet criteria", "criteria not met"), CloseReason.NOT_ELIGIBLE),
    **dict.fromkeys(("not offered", "service not available"), CloseReason.SERVICE_NOT_OFFERED),
    **dict.fromkeys(
        ("insurance", "insurance not accepted", "not in network", "oon"), CloseReason.OUT_OF_NETWORK
    ),
    **dict.fromkeys(("missing records", "no records", "records not received"), CloseReason.MISSING_RECORDS),
    **dict.fromkeys(
        ("no auth", "auth denied", "authorization denied", "prior auth denied"),
        CloseReason.AUTHORIZATION_DENIED,
    ),
    **dict.fromkeys(
        ("not interested", "patient declined", "declined", "refused"), CloseReason.PATIENT_NOT_INTERESTED
    ),
    **dict.fromkeys(("cost", "too expensive", "copay", "financial"), CloseReason.PATIENT_COST),
    **dict.fromkeys(("distance", "transportation", "transport", "too far"), CloseReason.PATIENT_DISTANCE),
    **dict.fromkeys(("timing", "schedule conflict", "not now"), CloseReason.PATIENT_TIMING),
    **dict.fromkeys(
        ("no response", "no answer", "unable to reach", "could not reach", "unreachable"),
        CloseReason.NO_RESPONSE,
    ),
    **dict.fromkeys(
        ("wrong number", "disconnected", "invalid number", "bad number", "invalid phone"),
        CloseReason.INVALID_CONTACT,
    ),
    **dict.fromkeys(
        ("cancelled", "canceled", "referrer cancelled", "withdrawn"), CloseReason.REFERRER_CANCELLED
    ),
    **dict.fromkeys(("duplicate", "dup"), CloseReason.DUPLICATE_REFERRAL),
    **dict.fromkeys(("seen elsewhere", "went elsewhere", "other provider"), CloseReason.SEEN_ELSEWHERE),
}

_URGENCY_WORDS: dict[str, Urgency] = {
    **dict.fromkeys(
        (
            "normal",
            "standard",
            "low",
            "non urgent",
            "nonurgent",
            "elective",
            "r",
            "medium",
            "regular",
            "routine",
        ),
        Urgency.ROUTINE,
    ),
    **dict.fromkeys(
        ("high", "priority", "asap", "u", "urgent", "expedite", "expedited", "soon"), Urgency.URGENT
    ),
    **dict.fromkeys(("emergent", "emergency", "immediate", "critical", "stat", "s"), Urgency.STAT),
}

_CHANNEL_WORDS: dict[str, Channel] = {
    **dict.fromkeys(("fax", "faxed", "efax", "e fax"), Channel.FAX),
    **dict.fromkeys(("phone", "telephone", "call", "phoned", "phone call", "tel"), Channel.PHONE),
    **dict.fromkeys(("email", "e mail", "mail", "emailed"), Channel.EMAIL),
    **dict.fromkeys(
        ("portal", "ehr", "emr", "electronic", "ereferral", "e referral", "direct", "ocean"), Channel.PORTAL
    ),
    **dict.fromkeys(("web", "web form", "online", "website", "form", "webform"), Channel.WEB_FORM),
    **dict.fromkeys(("walk in", "walkin", "in person", "walk up"), Channel.WALK_IN),
}

_CONTACT_WORDS: dict[str, ContactMethod] = {
    **dict.fromkeys(("phone", "call", "telephone", "cell", "home phone", "voice"), ContactMethod.PHONE),
    **dict.fromkeys(("text", "sms", "text message", "texting"), ContactMethod.TEXT),
    **dict.fromkeys(("email", "e mail"), ContactMethod.EMAIL),
    **dict.fromkeys(("mail", "letter", "post", "postal mail"), ContactMethod.MAIL),
}

_CATEGORY_WORDS: dict[str, PartnerCategory] = {
    **dict.fromkeys(
        (
            "primary care",
            "pcp",
            "family medicine",
            "family practice",
            "internal medicine",
            "general practice",
            "pediatrics",
            "gp",
            "primary",
        ),
        PartnerCategory.PRIMARY_CARE,
    ),
    **dict.fromkeys(
        (
            "specialty",
            "specialist",
            "orthopedics",
            "orthopaedics",
            "cardiology",
            "neurology",
            "specialty practice",
            "surgery",
            "oncology",
            "dermatology",
        ),
        PartnerCategory.SPECIALTY,
    ),
    **dict.fromkeys(
        (
            "therapy",
            "physical therapy",
            "pt",
            "occupational therapy",
            "ot",
            "rehab",
            "rehabilitation",
            "speech therapy",
        ),
        PartnerCategory.THERAPY,
    ),
    **dict.fromkeys(
        (
            "behavioral health",
            "behavioural health",
            "mental health",
            "counseling",
            "counselling",
            "psychiatry",
            "psychology",
        ),
        PartnerCategory.BEHAVIORAL_HEALTH,
    ),
    **dict.fromkeys(
        ("home health", "care coordination", "home care", "hospice"), PartnerCategory.HOME_HEALTH
    ),
    **dict.fromkeys(
        (
            "community",
            "community organization",
            "community organisation",
            "case management",
            "social services",
            "nonprofit",
        ),
        PartnerCategory.COMMUNITY,
    ),
    **dict.fromkeys(
        ("hospital", "discharge planning", "emergency department", "ed", "er", "inpatient"),
        PartnerCategory.HOSPITAL,
    ),
    **dict.fromkeys(
        ("self", "self referral", "other", "self referred", "patient"), PartnerCategory.SELF_OTHER
    ),
}

_YES_NO_WORDS = {**dict.fromkeys(_YES, "yes"), **dict.fromkeys(_NO, "no")}


def _with_labels(enum: Iterable[Labelled], words: dict[str, str]) -> dict[str, str]:
    table = {norm(member.value): member.value for member in enum}
    table.update({norm(member.label): member.value for member in enum})
    table.update({norm(word): str(target) for word, target in words.items()})
    return table


_STATE_TABLE = {norm(state.value): state.value for state in State}
_STATE_TABLE.update({norm(label): state.value for state, label in LABELS.items()})
_STATE_TABLE.update({norm(word): state.value for word, state in _STATE_WORDS.items()})
_REASON_TABLE = {norm(reason.value): reason.value for reason in CloseReason}
_REASON_TABLE.update({norm(info.label): reason.value for reason, info in CLOSE_REASONS.items()})
_REASON_TABLE.update({norm(word): reason.value for word, reason in _REASON_WORDS.items()})

#: For each value-mapped field: folded word -> the RefDesk value it means.
WORDS: dict[str, dict[str, str]] = {
    "state": _STATE_TABLE,
    "close_reason": _REASON_TABLE,
    "urgency": _with_labels(Urgency, dict(_URGENCY_WORDS)),
    "channel": _with_labels(Channel, dict(_CHANNEL_WORDS)),
    "preferred_contact_method": _with_labels(ContactMethod, dict(_CONTACT_WORDS)),
    "interpreter_needed": dict(_YES_NO_WORDS),
    "category": _with_labels(PartnerCategory, dict(_CATEGORY_WORDS)),
    "preferred_update_channel": _with_labels(ContactMethod, dict(_CONTACT_WORDS)),
}
#: States that are not importable are read as what IMPORTABLE_STATES says they come in as.
for _word, _value in list(_STATE_TABLE.items()):
    if State(_value) not in IMPORTABLE_STATES:
        _STATE_TABLE[_word] = State.REACHED.value


def guess_value(field: str, text: str) -> str | None:
    """The RefDesk value ``text`` most likely means for ``field`` ("In Progress" -> "contact_attempted");
    None when it is not a word RefDesk knows for that field."""
    table = WORDS.get(field)
    return None if table is None else table.get(norm(text))
