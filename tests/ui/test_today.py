"""The Today tab as the front desk uses it: headings with counts, lines opened with the keyboard, the empty
state, refreshing in the background without losing the place; and what each line says.

The clock is pinned to Wednesday 15 May 2024, 10:00 local time (see tests/refdesk/services/test_today.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QStyleOptionViewItem, QWidget
from pytestqt.qtbot import QtBot

from refdesk.domain.formats import referral_number
from refdesk.domain.lifecycle import State
from refdesk.domain.times import as_utc
from refdesk.domain.vocab import AttemptMethod, AttemptOutcome, Urgency
from refdesk.errors import StorageError
from refdesk.services import today
from refdesk.services.actor import Actor
from refdesk.services.attempts import log_attempt
from refdesk.services.catalog import NewServiceLine, create_service_line
from refdesk.services.referrals import NewReferral, create_referral
from refdesk.services.today import Section, SectionKey
from refdesk.storage import Database
from ui.tasks import InlineRunner, TaskRunner
from ui.today import TodayModel, TodayView
from ui.today import lines as wording
from ui.today.model import Column, Role


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in May 2024 in local wall-clock time (13 May is a Monday)."""
    return as_utc(datetime(2024, 5, day, hour, minute))


NOW = local(15, 10)


@pytest.fixture
def service_line_id(db: Database, actor: Actor) -> int:
    """A line that requires no records, so no referral here is blocked on missing ones."""
    return create_service_line(db, actor, NewServiceLine(name="Physical therapy", max_attempts=3))


@pytest.fixture
def desk(db: Database, actor: Actor, new_referral: NewReferral) -> dict[str, int]:
    """Two new referrals (one STAT, one with markup in the name), one late first contact, one callback."""

    def referral(name: str, received: datetime, **changes: Any) -> int:
        return create_referral(db, actor, replace(new_referral, received_at=received, **changes))

    ids = {
        "stat": referral("stat", local(15, 9), patient_first_name="Ann", patient_last_name="Stat",
                         urgency=Urgency.STAT),
        "markup": referral("markup", local(13, 9), patient_first_name="<b>Ольга</b>",
                           patient_last_name="Петрова & Co"),
        "callback": referral("callback", local(13, 10), patient_first_name="Cal", patient_last_name="Back"),
    }  # fmt: skip
    log_attempt(
        db, actor, ids["callback"], AttemptMethod.CALL, AttemptOutcome.NO_ANSWER, at=local(14, 10),
        callback_at=local(15, 14),
    )  # fmt: skip
    return ids


@pytest.fixture
def runner() -> Iterator[TaskRunner]:
    """A real thread pool; waited for at the end so no query outlives the test's database."""
    pool = TaskRunner()
    yield pool
    pool.wait()


def make_view(qtbot: QtBot, db: Database, runner: TaskRunner | None = None) -> TodayView:
    view = TodayView(db, runner or InlineRunner(), clock=lambda: NOW)
    qtbot.addWidget(view)
    return view


def label(view: TodayView, name: str) -> QLabel:
    found = view.findChild(QLabel, name)
    assert found is not None, name
    return found


def headings(model: TodayModel) -> list[str]:
    return [model.index(row, 0).data() for row in range(model.rowCount())]


def lines_of(model: TodayModel, key: str) -> list[int]:
    section = model.section_index(key)
    return [model.index(row, 0, section).data(Role.REFERRAL_ID) for row in range(model.rowCount(section))]


def test_sections_are_shown_with_their_counts(qtbot: QtBot, db: Database, desk: dict[str, int]) -> None:
    view = make_view(qtbot, db)
    with qtbot.waitSignal(view.counts_changed) as counts:
        view.refresh()
    assert counts.args == [
        {
            "new": 2,
            "first_contact": 1,
            "callbacks": 1,
            "attempt_limit": 0,
            "reminders": 0,
            "no_shows": 0,
            "missing_records": 0,
        }
    ]
    assert headings(view.model) == [
        "New — not yet acknowledged (2)",
        "First contact due today or late (1)",
        "Callbacks promised for today (1)",
        "Attempt limit reached — close as unable to reach? — nothing here",
        "Reminders due — appointments in the next 48 hours, not confirmed — nothing here",
        "No-shows and cancelled appointments to follow up — nothing here",
        "Blocked on missing records — nothing here",
    ]
    assert lines_of(view.model, "new") == [desk["markup"], desk["stat"]]
    assert lines_of(view.model, "callbacks") == [desk["callback"]]
    assert label(view, "todayTitle").text() == "Today, Wednesday 05/15/2024"
    assert label(view, "todaySummary").text() == "4 to do · updated 10:00 AM"


def test_a_line_shows_number_patient_partner_line_urgency_and_time(
    qtbot: QtBot, db: Database, desk: dict[str, int]
) -> None:
    view = make_view(qtbot, db)
    stat = view.model.find(desk["stat"])
    text = stat.data()
    assert text == f"Ann Stat\n{referral_number(desk['stat'])} · Oak Street Primary Care · Physical therapy"
    assert stat.siblingAtColumn(Column.URGENCY).data() == "STAT"
    assert stat.siblingAtColumn(Column.WHEN).data() == "received 1 h ago\ntoday 9:00 AM"
    callback = view.model.find(desk["callback"], "callbacks")
    assert callback.siblingAtColumn(Column.WHEN).data() == "due today 2:00 PM\nin 4 h"
    assert callback.siblingAtColumn(Column.URGENCY).data() == ""


def test_patient_text_is_shown_literally(qtbot: QtBot, db: Database, desk: dict[str, int]) -> None:
    view = make_view(qtbot, db)
    index = view.model.find(desk["markup"])
    assert index.data().startswith("<b>Ольга</b> Петрова & Co\n")
    assert index.data(Qt.ItemDataRole.AccessibleTextRole).startswith("<b>Ольга</b> Петрова & Co, ")
    # Tooltips are read as rich text when they look like it: none of them carries patient text.
    for column in Column:
        assert "Ольга" not in str(index.siblingAtColumn(column).data(Qt.ItemDataRole.ToolTipRole))


def test_enter_on_a_line_opens_its_referral(qtbot: QtBot, db: Database, desk: dict[str, int]) -> None:
    view = make_view(qtbot, db)
    view.show()
    view.tree.setFocus()
    assert view.current_referral_id() == desk["markup"]  # the first line is ready to work
    with qtbot.waitSignal(view.open_referral) as opened:
        qtbot.keyClick(view.tree, Qt.Key.Key_Return)
    assert opened.args == [desk["markup"]]


def test_up_and_down_go_through_every_line_across_sections(
    qtbot: QtBot, db: Database, desk: dict[str, int]
) -> None:
    view = make_view(qtbot, db)
    view.show()
    view.tree.setFocus()
    seen = [view.current_referral_id()]
    for _ in range(4):
        qtbot.keyClick(view.tree, Qt.Key.Key_Down)
        seen.append(view.current_referral_id())
    # new (2), first contact (the late one again), callbacks; then it stays on the last line
    assert seen == [desk["markup"], desk["stat"], desk["markup"], desk["callback"], desk["callback"]]
    assert view.model.section_key(view.tree.currentIndex()) == "callbacks"
    qtbot.keyClick(view.tree, Qt.Key.Key_Up)
    assert view.model.section_key(view.tree.currentIndex()) == "first_contact"
    with qtbot.waitSignal(view.open_referral) as opened:
        qtbot.keyClick(view.tree, Qt.Key.Key_Enter)
    assert opened.args == [desk["markup"]]


def test_double_click_opens_and_a_heading_opens_nothing(
    qtbot: QtBot, db: Database, desk: dict[str, int]
) -> None:
    view = make_view(qtbot, db)
    view.resize(1280, 720)
    view.show()
    opened: list[int] = []
    view.open_referral.connect(opened.append)

    def double_click(index: QModelIndex) -> None:
        # an item view opens what was pressed: press first, as a hand does before the second click
        center = view.tree.visualRect(index).center()
        qtbot.mouseClick(view.tree.viewport(), Qt.MouseButton.LeftButton, pos=center)
        qtbot.mouseDClick(view.tree.viewport(), Qt.MouseButton.LeftButton, pos=center)

    double_click(view.model.section_index("new"))
    assert opened == []
    double_click(view.model.find(desk["callback"]))
    assert opened == [desk["callback"]]


def test_nothing_due_shows_a_friendly_empty_state(qtbot: QtBot, db: Database) -> None:
    view = make_view(qtbot, db)
    view.show()
    empty = label(view, "emptyState")
    assert empty.isVisible() and empty.text() == "Nothing due today. New referrals will appear here."
    assert not view.tree.isVisible()
    assert view.worklist is not None and view.worklist.empty


def test_refresh_picks_up_a_new_referral_and_keeps_the_selection(
    qtbot: QtBot,
    db: Database,
    actor: Actor,
    desk: dict[str, int],
    new_referral: NewReferral,
    runner: TaskRunner,
) -> None:
    view = make_view(qtbot, db, runner)
    qtbot.waitUntil(lambda: view.worklist is not None)
    assert view.property("loading") is False
    assert view.select_referral(desk["stat"])
    newer = create_referral(
        db, actor, replace(new_referral, patient_last_name="Newcomer", received_at=local(15, 9, 30))
    )
    with qtbot.waitSignal(view.counts_changed) as counts:
        view.refresh()
        assert view.property("loading") is True
    assert counts.args[0]["new"] == 3
    assert lines_of(view.model, "new") == [desk["markup"], desk["stat"], newer]
    assert view.current_referral_id() == desk["stat"]


def test_a_worked_line_hands_the_cursor_to_the_next_one(
    qtbot: QtBot, db: Database, actor: Actor, desk: dict[str, int]
) -> None:
    view = make_view(qtbot, db)
    view.select_referral(desk["callback"])
    log_attempt(db, actor, desk["callback"], AttemptMethod.CALL, AttemptOutcome.NO_ANSWER, at=local(15, 9))
    view.refresh()
    assert lines_of(view.model, "callbacks") == []
    assert view.current_referral_id() == desk["markup"]  # the list's first line


def test_a_failed_read_says_so_and_can_be_retried(
    qtbot: QtBot, db: Database, desk: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    view = make_view(qtbot, db)
    view.show()
    real = today.worklist

    def broken(*args: Any, **kwargs: Any) -> today.Worklist:
        raise StorageError("The database file is in use by another program.")

    monkeypatch.setattr(today, "worklist", broken)
    view.refresh()
    error = label(view, "todayError")
    assert error.isVisible() and "in use by another program" in error.text()
    assert lines_of(view.model, "new") == [desk["markup"], desk["stat"]]  # the last list stays
    monkeypatch.setattr(today, "worklist", real)
    qtbot.mouseClick(view.findChild(QPushButton, "todayRetry"), Qt.MouseButton.LeftButton)
    assert not error.isVisible()


def test_a_first_read_that_fails_does_not_promise_it_is_loading(
    qtbot: QtBot, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> today.Worklist:
        raise StorageError("The disk is full.")

    monkeypatch.setattr(today, "worklist", broken)
    view = make_view(qtbot, db)
    view.show()
    assert label(view, "todayLoading").text() == "Today's list is not available."
    assert label(view, "todayError").isVisible() and not view.tree.isVisible()


def test_a_read_that_ends_after_the_view_is_gone_is_dropped(
    qtbot: QtBot, db: Database, desk: dict[str, int], runner: TaskRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    release, real = threading.Event(), today.worklist

    def slow(*args: Any, **kwargs: Any) -> today.Worklist:
        release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(today, "worklist", slow)
    view = TodayView(db, runner, clock=lambda: NOW)  # the read starts and waits
    gone: list[bool] = []
    view.destroyed.connect(lambda: gone.append(True))
    view.deleteLater()
    qtbot.waitUntil(lambda: bool(gone))
    release.set()
    assert runner.wait()
    QApplication.processEvents()  # the finished read's queued result arrives: dropped, not raised
    assert not any(isinstance(w, TodayView) for w in QApplication.allWidgets())


def test_the_style_sheet_can_colour_the_urgency_marker(
    qtbot: QtBot, db: Database, desk: dict[str, int]
) -> None:
    view = make_view(qtbot, db)
    view.tree.setStyleSheet(
        "QTreeView#todayList { qproperty-urgentColor: #b42318; qproperty-headingColor: navy; }"
    )
    view.show()
    assert view.tree.urgent_color() == QColor("#b42318") and view.tree.heading_color() == QColor("navy")
    option = QStyleOptionViewItem()
    view.tree.itemDelegate().initStyleOption(
        option, view.model.find(desk["stat"]).siblingAtColumn(Column.URGENCY)
    )
    assert option.palette.color(QPalette.ColorRole.Text) == QColor("#b42318")


@pytest.mark.parametrize("size", [(1280, 720), (640, 360)])  # 200 % scaling leaves 640 × 360 logical pixels
def test_the_view_fits_the_screen(
    qtbot: QtBot, db: Database, desk: dict[str, int], size: tuple[int, int]
) -> None:
    view = make_view(qtbot, db)
    view.resize(*size)
    view.show()
    hint = view.minimumSizeHint()
    assert hint.width() <= size[0] and hint.height() <= size[1]
    assert view.tree.visualRect(view.model.find(desk["markup"])).isValid()


def test_a_list_read_before_the_view_is_shown_opens_at_the_top(
    qtbot: QtBot, db: Database, desk: dict[str, int]
) -> None:
    view = make_view(qtbot, db)  # read at once: the tree had no size yet when the first line was selected
    view.resize(640, 240)  # shorter than the list
    view.show()
    visible = view.tree.viewport().rect()
    assert view.tree.verticalScrollBar().maximum() > 0
    assert visible.contains(view.tree.visualRect(view.model.section_index("new")))
    assert visible.contains(view.tree.visualRect(view.model.find(desk["markup"])))


def test_the_model_passes_the_model_tester(
    qtmodeltester: Any, qtbot: QtBot, db: Database, desk: dict[str, int]
) -> None:
    model = TodayModel()
    qtmodeltester.check(model)
    model.set_worklist(today.worklist(db, now=NOW))
    qtmodeltester.check(model)
    qtmodeltester.check(model, force_py=True)
    model.set_worklist(today.worklist(db, now=NOW + timedelta(days=1)))
    qtmodeltester.check(model)


def test_headings_have_no_flags_and_lines_cannot_be_edited(
    qtbot: QtBot, db: Database, desk: dict[str, int]
) -> None:
    model = TodayModel()
    model.set_worklist(today.worklist(db, now=NOW))
    heading = model.section_index("new")
    assert model.flags(heading) == Qt.ItemFlag.NoItemFlags and heading.data(Role.TOTAL) == 2
    line = model.index(0, 0, heading)
    assert not model.flags(line) & Qt.ItemFlag.ItemIsEditable
    assert model.referral_id(heading) is None and model.section_key(line) == "new"
    assert not model.find(desk["stat"], "callbacks").isValid() and not model.parent(heading).isValid()
    assert model.index(0, 0, model.index(0, 1)) == QModelIndex()


def test_object_names_for_the_style_sheet(qtbot: QtBot, db: Database, desk: dict[str, int]) -> None:
    view = make_view(qtbot, db)
    names = {child.objectName() for child in view.findChildren(QWidget)}
    assert {"todayTitle", "todaySummary", "todayRefresh", "todayList", "emptyState", "todayLoading"} <= names
    assert view.objectName() == "todayView" and label(view, "emptyState").property("kind") == "nothingToday"


# --- the words on each line --------------------------------------------------------------------------


def section(key: SectionKey, row: Any, moment: Any, **kw: Any) -> Section:
    return Section(key.value, "Title", "Hint", 1, [row], {row.id: moment} if moment else {}, **kw)


@pytest.fixture
def row(db: Database, desk: dict[str, int]) -> Any:
    return today.worklist(db, now=NOW).section(SectionKey.NEW).rows[0]


@pytest.mark.parametrize(
    ("key", "moment", "expected"),
    [
        (SectionKey.NEW, local(13, 9), "received 2 days ago\n05/13/2024 9:00 AM"),
        (SectionKey.NEW, local(15, 9, 59), "received 1 min ago\ntoday 9:59 AM"),
        (SectionKey.FIRST_CONTACT, local(14, 16), "late by 18 h\ndue yesterday 4:00 PM"),
        (SectionKey.FIRST_CONTACT, local(15, 16), "due today 4:00 PM\nin 6 h"),
        (SectionKey.CALLBACKS, local(15, 9, 40), "late by 20 min\ndue today 9:40 AM"),
        (SectionKey.REMINDERS, local(16, 11), "tomorrow 11:00 AM\nappointment in 25 h"),
        (SectionKey.ATTEMPT_LIMIT, local(15, 9), "0 attempts\nlast today 9:00 AM"),
        (
            SectionKey.MISSING_RECORDS,
            local(13, 9).date(),
            "Missing records\nrequested 05/13/2024 (2 days ago)",
        ),
        (SectionKey.MISSING_RECORDS, None, "Missing records\nnot requested yet"),
    ],
)
def test_when_says_how_late_or_how_soon(row: Any, key: SectionKey, moment: Any, expected: str) -> None:
    assert wording.when_text(section(key, row, moment), row, NOW) == expected


@pytest.mark.parametrize(
    ("state", "moment", "expected"),
    [
        (State.NO_SHOW, local(15, 9), "No-show\nfollow-up late by 1 h"),
        (State.APPOINTMENT_CANCELLED, local(16, 9), "Appointment cancelled\nfollow up tomorrow 9:00 AM"),
    ],
)
def test_a_missed_or_cancelled_appointment_says_which_and_when_to_follow_up(
    row: Any, state: State, moment: datetime, expected: str
) -> None:
    line = replace(row, state=state)
    assert wording.when_text(section(SectionKey.NO_SHOWS, line, moment), line, NOW) == expected


def test_headings_say_when_not_every_line_is_shown(row: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    shown = Section("new", "New — not yet acknowledged", "", 120, [row])
    assert wording.heading(shown) == "New — not yet acknowledged (120, first 1 shown)"
    capped = Section("new", "New — not yet acknowledged", "", today.COUNT_CAP + 1, [row])
    assert wording.heading(capped) == "New — not yet acknowledged (999+, first 1 shown)"
    assert wording.span(timedelta(seconds=5)) == "1 min" and wording.span(timedelta(days=1)) == "24 h"
