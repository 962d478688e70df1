"""Video benchmark: ``python benchmarks/video.py [--gop FRAMES] [--cache FRAMES]`` (issue 15).

A 1080p (1920×1080) H.264 clip at 120 fps, 5 s (600 frames), is encoded
once into a temporary folder with libx264 (preset ``veryfast``: CABAC and
B-frames, as camera files have; a keyframe every ``--gop`` frames, default
60 = 0.5 s). Its picture is a textured scene panning 4 pixels a frame (so
the decoder has real work) with the frame's index drawn as 10 blocks, read
back to check that every frame shown is the right one.

Measured, as *cursor move → frame*: ``frame_index_at(timestamps, t +
offset)`` then ``VideoReader.frame(index)`` (decoded, converted to RGB),
each on a fresh reader (empty cache):

1. Random jumps: 100 cursor times drawn uniformly over the clip.
2. Sequential steps forward: one frame at a time over 300 frames
   (playback, the → key).
3. Steps backward: one frame at a time over 60 frames (the ← key): each
   needs a seek to the keyframe before and decoding forward.
4. The scrubbing copy (``gaitlab video PROJECT TRIAL proxy CAMERA``): the
   time to make it, and the random jumps of 1. on it, with their ratio to
   the original's.

Target: < 30 ms (median and 95th percentile printed). The cache's memory
bound (``cache_frames ×`` one decoded frame's bytes) is printed with the
bytes it actually held.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from gaitlab.video import VideoReader, frame_index_at, probe
from gaitlab.video.proxy import CACHE_ENV, PROXY_GOP, make_proxy

WIDTH, HEIGHT, FPS, FRAMES = 1920, 1080, 120, 600
TARGET_MS = 30.0
BITS = 10


def scene(index: int, texture: np.ndarray) -> np.ndarray:
    """Frame ``index``: the texture panned by 4 px a frame, index blocks on top."""
    frame = texture[:, 4 * index : 4 * index + WIDTH].copy()
    for bit in range(BITS):
        value = 255 if index >> bit & 1 else 0
        frame[40:160, 40 + 160 * bit : 160 + 160 * bit] = value
    return frame


def read_index(frame: np.ndarray) -> int:
    """The index drawn by :func:`scene` (block centres thresholded)."""
    index = 0
    for bit in range(BITS):
        if frame[70:130, 70 + 160 * bit : 130 + 160 * bit].mean() > 128:
            index |= 1 << bit
    return index


def write_clip(path: Path, gop: int) -> float:
    """Encode the clip; return the seconds it took."""
    rng = np.random.default_rng(0)
    coarse = rng.integers(0, 256, (HEIGHT // 8 + 1, (WIDTH + 4 * FRAMES) // 8 + 1, 3))
    texture = np.repeat(np.repeat(coarse, 8, axis=0), 8, axis=1)
    texture = texture[:HEIGHT, : WIDTH + 4 * FRAMES].astype(np.uint8)
    start = time.perf_counter()
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.codec_context.time_base = Fraction(1, FPS)
        stream.codec_context.gop_size = gop
        stream.codec_context.options = {"preset": "veryfast", "crf": "23"}
        for index in range(FRAMES):
            frame = av.VideoFrame.from_ndarray(scene(index, texture), format="rgb24")
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return time.perf_counter() - start


def timed_moves(
    path: Path, times_s: np.ndarray, cache: int
) -> tuple[list[float], int, int]:
    """Cursor move → RGB frame, ms, for each time; the cache's bytes held and bound."""
    latencies = []
    with VideoReader(path, cache_frames=cache) as reader:
        stamps = reader.timestamps_s
        for t in times_s:
            start = time.perf_counter()
            index = frame_index_at(stamps, float(t))
            frame = reader.frame(index)
            latencies.append((time.perf_counter() - start) * 1000)
            if read_index(frame) != index % (1 << BITS):
                sys.exit(f"wrong frame: asked {index}, got {read_index(frame)}")
        held = reader.cached_frames * reader.frame_bytes
        bound = reader.cache_bytes_bound
    return latencies, held, bound


def report(name: str, latencies: list[float]) -> None:
    """Print median and 95th percentile against the target."""
    median = statistics.median(latencies)
    p95 = float(np.percentile(latencies, 95))
    verdict = "ok" if p95 < TARGET_MS else "OVER"
    print(
        f"  {name:<28} median {median:7.1f} ms   p95 {p95:7.1f} ms   "
        f"(target < {TARGET_MS:.0f} ms: {verdict}, n = {len(latencies)})"
    )


def main() -> None:
    """Encode the clip once, time cursor moves, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gop", type=int, default=60, help="keyframe interval, frames")
    parser.add_argument("--cache", type=int, default=32, help="reader cache, frames")
    args = parser.parse_args()
    if "libx264" not in av.codecs_available:
        sys.exit("no H.264 encoder (libx264) in this PyAV build: cannot make the clip")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "clip_1080p120.mp4"
        encode_s = write_clip(path, args.gop)
        info = probe(path)
        size_mb = path.stat().st_size / 1e6
        print(
            f"clip: {info.width}×{info.height} {info.codec}, {info.fps:.1f} fps, "
            f"{info.frame_count} frames, keyframe every {args.gop} frames, "
            f"{size_mb:.1f} MB (encoded in {encode_s:.1f} s)"
        )
        start = time.perf_counter()
        probe(path)
        print(
            f"  probe (timestamps, no pixel decoded)   {(time.perf_counter() - start) * 1000:7.1f} ms"
        )
        stamps = info.timestamps_s
        offset_s = 0.0
        rng = np.random.default_rng(1)
        jumps = rng.uniform(0, stamps[-1], 100) - offset_s
        forward = stamps[100:400] - offset_s
        backward = stamps[460:400:-1] - offset_s
        print(f"cursor move → frame (PyAV {av.__version__}, cache {args.cache} frames)")
        random_ms, held, bound = timed_moves(path, jumps, args.cache)
        report("random jumps", random_ms)
        step_ms, _, _ = timed_moves(path, forward, args.cache)
        report("steps forward (1 frame)", step_ms[1:])  # the first is a jump
        back_ms, _, _ = timed_moves(path, backward, args.cache)
        report("steps backward (1 frame)", back_ms[1:])
        os.environ[CACHE_ENV] = str(Path(folder) / "cache")
        start = time.perf_counter()
        copy = make_proxy(path, "clip")
        made_s = time.perf_counter() - start
        print(
            f"scrubbing copy (gaitlab video ... proxy): keyframe every {PROXY_GOP} "
            f"frames, {copy.stat().st_size / 1e6:.1f} MB, made in {made_s:.1f} s "
            f"({made_s / info.frame_count * 1000:.1f} ms a frame)"
        )
        copy_ms, _, _ = timed_moves(copy, jumps, args.cache)
        report("random jumps (copy)", copy_ms)
        print(
            f"  {'':<28} ratio {statistics.median(copy_ms) / statistics.median(random_ms):.2f} "
            "of the original's median"
        )
        print(
            f"cache: bound {args.cache} frames × {bound / args.cache / 1e6:.2f} MB "
            f"(decoded YUV 4:2:0) = {bound / 1e6:.0f} MB; held {held / 1e6:.0f} MB "
            f"after the random jumps (RGB would be {WIDTH * HEIGHT * 3 / 1e6:.2f} MB "
            "a frame)"
        )


if __name__ == "__main__":
    main()
