"""The queue view as the front desk uses it: search as you type, filters, sorting, keyboard, empty states."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLabel, QPushButton
from pytestqt.qtbot import QtBot

from refdesk.domain.lifecycle import State
from refdesk.domain.times import to_local
from refdesk.domain.vocab import Urgency
from refdesk.errors import StorageError
from refdesk.services import queue
from refdesk.services.actor import Actor, ensure_staff
from refdesk.services.catalog import NewPartner, NewServiceLine, create_partner, create_service_line
from refdesk.services.queue import QueueFilter, SortKey
from refdesk.storage import Database
from tests.ui.keyboard import activate
from tests.ui.test_queue_model import NOW, StepRunner, insert_referrals, referral_rows
from ui.queue.columns import Column
from ui.queue.filters import QueueFilterBar
from ui.queue.view import EMPTY_DATABASE_TEXT, NO_MATCH_TEXT, QueueView
from ui.tasks import InlineRunner, TaskRunner


class Desk:
    """Four referrals told apart by surname, and the catalog around them."""

    def __init__(self, db: Database, actor: Actor, partner_id: int, service_line_id: int) -> None:
        self.oak, self.pt, self.maria = partner_id, service_line_id, actor.staff_id
        self.river = create_partner(db, actor, NewPartner(name="Riverside Cardiology"))
        self.imaging = create_service_line(db, actor, NewServiceLine(name="Imaging"))
        self.sam = ensure_staff(db, "sam", "Sam Okafor").staff_id
        specs: list[dict[str, Any]] = [
            dict(patient_last_name="Alpha", partner_id=self.oak, service_line_id=self.pt, owner_id=self.maria,
                 received_at=NOW - timedelta(hours=1), next_action_at=NOW - timedelta(minutes=5)),
            dict(patient_last_name="Beta", partner_id=self.river, service_line_id=self.imaging,
                 urgency=Urgency.URGENT, received_at=NOW - timedelta(days=2), state=State.CONTACT_ATTEMPTED),
            dict(patient_last_name="Gamma", partner_id=self.oak, service_line_id=self.imaging,
                 owner_id=self.sam, urgency=Urgency.STAT, received_at=NOW - timedelta(days=10),
                 state=State.REACHED),
            dict(patient_last_name="Delta", partner_id=self.river, service_line_id=self.pt,
                 received_at=NOW - timedelta(days=30), state=State.COMPLETED, next_action=None,
                 next_action_at=None),
        ]  # fmt: skip
        rows = [referral_rows(partner_id, service_line_id, 1, i, **spec)[0] for i, spec in enumerate(specs)]
        ids = insert_referrals(db, rows)
        self.ids = dict(zip(["Alpha", "Beta", "Gamma", "Delta"], ids, strict=True))


@pytest.fixture
def desk(db: Database, actor: Actor, partner_id: int, service_line_id: int) -> Desk:
    return Desk(db, actor, partner_id, service_line_id)


def make_view(qtbot: QtBot, db: Database, runner: Any = None, **kwargs: Any) -> QueueView:
    view = QueueView(db, runner or InlineRunner(), **kwargs)
    qtbot.addWidget(view)
    return view


def names(view: QueueView) -> list[str]:
    model = view.model
    return [
        model.data(model.index(row, Column.PATIENT)).removeprefix("Pat ") for row in range(model.rowCount())
    ]


def test_the_queue_opens_on_every_open_referral_newest_first(qtbot: QtBot, db: Database, desk: Desk) -> None:
    view = make_view(qtbot, db)
    assert names(view) == ["Alpha", "Beta", "Gamma"] and view.table.isVisibleTo(view)


def test_typing_a_name_narrows_the_table_once_the_typist_pauses(
    qtbot: QtBot, db: Database, desk: Desk
) -> None:
    runner = TaskRunner()
    view = make_view(qtbot, db, runner)
    qtbot.waitUntil(lambda: view.model.total == 3)
    queries: list[QueueFilter] = []
    view.filter_bar.filter_changed.connect(queries.append)
    with qtbot.waitSignal(view.count_changed, timeout=5000) as counted:
        qtbot.keyClicks(view.filter_bar.search, "gamm")
    assert counted.args == [1] and names(view) == ["Gamma"]
    assert [q.search for q in queries] == ["gamm"]  # one query for four keystrokes
    runner.wait()


def test_esc_clears_the_search_at_once(qtbot: QtBot, db: Database, desk: Desk) -> None:
    view = make_view(qtbot, db)
    bar = view.filter_bar
    with qtbot.waitSignal(view.count_changed):
        qtbot.keyClicks(bar.search, "beta")
    assert names(view) == ["Beta"]
    qtbot.keyClick(bar.search, Qt.Key.Key_Escape)
    assert bar.search.text() == "" and names(view) == ["Alpha", "Beta", "Gamma"]


def test_down_in_the_search_box_moves_to_the_first_row(qtbot: QtBot, db: Database, desk: Desk) -> None:
    view = make_view(qtbot, db)
    activate(qtbot, view)
    view.focus_search()
    with qtbot.waitSignal(view.selection_changed) as selected:
        qtbot.keyClick(view.filter_bar.search, Qt.Key.Key_Down)
    assert selected.args == [desk.ids["Alpha"]] and view.table.hasFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_Down)
    assert view.current_referral_id() == desk.ids["Beta"]


@pytest.mark.parametrize(
    ("choose", "expected"),
    [
        (lambda bar, d: bar.partner.setCurrentIndex(bar.partner.findData(d.river)), ["Beta"]),
        (
            lambda bar, d: bar.service_line.setCurrentIndex(bar.service_line.findData(d.imaging)),
            ["Beta", "Gamma"],
        ),
        (lambda bar, d: bar.owner.setCurrentIndex(bar.owner.findData(d.maria)), ["Alpha"]),
        (lambda bar, d: bar.urgency.setCurrentText("Urgent or STAT"), ["Beta", "Gamma"]),
        (lambda bar, d: bar.urgency.setCurrentText("STAT"), ["Gamma"]),
        (lambda bar, d: bar.overdue.setChecked(True), ["Alpha"]),
        (lambda bar, d: bar._all_action.trigger(), ["Alpha", "Beta", "Gamma", "Delta"]),
        (lambda bar, d: bar._state_actions[State.REACHED].trigger(), ["Alpha", "Beta"]),
        (lambda bar, d: bar._state_actions[State.RECEIVED].trigger(), ["Beta", "Gamma"]),
    ],
)
def test_each_filter_narrows_the_queue(
    qtbot: QtBot, db: Database, desk: Desk, choose: Any, expected: list[str]
) -> None:
    view = make_view(qtbot, db)
    with qtbot.waitSignal(view.count_changed) as counted:
        choose(view.filter_bar, desk)
    assert names(view) == expected and counted.args == [len(expected)]


def test_several_states_can_be_ticked(qtbot: QtBot, db: Database, desk: Desk) -> None:
    view = make_view(qtbot, db)
    bar = view.filter_bar
    bar._all_action.trigger()
    bar._state_actions[State.COMPLETED].trigger()
    bar._state_actions[State.REACHED].trigger()
    assert names(view) == ["Gamma", "Delta"] and bar.states_button.text() == "State: 2 states"
    bar._open_action.trigger()
    assert bar.states_button.text() == "State: Open" and names(view) == ["Alpha", "Beta", "Gamma"]


def test_the_received_dates_bound_the_queue(qtbot: QtBot, db: Database, desk: Desk) -> None:
    view = make_view(qtbot, db)
    bar = view.filter_bar
    bar._all_action.trigger()
    since = to_local(NOW - timedelta(days=3)).date()
    qtbot.keyClicks(bar.received_from, since.isoformat())
    with qtbot.waitSignal(view.count_changed):
        qtbot.keyClick(bar.received_from, Qt.Key.Key_Return)
    assert names(view) == ["Alpha", "Beta"]
    assert bar.received_from.text() == f"{since.month:02d}/{since.day:02d}/{since.year}"  # tidied
    bar.received_to.setText("not a date")
    qtbot.keyClick(bar.received_to, Qt.Key.Key_Return)
    assert bar.received_to.property("invalid") is True and bar.filter().received_to is None


def test_clicking_a_header_sorts_by_that_column(qtbot: QtBot, db: Database, desk: Desk) -> None:
    view = make_view(qtbot, db)
    view.show()
    qtbot.waitExposed(view)
    header = view.table.horizontalHeader()

    def click(column: Column) -> None:
        x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))

    click(Column.PATIENT)
    sort = view.model.query_sort
    assert sort.key is SortKey.PATIENT
    assert names(view) == (["Gamma", "Beta", "Alpha"] if sort.descending else ["Alpha", "Beta", "Gamma"])
    click(Column.PATIENT)
    assert view.model.query_sort == replace(sort, descending=not sort.descending)
    assert names(view) == (["Alpha", "Beta", "Gamma"] if sort.descending else ["Gamma", "Beta", "Alpha"])


def test_return_on_a_row_opens_that_referral(qtbot: QtBot, db: Database, desk: Desk) -> None:
    view = make_view(qtbot, db)
    view.show()
    assert view.select_referral(desk.ids["Beta"])
    with qtbot.waitSignal(view.open_referral) as opened:
        qtbot.keyClick(view.table, Qt.Key.Key_Return)
    assert opened.args == [desk.ids["Beta"]]
    with qtbot.waitSignal(view.open_referral) as opened:
        view.table.doubleClicked.emit(view.model.index(2, Column.STATE))
    assert opened.args == [desk.ids["Gamma"]]


def test_an_empty_database_invites_the_first_referral(qtbot: QtBot, db: Database) -> None:
    view = make_view(qtbot, db)
    label = view.findChild(QLabel, "emptyState")
    assert (
        label.text() == EMPTY_DATABASE_TEXT and label.isVisibleTo(view) and not view.table.isVisibleTo(view)
    )
    assert not view.findChild(QPushButton, "emptyClearFilters").isVisibleTo(view)


def test_a_filter_that_matches_nothing_offers_to_clear_it(qtbot: QtBot, db: Database, desk: Desk) -> None:
    view = make_view(qtbot, db)
    with qtbot.waitSignal(view.count_changed):
        qtbot.keyClicks(view.filter_bar.search, "nobody")
    label = view.findChild(QLabel, "emptyState")
    assert label.text() == NO_MATCH_TEXT and label.isVisibleTo(view) and not view.table.isVisibleTo(view)
    with qtbot.waitSignal(view.count_changed) as counted:
        qtbot.mouseClick(view.findChild(QPushButton, "emptyClearFilters"), Qt.MouseButton.LeftButton)
    assert counted.args == [3] and view.table.isVisibleTo(view) and view.filter_bar.search.text() == ""


def test_the_selection_survives_a_refresh(
    qtbot: QtBot, db: Database, desk: Desk, partner_id: int, service_line_id: int
) -> None:
    view = make_view(qtbot, db)
    view.select_referral(desk.ids["Beta"])
    insert_referrals(db, referral_rows(partner_id, service_line_id, 1, 7, received_at=NOW))
    with qtbot.assertNotEmitted(view.selection_changed):
        view.refresh()
    assert names(view)[0] == "N7" and view.table.selectionModel().selectedRows()[0].row() == 2
    assert view.current_referral_id() == desk.ids["Beta"]


def test_the_side_panel_hears_when_the_selection_leaves_the_queue(
    qtbot: QtBot, db: Database, desk: Desk
) -> None:
    view = make_view(qtbot, db)
    with qtbot.waitSignal(view.selection_changed) as selected:
        view.table.selectRow(1)
    assert selected.args == [desk.ids["Beta"]]
    with qtbot.waitSignal(view.selection_changed) as selected:
        view.filter_bar.urgency.setCurrentText("STAT")
    assert selected.args == [None] and view.current_referral_id() is None
    with qtbot.waitSignal(view.selection_changed) as selected:
        assert view.select_referral(desk.ids["Gamma"])
    assert selected.args == [desk.ids["Gamma"]]
    with qtbot.assertNotEmitted(view.selection_changed):
        view.filter_bar.urgency.setCurrentIndex(0)  # Gamma is still there: it stays selected
        assert not view.select_referral(desk.ids["Delta"])  # closed: not in the queue, nothing changes
    assert view.table.selectionModel().selectedRows()[0].row() == 2


def test_a_referral_asked_for_while_loading_is_selected_when_its_row_arrives(
    qtbot: QtBot, db: Database, desk: Desk
) -> None:
    runner = StepRunner()
    view = make_view(qtbot, db, runner)
    assert not view.select_referral(desk.ids["Gamma"])
    with qtbot.waitSignal(view.selection_changed) as selected:
        runner.run_all()
    assert selected.args == [desk.ids["Gamma"]] and view.current_referral_id() == desk.ids["Gamma"]


def test_a_row_the_user_picks_while_loading_beats_an_earlier_request(
    qtbot: QtBot, db: Database, desk: Desk
) -> None:
    runner = StepRunner()
    view = make_view(qtbot, db, runner)
    runner.run_all()
    view.filter_bar._all_action.trigger()  # a query starts; Delta (closed) comes with it
    assert not view.select_referral(desk.ids["Delta"])  # asked for before its row is there
    view.table.selectRow(0)  # then the user picks a row among those still shown
    runner.run_all()
    assert view.current_referral_id() == desk.ids["Alpha"]


def test_a_long_query_shows_the_loading_mark_and_a_failure_says_so(
    qtbot: QtBot, db: Database, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = StepRunner()
    view = make_view(qtbot, db, runner)
    view.show()
    loading = view.findChild(type(view._loading), "queueLoading")
    qtbot.waitUntil(loading.isVisible)
    runner.run_all()
    assert not loading.isVisible() and names(view) == ["Alpha", "Beta", "Gamma"]

    def broken(*_args: object, **_kwargs: object) -> list[int]:
        raise StorageError("The database file cannot be read.")

    monkeypatch.setattr(queue, "first_page", broken)
    view.filter_bar.overdue.setChecked(True)
    runner.run_all()
    error = view.findChild(QLabel, "queueError")
    assert error.isVisible() and error.text() == "The database file cannot be read."
    assert names(view) == ["Alpha", "Beta", "Gamma"]  # what was shown stays
    monkeypatch.undo()
    qtbot.mouseClick(view.findChild(QPushButton, "queueRetry"), Qt.MouseButton.LeftButton)
    runner.run_all()
    assert not error.isVisible()


def test_the_view_fits_a_1280_by_720_screen_at_200_percent(qtbot: QtBot, db: Database, desk: Desk) -> None:
    view = make_view(qtbot, db)
    hint = view.minimumSizeHint()
    assert hint.width() <= 640 and hint.height() <= 300


def test_its_own_shortcuts_focus_the_search_and_clear_the_filters(
    qtbot: QtBot, db: Database, desk: Desk
) -> None:
    view = make_view(qtbot, db, bind_shortcuts=True)
    activate(qtbot, view)
    view.filter_bar.overdue.setChecked(True)
    view.table.setFocus()
    ctrl, shift = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(view.table, Qt.Key.Key_X, ctrl | shift)
    assert not view.filter_bar.overdue.isChecked() and len(names(view)) == 3
    qtbot.keyClick(view.table, Qt.Key.Key_F, ctrl)
    assert view.filter_bar.search.hasFocus()


# --- the filter bar on its own ----------------------------------------------------------------------------


def make_bar(qtbot: QtBot) -> QueueFilterBar:
    bar = QueueFilterBar([(1, "Oak"), (2, "River")], [(5, "Imaging")], [(9, "Maria Lopez")])
    qtbot.addWidget(bar)
    return bar


def test_filter_settings_round_trip_through_json(qtbot: QtBot) -> None:
    bar = make_bar(qtbot)
    chosen = QueueFilter(
        states=frozenset({State.RECEIVED, State.DUPLICATE}), partner_ids=frozenset({2}),
        service_line_ids=frozenset({5}), owner_ids=frozenset({9}),
        urgencies=frozenset({Urgency.URGENT, Urgency.STAT}), overdue_only=True,
        received_from=date(2026, 1, 5), received_to=date(2026, 2, 1),
    )  # fmt: skip
    with qtbot.waitSignal(bar.filter_changed) as changed:
        bar.set_filter(chosen)
    assert changed.args == [chosen] and bar.filter() == chosen
    saved = json.loads(json.dumps(bar.to_settings()))
    other = make_bar(qtbot)
    other.from_settings(saved)
    assert other.filter() == chosen
    other.from_settings({"states": [], "partner_ids": [1]})
    assert other.filter() == QueueFilter(states=frozenset(), partner_ids=frozenset({1}))


@pytest.mark.parametrize(
    "saved",
    [
        {"states": ["bogus"], "partner_ids": [99], "service_line_ids": ["x"], "owner_ids": None},
        {"urgencies": "stat", "overdue_only": "yes", "received_from": "05/01/2026", "received_to": 3},
        {},
        "not a mapping",
    ],
)
def test_unknown_or_malformed_settings_are_dropped_quietly(qtbot: QtBot, saved: Any) -> None:
    bar = make_bar(qtbot)
    bar.from_settings(saved)
    assert bar.filter() == QueueFilter()


def test_the_view_starts_with_the_saved_filters_in_one_query(qtbot: QtBot, db: Database, desk: Desk) -> None:
    runner = StepRunner()
    view = make_view(qtbot, db, runner, filters={"urgencies": ["stat"], "owner_ids": [desk.sam]})
    assert len(runner.jobs) == 1
    runner.run_all()
    assert names(view) == ["Gamma"] and view.filter_bar.owner.currentText() == "Sam Okafor"


def test_the_search_is_not_remembered_between_runs(qtbot: QtBot) -> None:
    bar = make_bar(qtbot)
    bar.search.setText("zoe")
    assert "search" not in bar.to_settings() and "zoe" not in json.dumps(bar.to_settings())
