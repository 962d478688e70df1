"""Scrubbing copies: every frame at its exact time, a keyframe every few frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gaitlab.cli.main import main
from gaitlab.pipeline.videos import trial_videos
from gaitlab.store.project import open_project
from gaitlab.video import VideoError, VideoReader, content_hash, probe
from gaitlab.video.probe import open_container, packet_times, video_stream
from gaitlab.video.proxy import PROXY_GOP, existing_proxy, make_proxy, proxy_path
from gaitlab.video.synthetic import read_index, write_video
from tests.video.test_video import VFR_TIMES_S
from tests.video.test_video import project as project  # the fixture


def keyframe_gaps(path: Path) -> np.ndarray:
    """Frames from each keyframe to the next."""
    with open_container(path) as container:
        stream = video_stream(container, path)
        pts, keys = packet_times(container, stream, path)
    return np.diff(np.searchsorted(pts, keys))


@pytest.mark.parametrize("variable", [False, True])
def test_a_copy_keeps_every_frame_at_its_time(tmp_path: Path, variable: bool) -> None:
    """A constant and a variable frame rate file (keyframes every 25 and 40
    frames): the copy has the same frame times to the microsecond, every
    frame carries its own index, and a keyframe every PROXY_GOP frames."""
    if variable:
        source = write_video(tmp_path / "vfr.mp4", VFR_TIMES_S, gop=25)
    else:
        source = write_video(tmp_path / "cfr.mp4", frames=90, fps=50, gop=40)
    copy = make_proxy(source, content_hash(source))
    assert (
        copy == proxy_path(content_hash(source)) == existing_proxy(content_hash(source))
    )
    original, copied = probe(source), probe(copy)
    assert copied.frame_count == original.frame_count
    np.testing.assert_allclose(copied.timestamps_s, original.timestamps_s, atol=1e-6)
    with VideoReader(copy) as reader:
        assert [read_index(reader.frame(i)) for i in range(reader.frame_count)] == list(
            range(original.frame_count)
        )
    assert keyframe_gaps(copy).max() <= PROXY_GOP
    assert keyframe_gaps(source).max() > PROXY_GOP
    assert not list(copy.parent.glob("*.part"))


def test_a_damaged_video_gets_no_copy(tmp_path: Path) -> None:
    source = write_video(tmp_path / "cfr.mp4", frames=30)
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(source.read_bytes()[:2000])
    with pytest.raises(VideoError, match=r"damaged\.mp4"):
        make_proxy(damaged, "damaged")
    assert existing_proxy("damaged") is None
    assert not list(proxy_path("damaged").parent.glob("*.part"))


def test_the_cli_makes_and_removes_a_camera_s_copy(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    video = write_video(project.parent / "captures" / "run_03_side.mp4", frames=40)
    assert main(["video", str(project), "run_03", "add", str(video)]) == 0
    (record,) = trial_videos(open_project(project), "run_03")
    capsys.readouterr()
    assert main(["video", str(project), "run_03", "proxy", "side"]) == 0
    assert "scrubbing copy" in capsys.readouterr().out
    assert existing_proxy(record.sha256) is not None
    assert main(["video", str(project), "run_03", "proxy", "side", "--remove"]) == 0
    assert "scrubbing copy removed" in capsys.readouterr().out
    assert existing_proxy(record.sha256) is None
    assert main(["video", str(project), "run_03", "proxy", "front"]) == 2
    assert "no camera 'front' (cameras: side)" in capsys.readouterr().err
    video.unlink()  # a missing video: no copy of it
    assert main(["video", str(project), "run_03", "proxy", "side"]) == 2
    assert "the video is missing" in capsys.readouterr().err
