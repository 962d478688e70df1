"""The lean trial store (issue 13, item 5): format 3.

Trial arrays are stored in the narrowest form that gives back the exact
float64 values, compressed; the metadata is one JSON header; checksums are
computed from the values written, not read back; compressed arrays cannot
be used to make a reader allocate more than a genuine file could hold.
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import hdf5plugin
import numpy as np
import pytest

import gaitlab
from gaitlab.core.errors import DamagedFileError
from gaitlab.io.c3d import read_c3d
from gaitlab.store import _integrity
from gaitlab.store._trialfile import (
    atomic_h5,
    put_encoded,
    read_trial_attrs,
    read_trial_file,
    write_trial_file,
)
from gaitlab.store.schema import FORMAT_VERSION

IDENTITY = {
    "trial_id": "t",
    "subject_id": "s01",
    "session": "",
    "condition": "run",
    "imported_utc": "2026-12-04T00:00:00Z",
}

SHARED_FILES = [  # float and integer C3D files, with and without plates
    "pfjrf-methods/data/RBDS001/RBDS001static.c3d",
    "opensim-core/walking2.c3d",
]


def _identical(a: np.ndarray, b: np.ndarray) -> bool:
    """Same dtype, shape and bits (any NaN equal to any NaN)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind != "f":
        return bool(np.array_equal(a, b))
    bits = a.view(f"u{a.itemsize}") == b.view(f"u{b.itemsize}")
    return bool(np.all(bits | (np.isnan(a) & np.isnan(b))))


def _assert_same_trial(read, written) -> None:
    assert _identical(read.markers.data, written.markers.data)
    assert _identical(read.analogs.data, written.analogs.data)
    assert (read.points is None) == (written.points is None)
    if written.points is not None:
        assert _identical(read.points.data, written.points.data)
        assert read.points.labels == written.points.labels
    assert read.markers.labels == written.markers.labels
    assert read.markers.prefixes == written.markers.prefixes
    assert read.analogs.labels == written.analogs.labels
    assert read.analogs.units == written.analogs.units
    assert len(read.forceplates) == len(written.forceplates)
    for a, b in zip(read.forceplates, written.forceplates, strict=True):
        for name in ("force", "moment", "cop", "free_moment", "corners"):
            assert _identical(getattr(a, name), getattr(b, name)), name
        assert (a.rate_hz, a.t0_s, a.plate_type, a.sign, a.notes) == (
            b.rate_hz,
            b.t0_s,
            b.plate_type,
            b.sign,
            b.notes,
        )
    assert read.events == written.events
    assert read.subject == written.subject
    assert _identical(read.up_axis, np.asarray(written.up_axis, dtype=float))
    assert read.source == written.source
    assert read.meta == written.meta


def _roundtrip(trial, tmp_path: Path):
    path = tmp_path / "t.h5"
    write_trial_file(path, trial, IDENTITY)
    return path, read_trial_file(path, c3d_parameters=True)


# ------------------------------------------------------------ losslessness


def test_demo_trials_round_trip_bit_for_bit(
    demo_files: list[Path], tmp_path: Path
) -> None:
    for c3d in demo_files:
        trial = read_c3d(c3d)
        path, read = _roundtrip(trial, tmp_path)
        _assert_same_trial(read, trial)
        with h5py.File(path, "r") as f:  # markers mm -> m: float32 mm x 1e-3
            header = json.loads(f.attrs["header"])
            assert f["markers"].dtype == np.float32, c3d.name
            assert header["markers"]["encoding"]["factors"] == [1e-3]


@pytest.mark.parametrize("name", SHARED_FILES)
def test_shared_files_round_trip_bit_for_bit(
    shared_data: Path, tmp_path: Path, name: str
) -> None:
    trial = read_c3d(shared_data / name)
    _, read = _roundtrip(trial, tmp_path)
    _assert_same_trial(read, trial)


def test_integer_c3d_file_round_trips_bit_for_bit(
    shared_data: Path, tmp_path: Path
) -> None:
    """Integer data scaled in float64: stored as whole numbers and factors."""
    files = sorted(shared_data.rglob("*.c3d"))
    trial = next(
        t
        for t in (read_c3d(p) for p in files if p.name.lower() == "pc_int.c3d")
        if t.source.storage == "integer"
    )
    path, read = _roundtrip(trial, tmp_path)
    _assert_same_trial(read, trial)
    with h5py.File(path, "r") as f:
        encoding = json.loads(f.attrs["header"])["markers"]["encoding"]
        stored = f["markers"][()]
        assert f["analogs"].dtype == np.float32  # with ANALOG:OFFSET and SCALEs
    assert len(encoding["factors"]) == 2  # POINT:SCALE, then mm -> m
    finite = stored[np.isfinite(stored)]
    assert finite.size
    assert np.array_equal(finite, np.rint(finite))


def test_each_array_is_stored_in_its_narrowest_exact_form(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    single = rng.normal(size=(50, 3)).astype(np.float32).astype(np.float64)
    single[3, 1] = np.nan
    single[4, 0] = -0.0  # the sign of zero is kept too
    millimetres = rng.normal(1000.0, 300.0, size=(50, 3)).astype(np.float32)
    metres = millimetres.astype(np.float64) * 1e-3
    computed = rng.normal(size=(50, 3))  # float64 with full mantissas
    integers = np.arange(6, dtype=np.int64)
    chain = (float(np.float32(0.0833333)), 1e-3)  # integer C3D: POINT:SCALE, mm
    whole = rng.integers(-32768, 32767, size=(50, 3)).astype(np.float64)
    whole[7, 2] = np.nan
    counts = (whole * chain[0]) * chain[1]  # what the C3D reader computes
    offsets = [2048.0, 0.0, -12.0]  # analog channels: per-channel offset, scale
    analog = ([0.00244140625, 0.1, float(np.float32(0.3))], 1.5)
    volts = ((whole - offsets) * analog[0]) * analog[1]
    writer = atomic_h5(tmp_path / "a.h5")
    with writer as f:
        encodings = {
            "single": put_encoded(writer, f, "single", single, (((1e-3,), 0.0),)),
            "metres": put_encoded(
                writer, f, "metres", metres, (((1e-3,), 0.0), ((1e-2,), 0.0))
            ),
            "computed": put_encoded(writer, f, "computed", computed, (((1e-3,), 0.0),)),
            "counts": put_encoded(
                writer, f, "counts", counts, (((1e-3,), 0.0), (chain, 0.0))
            ),
            "volts": put_encoded(writer, f, "volts", volts, ((analog, offsets),)),
            "integers": put_encoded(writer, f, "integers", integers),
        }
        f.attrs["gaitlab_format_version"] = 3
    with h5py.File(tmp_path / "a.h5", "r") as f:
        stored = {name: f[name].dtype for name in encodings}
    assert stored == {
        "single": np.float32,
        "metres": np.float32,
        "computed": np.float64,
        "counts": np.float32,
        "volts": np.float32,
        "integers": np.int64,
    }
    assert encodings["metres"]["factors"] == [1e-3]
    assert encodings["single"]["factors"] == []
    assert encodings["counts"]["factors"] == list(chain)
    from gaitlab.store._trialfile import decode

    with _integrity.open_checked(tmp_path / "a.h5") as r:
        back = {n: decode(r.array(r.root, n), e) for n, e in encodings.items()}
    assert _identical(back["single"], single)
    assert np.signbit(back["single"][4, 0])
    assert _identical(back["metres"], metres)
    assert _identical(back["computed"], computed)
    assert _identical(back["counts"], counts)
    assert _identical(back["volts"], volts)
    assert _identical(back["integers"], integers)


# ------------------------------------------------------------ size and layout


def test_demo_project_is_smaller_than_its_c3d_files(
    demo_files: list[Path], tmp_path: Path
) -> None:
    project = gaitlab.create_project(tmp_path / "p")
    events = list(project.import_files(demo_files, workers=1))
    assert not [e for e in events if e.kind == "refused"]
    stored = sum(p.stat().st_size for p in (tmp_path / "p" / "trials").glob("*.h5"))
    assert stored <= sum(p.stat().st_size for p in demo_files)


def test_a_trial_file_is_a_header_and_a_few_arrays(
    demo_files: list[Path], tmp_path: Path
) -> None:
    """Opening costs a fixed handful of reads, whatever the channel count."""
    c3d = next(p for p in demo_files if p.stem == "demo_overground_run")
    trial = read_c3d(c3d)
    path, _ = _roundtrip(trial, tmp_path)
    with h5py.File(path, "r") as f:
        assert set(f.attrs) == {
            "gaitlab_format",
            "gaitlab_format_version",
            "gaitlab_checksums",
            "header",
        }
        plates = {f"plate{k}" for k in range(len(trial.forceplates))}
        assert set(f) == {"markers", "analogs", "c3d_parameters"} | plates
        assert all(isinstance(f[name], h5py.Dataset) for name in f)
        assert str(hdf5plugin.ZSTD_ID) in f["markers"]._filters
    attrs = read_trial_attrs(path)
    assert attrs["trial_id"] == "t"
    assert attrs["source_sha256"] == trial.source.sha256
    assert attrs["gaitlab_format_version"] == FORMAT_VERSION


# ------------------------------------------------------------ checksums


def test_checksums_come_from_the_values_written_not_read_back(
    demo_files: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trial = read_c3d(next(p for p in demo_files if p.stem == "demo_overground_run"))
    reads: list[str] = []
    original = h5py.Dataset.__getitem__

    def counting(self, args, new_dtype=None):
        reads.append(self.name)
        return original(self, args, new_dtype)

    monkeypatch.setattr(h5py.Dataset, "__getitem__", counting)
    path = tmp_path / "t.h5"
    write_trial_file(path, trial, IDENTITY)
    assert reads == []  # sealing read no dataset back
    monkeypatch.undo()
    # the digests are those a full read-back gives (what readers verify)
    with h5py.File(path, "r") as f:
        stored = json.loads(f.attrs["gaitlab_checksums"])
    with h5py.File(path, "r+") as f:
        _integrity.seal(f)
        recomputed = json.loads(f.attrs["gaitlab_checksums"])
    assert stored == recomputed


# ------------------------------------------------------------ crafted files


@pytest.fixture
def trial_path(demo_files: list[Path], tmp_path: Path) -> Path:
    trial = read_c3d(next(p for p in demo_files if p.stem == "demo_static"))
    path = tmp_path / "t.h5"
    write_trial_file(path, trial, IDENTITY)
    return path


def test_a_huge_compressed_array_is_refused_not_allocated(trial_path: Path) -> None:
    """10^9 frames (408 GB) declared over one tiny compressed chunk."""
    with h5py.File(trial_path, "r+") as f:
        del f["markers"]
        dataset = f.create_dataset(
            "markers",
            shape=(10**9, 34, 3),
            chunks=(100, 34, 3),
            dtype=np.float32,
            **hdf5plugin.Blosc(cname="zstd", clevel=5, shuffle=1),
        )
        dataset[:100] = 0.0
    assert trial_path.stat().st_size < 1e6
    with pytest.raises(DamagedFileError, match=r"/markers declares .* compressed data"):
        read_trial_file(trial_path)


def test_a_huge_deflated_array_is_refused_not_allocated(trial_path: Path) -> None:
    with h5py.File(trial_path, "r+") as f:
        del f["analogs"]
        dataset = f.create_dataset(
            "analogs",
            shape=(10**10, 8),
            chunks=(1000, 8),
            dtype=np.float32,
            compression="gzip",
        )
        dataset[:1000] = 1.0
    with pytest.raises(DamagedFileError, match=r"/analogs declares .* compressed data"):
        read_trial_file(trial_path)


def test_a_compressed_chunk_declaring_more_than_its_chunk_is_refused(
    trial_path: Path,
) -> None:
    """The Zstandard filter allocates the content size a frame header
    declares: a header rewritten to declare 2^40 bytes is refused unread."""
    with h5py.File(trial_path, "r") as f:
        info = f["markers"].id.get_chunk_info(0)
    data = bytearray(trial_path.read_bytes())
    start = info.byte_offset
    # magic, descriptor (8-byte content size, single segment), content size
    data[start + 4 : start + 13] = bytes([0xE0]) + (2**40).to_bytes(8, "little")
    trial_path.write_bytes(bytes(data))
    with pytest.raises(DamagedFileError, match=r"chunk of .* declares 1099511627776"):
        read_trial_file(trial_path)


def test_a_compressed_chunk_that_is_no_zstd_frame_is_refused(trial_path: Path) -> None:
    with h5py.File(trial_path, "r") as f:
        info = f["markers"].id.get_chunk_info(0)
    data = bytearray(trial_path.read_bytes())
    data[info.byte_offset : info.byte_offset + 4] = b"XXXX"
    trial_path.write_bytes(bytes(data))
    with pytest.raises(DamagedFileError, match="damaged compressed chunk"):
        read_trial_file(trial_path)


def test_a_blosc_chunk_declaring_more_than_its_chunk_is_refused(
    trial_path: Path,
) -> None:
    """Trial files of format versions 3-4 are Blosc-compressed: the Blosc
    filter allocates what a chunk's own header declares."""
    with h5py.File(trial_path, "r+") as f:
        values = f["markers"][()]
        del f["markers"]
        f.create_dataset(
            "markers",
            data=values,
            chunks=values.shape,
            **hdf5plugin.Blosc(cname="zstd", clevel=3, shuffle=1),
        )
    with h5py.File(trial_path, "r") as f:
        info = f["markers"].id.get_chunk_info(0)
    data = bytearray(trial_path.read_bytes())
    data[info.byte_offset + 4 : info.byte_offset + 8] = (2**31 - 1).to_bytes(
        4, "little"
    )
    trial_path.write_bytes(bytes(data))
    with pytest.raises(DamagedFileError, match=r"chunk of .* declares 2147483647"):
        read_trial_file(trial_path)


def test_a_filter_gaitlab_does_not_write_is_refused(trial_path: Path) -> None:
    with h5py.File(trial_path, "r+") as f:
        values = f["analogs"][()]
        del f["analogs"]
        f.create_dataset("analogs", data=values, compression="lzf")
    with pytest.raises(DamagedFileError, match="filters gaitlab does not write"):
        read_trial_file(trial_path)


def test_an_array_zstd_shrinks_too_far_is_deflated_and_opens(
    demo_files: list[Path], tmp_path: Path
) -> None:
    """All-NaN markers compress beyond what readers accept from Zstandard."""
    trial = read_c3d(next(p for p in demo_files if p.stem == "demo_static"))
    long_nan = np.full((20000, 40, 3), np.nan)
    trial.markers = type(trial.markers)(
        data=long_nan,
        labels=tuple(f"m{i}" for i in range(40)),
        prefixes=("",) * 40,
        rate_hz=trial.markers.rate_hz,
        t0_s=0.0,
        original_unit="mm",
    )
    path, read = _roundtrip(trial, tmp_path)
    with h5py.File(path, "r") as f:
        assert f["markers"].compression == "gzip"
    assert _identical(read.markers.data, long_nan)


# ------------------------------------------------------------ old formats


def test_format_2_trial_files_still_open(
    demo_files: list[Path], tmp_path: Path
) -> None:
    """The format-2 fixture project (tests/data) holds v2 trial files."""
    folders = sorted(
        (Path(__file__).resolve().parents[1] / "data").glob("project-format2-*")
    )
    assert folders, "no format-2 project in tests/data"
    for trial_file in (folders[0] / "trials").glob("*.h5"):
        assert read_trial_attrs(trial_file)["gaitlab_format_version"] == 2
        trial = read_trial_file(trial_file, c3d_parameters=True)
        assert trial.markers.data.dtype == np.float64
        assert trial.markers.data.shape[1] == len(trial.markers.labels)


# ------------------------------------------------------------ import


def test_import_writes_the_index_once_not_per_trial(
    demo_files: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gaitlab.store import importing
    from gaitlab.store import project as project_module

    monkeypatch.setattr(importing, "_INDEX_INTERVAL_S", 3600.0)
    project = gaitlab.create_project(tmp_path / "p")
    writes: list[int] = []
    original = project_module.Project._write_index

    def counting(self) -> None:
        writes.append(len(self.trial_ids))
        original(self)

    monkeypatch.setattr(project_module.Project, "_write_index", counting)
    events = list(project.import_files(demo_files, workers=1))
    assert [e.kind for e in events].count("imported") == len(demo_files)
    assert writes == [len(demo_files)]
    assert sorted(gaitlab.open_project(tmp_path / "p").trial_ids) == sorted(
        project.trial_ids
    )


def test_an_import_stopped_early_indexes_what_it_committed(
    demo_files: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gaitlab.store import importing

    monkeypatch.setattr(importing, "_INDEX_INTERVAL_S", 3600.0)
    project = gaitlab.create_project(tmp_path / "p")
    events = project.import_files(demo_files, workers=1)
    first = next(e for e in events if e.kind == "imported")
    events.close()  # the consumer stops (a cancelled import)
    reopened = gaitlab.open_project(tmp_path / "p")
    assert first.trial_id in reopened.trial_ids
    assert not reopened.problems  # indexed, not recovered as an orphan


def test_a_compressed_array_with_chunks_larger_than_itself_is_refused(
    trial_path: Path,
) -> None:
    """A deflate filter allocates a whole chunk: 2 million values for 10."""
    with h5py.File(trial_path, "r+") as f:
        del f["analogs"]
        dataset = f.create_dataset(
            "analogs",
            shape=(10,),
            maxshape=(None,),
            chunks=(2 * 10**6,),
            dtype=np.float64,
            compression="gzip",
        )
        dataset[:] = 1.0
    with pytest.raises(DamagedFileError, match=r"/analogs declares chunks of"):
        read_trial_file(trial_path)
