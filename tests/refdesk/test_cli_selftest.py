"""``refdesk selftest --no-gui`` as the person installing RefDesk (or CI, in the bundle) runs it: one line
per check, exit 0 when the installation works, 1 naming what is missing, and the real data folder never
touched."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from refdesk import __version__, paths
from refdesk.cli.selftest import offscreen_without_a_display
from tests.refdesk.cli_helpers import run

pytestmark = pytest.mark.usefixtures("no_log_handlers_left")

CORE_CHECKS = [
    "data folder",
    "resources",
    "icon",
    "style sheet",
    "fonts",
    "intake script",
    "database",
    "pdf",
    "passwords",
    "spreadsheets",
]


@pytest.fixture(autouse=True)
def temporary_files_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The self-test's throwaway folder goes under the test's own tmp_path."""
    folder = tmp_path / "temp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def check_name(line: str) -> str:
    """``ok: fonts (4 files)`` -> ``fonts``; ``failed: icon: why`` -> ``icon``."""
    rest = line.split(": ", 1)[1]
    return rest.split(" (", 1)[0].split(": ", 1)[0]


def test_every_core_check_passes_one_line_each_and_exit_0_without_touching_the_data_folder(
    refdesk_home: Path, temporary_files_in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["selftest", "--no-gui"], capsys)
    lines = out.splitlines()
    assert code == 0, out
    assert [check_name(line) for line in lines[:-1]] == CORE_CHECKS  # --no-gui: no window, no Qt
    assert all(line.startswith("ok: ") for line in lines[:-1])
    assert lines[-1].startswith(f"RefDesk {__version__} selftest passed: 10 checks")
    assert "demo: 300 referrals, 10 partners" in out
    assert "partner summary" in out and "CJK fallback" in out
    # Nothing was created in the data folder REFDESK_HOME names (not even a log file), the variable is
    # back as it was, and the temporary folder the checks used is gone.
    assert not refdesk_home.exists()
    assert os.environ[paths.HOME_ENV] == str(refdesk_home)
    used = Path(lines[0].split("temporary: ", 1)[1].rstrip(")"))
    assert used.parent == temporary_files_in_tmp and not used.exists()


def test_missing_resources_are_named_and_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "resources"
    empty.mkdir()
    monkeypatch.setattr(paths, "resource_dir", lambda: empty)
    code, out, _ = run(["selftest", "--no-gui"], capsys)
    lines = out.splitlines()
    assert code == 1
    assert "ok: resources" in out  # the folder is there, its files are not
    assert "failed: icon: RefDesk resource missing: icons/refdesk.svg" in out
    assert "failed: style sheet: RefDesk resource missing: style.qss" in out
    assert "failed: fonts: RefDesk resource missing: fonts/" in out
    assert "failed: intake script: RefDesk resource missing: intake/default_script.json" in out
    assert any(line.startswith("skipped: pdf (needs") and "fonts" in line for line in lines)
    assert "selftest FAILED" in lines[-1] and "icon, style sheet, fonts, intake script" in lines[-1]


def test_a_bundle_without_the_cjk_fallback_font_fails_on_fonts_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    partial = tmp_path / "resources"
    shutil.copytree(paths.resource_dir(), partial)
    (partial / "fonts" / "DroidSansFallback.ttf").unlink()
    monkeypatch.setattr(paths, "resource_dir", lambda: partial)
    code, out, _ = run(["selftest", "--no-gui"], capsys)
    lines = out.splitlines()
    assert code == 1
    assert [line for line in lines if line.startswith("failed: ")] == [
        f"failed: fonts: RefDesk resource missing: fonts/DroidSansFallback.ttf (looked in {partial})"
    ]
    assert "skipped: pdf (needs fonts)" in lines
    assert "selftest FAILED" in lines[-1] and lines[-1].endswith(": fonts, pdf")


@pytest.mark.parametrize(
    ("environment", "platform"),
    [
        ({}, "offscreen"),  # a server or an SSH session: Qt would abort without a display
        ({"DISPLAY": ":0"}, None),  # a desktop: the real platform
        ({"WAYLAND_DISPLAY": "wayland-0"}, None),
        ({"QT_QPA_PLATFORM": "minimal"}, "minimal"),  # the caller's choice stands
    ],
)
def test_the_window_checks_draw_offscreen_only_where_there_is_no_display(
    environment: dict[str, str], platform: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.platform", "linux")
    for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    offscreen_without_a_display()
    assert os.environ.get("QT_QPA_PLATFORM") == platform
