"""Damaged and odd C3D files: refused with the file and the reason, or read and noted.

Issue 18 items 6 and 9, issue 9 item 6. Each test builds its file with
:func:`gaitlab.io.c3d_writer.write_c3d` and, where needed, edits its bytes.
"""

from __future__ import annotations

import struct
import time
from pathlib import Path

import numpy as np
import pytest

from gaitlab.cli.cmd_inspect import describe_trial
from gaitlab.core.errors import C3DReadError
from gaitlab.io._raw import parameter_entries
from gaitlab.io.c3d import read_c3d, read_c3d_in_process
from gaitlab.io.c3d_writer import PlateParameters, write_c3d
from gaitlab.io.workers import (
    MAX_TIMEOUT_S,
    MEMORY_FLOOR,
    WorkerPool,
    default_memory_limit_bytes,
    default_timeout_s,
)

RNG = np.random.default_rng(7)
N_FRAMES = 50


def _write(path: Path, **extra) -> Path:
    """A small valid file: 2 markers at 100 Hz, 4 analog channels at 1000 Hz."""
    options = {
        "markers": RNG.uniform(0.1, 1.0, (N_FRAMES, 2, 3)),
        "marker_labels": ["LHXE", "RHEE"],
        "point_rate_hz": 100.0,
        "analogs": RNG.normal(0.0, 1.0, (N_FRAMES * 10, 4)),
        "analog_labels": ["a", "b", "c", "d"],
        "analog_rate_hz": 1000.0,
        "analog_scale": [2.0, 2.0, 2.0, 2.0],
    }
    options.update(extra)
    return write_c3d(path, **options)


def _entry(path: Path, group: str, name: str):
    return next(
        e for e in parameter_entries(path) if e.group == group and e.name == name
    )


def _patch_float(path: Path, group: str, name: str, value: float) -> None:
    """Overwrite a scalar FLOAT parameter (Intel file) in place."""
    entry = _entry(path, group, name)
    data = bytearray(path.read_bytes())
    at = entry.dims_position + len(entry.dims)
    data[at : at + 4] = struct.pack("<f", value)
    path.write_bytes(bytes(data))


def _shorten_first_dimension(path: Path, group: str, name: str, keep: int) -> None:
    """Keep only the first ``keep`` values of a 1-D FLOAT parameter, as evart-style files do.

    The entry's bytes shrink, its link to the next entry follows, and the
    section is padded at its end so that the data section does not move.
    """
    entry = _entry(path, group, name)
    data = bytearray(path.read_bytes())
    drop = (entry.dims[0] - keep) * 4
    block = data[0]
    section_end = (block - 1 + data[(block - 1) * 512 + 2]) * 512
    link_at = entry.position + 2 + len(name)
    (link,) = struct.unpack("<h", data[link_at : link_at + 2])
    data[link_at : link_at + 2] = struct.pack("<h", link - drop)
    data[entry.dims_position] = keep
    cut = entry.dims_position + 1 + keep * 4
    data = (
        data[:cut] + data[cut + drop : section_end] + bytes(drop) + data[section_end:]
    )
    path.write_bytes(bytes(data))


# ------------------------------------------------------------ 18.6 memory, time


def _allocate_gigabytes(path: Path) -> int:
    block = bytearray(2_000_000_000)  # 2 GB
    return len(block)


def _name(path: Path) -> str:
    return path.name


def test_a_reader_that_outgrows_its_memory_limit_is_stopped_with_the_reason() -> None:
    pool = WorkerPool(n_workers=1)
    path = Path("/data/greedy.c3d")
    outcome = next(
        pool.imap_unordered(_allocate_gigabytes, [(path, (path,), 30.0, 300_000_000)])
    )
    assert isinstance(outcome.error, C3DReadError)
    assert outcome.error.path == str(path)
    assert "needs more than 0.3 GB" in outcome.error.reason
    # the pool goes on with a fresh worker
    assert pool.call(_name, Path("/data/next.c3d")) == "next.c3d"
    pool.close()


def test_a_file_declaring_a_huge_analog_rate_is_refused_for_memory(
    tmp_path: Path,
) -> None:
    """A damaged ANALOG:RATE (1e9 Hz) makes ezc3d allocate without bound."""
    path = _write(tmp_path / "huge_rate.c3d")
    _patch_float(path, "ANALOG", "RATE", 1e9)
    pool = WorkerPool(n_workers=1)
    start = time.monotonic()
    outcome = next(
        pool.imap_unordered(read_c3d_in_process, [(path, (path,), 60.0, 200_000_000)])
    )
    pool.close()
    assert isinstance(outcome.error, C3DReadError), outcome
    assert str(path) in str(outcome.error)
    assert "needs more than 0.2 GB" in outcome.error.reason
    assert time.monotonic() - start < 30.0


def test_limits_scale_with_the_file_and_are_capped(tmp_path: Path) -> None:
    small = _write(tmp_path / "small.c3d")
    assert default_memory_limit_bytes(small) == MEMORY_FLOOR
    assert default_timeout_s(small) < 11.0
    padded = tmp_path / "padded.c3d"
    with padded.open("wb") as handle:  # sparse: no disk used
        handle.truncate(2_000_000_000)
    assert default_timeout_s(padded) == MAX_TIMEOUT_S
    assert default_memory_limit_bytes(padded) <= 8_000_000_000


# ------------------------------------------------------------ 18.9 messages


def test_an_inconsistent_plate_group_imports_the_markers_with_a_note(
    tmp_path: Path,
) -> None:
    """FORCE_PLATFORM:CORNERS of 10 values (not 12 per plate): was a raw ValueError."""
    path = _write(
        tmp_path / "bad_corners.c3d",
        extra_parameters={
            "FORCE_PLATFORM": {
                "USED": np.array([1]),
                "TYPE": np.array([2]),
                "CORNERS": np.zeros(10),
                "ORIGIN": np.zeros(3),
                "CHANNEL": np.array([[1], [2], [3], [4], [1], [2]]),
            }
        },
    )
    trial = read_c3d(path)
    assert trial.markers.labels == ("LHXE", "RHEE")
    assert trial.forceplates == ()
    assert any(w.startswith("force plates not read") for w in trial.warnings)


def test_an_unforeseen_interpretation_error_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any error while interpreting a parsed file becomes a C3DReadError with the file."""
    import gaitlab.io.c3d as module

    def broken(raw: object) -> None:
        raise TypeError("unsupported operand type(s)")

    monkeypatch.setattr(module, "_subject", broken)
    path = _write(tmp_path / "odd.c3d")
    with pytest.raises(C3DReadError) as caught:
        read_c3d_in_process(path)
    assert str(path) in str(caught.value)
    assert "cannot be interpreted (TypeError: unsupported" in caught.value.reason


def test_an_odd_count_of_event_times_keeps_the_events(tmp_path: Path) -> None:
    """EVENT:TIMES with 5 values for 2 events: was a raw ValueError (reshape)."""
    path = _write(
        tmp_path / "events.c3d",
        extra_parameters={
            "EVENT": {
                "USED": np.array([2]),
                "LABELS": ["Foot Strike", "Foot Off"],
                "CONTEXTS": ["Left", "Left"],
                "TIMES": np.array([0.0, 0.1, 0.0, 0.3, 9.0]),
            }
        },
    )
    trial = read_c3d(path)
    assert [round(e.time_s, 3) for e in trial.events] == [0.1, 0.3]


def test_a_folder_named_like_a_c3d_file_is_refused_as_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "x.c3d"
    folder.mkdir()
    with pytest.raises(C3DReadError, match=r"x\.c3d: this is a folder"):
        read_c3d(folder)


def test_the_parser_step_names_a_file_it_cannot_open(tmp_path: Path) -> None:
    """The project import calls read_raw directly: no bare IsADirectoryError."""
    from gaitlab.io._raw import read_raw

    folder = tmp_path / "y.c3d"
    folder.mkdir()
    with pytest.raises(C3DReadError, match=r"y\.c3d: the file cannot be opened"):
        read_raw(folder)


def test_a_latin1_marker_label_is_decoded_and_noted(tmp_path: Path) -> None:
    path = _write(tmp_path / "accent.c3d")
    path.write_bytes(path.read_bytes().replace(b"LHXE", b"LH\xc9E"))
    trial = read_c3d(path)
    assert trial.markers.labels == ("LHÉE", "RHEE")
    assert any("POINT:LABELS" in w and "Latin-1" in w for w in trial.warnings)


def test_utf8_labels_stay_utf8_without_a_note(tmp_path: Path) -> None:
    path = _write(tmp_path / "utf8.c3d", marker_labels=["LHÉE", "RHEE"])
    trial = read_c3d(path)
    assert trial.markers.labels == ("LHÉE", "RHEE")
    assert not any("Latin-1" in w for w in trial.warnings)


def test_inspect_escapes_control_characters_from_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "escape.c3d", marker_labels=["L\x1b[2JHEE", "R\x07HEE"])
    text = describe_trial(read_c3d(path), all_labels=True)
    assert "\x1b" not in text
    assert "\x07" not in text
    assert "L\\x1b[2JHEE" in text
    assert "R\\x07HEE" in text


def test_channels_without_a_scale_are_flagged_not_invented(tmp_path: Path) -> None:
    """ANALOG:SCALE lists 1 value for 4 channels: ezc3d scales 2-4 with stray memory."""
    analogs = RNG.normal(0.0, 1.0, (N_FRAMES * 10, 4))
    path = _write(tmp_path / "evart_like.c3d", analogs=analogs)
    _shorten_first_dimension(path, "ANALOG", "SCALE", keep=1)
    trial = read_c3d(path)
    np.testing.assert_allclose(trial.analogs.data[:, 0], analogs[:, 0], rtol=1e-6)
    assert np.isnan(trial.analogs.data[:, 1:]).all()
    note = next(w for w in trial.warnings if "ANALOG:SCALE/OFFSET" in w)
    assert "2 (b), 3 (c), 4 (d)" in note
    assert "differ from one import" in note


# --------------------------------------------------- 9.6 odd parameter names


def test_parameter_names_with_spaces_import_with_a_note(tmp_path: Path) -> None:
    """Qualisys writes names such as ``Uncropped Measurement Length``."""
    path = _write(
        tmp_path / "qualisys.c3d",
        extra_parameters={"QTM": {"Uncropped Measurement Length": np.array([2000])}},
    )
    trial = read_c3d(path)
    assert trial.markers.labels == ("LHXE", "RHEE")
    assert trial.source.reader.split()[0] in ("gaitlab", "ezc3d")  # not the fallback
    note = next(w for w in trial.warnings if "spaces" in w)
    assert "QTM:Uncropped Measurement Length" in note


def test_parameter_names_with_control_bytes_import_with_a_note(
    tmp_path: Path,
) -> None:
    path = _write(
        tmp_path / "vendor.c3d", extra_parameters={"VENDOR": {"A\x01B": np.array([1])}}
    )
    trial = read_c3d(path)
    assert any("'VENDOR:A\\x01B'" in w for w in trial.warnings)


def test_a_broken_parameter_chain_is_still_refused_fast(shared_data: Path) -> None:
    path = shared_data / "BTKData/c3d.org/sample18/bad_parameter_section.c3d"
    start = time.monotonic()
    with pytest.raises(C3DReadError, match="parameter section") as caught:
        read_c3d_in_process(path)
    assert time.monotonic() - start < 1.0
    assert str(path) in str(caught.value)


def test_plates_still_import(tmp_path: Path) -> None:
    """The writer's extra parameters leave the regular groups intact."""
    corners = np.array([[0.2, 0.3, 0], [-0.2, 0.3, 0], [-0.2, -0.3, 0], [0.2, -0.3, 0]])
    plate = PlateParameters(2, corners, np.zeros(3), np.arange(1, 7))
    path = _write(
        tmp_path / "plate.c3d",
        analogs=np.zeros((N_FRAMES * 10, 6)),
        analog_labels=[f"c{k}" for k in range(6)],
        analog_scale=None,
        plates=[plate],
        extra_parameters={"VENDOR": {"NOTE": ["kept"]}},
    )
    trial = read_c3d(path)
    assert len(trial.forceplates) == 1
    assert "kept" in trial.meta["c3d_parameters"]


def test_a_truncated_file_imports_what_it_holds_and_says_so(tmp_path: Path) -> None:
    """ezc3d silently keeps the frames present; the header declares 50."""
    path = _write(tmp_path / "cut.c3d")
    path.write_bytes(path.read_bytes()[:-3000])
    trial = read_c3d(path)
    assert 0 < trial.markers.n_frames < N_FRAMES
    note = next(w for w in trial.warnings if "truncated" in w)
    assert f"holds {trial.markers.n_frames} of the {N_FRAMES} frames" in note


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"subject,mass\nRBDS001,62\n", "not a C3D file (it is a text file)"),
        (b"\xff\xd8\xff\xe0" + bytes(3000), "its second byte is 0xd8"),
    ],
)
def test_a_file_that_is_not_c3d_is_named_as_such_at_any_size(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    """A short text file is "not a C3D file", not "truncated" (the app's import too)."""
    path = tmp_path / "notes.c3d"
    path.write_bytes(content)
    with pytest.raises(C3DReadError, match="not a C3D file") as caught:
        read_c3d(path)
    assert reason in str(caught.value)
    assert "truncated" not in str(caught.value)
