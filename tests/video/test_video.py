"""Videos beside the data (issue 15): probing, frame-accurate decoding, records, CLI."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import av
import numpy as np
import pytest

from gaitlab.cli.main import main
from gaitlab.core.errors import GaitlabError, ProjectError
from gaitlab.pipeline.videos import (
    attach_video,
    detach_video,
    set_video_offset,
    stored_path,
    trial_videos,
)
from gaitlab.store.project import open_project
from gaitlab.video import (
    VideoError,
    VideoReader,
    VideoRecord,
    content_hash,
    frame_index_at,
    probe,
    video_state,
    videos_beside,
)
from gaitlab.video.synthetic import HEIGHT, WIDTH, pattern, read_index, write_video

VFR_TIMES_S = np.cumsum(np.random.default_rng(7).integers(4, 41, 150)) / 1000
"""Irregular frame times (4–40 ms intervals on a 1 ms grid), s."""


@pytest.fixture(scope="module")
def cfr(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """120 frames at 30 fps, H.264 with B-frames, a keyframe every 12 frames."""
    return write_video(tmp_path_factory.mktemp("cfr") / "run_side.mp4", frames=120)


@pytest.fixture(scope="module")
def vfr(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """150 frames at irregular times (variable frame rate)."""
    return write_video(tmp_path_factory.mktemp("vfr") / "vfr.mp4", VFR_TIMES_S, gop=25)


def truth_index(times: np.ndarray, t: float) -> int:
    """Nearest timestamp by brute force (the earlier on a tie)."""
    distance = np.abs(times - t)
    return int(np.flatnonzero(distance == distance.min())[0])


# ---- probing


def test_probe_reads_the_frames_and_format(cfr: Path) -> None:
    info = probe(cfr)
    assert info.frame_count == 120
    assert info.fps == pytest.approx(30.0, rel=1e-9)
    assert info.duration_s == pytest.approx(4.0, rel=1e-9)
    assert (info.width, info.height, info.codec) == (WIDTH, HEIGHT, "h264")
    np.testing.assert_allclose(info.timestamps_s, np.arange(120) / 30, atol=1e-9)
    assert not info.variable_frame_rate


def test_probe_of_a_variable_frame_rate_file(vfr: Path) -> None:
    info = probe(vfr)
    assert info.frame_count == len(VFR_TIMES_S)
    assert info.variable_frame_rate
    np.testing.assert_allclose(
        info.timestamps_s, VFR_TIMES_S - VFR_TIMES_S[0], atol=1e-9
    )
    assert info.fps == pytest.approx(
        (len(VFR_TIMES_S) - 1) / (VFR_TIMES_S[-1] - VFR_TIMES_S[0])
    )


@pytest.mark.parametrize("suffix", [".avi", ".mov"])
def test_probe_and_decode_other_containers(tmp_path: Path, suffix: str) -> None:
    path = write_video(tmp_path / f"clip{suffix}", frames=40, codec="mpeg4", gop=10)
    assert probe(path).frame_count == 40
    with VideoReader(path) as reader:
        for index in (0, 39, 17, 3, 4, 25):
            assert read_index(reader.frame(index)) == index


# ---- nearest frame


def test_frame_index_at_is_the_nearest_timestamp_clamped() -> None:
    times = np.array([0.0, 0.125, 0.375, 0.5])  # binary fractions: exact ties
    assert frame_index_at(times, -1.0) == 0
    assert frame_index_at(times, 0.0625) == 0  # a tie: the earlier frame
    assert frame_index_at(times, 0.0626) == 1
    assert frame_index_at(times, 0.25) == 1  # a tie again
    assert frame_index_at(times, 0.45) == 3
    assert frame_index_at(times, 9.0) == 3
    rng = np.random.default_rng(1)
    for t in rng.uniform(-0.1, 0.5, 200):
        assert frame_index_at(times, t) == truth_index(times, t)


@pytest.mark.parametrize("offset_s", [0.0, 0.137, -0.52, 1.3])
def test_frame_accuracy_at_random_cursor_times_and_offsets(
    vfr: Path, cfr: Path, offset_s: float
) -> None:
    """The decoded frame is the one whose timestamp is nearest cursor + offset
    (its index is read back from the picture), on CFR and VFR files."""
    rng = np.random.default_rng(int(offset_s * 1000) % 97)
    for path in (vfr, cfr):
        with VideoReader(path, cache_frames=4) as reader:
            times = reader.timestamps_s
            for cursor_s in rng.uniform(-1.0, times[-1] + 0.5, 40):
                video_s = cursor_s + offset_s  # video time = trial time + offset
                index = frame_index_at(times, video_s)
                assert index == truth_index(times, video_s)
                assert read_index(reader.frame(index)) == index


# ---- the reader


def test_sequential_and_random_access_give_the_same_frames(vfr: Path) -> None:
    with VideoReader(vfr, cache_frames=1) as sequential:
        ahead = [sequential.frame(i).copy() for i in range(sequential.frame_count)]
        # stepping forward decodes forward: one seek per keyframe at most
        assert sequential.seeks <= 1 + sequential.frame_count // 25
        assert sequential.decoded == sequential.frame_count
    order = np.random.default_rng(2).permutation(len(ahead))
    with VideoReader(vfr, cache_frames=1) as random_access:
        for index in order:
            frame = random_access.frame(int(index))
            np.testing.assert_array_equal(frame, ahead[index])
            assert read_index(frame) == index
    assert [read_index(f) for f in ahead] == list(range(len(ahead)))


def test_stepping_backward_and_across_keyframes(cfr: Path) -> None:
    with VideoReader(cfr, cache_frames=1) as reader:
        for index in [*range(119, -1, -7), 0, 11, 12, 13, 119, 118]:
            assert read_index(reader.frame(index)) == index


def test_the_cache_is_bounded_by_its_frame_count(cfr: Path) -> None:
    with VideoReader(cfr, cache_frames=5) as reader:
        yuv420 = HEIGHT * WIDTH * 3 // 2  # bytes of a decoded frame
        assert reader.cache_bytes_bound == 5 * yuv420
        for index in range(0, 120, 3):
            frame = reader.frame(index)
            assert frame.shape == (HEIGHT, WIDTH, 3)
            assert frame.dtype == np.uint8
            assert reader.cached_frames <= 5
        assert reader.cached_frames == 5
        # line and edge padding of the decoder: a large share for tiny frames
        assert yuv420 <= reader.frame_bytes < 2 * yuv420
        assert reader.cache_bytes_bound == 5 * reader.frame_bytes
        decoded = reader.decoded
        frame[:] = 0  # the caller's own array: the cache is not spoiled
        assert read_index(reader.frame(117)) == 117  # recently used: from the cache
        assert reader.decoded == decoded
        reader.frame(0)  # dropped long ago: decoded again
        assert reader.decoded > decoded


def test_stepping_backward_after_a_seek_is_served_from_the_cache(cfr: Path) -> None:
    """Frames decoded on the way to a target stay cached (up to the bound)."""
    with VideoReader(cfr, cache_frames=12) as reader:
        assert read_index(reader.frame(22)) == 22  # keyframe 12, decoded 12..22
        seeks, decoded = reader.seeks, reader.decoded
        for index in range(21, 11, -1):
            assert read_index(reader.frame(index)) == index
        assert (reader.seeks, reader.decoded) == (seeks, decoded)


def test_the_reader_is_thread_safe(vfr: Path) -> None:
    problems: list[str] = []
    with VideoReader(vfr, cache_frames=3) as reader:

        def scrub(seed: int) -> None:
            rng = np.random.default_rng(seed)
            for index in rng.integers(0, reader.frame_count, 30):
                got = read_index(reader.frame(int(index)))
                if got != index:
                    problems.append(f"asked {index}, got {got}")

        threads = [threading.Thread(target=scrub, args=(seed,)) for seed in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert problems == []


def test_a_closed_reader_and_a_wrong_index(cfr: Path) -> None:
    reader = VideoReader(cfr)
    with pytest.raises(IndexError, match=r"frame 120 outside 0\.\.119"):
        reader.frame(120)
    reader.close()
    with pytest.raises(VideoError, match="closed"):
        reader.frame(0)


# ---- bad files


def test_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "gone.mp4"
    for read in (probe, VideoReader, content_hash):
        with pytest.raises(VideoError, match=r"gone\.mp4: no such file"):
            read(path)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "text"])
def test_a_corrupt_file_is_a_clear_error(
    tmp_path: Path, cfr: Path, damage: str
) -> None:
    path = tmp_path / "broken.mp4"
    data = cfr.read_bytes()
    path.write_bytes(
        {
            "truncated": data[: len(data) // 2],
            "garbage": np.random.default_rng(0).bytes(20_000),
            "empty": b"",
            "text": b"not a video at all\n" * 100,
        }[damage]
    )
    with pytest.raises(VideoError, match=r"broken\.mp4") as error:
        probe(path)
    assert isinstance(error.value, GaitlabError)
    with pytest.raises(VideoError, match=r"broken\.mp4"):
        VideoReader(path)


@pytest.mark.parametrize("damage", ["truncated", "overwritten"])
def test_damaged_frame_data_gives_clear_errors_and_the_rest_decodes(
    tmp_path: Path, damage: str
) -> None:
    """A file whose index is at the start (faststart) and whose frame data is
    cut or overwritten: the file opens, each frame is decoded or refused with
    a VideoError naming the file and frame, and frames before the damage are
    right."""
    path = tmp_path / "faststart.mp4"
    with av.open(str(path), "w", options={"movflags": "faststart"}) as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.codec_context.gop_size = 12
        for index in range(120):
            frame = av.VideoFrame.from_ndarray(pattern(index), format="rgb24")
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    data = bytearray(path.read_bytes())
    start = data.find(b"mdat")
    assert 0 < data.find(b"moov") < start  # the index comes first
    damaged = start + (len(data) - start) // 3
    if damage == "truncated":
        del data[damaged:]
    else:
        data[damaged : damaged + 2000] = np.random.default_rng(0).bytes(2000)
    path.write_bytes(bytes(data))
    refused: dict[int, str] = {}
    with VideoReader(path) as reader:
        assert 12 < reader.frame_count <= 120
        for index in range(reader.frame_count):
            try:
                frame = reader.frame(index)
            except VideoError as error:
                refused[index] = str(error)
                continue
            if index < 12:
                assert read_index(frame) == index
    assert refused or damage == "overwritten"  # (the decoder may conceal)
    for index, message in refused.items():
        assert f"faststart.mp4: frame {index} cannot be" in message


def test_a_file_without_video(tmp_path: Path) -> None:
    path = tmp_path / "sound.wav"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=8000)
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, 800), np.int16), format="s16", layout="mono"
        )
        frame.sample_rate = 8000
        for packet in stream.encode(frame):
            container.mux(packet)
    with pytest.raises(VideoError, match=r"sound\.wav: holds no video stream"):
        probe(path)


def test_videos_beside_a_c3d_file(tmp_path: Path) -> None:
    for name in (
        "run_03.c3d",
        "run_03.mp4",
        "RUN_03_side.MOV",
        "run_03-front.avi",
        "run_030.mp4",
        "run_03.txt",
        "other.mp4",
    ):
        (tmp_path / name).write_bytes(b"x")
    found = [p.name for p in videos_beside(tmp_path / "run_03.c3d")]
    assert found == sorted(["RUN_03_side.MOV", "run_03-front.avi", "run_03.mp4"])
    assert videos_beside(tmp_path / "absent" / "x.c3d") == []


# ---- records and states


def test_a_record_round_trips_and_refuses_damage() -> None:
    record = VideoRecord("side", "../v/side.mp4", "ab" * 32, 120.0, 600, -0.25)
    assert VideoRecord.from_dict(record.to_dict()) == record
    with pytest.raises(VideoError, match="damaged video record"):
        VideoRecord.from_dict({"camera": "side", "path": "x.mp4"})


def test_states_ok_missing_changed_unreadable(tmp_path: Path, cfr: Path) -> None:
    project = tmp_path / "study.gaitlab"
    project.mkdir()
    video = tmp_path / "videos" / "side.mp4"
    video.parent.mkdir()
    shutil.copy(cfr, video)
    record = VideoRecord(
        "side", stored_path(video, project), content_hash(video), 30.0, 120
    )
    assert record.path == "../videos/side.mp4"
    assert video_state(record, project) == "ok"
    moved = tmp_path / "elsewhere.mp4"
    video.rename(moved)
    assert video_state(record, project) == "missing"
    write_video(video, frames=30)  # rewritten: another video at the same path
    assert video_state(record, project) == "changed"
    video.write_bytes(b"garbage" * 100)
    assert video_state(record, project) == "unreadable"


# ---- project records and the CLI


@pytest.fixture
def project(tmp_path: Path, demo_files: list[Path]) -> Path:
    captures = tmp_path / "captures"
    captures.mkdir()
    demo = next(f for f in demo_files if f.name == "demo_treadmill_run.c3d")
    shutil.copy(demo, captures / "run_03.c3d")
    folder = tmp_path / "study.gaitlab"
    assert main(["import", str(folder), str(captures), "--quiet"]) == 0
    return folder


def test_project_records(project: Path, cfr: Path, vfr: Path) -> None:
    opened = open_project(project)
    trial = opened.trial_ids[0]
    side = shutil.copy(cfr, project.parent / "captures" / "run_03_side.mp4")
    first = attach_video(opened, trial, side, offset_s=0.5)
    assert first.camera == "side"  # from the file name after the trial's
    assert first.path == "../captures/run_03_side.mp4"
    assert (first.frame_count, first.fps) == (120, pytest.approx(30.0))
    second = attach_video(opened, trial, vfr)
    assert second.camera == "video"
    with pytest.raises(ProjectError, match="already has a video from camera 'side'"):
        attach_video(opened, trial, cfr, camera="side")
    with pytest.raises(
        ProjectError, match="already attached to trial run_03 as camera 'side'"
    ):
        attach_video(opened, trial, side, camera="front")
    with pytest.raises(ProjectError, match="no trial 'run_04'"):
        attach_video(opened, "run_04", cfr)
    with pytest.raises(VideoError, match="no such file"):
        attach_video(opened, trial, project / "none.mp4")
    reopened = open_project(project)
    assert [r.camera for r in trial_videos(reopened, trial)] == ["side", "video"]
    set_video_offset(reopened, trial, "side", -1.25)
    assert trial_videos(open_project(project), trial)[0].offset_s == -1.25
    with pytest.raises(
        ProjectError, match=r"no video from camera 'top' \(cameras: side, video\)"
    ):
        detach_video(reopened, trial, "top")
    detach_video(reopened, trial, "side")
    detach_video(reopened, trial, "video")
    assert trial_videos(open_project(project), trial) == []
    assert "videos" not in open_project(project).settings
    assert side.exists()  # removing a video leaves the file alone


def test_cli_add_list_offset_remove(
    project: Path, cfr: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    side = Path(shutil.copy(cfr, project.parent / "captures" / "run_03_side.mp4"))
    # the trial typed by hand as the file's name, any case
    assert (
        main(
            ["video", str(project), "RUN_03.c3d", "add", str(side), "--offset", "0.25"]
        )
        == 0
    )
    assert "camera 'side'" in capsys.readouterr().out
    assert (
        main(["video", str(project), "run_03", "add", str(cfr), "--camera", "front"])
        == 0
    )
    capsys.readouterr()
    assert main(["video", str(project), "run_03", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "camera",
        "fps",
        "frames",
        "offset",
        "s",
        "state",
        "2D",
        "calibration",
        "file",
    ]
    assert lines[1].split() == [
        "side",
        "30.000",
        "120",
        "+0.250",
        "ok",
        "none",
        "../captures/run_03_side.mp4",
    ]
    assert lines[2].split()[:5] == ["front", "30.000", "120", "+0.000", "ok"]

    assert main(["video", str(project), "run_03", "offset", "side", "-0.125"]) == 0
    side.rename(side.with_name("moved.mp4"))  # a moved video: reported, not fatal
    capsys.readouterr()
    assert main(["video", str(project), "run_03", "list"]) == 0
    assert capsys.readouterr().out.splitlines()[1].split()[3:5] == ["-0.125", "missing"]

    assert main(["video", str(project), "run_03", "remove", "side"]) == 0
    assert main(["video", str(project), "run_03", "remove", "side"]) == 2
    assert "no video from camera 'side' (cameras: front)" in capsys.readouterr().err
    assert main(["video", str(project), "run_03", "add", str(project / "x.mp4")]) == 2
    assert "x.mp4: no such file" in capsys.readouterr().err
    assert main(["video", str(project), "run_3", "list"]) == 2
    assert "close matches: run_03" in capsys.readouterr().err
    assert main(["video", str(project), "run_03", "remove", "front"]) == 0
    capsys.readouterr()
    assert main(["video", str(project), "run_03", "list"]) == 0
    assert "no video" in capsys.readouterr().out
