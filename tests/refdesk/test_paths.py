"""Where files live, and that resources are found from a checkout, an installed wheel and a bundle."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import refdesk
from refdesk import paths

REPO = Path(refdesk.__file__).resolve().parent.parent


def test_data_lives_in_refdesk_home_when_set(refdesk_home: Path) -> None:
    assert paths.data_dir() == refdesk_home and refdesk_home.is_dir()
    assert paths.default_database_path() == refdesk_home / "refdesk.db"
    assert paths.demo_database_path() != paths.default_database_path()


def test_data_lives_in_the_local_user_data_folder_by_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("REFDESK_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert paths.data_dir() == tmp_path / "xdg" / "RefDesk"


def test_resources_from_a_source_checkout() -> None:
    assert paths.resource_dir() == REPO / "resources"
    assert paths.resource_path("icons", "refdesk.svg").is_file()


def test_a_missing_resource_is_named() -> None:
    with pytest.raises(FileNotFoundError, match="icons/nope.svg"):
        paths.resource_path("icons", "nope.svg")


def test_resources_from_a_pyinstaller_bundle(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(REPO / "resources", bundle / "resources")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    assert paths.resource_dir() == bundle / "resources"
    assert paths.resource_path("icons", "refdesk.svg").is_file()


@pytest.mark.slow
def test_resources_from_an_installed_wheel(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "refdesk", "ui", "resources"):
        copy = shutil.copytree if (REPO / name).is_dir() else shutil.copy
        copy(REPO / name, source / name)
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            ".",
        ],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    [wheel] = tmp_path.glob("refdesk-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        archive.extractall(site)
    assert "refdesk_resources/icons/refdesk.svg" in names
    assert any(n.startswith("refdesk/storage/migrations/versions/0001") for n in names)
    probe = "from refdesk import paths; print(paths.resource_path('icons', 'refdesk.svg'))"
    found = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={"PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
    )
    assert found.returncode == 0, found.stderr
    assert Path(found.stdout.strip()) == site / "refdesk_resources" / "icons" / "refdesk.svg"


def test_every_package_ships_in_the_wheel() -> None:
    """pyproject.toml lists packages explicitly (resources/ is mapped in); a new one must be added there."""
    import tomllib

    from setuptools import find_packages

    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = set(find_packages(str(REPO), include=["refdesk", "refdesk.*", "ui", "ui.*"]))
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"
