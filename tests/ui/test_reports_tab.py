"""The Reports tab as a coordinator uses it: choosing the period (presets, typed dates checked at the
field) and the partners (search, tick, Enter for one), the figures table (raw values, sorting with the
total on top), recomputing when the choice changes, and exports: a file where the user chose, the
"saved" bar, and Cancel leaving no file.

The day is pinned to Wednesday 15 May 2024, so "last month" is April 2024.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QSettings, Qt, QUrl
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from refdesk.domain.times import as_utc
from refdesk.errors import OperationCancelled
from refdesk.services import metrics, settings
from refdesk.services.actor import Actor
from refdesk.services.catalog import NewPartner, create_partner
from refdesk.services.metrics import Figures, Funnel, PartnerFigures, Period, Report, Timing
from refdesk.services.referrals import NewReferral, create_referral
from refdesk.storage import Database
from tests.accounts import coordinator
from tests.ui.files import answer_save_dialog
from tests.ui.keyboard import activate, press, type_text
from ui.reports.charts import ReportCharts
from ui.reports.export import CANCELLED_TEXT, LAST_FOLDER_KEY, default_name, safe_file_name
from ui.reports.metrics_model import ID_ROLE, ROW_ROLE, SORT_ROLE, Column, MetricsModel
from ui.reports.partners_picker import PartnersPicker
from ui.reports.period import PeriodPicker, Preset, month_label, period_slug, period_text
from ui.reports.tab import ReportsTab
from ui.tasks import InlineRunner, TaskRunner

TODAY = date(2024, 5, 15)
APRIL = Period(date(2024, 4, 1), date(2024, 4, 30))


@pytest.fixture
def prefs(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "preferences.ini"), QSettings.Format.IniFormat)


def figures(received: int, *, ack: float | None = 2.0, no_show: float | None = 0.1) -> Figures:
    """Figures with a funnel that narrows by a fifth per stage (enough to tell the columns apart)."""
    stages = [received * (5 - step) // 5 for step in range(5)]
    return Figures(
        received=received,
        by_month=((date(2024, 4, 1), received),),
        acknowledgement=Timing(received, ack, ack and ack * 2, 0.9 if ack else None, 0),
        first_contact=Timing(received, 5.0, 9.0, 0.75, 1),
        funnel=Funnel(*stages),
        median_days_to_appointment=6.5 if received else None,
        no_show_rate=no_show,
        reschedule_rate=0.2 if received else None,
    )


def fake_report(period: Period, partners: dict[int, str], ids: Collection[int] | None) -> Report:
    chosen = [(pid, name) for pid, name in partners.items() if ids is None or pid in ids]
    rows = tuple(PartnerFigures(pid, name, figures(10 * pid), figures(5 * pid)) for pid, name in chosen)
    total = sum(row.current.received for row in rows)
    return Report(period, figures(total), figures(total // 2), rows)


class FakeCompute:
    """Stands in for ``metrics.compute``: records each call and can hold one until released."""

    def __init__(self, partners: dict[int, str]) -> None:
        self.partners = partners
        self.calls: list[tuple[Period, frozenset[int] | None]] = []
        self.stopped: list[bool] = []
        self.hold: threading.Event | None = None

    def __call__(
        self,
        db: Database,
        period: Period,
        partner_ids: Collection[int] | None = None,
        *,
        should_stop: Callable[[], bool] | None = None,
    ) -> Report:
        ids = frozenset(partner_ids) if partner_ids is not None else None
        self.calls.append((period, ids))
        if self.hold is not None:
            hold, self.hold = self.hold, None
            while not hold.is_set() and not (should_stop and should_stop()):
                time.sleep(0.01)
            self.stopped.append(bool(should_stop and should_stop()))
            if should_stop and should_stop():
                raise OperationCancelled("stopped")
        return fake_report(period, self.partners, ids)


@pytest.fixture
def partners(db: Database, actor: Actor, partner_id: int) -> dict[int, str]:
    """Oak Street Primary Care (the shared fixture's partner) and two more."""
    more = ["Bayside Physical Therapy", "Elm Park Orthopedics"]
    return {partner_id: "Oak Street Primary Care"} | {
        create_partner(db, actor, NewPartner(name=name)): name for name in more
    }


@pytest.fixture
def fake_compute(monkeypatch: pytest.MonkeyPatch, partners: dict[int, str]) -> FakeCompute:
    fake = FakeCompute(partners)
    monkeypatch.setattr(metrics, "compute", fake, raising=False)
    return fake


@pytest.fixture
def threads() -> Iterator[TaskRunner]:
    """A real thread pool; waited for at the end so no work outlives the test's database."""
    pool = TaskRunner()
    yield pool
    pool.wait()


def make_tab(
    qtbot: QtBot, db: Database, actor: Actor, prefs: QSettings, runner: TaskRunner | None = None
) -> ReportsTab:
    tab = ReportsTab(db, actor, runner or InlineRunner(), settings=prefs, today=lambda: TODAY)
    qtbot.addWidget(tab)
    tab.resize(1280, 720)
    return tab


# --- the period ------------------------------------------------------------------------------------------


def test_presets_cover_the_days_a_coordinator_means(qtbot: QtBot) -> None:
    picker = PeriodPicker(today=lambda: TODAY)
    qtbot.addWidget(picker)
    assert picker.preset() is Preset.LAST_MONTH and picker.period() == APRIL
    expected = {
        Preset.THIS_MONTH: Period(date(2024, 5, 1), TODAY),
        Preset.THIS_QUARTER: Period(date(2024, 4, 1), TODAY),
        Preset.LAST_QUARTER: Period(date(2024, 1, 1), date(2024, 3, 31)),
        Preset.LAST_12_MONTHS: Period(date(2023, 5, 1), date(2024, 4, 30)),
        Preset.LAST_MONTH: APRIL,
    }
    for preset, period in expected.items():
        with qtbot.waitSignal(picker.period_changed) as signal:
            picker.set_preset(preset)
        assert signal.args == [period]
        assert (picker.start_edit.text(), picker.end_edit.text()) == (
            f"{period.start:%m/%d/%Y}",
            f"{period.end:%m/%d/%Y}",
        )


def test_a_custom_period_is_checked_where_it_is_typed(qtbot: QtBot) -> None:
    picker = PeriodPicker(today=lambda: TODAY)
    qtbot.addWidget(picker)
    activate(qtbot, picker)
    changes: list[Period] = []
    picker.period_changed.connect(changes.append)

    picker.end_edit.setFocus()
    press(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    type_text(qtbot, "05/20/2024\n")
    assert picker.preset() is Preset.CUSTOM  # typing switched the preset
    assert picker.error() == "The period cannot end after today (05/15/2024)."
    assert picker.end_edit.property("invalid") is True and picker.start_edit.property("invalid") is False

    press(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    type_text(qtbot, "03/31/2024\n")
    assert picker.error() == "The first day is after the last day."
    assert changes == [] and picker.period() == APRIL  # the report keeps the last good period

    press(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    type_text(qtbot, "4/2/24\n")
    assert "four digits" in picker.error()

    press(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    type_text(qtbot, "2024-04-15\n")
    assert picker.error() == "" and not picker.error_label.isVisibleTo(picker)
    assert picker.end_edit.property("invalid") is False
    assert changes == [Period(date(2024, 4, 1), date(2024, 4, 15))]
    assert picker.end_edit.text() == "04/15/2024"  # tidied to what was understood


def test_moving_both_dates_forward_does_not_complain_half_way(qtbot: QtBot) -> None:
    picker = PeriodPicker(today=lambda: TODAY)
    qtbot.addWidget(picker)
    activate(qtbot, picker)
    picker.start_edit.setFocus()
    press(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    type_text(qtbot, "05/01/2024")
    press(qtbot, Qt.Key.Key_Tab)  # on to To: start is after the old end for a moment
    assert picker.focusWidget() is picker.end_edit
    assert picker.error() == ""
    press(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    type_text(qtbot, "05/10/2024\n")
    assert picker.period() == Period(date(2024, 5, 1), date(2024, 5, 10)) and picker.error() == ""


def test_periods_read_as_months_and_quarters() -> None:
    assert period_text(APRIL) == "April 2024" and period_slug(APRIL) == "2024-04"
    quarter = Period(date(2024, 1, 1), date(2024, 3, 31))
    assert period_text(quarter) == "Q1 2024" and period_slug(quarter) == "2024-Q1"
    odd = Period(date(2024, 4, 3), date(2024, 5, 15))
    assert period_text(odd) == "04/03/2024 – 05/15/2024" and period_slug(odd) == "2024-04-03 to 2024-05-15"
    assert (
        month_label(date(2024, 4, 1), odd) == "Apr 3–30" and month_label(date(2024, 5, 1), odd) == "May 1–15"
    )
    assert month_label(date(2024, 4, 1), APRIL) == "Apr 2024"
    year = Period(date(2023, 5, 1), date(2024, 4, 30))
    assert period_text(year) == "May 2023 – Apr 2024" and period_slug(year) == "2023-05 to 2024-04"


# --- the partners ------------------------------------------------------------------------------------------


def test_one_partner_is_found_by_typing_and_chosen_with_enter(qtbot: QtBot) -> None:
    picker = PartnersPicker()
    qtbot.addWidget(picker)
    activate(qtbot, picker)
    picker.set_partners([(1, "Bayside Physical Therapy"), (2, "Elm Park Orthopedics"), (3, "Oak Street PT")])
    assert picker.selected_ids() is None and picker.summary.text() == "All 3 partners"

    picker.search.setFocus()
    type_text(qtbot, "oak")
    assert picker.proxy.rowCount() == 1
    with qtbot.waitSignal(picker.selection_changed) as signal:
        press(qtbot, Qt.Key.Key_Down)  # into the list
        press(qtbot, Qt.Key.Key_Return)  # this partner alone
    assert signal.args == [frozenset({3})] and picker.summary.text() == "Only Oak Street PT"

    picker.search.setFocus()
    press(qtbot, Qt.Key.Key_Escape)  # clears the search
    type_text(qtbot, "park")
    press(qtbot, Qt.Key.Key_Down)
    press(qtbot, Qt.Key.Key_Space)  # tick a second one
    assert picker.selected_ids() == frozenset({2, 3}) and picker.summary.text() == "2 of 3 partners"

    picker.all_button.click()
    assert picker.selected_ids() is None and not picker.all_button.isEnabled()


def test_tick_shown_adds_every_partner_the_search_left(qtbot: QtBot) -> None:
    picker = PartnersPicker()
    qtbot.addWidget(picker)
    picker.set_partners(
        [(1, "Bayside Physical Therapy"), (2, "Elm Park Orthopedics"), (3, "Hart Physical Therapy")]
    )
    picker.search.setText("physical")
    with qtbot.waitSignal(picker.selection_changed) as signal:
        picker.tick_shown.click()
    assert signal.args == [frozenset({1, 3})]
    picker.set_partners([(1, "Bayside Physical Therapy"), (2, "Elm Park Orthopedics")])  # 3 went inactive
    assert picker.selected_ids() == frozenset({1})


# --- the figures -------------------------------------------------------------------------------------------


def test_the_figures_model_holds_raw_values_and_keeps_the_total_on_top(qtmodeltester: Any) -> None:
    quiet = PartnerFigures(7, "Quiet Clinic", figures(0, ack=None, no_show=None), figures(0))
    report = Report(
        APRIL,
        figures(60),
        figures(40),
        (
            PartnerFigures(1, "Oak Street", figures(40, ack=3.25), figures(20)),
            PartnerFigures(2, "Bayside", figures(20, ack=12.0), figures(20)),
            quiet,
        ),
    )
    model = MetricsModel()
    model.set_report(report, all_partners=True)
    qtmodeltester.check(model)

    assert model.rowCount() == 4 and model.columnCount() == len(Column)
    total = model.index(0, Column.PARTNER)
    assert total.data() == "All partners" and total.data(ID_ROLE) is None
    oak = 1
    assert model.index(oak, Column.RECEIVED).data() == "40"
    assert (
        model.index(oak, Column.CHANGE).data() == "+100%"
        and model.index(oak, Column.CHANGE).data(SORT_ROLE) == 1.0
    )
    assert model.index(oak, Column.ACK_MEDIAN).data() == "3.2 h"
    assert model.index(oak, Column.ACK_MEDIAN).data(SORT_ROLE) == 3.25
    assert (
        model.index(oak, Column.REACHED).data() == "60%"
        and model.index(oak, Column.REACHED).data(SORT_ROLE) == 0.6
    )
    assert model.index(oak, Column.DAYS_TO_VISIT).data() == "6.5 d"
    assert model.index(oak, Column.PARTNER).data(ROW_ROLE).partner_id == 1
    assert (
        model.index(3, Column.ACK_MEDIAN).data() == "—"
        and model.index(3, Column.ACK_MEDIAN).data(SORT_ROLE) is None
    )
    assert model.index(3, Column.CHANGE).data() == "—"
    assert "None acknowledged yet" in model.index(3, Column.ACK_MEDIAN).data(Qt.ItemDataRole.ToolTipRole)

    def names() -> list[str]:
        return [model.index(row, Column.PARTNER).data() for row in range(model.rowCount())]

    model.sort(Column.ACK_MEDIAN, Qt.SortOrder.DescendingOrder)
    assert names() == ["All partners", "Bayside", "Oak Street", "Quiet Clinic"]
    model.sort(Column.ACK_MEDIAN, Qt.SortOrder.AscendingOrder)
    assert names() == ["All partners", "Oak Street", "Bayside", "Quiet Clinic"]  # nothing measured: last
    model.set_report(replace(report, partners=report.partners[::-1]), all_partners=False)
    assert names() == ["Chosen partners (3)", "Oak Street", "Bayside", "Quiet Clinic"]  # the sort is kept
    qtmodeltester.check(model)


def test_the_charts_show_the_funnel_and_each_month(qtbot: QtBot) -> None:
    charts = ReportCharts()
    qtbot.addWidget(charts)
    period = Period(date(2024, 3, 1), date(2024, 5, 15))
    shown = replace(
        figures(50), by_month=((date(2024, 3, 1), 12), (date(2024, 4, 1), 30), (date(2024, 5, 1), 8))
    )
    charts.show_figures("Oak Street", shown, period)
    assert charts.funnel_values() == [50, 40, 30, 20, 10]
    assert charts.volume_values() == [12, 30, 8]
    assert charts.month_labels() == ["Mar 2024", "Apr 2024", "May 1–15"]
    assert charts.funnel_chart.title().endswith("Oak Street")


# --- the tab ---------------------------------------------------------------------------------------------


def test_the_tab_computes_when_first_shown_for_last_month_and_all_partners(
    qtbot: QtBot, db: Database, actor: Actor, prefs: QSettings, fake_compute: FakeCompute
) -> None:
    tab = make_tab(qtbot, db, actor, prefs)
    assert fake_compute.calls == []  # nothing before anyone looks
    with qtbot.waitSignal(tab.report_changed):
        activate(qtbot, tab)
    assert fake_compute.calls == [(APRIL, None)]
    assert tab.model.rowCount() == 4 and tab.model.index(0, 0).data() == "All partners"
    assert tab.partners_button.text().startswith("All 3 partners")
    assert "April 2024" in tab.status.text() and "Computed at" in tab.status.text()
    assert tab.charts.funnel_values()[0] == 60  # the total row is current

    tab.hide()
    tab.refresh()  # F5 elsewhere: only marked stale while nobody looks
    assert len(fake_compute.calls) == 1
    with qtbot.waitSignal(tab.report_changed):
        tab.show()
    assert len(fake_compute.calls) == 2
    tab.hide()
    tab.show()  # nothing changed since: not computed again
    assert len(fake_compute.calls) == 2


def test_choosing_a_partner_recomputes_once_for_that_partner(
    qtbot: QtBot,
    db: Database,
    actor: Actor,
    prefs: QSettings,
    fake_compute: FakeCompute,
    partners: dict[int, str],
) -> None:
    tab = make_tab(qtbot, db, actor, prefs)
    with qtbot.waitSignal(tab.report_changed):
        activate(qtbot, tab)
    oak = next(pid for pid, name in partners.items() if name.startswith("Oak"))

    tab.partners_button.setFocus()
    press(qtbot, Qt.Key.Key_Space)  # opens the popup, the search has the keyboard
    popup = tab.partners_button.popup
    assert popup.isVisible() and popup.focusWidget() is tab.partners_picker.search
    # Qt hands a popup's keys to its focus widget; QTest would give them to the popup itself.
    qtbot.keyClicks(popup.focusWidget(), "oak st")
    qtbot.keyClick(popup.focusWidget(), Qt.Key.Key_Down)
    assert popup.focusWidget() is tab.partners_picker.list
    with qtbot.waitSignal(tab.report_changed, timeout=2000):
        qtbot.keyClick(popup.focusWidget(), Qt.Key.Key_Return)
    assert not popup.isVisible()
    assert fake_compute.calls[-1] == (APRIL, frozenset({oak}))
    assert len(fake_compute.calls) == 2
    assert [tab.model.index(row, 0).data() for row in range(tab.model.rowCount())] == [
        "Chosen partner",
        "Oak Street Primary Care",
    ]
    assert tab.partners_button.text().startswith("Only Oak Street")


def test_enter_on_a_partner_row_reports_on_that_partner_alone(
    qtbot: QtBot, db: Database, actor: Actor, prefs: QSettings, fake_compute: FakeCompute
) -> None:
    tab = make_tab(qtbot, db, actor, prefs)
    with qtbot.waitSignal(tab.report_changed):
        activate(qtbot, tab)
    tab.table.setFocus()
    press(qtbot, Qt.Key.Key_Down)  # the busiest partner (sorted by received)
    partner_id = tab.table.currentIndex().data(ID_ROLE)
    assert tab.charts.funnel_chart.title().endswith(tab.table.currentIndex().data(ROW_ROLE).name)
    with qtbot.waitSignal(tab.report_changed, timeout=2000):
        press(qtbot, Qt.Key.Key_Return)
    assert tab.partners_picker.selected_ids() == frozenset({partner_id})


def test_a_newer_choice_cancels_the_computation_still_running(
    qtbot: QtBot,
    db: Database,
    actor: Actor,
    prefs: QSettings,
    fake_compute: FakeCompute,
    threads: TaskRunner,
) -> None:
    fake_compute.hold = threading.Event()  # the first computation waits until stopped
    tab = make_tab(qtbot, db, actor, prefs, threads)
    activate(qtbot, tab)
    qtbot.waitUntil(lambda: len(fake_compute.calls) == 1)
    assert tab.computing
    reports: list[Report] = []
    tab.report_changed.connect(reports.append)
    tab.period_picker.set_preset(Preset.LAST_QUARTER)
    qtbot.waitUntil(lambda: bool(reports), timeout=3000)
    assert fake_compute.stopped == [True]
    assert [report.period for report in reports] == [Period(date(2024, 1, 1), date(2024, 3, 31))]
    assert not tab.computing


def test_a_failed_computation_is_said_in_words_with_try_again(
    qtbot: QtBot, db: Database, actor: Actor, prefs: QSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Report:
        raise RuntimeError("boom\nTraceback (most recent call last)")

    monkeypatch.setattr(metrics, "compute", broken, raising=False)
    tab = make_tab(qtbot, db, actor, prefs)
    activate(qtbot, tab)
    assert tab.error_bar.isVisibleTo(tab)
    assert "Something went wrong inside RefDesk" in tab.error_label.text()
    assert "Traceback" not in tab.error_label.text() and "boom" not in tab.error_label.text()


# --- exports -----------------------------------------------------------------------------------------------


def test_default_file_names_say_what_who_and_when() -> None:
    from ui.reports.export import Selection

    assert (
        default_name("Partner summary", Selection(APRIL), ".pdf")
        == "Partner summary - all partners - 2024-04.pdf"
    )
    one = Selection(APRIL, frozenset({4}), "A/B Care: North")
    assert default_name("Status letters", one, ".pdf") == "Status letters - A-B Care- North - 2024-04.pdf"
    assert (
        default_name("Referrals", Selection(APRIL, frozenset({1, 2})), ".csv")
        == "Referrals - 2 partners - 2024-04.csv"
    )
    assert safe_file_name("  a<b>c?. ") == "a-b-c"


@pytest.fixture
def april_referrals(db: Database, actor: Actor, new_referral: NewReferral, partner_id: int) -> list[int]:
    """Three referrals from Oak Street received in April 2024, one in May."""
    days = [(4, 2), (4, 10), (4, 29), (5, 3)]
    return [
        create_referral(db, actor, replace(new_referral, received_at=as_utc(datetime(2024, month, day, 9))))
        for month, day in days
    ]


def test_the_real_figures_reach_the_table_and_the_charts(
    qtbot: QtBot, db: Database, actor: Actor, prefs: QSettings, april_referrals: list[int], partner_id: int
) -> None:
    tab = make_tab(qtbot, db, actor, prefs, InlineRunner())
    with qtbot.waitSignal(tab.report_changed):
        activate(qtbot, tab)
    report = tab.report
    assert report is not None and report.period == APRIL and report.program.received == 3
    row = tab.model.row_of(partner_id)
    assert row is not None
    assert tab.model.index(row, Column.RECEIVED).data() == "3"
    assert tab.model.index(row, Column.CHANGE).data() == "new"
    assert tab.charts is not None
    assert tab.charts.funnel_values()[0] == 3 and tab.charts.volume_values() == [3]
    assert tab.charts.month_labels() == ["Apr 2024"]


def test_status_letters_are_saved_where_the_user_chose_and_can_be_opened(
    qtbot: QtBot,
    db: Database,
    actor: Actor,
    prefs: QSettings,
    fake_compute: FakeCompute,
    april_referrals: list[int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.save_letterhead_field(db, coordinator(db), settings.CLINIC_NAME, "Riverside Clinic")
    folder = tmp_path / "exports"
    folder.mkdir()
    asked = answer_save_dialog(monkeypatch, lambda _suggested: folder / "April letters")
    opened: list[QUrl] = []
    monkeypatch.setattr("ui.reports.export.QDesktopServices.openUrl", lambda url: opened.append(url) or True)
    tab = make_tab(qtbot, db, actor, prefs)
    with qtbot.waitSignal(tab.report_changed):
        activate(qtbot, tab)

    with qtbot.waitSignal(tab.exporter.exported) as signal:
        tab.exporter.letters_one.trigger()
    assert asked == ["Status letters - all partners - 2024-04.pdf"]
    target = folder / "April letters.pdf"
    assert target.is_file() and signal.args[0].paths == (target,)
    assert tab.exporter.saved_bar.isVisibleTo(tab)
    assert tab.exporter.saved_text.text() == f"Saved April letters.pdf (1 page) in {folder}."
    assert prefs.value(LAST_FOLDER_KEY) == str(folder)

    tab.exporter.open_file_button.click()
    tab.exporter.open_folder_button.click()
    assert [url.toLocalFile() for url in opened] == [str(target), str(folder)]


def test_cancel_stops_the_export_and_leaves_no_file(
    qtbot: QtBot,
    db: Database,
    actor: Actor,
    prefs: QSettings,
    fake_compute: FakeCompute,
    threads: TaskRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = tmp_path / "letters.pdf"
    started = threading.Event()
    seen: dict[str, Any] = {}

    def slow_letters(
        _db: Database,
        _actor: Actor,
        period: Period,
        partner_ids: Collection[int] | None,
        path: Path,
        *,
        one_file: bool = True,
        progress: Callable[[int, int], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> list[Path]:
        """Like the real writer: a letter at a time, stopping (and writing nothing) when asked."""
        seen["args"] = (period, partner_ids, path, one_file)
        assert progress is not None and should_stop is not None
        for letter in range(500):
            progress(letter, 500)
            started.set()
            if should_stop():
                raise OperationCancelled("Cancelled: no letter was written.")
            time.sleep(0.01)
        path.write_bytes(b"%PDF")
        return [path]

    monkeypatch.setattr("refdesk.reports.status_letters.write_letters", slow_letters)
    answer_save_dialog(monkeypatch, lambda _suggested: target)
    tab = make_tab(qtbot, db, actor, prefs, threads)
    with qtbot.waitSignal(tab.report_changed):
        activate(qtbot, tab)

    with qtbot.waitSignal(tab.exporter.busy_changed):
        tab.exporter.letters_one.trigger()
    assert started.wait(5)
    dialog = tab.exporter.progress_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.maximum() == 500 and dialog.isVisible())  # shown once it takes a while
    assert "of 500" in dialog.labelText()
    assert not tab.exporter.summary_button.isEnabled()  # one export at a time
    cancel = dialog.findChild(QPushButton)
    assert cancel is not None and cancel.text() == "Cancel"
    with qtbot.waitSignal(tab.exporter.busy_changed, timeout=5000) as ended:
        cancel.click()
    assert ended.args == [False]
    assert seen["args"] == (APRIL, None, target, True)
    assert not target.exists()
    assert tab.exporter.messages.text() == CANCELLED_TEXT  # said plainly, not as an error
    assert not tab.exporter.saved_bar.isVisibleTo(tab)
    assert tab.exporter.summary_button.isEnabled() and tab.exporter.progress_dialog is None


def test_a_referral_packet_is_written_from_the_menu_of_service_lines(
    qtbot: QtBot,
    db: Database,
    actor: Actor,
    prefs: QSettings,
    fake_compute: FakeCompute,
    service_line_id: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked = answer_save_dialog(monkeypatch, lambda suggested: tmp_path / suggested.name)
    tab = make_tab(qtbot, db, actor, prefs)
    with qtbot.waitSignal(tab.report_changed):
        activate(qtbot, tab)
    actions = [action for action in tab.exporter.packet_menu.actions() if action.isEnabled()]
    assert [action.text() for action in actions] == ["Physical therapy…"]

    actions[0].trigger()  # no clinic name yet: refused in words, nothing written
    assert "clinic" in tab.exporter.messages.text().lower()
    assert not list(tmp_path.glob("*.pdf")) and not tab.exporter.saved_bar.isVisibleTo(tab)

    settings.save_letterhead_field(db, coordinator(db), settings.CLINIC_NAME, "Riverside Clinic")
    with qtbot.waitSignal(tab.exporter.exported):
        actions[0].trigger()
    target = tmp_path / "Referral packet - Physical therapy.pdf"
    assert asked[-1] == target.name and target.is_file()
    assert tab.exporter.messages.text() == ""
    assert tab.exporter.saved_text.text().startswith("Saved Referral packet - Physical therapy.pdf (")


def test_the_period_s_referrals_and_the_figures_are_saved_as_csv(
    qtbot: QtBot,
    db: Database,
    actor: Actor,
    prefs: QSettings,
    april_referrals: list[int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # typed without ".csv": it is added
    asked = answer_save_dialog(monkeypatch, lambda suggested: tmp_path / suggested.stem)
    tab = make_tab(qtbot, db, actor, prefs)
    assert not tab.exporter.metrics_csv.isEnabled()  # no figures yet
    with qtbot.waitSignal(tab.report_changed):
        activate(qtbot, tab)
    assert tab.exporter.metrics_csv.isEnabled()

    with qtbot.waitSignal(tab.exporter.exported) as queue_saved:
        tab.exporter.queue_csv.trigger()
    queue_file = tmp_path / "Referrals - all partners - 2024-04.csv"
    assert asked == [queue_file.name] and queue_saved.args[0].paths == (queue_file,)
    assert len(queue_file.read_text(encoding="utf-8-sig").strip().splitlines()) == 1 + 3  # April only
    assert tab.exporter.saved_text.text() == f"Saved {queue_file.name} (3 referrals) in {tmp_path}."

    with qtbot.waitSignal(tab.exporter.exported):
        tab.exporter.metrics_csv.trigger()
    figures_file = tmp_path / "Figures - all partners - 2024-04.csv"
    assert figures_file.is_file() and "Oak Street Primary Care" in figures_file.read_text(
        encoding="utf-8-sig"
    )


def test_the_partner_summary_for_the_chosen_partner_is_saved_with_its_page_count(
    qtbot: QtBot,
    db: Database,
    actor: Actor,
    prefs: QSettings,
    april_referrals: list[int],
    partner_id: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.save_letterhead_field(db, coordinator(db), settings.CLINIC_NAME, "Riverside Clinic")
    asked = answer_save_dialog(monkeypatch, lambda suggested: tmp_path / suggested.name)
    tab = make_tab(qtbot, db, actor, prefs)
    with qtbot.waitSignal(tab.report_changed):
        activate(qtbot, tab)
    with qtbot.waitSignal(tab.report_changed):
        tab.partners_picker.choose_only(partner_id)

    with qtbot.waitSignal(tab.exporter.exported) as saved:
        tab.exporter.summary_button.click()
    target = tmp_path / "Partner summary - Oak Street Primary Care - 2024-04.pdf"
    assert asked == [target.name] and saved.args[0].paths == (target,)
    pages = len(PdfReader(target).pages)
    assert pages >= 1
    assert (
        tab.exporter.saved_text.text()
        == f"Saved {target.name} ({pages} page{'s' * (pages > 1)}) in {tmp_path}."
    )
