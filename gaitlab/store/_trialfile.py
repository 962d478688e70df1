"""One trial in one HDF5 file: write atomically, read back into a Trial.

Layout of ``trials/<trial_id>.h5`` (format version in ``schema``)::

    /                 attrs: gaitlab_format, gaitlab_format_version, trial_id,
                      subject_id, session, condition, label, up_axis,
                      up_axis_method, source_* , imported_utc, meta (JSON)
    /markers          data (n_frames, n_markers, 3) float64 [m]; labels; prefixes
                      attrs: rate_hz, t0_s, unit="m", original_unit
    /points           (optional) model outputs: data, labels, kinds, units
    /analogs          data (n_samples, n_channels); labels; units; attrs rate_hz, t0_s
    /forceplates/<k>  force, moment, cop (n, 3); free_moment (n,); corners (4, 3)
                      attrs: rate_hz, t0_s, plate_type, sign, cop_threshold_n, notes
    /events           time_s, label, context, origin (one entry per event)
    /subject          attrs: the subject data found in the file
    /c3d_parameters   the file's whole parameter tree, JSON string

Files are written to ``<name>.tmp`` in the same folder, flushed, fsynced and
renamed over the target, so a crash leaves the old file or the new one.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

import h5py
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
from gaitlab.store._integrity import LIBVER, CheckedReader, Node, open_checked, seal
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


class atomic_h5:  # noqa: N801 - used like open()
    """Context manager writing an HDF5 file atomically (tmp + fsync + rename).

    The file is built in memory, sealed with its checksums
    (:func:`~gaitlab.store._integrity.seal`), then written to ``<path>.tmp``
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
        seal(self.file)
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
    with atomic_h5(path, rename=rename) as f:
        f.attrs["gaitlab_format"] = TRIAL_FORMAT_NAME
        f.attrs["gaitlab_format_version"] = FORMAT_VERSION
        for key, value in attrs.items():
            f.attrs[key] = value
        f.attrs["label"] = trial.label
        f.attrs["up_axis"] = trial.up_axis
        f.attrs["up_axis_method"] = trial.up_axis_method
        for key in ("path", "sha256", "reader", "processor", "storage"):
            f.attrs[f"source_{key}"] = getattr(trial.source, key)
        meta = {k: v for k, v in trial.meta.items() if k != "c3d_parameters"}
        f.attrs["meta"] = json.dumps(meta, sort_keys=True)
        markers = f.create_group("markers")
        markers["data"] = trial.markers.data
        markers["labels"] = np.array(trial.markers.labels, dtype=_STR)
        markers["prefixes"] = np.array(trial.markers.prefixes, dtype=_STR)
        _rate_attrs(markers, trial.markers.rate_hz, trial.markers.t0_s)
        markers.attrs["unit"] = "m"
        markers.attrs["original_unit"] = trial.markers.original_unit
        if trial.points is not None:
            points = f.create_group("points")
            points["data"] = trial.points.data
            for name in ("labels", "kinds", "units"):
                points[name] = np.array(getattr(trial.points, name), dtype=_STR)
            _rate_attrs(points, trial.points.rate_hz, trial.points.t0_s)
        analogs = f.create_group("analogs")
        analogs["data"] = trial.analogs.data
        analogs["labels"] = np.array(trial.analogs.labels, dtype=_STR)
        analogs["units"] = np.array(trial.analogs.units, dtype=_STR)
        _rate_attrs(analogs, trial.analogs.rate_hz, trial.analogs.t0_s)
        plates = f.create_group("forceplates")
        for k, plate in enumerate(trial.forceplates):
            group = plates.create_group(str(k))
            for name in ("force", "moment", "cop", "free_moment", "corners"):
                group[name] = getattr(plate, name)
            _rate_attrs(group, plate.rate_hz, plate.t0_s)
            group.attrs["plate_type"] = plate.plate_type
            group.attrs["sign"] = plate.sign
            group.attrs["cop_threshold_n"] = plate.cop_threshold_n
            group.attrs["notes"] = json.dumps(list(plate.notes))
        _write_events(f, trial.events)
        subject = f.create_group("subject")
        if trial.subject is not None:
            subject.attrs["json"] = json.dumps(_subject_to_dict(trial.subject))
        f["c3d_parameters"] = trial.meta.get("c3d_parameters", "{}")


def read_trial_attrs(path: Path) -> dict[str, Any]:
    """The root attributes of a trial file (identity, source), without arrays.

    Raises
    ------
    DamagedFileError
        When the file is damaged (see :mod:`gaitlab.store._integrity`).
    """
    with open_checked(path) as reader:
        _check_kind(reader, TRIAL_FORMAT_NAME)
        return dict(reader.root_attrs)


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
        trial = Trial(
            markers=markers,
            analogs=analogs,
            forceplates=tuple(plates),
            events=tuple(events),
            subject=subject,
            up_axis=np.asarray(attrs["up_axis"], dtype=float),
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
    return trial


def write_events_file(path: Path, events: tuple[Event, ...] | list[Event]) -> None:
    """Write a user-edited event table atomically."""
    with atomic_h5(path) as f:
        f.attrs["gaitlab_format"] = TRIAL_FORMAT_NAME
        f.attrs["gaitlab_format_version"] = FORMAT_VERSION
        _write_events(f, events)


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


def _write_events(f: h5py.File, events: tuple[Event, ...] | list[Event]) -> None:
    group = f.create_group("events")
    group["time_s"] = np.array([e.time_s for e in events], dtype=float)
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
