"""Export one trial for other tools: OpenSim (TRC, MOT, ExternalLoads XML), MATLAB, C3D.

The formats are a registry (:func:`register_trial_writer`,
:func:`trial_export_formats`, :func:`trial_writer`): each
:class:`TrialWriter` takes a trial and plain data (:class:`TrialExportData`:
results, freshness, OpenSim axes, centre of mass) and writes its files.
Gathering that data from a project is the pipeline's part
(:func:`gaitlab.pipeline.trial_export.export_trial`).

* **TRC** (markers) and **MOT** (force plates) are rotated into OpenSim's
  axes: ``Y`` = the lab's upward vertical (``Trial.up_axis``), ``X`` = the
  direction of progression found as the analyses find it
  (:attr:`gaitlab.pipeline.view.TrialView.progression`, METHODS §5.1,
  found by the caller: :mod:`gaitlab.pipeline.trial_export`) and
  ``Z = X × Y`` (to the runner's right). A lab vector ``v`` becomes
  ``R @ v`` with the rows of ``R`` the OpenSim axes in lab coordinates.
* The MOT holds, per force plate ``i`` (1-based), ``i_ground_force_vx/vy/vz``
  (force on the subject, N), ``i_ground_force_px/py/pz`` (centre of pressure,
  m) and ``i_ground_torque_x/y/z`` (free moment about the vertical through
  the COP, N·m, so only ``_y`` is non-zero), as OpenSim's ``ExternalForce``
  expects with ``force_identifier = i_ground_force_v``. Where the plate has
  no COP (vertical force below its threshold), force, COP and torque are 0.
  A plate that carried both feet (a treadmill) is split into one column set
  per foot, each sample going to the foot of the contact that holds it (or
  the nearest contact in time; in double support on one plate the feet
  cannot be separated and the samples go to the foot that landed first);
  the header and the XML say which set is which plate.
* The **ExternalLoads** XML applies each column set to ``calcn_r`` or
  ``calcn_l``, the foot that stood on that plate: from the ``gait_events``
  result (``contact_plate`` per step) when the pipeline has run, else from
  the trial's own Foot Strike / Foot Off events and the plate that took the
  largest vertical impulse during each contact, which the XML comment says.
* **MAT** (``scipy.io.savemat``): markers, analog channels, force plates in
  the lab frame (SI), events, subject, and the stored results of every
  plugin (metrics per step, series).
* **C3D** written back: markers (with their subject prefixes) and the
  model outputs stored as points (angles, moments ...), analog channels
  (physical values, ANALOG:SCALE 1) and their descriptions, the
  FORCE_PLATFORM group as the file held it (so the plates are recomputed
  identically), the first frame, the current (edited) events, the
  project's subject (name, mass, height, leg lengths, sex) with the rest of
  PROCESSING, every other parameter group of the file, and the computed
  centre of mass (``center_of_mass`` result, series ``com``, marker rate) as
  a virtual marker ``COM``. Not kept: residuals and camera masks (written as
  0), rotation data (``ROTATION``), POINT:DESCRIPTIONS, the subject prefix
  of model outputs, event descriptions, icons and origins, the storage
  (always float, Intel) and parameters ezc3d rewrites itself (scales,
  offsets, DATA_START ...). Points in units other than mm or m are refused.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import numpy.typing as npt

from gaitlab._version import __version__
from gaitlab.core.contacts import FOOT_OFF, FOOT_STRIKE, contacts_from_events
from gaitlab.core.errors import GaitlabError
from gaitlab.core.results import USABLE_STATUSES, Result
from gaitlab.core.trial import ForcePlate, Trial
from gaitlab.core.types import FloatArray
from gaitlab.io.c3d_writer import LENGTH_SCALE, write_c3d

__all__ = [
    "ForceSet",
    "OpenSimFrame",
    "TrialExportData",
    "TrialExportError",
    "TrialWriter",
    "check_export_options",
    "force_sets",
    "opensim_frame",
    "register_trial_writer",
    "trial_export_formats",
    "trial_writer",
    "unregister_trial_writer",
    "write_c3d_back",
    "write_external_loads",
    "write_mat",
    "write_mot",
    "write_trc",
]

FOOT_BODY = {"Right": "calcn_r", "Left": "calcn_l"}
"""OpenSim body (gait2392 / Rajagopal models) of each foot."""

COM_MARKER = "COM"
"""Label of the centre-of-mass virtual marker in a written-back C3D."""

_MODEL_OUTPUT_PARAMETERS = {
    "angle": ("ANGLES", "ANGLE_UNITS"),
    "force": ("FORCES", "FORCE_UNITS"),
    "moment": ("MOMENTS", "MOMENT_UNITS"),
    "power": ("POWERS", "POWER_UNITS"),
    "scalar": ("SCALARS", "SCALAR_UNITS"),
    "reaction": ("REACTIONS", "REACTION_UNITS"),
}
# groups the writer fills from the trial, or ezc3d writes itself
_REBUILT_GROUPS = {
    "POINT",
    "ANALOG",
    "EVENT",
    "FORCE_PLATFORM",
    "SUBJECTS",
    "EZC3D",
    "ROTATION",
}
_NUMBER = "%.10g"
_UNIT_NAMES = {
    **dict.fromkeys(("millimeter", "millimeters", "millimetre", "millimetres"), "mm"),
    **dict.fromkeys(("meter", "meters", "metre", "metres"), "m"),
}
"""POINT:UNITS spellings of the units a C3D file is written back in."""


class TrialExportError(GaitlabError):
    """A trial cannot be exported in the asked format (the message says why)."""


# ------------------------------------------------------------------ frames


@dataclass(frozen=True)
class OpenSimFrame:
    """OpenSim's axes in the lab frame.

    Attributes
    ----------
    rotation : ndarray, shape (3, 3)
        Rows: OpenSim X (progression), Y (up), Z (X × Y) in lab coordinates;
        a lab vector ``v`` is ``rotation @ v`` in OpenSim's axes.
    method : str
        How the progression was found (``displacement``, ``facing``,
        ``force`` or ``default``, METHODS §5.1).
    notes : tuple of str
        Remarks on the progression (disagreeing methods ...).
    """

    rotation: FloatArray
    method: str = "default"
    notes: tuple[str, ...] = ()

    def apply(self, vectors: FloatArray) -> FloatArray:
        """Rotate lab vectors (last axis of length 3) into OpenSim's axes."""
        return np.asarray(vectors, dtype=float) @ self.rotation.T


def opensim_frame(
    up: npt.ArrayLike,
    progression: npt.ArrayLike,
    method: str = "",
    notes: Sequence[str] = (),
) -> OpenSimFrame:
    """The rotation from the lab frame to OpenSim's (X forward, Y up, Z right).

    Parameters
    ----------
    up : array_like, shape (3,)
        Lab's upward vertical.
    progression : array_like, shape (3,)
        Direction of progression (its vertical part is removed).
    method : str
        How the progression was found.
    notes : sequence of str
        Remarks on it.

    Returns
    -------
    frame : OpenSimFrame

    Examples
    --------
    >>> frame = opensim_frame([0, 1, 0], [-1, 0, 0])
    >>> frame.apply(np.array([2.0, 1.0, 3.0])).tolist()
    [-2.0, 1.0, -3.0]
    """
    e_up = np.asarray(up, dtype=float)
    e_up = e_up / np.linalg.norm(e_up)
    forward = np.asarray(progression, dtype=float)
    forward = forward - (forward @ e_up) * e_up
    norm = np.linalg.norm(forward)
    if not norm > 1e-9:
        raise TrialExportError(
            f"the progression {np.round(np.asarray(progression, dtype=float), 3).tolist()}"
            " is vertical: "
            "no forward axis for OpenSim"
        )
    forward = forward / norm
    rotation = np.stack([forward, e_up, np.cross(forward, e_up)])
    return OpenSimFrame(rotation, method, tuple(notes))


# -------------------------------------------------------------------- TRC


def write_trc(
    path: str | os.PathLike[str], trial: Trial, frame: OpenSimFrame, units: str = "mm"
) -> Path:
    """Write the markers as an OpenSim TRC file, in OpenSim's axes.

    Parameters
    ----------
    path : str or PathLike
        Output file.
    trial : Trial
        The trial (markers in m, lab frame).
    frame : OpenSimFrame
        Rotation into OpenSim's axes.
    units : {"mm", "m"}
        Length unit of the file.

    Returns
    -------
    path : Path
        The file. Missing samples are empty fields (OpenSim reads them as
        missing); numbers have 10 significant digits.
    """
    if units not in LENGTH_SCALE:
        raise TrialExportError(f"TRC units must be 'mm' or 'm', got {units!r}")
    markers = trial.markers
    if not markers.labels:
        raise TrialExportError(f"trial {trial.id or trial.label!r} has no markers")
    path = Path(path)
    data = frame.apply(markers.data) * LENGTH_SCALE[units]
    n_frames, n_markers = data.shape[:2]
    rate = _number(markers.rate_hz)
    lines = [
        f"PathFileType\t4\t(X/Y/Z)\t{path.name}",
        "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\t"
        "OrigDataStartFrame\tOrigNumFrames",
        f"{rate}\t{rate}\t{n_frames}\t{n_markers}\t{units}\t{rate}\t"
        f"{_first_frame(markers.t0_s, markers.rate_hz) + 1}\t{n_frames}",
        "Frame#\tTime\t" + "\t".join(f"{label}\t\t" for label in markers.labels),
        "\t\t" + "\t".join(f"X{i}\tY{i}\tZ{i}" for i in range(1, n_markers + 1)),
        "",
    ]
    flat = data.reshape(n_frames, 3 * n_markers)
    for i, (time_s, row) in enumerate(zip(markers.time, flat, strict=True)):
        lines.append(f"{i + 1}\t{_number(time_s)}\t" + "\t".join(_cells(row)))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ------------------------------------------------------------- MOT and XML


@dataclass(frozen=True)
class ForceSet:
    """One column set of the MOT file: a plate, or one foot's share of it.

    Attributes
    ----------
    number : int
        Prefix of the columns (``number_ground_force_vx`` ...), 1-based.
    plate : int
        1-based force plate number.
    side : str
        ``"Left"``, ``"Right"`` or ``""`` (foot unknown).
    mask : ndarray of bool, shape (n_samples,) or None
        Samples of the plate that belong to this set (None: all).
    """

    number: int
    plate: int
    side: str
    mask: npt.NDArray[np.bool_] | None = None


def force_sets(
    trial: Trial, results: Mapping[str, Result] | None = None
) -> tuple[list[ForceSet], str]:
    """Which foot stood on each force plate, as MOT column sets.

    Parameters
    ----------
    trial : Trial
        The trial (plates and events).
    results : mapping of str to Result or None
        Stored results; the ``gait_events`` result's ``contact_plate``
        metric (per step) is used when it ran with status ok.

    Returns
    -------
    sets : list of ForceSet
        One set per plate with at most one foot; two (Right then Left, or
        Left then Right in order of first contact) for a plate both feet
        used, partitioning its samples.
    source : str
        Where the feet came from, in words (for the XML comment).
    """
    plates = trial.forceplates
    result = (results or {}).get("gait_events")
    contacts: list[tuple[str, float, float, int]] = []  # side, ic, to, plate
    if result is not None and result.status in USABLE_STATUSES:
        plate_of = {
            m.time_s: int(m.value)
            for m in result.metrics
            if m.name == "contact_plate"
            and m.time_s is not None
            and np.isfinite(m.value)
        }
        for contact in contacts_from_events(result.events):
            contacts.append(
                (
                    contact.side,
                    contact.ic_s,
                    contact.to_s,
                    plate_of.get(contact.ic_s, 0),
                )
            )
        source = (
            "feet from the gait_events result (contact_plate of each step, "
            "METHODS §2.1)"
        )
    else:
        up = np.asarray(trial.up_axis, dtype=float)
        for contact in contacts_from_events(trial.events):
            loaded = _loaded_plate(plates, up, contact.ic_s, contact.to_s)
            contacts.append((contact.side, contact.ic_s, contact.to_s, loaded))
        labels = (FOOT_STRIKE, FOOT_OFF)
        source = (
            "the pipeline has not run on this trial (no successful gait_events "
            "result): feet "
            f"from the trial's own {' / '.join(labels)} events, each contact given "
            "to the plate with the largest vertical impulse during it"
        )
    sets: list[ForceSet] = []
    for k, plate in enumerate(plates, start=1):
        mine = [c for c in contacts if c[3] == k and c[0] in FOOT_BODY]
        sides = list(dict.fromkeys(c[0] for c in mine))
        if len(sides) <= 1:
            sets.append(ForceSet(len(sets) + 1, k, sides[0] if sides else ""))
            continue
        owner = _nearest_contact_side(plate.time, mine)
        for side in sides:
            sets.append(ForceSet(len(sets) + 1, k, side, owner == side))
    return sets, source


def write_mot(
    path: str | os.PathLike[str],
    trial: Trial,
    frame: OpenSimFrame,
    sets: Sequence[ForceSet],
) -> Path:
    """Write the force plates as an OpenSim MOT (storage) file, in OpenSim's axes.

    Parameters
    ----------
    path : str or PathLike
        Output file.
    trial : Trial
        The trial (plates in the lab frame, SI).
    frame : OpenSimFrame
        Rotation into OpenSim's axes.
    sets : sequence of ForceSet
        Column sets (:func:`force_sets`).

    Returns
    -------
    path : Path
        The file: ``time`` (s) then, per set, force (N), COP (m), torque
        (N·m); 0 where the plate has no COP or the sample is another set's.
    """
    plates = trial.forceplates
    if not plates:
        raise TrialExportError(f"trial {trial.id or trial.label!r} has no force plates")
    first = plates[0]
    for k, plate in enumerate(plates[1:], start=2):
        if plate.rate_hz != first.rate_hz or plate.n_samples != first.n_samples:
            raise TrialExportError(
                f"force plate {k} is sampled differently from plate 1 "
                f"({plate.n_samples} at {plate.rate_hz} Hz against "
                f"{first.n_samples} at {first.rate_hz} Hz): one MOT cannot hold both"
            )
    names = ["time"]
    forces, torque_names, torques = [], [], []
    for force_set in sets:
        force, cop, torque = _opensim_wrench(plates[force_set.plate - 1], frame)
        if force_set.mask is not None:
            keep = force_set.mask[:, None]
            force, cop, torque = (np.where(keep, a, 0.0) for a in (force, cop, torque))
        n = force_set.number
        names += [f"{n}_ground_force_v{a}" for a in "xyz"]
        names += [f"{n}_ground_force_p{a}" for a in "xyz"]
        forces.append(np.column_stack([force, cop]))
        torque_names += [f"{n}_ground_torque_{a}" for a in "xyz"]
        torques.append(torque)
    table = np.column_stack([first.time, *forces, *torques])
    names += torque_names
    path = Path(path)
    header = [
        path.name,
        "version=1",
        f"nRows={table.shape[0]}",
        f"nColumns={table.shape[1]}",
        "inDegrees=no",
        "gaitlab: force on the subject (N), centre of pressure (m) and free moment "
        "(N m) per force plate, OpenSim axes (X progression, Y up, Z right); "
        "0 where the plate has no centre of pressure",
        *(
            f"gaitlab: set {s.number} = force plate {s.plate}"
            + (f", {s.side} foot's contacts" if s.mask is not None else "")
            for s in sets
        ),
        "endheader",
        "\t".join(names),
    ]
    body = ["\t".join(_NUMBER % v for v in row) for row in table]
    path.write_text("\n".join(header + body) + "\n", encoding="utf-8")
    return path


def write_external_loads(
    path: str | os.PathLike[str], mot_name: str, sets: Sequence[ForceSet], source: str
) -> Path:
    """Write OpenSim's ExternalLoads XML: one ExternalForce per MOT column set.

    Parameters
    ----------
    path : str or PathLike
        Output file.
    mot_name : str
        File name of the MOT (``datafile``), beside the XML.
    sets : sequence of ForceSet
        Column sets of the MOT.
    source : str
        Where the feet came from (written as a comment).

    Returns
    -------
    path : Path
    """
    unknown = [s.plate for s in sets if not s.side]
    lines = [
        '<?xml version="1.0" encoding="UTF-8" ?>',
        '<OpenSimDocument Version="40000">',
        f"\t<!-- written by gaitlab {escape(__version__)}: {_comment(source)} -->",
    ]
    if unknown:
        lines.append(
            "\t<!-- no foot is known for force plate(s) "
            + ", ".join(map(str, unknown))
            + ": applied_to_body is set to calcn_r there; check it -->"
        )
    lines += ['\t<ExternalLoads name="externalloads">', "\t\t<objects>"]
    for s in sets:
        name = f"plate{s.plate}" + (f"_{s.side.lower()}" if s.mask is not None else "")
        body = FOOT_BODY.get(s.side, "calcn_r")
        lines += [
            f'\t\t\t<ExternalForce name="{name}">',
            f"\t\t\t\t<!-- force plate {s.plate}, "
            f"{(s.side + ' foot') if s.side else 'foot unknown'} -->",
            "\t\t\t\t<appliesForce>true</appliesForce>",
            f"\t\t\t\t<applied_to_body>{body}</applied_to_body>",
            "\t\t\t\t<force_expressed_in_body>ground</force_expressed_in_body>",
            "\t\t\t\t<point_expressed_in_body>ground</point_expressed_in_body>",
            f"\t\t\t\t<force_identifier>{s.number}_ground_force_v</force_identifier>",
            f"\t\t\t\t<point_identifier>{s.number}_ground_force_p</point_identifier>",
            f"\t\t\t\t<torque_identifier>{s.number}_ground_torque_</torque_identifier>",
            f"\t\t\t\t<data_source_name>{escape(mot_name)}</data_source_name>",
            "\t\t\t</ExternalForce>",
        ]
    lines += [
        "\t\t</objects>",
        "\t\t<groups />",
        f"\t\t<datafile>{escape(mot_name)}</datafile>",
        "\t</ExternalLoads>",
        "</OpenSimDocument>",
    ]
    path = Path(path)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# -------------------------------------------------------------------- MAT


def write_mat(
    path: str | os.PathLike[str],
    trial: Trial,
    results: Mapping[str, Result],
    units: str = "m",
    fresh: Mapping[str, str] | None = None,
) -> Path:
    """Write the trial and its results as a MATLAB file (``scipy.io.savemat``).

    Variables: ``info`` (trial id, label, source, up axis, gaitlab version),
    ``markers`` (``labels``, ``values`` (n_frames, n_markers, 3) in
    ``units``, ``rate_hz``, ``t0_s``, ``units``), ``analogs`` (``labels``,
    ``units``, ``values`` (n_samples, n_channels), ``rate_hz``, ``t0_s``),
    ``forceplates`` (``plate1`` ...: ``force`` N, ``moment`` N·m about the
    plate centre, ``cop`` m, ``free_moment`` N·m, ``corners`` m, lab frame),
    ``events`` (``time_s``, ``label``, ``context``, ``origin``), ``subject``
    and ``results`` (per plugin: ``status``, ``message``, ``metrics`` with
    ``name``, ``value``, ``unit``, ``side``, ``step`` (NaN: trial-level),
    ``time_s``, ``status``; ``series`` by name, with ``values``, ``rate_hz``,
    ``t0_s``, ``unit``; ``freshness``). NaN marks a missing value.

    Parameters
    ----------
    path : str or PathLike
        Output file.
    trial : Trial
        The trial.
    results : mapping of str to Result
        Stored results by plugin name.
    units : {"m", "mm"}
        Length unit of the marker values.
    fresh : mapping of str to str or None
        ``fresh``, ``stale`` or ``missing`` per plugin (stored as each
        result's ``freshness``; ``""`` when unknown).

    Returns
    -------
    path : Path
    """
    from scipy.io import savemat

    if units not in LENGTH_SCALE:
        raise TrialExportError(f"MAT marker units must be 'mm' or 'm', got {units!r}")
    markers, analogs = trial.markers, trial.analogs
    subject = trial.subject
    content: dict[str, Any] = {
        "info": {
            "trial_id": trial.id,
            "label": trial.label,
            "subject_id": trial.subject_id,
            "session": trial.session,
            "condition": trial.condition,
            "source_path": trial.source.path,
            "source_sha256": trial.source.sha256,
            "up_axis": np.asarray(trial.up_axis, dtype=float),
            "gaitlab_version": __version__,
            "exported_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        },
        "markers": {
            "labels": _cellstr(markers.labels),
            "values": markers.data * LENGTH_SCALE[units],
            "rate_hz": float(markers.rate_hz),
            "t0_s": float(markers.t0_s),
            "units": units,
        },
        "analogs": {
            "labels": _cellstr(analogs.labels),
            "units": _cellstr(analogs.units),
            "values": analogs.data,
            "rate_hz": float(analogs.rate_hz),
            "t0_s": float(analogs.t0_s),
        },
        "forceplates": {
            f"plate{k}": {
                "force": plate.force,
                "moment": plate.moment,
                "cop": plate.cop,
                "free_moment": plate.free_moment,
                "corners": plate.corners,
                "rate_hz": float(plate.rate_hz),
                "t0_s": float(plate.t0_s),
                "plate_type": int(plate.plate_type),
            }
            for k, plate in enumerate(trial.forceplates, start=1)
        },
        "events": {
            "time_s": np.array([e.time_s for e in trial.events], dtype=float),
            "label": _cellstr(e.label for e in trial.events),
            "context": _cellstr(e.context for e in trial.events),
            "origin": _cellstr(e.origin for e in trial.events),
        },
        "subject": {
            "id": subject.id if subject else "",
            "label": subject.label if subject else "",
            "mass_kg": _or_nan(subject.mass_kg if subject else None),
            "height_m": _or_nan(subject.height_m if subject else None),
            "sex": (subject.sex or "") if subject else "",
            "leg_length_left_m": _or_nan(
                subject.leg_length_m.get("Left") if subject else None
            ),
            "leg_length_right_m": _or_nan(
                subject.leg_length_m.get("Right") if subject else None
            ),
        },
        "results": {
            name: {
                **_result_struct(result),
                "freshness": (fresh or {}).get(name, ""),
            }
            for name, result in sorted(results.items())
        },
    }
    path = Path(path)
    savemat(str(path), content, long_field_names=True, do_compression=True)
    return path


# -------------------------------------------------------------------- C3D


def write_c3d_back(
    path: str | os.PathLike[str],
    trial: Trial,
    com: FloatArray | None = None,
) -> tuple[Path, list[str]]:
    """Write the trial back as a C3D file, with its edited events and the COM.

    Parameters
    ----------
    path : str or PathLike
        Output file.
    trial : Trial
        The trial, loaded with ``c3d_parameters=True``.
    com : ndarray, shape (n_frames, 3), or None
        The centre of mass at the marker frames (m, lab frame), written as
        the virtual marker ``COM``; None writes no COM.

    Returns
    -------
    path : Path
        The file, in the point unit of the original (mm or m).
    notes : list of str
        What was left out (no COM result ...), in words.
    """
    notes: list[str] = []
    tree = json.loads(trial.meta.get("c3d_parameters") or "{}")
    stored = (trial.markers.original_unit or "mm").strip().lower()
    unit = _UNIT_NAMES.get(stored, stored)
    if unit not in LENGTH_SCALE:
        raise TrialExportError(
            f"trial {trial.id or trial.label!r} stored points in {stored!r}; only mm "
            "and m files can be written back"
        )
    markers = trial.markers
    labels = [
        f"{prefix}:{label}" if prefix else label
        for prefix, label in zip(markers.prefixes, markers.labels, strict=True)
    ]
    data = [markers.data]
    if com is not None:
        if COM_MARKER in markers.labels:
            raise TrialExportError(
                f"trial {trial.id or trial.label!r} already has a marker named "
                f"{COM_MARKER!r}: the computed COM cannot be added under that name"
            )
        labels.append(COM_MARKER)
        data.append(com[:, None, :])
    extra: dict[str, dict[str, Any]] = {}
    points = trial.points
    if points is not None and points.data.shape[0] == markers.n_frames:
        # stored as the file held them: undo the writer's metre -> unit scaling
        data.append(points.data / LENGTH_SCALE[unit])
        labels += list(points.labels)
        point_group = extra.setdefault("POINT", {})
        for kind, (group, units_name) in _MODEL_OUTPUT_PARAMETERS.items():
            mine = [i for i, k in enumerate(points.kinds) if k == kind]
            if mine:
                point_group[group] = [points.labels[i] for i in mine]
                point_group[units_name] = [points.units[mine[0]]]
    elif points is not None:
        notes.append("model outputs not written: their frame count differs")
    plates = tree.get("FORCE_PLATFORM", {})
    if plates and trial.analogs.labels:
        extra["FORCE_PLATFORM"] = _group_values(plates)
    subject = trial.subject
    processing = _group_values(tree.get("PROCESSING", {}))
    for name in ("BODYMASS", "HEIGHT"):
        processing.pop(name, None)
    if subject is not None:
        for side, name in (("Left", "LLEGLENGTH"), ("Right", "RLEGLENGTH")):
            if side in subject.leg_length_m:
                processing[name] = np.array([1000.0 * subject.leg_length_m[side]])
        if subject.sex:
            processing["SEX"] = [subject.sex]
    if processing:
        extra["PROCESSING"] = processing
    descriptions = tree.get("ANALOG", {}).get("DESCRIPTIONS")
    if isinstance(descriptions, list) and len(descriptions) == len(
        trial.analogs.labels
    ):
        extra["ANALOG"] = {"DESCRIPTIONS": [str(d) for d in descriptions]}
    subjects = {
        name: value
        for name, value in _group_values(tree.get("SUBJECTS", {})).items()
        if name in ("USES_PREFIXES", "LABEL_PREFIXES", "MARKER_SETS")
    }
    if subjects:
        extra["SUBJECTS"] = subjects
    for group, entries in tree.items():
        if group not in _REBUILT_GROUPS and group != "PROCESSING":
            values = _group_values(entries)
            if values:
                extra[group] = values
    names = trial.meta.get("c3d_subject_names") or []
    subject_name = names[0] if names else (subject.label if subject else None)
    analogs = trial.analogs
    try:
        written = write_c3d(
            path,
            markers=np.concatenate(data, axis=1),
            marker_labels=labels,
            point_rate_hz=markers.rate_hz,
            analogs=analogs.data if analogs.labels else None,
            analog_labels=analogs.labels,
            analog_units=analogs.units,
            analog_rate_hz=analogs.rate_hz if analogs.labels else None,
            events=[(e.label, e.context, e.time_s) for e in trial.events],
            subject_name=subject_name or None,
            mass_kg=subject.mass_kg if subject else None,
            height_m=subject.height_m if subject else None,
            point_units=unit,
            extra_parameters=extra,
            first_frame=_first_frame(markers.t0_s, markers.rate_hz),
        )
    except ValueError as error:  # what ezc3d cannot hold (no point, odd rates)
        raise TrialExportError(
            f"trial {trial.id or trial.label!r} cannot be written as C3D: {error}"
        ) from error
    return written, notes


# ------------------------------------------------------------ the registry


@dataclass(frozen=True)
class TrialExportData:
    """What a trial writer may use besides the trial: plain data the caller gathered.

    Attributes
    ----------
    results : mapping of str to Result
        The trial's stored results, by plugin name.
    fresh : mapping of str to str
        ``fresh`` / ``stale`` / ``missing`` per plugin ({} when unknown).
    frame : OpenSimFrame or None
        OpenSim's axes, for writers with ``needs_frame``.
    com : ndarray, shape (n_frames, 3), or None
        Centre of mass at the marker frames (m), for writers with
        ``needs_com``; None when not computed.
    units : str or None
        The length unit asked for (``"mm"``, ``"m"``), or None for the
        writer's default.
    """

    results: Mapping[str, Result] = field(default_factory=dict)
    fresh: Mapping[str, str] = field(default_factory=dict)
    frame: OpenSimFrame | None = None
    com: FloatArray | None = None
    units: str | None = None


TrialWriteFunction = Callable[
    [Path, str, Trial, TrialExportData], tuple[list[Path], list[str]]
]
"""``write(folder, stem, trial, data) -> (paths, notes)``."""


@dataclass(frozen=True)
class TrialWriter:
    """One registered trial export format.

    Attributes
    ----------
    name : str
        The format's name (``"trc"``), the value of ``--format``.
    write : callable
        ``write(folder, stem, trial, data) -> (paths, notes)``: write the
        files into ``folder`` (which exists), named from ``stem``.
    units : tuple of str
        Length units it accepts (first: the default); () when it accepts
        none.
    fixed_units : str
        What it writes in when it accepts no unit, for the refusal message.
    needs_frame, needs_com, needs_c3d_parameters, uses_freshness : bool
        What the caller must gather into :class:`TrialExportData` (and load
        with the trial).
    description : str
        One line for help texts.
    """

    name: str
    write: TrialWriteFunction
    units: tuple[str, ...] = ()
    fixed_units: str = ""
    needs_frame: bool = False
    needs_com: bool = False
    needs_c3d_parameters: bool = False
    uses_freshness: bool = False
    description: str = ""


_WRITERS: dict[str, TrialWriter] = {}


def register_trial_writer(writer: TrialWriter) -> TrialWriter:
    """Register (or replace) a trial export format; returns it."""
    _WRITERS[writer.name.lower()] = writer
    return writer


def unregister_trial_writer(name: str) -> None:
    """Remove a trial export format (nothing happens if it is unknown)."""
    _WRITERS.pop(name.lower(), None)


def trial_export_formats() -> tuple[str, ...]:
    """Names of the registered trial export formats, in registration order.

    Examples
    --------
    >>> trial_export_formats()
    ('trc', 'mot', 'mat', 'c3d')
    """
    return tuple(_WRITERS)


def trial_writer(fmt: str) -> TrialWriter:
    """The writer of a format.

    Raises
    ------
    TrialExportError
        For an unknown format; the message names the formats known.
    """
    try:
        return _WRITERS[fmt.lower()]
    except KeyError:
        raise TrialExportError(
            f"unknown trial export format {fmt!r}; choose one of " + ", ".join(_WRITERS)
        ) from None


def check_export_options(fmt: str, units: str | None) -> None:
    """Raise :class:`TrialExportError` for an unknown format or a unit it ignores."""
    writer = trial_writer(fmt)
    if units is not None and units not in LENGTH_SCALE:
        raise TrialExportError(f"units must be 'mm' or 'm', got {units!r}")
    if units is not None and units not in writer.units:
        accepting = [w.name for w in _WRITERS.values() if w.units]
        raise TrialExportError(
            f"units apply to {' and '.join(accepting)} only: {writer.name} files "
            f"are written in {writer.fixed_units}"
        )


def _write_trc(
    folder: Path, stem: str, trial: Trial, data: TrialExportData
) -> tuple[list[Path], list[str]]:
    assert data.frame is not None  # needs_frame
    return [
        write_trc(folder / f"{stem}.trc", trial, data.frame, data.units or "mm")
    ], []


def _write_mot(
    folder: Path, stem: str, trial: Trial, data: TrialExportData
) -> tuple[list[Path], list[str]]:
    assert data.frame is not None  # needs_frame
    sets, source = force_sets(trial, data.results)
    mot = write_mot(folder / f"{stem}_grf.mot", trial, data.frame, sets)
    xml = write_external_loads(
        folder / f"{stem}_ExternalLoads.xml", mot.name, sets, source
    )
    return [mot, xml], [source]


def _write_mat(
    folder: Path, stem: str, trial: Trial, data: TrialExportData
) -> tuple[list[Path], list[str]]:
    path = write_mat(
        folder / f"{stem}.mat", trial, data.results, data.units or "m", data.fresh
    )
    return [path], []


def _write_c3d(
    folder: Path, stem: str, trial: Trial, data: TrialExportData
) -> tuple[list[Path], list[str]]:
    path, notes = write_c3d_back(folder / f"{stem}.c3d", trial, data.com)
    return [path], notes


register_trial_writer(
    TrialWriter(
        "trc",
        _write_trc,
        units=("mm", "m"),
        needs_frame=True,
        description="markers, OpenSim TRC (OpenSim's axes)",
    )
)
register_trial_writer(
    TrialWriter(
        "mot",
        _write_mot,
        fixed_units="metres (OpenSim)",
        needs_frame=True,
        uses_freshness=True,
        description="force plates, OpenSim MOT, and the ExternalLoads XML",
    )
)
register_trial_writer(
    TrialWriter(
        "mat",
        _write_mat,
        units=("m", "mm"),
        uses_freshness=True,
        description="trial and results, MATLAB .mat",
    )
)
register_trial_writer(
    TrialWriter(
        "c3d",
        _write_c3d,
        fixed_units="the original file's unit",
        needs_com=True,
        needs_c3d_parameters=True,
        uses_freshness=True,
        description="the trial written back as C3D, with edited events and COM",
    )
)


# ---------------------------------------------------------------- helpers


def _opensim_wrench(
    plate: ForcePlate, frame: OpenSimFrame
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Force (N), COP (m) and free-moment torque (N·m) in OpenSim's axes; 0 without COP."""
    defined = np.all(np.isfinite(plate.cop), axis=1) & np.isfinite(plate.free_moment)
    force = np.where(defined[:, None], frame.apply(plate.force), 0.0)
    cop = np.where(defined[:, None], frame.apply(np.nan_to_num(plate.cop)), 0.0)
    torque = np.zeros_like(force)
    torque[:, 1] = np.where(defined, plate.free_moment, 0.0)  # about OpenSim's Y (up)
    return force, cop, torque


def _loaded_plate(
    plates: Sequence[ForcePlate], up: FloatArray, ic_s: float, to_s: float
) -> int:
    """1-based plate with the largest vertical impulse in [ic, to] s; 0 if none."""
    best, best_impulse = 0, 0.0
    for k, plate in enumerate(plates, start=1):
        inside = (plate.time >= ic_s) & (plate.time <= to_s)
        vertical = np.nan_to_num(plate.force[inside] @ up)
        impulse = float(np.sum(np.clip(vertical, 0.0, None))) / plate.rate_hz
        if impulse > best_impulse:
            best, best_impulse = k, impulse
    return best


def _nearest_contact_side(
    time: FloatArray, contacts: Sequence[tuple[str, float, float, int]]
) -> npt.NDArray[np.str_]:
    """Side of the contact holding each sample, or of the nearest one in time."""
    distance = np.stack(
        [np.maximum(np.maximum(ic - time, time - to), 0.0) for _, ic, to, _ in contacts]
    )
    sides = np.array([c[0] for c in contacts])
    return sides[np.argmin(distance, axis=0)]


def _group_values(entries: Mapping[str, Any]) -> dict[str, Any]:
    """Parameter values from the stored JSON tree: lists of str as CHAR, arrays else."""
    values: dict[str, Any] = {}
    for name, value in entries.items():
        if isinstance(value, str):
            values[name] = [value]
        elif (
            isinstance(value, list) and value and all(isinstance(v, str) for v in value)
        ):
            values[name] = value
        elif isinstance(value, list | int | float) and not isinstance(value, bool):
            array = np.asarray(value)
            if array.size and array.dtype.kind in "iuf":
                values[name] = array
    return values


def _result_struct(result: Result) -> dict[str, Any]:
    metrics = result.metrics
    return {
        "status": result.status,
        "message": result.message,
        "notes": _cellstr(result.notes),
        "metrics": {
            "name": _cellstr(m.name for m in metrics),
            "value": np.array([m.value for m in metrics], dtype=float),
            "unit": _cellstr(m.unit for m in metrics),
            "side": _cellstr(m.side for m in metrics),
            "step": np.array([_or_nan(m.step) for m in metrics], dtype=float),
            "time_s": np.array([_or_nan(m.time_s) for m in metrics], dtype=float),
            "status": _cellstr(m.status for m in metrics),
        },
        "series": {
            name: {
                "values": np.asarray(s.values, dtype=float),
                "rate_hz": float(s.rate_hz),
                "t0_s": float(s.t0_s),
                "unit": s.unit,
            }
            for name, s in result.series.items()
        },
    }


def _cellstr(items: Any) -> npt.NDArray[np.object_]:
    """A MATLAB cell array of char (column) from strings."""
    items = list(items)
    cell = np.empty((len(items), 1), dtype=object)
    for i, item in enumerate(items):
        cell[i, 0] = str(item)
    return cell


def _or_nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _first_frame(t0_s: float, rate_hz: float) -> int:
    return round(t0_s * rate_hz) if rate_hz > 0 else 0


def _number(value: float) -> str:
    return _NUMBER % value


def _cells(row: FloatArray) -> list[str]:
    return ["" if not np.isfinite(v) else _NUMBER % v for v in row]


def _comment(text: str) -> str:
    """Text safe inside an XML comment."""
    return escape(re.sub(r"-{2,}", "-", text))
