"""One trial in one HDF5 file: write atomically, read back into a Trial.

Layout of ``trials/<trial_id>.h5`` since format version 3 (see ``schema``)::

    /                 attrs: gaitlab_format, gaitlab_format_version,
                      gaitlab_checksums, header (JSON, below)
    /markers          (n_frames, n_markers, 3) [m], stored encoded
    /points           (optional) model outputs (n_frames, n_points, 3)
    /analogs          (n_samples, n_channels)
    /plate<k>         (n_samples, 10): force (3) [N], moment (3) [N m],
                      COP (3) [m], free moment (1) [N m] of plate k
    /c3d_parameters   the file's whole parameter tree: JSON, UTF-8 bytes

The ``header`` holds everything else in one read: ``attrs`` (trial_id,
subject_id, session, condition, label, imported_utc, up_axis_method,
source_*), ``meta``, ``up_axis``, ``subject``, ``events`` ([time_s, label,
context, origin] each), and for markers, points, analogs and each plate its
labels, rates, units and encoding. Arrays are stored losslessly in the
narrowest form that gives back the exact float64 values (bit for bit; NaN
stays NaN): float32 when every value is a float32 (what a floating-point
C3D file holds), float32 values times factors (markers converted from mm
or cm to m: ``float64(stored) * 1e-3``; markers of an integer C3D file:
``(float64(whole numbers) * POINT:SCALE) * 1e-3``), float64 otherwise (values
computed from the file, such as force-plate wrenches and scaled analogs). Arrays are chunked
and compressed with Zstandard (the ``hdf5plugin`` filter, level 1; Blosc
with zstd and byte shuffle in format versions 3 and 4): smaller than
shuffle + gzip and several times faster to decompress, which keeps opening a
long trial >= 10x faster than parsing its C3D file.

Format versions 1 and 2 (one dataset or attribute per field, float64 arrays,
uncompressed: the layout of :func:`_read_trial_v2`) still open.

Files are written to ``<name>.tmp`` in the same folder, flushed, fsynced and
renamed over the target, so a crash leaves the old file or the new one.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import h5py
import hdf5plugin
import numpy as np

from gaitlab.core.errors import ProjectError
from gaitlab.core.trial import (
    AnalogSet,
    Event,
    ForcePlate,
    MarkerSet,
    PointSeries,
    SourceInfo,
    Subject,
    Trial,
)
from gaitlab.store._integrity import (
    LIBVER,
    MAX_RATIO,
    CheckedReader,
    Node,
    open_checked,
    seal,
    value_digest,
)
from gaitlab.store.schema import FORMAT_VERSION, TRIAL_FORMAT_NAME

__all__ = [
    "atomic_h5",
    "read_events_file",
    "read_trial_attrs",
    "read_trial_file",
    "write_events_file",
    "write_trial_file",
]

_STR = h5py.string_dtype()

_LEAN_VERSION = 3
"""First format version with the lean trial layout (header + encoded arrays)."""

_UNIT_SCALES = (1e-3, 1e-2)
"""Factors the C3D reader converts marker lengths to metres with (mm, cm)."""

_ZSTD = hdf5plugin.Zstd(clevel=1)
"""Zstandard, level 1 (format version 5): the shared test set's trial files
take 0.96 of its C3D files and are written in 0.65 of the time Blosc (zstd
level 3, byte shuffle; versions 3-4, still read) took, at 0.98 (measured on
the 39 shared files, one thread: 346 vs 527 ms). Blosc at zstd level 1 or 2
is as fast but larger than the C3D files (1.04, 1.00); Blosc2 is as small
but stores frames whose sizes the reader could not check before
decompressing."""

_DEFLATE = {"compression": "gzip", "compression_opts": 4, "shuffle": True}
"""For the rare array Zstandard compresses beyond :data:`MAX_RATIO` (all NaN)."""

_CHUNK_BYTES = 4 * 2**20  # the arrays of a trial are read whole
_PLATE_FIELDS = (("force", 3), ("moment", 3), ("cop", 3), ("free_moment", 1))


class atomic_h5:  # noqa: N801 - used like open()
    """Context manager writing an HDF5 file atomically (tmp + fsync + rename).

    The file is built in memory, sealed with its checksums
    (:func:`~gaitlab.store._integrity.seal`; those of datasets written with
    :func:`put` come from the values written, the others are read back), then
    written to ``<path>.tmp``
    in one write. If anything fails (an exception in the block, a full disk,
    a file-size limit), the temporary file is removed, the previous file is
    left as it was, and a write failure is raised as a
    :class:`~gaitlab.core.errors.ProjectError` naming the file.

    Parameters
    ----------
    path : Path
        Final file name.
    rename : bool
        If False, leave the finished file at ``<path>.tmp`` for the caller to
        rename (used by import workers, whose parent commits the file).
    """

    def __init__(self, path: Path, *, rename: bool = True) -> None:
        self.path = Path(path)
        self.tmp = self.path.with_name(self.path.name + ".tmp")
        self.rename = rename
        self.file: h5py.File | None = None
        self.digests: dict[str, str] = {}
        """Checksums of the datasets written with :func:`put` (not read back)."""

    def __enter__(self) -> h5py.File:
        # Built in memory, then written in one go by Python: a full disk or a
        # file-size limit then fails one plain write, never HDF5 half-way.
        self.file = h5py.File(
            self.tmp, "w", driver="core", backing_store=False, libver=LIBVER
        )
        return self.file

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        assert self.file is not None
        if exc_type is not None:
            with contextlib.suppress(Exception):
                self.file.close()
            return
        seal(self.file, self.digests)
        self.file.flush()
        image = self.file.id.get_file_image()
        self.file.close()
        try:
            with open(self.tmp, "wb") as out:
                out.write(image)
                out.flush()
                os.fsync(out.fileno())
            if self.rename:
                self.tmp.replace(self.path)
        except OSError as error:
            self.tmp.unlink(missing_ok=True)
            raise _write_error(self.path, error) from None
        except BaseException:
            self.tmp.unlink(missing_ok=True)
            raise


def _write_error(path: Path, error: OSError) -> ProjectError:
    """The error for a file that could not be written (disk full, size limit...)."""
    reason = os.strerror(error.errno) if error.errno else str(error)
    return ProjectError(
        f"{path}: could not be written ({reason.strip()}); the previous version "
        "is kept. Free disk space or check the folder's permissions and quotas."
    )


def write_trial_file(
    path: Path, trial: Trial, attrs: dict[str, Any], *, rename: bool = True
) -> None:
    """Write a trial (raw data, write-once) to ``path`` atomically.

    Parameters
    ----------
    path : Path
        Target ``trials/<trial_id>.h5``.
    trial : Trial
        The trial read from its C3D file.
    attrs : dict
        Identity attributes: trial_id, subject_id, session, condition,
        imported_utc.
    rename : bool
        See :class:`atomic_h5`.
    """
    writer = atomic_h5(path, rename=rename)
    with writer as f:
        f.attrs["gaitlab_format"] = TRIAL_FORMAT_NAME
        f.attrs["gaitlab_format_version"] = FORMAT_VERSION
        identity = {
            **attrs,
            "label": trial.label,
            "up_axis_method": trial.up_axis_method,
        }
        for key in ("path", "sha256", "reader", "processor", "storage"):
            identity[f"source_{key}"] = getattr(trial.source, key)
        m = trial.markers
        header: dict[str, Any] = {
            "attrs": identity,
            "meta": {k: v for k, v in trial.meta.items() if k != "c3d_parameters"},
            "up_axis": np.asarray(trial.up_axis, dtype=float).tolist(),
            "subject": None
            if trial.subject is None
            else _subject_to_dict(trial.subject),
            "events": [[e.time_s, e.label, e.context, e.origin] for e in trial.events],
            "markers": {
                "encoding": put_encoded(
                    writer, f, "markers", m.data, _marker_chains(trial)
                ),
                "labels": list(m.labels),
                "prefixes": list(m.prefixes),
                "rate_hz": m.rate_hz,
                "t0_s": m.t0_s,
                "original_unit": m.original_unit,
            },
            "points": None,
            "forceplates": [],
        }
        if trial.points is not None:
            p = trial.points
            header["points"] = {
                "encoding": put_encoded(writer, f, "points", p.data),
                "labels": list(p.labels),
                "kinds": list(p.kinds),
                "units": list(p.units),
                "rate_hz": p.rate_hz,
                "t0_s": p.t0_s,
            }
        a = trial.analogs
        header["analogs"] = {
            "encoding": put_encoded(
                writer, f, "analogs", a.data, _analog_chains(trial)
            ),
            "labels": list(a.labels),
            "units": list(a.units),
            "rate_hz": a.rate_hz,
            "t0_s": a.t0_s,
        }
        for k, plate in enumerate(trial.forceplates):
            wrench = np.column_stack(
                [
                    np.asarray(getattr(plate, name), dtype=float).reshape(-1, width)
                    for name, width in _PLATE_FIELDS
                ]
            )
            header["forceplates"].append(
                {
                    "encoding": put_encoded(writer, f, f"plate{k}", wrench),
                    "corners": np.asarray(plate.corners, dtype=float).tolist(),
                    "rate_hz": plate.rate_hz,
                    "t0_s": plate.t0_s,
                    "plate_type": int(plate.plate_type),
                    "sign": int(plate.sign),
                    "cop_threshold_n": float(plate.cop_threshold_n),
                    "notes": list(plate.notes),
                }
            )
        f.attrs["header"] = json.dumps(header, sort_keys=True)
        parameters = trial.meta.get("c3d_parameters", "{}")
        put(writer, f, "c3d_parameters", _text_bytes(parameters), compress=True)


def put(
    writer: atomic_h5,
    group: h5py.Group,
    name: str,
    value: np.ndarray,
    *,
    compress: bool = False,
) -> None:
    """Write a numeric array as dataset ``name`` of ``group``, with its checksum.

    The checksum is computed from ``value`` itself (what a reader gets back),
    so sealing the file need not read it back.

    Parameters
    ----------
    writer : atomic_h5
        The file being written (collects the checksums).
    group : h5py.Group
        Where to write.
    name : str
        Dataset name.
    value : ndarray
        Numeric values, stored with their dtype.
    compress : bool
        Chunk and compress (non-empty arrays): Zstandard, or shuffle +
        deflate for an array Zstandard would shrink more than
        :data:`~gaitlab.store._integrity.MAX_RATIO` times.
    """
    value = np.ascontiguousarray(value)
    if value.dtype.kind not in "biuf":
        raise TypeError(f"{name}: not a numeric array ({value.dtype})")
    if compress and value.size:
        row_bytes = value.nbytes // value.shape[0]
        rows = max(1, min(value.shape[0], _CHUNK_BYTES // max(row_bytes, 1)))
        chunks = (rows, *value.shape[1:])
        dataset = group.create_dataset(name, data=value, chunks=chunks, **_ZSTD)
        dataset.flush()  # compresses the chunks now: their stored size is known
        if value.nbytes > dataset.id.get_storage_size() * MAX_RATIO:
            del group[name]  # deflate never expands more than readers accept
            group.create_dataset(name, data=value, chunks=chunks, **_DEFLATE)
    else:
        group.create_dataset(name, data=value)
    writer.digests[f"{group.name.rstrip('/')}/{name}"] = value_digest(value)


Chain = tuple[tuple[Any, ...], Any]
"""Candidate factors ``(f1, f2, ...)`` and offset: values are taken to be
``((float64(stored) - offset) * f1) * f2 ...``; a factor or the offset is a
number or one number per column (the last axis)."""


def put_encoded(
    writer: atomic_h5,
    group: h5py.Group,
    name: str,
    values: np.ndarray,
    chains: tuple[Chain, ...] = (),
) -> dict[str, Any]:
    """Write float64 ``values`` in their narrowest exact form, compressed.

    Returns the encoding to store in the header (see :func:`decode`): float32
    when every value is a float32; else, for the first of ``chains`` that
    gives every value back bit for bit (NaN stays NaN), float32 values (or
    whole numbers) ``s`` with ``values == ((float64(s) - offset) * f1) * f2
    ...``; else the values as they are. Non-float arrays are stored as they
    are.
    """
    values = np.asarray(values)
    factors: list[Any] = []
    stored, offset = values, 0.0
    if values.dtype == np.float64 and values.size:
        stored, factors, offset = _narrowest(values, chains)
    put(writer, group, name, stored, compress=True)
    return {"dtype": values.dtype.str, "factors": factors, "offset": offset}


def decode(stored: np.ndarray, encoding: dict[str, Any]) -> np.ndarray:
    """The array written by :func:`put_encoded` from its stored form."""
    return _apply(
        stored.astype(np.dtype(encoding["dtype"]), copy=False),
        encoding["factors"],
        encoding["offset"],
    )


def _apply(values: np.ndarray, factors: list[Any], offset: Any) -> np.ndarray:
    if not isinstance(offset, float) or offset != 0.0:
        values = values - np.asarray(offset, dtype=float)
    for factor in factors:
        values = values * np.asarray(factor, dtype=float)
    return values


def _narrowest(
    values: np.ndarray, chains: tuple[Chain, ...]
) -> tuple[np.ndarray, list[Any], Any]:
    """float32 values (factors, offset) giving back ``values`` exactly, else them."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        single = values.astype(np.float32)
        if _identical(single.astype(np.float64), values):
            return single, [], 0.0
        for factors, offset in chains:
            scaled = values
            for factor in reversed(factors):
                scaled = scaled / np.asarray(factor, dtype=float)
            scaled = scaled + np.asarray(offset, dtype=float)
            for single in (
                scaled.astype(np.float32),
                np.rint(scaled, dtype=np.float32),
            ):
                back = _apply(single.astype(np.float64), list(factors), offset)
                if _identical(back, values):
                    return single, list(factors), offset
    return values, [], 0.0


def _marker_chains(trial: Trial) -> tuple[Chain, ...]:
    """Factors the C3D reader may have made marker metres with.

    Floating-point files: float32 lengths x unit (mm or cm to m). Integer
    files: whole numbers x ``POINT:SCALE`` x unit, in that order.
    """
    chains: list[Chain] = [((unit,), 0.0) for unit in _UNIT_SCALES]
    if trial.source.storage == "integer":
        point = _parameters(trial).get("POINT", {})
        with contextlib.suppress(ValueError, KeyError, TypeError, IndexError):
            scale = abs(float(np.ravel(point["SCALE"])[0]))
            if scale > 0.0:
                chains += [((scale, unit), 0.0) for unit in _UNIT_SCALES]
    return tuple(chains)


def _analog_chains(trial: Trial) -> tuple[Chain, ...]:
    """How the C3D reader may have scaled the analog channels: per channel,
    ``((stored - ANALOG:OFFSET) * ANALOG:SCALE) * ANALOG:GEN_SCALE``."""
    analog = _parameters(trial).get("ANALOG", {})
    n = trial.analogs.data.shape[-1]
    try:
        scale = np.resize(np.ravel(np.asarray(analog["SCALE"], dtype=float)), n)
        offset = np.resize(np.ravel(np.asarray(analog["OFFSET"], dtype=float)), n)
        general = float(np.ravel(np.asarray(analog["GEN_SCALE"], dtype=float))[0])
    except (ValueError, KeyError, TypeError, IndexError):
        return ()
    return (((scale.tolist(), general), offset.tolist()),)


def _parameters(trial: Trial) -> dict[str, Any]:
    """The C3D parameter tree the trial was read with (empty if unreadable)."""
    try:
        tree = json.loads(trial.meta.get("c3d_parameters", "{}"))
    except ValueError:
        return {}
    return tree if isinstance(tree, dict) else {}


def _identical(a: np.ndarray, b: np.ndarray) -> bool:
    """Bit-for-bit equal float64 arrays, any NaN equal to any NaN."""
    same = a.view(np.int64) == b.view(np.int64)
    return bool(np.all(same | (np.isnan(a) & np.isnan(b))))


def _text_bytes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-8", errors="surrogateescape"), np.uint8)


def read_trial_attrs(path: Path) -> dict[str, Any]:
    """The root attributes of a trial file (identity, source), without arrays.

    Since format 3 the identity lives in the header; it is returned merged
    with the root attributes, under the same names as before.

    Raises
    ------
    DamagedFileError
        When the file is damaged (see :mod:`gaitlab.store._integrity`).
    """
    with open_checked(path) as reader:
        _check_kind(reader, TRIAL_FORMAT_NAME)
        attrs = dict(reader.root_attrs)
        if reader.version >= _LEAN_VERSION:
            attrs.update(_header(reader)["attrs"])
        return attrs


def read_trial_file(path: Path, *, c3d_parameters: bool = False) -> Trial:
    """Read a trial file back into a :class:`Trial`.

    Parameters
    ----------
    path : Path
        The trial file.
    c3d_parameters : bool
        Also load the C3D parameter tree into ``meta["c3d_parameters"]``
        (a JSON string; skipped by default because it is only for reference).

    Returns
    -------
    trial : Trial
        The trial, exactly as written.

    Raises
    ------
    DamagedFileError
        When the file is damaged: a declared size larger than the file, a
        checksum mismatch, a missing part (see :mod:`gaitlab.store._integrity`).
    """
    with open_checked(path) as r:
        _check_kind(r, TRIAL_FORMAT_NAME)
        if r.version < _LEAN_VERSION:
            return _read_trial_v2(r, c3d_parameters)
        return _read_trial_v3(r, c3d_parameters)


def _header(r: CheckedReader) -> dict[str, Any]:
    """The JSON header of a format-3 trial file (checksummed with the root)."""
    text = r.root_attrs.get("header")
    if not isinstance(text, str):
        raise r.damaged("its header is missing")
    try:
        header = json.loads(text)
    except ValueError:
        raise r.damaged("its header is unreadable") from None
    if not isinstance(header, dict):
        raise r.damaged("its header is unreadable")
    return header


def _read_trial_v3(r: CheckedReader, c3d_parameters: bool) -> Trial:
    header = _header(r)
    root = r.root

    def data(name: str, part: dict[str, Any]) -> np.ndarray:
        return decode(r.array(root, name), part["encoding"])

    m = header["markers"]
    markers = MarkerSet(
        data=data("markers", m),
        labels=tuple(m["labels"]),
        prefixes=tuple(m["prefixes"]),
        rate_hz=float(m["rate_hz"]),
        t0_s=float(m["t0_s"]),
        original_unit=str(m["original_unit"]),
    )
    points = None
    if (p := header["points"]) is not None:
        points = PointSeries(
            data=data("points", p),
            labels=tuple(p["labels"]),
            kinds=tuple(p["kinds"]),
            units=tuple(p["units"]),
            rate_hz=float(p["rate_hz"]),
            t0_s=float(p["t0_s"]),
        )
    a = header["analogs"]
    analogs = AnalogSet(
        data=data("analogs", a),
        labels=tuple(a["labels"]),
        units=tuple(a["units"]),
        rate_hz=float(a["rate_hz"]),
        t0_s=float(a["t0_s"]),
    )
    plates = []
    for k, g in enumerate(header["forceplates"]):
        wrench = data(f"plate{k}", g)
        if wrench.ndim != 2 or wrench.shape[1] != 10:
            raise r.damaged(f"/plate{k} is not a (n, 10) array")
        plates.append(
            ForcePlate(
                force=wrench[:, 0:3].copy(),
                moment=wrench[:, 3:6].copy(),
                cop=wrench[:, 6:9].copy(),
                free_moment=wrench[:, 9].copy(),
                corners=np.asarray(g["corners"], dtype=float),
                rate_hz=float(g["rate_hz"]),
                t0_s=float(g["t0_s"]),
                plate_type=int(g["plate_type"]),
                sign=int(g["sign"]),
                cop_threshold_n=float(g["cop_threshold_n"]),
                notes=tuple(g["notes"]),
            )
        )
    events = [
        Event(time_s=float(t), label=label, context=context, origin=origin)
        for t, label, context, origin in header["events"]
    ]
    subject = header["subject"]
    meta = header["meta"]
    if c3d_parameters:
        meta["c3d_parameters"] = (
            r.array(root, "c3d_parameters")
            .tobytes()
            .decode("utf-8", errors="surrogateescape")
        )
    attrs = header["attrs"]
    return _assemble(
        attrs,
        markers=markers,
        analogs=analogs,
        plates=plates,
        events=events,
        subject=None if subject is None else _subject_from_dict(subject),
        up_axis=header["up_axis"],
        points=points,
        meta=meta,
    )


def _read_trial_v2(r: CheckedReader, c3d_parameters: bool) -> Trial:
    """A trial file of format 1 or 2 (one dataset or attribute per field)."""
    attrs = r.root_attrs
    f = r.root
    m = r.group(f, "markers")
    m_attrs = r.attrs(m)
    markers = MarkerSet(
        data=r.array(m, "data"),
        labels=r.strings(m, "labels"),
        prefixes=r.strings(m, "prefixes"),
        rate_hz=float(m_attrs["rate_hz"]),
        t0_s=float(m_attrs["t0_s"]),
        original_unit=str(m_attrs["original_unit"]),
    )
    points = None
    if "points" in r.f:
        p = r.group(f, "points")
        p_attrs = r.attrs(p)
        points = PointSeries(
            data=r.array(p, "data"),
            labels=r.strings(p, "labels"),
            kinds=r.strings(p, "kinds"),
            units=r.strings(p, "units"),
            rate_hz=float(p_attrs["rate_hz"]),
            t0_s=float(p_attrs["t0_s"]),
        )
    a = r.group(f, "analogs")
    a_attrs = r.attrs(a)
    analogs = AnalogSet(
        data=r.array(a, "data"),
        labels=r.strings(a, "labels"),
        units=r.strings(a, "units"),
        rate_hz=float(a_attrs["rate_hz"]),
        t0_s=float(a_attrs["t0_s"]),
    )
    plates = []
    group = r.group(f, "forceplates")
    for k in range(len(group.obj)):
        g = r.group(group, str(k))
        g_attrs = r.attrs(g)
        plates.append(
            ForcePlate(
                force=r.array(g, "force"),
                moment=r.array(g, "moment"),
                cop=r.array(g, "cop"),
                free_moment=r.array(g, "free_moment"),
                corners=r.array(g, "corners"),
                rate_hz=float(g_attrs["rate_hz"]),
                t0_s=float(g_attrs["t0_s"]),
                plate_type=int(g_attrs["plate_type"]),
                sign=int(g_attrs["sign"]),
                cop_threshold_n=float(g_attrs["cop_threshold_n"]),
                notes=tuple(json.loads(g_attrs["notes"])),
            )
        )
    events = _read_events(r, f)
    subject_json = r.attrs(r.group(f, "subject")).get("json")
    subject = _subject_from_dict(json.loads(subject_json)) if subject_json else None
    meta = json.loads(attrs["meta"])
    if c3d_parameters:
        meta["c3d_parameters"] = r.text(f, "c3d_parameters")
    return _assemble(
        attrs,
        markers=markers,
        analogs=analogs,
        plates=plates,
        events=events,
        subject=subject,
        up_axis=attrs["up_axis"],
        points=points,
        meta=meta,
    )


def _assemble(
    attrs: Mapping[str, Any],
    *,
    markers: MarkerSet,
    analogs: AnalogSet,
    plates: list[ForcePlate],
    events: list[Event],
    subject: Subject | None,
    up_axis: Any,
    points: Any,
    meta: dict[str, Any],
) -> Trial:
    """A trial from its parts and its identity/source attributes (every format)."""
    return Trial(
        markers=markers,
        analogs=analogs,
        forceplates=tuple(plates),
        events=tuple(events),
        subject=subject,
        up_axis=np.asarray(up_axis, dtype=float),
        up_axis_method=attrs["up_axis_method"],
        points=points,
        source=SourceInfo(
            **{
                key: attrs[f"source_{key}"]
                for key in ("path", "sha256", "reader", "processor", "storage")
            }
        ),
        meta=meta,
        id=attrs.get("trial_id", ""),
        subject_id=attrs.get("subject_id", ""),
        session=attrs.get("session", ""),
        condition=attrs.get("condition", ""),
        label=attrs.get("label", ""),
    )


def write_events_file(path: Path, events: tuple[Event, ...] | list[Event]) -> None:
    """Write a user-edited event table atomically."""
    writer = atomic_h5(path)
    with writer as f:
        f.attrs["gaitlab_format"] = TRIAL_FORMAT_NAME
        f.attrs["gaitlab_format_version"] = FORMAT_VERSION
        _write_events(writer, f, events)


def read_events_file(path: Path) -> list[Event]:
    """Read an event table written by :func:`write_events_file`.

    Raises
    ------
    DamagedFileError
        When the file is damaged.
    """
    with open_checked(path) as r:
        _check_kind(r, TRIAL_FORMAT_NAME)
        return _read_events(r, r.root)


# ------------------------------------------------------------------ helpers


def _write_events(
    writer: atomic_h5, f: h5py.Group, events: tuple[Event, ...] | list[Event]
) -> None:
    group = f.create_group("events")
    put(writer, group, "time_s", np.array([e.time_s for e in events], dtype=float))
    for name in ("label", "context", "origin"):
        group[name] = np.array([getattr(e, name) for e in events], dtype=_STR)


def _read_events(r: CheckedReader, parent: Node) -> list[Event]:
    group = r.group(parent, "events")
    times = r.array(group, "time_s")
    labels, contexts, origins = (
        r.strings(group, n) for n in ("label", "context", "origin")
    )
    return [
        Event(time_s=float(t), label=label, context=context, origin=origin)
        for t, label, context, origin in zip(
            times, labels, contexts, origins, strict=True
        )
    ]


def _rate_attrs(group: h5py.Group, rate_hz: float, t0_s: float) -> None:
    group.attrs["rate_hz"] = rate_hz
    group.attrs["t0_s"] = t0_s


def _check_kind(reader: CheckedReader, kind: str) -> None:
    """Refuse a gaitlab file of another kind (a results file as a trial...)."""
    found = reader.root_attrs.get("gaitlab_format")
    if found is not None and found != kind:
        raise ProjectError(f"{reader.path}: a {found!r} file, not a {kind!r} file")


def _subject_to_dict(subject: Subject) -> dict[str, Any]:
    return {
        "id": subject.id,
        "label": subject.label,
        "mass_kg": subject.mass_kg,
        "height_m": subject.height_m,
        "sex": subject.sex,
        "leg_length_m": subject.leg_length_m,
        "extra": subject.extra,
    }


def _subject_from_dict(data: dict[str, Any]) -> Subject:
    return Subject(**data)
