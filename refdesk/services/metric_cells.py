"""The metric facts and cells: what each referral, and each partner's referrals of one local month, count
for the metrics, kept equal to the referrals in the transaction that changes them.

Why: every figure of the Reports tab is an aggregate over the referrals received in a period, and any
GROUP BY over a million referrals is a full scan of seconds (performance.md); working out the facts
themselves (ever reached? first booking? how long to acknowledge?) takes correlated lookups into the
appointments and the history, about 25 µs per referral. So:

- ``facts_query`` is the one definition of those facts, in SQL; its result is stored, one
  ``metric_fact`` row per referral (ids, partner, received time, service line, channel, close reason,
  a bit per yes/no fact, a histogram bucket per duration).
- A cell (``metric_cell``) is the sum of one partner's facts for one local month, so a report sums a few
  hundred cells; ``refdesk.services.metrics`` counts from the facts only the part of a month a period
  cuts off (``tally_rows``: one UNION ALL of GROUP BYs over an index range, about 6 µs per referral).
- The session hooks (registered in ``refdesk.domain.models.metrics``) note, before each flush, the
  referrals a new, changed or deleted referral, appointment or status event belongs to; just before the
  transaction commits, inside it, ``refresh`` works their facts out again and moves the difference
  between each old and new fact row into the cells (the old row says which cell the referral leaves
  when its partner or received time changed, or when it was deleted). No service has to remember, a
  rollback takes facts and cells with it, and a write costs a few milliseconds whatever the size of
  the partner.
- Writes that bypass the ORM (the demo loader, a bulk import) call ``rebuild_all`` at the end of their
  transaction; so does migration 0004.

Durations are kept as histograms of 340 buckets: 15 minutes wide below a day, an hour below a week, a
day below nine weeks, a week below a year (see ``LOWER_BOUNDS``). The medians and 90th percentiles read
from them are therefore the bucket's lower bound (a same-day acknowledgement to 15 minutes, an
appointment weeks away to a day): precise enough for a coordinator, and additive, which exact values
would not be without keeping every one of them.

Months are the workstation's local calendar months (``refdesk.domain.times``). Should the workstation's
time zone change, run ``rebuild_all`` so that the cells follow the new month boundaries.
"""

from refdesk.services.metric_facts import count_rows, facts_query, tally_query, tally_rows
from refdesk.services.metric_hooks import forget_noted, note_changes, refresh_noted
from refdesk.services.metric_months import day_start, month_bounds, month_of, months, next_month
from refdesk.services.metric_store import (
    add_written,
    fact_rows,
    read_cells,
    rebuild_all,
    recount,
    recount_cells,
    refresh,
    stored,
)
from refdesk.services.metric_tally import (
    BUCKETS,
    CELL_COLUMNS,
    COUNTS,
    HISTOGRAMS,
    LOWER_BOUNDS,
    MAPPINGS,
    Tally,
    bucket_counts,
    bucket_index,
    histogram,
    quantile,
)

__all__ = [
    "BUCKETS",
    "CELL_COLUMNS",
    "COUNTS",
    "HISTOGRAMS",
    "LOWER_BOUNDS",
    "MAPPINGS",
    "Tally",
    "add_written",
    "bucket_counts",
    "bucket_index",
    "count_rows",
    "day_start",
    "fact_rows",
    "facts_query",
    "forget_noted",
    "histogram",
    "month_bounds",
    "month_of",
    "months",
    "next_month",
    "note_changes",
    "quantile",
    "read_cells",
    "rebuild_all",
    "recount",
    "recount_cells",
    "refresh",
    "refresh_noted",
    "stored",
    "tally_query",
    "tally_rows",
]
