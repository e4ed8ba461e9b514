"""PySide6 6.12.0 on Python 3.11 loses a reference to None each time Qt hands Python an empty QVariant,
until the process aborts (``Fatal Python error: none_dealloc``; see shared/docs/performance.md). A proxy
over the queue model asks for roles the model does not answer all the time, so this guards the pin."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QSortFilterProxyModel, Qt

from refdesk.services.queue import QueueFilter, QueueSort
from refdesk.storage import Database
from tests.ui.test_queue_model import insert_referrals, referral_rows
from ui.queue.model import QueueModel
from ui.tasks import InlineRunner

CALLS = 5000


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12")
def test_empty_variants_from_a_proxy_do_not_eat_references_to_none(
    db: Database, partner_id: int, service_line_id: int
) -> None:
    insert_referrals(db, referral_rows(partner_id, service_line_id, 3))
    model = QueueModel(db, InlineRunner())
    model.set_query(QueueFilter(), QueueSort())
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    roles = Qt.ItemDataRole
    unanswered = (roles.DecorationRole, roles.WhatsThisRole, roles.UserRole + 99)
    assert proxy.headerData(0, Qt.Orientation.Horizontal, unanswered[0]) is None

    before = sys.getrefcount(None)
    for i in range(CALLS):
        role = unanswered[i % len(unanswered)]
        proxy.headerData(i % 11, Qt.Orientation.Horizontal, role)
        proxy.headerData(0, Qt.Orientation.Vertical, Qt.ItemDataRole.DisplayRole)
        proxy.data(proxy.index(i % 3, 1), role)
    after = sys.getrefcount(None)

    # A leak loses one reference per call (15,000 here); allow for unrelated noise.
    assert after >= before - 100, f"None lost {before - after} references over {3 * CALLS} calls"
