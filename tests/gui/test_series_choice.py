"""A plugin's series chosen in Plots & series stays with the project;
``gaitlab gui --series PLUGIN/NAME --tab NAME`` for screenshots of plugin output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6 import QtCore

from gaitlab.cli.main import main
from gaitlab.gui.main_window import SERIES_SETTING, MainWindow
from gaitlab.gui.settings import UserSettings
from gaitlab.session import Session

TREADMILL = "demo_treadmill_run"


def _tick(plots, name: str) -> None:
    tree = plots._chooser
    item = next(
        tree.topLevelItem(i).child(j)
        for i in range(tree.topLevelItemCount())
        for j in range(tree.topLevelItem(i).childCount())
        if tree.topLevelItem(i).child(j).text(0).startswith(name)
    )
    item.setCheckState(0, QtCore.Qt.CheckState.Checked)


def test_the_chosen_series_is_kept_with_the_project(
    qtbot, window, session, show_trial, project_copy: Path
) -> None:
    show_trial(TREADMILL)
    _tick(window.plots, "com_velocity")
    qtbot.waitUntil(
        lambda: (
            session.project.settings.get(SERIES_SETTING)
            == [["center_of_mass", "com_velocity"]]
        ),
        timeout=5_000,
    )
    # a new window on the same project plots it again
    other = Session()
    other.open(project_copy)
    again = MainWindow(other, UserSettings(), persist_settings=False)
    try:
        assert again.plots.series_choice() == [("center_of_mass", "com_velocity")]
    finally:
        again.close()
        again.deleteLater()
        QtCore.QCoreApplication.sendPostedEvents(
            None, QtCore.QEvent.Type.DeferredDelete
        )


def test_show_tab_brings_docks_and_tabs_forward(window) -> None:
    window.show_tab("pipeline")
    window.show_tab("3D markers")
    assert window.body.tabs.tabText(window.body.tabs.currentIndex()) == "3D markers"
    with pytest.raises(KeyError, match=r"tabs are: .*Pipeline"):
        window.show_tab("nowhere")


def test_a_malformed_series_option_is_a_usage_error(
    project_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["gui", str(project_copy), "--series", "trunk_lean"]) == 2
    assert "expected PLUGIN/NAME" in capsys.readouterr().err


def test_screenshot_with_a_series_and_a_tab(project_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "shot.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    command = [
        sys.executable, "-m", "gaitlab", "gui", str(project_copy),
        "--trial", TREADMILL, "--series", "center_of_mass/com_force",
        "--tab", "Pipeline", "--screenshot", str(out), "--timeout", "90",
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    assert out.stat().st_size > 10_000
    bad = [*command[:-4], "--tab", "Nowhere", "--screenshot", str(tmp_path / "x.png")]
    done = subprocess.run(bad, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 2
    assert "no tab 'Nowhere'" in done.stdout + done.stderr
