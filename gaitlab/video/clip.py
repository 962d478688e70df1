"""Short clips and stills of a video, for reports and talks (issue 15).

:func:`export_clip` writes the frames of a time range of a video to a new
H.264 MP4 file (MPEG-4 Part 2 where this FFmpeg has no H.264 encoder),
optionally slowed down; :func:`still_png` encodes one frame as PNG bytes
(for the runner report). Times are on the video's clock (s, 0 at its first
frame): a caller holding trial times adds the record's offset.
"""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from gaitlab.video.decoder import VideoReader
from gaitlab.video.probe import VideoError

__all__ = ["export_clip", "still_png"]


def export_clip(
    source: str | Path,
    start_s: float,
    stop_s: float,
    target: str | Path,
    *,
    slow_factor: float = 1.0,
) -> int:
    """Write the frames of ``source`` with timestamps in ``[start_s, stop_s]``.

    Parameters
    ----------
    source : str or Path
        The video.
    start_s, stop_s : float
        The range on the video's clock, s.
    target : str or Path
        The clip to write (``.mp4``); written whole, then renamed into place.
    slow_factor : float
        Playback slowed this many times (2: half speed); the frames keep
        their relative timing, so a variable frame rate stays as it was.

    Returns
    -------
    n_frames : int
        Frames written.

    Raises
    ------
    VideoError
        An unreadable source, an empty range, or a target that cannot be
        written.
    """
    if slow_factor <= 0:
        raise ValueError(f"slow_factor must be > 0, not {slow_factor}")
    target = Path(target)
    with VideoReader(source, cache_frames=4) as reader:
        stamps = reader.timestamps_s
        indices = np.flatnonzero((stamps >= start_s) & (stamps <= stop_s))
        if indices.size == 0:
            raise VideoError(
                source,
                f"no frame between {start_s:.3f} and {stop_s:.3f} s (the video "
                f"runs from 0 to {stamps[-1] if stamps.size else 0:.3f} s)",
            )
        first = reader.frame(int(indices[0]))
        height, width = first.shape[:2]
        codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
        span = stamps[-1] - stamps[0] if stamps.size > 1 else 0.0
        rate = round((stamps.size - 1) / span) if span > 0 else 30
        time_base = Fraction(1, 90000)
        partial = target.with_name(target.name + ".part")
        try:
            with av.open(str(partial), mode="w", format="mp4") as container:
                stream = container.add_stream(codec, rate=max(1, rate))
                assert isinstance(stream, av.VideoStream)
                stream.width, stream.height = width - width % 2, height - height % 2
                stream.pix_fmt = "yuv420p"
                stream.codec_context.time_base = time_base
                for index in indices:
                    rgb = reader.frame(int(index))[: stream.height, : stream.width]
                    frame = av.VideoFrame.from_ndarray(
                        np.ascontiguousarray(rgb), format="rgb24"
                    )
                    elapsed = (stamps[index] - stamps[indices[0]]) * slow_factor
                    frame.pts = round(elapsed / time_base)
                    frame.time_base = time_base
                    for packet in stream.encode(frame):
                        container.mux(packet)
                for packet in stream.encode():
                    container.mux(packet)
            partial.replace(target)
        except OSError as error:
            partial.unlink(missing_ok=True)
            raise VideoError(target, f"cannot be written: {error}") from error
    return int(indices.size)


def still_png(reader: VideoReader, time_s: float) -> bytes:
    """The frame nearest ``time_s`` (video clock, s) as PNG bytes."""
    from gaitlab.video.probe import frame_index_at

    rgb = reader.frame(frame_index_at(reader.timestamps_s, time_s))
    height, width = rgb.shape[:2]
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="image2pipe") as container:
        stream = container.add_stream("png", rate=1)
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height, stream.pix_fmt = width, height, "rgb24"
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()
