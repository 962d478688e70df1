"""The numpy C3D reader (the import's fast path) against ezc3d, value for value.

:mod:`gaitlab.io._numpy_c3d` must give what ezc3d gives, bit for bit, on every
file it takes, and hand every other file to ezc3d. The real recordings
cover Intel and DEC, integer and float storage, unsigned analogs, residual
words, missing parameters and vendors' quirks.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gaitlab.core.errors import C3DReadError
from gaitlab.io import _raw
from gaitlab.io._numpy_c3d import dec_to_float
from gaitlab.io.c3d import read_c3d
from gaitlab.io.c3d_writer import write_c3d

RNG = np.random.default_rng(11)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list) or isinstance(b, list):
        return a == b
    a, b = np.asarray(a), np.asarray(b)
    return (
        a.shape == b.shape
        and a.dtype == b.dtype
        and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    )


def _differences(fast: _raw.RawC3D, reference: _raw.RawC3D) -> list[str]:
    """Where two parsed files differ (empty when identical)."""
    found = []
    if list(fast.parameters) != list(reference.parameters):
        found.append(f"groups {list(fast.parameters)} != {list(reference.parameters)}")
    for group, entries in reference.parameters.items():
        mine = fast.parameters.get(group, {})
        if set(mine) != set(entries):
            found.append(f"{group}: names {sorted(set(mine) ^ set(entries))}")
        found += [
            f"{group}:{name}"
            for name, value in entries.items()
            if name in mine and not _same(mine[name], value)
        ]
    for name in ("points", "residuals", "analogs"):
        if not _same(getattr(fast, name), getattr(reference, name)):
            found.append(name)
    for name in ("point_rate_hz", "analog_rate_hz", "first_frame", "storage"):
        if getattr(fast, name) != getattr(reference, name):
            found.append(f"{name}: {getattr(fast, name)} != {getattr(reference, name)}")
    if fast.warnings != reference.warnings:
        found.append(f"warnings {fast.warnings} != {reference.warnings}")
    return found


def _both(path: Path) -> tuple[_raw.RawC3D | None, _raw.RawC3D]:
    checked = _raw._check_file(path)
    return (
        _raw._read_with_numpy(path, checked),
        _raw._read_with_ezc3d(path, checked.processor),
    )


def test_every_real_file_reads_as_ezc3d_reads_it(shared_data: Path) -> None:
    taken, declined = [], []
    for path in sorted(shared_data.rglob("*")):
        if path.suffix.lower() != ".c3d":
            continue
        try:
            checked = _raw._check_file(path)
        except C3DReadError:
            continue  # refused before any parser (empty, not C3D, broken chain)
        if checked.processor == "SGI/MIPS":
            assert _raw._read_with_numpy(path, checked) is None
            continue
        fast, reference = _both(path)
        if fast is None:
            declined.append(path.name)
            continue
        assert _differences(fast, reference) == [], path
        taken.append(path.name)
    # the fast path is the rule, ezc3d the exception: the files left to
    # ezc3d are those whose header and parameters disagree or whose
    # parameters run past their section (TYPE-2/TYPE-4, FP1, MotionMonitor,
    # type1 on this set)
    assert len(taken) >= 30, (taken, declined)
    assert len(declined) <= 5, declined
    assert {"Eb015vi.c3d", "Eb015vr.c3d", "Eb015pi.c3d", "Eb015pr.c3d"} <= set(taken)


def test_dec_floats_become_ieee() -> None:
    # DEC F-floats of 1.0, -2.5 and 0.15625 as written by a VAX, read as <u4
    words = np.frombuffer(
        bytes.fromhex("80400000")
        + bytes.fromhex("20c10000")
        + bytes.fromhex("203f0000"),
        dtype="<u4",
    )
    np.testing.assert_array_equal(dec_to_float(words), [1.0, -2.5, 0.15625])
    assert dec_to_float(np.zeros(1, dtype="<u4"))[0] == 0.0


def test_a_written_file_reads_the_same_both_ways(tmp_path: Path) -> None:
    markers = RNG.uniform(-1.0, 2.0, (120, 3, 3))
    markers[10:20, 1] = np.nan  # gaps: residual -1, NaN back
    path = write_c3d(
        tmp_path / "plain.c3d",
        markers=markers,
        marker_labels=["LHEE", "RHEE", "C7"],
        point_rate_hz=200.0,
        analogs=RNG.normal(0.0, 50.0, (120 * 5, 6)),
        analog_labels=[f"ch{i}" for i in range(6)],
        analog_rate_hz=1000.0,
        analog_scale=[0.5, 0.5, 1.0, 2.0, 2.0, 4.0],
    )
    fast, reference = _both(path)
    assert fast is not None
    assert _differences(fast, reference) == []
    assert np.isnan(fast.points[10:20, 1]).all()
    assert read_c3d(path).source.reader.startswith("gaitlab numpy reader")


def _set_header_word(path: Path, word: int, value: int) -> None:
    data = bytearray(path.read_bytes())
    data[2 * word : 2 * word + 2] = struct.pack("<H", value)
    path.write_bytes(bytes(data))


def _small(path: Path, n_frames: int = 40) -> Path:
    return write_c3d(
        path,
        markers=RNG.uniform(0.1, 1.0, (n_frames, 2, 3)),
        marker_labels=["LHEE", "RHEE"],
        point_rate_hz=100.0,
        analogs=RNG.normal(0.0, 1.0, (n_frames * 10, 2)),
        analog_labels=["a", "b"],
        analog_rate_hz=1000.0,
        analog_scale=[1.0, 1.0],
    )


def test_a_truncated_file_goes_to_ezc3d_and_keeps_its_note(tmp_path: Path) -> None:
    path = _small(tmp_path / "cut.c3d")
    path.write_bytes(path.read_bytes()[:-3000])
    assert _raw._read_with_numpy(path, _raw._check_file(path)) is None
    trial = read_c3d(path)
    assert trial.source.reader.startswith("ezc3d")
    assert any("truncated" in w for w in trial.warnings)


@pytest.mark.parametrize(
    ("word", "value", "why"),
    [
        (1, 3, "header counts 3 points, POINT:USED 2"),
        (2, 7, "analog words 7 for 10 samples"),
    ],
)
def test_a_header_that_disagrees_with_the_parameters_goes_to_ezc3d(
    tmp_path: Path, word: int, value: int, why: str
) -> None:
    path = _small(tmp_path / "odd.c3d")
    _set_header_word(path, word, value)
    assert _raw._read_with_numpy(path, _raw._check_file(path)) is None, why


@pytest.mark.parametrize(("end", "taken"), [(40, True), (45, False)])
def test_trial_frame_fields_must_agree_with_the_header(
    tmp_path: Path, end: int, taken: bool
) -> None:
    """Long recordings keep their frame numbers in TRIAL:ACTUAL_*_FIELD; one that
    names other frames than the header is left to ezc3d."""
    path = write_c3d(
        tmp_path / "trial.c3d",
        markers=RNG.uniform(0.1, 1.0, (40, 2, 3)),
        marker_labels=["LHEE", "RHEE"],
        point_rate_hz=100.0,
        extra_parameters={
            "TRIAL": {
                "ACTUAL_START_FIELD": np.array([1, 0]),
                "ACTUAL_END_FIELD": np.array([end, 0]),
            }
        },
    )
    fast = _raw._read_with_numpy(path, _raw._check_file(path))
    assert (fast is not None) == taken


def test_a_float_file_with_a_nan_residual_word_goes_to_ezc3d(tmp_path: Path) -> None:
    """Damaged float files can hold NaN where the residual word goes: ezc3d's
    reading of it is the reference (its integer conversion of NaN is undefined
    in C++), so the numpy reader leaves the file to ezc3d, without a warning
    (the tests turn warnings into errors)."""
    path = _small(tmp_path / "nan_words.c3d")
    data = bytearray(path.read_bytes())
    data_start = struct.unpack_from("<H", data, 16)[0]
    first_word = (data_start - 1) * 512 + 12  # frame 1, point 1, fourth float
    data[first_word : first_word + 4] = struct.pack("<f", float("nan"))
    path.write_bytes(bytes(data))
    assert _raw._read_with_numpy(path, _raw._check_file(path)) is None
    trial = read_c3d(path)
    assert trial.source.reader.startswith("ezc3d")
    assert np.isfinite(trial.markers.data[0, 1]).all()


def test_a_tiny_negative_residual_float_marks_the_point_invalid(tmp_path: Path) -> None:
    """ezc3d takes a float file's point as invalid when its fourth float is
    below 0, even -1e-30 (whose whole part is 0): so does the numpy reader."""
    path = _small(tmp_path / "tiny.c3d")
    data = bytearray(path.read_bytes())
    data_start = struct.unpack_from("<H", data, 16)[0]
    first_word = (data_start - 1) * 512 + 12
    data[first_word : first_word + 4] = struct.pack("<f", -1e-30)
    path.write_bytes(bytes(data))
    fast, reference = _both(path)
    assert fast is not None
    assert _differences(fast, reference) == []
    assert np.isnan(fast.points[0, 0]).all()


def test_a_float_file_with_analog_offsets_reads_as_ezc3d(tmp_path: Path) -> None:
    """ezc3d subtracts a float file's (integer) analog offset in float32."""
    path = _small(tmp_path / "offsets.c3d")
    entry = next(
        e
        for e in _raw.parameter_entries(path)
        if (e.group, e.name) == ("ANALOG", "OFFSET")
    )
    data = bytearray(path.read_bytes())
    at = entry.dims_position + len(entry.dims)
    data[at : at + 4] = struct.pack("<hh", 10240, -3)
    path.write_bytes(bytes(data))
    fast, reference = _both(path)
    assert fast is not None
    assert _differences(fast, reference) == []
    assert np.isfinite(fast.analogs).all()


@pytest.mark.parametrize(
    ("name", "pack"),
    [("RATE", struct.Struct("<f")), ("FRAMES", struct.Struct("<h"))],
)
def test_a_point_rate_or_frame_count_unlike_the_header_goes_to_ezc3d(
    tmp_path: Path, name: str, pack: struct.Struct
) -> None:
    """POINT:RATE or POINT:FRAMES disagreeing with the header: ezc3d decides."""
    path = _small(tmp_path / "odd.c3d")
    entry = next(
        e for e in _raw.parameter_entries(path) if (e.group, e.name) == ("POINT", name)
    )
    data = bytearray(path.read_bytes())
    at = entry.dims_position + len(entry.dims)
    data[at : at + pack.size] = pack.pack(37)
    path.write_bytes(bytes(data))
    assert _raw._read_with_numpy(path, _raw._check_file(path)) is None
