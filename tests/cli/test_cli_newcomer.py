"""The edges a newcomer walks into answer clearly (issue 17, CLI items 1–9)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from gaitlab.cli.main import main
from gaitlab.store.project import open_project

RUN = "demo_treadmill_run"
STATIC = "demo_static"


def one_line_error(err: str) -> str:
    text = err.strip()
    assert "Traceback" not in text
    assert "\n" not in text, f"expected one line, got:\n{text}"
    return text


@pytest.fixture
def project(tmp_path: Path, demo_files: list[Path]) -> Path:
    """The demo running trial under a displayed name unlike its id, plus the static."""
    captures = tmp_path / "captures"
    captures.mkdir()
    run = next(f for f in demo_files if f.stem == RUN)
    static = next(f for f in demo_files if f.stem == STATIC)
    shutil.copy(run, captures / "Run 1 (Fast).c3d")
    shutil.copy(static, captures / f"{STATIC}.c3d")
    folder = tmp_path / "study.gaitlab"
    assert main(["import", str(folder), str(captures), "--quiet"]) == 0
    return folder


# ---------------------------------------------------------------- item 1


def test_trials_by_displayed_name_any_case(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert open_project(project).record("run-1-fast").label == "Run 1 (Fast)"
    assert (
        main(
            [
                "run",
                str(project),
                "--trials",
                "Run 1 (Fast)",
                "--plugins",
                "gait_events",
                "--quiet",
            ]
        )
        == 0
    )
    assert "1 trials (1 analysed" in capsys.readouterr().out
    assert open_project(project).load_results("run-1-fast")
    out_file = project.parent / "m.csv"
    assert (
        main(["export", str(project), "-o", str(out_file), "--trials", "RUN-1-FAST"])
        == 0
    )
    assert out_file.exists()
    assert main(["markers", str(project), "--trial", "run 1 (fast).c3d"]) == 0
    assert "l_heel" in capsys.readouterr().out
    assert main(["static", str(project), "RUN 1 (FAST)"]) == 0
    assert f"run-1-fast: static trial {STATIC}" in capsys.readouterr().out


@pytest.mark.parametrize(
    "command",
    [
        ["run", "{p}", "--trials", "run-1-fats", "--quiet"],
        ["export", "{p}", "-o", "{p}/../x.csv", "--trials", "run-1-fats"],
        ["markers", "{p}", "--trial", "run-1-fats"],
        ["static", "{p}", "run-1-fats"],
        ["static", "{p}", "run-1-fast", "run-1-fats"],
    ],
)
def test_unknown_trial_is_one_line_with_close_matches(
    project: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [part.format(p=project) for part in command]
    assert main(argv) == 2
    err = one_line_error(capsys.readouterr().err)
    assert "no trial 'run-1-fats'" in err
    assert "close matches: run-1-fast" in err


def test_gui_takes_the_trial_by_name_too(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    picture = tmp_path / "app.png"
    argv = ["gui", str(project), "--trial", "run-1-fats", "--screenshot", str(picture)]
    assert main(argv) == 2
    err = one_line_error(capsys.readouterr().err)
    assert "close matches: run-1-fast" in err
    assert not picture.exists()


# ---------------------------------------------------------------- items 2, 3


def test_export_to_an_unknown_format_names_the_accepted_ones(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", str(project), "-o", str(project.parent / "out.txt")]) == 2
    err = one_line_error(capsys.readouterr().err)
    assert "out.txt" in err
    assert ".csv" in err
    assert ".xlsx" in err
    assert not (project.parent / "out.txt").exists()


def test_export_before_any_run_says_nothing_was_run(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = project.parent / "metrics.csv"
    assert main(["export", str(project), "-o", str(target)]) == 1
    err = one_line_error(capsys.readouterr().err)
    assert "nothing has been run" in err
    assert "run-1-fast" in err  # the trial without results
    assert STATIC not in err  # a static trial is never run
    assert "gaitlab run" in err
    assert not target.exists()


def test_export_events_from_the_command_line(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(project), "--plugins", "gait_events", "--quiet"]) == 0
    target = project.parent / "events.csv"
    assert main(["export", str(project), "--events", "-o", str(target)]) == 0
    lines = target.read_text().splitlines()
    assert (
        lines[0]
        == "trial_id,subject_id,session,condition,step,side,kind,time_s,source,status"
    )
    assert any(",Foot Off," in line and ",plate," in line for line in lines)
    capsys.readouterr()
    assert (
        main(
            ["export", str(project), "--events", "-o", str(target.with_suffix(".xlsx"))]
        )
        == 2
    )


# ---------------------------------------------------------------- item 4


def test_markers_refuses_a_label_no_trial_has(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["markers", str(project), "--set", "l_heel=NOPE"]) == 2
    err = one_line_error(capsys.readouterr().err)
    assert "no trial has a marker labelled 'NOPE'" in err
    assert open_project(project).settings.get("markers", {}).get("overrides") in (
        None,
        {},
    )
    assert main(["markers", str(project), "--set", "l_heel=LTOE"]) == 0
    out = capsys.readouterr().out
    assert "changed    l_heel: LHEE -> LTOE (2 trial(s))" in out


def test_markers_warns_naming_the_trials_that_lack_a_label(
    project: Path,
    tmp_path: Path,
    markers_file: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    other = markers_file(tmp_path / "few.c3d", ["LHEE", "RHEE"], None)
    assert main(["import", str(project), str(other), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["markers", str(project), "--set", "l_heel=LTOE"]) == 0
    err = capsys.readouterr().err
    assert "'LTOE' is missing in 1 of 3 trials (few)" in err


# ---------------------------------------------------------------- item 5


def test_static_of_another_subject_needs_force_and_auto_goes_back(
    project: Path,
    tmp_path: Path,
    markers_file: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    other = markers_file(tmp_path / "bob_walk.c3d", ["LHEE", "RHEE"], "Bob")
    assert main(["import", str(project), str(other), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["static", str(project), "run-1-fast", "bob_walk"]) == 2
    err = one_line_error(capsys.readouterr().err)
    assert "subject 'bob'" in err
    assert "--force" in err
    assert open_project(project).static_trial_for("run-1-fast") == STATIC
    assert main(["static", str(project), "run-1-fast", "bob_walk", "--force"]) == 0
    err = capsys.readouterr().err
    assert "bob_walk is not named as a static" in err
    assert open_project(project).static_trial_for("run-1-fast") == "bob_walk"
    assert main(["static", str(project), "run-1-fast", "--auto"]) == 0
    assert "run-1-fast" not in open_project(project).settings.get("static_trials", {})
    assert open_project(project).static_trial_for("run-1-fast") == STATIC
    assert "found by name" in capsys.readouterr().out


# ---------------------------------------------------------------- items 6, 7


def test_import_of_a_missing_path_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "new.gaitlab"
    assert main(["import", str(folder), str(tmp_path / "nowhere"), "--quiet"]) == 2
    err = one_line_error(capsys.readouterr().err)
    assert "no such file or folder" in err
    assert "nowhere" in err
    assert not folder.exists()


def test_import_of_a_folder_without_c3d_files_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "notes"
    empty.mkdir()
    (empty / "readme.txt").write_text("nothing here")
    folder = tmp_path / "new.gaitlab"
    assert main(["import", str(folder), str(empty), "--quiet"]) == 1
    err = one_line_error(capsys.readouterr().err)
    assert f"no C3D or TRC files (*.c3d, *.trc) found in {empty}" in err
    assert not folder.exists()


def test_a_text_file_is_not_a_c3d_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = tmp_path / "trial.c3d"
    text.write_text("Frame,X,Y,Z\n1,0.1,0.2,0.3\n")
    assert main(["import", str(tmp_path / "p.gaitlab"), str(text), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "not a C3D file (it is a text file)" in out
    assert "truncated" not in out


def test_messages_name_the_path_the_user_gave(
    tmp_path: Path, demo_files: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    real = tmp_path / "real"
    real.mkdir()
    shutil.copy(next(f for f in demo_files if f.stem == RUN), real / "run.c3d")
    (real / "bad.c3d").write_bytes(b"")
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    folder = tmp_path / "p.gaitlab"
    assert main(["import", str(folder), str(link), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert f"refused  {link / 'bad.c3d'}" in out
    assert str(real) not in out
    assert open_project(folder).record("run").source_path == str(link / "run.c3d")


# ---------------------------------------------------------------- item 8


def test_gui_without_a_display_says_so(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.platform", "linux")
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    assert main(["gui", str(project)]) == 2
    err = one_line_error(capsys.readouterr().err)
    assert "no display" in err
    assert "xvfb-run" in err
    assert "--screenshot" in err
    if not Path("/tmp/.X11-unix/X987").exists():
        monkeypatch.setenv("DISPLAY", ":987")
        assert main(["gui", str(project)]) == 2
        assert "DISPLAY=:987 names an X server that is not running" in (
            capsys.readouterr().err
        )


# ---------------------------------------------------------------- item 9


def test_info_shows_the_warnings(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "p.gaitlab"
    sample = shared_data / "BTKData/c3d.org/sample21/sample21.c3d"
    assert main(["import", str(folder), str(sample), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["info", str(folder)]) == 0
    out = capsys.readouterr().out
    warnings = open_project(folder).record("sample21").warnings
    assert len(warnings) > 3
    assert f"warning: {warnings[0]}" in out
    assert f"{len(warnings) - 3} more (gaitlab info {folder} --all-warnings)" in out
    assert main(["info", str(folder), "--all-warnings"]) == 0
    out = capsys.readouterr().out
    assert all(f"warning: {w}" in out for w in warnings)


def test_plugins_show_says_each_definition_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from gaitlab.pipeline.discovery import discover

    spec = discover().get("lean")
    assert main(["plugins", "show", "lean"]) == 0
    out = capsys.readouterr().out
    for metric in spec.metrics:
        assert f" {metric.name} [{metric.unit}]" in out
    shared = "deg from the upward vertical in the sagittal plane"
    assert sum(shared in m.description for m in spec.metrics) > 30
    assert out.count(shared) == 1
    assert (
        "trunk_lean_ic [deg] (per step): as trunk_lean, but at initial contact" in out
    )
    assert len(out) < 0.6 * sum(len(m.description) for m in spec.metrics)


def test_gui_help_is_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["gui", "--help"])
    out = capsys.readouterr().out
    assert "--screenshot" in out
    assert "``" not in out
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    assert "``" not in capsys.readouterr().out
