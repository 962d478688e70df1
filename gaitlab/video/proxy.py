"""Scrubbing copies: a video re-encoded with a keyframe every few frames.

A jump of the cursor to any time decodes the frames from the keyframe before
it: about 1.5–2 ms each for 1080p H.264 on this project's 2-core machine,
so a camera that puts a keyframe every 60 frames (0.5 s at 120 fps) needs
30–40 ms on average, above the 30 ms a smooth jump allows, and the decoder
gains nothing from a second core (one slice per frame; frame threads were
slower). A *scrubbing copy* keeps every frame and its exact timestamp but
has a keyframe every :data:`PROXY_GOP` frames and no B-frames, so a jump
decodes at most that many frames. It is made on request (``gaitlab video
PROJECT TRIAL proxy CAMERA``, or the video dock) into the user's cache
folder, named by the original's content hash: it is derived data, used
while the original is unchanged, and never part of the project.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import platformdirs

from gaitlab.video.probe import VideoError, open_container, probe, video_stream

__all__ = ["PROXY_GOP", "existing_proxy", "make_proxy", "proxy_path"]

PROXY_GOP = 8
"""Frames from one keyframe to the next in a scrubbing copy."""

CACHE_ENV = "GAITLAB_VIDEO_CACHE"
"""Folder of the scrubbing copies (default: the user's cache folder)."""


def proxy_path(sha256: str) -> Path:
    """Where the scrubbing copy of the video with this content hash is kept."""
    folder = os.environ.get(CACHE_ENV) or Path(
        platformdirs.user_cache_dir("gaitlab"), "video-proxies"
    )
    return Path(folder) / f"{sha256}_gop{PROXY_GOP}.mp4"


def existing_proxy(sha256: str) -> Path | None:
    """The scrubbing copy of a video, if one was made (None otherwise)."""
    path = proxy_path(sha256) if sha256 else None
    return path if path is not None and path.is_file() else None


def make_proxy(
    source: str | Path,
    sha256: str,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Write the scrubbing copy of ``source``; return its path.

    Every frame is re-encoded with its own timestamp: H.264, a keyframe
    every :data:`PROXY_GOP` frames, no B-frames, x264's ``ultrafast``
    preset (CAVLC, the quickest to decode: random jumps in the 1080p
    benchmark clip's copy take a median 6 ms, against 14 ms with the
    ``veryfast`` preset's CABAC) at CRF 23. The copy is checked to hold the
    same frame times before it replaces an older one.

    Parameters
    ----------
    source : str or Path
        The video.
    sha256 : str
        Its content hash (names the copy).
    progress : callable or None
        ``progress(done, total)`` after each frame.

    Raises
    ------
    VideoError
        An unreadable source, no H.264 encoder, a copy that would not keep
        the frame times, or a cache folder that cannot be written.
    """
    source = Path(source)
    if "libx264" not in av.codecs_available:
        raise VideoError(source, "no H.264 encoder (libx264) here: no scrubbing copy")
    info = probe(source)
    target = proxy_path(sha256)
    partial = target.with_name(target.name + ".part")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with (
            open_container(source) as container,
            av.open(str(partial), mode="w", format="mp4") as out,
        ):
            stream = video_stream(container, source)
            time_base = stream.time_base or Fraction(1, 90000)
            encoder = out.add_stream("libx264", rate=max(1, round(info.fps)))
            assert isinstance(encoder, av.VideoStream)
            encoder.width, encoder.height = info.width, info.height
            encoder.pix_fmt = "yuv420p"
            encoder.codec_context.time_base = time_base
            encoder.codec_context.gop_size = PROXY_GOP
            encoder.codec_context.max_b_frames = 0
            encoder.codec_context.options = {
                "preset": "ultrafast",
                "crf": "23",
                "keyint_min": str(PROXY_GOP),
                "sc_threshold": "0",
            }
            first = None
            done = 0
            for frame in container.decode(stream):
                if frame.pts is None:
                    continue
                first = frame.pts if first is None else first
                copy = frame.reformat(format="yuv420p")
                copy.pts = frame.pts - first
                copy.time_base = time_base
                for packet in encoder.encode(copy):
                    out.mux(packet)
                done += 1
                if progress is not None:
                    progress(done, info.frame_count)
            for packet in encoder.encode():
                out.mux(packet)
        copied = probe(partial)
        if copied.frame_count != info.frame_count or not np.allclose(
            copied.timestamps_s, info.timestamps_s, rtol=0, atol=1e-6
        ):
            raise VideoError(
                source,
                "the scrubbing copy would not keep the frame times "
                f"({copied.frame_count} frames against {info.frame_count})",
            )
        partial.replace(target)
    except OSError as error:
        raise VideoError(
            target, f"the scrubbing copy cannot be written: {error}"
        ) from error
    except av.FFmpegError as error:
        raise VideoError(source, f"cannot be re-encoded ({error})") from error
    finally:
        partial.unlink(missing_ok=True)
    return target
