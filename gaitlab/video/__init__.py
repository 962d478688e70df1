"""Videos beside the data: probing, frame-accurate decoding, records (issue 15).

Decoder: PyAV (FFmpeg). It has wheels for Linux, macOS and Windows and
gives every frame's exact presentation timestamp (pts × time base), which
frame-accurate seeking in variable-frame-rate files needs; Qt Multimedia's
seeking is not frame-accurate on all three systems. ``av`` is imported only
in this package (an import-linter contract).

Clocks. A video's clock starts at its first frame: the timestamps of
:class:`VideoInfo` are ``(pts − pts of the first frame) × time base``, s.
A trial's time ``t`` (s) is shown with the video frame nearest
``video_time = t + offset_s`` (:func:`frame_index_at`).
"""

from __future__ import annotations

from gaitlab.video.calibration import PlaneCalibration
from gaitlab.video.decoder import VideoReader
from gaitlab.video.probe import (
    VIDEO_SUFFIXES,
    VideoError,
    VideoInfo,
    frame_index_at,
    probe,
    videos_beside,
)
from gaitlab.video.records import VideoRecord, content_hash, video_state

__all__ = [
    "VIDEO_SUFFIXES",
    "PlaneCalibration",
    "VideoError",
    "VideoInfo",
    "VideoReader",
    "VideoRecord",
    "content_hash",
    "frame_index_at",
    "probe",
    "video_state",
    "videos_beside",
]
