"""``gaitlab import``: videos named like the trials beside their files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gaitlab.cli.main import main
from gaitlab.pipeline.videos import trial_videos
from gaitlab.store.project import open_project
from gaitlab.video.synthetic import write_video


@pytest.fixture
def captures(tmp_path: Path, demo_files: list[Path]) -> Path:
    folder = tmp_path / "captures"
    folder.mkdir()
    run = next(f for f in demo_files if f.name == "demo_treadmill_run.c3d")
    shutil.copy(run, folder / "run_03.c3d")
    write_video(folder / "run_03_side.mp4", frames=10)
    write_video(folder / "run_03-front.MOV", frames=10)
    write_video(folder / "run_030.mp4", frames=5)  # another trial's name
    return folder


def test_videos_beside_the_files_are_listed(captures, tmp_path, capsys) -> None:
    project = tmp_path / "p.gaitlab"
    assert main(["import", str(project), str(captures), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "2 video file(s) beside the imported files" in out
    assert "run_03_side.mp4" in out
    assert "run_030.mp4" not in out
    assert trial_videos(open_project(project), "run_03") == []


def test_videos_beside_the_files_are_attached_on_request(
    captures, tmp_path, capsys
) -> None:
    project = tmp_path / "p.gaitlab"
    code = main(["import", str(project), str(captures), "--quiet", "--attach-videos"])
    assert code == 0
    records = trial_videos(open_project(project), "run_03")
    assert sorted(r.camera for r in records) == ["front", "side"]
    assert {r.frame_count for r in records} == {10}
    capsys.readouterr()
    assert main(["video", str(project), "run_03", "list"]) == 0
    assert "side" in capsys.readouterr().out
