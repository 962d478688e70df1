"""``gaitlab plugins new NAME``: a scaffold whose tests pass, and can fail."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gaitlab.cli.main import main
from gaitlab.synth.running import make_running_trial
from gaitlab.testing import analyse_file


def run_tests(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder)],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture
def scaffold(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    folder = tmp_path / "my plugins"
    assert main(["plugins", "new", "step_bounce", "--dir", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "python -m pytest" in out
    return folder


def test_writes_plugin_test_and_readme(scaffold: Path) -> None:
    assert sorted(p.name for p in scaffold.iterdir()) == [
        "README.md",
        "step_bounce.py",
        "test_step_bounce.py",
    ]


def test_the_scaffold_tests_pass_as_written(scaffold: Path) -> None:
    done = run_tests(scaffold)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 passed" in done.stdout


def test_the_scaffold_tests_catch_wrong_arithmetic(scaffold: Path) -> None:
    plugin = scaffold / "step_bounce.py"
    text = plugin.read_text()
    right = "float(np.nanmax(inside) - np.nanmin(inside))"
    assert right in text
    plugin.write_text(text.replace(right, "float(np.nanmax(inside))"))
    done = run_tests(scaffold)
    assert done.returncode == 1
    assert "test_oscillation_is_twice_the_amplitude" in done.stdout


def test_nothing_is_overwritten(
    scaffold: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (scaffold / "step_bounce.py").read_text()
    assert main(["plugins", "new", "step_bounce", "--dir", str(scaffold)]) == 2
    assert "already exist" in capsys.readouterr().err
    assert (scaffold / "step_bounce.py").read_text() == before


def test_a_bad_name_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plugins", "new", "Step-Bounce", "--dir", str(tmp_path / "x")]) == 2
    assert "lowercase letters" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_the_scaffold_plugin_runs_on_a_synthetic_runner(
    scaffold: Path, plugin_folder: Path
) -> None:
    from gaitlab.pipeline.discovery import refresh

    (plugin_folder / "step_bounce.py").write_text(
        (scaffold / "step_bounce.py").read_text()
    )
    refresh()
    run = make_running_trial(plugin_folder.parent / "run.c3d")
    results = analyse_file(run.path, plugins=["step_bounce"])
    result = results["step_bounce"]
    assert result.status == "ok", result.message
    # the same quantity computed here from the COM the pipeline found
    com = results["center_of_mass"].series["com"]
    height = com.values @ np.array([0.0, 0.0, 1.0])
    contacts = [
        e.time_s for e in results["gait_events"].events if e.label == "Foot Strike"
    ]
    expected = [
        np.ptp(height[(com.time >= a) & (com.time <= b)])
        for a, b in itertools.pairwise(contacts)
    ]
    values = result.metric_values("step_bounce_oscillation")
    np.testing.assert_allclose(values, expected, rtol=1e-9)
    assert 0.02 < float(np.mean(values)) < 0.15  # a runner's COM bounce, m
