"""What a video file holds, read from its packets without decoding pixels."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from gaitlab.core.errors import FileError

__all__ = [
    "VIDEO_SUFFIXES",
    "VideoError",
    "VideoInfo",
    "frame_index_at",
    "probe",
    "videos_beside",
]

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov")
"""File suffixes offered as videos of a trial (compared case-insensitively)."""

VFR_TOLERANCE = 0.01
"""A video is variable-frame-rate when a frame interval differs from the
median interval by more than this fraction of it plus one tick of the
stream's time base (timestamps are rounded to ticks)."""


class VideoError(FileError):
    """A video file is missing, unreadable, damaged or holds no video stream."""


@dataclass(frozen=True)
class VideoInfo:
    """A video file's frames and format.

    Attributes
    ----------
    path : Path
        The file.
    frame_count : int
        Number of frames (packets with a timestamp in the video stream).
    fps : float
        Average frame rate, frames/s: ``(frame_count − 1) / (last − first
        timestamp)`` (the stream's declared average rate for one frame).
    duration_s : float
        Time from the first frame to the end of the last, s (last timestamp
        plus one average frame interval).
    width, height : int
        Frame size, pixels.
    codec : str
        FFmpeg's codec name, e.g. ``h264``.
    timestamps_s : np.ndarray
        Presentation time of each frame on the video's clock (0 at the first
        frame), s, sorted ascending, shape (frame_count,).
    variable_frame_rate : bool
        Whether a frame interval differs from their median by more than
        ``VFR_TOLERANCE`` of it plus one time-base tick.
    """

    path: Path
    frame_count: int
    fps: float
    duration_s: float
    width: int
    height: int
    codec: str
    timestamps_s: np.ndarray
    variable_frame_rate: bool


def open_container(path: str | Path) -> av.container.InputContainer:
    """Open a video file for reading; :class:`VideoError` names the problem."""
    path = Path(path)
    if not path.exists():
        raise VideoError(path, "no such file")
    if not path.is_file():
        raise VideoError(path, "not a file")
    try:
        return av.open(str(path), mode="r")
    except av.FFmpegError as error:
        raise VideoError(
            path, f"not a readable video file ({error.strerror})"
        ) from error
    except OSError as error:
        raise VideoError(path, f"cannot be read ({error.strerror or error})") from error


def video_stream(
    container: av.container.InputContainer, path: str | Path
) -> av.VideoStream:
    """The file's first video stream; :class:`VideoError` when it has none."""
    if not container.streams.video:
        raise VideoError(path, "holds no video stream")
    return container.streams.video[0]


def packet_times(
    container: av.container.InputContainer, stream: av.VideoStream, path: str | Path
) -> tuple[np.ndarray, np.ndarray]:
    """Every frame's timestamp and the keyframes', in stream time-base units.

    Read by demuxing (no pixel is decoded). A packet without presentation
    timestamp falls back to its decoding timestamp.

    Returns
    -------
    pts : np.ndarray of int64
        The frames' presentation timestamps, sorted.
    keyframe_pts : np.ndarray of int64
        The keyframes' presentation timestamps, sorted.
    """
    pts: list[int] = []
    keys: list[int] = []
    try:
        for packet in container.demux(stream):
            if packet.size == 0 or packet.is_discard:
                continue
            time = packet.pts if packet.pts is not None else packet.dts
            if time is None:
                raise VideoError(path, "a video frame has no timestamp")
            pts.append(time)
            if packet.is_keyframe:
                keys.append(time)
    except av.FFmpegError as error:
        raise VideoError(path, f"damaged video data ({error.strerror})") from error
    if not pts:
        raise VideoError(path, "the video stream holds no frame")
    if not keys:
        raise VideoError(path, "the video stream holds no keyframe")
    return np.unique(np.asarray(pts, np.int64)), np.unique(np.asarray(keys, np.int64))


def probe(path: str | Path) -> VideoInfo:
    """Read a video file's frame timestamps and format (no pixel decoded).

    Parameters
    ----------
    path : str or Path
        The video file (mp4, avi, mov or anything FFmpeg reads).

    Returns
    -------
    info : VideoInfo

    Raises
    ------
    VideoError
        For a missing, unreadable or damaged file, or one without video.
    """
    with open_container(path) as container:
        stream = video_stream(container, path)
        pts, _ = packet_times(container, stream, path)
        time_base = stream.time_base or Fraction(1, 1)
        width = stream.codec_context.width
        height = stream.codec_context.height
        codec = stream.codec_context.name
        declared = float(stream.average_rate) if stream.average_rate else math.nan
    timestamps = (pts - pts[0]).astype(float) * float(time_base)
    intervals = np.diff(timestamps)
    if len(intervals):
        fps = (len(timestamps) - 1) / timestamps[-1] if timestamps[-1] > 0 else declared
        median = float(np.median(intervals))
        tolerance = VFR_TOLERANCE * median + float(time_base)
        variable = bool(np.any(np.abs(intervals - median) > tolerance))
    else:
        fps, variable = declared, False
    duration = float(timestamps[-1]) + (1.0 / fps if fps > 0 else 0.0)
    return VideoInfo(
        path=Path(path),
        frame_count=len(timestamps),
        fps=float(fps),
        duration_s=duration,
        width=int(width),
        height=int(height),
        codec=str(codec),
        timestamps_s=timestamps,
        variable_frame_rate=variable,
    )


def frame_index_at(timestamps_s: np.ndarray, video_time_s: float) -> int:
    """Index of the frame whose timestamp is nearest a time on the video's clock.

    The caller passes ``video_time_s = trial_time_s + offset_s`` (the
    record's offset: video time minus trial time, s). Times before the first
    frame give frame 0, after the last give the last frame; halfway between
    two frames gives the earlier one.

    Parameters
    ----------
    timestamps_s : np.ndarray
        The frames' timestamps, s, sorted ascending (``VideoInfo.timestamps_s``).
    video_time_s : float
        Time on the video's clock, s.

    Returns
    -------
    index : int

    Examples
    --------
    >>> frame_index_at(np.array([0.0, 0.25, 0.75]), 0.51)
    2
    >>> frame_index_at(np.array([0.0, 0.25, 0.75]), 0.5)
    1
    >>> frame_index_at(np.array([0.0, 0.01]), -5.0)
    0
    """
    timestamps_s = np.asarray(timestamps_s, dtype=float)
    n = len(timestamps_s)
    if n == 0:
        raise ValueError("no frame timestamps")
    after = int(np.searchsorted(timestamps_s, video_time_s))
    if after <= 0:
        return 0
    if after >= n:
        return n - 1
    before = after - 1
    if video_time_s - timestamps_s[before] <= timestamps_s[after] - video_time_s:
        return before
    return after


def videos_beside(c3d_path: str | Path) -> list[Path]:
    """Video files named like a trial, in its C3D file's folder.

    A video belongs to ``run_03.c3d`` when its stem is ``run_03`` or starts
    with ``run_03`` followed by ``_``, ``-``, ``.`` or a space (e.g.
    ``run_03_side.mp4``), case-insensitively, and its suffix is one of
    :data:`VIDEO_SUFFIXES`.

    Parameters
    ----------
    c3d_path : str or Path
        The trial's C3D file.

    Returns
    -------
    paths : list of Path
        The videos, sorted by name.
    """
    c3d_path = Path(c3d_path)
    stem = c3d_path.stem.lower()
    if not c3d_path.parent.is_dir():
        return []
    found = []
    for candidate in c3d_path.parent.iterdir():
        if candidate.suffix.lower() not in VIDEO_SUFFIXES or not candidate.is_file():
            continue
        name = candidate.stem.lower()
        if name == stem or (name.startswith(stem) and name[len(stem)] in "_-. "):
            found.append(candidate)
    return sorted(found)
