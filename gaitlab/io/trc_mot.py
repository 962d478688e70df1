"""OpenSim files in: markers from a TRC file, force plates from the MOT beside it.

Registered for ``.trc`` (issue 13 item 2), so ``gaitlab import`` and the app
take OpenSim users' data like a C3D file. A TRC holds markers only; its
forces, if any, are in a MOT (storage) file of the same trial beside it:
``NAME.mot``, ``NAME_grf.mot`` (what gaitlab's own export writes) or
``NAME_forces.mot``, the first found. A lone MOT has no markers and is not a
trial on its own: it is registered as a companion only, so a folder of
TRC/MOT pairs imports one trial per pair and a MOT given alone is refused
with what to import instead.

**Frame.** The file's axes are kept as the lab frame (OpenSim's are Y up, X
forward); the vertical is found from the data as for any lab: the axis the
plates' force points along (upward on the subject), else the axis of the
largest head-to-foot marker spread. The progression is found by the
analyses (METHODS §5.1).

**Units.** TRC lengths in mm, cm or m (``Units``) become metres; MOT forces
are taken in N, centres of pressure in m and torques in N·m (OpenSim's
units; a header ``inDegrees`` is irrelevant to these columns).

**Force plates.** Each column set ``<prefix>ground_force_v{x,y,z}``,
``<prefix>ground_force_p{x,y,z}``, ``<prefix>ground_torque_{x,y,z}``
(``1_``, ``2_``, ``r_`` ... or none) is one plate: force on the subject (N),
centre of pressure (m; NaN below 50 N of vertical force, where exporters
write 0) and the torque about the vertical through the COP (the free
moment). A MOT holds no plate geometry: the outline is taken as the
rectangle around the centres of pressure with a 25 cm margin (about a foot
length, so a foot whose COP the plate measured lies inside it), in the floor
plane (the trial's notes say so): the clean-contact test then checks the
feet against where this plate was loaded, not against its true edges.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gaitlab.core.errors import C3DReadError
from gaitlab.core.trial import AnalogSet, ForcePlate, MarkerSet, SourceInfo, Trial
from gaitlab.core.types import FloatArray
from gaitlab.io.readers import register_companion, register_reader

__all__ = ["MotForces", "mot_beside", "read_mot_forces", "read_trc_file"]

LENGTH_TO_M = {"mm": 1e-3, "cm": 1e-2, "m": 1.0}
"""TRC ``Units`` and their factor to metres."""
COP_THRESHOLD_N = 50.0
"""Vertical force below which a MOT's centre of pressure is taken as undefined."""
OUTLINE_MARGIN_M = 0.25
"""Margin around the centres of pressure of the outline given to a MOT plate."""
MOT_NAMES = ("{stem}.mot", "{stem}_grf.mot", "{stem}_forces.mot")
"""MOT files taken as the forces of ``{stem}.trc``, in this order."""

_FORCE = re.compile(r"^(?P<prefix>.*?)ground_force_v(?P<axis>[xyz])$")


def read_trc_file(path: Path, sha256: str) -> Trial:
    """Read a TRC file (and the MOT beside it) into a trial, in SI units.

    Raises
    ------
    C3DReadError
        Naming the file and what is wrong with it.
    """
    path = Path(path)
    labels, data, rate_hz, t0_s = _read_trc(path)
    notes: list[str] = []
    sets: list[MotForces] = []
    mot = mot_beside(path)
    if mot is None:
        notes.append(
            "markers only: no MOT file of force plates beside the TRC "
            f"({', '.join(n.format(stem=path.stem) for n in MOT_NAMES)})"
        )
    else:
        sets, mot_notes = read_mot_forces(mot)
        notes += [f"force plates from {mot.name}", *mot_notes]
    up, up_method = _up_axis(sets, data)
    plates = tuple(_plate(forces, up) for forces in sets)
    if plates:
        notes.append(
            "force-plate outlines taken around their centres of pressure (a MOT "
            "holds no plate geometry)"
        )
    trial = Trial(
        MarkerSet(data, labels, rate_hz, t0_s, original_unit="m"),
        AnalogSet(np.zeros((0, 0)), (), (), rate_hz, t0_s),
        forceplates=plates,
        up_axis=up,
        up_axis_method=up_method,
        source=SourceInfo(str(path), sha256, "gaitlab TRC/MOT reader", "", "text"),
        meta={"warnings": notes, "manufacturer": {"format": "OpenSim TRC"}},
        label=path.stem,
    )
    return trial


def mot_beside(trc: Path) -> Path | None:
    """The MOT file of the same trial beside a TRC file (None if there is none)."""
    for name in MOT_NAMES:
        candidate = trc.with_name(name.format(stem=trc.stem))
        if candidate.is_file():
            return candidate
    return None


@dataclass(frozen=True)
class MotForces:
    """One column set of a MOT file: a plate's force, COP and torque (file axes).

    Attributes
    ----------
    prefix : str
        Column prefix (``1_``, ``r_`` ... or "").
    force, cop, torque : ndarray, shape (n, 3)
        Force on the subject (N), centre of pressure (m), torque about the
        vertical through the COP (N·m), as the file holds them.
    rate_hz, t0_s : float
        Sampling rate (Hz) and time of the first row (s).
    """

    prefix: str
    force: FloatArray
    cop: FloatArray
    torque: FloatArray
    rate_hz: float
    t0_s: float


def read_mot_forces(path: Path) -> tuple[list[MotForces], list[str]]:
    """The ground-force column sets of a MOT file, and notes.

    Raises
    ------
    C3DReadError
        For a malformed file or one without ground-force columns.
    """
    names, table = _read_mot(path)
    if "time" not in names:
        raise C3DReadError(path, "no 'time' column")
    time = table[:, names.index("time")]
    steps = np.diff(time)
    if time.size < 2 or not np.all(steps > 0):
        raise C3DReadError(path, "the times do not increase")
    rate_hz = float(1.0 / np.median(steps))
    prefixes = sorted(
        {m["prefix"] for n in names if (m := _FORCE.match(n)) is not None},
        key=lambda p: (len(p), p),
    )
    if not prefixes:
        raise C3DReadError(path, "no ground_force_vx/vy/vz columns")
    sets = []
    for prefix in prefixes:
        wanted = [f"{prefix}ground_force_v{a}" for a in "xyz"]
        wanted += [f"{prefix}ground_force_p{a}" for a in "xyz"]
        wanted += [f"{prefix}ground_torque_{a}" for a in "xyz"]
        missing = [n for n in wanted if n not in names]
        if missing:
            raise C3DReadError(path, f"columns {', '.join(missing)} are missing")
        columns = table[:, [names.index(n) for n in wanted]]
        sets.append(
            MotForces(
                prefix,
                columns[:, 0:3],
                columns[:, 3:6],
                columns[:, 6:9],
                rate_hz,
                float(time[0]),
            )
        )
    notes = []
    if np.max(np.abs(steps - np.median(steps))) > 1e-6 * np.median(steps) + 1e-9:
        notes.append(f"{path.name}: uneven time steps; taken at {rate_hz:g} Hz")
    return sets, notes


# ---------------------------------------------------------------- parsing


def _lines(path: Path) -> list[str]:
    """The lines of a text file (C3DReadError naming it when it cannot be read)."""
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as error:
        raise C3DReadError(path, f"cannot be read: {error.strerror or error}") from None


def _read_trc(path: Path) -> tuple[tuple[str, ...], FloatArray, float, float]:
    lines = _lines(path)
    if len(lines) < 5 or not lines[0].startswith("PathFileType"):
        raise C3DReadError(path, "not a TRC file (no PathFileType header line)")
    keys = lines[1].split("\t")
    values = lines[2].split("\t")
    header = dict(
        zip((k.strip() for k in keys), (v.strip() for v in values), strict=False)
    )
    try:
        rate_hz = float(header["DataRate"])
        units = header["Units"].lower()
        n_markers = int(header["NumMarkers"])
    except (KeyError, ValueError):
        raise C3DReadError(
            path, "line 3 lacks DataRate, NumMarkers or Units (TRC header)"
        ) from None
    if units not in LENGTH_TO_M:
        raise C3DReadError(path, f"unknown length unit {units!r} (mm, cm or m)")
    if not rate_hz > 0:
        raise C3DReadError(path, f"DataRate {rate_hz} is not a positive rate")
    names = tuple(t.strip() for t in lines[3].split("\t")[2:] if t.strip())
    if len(names) != n_markers:
        raise C3DReadError(
            path, f"line 4 names {len(names)} markers, the header says {n_markers}"
        )
    if len(set(names)) != len(names):
        raise C3DReadError(path, "a marker name appears twice on line 4")
    width = 2 + 3 * n_markers
    rows = []
    times = []
    for number, line in enumerate(lines[5:], start=6):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) < width:  # trailing empty fields may be cut
            fields += [""] * (width - len(fields))
        if len(fields) > width and any(f.strip() for f in fields[width:]):
            raise C3DReadError(
                path, f"line {number} has {len(fields)} fields, {width} expected"
            )
        try:
            times.append(float(fields[1]))
            rows.append([float(f) if f.strip() else np.nan for f in fields[2:width]])
        except ValueError:
            raise C3DReadError(
                path, f"line {number} holds text that is not a number"
            ) from None
    if not rows:
        raise C3DReadError(path, "no frames")
    data = np.asarray(rows).reshape(len(rows), n_markers, 3) * LENGTH_TO_M[units]
    return names, data, rate_hz, float(times[0])


def _read_mot(path: Path) -> tuple[list[str], FloatArray]:
    lines = _lines(path)
    end = next((i for i, line in enumerate(lines) if line.strip() == "endheader"), None)
    if end is None or end + 1 >= len(lines):
        raise C3DReadError(
            path, "not a MOT file (no 'endheader' line and column names)"
        )
    names = lines[end + 1].split()
    rows = []
    for number, line in enumerate(lines[end + 2 :], start=end + 3):
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) != len(names):
            raise C3DReadError(
                path, f"line {number} has {len(fields)} values, {len(names)} columns"
            )
        try:
            rows.append([float(f) for f in fields])
        except ValueError:
            raise C3DReadError(
                path, f"line {number} holds text that is not a number"
            ) from None
    if not rows:
        raise C3DReadError(path, "no rows of data")
    return names, np.asarray(rows)


# ---------------------------------------------------------------- geometry


def _up_axis(sets: list[MotForces], markers: FloatArray) -> tuple[FloatArray, str]:
    """The upward axis: along the plates' mean force, else the markers' spread."""
    if sets:
        total = sum(np.abs(f.force).sum(axis=0) for f in sets)
        index = int(np.argmax(total))
        mean = float(sum(f.force[:, index].sum() for f in sets))
        axis = np.zeros(3)
        axis[index] = 1.0 if mean >= 0 else -1.0
        return axis, "MOT force direction (force on the subject points up)"
    spread = np.nanmedian(
        np.nanmax(markers, axis=1) - np.nanmin(markers, axis=1), axis=0
    )
    index = int(np.nanargmax(spread))
    centre = np.nanmedian(markers.reshape(-1, 3), axis=0)
    axis = np.zeros(3)
    axis[index] = 1.0 if centre[index] >= 0 else -1.0
    return axis, "largest head-to-foot marker spread (no force plates)"


def _plate(forces: MotForces, up: FloatArray) -> ForcePlate:
    """A force plate from a MOT column set: COP below the threshold as NaN, the
    free moment, the moment about the centre, the outline around the COPs."""
    index = int(np.argmax(np.abs(up)))
    a, b = (k for k in range(3) if k != index)
    loaded = forces.force @ up >= COP_THRESHOLD_N
    cop = np.where(loaded[:, None], forces.cop, np.nan)
    free = np.where(loaded, forces.torque @ up, np.nan)
    seen = cop[loaded]
    if seen.size:
        low = seen.min(axis=0) - OUTLINE_MARGIN_M
        high = seen.max(axis=0) + OUTLINE_MARGIN_M
        floor = float(np.median(seen[:, index]))
    else:
        low, high, floor = np.full(3, -0.3), np.full(3, 0.3), 0.0
    corners = np.zeros((4, 3))
    for k, (u, v) in enumerate(
        ((high[a], high[b]), (low[a], high[b]), (low[a], low[b]), (high[a], low[b]))
    ):
        corners[k, a], corners[k, b], corners[k, index] = u, v, floor
    arm = np.where(loaded[:, None], forces.cop - corners.mean(axis=0), 0.0)
    moment = np.cross(arm, forces.force) + np.where(loaded, free, 0.0)[:, None] * up
    return ForcePlate(
        force=forces.force,
        moment=moment,
        cop=cop,
        free_moment=free,
        corners=corners,
        rate_hz=forces.rate_hz,
        t0_s=forces.t0_s,
        cop_threshold_n=COP_THRESHOLD_N,
        notes=(
            f"MOT columns {forces.prefix}ground_*",
            "outline: the rectangle around the centres of pressure with a "
            f"{OUTLINE_MARGIN_M:g} m margin (a MOT holds no plate geometry)",
        ),
    )


register_reader(
    "trc",
    [".trc"],
    read_trc_file,
    description="OpenSim TRC markers (with the MOT forces beside it)",
)


def lone_mot_reason(path: Path) -> str:
    """Why a MOT file given alone is not imported, and what to import instead."""
    stem = path.stem
    for suffix in ("_grf", "_forces"):
        stem = stem.removesuffix(suffix)
    trc = path.with_name(f"{stem}.trc")
    instead = (
        f"import {trc.name} beside it: its forces come in with it"
        if trc.is_file()
        else f"import the TRC file of its markers ({stem}.trc beside it brings "
        f"in {', '.join(n.format(stem=stem) for n in MOT_NAMES)}, the first found)"
    )
    return f"an OpenSim MOT file holds forces only, not a trial: {instead}"


register_companion(".mot", lone_mot_reason)
