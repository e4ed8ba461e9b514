"""The arithmetic of metric cells: ``Tally`` (the additive counts of a set of referrals: one cell, several,
or a part of a month) and the duration histograms packed into one integer (``histogram``,
``bucket_index``, ``quantile``). No database here; ``refdesk.services.metric_cells`` explains the design.
"""

from __future__ import annotations

import sys
from array import array
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from itertools import accumulate
from typing import Any

#: The plain counts of a cell (its integer columns), in the order of the flag bits below.
COUNTS: tuple[str, ...] = (
    "contacted",
    "reached",
    "scheduled",
    "completed",
    "no_show",
    "rescheduled",
    "ack_measured",
    "ack_within",
    "contact_measured",
    "contact_within",
)
#: The keyed counts of a cell (its JSON columns): by service line id, channel and close reason.
MAPPINGS: tuple[str, ...] = ("by_service_line", "by_channel", "close_reasons")
#: The cell's histograms of minutes from receipt: to acknowledgement, to the first attempt, to the start of
#: the first appointment booked.
HISTOGRAMS: tuple[str, ...] = ("ack_histogram", "contact_histogram", "appointment_histogram")
#: Every column of a cell after partner and month, in the order ``Tally.from_values`` reads them.
CELL_COLUMNS: tuple[str, ...] = ("received", *COUNTS, *MAPPINGS, *HISTOGRAMS)
_MAPPINGS_AT = 1 + len(COUNTS)
_HISTOGRAMS_AT = _MAPPINGS_AT + len(MAPPINGS)

# Histograms: 340 buckets of minutes, (first bucket, its lower bound, width) per band: 15 minutes wide
# below a day, an hour below a week, a day below nine weeks, a week below 52 weeks; the last bucket
# holds everything from 364 days on. Each bound is a multiple of the next band's width, so bucket order
# is duration order.
BANDS: tuple[tuple[int, int, int], ...] = (
    (0, 0, 15),
    (96, 1440, 60),
    (240, 10080, 1440),
    (296, 90720, 10080),
)
BUCKETS = 340
#: The lower bound, in minutes, of each bucket.
LOWER_BOUNDS: tuple[int, ...] = tuple(
    next(low + (index - first) * width for first, low, width in reversed(BANDS) if index >= first)
    for index in range(BUCKETS)
)
#: A histogram is one Python int holding a 32-bit count per bucket (bucket i in bits 32i to 32i+31), so
#: adding or subtracting two histograms is one integer operation in C, however many buckets they use:
#: a year of cells at a million referrals merges in milliseconds, where dictionaries took a second. It is
#: stored as that number in hexadecimal (text, read and written in C; a few hundred digits at most).
FIELD_BITS = 32


def bucket_index(minutes: int) -> int:
    """The histogram bucket a duration falls in (negative durations count as 0); what ``tally_rows``
    does in SQL, for tests and documentation."""
    minutes = max(minutes, 0)
    for first, low, width in reversed(BANDS):
        if minutes >= low:
            return min(first + (minutes - low) // width, BUCKETS - 1)
    raise AssertionError("unreachable: the first band starts at 0")  # pragma: no cover


def histogram(counts: Mapping[int, int]) -> int:
    """The histogram holding ``counts`` (bucket index -> number)."""
    return sum(number << (FIELD_BITS * index) for index, number in counts.items())


def bucket_counts(packed: int) -> list[int]:
    """The number in each bucket, by index."""
    raw = packed.to_bytes(BUCKETS * FIELD_BITS // 8, sys.byteorder)
    counts = array("I")
    if counts.itemsize != FIELD_BITS // 8:  # pragma: no cover - no such platform in use
        return [(packed >> (FIELD_BITS * i)) & 0xFFFFFFFF for i in range(BUCKETS)]
    counts.frombytes(raw)
    return counts.tolist()


def quantile(packed: int, q: float) -> float | None:
    """The ``q`` quantile (0..1) of the durations a histogram counts, in minutes, each duration taken as
    its bucket's lower bound and interpolated linearly between neighbouring ranks (the median of 1 and 3
    is 2); None when it counts nothing."""
    if not packed:
        return None
    cumulative = list(accumulate(bucket_counts(packed)))
    position = q * (cumulative[-1] - 1)
    rank = int(position)
    lower = LOWER_BOUNDS[bisect_right(cumulative, rank)]
    if rank == position:
        return float(lower)
    upper = LOWER_BOUNDS[bisect_right(cumulative, rank + 1)]
    return lower + (upper - lower) * (position - rank)


# --- a (partner, range)'s counts ---------------------------------------------------------------------------


class Tally:
    """Additive counts of a set of referrals: one cell, several, or a part of a month.

    ``received`` and ``counts`` (named as the cell's columns in ``COUNTS``) are plain numbers;
    ``mappings`` (``MAPPINGS``) count by a string key (JSON object keys are strings), entries that reach
    zero dropped so that two tallies of the same referrals compare equal; ``histograms``
    (``HISTOGRAMS``) are packed as ``histogram`` makes them.
    """

    __slots__ = ("counts", "histograms", "mappings", "received")

    def __init__(self) -> None:
        self.received = 0
        self.counts: dict[str, int] = dict.fromkeys(COUNTS, 0)
        self.mappings: dict[str, dict[str, int]] = {name: {} for name in MAPPINGS}
        self.histograms: dict[str, int] = dict.fromkeys(HISTOGRAMS, 0)

    @classmethod
    def from_values(cls, values: Sequence[Any]) -> Tally:
        """A tally from a cell's columns, in ``CELL_COLUMNS`` order."""
        tally = cls()
        tally.add_values(values)
        return tally

    def cell_values(self) -> dict[str, Any]:
        """The cell's columns (without partner and month); JSON keys sorted so a rebuild is byte-stable."""
        values: dict[str, Any] = {"received": self.received, **self.counts}
        for name, counted in self.mappings.items():
            values[name] = dict(sorted(counted.items()))
        for name, packed in self.histograms.items():
            values[name] = format(packed, "x")
        return values

    def add_values(self, values: Sequence[Any]) -> None:
        """Add a cell's columns (``CELL_COLUMNS`` order) straight in: a report adds thousands of cells,
        and building a tally of each first would double the work."""
        self.received += values[0]
        counts = self.counts
        for name, number in zip(COUNTS, values[1:_MAPPINGS_AT], strict=True):
            counts[name] += number
        for name, counted in zip(MAPPINGS, values[_MAPPINGS_AT:_HISTOGRAMS_AT], strict=True):
            mine = self.mappings[name]
            for key, number in counted.items():
                mine[key] = mine.get(key, 0) + number
        histograms = self.histograms
        for name, text in zip(HISTOGRAMS, values[_HISTOGRAMS_AT:], strict=True):
            histograms[name] += int(text, 16)

    def add(self, other: Tally, sign: int = 1) -> None:
        """Add ``other`` into this tally (``sign=-1``: take out a part of it)."""
        self.received += sign * other.received
        counts = self.counts
        for name, number in other.counts.items():
            counts[name] += sign * number
        histograms = self.histograms
        for name, packed in other.histograms.items():
            histograms[name] += sign * packed
        for name, counted in other.mappings.items():
            mine = self.mappings[name]
            for key, number in counted.items():
                total = mine.get(key, 0) + sign * number
                if total:
                    mine[key] = total
                else:
                    del mine[key]

    def consistent(self) -> bool:
        """Whether the numbers agree with one another, as the counts of real referrals must: nothing
        negative or above ``received``, every referral in one service line and one channel, a histogram
        entry for each duration measured. A difference applied to a cell that was not equal to its facts
        (a write that bypassed the ORM) fails this."""
        counts, received = self.counts, self.received
        if received < 0 or any(not 0 <= n <= received for n in counts.values()):
            return False
        lines, channels, reasons = (self.mappings[name] for name in MAPPINGS)
        if any(n <= 0 for n in (*lines.values(), *channels.values(), *reasons.values())):
            return False
        if (
            sum(lines.values()) != received
            or sum(channels.values()) != received
            or sum(reasons.values()) > received
        ):
            return False
        measured = (counts["ack_measured"], counts["contact_measured"], counts["scheduled"])
        for packed, expected in zip(self.histograms.values(), measured, strict=True):
            if packed < 0 or packed.bit_length() > BUCKETS * FIELD_BITS:
                return False
            buckets = bucket_counts(packed)
            if max(buckets) >= 1 << (FIELD_BITS - 1) or sum(buckets) != expected:
                return False
        return True

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Tally):
            return NotImplemented
        mine = (self.received, self.counts, self.mappings, self.histograms)
        return mine == (other.received, other.counts, other.mappings, other.histograms)

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        histograms = {
            name: {LOWER_BOUNDS[i]: n for i, n in enumerate(bucket_counts(packed)) if n}
            if packed >= 0 and packed.bit_length() <= BUCKETS * FIELD_BITS
            else packed
            for name, packed in self.histograms.items()
        }
        return f"Tally(received={self.received}, {self.counts}, {self.mappings}, {histograms})"
