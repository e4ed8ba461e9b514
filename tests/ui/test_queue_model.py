"""The queue table model: ids plus rows by page, two-step queries, stale results dropped, roles."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor, QFont
from pytestqt.qtbot import QtBot
from sqlalchemy import insert, update

from refdesk.domain.formats import fold
from refdesk.domain.lifecycle import State
from refdesk.domain.models import Referral
from refdesk.domain.next_action import Action
from refdesk.domain.vocab import Channel, Urgency
from refdesk.errors import StorageError
from refdesk.services import queue
from refdesk.services.queue import QueueFilter, QueueSort, SortKey
from refdesk.storage import Database
from ui.queue import columns
from ui.queue import model as model_module
from ui.queue.columns import Column
from ui.queue.model import ID_ROLE, MISSED_ROLE, ROW_ROLE, SORT_ROLE, URGENCY_ROLE, QueueModel
from ui.tasks import InlineRunner, TaskContext, TaskHandle, TaskRunner

NOW = datetime.now(UTC)


class StepRunner(TaskRunner):
    """Holds submitted work until the test runs it, so each step of a query can be looked at.

    ``honour_cancel=False`` delivers even cancelled results: the model's own generation check must drop them.
    """

    def __init__(self, *, honour_cancel: bool = True) -> None:
        super().__init__()
        self.honour_cancel = honour_cancel
        self.jobs: list[tuple[Callable[[TaskContext], Any], Any, Any, TaskContext, TaskHandle]] = []

    def submit(self, fn: Any, *, on_done: Any, on_error: Any = None, on_progress: Any = None) -> TaskHandle:
        context = TaskContext(lambda _done, _total: None)
        handle = TaskHandle(context)
        self.jobs.append((fn, on_done, on_error, context, handle))
        return handle

    def run_next(self) -> None:
        fn, on_done, on_error, context, handle = self.jobs.pop(0)
        handle.finished = True
        if handle.cancelled:
            if self.honour_cancel:
                return
            context = TaskContext(lambda _done, _total: None)  # as if the work had finished before the cancel
        try:
            result = fn(context)
        except Exception as error:  # noqa: BLE001 - handed on like the real runner does
            on_error(error)
        else:
            on_done(result)

    def run_all(self) -> None:
        while self.jobs:
            self.run_next()


def referral_rows(
    partner_id: int, service_line_id: int, count: int, start: int = 0, /, **overrides: Any
) -> list[dict[str, Any]]:
    """Core insert rows; referral ``i`` is "Pat N{i}", received ``i`` minutes before NOW (newest first)."""
    rows = []
    for i in range(start, start + count):
        first, last = overrides.get("patient_first_name", "Pat"), overrides.get("patient_last_name", f"N{i}")
        row = dict(
            partner_id=partner_id, service_line_id=service_line_id, patient_first_name=first,
            patient_last_name=last, patient_dob=date(1980, 1, 1) + timedelta(days=i),
            phone=f"(555) 201-{i:04d}", name_key=fold(f"{first} {last}"), phone_digits=f"555201{i:04d}",
            reason="x", urgency=Urgency.ROUTINE, channel=Channel.FAX,
            received_at=NOW - timedelta(minutes=i), state=State.RECEIVED, attempt_count=0,
            interpreter_needed=False, created_at=NOW, updated_at=NOW,
            next_action=Action.FIRST_CONTACT, next_action_at=NOW + timedelta(days=1, minutes=i),
        )  # fmt: skip
        row.update(
            {k: v for k, v in overrides.items() if k not in {"patient_first_name", "patient_last_name"}}
        )
        rows.append(row)
    return rows


def insert_referrals(db: Database, rows: list[dict[str, Any]]) -> list[int]:
    with db.transaction() as session:
        session.execute(insert(Referral), rows)
    return queue.matching_ids(db, QueueFilter(states=frozenset()), QueueSort())


@pytest.fixture
def five_hundred(db: Database, partner_id: int, service_line_id: int) -> list[int]:
    """500 open referrals; the ids in display order (newest first, so row i is "Pat N{i}")."""
    return insert_referrals(db, referral_rows(partner_id, service_line_id, 500))


def patient(model: QueueModel, row: int) -> str:
    return model.data(model.index(row, Column.PATIENT))


def test_the_model_passes_the_model_tester_after_the_first_page_and_after_all_ids(
    qtmodeltester: Any, db: Database, five_hundred: list[int]
) -> None:
    runner = StepRunner()
    model = QueueModel(db, runner)
    model.set_query(QueueFilter(), QueueSort())
    assert model.loading and model.rowCount() == 0
    runner.run_next()  # the first page
    assert model.rowCount() == queue.PAGE_SIZE and model.total is None
    qtmodeltester.check(model)
    runner.run_next()  # every id: rows are appended, not reset
    assert model.rowCount() == 500 and model.total == 500 and not model.loading
    qtmodeltester.check(model)
    qtmodeltester.check(model, force_py=True)


def test_the_id_list_extends_the_first_page_without_a_reset(
    qtbot: QtBot, db: Database, five_hundred: list[int]
) -> None:
    runner = StepRunner()
    model = QueueModel(db, runner)
    model.set_query(QueueFilter(), QueueSort())
    runner.run_next()
    with (
        qtbot.assertNotEmitted(model.modelReset),
        qtbot.waitSignal(model.rowsInserted) as inserted,
        qtbot.waitSignal(model.count_changed) as counted,
    ):
        runner.run_next()
    assert inserted.args[1:] == [queue.PAGE_SIZE, 499] and counted.args == [500]


def test_rows_beyond_the_first_page_are_read_when_scrolled_to(db: Database, five_hundred: list[int]) -> None:
    model = QueueModel(db, InlineRunner())
    model.set_query(QueueFilter(), QueueSort())
    assert model.rowCount() == 500
    assert (
        patient(model, 450) == "Pat N450"
        and patient(model, 0) == "Pat N0"
        and patient(model, 499) == "Pat N499"
    )
    assert model.referral_id_at(450) == five_hundred[450] == model.data(model.index(450, 3), ID_ROLE)
    assert model.row_of(five_hundred[450]) == 450 and model.row_of(-1) is None
    assert model.data(model.index(450, 0), ROW_ROLE).patient_last_name == "N450"


def test_the_page_cache_is_bounded(
    db: Database, partner_id: int, service_line_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    insert_referrals(db, referral_rows(partner_id, service_line_id, 1000))
    monkeypatch.setattr(model_module, "MAX_PAGES", 2)
    model = QueueModel(db, InlineRunner())
    model.set_query(QueueFilter(), QueueSort())
    for row in (0, 250, 450, 650, 999, 5):
        assert patient(model, row) == f"Pat N{row}"
    assert len(model._pages) == 2


def test_a_new_query_drops_the_results_of_the_one_it_overtook(
    db: Database, five_hundred: list[int], partner_id: int, service_line_id: int
) -> None:
    insert_referrals(db, referral_rows(partner_id, service_line_id, 1, 500, patient_last_name="Zed"))
    runner = StepRunner(honour_cancel=False)  # deliver the stale result anyway: the model must ignore it
    model = QueueModel(db, runner)
    counts: list[int] = []
    model.count_changed.connect(counts.append)
    model.set_query(QueueFilter(), QueueSort())
    model.set_query(QueueFilter(search="zed"), QueueSort())
    runner.run_all()
    assert model.rowCount() == 1 and patient(model, 0) == "Pat Zed" and counts == [1]


def test_with_the_real_runner_quick_successive_queries_show_only_the_last(
    qtbot: QtBot, db: Database, five_hundred: list[int]
) -> None:
    runner = TaskRunner()
    model = QueueModel(db, runner)
    seen: list[int] = []
    model.modelReset.connect(lambda: seen.append(model.rowCount()))
    with qtbot.waitSignal(model.count_changed, timeout=10_000) as counted:
        model.set_query(QueueFilter(), QueueSort())
        model.set_query(QueueFilter(search="Pat N45"), QueueSort())  # N45, N450..N459
    assert counted.args == [11] and seen == [11]
    assert sorted(patient(model, row) for row in range(11))[0] == "Pat N45"
    with qtbot.waitSignal(model.count_changed, timeout=10_000) as counted:
        model.set_query(QueueFilter(), QueueSort())
    assert counted.args == [500] and patient(model, 450) == "Pat N450"
    runner.wait()


def test_a_changed_prefix_resets_the_model_instead_of_appending(
    qtbot: QtBot, db: Database, five_hundred: list[int], partner_id: int, service_line_id: int
) -> None:
    runner = StepRunner()
    model = QueueModel(db, runner)
    model.set_query(QueueFilter(), QueueSort())
    runner.run_next()
    # a referral arrives between the two steps: it is newest, so the first page is no longer the prefix
    rows = referral_rows(partner_id, service_line_id, 1, 900, received_at=NOW + timedelta(minutes=1))
    insert_referrals(db, rows)
    with qtbot.waitSignal(model.modelReset):
        runner.run_next()
    assert model.rowCount() == 501 and patient(model, 0) == "Pat N900" and patient(model, 451) == "Pat N450"


def test_sorting_by_a_column_queries_in_that_order(db: Database, five_hundred: list[int]) -> None:
    model = QueueModel(db, InlineRunner())
    model.set_query(QueueFilter(), QueueSort())
    model.sort(Column.DOB, Qt.SortOrder.AscendingOrder)
    assert model.query_sort == QueueSort(SortKey.DOB, descending=False)
    assert patient(model, 0) == "Pat N0" and model.data(model.index(0, Column.DOB)) == "01/01/1980"
    model.sort(Column.RECEIVED, Qt.SortOrder.AscendingOrder)
    assert patient(model, 0) == "Pat N499"
    model.sort(99, Qt.SortOrder.AscendingOrder)  # no such column: nothing happens
    assert model.query_sort.key is SortKey.RECEIVED


def test_every_column_has_a_sort_key_and_a_header() -> None:
    assert set(columns.SORT_KEYS) == set(Column) == set(columns.HEADERS)


def test_refresh_keeps_the_rows_on_screen_until_the_new_ids_arrive(
    db: Database, five_hundred: list[int], partner_id: int, service_line_id: int
) -> None:
    runner = StepRunner()
    model = QueueModel(db, runner)
    model.set_query(QueueFilter(), QueueSort())
    runner.run_all()
    insert_referrals(
        db, referral_rows(partner_id, service_line_id, 1, 900, received_at=NOW + timedelta(minutes=1))
    )
    model.refresh()
    assert model.rowCount() == 500 and model.loading
    runner.run_all()
    assert model.rowCount() == 501 and patient(model, 0) == "Pat N900" and not model.loading


def test_refresh_row_rereads_one_row(qtbot: QtBot, db: Database, five_hundred: list[int]) -> None:
    model = QueueModel(db, InlineRunner())
    model.set_query(QueueFilter(), QueueSort())
    assert model.data(model.index(3, Column.ATTEMPTS)) == "0"
    with db.transaction() as session:
        session.execute(update(Referral).where(Referral.id == five_hundred[3]).values(attempt_count=2))
    assert model.data(model.index(3, Column.ATTEMPTS)) == "0"  # cached until told
    with qtbot.waitSignal(model.dataChanged) as changed:
        model.refresh_row(five_hundred[3])
    assert changed.args[0].row() == 3 and model.data(model.index(3, Column.ATTEMPTS)) == "2"


def test_a_failed_query_is_reported_in_words(
    qtbot: QtBot, db: Database, five_hundred: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> list[int]:
        raise StorageError("The database file cannot be read.")

    monkeypatch.setattr(queue, "first_page", broken)
    model = QueueModel(db, InlineRunner())
    with qtbot.waitSignal(model.query_failed) as failed:
        model.set_query(QueueFilter(), QueueSort())
    assert failed.args == ["The database file cannot be read."] and not model.loading


def test_a_page_that_cannot_be_read_is_reported_after_the_paint(
    qtbot: QtBot, db: Database, five_hundred: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    model = QueueModel(db, InlineRunner())
    model.set_query(QueueFilter(), QueueSort())

    calls: list[object] = []

    def broken(*args: object, **_kwargs: object) -> dict[int, object]:
        calls.append(args)
        raise StorageError("The database file cannot be read.")

    monkeypatch.setattr(queue, "rows_by_id", broken)
    with qtbot.waitSignal(model.query_failed) as failed:
        assert patient(model, 450) is None  # blank, not an exception inside Qt's paint
        assert patient(model, 451) is None  # the broken page is not read again and again
    assert failed.args == ["The database file cannot be read."] and len(calls) == 1
    assert patient(model, 5) == "Pat N5"  # the first page is still there


def test_an_empty_database_is_told_from_a_filter_that_matches_nothing(
    db: Database, five_hundred: list[int]
) -> None:
    model = QueueModel(db, InlineRunner())
    model.set_query(QueueFilter(search="nobody"), QueueSort())
    assert model.rowCount() == 0 and model.total == 0 and not model.database_empty


def test_an_empty_database_reports_itself(db: Database) -> None:
    model = QueueModel(db, InlineRunner())
    model.set_query(QueueFilter(), QueueSort())
    assert model.total == 0 and model.database_empty


# --- what the cells say ------------------------------------------------------------------------------


@pytest.fixture
def marked(db: Database, partner_id: int, service_line_id: int) -> list[int]:
    """Row 0: STAT, missed its acknowledgement target; row 1: urgent; row 2: routine, on time, odd name."""
    stat = referral_rows(
        partner_id, service_line_id, 1, 0, urgency=Urgency.STAT, received_at=NOW - timedelta(days=3),
        ack_due_at=NOW - timedelta(days=2), first_contact_due_at=NOW - timedelta(days=1),
        next_action_at=NOW - timedelta(hours=5),
    )  # fmt: skip
    urgent = referral_rows(
        partner_id, service_line_id, 1, 1, urgency=Urgency.URGENT, received_at=NOW - timedelta(days=4)
    )
    literal = referral_rows(
        partner_id, service_line_id, 1, 2, patient_first_name="<b>Ольга</b>", patient_last_name="& O'Brien",
        received_at=NOW - timedelta(weeks=5), ack_due_at=NOW + timedelta(hours=2),
        first_contact_due_at=NOW + timedelta(hours=4),
    )  # fmt: skip
    return insert_referrals(db, stat + urgent + literal)


def test_a_row_that_missed_its_target_says_why(db: Database, marked: list[int]) -> None:
    model = QueueModel(db, InlineRunner())
    model.set_query(QueueFilter(), QueueSort())
    reason = model.data(model.index(0, Column.PATIENT), MISSED_ROLE)
    assert reason is not None and reason.startswith("Not acknowledged: the target was")
    assert reason in model.data(model.index(0, Column.PATIENT), Qt.ItemDataRole.ToolTipRole)
    assert isinstance(model.data(model.index(0, Column.STATE), Qt.ItemDataRole.BackgroundRole), QColor)
    assert model.data(model.index(0, Column.RECEIVED), Qt.ItemDataRole.DecorationRole) is not None
    assert model.data(model.index(1, Column.PATIENT), MISSED_ROLE) is None  # no targets recorded
    assert model.data(model.index(2, Column.PATIENT), MISSED_ROLE) is None  # targets still ahead
    assert model.data(model.index(2, Column.STATE), Qt.ItemDataRole.BackgroundRole) is None


def test_urgent_rows_stand_out(db: Database, marked: list[int]) -> None:
    model = QueueModel(db, InlineRunner())
    model.set_query(QueueFilter(), QueueSort())
    font = model.data(model.index(0, Column.PATIENT), Qt.ItemDataRole.FontRole)
    assert isinstance(font, QFont) and font.bold()  # STAT: the whole row
    assert model.data(model.index(1, Column.PATIENT), Qt.ItemDataRole.FontRole) is None
    assert model.data(model.index(1, Column.URGENCY), Qt.ItemDataRole.FontRole).bold()  # urgent: its cell
    assert isinstance(model.data(model.index(1, Column.URGENCY), Qt.ItemDataRole.ForegroundRole), QColor)
    assert model.data(model.index(2, Column.URGENCY), Qt.ItemDataRole.ForegroundRole) is None
    assert model.data(model.index(0, Column.URGENCY), URGENCY_ROLE) is Urgency.STAT


def test_names_are_shown_literally_never_as_markup(db: Database, marked: list[int]) -> None:
    model = QueueModel(db, InlineRunner())
    model.set_query(QueueFilter(), QueueSort())
    assert model.data(model.index(2, Column.PATIENT)) == "<b>Ольга</b> & O'Brien"
    tip = model.data(model.index(2, Column.PATIENT), Qt.ItemDataRole.ToolTipRole)
    assert "&lt;b&gt;Ольга&lt;/b&gt; &amp; O&#x27;Brien" in tip and "<b>" not in tip


def test_cells_read_as_the_desk_speaks(db: Database, marked: list[int]) -> None:
    model = QueueModel(db, InlineRunner())
    model.set_query(QueueFilter(), QueueSort())

    def cell(row: int, column: Column, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        return model.data(model.index(row, column), role)

    assert cell(0, Column.RECEIVED) == "3 d" and cell(2, Column.RECEIVED) == "5 w"
    assert "received" in cell(0, Column.RECEIVED, Qt.ItemDataRole.ToolTipRole)
    assert cell(0, Column.DOB) == "01/01/1980" and cell(0, Column.PHONE) == "(555) 201-0000"
    assert cell(0, Column.URGENCY) == "STAT" and cell(0, Column.STATE) == "Received"
    assert cell(0, Column.OWNER) == "" and cell(0, Column.ATTEMPTS) == "0"
    assert cell(0, Column.NEXT_ACTION) == "First contact · late"
    assert "(late)" in cell(0, Column.NEXT_ACTION, Qt.ItemDataRole.ToolTipRole)
    assert cell(0, Column.RECEIVED, SORT_ROLE) == NOW - timedelta(days=3)
    assert cell(0, Column.ATTEMPTS, SORT_ROLE) == 0
    assert model.headerData(Column.NEXT_ACTION, Qt.Orientation.Horizontal) == "Next action / due"
    assert model.headerData(0, Qt.Orientation.Vertical) is None
    assert model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsSelectable
    assert (
        model.data(QModelIndex()) is None and model.data(model.index(0, 0), Qt.ItemDataRole.EditRole) is None
    )


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(seconds=20), "0 min"),
        (timedelta(minutes=45), "45 min"),
        (timedelta(hours=3, minutes=59), "3 h"),
        (timedelta(days=2, hours=23), "2 d"),
        (timedelta(days=13), "13 d"),
        (timedelta(days=35), "5 w"),
        (timedelta(days=800), "2 y"),
        (-timedelta(minutes=5), "0 min"),
    ],
)
def test_ages_are_coarse(delta: timedelta, expected: str) -> None:
    assert columns.age_text(NOW - delta, NOW) == expected


def test_due_times_are_relative_to_today() -> None:
    local_noon = datetime.now().astimezone().replace(hour=12, minute=0, second=0, microsecond=0)
    assert columns.due_text(local_noon + timedelta(hours=2), local_noon) == "today 2:00 PM"
    assert columns.due_text(local_noon + timedelta(days=1), local_noon) == "tomorrow 12:00 PM"
    assert columns.due_text(local_noon + timedelta(days=3), local_noon).endswith(" 12:00 PM")
    assert columns.due_text(local_noon + timedelta(days=30), local_noon).count("/") == 2
    assert columns.due_text(local_noon - timedelta(minutes=1), local_noon) == "late"
