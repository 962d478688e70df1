"""Frame-accurate, thread-safe decoding of a video's frames by index."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import av
import numpy as np

from gaitlab.video.probe import VideoError, open_container, packet_times, video_stream

__all__ = ["VideoReader"]

FORWARD_SLACK = 2
"""Decode forward from the current position instead of seeking when the
target's keyframe is at most this many frames after the frame last decoded."""


class VideoReader:
    """A video's frames by index, decoded frame-accurately, with an LRU cache.

    ``frame(i)`` returns the frame whose presentation timestamp is the i-th
    of the file's sorted timestamps (:attr:`timestamps_s`). A request ahead
    of the last decoded frame, within the same group of pictures, decodes
    forward without seeking (stepping and playback); any other request
    seeks to the keyframe at or before the target and decodes forward to
    its exact timestamp.

    The cache keeps decoded frames in the decoder's own pixel format (YUV
    4:2:0 for H.264: half the bytes of RGB), including every frame decoded
    on the way to a target, so stepping backward after a seek is served
    from the cache; a frame is converted to RGB when asked for.

    Thread-safe: one lock serialises decoding, so the GUI may decode on a
    worker thread while reading :attr:`timestamps_s` on its own.

    Parameters
    ----------
    path : str or Path
        The video file.
    cache_frames : int
        Most decoded frames kept (least recently used dropped). Memory bound
        of the cache: ``cache_frames ×`` :attr:`frame_bytes` (32 frames of
        1920×1080 YUV 4:2:0: 32 × 3.1 MB = 100 MB).

    Raises
    ------
    VideoError
        For a missing, unreadable or damaged file, or one without video.
    """

    def __init__(self, path: str | Path, cache_frames: int = 32) -> None:
        if cache_frames < 1:
            raise ValueError(f"cache_frames must be >= 1, not {cache_frames}")
        self.path = Path(path)
        self.cache_frames = int(cache_frames)
        self._lock = threading.Lock()
        self._cache: OrderedDict[int, av.VideoFrame] = OrderedDict()
        self._container: av.container.InputContainer | None = open_container(self.path)
        try:
            self._stream = video_stream(self._container, self.path)
            self._pts, self._keyframe_pts = packet_times(
                self._container, self._stream, self.path
            )
            # Slice threads only: frame threads hold each frame back by the
            # thread count after a seek (1080p H.264 random jumps: median
            # 42 ms with slice threads against 56 ms with both, this machine)
            self._stream.thread_type = "SLICE"
            context = self._stream.codec_context
            self.width = int(context.width)
            self.height = int(context.height)
            bits = av.VideoFormat(context.pix_fmt or "yuv420p").padded_bits_per_pixel
        except BaseException:
            self._container.close()
            raise
        self._frame_bytes = self.width * self.height * bits // 8
        time_base = float(self._stream.time_base or 1)
        self._timestamps = (self._pts - self._pts[0]).astype(float) * time_base
        self._timestamps.setflags(write=False)
        # index of each frame's keyframe (the last keyframe at or before it)
        key_rank = np.searchsorted(self._keyframe_pts, self._pts, side="right") - 1
        key_index = np.searchsorted(self._pts, self._keyframe_pts)
        self._key_of = np.where(key_rank >= 0, key_index[np.maximum(key_rank, 0)], 0)
        self._frames: Iterator[av.VideoFrame] | None = None
        self._last = -1  # index of the frame the decoder gave last (-1: none)
        self._first_after_seek = -1  # index of the first frame after the last seek
        self.seeks = 0
        """Number of seeks made (for tests and benchmarks)."""
        self.decoded = 0
        """Number of frames decoded (for tests and benchmarks)."""

    # ---- public

    @property
    def timestamps_s(self) -> np.ndarray:
        """Presentation time of each frame on the video's clock (0 at the first), s."""
        return self._timestamps

    @property
    def frame_count(self) -> int:
        """Number of frames."""
        return len(self._timestamps)

    @property
    def frame_bytes(self) -> int:
        """Bytes one cached frame holds: the largest decoded (line padding
        included), or width × height × bits per pixel of the decoder's pixel
        format before the first decode."""
        return self._frame_bytes

    @property
    def cache_bytes_bound(self) -> int:
        """Most bytes the cache holds: ``cache_frames ×`` :attr:`frame_bytes`."""
        return self.cache_frames * self._frame_bytes

    @property
    def cached_frames(self) -> int:
        """Number of frames in the cache now."""
        return len(self._cache)

    def frame(self, index: int) -> np.ndarray:
        """The frame ``index`` as a new (height, width, 3) uint8 RGB array.

        Raises
        ------
        IndexError
            For an index outside ``0 .. frame_count − 1``.
        VideoError
            When the file cannot be decoded there (damaged data, closed reader).
        """
        index = int(index)
        if not 0 <= index < self.frame_count:
            raise IndexError(
                f"{self.path}: frame {index} outside 0..{self.frame_count - 1}"
            )
        with self._lock:
            decoded = self._cache.get(index)
            if decoded is not None:
                self._cache.move_to_end(index)
            else:
                if self._container is None:
                    raise VideoError(self.path, "the video reader is closed")
                try:
                    decoded = self._decode(index)
                except av.FFmpegError as error:
                    self._frames = None
                    self._last = -1
                    raise VideoError(
                        self.path, f"frame {index} cannot be decoded ({error.strerror})"
                    ) from error
            return decoded.to_ndarray(format="rgb24")

    def close(self) -> None:
        """Release the file and the cache (further ``frame`` calls fail)."""
        with self._lock:
            if self._container is not None:
                self._container.close()
            self._container = None
            self._frames = None
            self._cache.clear()

    def __enter__(self) -> VideoReader:
        """Use as a context manager: closed on exit."""
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        """Close the reader."""
        self.close()

    # ---- decoding (under the lock)

    def _decode(self, index: int) -> av.VideoFrame:
        key = int(self._key_of[index])
        if (
            self._frames is None
            or index <= self._last
            or key > self._last + FORWARD_SLACK
        ):
            self._seek(key)
        while True:
            found = self._decode_forward(index)
            if found is not None:
                return found
            # the seek landed after the target: seek to the keyframe before
            if key == 0:
                raise VideoError(self.path, f"frame {index} cannot be reached")
            key = int(self._key_of[key - 1])
            self._seek(key)

    def _seek(self, key: int) -> None:
        assert self._container is not None
        self._container.seek(
            int(self._pts[key]), stream=self._stream, backward=True, any_frame=False
        )
        self.seeks += 1
        self._frames = self._container.decode(self._stream)
        self._last = -1
        self._first_after_seek = -1

    def _keep(self, position: int, frame: av.VideoFrame) -> None:
        self._frame_bytes = max(
            self._frame_bytes, sum(plane.buffer_size for plane in frame.planes)
        )
        self._cache[position] = frame
        self._cache.move_to_end(position)
        while len(self._cache) > self.cache_frames:
            self._cache.popitem(last=False)

    def _decode_forward(self, index: int) -> av.VideoFrame | None:
        """Decode up to frame ``index``; None when the decoder is already past it."""
        assert self._frames is not None
        target = self._pts[index]
        previous: av.VideoFrame | None = None
        for frame in self._frames:
            self.decoded += 1
            pts = frame.pts if frame.pts is not None else frame.dts
            if pts is None:
                continue
            position = min(int(np.searchsorted(self._pts, pts)), self.frame_count - 1)
            if self._first_after_seek < 0:
                self._first_after_seek = position
                if pts > target:
                    return None
            self._last = position
            if (
                pts > target
                and previous is not None
                and previous.pts is not None
                and target - previous.pts < pts - target
            ):
                return previous  # no frame carries the target's time: the nearer
            self._keep(position, frame)
            if pts >= target:
                return frame
            previous = frame
        self._frames = None
        self._last = -1
        if previous is not None:
            return previous
        raise VideoError(self.path, f"frame {index} cannot be decoded (end of data)")
