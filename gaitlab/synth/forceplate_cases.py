"""Force plates under a known load: raw channels and C3D files (METHODS §1.10).

A load on the plate is given the way a reader reports it: the force **F** applied to
the plate (plate frame, z down), the centre of pressure P = (x, y, 0) relative to
the surface centre C, and the free moment Tz about the vertical through P. The
channels that a plate of TYPE 2, 3 or 4 would record are built from it here.

Derivation (the inverse of METHODS §1.3-1.4, from the definitions only):

* The load is equivalent to F acting at P plus a pure moment (0, 0, Tz), so its
  moment about C is ``M_C = P x F + (0, 0, Tz)``, i.e.
  ``M_C = (y·Fz, -x·Fz, x·Fy - y·Fx + Tz)``.
* Moving the reference point from C to the plate origin O, with r = O→C:
  ``M_O = M_C + (C - O) x F = M_C + r x F = M_C - F x r``.
* TYPE 2 records ``(F, M_O)``; TYPE 4 records volts ``V = C⁻¹·(F, M_O)``; TYPE 3
  (Kistler, r = (0, 0, az0)) records the eight sensor forces, split as
  ``fx12, fx34 = Fx/2 ∓ Mz/(4b)``, ``fy14, fy23 = Fy/2 ± Mz/(4a)`` and
  ``fz_k = Fz/4 + sx_k·Mx/(4b) + sy_k·My/(4a)`` with (sx, sy) = (+, -), (+, +),
  (-, +), (-, -) for k = 1..4, which leaves no twist (``fz1 - fz2 + fz3 - fz4 = 0``).

The C3D test cases place the plate in the lab with plate x = lab X, plate y =
-lab Y, plate z = -lab Z and its centre at lab (1.0, 0.5, 0.0) m (the Y that the
§1.10 COP_lab of 552 mm implies). For the
reference load F = (-150, 80, 1500) N, COP = (31, -52) mm, Tz = 4.2 N·m a reader
must return F_lab = (-150, -80, -1500) N (force on the plate), COP_lab =
(1031, 552, 0) mm and Tz_lab = (0, 0, -4200) N·mm, i.e. GRF_up = +1500 N and a
free moment of +4.2 N·m about +Z on the subject (METHODS §1.6, §1.10).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from gaitlab.core.types import FloatArray
from gaitlab.io.c3d_writer import LENGTH_SCALE, PlateParameters, write_c3d

__all__ = [
    "CASE_NAMES",
    "REFERENCE_LOAD",
    "ExpectedPlateAnswer",
    "ForcePlateCase",
    "PlateLoad",
    "example_cal_matrix",
    "make_case",
    "plate_corners",
    "plate_wrench",
    "type2_channels",
    "type3_channels",
    "type4_channels",
    "write_all_cases",
    "write_case",
]


CASE_NAMES = ("type2", "type4", "type3", "type2_positive_origin")
"""The four §1.10 cases; ``type2_positive_origin`` stores ORIGIN with flipped sign."""

PLATE_CENTRE_LAB_M = np.array([1.0, 0.5, 0.0])
"""Surface centre of the test plate in the lab, metres."""

PLATE_AXES_LAB = np.array([[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -1.0]]).T
"""Columns: plate x, y, z axes in lab coordinates (plate → lab rotation)."""

PLATE_HALF_SIZE_M = (0.25, 0.40)
"""Half length of the test plate along plate x and plate y, metres."""

TYPE2_ORIGIN_M = np.array([0.004, -0.006, -0.041])
"""ORIGIN (O → C, plate frame) of the TYPE 2 test plate, metres."""

TYPE4_ORIGIN_M = np.array([-0.012, 0.009, -0.036])
"""ORIGIN (O → C, plate frame) of the TYPE 4 test plate, metres."""

KISTLER_GEOMETRY_M = (0.210, 0.350, -0.053)
"""TYPE 3 ORIGIN (a, b, az0) of the test plate, metres."""

CASE_MARKERS_LAB_M = np.array([[1.0, 0.5, 0.1], [1.0, 0.5, 1.0], [1.05, 0.45, 1.7]])
"""Static markers above the test plate (lab +Z is up), metres."""


@dataclass(frozen=True)
class PlateLoad:
    """A load on a force plate, in the plate frame (z pointing down).

    Attributes
    ----------
    force_n : ndarray, shape (3,)
        Force applied to the plate, in N.
    cop_m : ndarray, shape (2,)
        Centre of pressure (x, y) relative to the surface centre, in m.
    free_moment_n_m : float
        Free moment about the plate z axis through the COP, in N·m.
    """

    force_n: FloatArray
    cop_m: FloatArray
    free_moment_n_m: float


REFERENCE_LOAD = PlateLoad(
    force_n=np.array([-150.0, 80.0, 1500.0]),
    cop_m=np.array([0.031, -0.052]),
    free_moment_n_m=4.2,
)
"""The METHODS §1.10 load."""


@dataclass(frozen=True)
class ExpectedPlateAnswer:
    """What a correct reader returns for a written case, in the lab frame.

    Attributes
    ----------
    force_lab_n : ndarray, shape (n_samples, 3)
        Force on the plate, in N (the C3D/ezc3d convention, METHODS §1.6).
    cop_lab_m : ndarray, shape (n_samples, 3)
        Centre of pressure, in m.
    free_moment_lab_n_m : ndarray, shape (n_samples, 3)
        Free moment on the plate as a vector along the plate normal, in N·m.
    grf_up_n : ndarray, shape (n_samples,)
        Vertical GRF on the subject, ``-force_lab_n · e_up``, in N.
    free_moment_up_n_m : ndarray, shape (n_samples,)
        Free moment on the subject about ``e_up``, in N·m.
    e_up : ndarray, shape (3,)
        Lab vertical (+Z).
    """

    force_lab_n: FloatArray
    cop_lab_m: FloatArray
    free_moment_lab_n_m: FloatArray
    grf_up_n: FloatArray
    free_moment_up_n_m: FloatArray
    e_up: FloatArray


@dataclass(frozen=True)
class ForcePlateCase:
    """One §1.10 case: a plate description, its raw channels and the answer.

    Attributes
    ----------
    name : str
        One of `CASE_NAMES`.
    plate : PlateParameters
        FORCE_PLATFORM parameters as stored (channels 1..n).
    channels : ndarray, shape (n_samples, 6) or (n_samples, 8)
        Analog channel values in file units (N, N·<point unit>, V).
    channel_labels : tuple of str
        ANALOG:LABELS.
    channel_units : tuple of str
        ANALOG:UNITS.
    point_units : str
        POINT:UNITS the channels are expressed for.
    expected : ExpectedPlateAnswer
        The answer a reader must give.
    """

    name: str
    plate: PlateParameters
    channels: FloatArray
    channel_labels: tuple[str, ...]
    channel_units: tuple[str, ...]
    point_units: str
    expected: ExpectedPlateAnswer


def plate_wrench(
    force_n: npt.ArrayLike,
    cop_m: npt.ArrayLike,
    free_moment_n_m: npt.ArrayLike,
    origin_m: npt.ArrayLike,
) -> FloatArray:
    """Force and moment about the plate origin O produced by a load.

    Parameters
    ----------
    force_n : array_like, shape (n, 3)
        Force applied to the plate, plate frame, in N.
    cop_m : array_like, shape (n, 2)
        COP (x, y) relative to the surface centre C, in m.
    free_moment_n_m : array_like, shape (n,)
        Free moment about the plate z axis through the COP, in N·m.
    origin_m : array_like, shape (3,)
        Vector r from O to C in the plate frame, in m.

    Returns
    -------
    wrench : ndarray, shape (n, 6)
        ``(Fx, Fy, Fz, Mx, My, Mz)`` about O, in N and N·m.
    """
    force = np.atleast_2d(np.asarray(force_n, dtype=float))
    cop = np.atleast_2d(np.asarray(cop_m, dtype=float))
    cop_3d = np.column_stack([cop, np.zeros(len(cop))])
    free_moment = np.zeros_like(force)
    free_moment[:, 2] = free_moment_n_m
    moment_c = np.cross(cop_3d, force) + free_moment
    moment_o = moment_c - np.cross(force, np.asarray(origin_m, dtype=float))
    return np.column_stack([force, moment_o])


def type2_channels(wrench: FloatArray, point_units: str = "mm") -> FloatArray:
    """TYPE 2 channels: force in N and moment about O in N·<point unit>.

    Parameters
    ----------
    wrench : ndarray, shape (n, 6)
        Output of `plate_wrench`, in N and N·m.
    point_units : {"mm", "m"}
        POINT:UNITS of the file.

    Returns
    -------
    channels : ndarray, shape (n, 6)
        ``Fx, Fy, Fz, Mx, My, Mz``.
    """
    return wrench * np.repeat([1.0, LENGTH_SCALE[point_units]], 3)


def type4_channels(
    wrench: FloatArray, cal_matrix: FloatArray, point_units: str = "mm"
) -> FloatArray:
    """TYPE 4 channels: the volts V that give the wrench through ``W = C·V``.

    Parameters
    ----------
    wrench : ndarray, shape (n, 6)
        Output of `plate_wrench`, in N and N·m.
    cal_matrix : ndarray, shape (6, 6)
        Calibration matrix C, rows 4-6 in N·<point unit>/V.
    point_units : {"mm", "m"}
        POINT:UNITS of the file.

    Returns
    -------
    volts : ndarray, shape (n, 6)
        Channel voltages in V.
    """
    return np.linalg.solve(cal_matrix, type2_channels(wrench, point_units).T).T


def type3_channels(wrench: FloatArray, a_m: float, b_m: float) -> FloatArray:
    """TYPE 3 (Kistler) sensor forces for a wrench about the sensor-plane origin.

    Parameters
    ----------
    wrench : ndarray, shape (n, 6)
        Output of `plate_wrench` with ``origin_m = (0, 0, az0)``, in N and N·m.
    a_m, b_m : float
        Sensor offsets from the plate y and x axes (ORIGIN(1), ORIGIN(2)), in m.

    Returns
    -------
    channels : ndarray, shape (n, 8)
        ``fx12, fx34, fy14, fy23, fz1, fz2, fz3, fz4`` in N; the split between
        sensors puts half of Mz on the x pairs and half on the y pairs, and no
        twist on the vertical sensors.
    """
    fx, fy, fz, mx, my, mz = wrench.T
    s, p, q = fz / 4.0, mx / (4.0 * b_m), my / (4.0 * a_m)
    return np.column_stack(
        [
            fx / 2.0 - mz / (4.0 * b_m),
            fx / 2.0 + mz / (4.0 * b_m),
            fy / 2.0 + mz / (4.0 * a_m),
            fy / 2.0 - mz / (4.0 * a_m),
            s + p - q,
            s + p + q,
            s - p + q,
            s - p - q,
        ]
    )


def example_cal_matrix(point_units: str = "mm") -> FloatArray:
    """Return a non-diagonal, non-symmetric, well-conditioned TYPE 4 CAL_MATRIX.

    Diagonal gains like the Fukuchi 2017 treadmill (500, 500, 1000 N/V;
    800, 250, 400 N·m/V) with 1-3 % cross-talk between all channels.

    Parameters
    ----------
    point_units : {"mm", "m"}
        POINT:UNITS of the file; rows 4-6 are in N·<point unit>/V.

    Returns
    -------
    cal_matrix : ndarray, shape (6, 6)
        C with ``W = C·V``.
    """
    gains = np.array([500.0, 500.0, 1000.0, 800.0, 250.0, 400.0])
    gains[3:] *= LENGTH_SCALE[point_units]
    i, j = np.indices((6, 6))
    cross_talk = 0.01 * (1 + (2 * i + 3 * j) % 3) * np.where((i + j) % 2, 1.0, -1.0)
    return gains[:, None] * (np.eye(6) + np.where(i == j, 0.0, cross_talk))


def plate_corners(
    centre_lab_m: npt.ArrayLike, axes_lab: FloatArray, half_size_m: tuple[float, float]
) -> FloatArray:
    """Plate corners in the lab, in C3D quadrant order.

    Parameters
    ----------
    centre_lab_m : array_like, shape (3,)
        Surface centre in the lab, in m.
    axes_lab : ndarray, shape (3, 3)
        Columns: plate x, y, z axes in the lab.
    half_size_m : (float, float)
        Half length along plate x and plate y, in m.

    Returns
    -------
    corners : ndarray, shape (4, 3)
        Quadrants (+x+y), (-x+y), (-x-y), (+x-y) of the plate frame, in m.
    """
    signs = np.array([[1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]])
    local = signs * np.asarray(half_size_m)
    return np.asarray(centre_lab_m, dtype=float) + local @ axes_lab[:, :2].T


def make_case(
    name: str,
    *,
    load: PlateLoad = REFERENCE_LOAD,
    profile: npt.ArrayLike | None = None,
    point_units: str = "mm",
) -> ForcePlateCase:
    """Build one §1.10 case in memory.

    Parameters
    ----------
    name : str
        One of `CASE_NAMES`.
    load : PlateLoad
        Load at unit profile.
    profile : array_like, shape (n_samples,) or None
        Load scale per analog sample (force and free moment scale, the COP stays);
        default 100 samples of 1. Avoid zeros: the COP is undefined there.
    point_units : {"mm", "m"}
        POINT:UNITS the channels and plate parameters are meant for.

    Returns
    -------
    case : ForcePlateCase
        Plate parameters, channels and expected answer.
    """
    if name not in CASE_NAMES:
        raise ValueError(f"name must be one of {CASE_NAMES}, got {name!r}")
    scale = np.ones(100) if profile is None else np.asarray(profile, dtype=float)
    force = scale[:, None] * load.force_n
    cop = np.broadcast_to(load.cop_m, (scale.size, 2))
    free_moment = scale * load.free_moment_n_m
    corners = plate_corners(PLATE_CENTRE_LAB_M, PLATE_AXES_LAB, PLATE_HALF_SIZE_M)
    moment_unit = "Nmm" if point_units == "mm" else "Nm"
    if name == "type3":
        a, b, az0 = KISTLER_GEOMETRY_M
        wrench = plate_wrench(force, cop, free_moment, (0.0, 0.0, az0))
        channels = type3_channels(wrench, a, b)
        plate = PlateParameters(
            3, corners, np.array(KISTLER_GEOMETRY_M), np.arange(1, 9)
        )
        labels = ("Fx12", "Fx34", "Fy14", "Fy23", "Fz1", "Fz2", "Fz3", "Fz4")
        units = ("N",) * 8
    elif name == "type4":
        cal = example_cal_matrix(point_units)
        wrench = plate_wrench(force, cop, free_moment, TYPE4_ORIGIN_M)
        channels = type4_channels(wrench, cal, point_units)
        plate = PlateParameters(4, corners, TYPE4_ORIGIN_M, np.arange(1, 7), cal)
        labels, units = ("Fx", "Fy", "Fz", "Mx", "My", "Mz"), ("V",) * 6
    else:
        wrench = plate_wrench(force, cop, free_moment, TYPE2_ORIGIN_M)
        channels = type2_channels(wrench, point_units)
        stored = -TYPE2_ORIGIN_M if name == "type2_positive_origin" else TYPE2_ORIGIN_M
        plate = PlateParameters(2, corners, stored, np.arange(1, 7))
        labels = ("Fx", "Fy", "Fz", "Mx", "My", "Mz")
        units = ("N", "N", "N", moment_unit, moment_unit, moment_unit)
    return ForcePlateCase(
        name=name,
        plate=plate,
        channels=channels,
        channel_labels=labels,
        channel_units=units,
        point_units=point_units,
        expected=_expected_answer(force, cop, free_moment),
    )


def write_case(
    path: str | os.PathLike[str],
    case: ForcePlateCase,
    *,
    point_rate_hz: float = 100.0,
    analog_rate_hz: float = 1000.0,
) -> Path:
    """Write a case as a C3D file with static markers above the plate.

    Parameters
    ----------
    path : str or PathLike
        Output file.
    case : ForcePlateCase
        From `make_case`; its sample count must be a multiple of
        ``analog_rate_hz / point_rate_hz``.
    point_rate_hz, analog_rate_hz : float
        Marker and analog rates in Hz.

    Returns
    -------
    path : Path
        The written file.
    """
    n_frames = round(len(case.channels) * point_rate_hz / analog_rate_hz)
    markers = np.broadcast_to(CASE_MARKERS_LAB_M, (n_frames, *CASE_MARKERS_LAB_M.shape))
    return write_c3d(
        path,
        markers=markers,
        marker_labels=[f"M{i + 1}" for i in range(len(CASE_MARKERS_LAB_M))],
        point_rate_hz=point_rate_hz,
        analogs=case.channels,
        analog_labels=case.channel_labels,
        analog_units=case.channel_units,
        analog_rate_hz=analog_rate_hz,
        plates=[case.plate],
        point_units=case.point_units,
    )


def write_all_cases(
    directory: str | os.PathLike[str],
    *,
    load: PlateLoad = REFERENCE_LOAD,
    profile: npt.ArrayLike | None = None,
    point_units: str = "mm",
) -> dict[str, tuple[Path, ForcePlateCase]]:
    """Write the four §1.10 cases as ``<directory>/<name>.c3d``.

    Parameters
    ----------
    directory : str or PathLike
        Existing output folder.
    load, profile, point_units
        As in `make_case`.

    Returns
    -------
    cases : dict of str to (Path, ForcePlateCase)
        File and case per name in `CASE_NAMES`.
    """
    written = {}
    for name in CASE_NAMES:
        case = make_case(name, load=load, profile=profile, point_units=point_units)
        written[name] = (write_case(Path(directory) / f"{name}.c3d", case), case)
    return written


def _expected_answer(
    force_n: FloatArray, cop_m: FloatArray, free_moment_n_m: FloatArray
) -> ExpectedPlateAnswer:
    """Rotate the plate-frame load into the lab (forward transform only)."""
    n_samples = len(force_n)
    cop_plate = np.column_stack([cop_m, np.zeros(n_samples)])
    free_moment = np.zeros((n_samples, 3))
    free_moment[:, 2] = free_moment_n_m
    force_lab = force_n @ PLATE_AXES_LAB.T
    free_moment_lab = free_moment @ PLATE_AXES_LAB.T
    e_up = np.array([0.0, 0.0, 1.0])
    return ExpectedPlateAnswer(
        force_lab_n=force_lab,
        cop_lab_m=PLATE_CENTRE_LAB_M + cop_plate @ PLATE_AXES_LAB.T,
        free_moment_lab_n_m=free_moment_lab,
        grf_up_n=-force_lab @ e_up,
        free_moment_up_n_m=-free_moment_lab @ e_up,
        e_up=e_up,
    )
