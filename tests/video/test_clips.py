"""Clips and stills of a video (issue 15 item 4)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gaitlab.cli.main import main
from gaitlab.pipeline.videos import attach_video
from gaitlab.store.project import open_project
from gaitlab.video import VideoError, VideoReader, probe
from gaitlab.video.clip import export_clip, still_png
from gaitlab.video.synthetic import read_index, write_video


def test_a_clip_holds_the_frames_of_its_range_slowed_down(tmp_path: Path) -> None:
    video = write_video(tmp_path / "a.mp4", frames=60, fps=30)
    n = export_clip(video, 0.5, 1.0, tmp_path / "clip.mp4", slow_factor=2)
    info = probe(tmp_path / "clip.mp4")
    assert n == info.frame_count == 16  # frames 15 .. 30
    assert info.timestamps_s[-1] == pytest.approx(15 / 30 * 2)  # half speed
    with VideoReader(tmp_path / "clip.mp4") as reader:
        assert [read_index(reader.frame(i)) for i in range(n)] == list(range(15, 31))


def test_an_empty_range_and_an_unwritable_target_are_clear_errors(
    tmp_path: Path,
) -> None:
    video = write_video(tmp_path / "a.mp4", frames=30, fps=30)
    with pytest.raises(VideoError, match=r"no frame between 5\.000 and 6\.000 s"):
        export_clip(video, 5.0, 6.0, tmp_path / "clip.mp4")
    with pytest.raises(VideoError, match="cannot be written"):
        export_clip(video, 0.0, 0.5, tmp_path / "missing" / "clip.mp4")
    assert not list(tmp_path.glob("*.part"))


def test_a_still_is_the_png_of_the_frame_nearest_a_time(tmp_path: Path) -> None:
    import av
    import numpy as np

    video = write_video(tmp_path / "a.mp4", frames=30, fps=30)
    with VideoReader(video) as reader:
        png = still_png(reader, 0.51)
    (tmp_path / "still.png").write_bytes(png)
    with av.open(str(tmp_path / "still.png")) as container:
        frame = next(container.decode(video=0)).to_ndarray(format="rgb24")
    assert read_index(np.asarray(frame)) == 15


def test_gaitlab_video_clip_takes_trial_times(
    tmp_path: Path, demo_files, capsys
) -> None:
    run = next(f for f in demo_files if f.name == "demo_treadmill_run.c3d")
    shutil.copy(run, tmp_path / "run.c3d")
    project = tmp_path / "p.gaitlab"
    assert main(["import", str(project), str(tmp_path / "run.c3d"), "--quiet"]) == 0
    video = write_video(tmp_path / "side.mp4", frames=90, fps=30)
    attach_video(open_project(project), "run", video, camera="side", offset_s=0.5)
    out = tmp_path / "clip.mp4"
    args = [
        "video",
        str(project),
        "run",
        "clip",
        "side",
        "--from",
        "0.2",
        "--to",
        "0.5",
    ]
    assert main([*args, "-o", str(out)]) == 0
    with VideoReader(out) as reader:  # trial 0.2-0.5 s = video 0.7-1.0 s
        assert read_index(reader.frame(0)) == 21
        assert read_index(reader.frame(reader.frame_count - 1)) == 30
    capsys.readouterr()
    assert main([*args[:4], "front", "--from", "0", "--to", "1", "-o", str(out)]) == 2
    assert "cameras: side" in capsys.readouterr().err
