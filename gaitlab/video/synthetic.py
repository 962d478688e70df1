"""Synthetic videos whose frames carry their index, for tests and benchmarks.

Each frame shows its index as 10 bits in 2 × 5 black or white blocks, large
enough to survive lossy compression, so a test decoding a frame can read
back which frame it got (:func:`read_index`). :func:`write_video` writes
such frames at a fixed rate or at given (irregular) times: a
variable-frame-rate file.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

__all__ = ["HEIGHT", "WIDTH", "pattern", "read_index", "write_video"]

BITS = 10
"""Bits of the index drawn in each frame (2 rows of 5 blocks): up to 1023."""
WIDTH, HEIGHT = 160, 120


def pattern(index: int, width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    """An RGB frame whose 2×5 blocks are white for the 1 bits of ``index``."""
    frame = np.zeros((height, width, 3), np.uint8)
    bh, bw = height // 2, width // 5
    for bit in range(BITS):
        if index >> bit & 1:
            row, col = divmod(bit, 5)
            frame[row * bh : (row + 1) * bh, col * bw : (col + 1) * bw] = 255
    return frame


def read_index(frame: np.ndarray) -> int:
    """The index drawn by :func:`pattern` (each block's centre, thresholded)."""
    height, width = frame.shape[:2]
    bh, bw = height // 2, width // 5
    index = 0
    for bit in range(BITS):
        row, col = divmod(bit, 5)
        block = frame[
            row * bh + bh // 4 : (row + 1) * bh - bh // 4,
            col * bw + bw // 4 : (col + 1) * bw - bw // 4,
        ]
        if block.mean() > 128:
            index |= 1 << bit
    return index


def write_video(
    path: Path,
    times_s: Sequence[float] | np.ndarray | None = None,
    *,
    frames: int = 60,
    fps: int = 30,
    codec: str = "libx264",
    gop: int = 12,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> Path:
    """Write frames 0.. carrying their index, at ``times_s`` (VFR) or ``fps``.

    Timestamps are in 1/90000 s (libx264) or 1/1000 s (other codecs, whose
    time base is limited), so ``times_s`` must be on a 1 ms grid (or fall
    on ticks) and strictly increase.
    """
    times = np.arange(frames) / fps if times_s is None else np.asarray(times_s)
    time_base = Fraction(1, 90000 if codec == "libx264" else 1000)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=fps)
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = time_base
        stream.codec_context.gop_size = gop
        if codec == "libx264":
            stream.codec_context.options = {"preset": "ultrafast", "crf": "18"}
        else:
            stream.codec_context.bit_rate = 2_000_000
        for index, time in enumerate(times):
            frame = av.VideoFrame.from_ndarray(
                pattern(index, width, height), format="rgb24"
            )
            frame.pts = round(time / time_base)
            frame.time_base = time_base
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
