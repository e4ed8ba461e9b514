"""Running the ``refdesk`` command in-process, as the CLI tests do."""

from __future__ import annotations

import pytest

from refdesk.cli.main import main


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``refdesk argv...``: its exit code, standard output and standard error."""
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err
