"""Reading plain C3D files with numpy alone: the import's fast path.

A C3D file's data section is a table: one row per frame of ``POINT:USED``
points (x, y, z and a residual word) followed by ``ANALOG:USED`` channels
sampled ``n`` times per frame, all int16 or all float32. numpy reads that
table in one call, where ezc3d builds an object per value: on the 34 shared
recordings it takes, this reader needs about a ninth of ezc3d's time (59
against 523 ms) and gives the same numbers bit for bit
(``tests/io/test_numpy_c3d.py`` compares the two on every file both read).

It reads only files whose header and parameters agree with each other
(point and analog counts, frame count and rates, data start, storage, the
frame numbers of ``TRIAL:ACTUAL_START/END_FIELD``) and whose data section is
whole and plain (Intel or DEC processor, the declared frames all present,
fewer than 65535 frames, float residual words that are finite numbers below
2**31). Anything else returns None and the file goes to ezc3d, which knows
the rest of the format's corners (truncated files, long recordings,
header/parameter disagreements). So this reader adds speed, and reads what
ezc3d reads as ezc3d does. Checked on the 400 damaged
files of ``benchmarks/reliability_files.py --seed 3``: it took 185, and ezc3d
read 182 of them to the same values; the other 3 have a damaged parameter
section that ezc3d rejects or crashes on (they went to the ``c3d`` package,
or were refused), which this reader reads when what it needs is intact.

Values follow ezc3d 1.7 exactly (see :mod:`gaitlab.io._raw`):

* points: ``stored * |POINT:SCALE|`` for integer files, the float32 values for
  float files, NaN where the residual word is negative (for float files: the
  fourth float is below 0);
* residuals: the high byte of the residual word (for float files, of the
  whole number the fourth float holds) times ``|POINT:SCALE|``, -1 where
  the word is negative (invalid);
* analogs: ``(stored - |OFFSET|) * SCALE * GEN_SCALE`` per channel, the
  subtraction in float32 for float files (ezc3d
  takes the offset's magnitude: unsigned files write 32768-like offsets as
  negative int16), with ``stored`` unsigned when ``ANALOG:FORMAT`` is
  ``UNSIGNED``; channels the file gives no SCALE/OFFSET for are NaN;
* parameters: those ezc3d gives every file are added where the file lacks
  them (:data:`_EZC3D_DEFAULTS`), text is cut at a NUL.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gaitlab.core.types import FloatArray

if TYPE_CHECKING:  # _raw imports this module
    from gaitlab.io._raw import ParameterEntry

__all__ = [
    "NUMPY_READER_VERSION",
    "dec_to_float",
    "decode_text",
    "read_parameters",
    "read_tables",
]

NUMPY_READER_VERSION = "1"
"""Recorded as the trial's ``source_reader`` ("gaitlab numpy reader 1")."""

_MAX_HEADER_FRAME = 65535
"""A header's last frame of 65535 means the count lives elsewhere: left to ezc3d."""


_EZC3D_DEFAULTS: dict[str, dict[str, Any]] = {
    "POINT": {
        "USED": np.array([0]),
        "LABELS": [],
        "DESCRIPTIONS": [],
        "SCALE": np.array([-1.0]),
        "UNITS": [],
        "RATE": np.array([0.0]),
        "DATA_START": np.array([0]),
        "FRAMES": np.array([0]),
    },
    "ANALOG": {
        "USED": np.array([0]),
        "LABELS": [],
        "DESCRIPTIONS": [],
        "GEN_SCALE": np.array([1.0]),
        "SCALE": np.zeros(0),
        "OFFSET": np.zeros(0, dtype=np.int64),
        "UNITS": [],
        "RATE": np.array([0.0]),
        "FORMAT": [],
        "BITS": np.zeros(0, dtype=np.int64),
    },
    "FORCE_PLATFORM": {
        "USED": np.array([0]),
        "TYPE": np.zeros(0, dtype=np.int64),
        "ZERO": np.array([1, 0]),
        "CORNERS": np.zeros(0),
        "ORIGIN": np.zeros(0),
        "CHANNEL": np.zeros(0, dtype=np.int64),
        "CAL_MATRIX": np.zeros(0),
    },
}
"""The parameters ezc3d gives every file (``ezc3d.c3d()['parameters']``): a
file that lacks one gets this value, as it does from ezc3d."""


def dec_to_float(raw: np.ndarray) -> np.ndarray:
    """DEC (VAX F) floats, given as little-endian uint32 words, as IEEE float32.

    A DEC float keeps its two 16-bit halves in the other order and is 4
    times the IEEE number of the same bits (exponent bias 128, hidden bit
    0.1 instead of 1.0).
    """
    swapped = ((raw & 0xFFFF) << 16) | (raw >> 16)
    return (swapped.astype(np.uint32).view(np.float32) / np.float32(4.0)).astype(
        np.float32
    )


def _floats(data: bytes, dec: bool) -> np.ndarray:
    if dec:
        return dec_to_float(np.frombuffer(data, dtype="<u4"))
    return np.frombuffer(data, dtype="<f4")


def read_parameters(
    entries: Sequence[ParameterEntry], section: bytes, start: int, dec: bool
) -> tuple[dict[str, dict[str, Any]], list[str]] | None:
    """The parameter tree of a parameter section, as :mod:`gaitlab.io._raw` keeps it.

    Parameters
    ----------
    entries : sequence of ParameterEntry
        The section's entries, as :func:`gaitlab.io._raw.check_header`'s walk
        found them (names decoded as Latin-1).
    section : bytes
        The whole parameter section (its 4-byte header included), of a
        little-endian (Intel or DEC) file.
    start : int
        The section's byte offset in the file (entries give file offsets).
    dec : bool
        Floats are DEC floats.

    Returns
    -------
    (parameters, latin1) or None
        ``{GROUP: {NAME: value}}`` with numeric values as arrays in C3D
        dimension order and text as lists of stripped str, and the names of
        the text decoded as Latin-1; None when an entry is not one this
        reader takes (an undeclared group, a type code outside -1/1/2/4,
        dimensions or values past the section).
    """
    parameters: dict[str, dict[str, Any]] = {}
    latin1_texts: dict[str, list[str]] = {}  # by group: "GROUP:NAME" of its text
    latin1_names: set[str] = set()  # groups whose own or parameters' names fell back
    for entry in entries:
        if not entry.name:  # a group
            group, group_fell_back = _named(entry.group)
            parameters.setdefault(group, {})
            if group_fell_back:
                latin1_names.add(group)
    for entry in entries:
        if not entry.name:
            continue
        group, _ = _named(entry.group)
        name, name_fell_back = _named(entry.name)
        at = entry.dims_position - start
        if entry.group == "?" or at < 1 or section[at - 1] != len(entry.dims):
            return None
        value = _parameter_value(section, at + len(entry.dims), entry, dec)
        if value is None:
            return None
        parameters.setdefault(group, {})[name] = value[0]
        if name_fell_back:
            latin1_names.add(group)
        if value[1]:
            latin1_texts.setdefault(group, []).append(f"{group}:{name}")
    for group, defaults in _EZC3D_DEFAULTS.items():
        known = parameters.setdefault(group, {})
        for name, default in defaults.items():
            if name not in known:
                known[name] = default.copy()
    latin1 = []
    for group in parameters:  # as the ezc3d path lists them
        latin1 += latin1_texts.get(group, [])
        if group in latin1_names:
            latin1.append(f"the names in group {group}")
    return parameters, latin1


def _named(walked: str) -> tuple[str, bool]:
    """A group or parameter name as the walk decoded it (Latin-1), decoded as
    the parsers do (UTF-8, else Latin-1) and upper-cased; and whether it fell back."""
    name, fell_back = decode_text(walked.encode("latin-1"))
    return name.upper(), fell_back


def decode_text(data: bytes) -> tuple[str, bool]:
    """Text from a parameter's bytes: UTF-8, else Latin-1 (True when it fell back)."""
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("latin-1"), True


def _strip(text: str) -> str:
    """Text without surrounding blanks, and without what follows a NUL (as ezc3d)."""
    return text.split("\0", 1)[0].strip()


def _parameter_value(
    section: bytes, at: int, entry: ParameterEntry, dec: bool
) -> tuple[Any, bool] | None:
    """A parameter's value, whose bytes start at ``at``, and whether its text
    fell back to Latin-1."""
    dims = entry.dims
    if entry.type_code == -1:
        width = dims[0] if dims else 1
        count = int(np.prod(dims[1:])) if len(dims) > 1 else 1
        data = section[at : at + width * count]
        if len(data) < width * count:
            return None
        texts = [decode_text(data[i * width : (i + 1) * width]) for i in range(count)]
        return [_strip(text) for text, _ in texts], any(f for _, f in texts)
    size = {1: 1, 2: 2, 4: 4}.get(entry.type_code)
    if size is None:
        return None
    count = int(np.prod(dims)) if dims else 1
    data = section[at : at + size * count]
    if len(data) < size * count:
        return None
    if size == 4:
        values: np.ndarray = _floats(data, dec).astype(np.float64)
    else:
        values = np.frombuffer(data, dtype="i1" if size == 1 else "<i2").astype(
            np.int64
        )
    return values.reshape(dims or (1,), order="F"), False


def read_tables(
    path: Path,
    header: bytes,
    section: bytes,
    entries: Sequence[ParameterEntry],
    processor: str,
) -> tuple[dict[str, dict[str, Any]], list[str], dict[str, Any]] | None:
    """Parameters, Latin-1 notes and data tables of a plain Intel or DEC C3D file.

    Parameters
    ----------
    path : Path
        The file.
    header : bytes
        Its first 512 bytes.
    section : bytes
        Its parameter section.
    entries : sequence of ParameterEntry
        The section's entries (:func:`gaitlab.io._raw.check_header`'s walk).
    processor : str
        ``"Intel"`` or ``"DEC"`` (others return None).

    Returns
    -------
    (parameters, latin1, tables) or None
        ``tables`` holds ``points`` (n_frames, n_points, 3) m-or-file units,
        ``residuals`` (n_frames, n_points), ``analogs`` (n_samples,
        n_channels) scaled, ``point_rate_hz``, ``analog_rate_hz``,
        ``first_frame`` and ``storage``. None when the file is not one this
        reader takes (see the module's docstring): ezc3d reads it instead.
    """
    if processor not in ("Intel", "DEC"):
        return None
    dec = processor == "DEC"
    parsed = read_parameters(entries, section, (header[0] - 1) * 512, dec)
    if parsed is None:
        return None
    parameters, latin1 = parsed
    words = struct.unpack_from("<BBHHHHH", header, 0)
    _, _, n_points, analog_words, first, last, _ = words
    data_start = struct.unpack_from("<H", header, 16)[0]
    samples_per_frame = struct.unpack_from("<H", header, 18)[0]
    header_scale = float(_floats(header[12:16], dec)[0])
    point_rate = float(_floats(header[20:24], dec)[0])
    point = parameters.get("POINT", {})
    analog = parameters.get("ANALOG", {})
    scale = _one(point.get("SCALE"))
    used = _one(point.get("USED"))
    channels = _one(analog.get("USED"), 0)
    n_channels = analog_words // samples_per_frame if samples_per_frame else 0
    if (
        scale is None
        or used != n_points
        or channels != n_channels
        or (samples_per_frame and analog_words % samples_per_frame)
        or _one(point.get("DATA_START"), data_start) != data_start
        or (scale < 0) != (header_scale < 0)
        or any(f"{key}2" in analog for key in ("SCALE", "OFFSET", "LABELS"))
        or "SHADOW" in parameters
        or (
            n_channels
            and not np.isclose(
                _one(analog.get("RATE"), 0.0), point_rate * samples_per_frame
            )
        )
        or not _trial_fields_agree(parameters.get("TRIAL", {}), first, last)
        or (_one(point.get("FRAMES"), last - first + 1) - (last - first + 1)) % 65536
        or not np.isclose(_one(point.get("RATE"), point_rate), point_rate, rtol=1e-6)
        or not 1 <= first <= last < _MAX_HEADER_FRAME
        or data_start < 1
        or point_rate <= 0
    ):
        return None
    n_frames = last - first + 1
    floating = scale < 0
    itemsize = 4 if floating else 2
    row = 4 * n_points + n_channels * samples_per_frame
    offset = (data_start - 1) * 512
    with path.open("rb") as handle:
        handle.seek(offset)
        data = handle.read(row * itemsize * n_frames)
    if len(data) < row * itemsize * n_frames:
        return None  # truncated: ezc3d reads what is there, and the reader notes it
    if floating:
        table = _floats(data, dec).reshape(n_frames, row)
        fourth = table[:, 3 : 4 * n_points : 4]
        if not (np.isfinite(fourth) & (np.abs(fourth) < 2.0**31)).all():
            return None  # ezc3d's int conversion of such words is undefined
    else:
        table = np.frombuffer(data, dtype="<i2").reshape(n_frames, row)
    points, residuals = _points(
        table[:, : 4 * n_points], n_points, abs(scale), floating
    )
    analogs = _analogs(
        table[:, 4 * n_points :], analog, n_channels, samples_per_frame, floating
    )
    return (
        parameters,
        latin1,
        {
            "points": points,
            "residuals": residuals,
            "analogs": analogs,
            "point_rate_hz": point_rate,
            "analog_rate_hz": point_rate * samples_per_frame if n_channels else 0.0,
            "first_frame": first - 1,
            "storage": "float" if floating else "integer",
        },
    )


def _trial_fields_agree(trial: dict[str, Any], first: int, last: int) -> bool:
    """Whether ``TRIAL:ACTUAL_START/END_FIELD`` (32-bit frame numbers written as
    two 16-bit words, where present) name the header's first and last frames."""
    for key, frame in (("ACTUAL_START_FIELD", first), ("ACTUAL_END_FIELD", last)):
        value = trial.get(key)
        if value is None:
            continue
        words = np.ravel(np.asarray(value)).astype(np.int64) & 0xFFFF
        if words.size != 2 or int(words[0] + 65536 * words[1]) != frame:
            return False
    return True


def _one(value: Any, default: Any = None) -> Any:
    """The first number of a parameter value, or ``default``."""
    if value is None or isinstance(value, list):
        return default
    flat = np.ravel(value)
    return flat[0].item() if flat.size else default


def _points(
    block: np.ndarray, n_points: int, scale: float, floating: bool
) -> tuple[FloatArray, FloatArray]:
    values = block.reshape(len(block), n_points, 4)
    if floating:  # the fourth float holds the word as a number
        fourth = values[:, :, 3]
        invalid = fourth < 0  # as ezc3d: a negative number, even -1e-30
        word = fourth.astype(np.int64)  # finite and < 2**31 (checked)
        points = values[:, :, :3].astype(np.float64)
    else:
        word = values[:, :, 3]
        invalid = word < 0
        points = values[:, :, :3] * np.float64(scale)
    residuals = ((word.astype(np.int64) >> 8) & 0xFF) * np.float64(scale)
    residuals[invalid] = -1.0
    points[invalid] = np.nan
    return np.ascontiguousarray(points), residuals


def _analogs(
    block: np.ndarray,
    analog: dict[str, Any],
    n_channels: int,
    samples_per_frame: int,
    floating: bool,
) -> FloatArray:
    samples = block.reshape(-1, n_channels) if n_channels else block[:, :0]
    if not floating and str((analog.get("FORMAT") or [""])[0]).upper() == "UNSIGNED":
        samples = samples.view(np.uint16)
    if not n_channels:
        return np.zeros((0, 0))
    scale = _per_channel(analog, "SCALE", n_channels)
    offset = np.abs(_per_channel(analog, "OFFSET", n_channels))  # as ezc3d
    general = _one(analog.get("GEN_SCALE"), 1.0)
    if floating:  # ezc3d subtracts the (integer) offset from the float32 sample
        shifted = (samples - offset.astype(np.float32)).astype(np.float64)
    else:
        shifted = samples.astype(np.float64) - offset
    return shifted * scale * np.float64(general)


def _per_channel(analog: dict[str, Any], key: str, n_channels: int) -> FloatArray:
    """``ANALOG:<key>`` per channel (NaN past the values the file lists)."""
    listed = np.ravel(np.asarray(analog.get(key, []), dtype=np.float64))[:n_channels]
    values = np.full(n_channels, np.nan)
    values[: listed.size] = listed
    return values
