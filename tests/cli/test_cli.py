"""The ``gaitlab`` command, called in-process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gaitlab.cli.main import main


def test_import_info_and_exit_status(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "study.gaitlab"
    good = shared_data / "c3dio/examples/short.c3d"
    assert main(["import", str(project), str(good), "--quiet", "--session", "s1"]) == 0
    out = capsys.readouterr().out
    assert "1 imported, 0 updated, 0 skipped, 0 refused" in out

    bad = shared_data / "BTKData/others/Empty.c3d"
    assert main(["import", str(project), str(good), str(bad), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "0 imported, 0 updated, 1 skipped, 1 refused" in out
    assert "Empty.c3d" in out
    assert "empty (0 bytes)" in out

    assert main(["info", str(project)]) == 0
    out = capsys.readouterr().out
    assert "trials    1" in out
    assert "short" in out
    assert "session s1" in out


def test_inspect_reports_what_a_researcher_checks(
    shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "inspect",
                str(shared_data / "pfjrf-methods/data/RBDS001/RBDS001runT25.c3d"),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    for expected in (
        "150 Hz",
        "300 Hz",
        "TYPE 4",
        "486 x 1800 mm",
        "(+0.000, +1.000, +0.000)",
        "problems",
    ):
        assert expected in out


def test_inspect_refuses_a_broken_file_with_its_reason(
    shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["inspect", str(shared_data / "c3dio/examples/simple.c3d")]) == 2
    err = capsys.readouterr().err
    assert "simple.c3d" in err
    assert "processor" in err


def test_info_on_a_folder_that_is_not_a_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["info", str(tmp_path)]) == 2
    assert "not a gaitlab project" in capsys.readouterr().err


def test_python_dash_m_entry_point() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gaitlab", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.startswith("gaitlab ")
