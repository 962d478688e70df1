"""Write C3D files with ezc3d: markers, analog channels, force plates, events, subject.

The writer is used to build synthetic trials with known answers (``gaitlab.synth``)
and to export data. Inputs are in SI units (m, s, kg); lengths are written in
``POINT:UNITS`` (``"mm"`` or ``"m"``). Analog channels are written as the physical
values given: moment channels must already be in N·<point unit> (N·mm for ``"mm"``
files), as the C3D force-plate convention expects.

ezc3d details this module relies on (ezc3d 1.7.2):

* ``c3d.add_parameter`` turns integer lists into FLOAT parameters and rejects
  integer arrays, so parameters are set directly as ``{"type", "value", ...}``
  dictionaries (INT / FLOAT / CHAR) and ezc3d writes them in Fortran order.
* The data section is written in floating point (float32). ezc3d stores an analog
  value as ``physical / SCALE`` and multiplies by SCALE when reading; this module
  writes GEN_SCALE = 1 and ezc3d writes OFFSET = 0.
* The residual is stored as a whole number of point units (ezc3d truncates).
* ``c3d.write`` appends ``.c3d`` unless the name already ends in lower-case
  ``.c3d``; this module writes to a temporary ``*.c3d`` name and renames it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import ezc3d
import numpy as np
import numpy.typing as npt

from gaitlab.core.types import FloatArray

__all__ = ["PlateParameters", "write_c3d"]


LENGTH_SCALE = {"mm": 1000.0, "m": 1.0}
"""Factor from metres to each supported ``POINT:UNITS``."""

N_PLATE_CHANNELS = {2: 6, 3: 8, 4: 6}
"""Analog channels per supported FORCE_PLATFORM:TYPE."""

_INT = ezc3d.ezc3d.INT
_FLOAT = ezc3d.ezc3d.FLOAT
_CHAR = ezc3d.ezc3d.CHAR


@dataclass
class PlateParameters:
    """One force plate as it is described in FORCE_PLATFORM.

    Attributes
    ----------
    plate_type : int
        FORCE_PLATFORM:TYPE: 2, 3 or 4.
    corners_m : ndarray, shape (4, 3)
        Corners in metres, lab frame, in the C3D quadrant order of the plate
        frame: (+x+y), (-x+y), (-x-y), (+x-y).
    origin_m : ndarray, shape (3,)
        FORCE_PLATFORM:ORIGIN in metres, plate frame: the vector from the plate
        origin O to the surface centre C for TYPE 2/4, ``(a, b, az0)`` for TYPE 3.
    channels : ndarray of int, shape (6,) or (8,)
        1-based analog channel numbers of the plate, in C3D channel order.
    cal_matrix : ndarray, shape (6, 6) or None
        TYPE 4 only: calibration matrix ``C`` with ``W = C·V`` (V in volts).
        Stored as given, so rows 4-6 are in N·<point unit>/V (N·mm/V in a
        ``"mm"`` file).
    zero : tuple of int
        FORCE_PLATFORM:ZERO, first and last frame of the unloaded baseline;
        ``(0, 0)`` means no baseline correction.
    """

    plate_type: int
    corners_m: FloatArray
    origin_m: FloatArray
    channels: npt.NDArray[np.int_]
    cal_matrix: FloatArray | None = None
    zero: tuple[int, int] = (0, 0)

    def __post_init__(self) -> None:
        """Convert the arrays and check their shapes."""
        if self.plate_type not in N_PLATE_CHANNELS:
            raise ValueError(
                f"plate_type must be one of {sorted(N_PLATE_CHANNELS)}, "
                f"got {self.plate_type}"
            )
        self.corners_m = np.asarray(self.corners_m, dtype=float)
        self.origin_m = np.asarray(self.origin_m, dtype=float)
        self.channels = np.asarray(self.channels, dtype=int)
        _check_shape("corners_m", self.corners_m, (4, 3))
        _check_shape("origin_m", self.origin_m, (3,))
        _check_shape("channels", self.channels, (N_PLATE_CHANNELS[self.plate_type],))
        if (self.plate_type == 4) != (self.cal_matrix is not None):
            raise ValueError(
                "cal_matrix is required for TYPE 4 plates and only for them"
            )
        if self.cal_matrix is not None:
            self.cal_matrix = np.asarray(self.cal_matrix, dtype=float)
            _check_shape("cal_matrix", self.cal_matrix, (6, 6))


def write_c3d(
    path: str | os.PathLike[str],
    *,
    markers: npt.ArrayLike,
    marker_labels: Sequence[str],
    point_rate_hz: float,
    analogs: npt.ArrayLike | None = None,
    analog_labels: Sequence[str] = (),
    analog_units: Sequence[str] = (),
    analog_rate_hz: float | None = None,
    plates: Sequence[PlateParameters] = (),
    events: Sequence[tuple[str, str, float]] = (),
    subject_name: str | None = None,
    mass_kg: float | None = None,
    height_m: float | None = None,
    point_units: str = "mm",
    analog_scale: npt.ArrayLike | None = None,
    residuals: npt.ArrayLike | None = None,
    processing: Mapping[str, float | str] | None = None,
    extra_parameters: Mapping[str, Mapping[str, npt.ArrayLike | list[str]]]
    | None = None,
    first_frame: int = 0,
) -> Path:
    """Write a C3D file.

    Parameters
    ----------
    path : str or PathLike
        Output file; overwritten if it exists.
    markers : array_like, shape (n_frames, n_markers, 3)
        Marker positions in metres, lab frame. NaN marks a missing sample, written
        as an invalid point (residual -1). At least one marker is required.
    marker_labels : sequence of str
        One label per marker (POINT:LABELS).
    point_rate_hz : float
        Marker frame rate in Hz (POINT:RATE).
    analogs : array_like, shape (n_samples, n_channels) or None
        Analog channels as physical values (N, N·<point unit>, V, ...), with
        ``n_samples = n_frames · analog_rate_hz / point_rate_hz``.
    analog_labels : sequence of str
        One label per analog channel (ANALOG:LABELS).
    analog_units : sequence of str
        One unit per analog channel (ANALOG:UNITS); empty strings if not given.
    analog_rate_hz : float or None
        Analog sampling rate in Hz, an integer multiple of ``point_rate_hz``.
        Required with ``analogs``.
    plates : sequence of PlateParameters
        Force plates (FORCE_PLATFORM group); lengths are written in
        ``point_units``.
    events : sequence of (str, str, float)
        ``(label, context, time_s)``, e.g. ``("Foot Strike", "Left", 1.25)``, with
        the time in seconds from the first frame (EVENT group, TIMES stored as
        minutes and seconds).
    subject_name : str or None
        SUBJECTS:NAMES; also written as EVENT:SUBJECTS.
    mass_kg : float or None
        Body mass in kg (PROCESSING:Bodymass).
    height_m : float or None
        Stature in metres, written in mm as Vicon does (PROCESSING:Height).
    point_units : {"mm", "m"}
        POINT:UNITS of the file.
    analog_scale : array_like, shape (n_channels,) or None
        ANALOG:SCALE per channel (default 1). The stored value is
        ``physical / scale``, so readers that apply SCALE recover ``analogs``;
        e.g. -1 stores the channels with flipped sign, like the Fukuchi 2017 files.
    residuals : array_like, shape (n_frames, n_markers) or None
        Marker residuals in metres (>= 0; default 0), stored as whole point units.
        Ignored where the marker is missing.
    processing : mapping of str to float or str, optional
        More PROCESSING parameters, written as given: numbers as FLOAT, text as
        CHAR (e.g. Vicon's ``LLegLength`` in mm). Must not repeat Bodymass or
        Height.
    extra_parameters : mapping of str to mapping, optional
        More groups and parameters, ``{GROUP: {NAME: value}}``, written as
        given (names are not checked, so a vendor's odd names, such as
        Qualisys' ``Uncropped Measurement Length``, can be reproduced):
        lists of str as CHAR, integer arrays as INT, other arrays as FLOAT.
    first_frame : int
        Zero-based index of the first frame in the capture (header), so a
        reader's first-frame time is ``first_frame / point_rate_hz`` s.

    Returns
    -------
    path : Path
        The written file.

    Examples
    --------
    >>> markers = np.zeros((10, 1, 3))
    >>> write_c3d("one.c3d", markers=markers, marker_labels=["M1"],
    ...           point_rate_hz=100.0)  # doctest: +SKIP
    """
    if point_units not in LENGTH_SCALE:
        raise ValueError(
            f"point_units must be one of {sorted(LENGTH_SCALE)}, got {point_units!r}"
        )
    markers = np.asarray(markers, dtype=float)
    n_frames = markers.shape[0]
    _check_shape("markers", markers, (n_frames, len(marker_labels), 3))
    if not marker_labels:
        raise ValueError("at least one marker is required")

    c3d = ezc3d.c3d()
    c3d["header"]["points"]["first_frame"] = int(first_frame)
    _set_points(c3d, markers, marker_labels, point_rate_hz, point_units, residuals)
    n_channels = 0
    if analogs is not None:
        n_channels = _set_analogs(
            c3d,
            np.asarray(analogs, dtype=float),
            n_frames,
            point_rate_hz,
            analog_rate_hz,
            analog_labels,
            analog_units,
            analog_scale,
        )
    if plates:
        _set_plates(c3d, plates, n_channels, LENGTH_SCALE[point_units])
    if events:
        _set_events(c3d, events, subject_name or "")
    _set_subject(c3d, subject_name, mass_kg, height_m)
    for name, value in (processing or {}).items():
        if name.lower() in ("bodymass", "height"):
            raise ValueError(f"give {name} through mass_kg / height_m")
        _set_param(
            c3d,
            "PROCESSING",
            name,
            [value] if isinstance(value, str) else np.array([float(value)]),
        )
    for group, entries in (extra_parameters or {}).items():
        for name, entry in entries.items():
            _set_param(
                c3d,
                group,
                name,
                list(entry) if isinstance(entry, list) else np.asarray(entry),
            )
    return _write_atomically(c3d, Path(path))


def _set_points(
    c3d: ezc3d.c3d,
    markers_m: FloatArray,
    labels: Sequence[str],
    rate_hz: float,
    units: str,
    residuals_m: npt.ArrayLike | None,
) -> None:
    """Fill POINT parameters and point data, converting metres to ``units``."""
    scale = LENGTH_SCALE[units]
    n_frames, n_markers, _ = markers_m.shape
    missing = np.any(np.isnan(markers_m), axis=2)
    if residuals_m is None:
        residuals = np.zeros((n_frames, n_markers))
    else:
        residuals = np.round(np.asarray(residuals_m, dtype=float) * scale)
        _check_shape("residuals", residuals, (n_frames, n_markers))
        if np.any(residuals < 0):
            raise ValueError("residuals must be >= 0; missing markers are NaN")
    residuals[missing] = -1.0
    points = np.ones((4, n_markers, n_frames))
    points[:3] = np.where(missing[..., None], 0.0, markers_m * scale).transpose(2, 1, 0)
    _set_param(c3d, "POINT", "RATE", np.array([float(rate_hz)]))
    _set_param(c3d, "POINT", "LABELS", list(labels))
    _set_param(c3d, "POINT", "UNITS", [units])
    c3d["data"]["points"] = points
    c3d["data"]["meta_points"] = {
        "residuals": residuals.T[None],
        "camera_masks": np.zeros((7, n_markers, n_frames), dtype=bool),
    }


def _set_analogs(
    c3d: ezc3d.c3d,
    analogs: FloatArray,
    n_frames: int,
    point_rate_hz: float,
    analog_rate_hz: float | None,
    labels: Sequence[str],
    units: Sequence[str],
    analog_scale: npt.ArrayLike | None,
) -> int:
    """Fill ANALOG parameters and analog data; return the number of channels."""
    if analog_rate_hz is None:
        raise ValueError("analog_rate_hz is required with analogs")
    ratio = analog_rate_hz / point_rate_hz
    if ratio < 1 or not np.isclose(ratio, round(ratio)):
        raise ValueError(
            f"analog_rate_hz ({analog_rate_hz}) must be an integer multiple of "
            f"point_rate_hz ({point_rate_hz})"
        )
    n_channels = len(labels)
    _check_shape("analogs", analogs, (n_frames * round(ratio), n_channels))
    units = list(units) or [""] * n_channels
    scales = np.ones(n_channels)
    if analog_scale is not None:
        scales = np.asarray(analog_scale, dtype=float)
    _check_shape("analog_units", np.asarray(units), (n_channels,))
    _check_shape("analog_scale", scales, (n_channels,))
    if np.any(scales == 0):
        raise ValueError("analog_scale must be non-zero")
    _set_param(c3d, "ANALOG", "RATE", np.array([float(analog_rate_hz)]))
    _set_param(c3d, "ANALOG", "LABELS", list(labels))
    _set_param(c3d, "ANALOG", "UNITS", units)
    _set_param(c3d, "ANALOG", "SCALE", scales)
    _set_param(c3d, "ANALOG", "GEN_SCALE", np.array([1.0]))
    c3d["data"]["analogs"] = analogs.T[None]
    return n_channels


def _set_plates(
    c3d: ezc3d.c3d, plates: Sequence[PlateParameters], n_channels: int, scale: float
) -> None:
    """Fill the FORCE_PLATFORM group; lengths converted with ``scale``."""
    zeros = {plate.zero for plate in plates}
    if len(zeros) != 1:
        raise ValueError(f"FORCE_PLATFORM:ZERO is shared by all plates, got {zeros}")
    n_rows = max(N_PLATE_CHANNELS[plate.plate_type] for plate in plates)
    channels = np.zeros((n_rows, len(plates)), dtype=int)
    for i, plate in enumerate(plates):
        if plate.channels.min() < 1 or plate.channels.max() > n_channels:
            raise ValueError(f"plate {i + 1} uses channels outside 1..{n_channels}")
        channels[: plate.channels.size, i] = plate.channels
    group = "FORCE_PLATFORM"
    _set_param(c3d, group, "USED", np.array([len(plates)]))
    _set_param(c3d, group, "TYPE", np.array([plate.plate_type for plate in plates]))
    _set_param(c3d, group, "ZERO", np.array(zeros.pop(), dtype=int))
    corners = np.stack([plate.corners_m.T * scale for plate in plates], axis=2)
    _set_param(c3d, group, "CORNERS", corners)
    origins = np.stack([plate.origin_m * scale for plate in plates], axis=1)
    _set_param(c3d, group, "ORIGIN", origins)
    _set_param(c3d, group, "CHANNEL", channels)
    if any(plate.cal_matrix is not None for plate in plates):
        cal = np.zeros((6, 6, len(plates)))
        for i, plate in enumerate(plates):
            if plate.cal_matrix is not None:
                cal[:, :, i] = plate.cal_matrix  # written as flat[j*6 + i] = C[i, j]
        _set_param(c3d, group, "CAL_MATRIX", cal)


def _set_events(
    c3d: ezc3d.c3d, events: Sequence[tuple[str, str, float]], subject: str
) -> None:
    """Fill the EVENT group; TIMES is (2, n_events): whole minutes, seconds."""
    times_s = np.array([float(time_s) for _, _, time_s in events])
    minutes = np.floor(times_s / 60.0)
    n_events = len(events)
    _set_param(c3d, "EVENT", "USED", np.array([n_events]))
    _set_param(c3d, "EVENT", "LABELS", [label for label, _, _ in events])
    _set_param(c3d, "EVENT", "CONTEXTS", [context for _, context, _ in events])
    _set_param(c3d, "EVENT", "TIMES", np.stack([minutes, times_s - 60.0 * minutes]))
    _set_param(c3d, "EVENT", "DESCRIPTIONS", [""] * n_events)
    _set_param(c3d, "EVENT", "SUBJECTS", [subject] * n_events)
    _set_param(c3d, "EVENT", "ICON_IDS", np.zeros(n_events, dtype=int))
    _set_param(c3d, "EVENT", "GENERIC_FLAGS", np.zeros(n_events, dtype=int))


def _set_subject(
    c3d: ezc3d.c3d, name: str | None, mass_kg: float | None, height_m: float | None
) -> None:
    """Fill SUBJECTS:NAMES and PROCESSING:Bodymass (kg) / Height (mm)."""
    if name is not None:
        _set_param(c3d, "SUBJECTS", "USED", np.array([1]))
        _set_param(c3d, "SUBJECTS", "NAMES", [name])
        _set_param(c3d, "SUBJECTS", "USES_PREFIXES", np.array([0]))
    if mass_kg is not None:
        _set_param(c3d, "PROCESSING", "Bodymass", np.array([float(mass_kg)]))
    if height_m is not None:
        _set_param(c3d, "PROCESSING", "Height", np.array([1000.0 * height_m]))


def _set_param(
    c3d: ezc3d.c3d, group: str, name: str, value: npt.NDArray[np.generic] | list[str]
) -> None:
    """Set a parameter: integer array -> INT, float array -> FLOAT, strings -> CHAR."""
    if isinstance(value, list):
        kind = _CHAR
    elif np.issubdtype(value.dtype, np.integer):
        kind = _INT
    else:
        kind = _FLOAT
    c3d["parameters"].create_group_if_needed(group)
    c3d["parameters"][group][name] = {
        "type": kind,
        "description": "",
        "is_locked": False,
        "value": value,
    }


def _write_atomically(c3d: ezc3d.c3d, path: Path) -> Path:
    """Write through a temporary ``.c3d`` name, then rename to ``path``.

    The folder is created if missing. ezc3d reports no error when it cannot
    write, so a file that did not appear is an OSError naming ``path``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.c3d")
    try:
        c3d.write(str(tmp))
        if not tmp.is_file():
            raise OSError(f"{path}: could not be written (is the folder writable?)")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _check_shape(name: str, array: np.ndarray, shape: tuple[int, ...]) -> None:
    """Raise ValueError unless ``array.shape == shape``."""
    if array.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {array.shape}")
