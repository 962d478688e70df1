"""``gaitlab gui --screenshot`` under Xvfb, and ``gaitlab demo`` without a display."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gaitlab.cli.main import main


def _png_pixels(path: Path) -> np.ndarray:
    """(height, width, 3) uint8 RGB of a PNG, read with Qt (independent of the app)."""
    from PySide6.QtGui import QImage

    image = QImage(str(path))
    assert not image.isNull(), f"{path} is not a readable PNG"
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    raw = np.frombuffer(image.constBits(), np.uint8, count=stride * height)
    return raw.reshape(height, stride)[:, : width * 3].reshape(height, width, 3).copy()


@pytest.mark.skipif(
    shutil.which("xvfb-run") is None,
    reason="xvfb-run not found: install the xvfb package to run the screenshot test "
    "(.ci/run does it on CI)",
)
def test_screenshot_of_the_main_window_under_xvfb(project_copy, tmp_path):
    out = tmp_path / "shot.png"
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}  # use X (xcb)
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    command = [
        "xvfb-run", "-a", "-s", "-screen 0 1600x1200x24",
        sys.executable, "-m", "gaitlab", "gui", str(project_copy),
        "--trial", "demo_treadmill_run", "--time", "1.55",
        "--size", "1400x900", "--screenshot", str(out), "--timeout", "90",
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"screenshot of trial demo_treadmill_run to {out}" in done.stdout
    pixels = _png_pixels(out)
    assert pixels.shape == (900, 1400, 3)  # the window's size
    grey = pixels.mean(axis=2)
    assert grey.std() > 20, "the picture is not blank"
    # the plots are drawn: dark curve pixels on the white plot background of the centre
    centre = grey[150:650, 320:950]
    assert (centre > 240).mean() > 0.4
    assert (centre < 100).mean() > 0.005
    # the user's settings were not touched by a screenshot
    assert not (tmp_path / "config" / "gaitlab" / "gui.json").exists()


def test_screenshot_fails_with_a_message_for_an_unknown_trial(project_copy, tmp_path):
    out = tmp_path / "shot.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    command = [
        sys.executable, "-m", "gaitlab", "gui", str(project_copy),
        "--trial", "no_such_trial", "--screenshot", str(out), "--timeout", "60",
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2  # an unknown trial is a usage error (issue 17)
    assert "no trial 'no_such_trial'" in done.stderr
    assert not out.exists()


def test_demo_prints_the_metrics_without_a_display(
    tmp_path, monkeypatch, capsys, demo_files
):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    project = tmp_path / "demo.gaitlab"
    assert main(["demo", "--project", str(project)]) == 0
    out = capsys.readouterr().out
    assert "no display" in out
    # known answers of the synthetic runner (data/README.md): trunk lean 5° on
    # the treadmill run, 8° leaning from the ankles, 12° bending at the waist
    blocks = {b.split()[0]: b for b in out.split("\n\n") if b.startswith("demo_")}
    for trial, trunk in (
        ("demo_treadmill_run", 5.0),
        ("demo_treadmill_lean_ankles", 8.0),
        ("demo_treadmill_bend_waist", 12.0),
    ):
        line = next(
            ln for ln in blocks[trial].splitlines() if ln.split()[0] == "trunk_lean"
        )
        mean = float(line.split()[1])
        assert mean == pytest.approx(trunk, abs=0.05)
        assert line.rstrip().endswith("deg")
        contact = next(
            ln for ln in blocks[trial].splitlines() if ln.split()[0] == "contact_time"
        )
        assert contact.rstrip().endswith(" s")
        assert 0.22 < float(contact.split()[1]) < 0.25  # 0.2356 s by the model
    assert "static trial" in blocks["demo_static"]
    # a second run reuses the project: nothing imported or computed again
    assert main(["demo", "--project", str(project), "--no-gui"]) == 0
    again = capsys.readouterr().out
    assert f"0 imported, {len(demo_files)} unchanged" in again
    assert "every result up to date" in again
