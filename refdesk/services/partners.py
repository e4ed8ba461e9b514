"""Partners as the coordinator works them: the list (search, category, lapsed), one partner's detail,
field edits, contacts, and the outreach log with its cadence.

Why it is built this way (performance.md):

- The list is a few thousand partners at most, so its rows are plain values held whole by the screen and
  sorted in Python (``sort_rows``); no ORM objects.
- The per-partner figures (referrals in the last 12 months, last referral received, open referrals) are
  correlated subqueries per partner row: ``max``/``count`` over ``ix_referral_partner_received`` and the
  partial ``ix_referral_open_partner_received``, so a list costs one short index walk per partner and
  never a GROUP BY over a million referrals. ``tests/refdesk/services/test_partners.py`` checks the plan.
- Search is case- and accent-insensitive ("jose" finds "José"); SQLite cannot fold accents, so the
  partner names, cities and phones (a few thousand short rows) are matched in Python first, and only the
  matches have their figures counted.

Every write goes through ``audited`` and validates before it changes anything: a refused edit leaves the
partner exactly as it was, and the ValidationError names the field to show the message at.

The code lives in one module per job, and every public name is importable from here:
``partner_list`` (rows, filters, sort), ``partner_cadence`` (when a touch is due), ``partner_detail``
(one partner and its field edits), ``partner_contacts`` and ``partner_outreach`` (touches, touches due).
"""

from __future__ import annotations

from refdesk.services.partner_cadence import CADENCE_MONTHS, add_months, next_touch_due
from refdesk.services.partner_contacts import (
    CONTACT_FIELDS,
    ContactData,
    add_contact,
    remove_contact,
    update_contact,
)
from refdesk.services.partner_detail import (
    PARTNER_FIELDS,
    ContactRow,
    PartnerRecord,
    TouchRow,
    get_contact,
    get_partner_detail,
    npi_is_valid,
    update_partner,
)
from refdesk.services.partner_list import (
    LAPSED_DAYS,
    RECENT_MONTHS,
    PartnerFilter,
    PartnerRow,
    PartnerSort,
    list_partner_rows,
    list_query,
    partner_rows_by_id,
    search_matches,
    sort_rows,
)
from refdesk.services.partner_outreach import TouchDue, add_touch, touches_due

__all__ = [
    "CADENCE_MONTHS",
    "CONTACT_FIELDS",
    "LAPSED_DAYS",
    "PARTNER_FIELDS",
    "RECENT_MONTHS",
    "ContactData",
    "ContactRow",
    "PartnerFilter",
    "PartnerRecord",
    "PartnerRow",
    "PartnerSort",
    "TouchDue",
    "TouchRow",
    "add_contact",
    "add_months",
    "add_touch",
    "get_contact",
    "get_partner_detail",
    "list_partner_rows",
    "list_query",
    "next_touch_due",
    "npi_is_valid",
    "partner_rows_by_id",
    "remove_contact",
    "search_matches",
    "sort_rows",
    "touches_due",
    "update_contact",
    "update_partner",
]
