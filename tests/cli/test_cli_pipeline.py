"""``gaitlab run | export | plugins | static | markers``, in-process."""

from __future__ import annotations

from pathlib import Path

import pytest

from gaitlab.cli.main import main
from gaitlab.pipeline.discovery import refresh
from gaitlab.store.project import open_project


@pytest.fixture
def project(tmp_path: Path, demo_files: list[Path]) -> Path:
    folder = tmp_path / "study.gaitlab"
    assert (
        main(
            [
                "import",
                str(folder),
                *map(str, demo_files),
                "--quiet",
                "--subject",
                "s01",
            ]
        )
        == 0
    )
    return folder


def test_plugins_list_shows_sources_and_failures(
    plugin_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plugins", "list"]) == 0
    out = capsys.readouterr().out
    assert "gait_events" in out
    assert "builtin:gait_events.py@sha256:" in out
    (plugin_folder / "broken.py").write_text("raise ImportError('needs pandas')\n")
    refresh()
    assert main(["plugins", "list"]) == 1
    assert "FAILED  file:" in capsys.readouterr().out
    assert main(["plugins", "show", "nonexistent"]) == 2
    assert "'nonexistent' is not installed here" in capsys.readouterr().err


def test_run_exit_status_and_summary(
    project: Path, plugin_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(project), "--plugins", "gait_events", "--quiet"]) == 0
    out = capsys.readouterr().out
    static = [t for t in open_project(project).trial_ids if "static" in t]
    n_runs = len(open_project(project).trial_ids) - len(static)
    assert f"{n_runs} trials ({n_runs} analysed, 0 up to date)" in out
    assert (
        main(
            ["run", str(project), "--plugins", "gait_events", "--only-stale", "--quiet"]
        )
        == 0
    )
    assert f"({0} analysed, {n_runs} up to date)" in capsys.readouterr().out
    (plugin_folder / "mylab_crash.py").write_text(
        "from gaitlab.api import Result, plugin\n"
        "@plugin(name='mylab_crash', version='1.0.0')\n"
        "def crash(trial, ctx) -> Result:\n"
        "    raise RuntimeError('lost the ruler')\n"
    )
    refresh()
    assert main(["run", str(project), "--plugins", "mylab_crash", "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "mylab_crash failed: RuntimeError: lost the ruler" in out
    assert (
        main(["run", str(project), "--set", "gait_events.threshold_n=-1", "--quiet"])
        == 2
    )
    assert "below its minimum" in capsys.readouterr().err


def test_static_and_marker_settings(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["static", str(project)]) == 0
    capsys.readouterr()
    trial = next(t for t in open_project(project).trial_ids if "static" not in t)
    assert main(["static", str(project), trial, "--none"]) == 0
    assert open_project(project).static_trial_for(trial) is None
    assert main(["markers", str(project), "--set", "l_heel=LTOE"]) == 0
    assert open_project(project).settings["markers"]["overrides"] == {"l_heel": "LTOE"}
    assert "override   l_heel = LTOE" in capsys.readouterr().out
    assert main(["markers", str(project), "--clear"]) == 0
    assert open_project(project).settings["markers"]["overrides"] == {}
