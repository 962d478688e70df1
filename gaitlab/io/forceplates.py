"""Force-plate wrench, centre of pressure and free moment from C3D channels.

Implements METHODS §1 exactly, in numpy, for plate types 1-4:

1. channels -> force F and moment in the plate frame (§1.3), after the
   FORCE_PLATFORM:ZERO baseline (§1.1) and the ORIGIN sign repair (§1.2);
2. moment moved to the surface centre C, COP and free moment (§1.4), with
   the Kistler COP polynomial correction when FPCOPPOLY is present;
3. plate -> lab rotation from the corners (§1.5);
4. the output sign chosen so the force acts on the subject (§1.6);
5. COP and free moment set to NaN below the COP threshold (§1.7).

ezc3d's own force-plate output is not used: it takes ORIGIN signs and the
TYPE-1 moment differently (METHODS §1.2, §1.3). Everything here is plain
numpy, so it is tested directly against analytic cases.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gaitlab.core.trial import ForcePlate
from gaitlab.core.types import FloatArray

__all__ = [
    "PlateDefinition",
    "compute_forceplate",
    "cop_threshold_n",
    "longest_run",
    "plate_rotation",
    "wrench_in_plate_frame",
]


GRAVITY = 9.81  # m s^-2, METHODS §0.1
COP_THRESHOLD_FLOOR_N = 50.0  # METHODS §1.7
SUPPORTED_TYPES = (1, 2, 3, 4)
N_CHANNELS = {1: 6, 2: 6, 3: 8, 4: 6}


@dataclass
class PlateDefinition:
    """One plate's parameters, converted to SI.

    Attributes
    ----------
    plate_type : int
        FORCE_PLATFORM:TYPE.
    channels : ndarray of int, shape (n_channels,)
        Zero-based analog channel indices.
    corners_m : ndarray, shape (4, 3)
        Corners in metres, lab frame, C3D quadrant order.
    origin_m : ndarray, shape (3,)
        FORCE_PLATFORM:ORIGIN in metres, plate frame, as stored.
    cal_matrix : ndarray, shape (6, 6) or None
        TYPE 4 calibration matrix, ``C[i, j]``, with rows 4-6 converted to
        N·m per channel unit.
    zero_frames : tuple of int
        FORCE_PLATFORM:ZERO, one-based 3D frame numbers; (0, 0) for none.
    cop_poly : ndarray, shape (12,) or None
        Kistler COP correction coefficients P0..P11.
    cop_poly_unit_m : float
        Length unit the coefficients expect for x and y, in metres (0.001 when
        the file's lengths are in mm).
    """

    plate_type: int
    channels: npt.NDArray[np.int64]
    corners_m: FloatArray
    origin_m: FloatArray
    cal_matrix: FloatArray | None = None
    zero_frames: tuple[int, int] = (0, 0)
    cop_poly: FloatArray | None = None
    cop_poly_unit_m: float = 1.0


def cop_threshold_n(body_mass_kg: float | None) -> float:
    """COP validity threshold of METHODS §1.7: max(50 N, 0.05·BW), in newtons.

    Examples
    --------
    >>> cop_threshold_n(None), round(cop_threshold_n(150.0), 2)
    (50.0, 73.58)
    """
    if body_mass_kg is None:
        return COP_THRESHOLD_FLOOR_N
    return max(COP_THRESHOLD_FLOOR_N, 0.05 * body_mass_kg * GRAVITY)


def plate_rotation(corners: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Plate -> lab rotation and surface centre from the four corners (§1.5).

    Parameters
    ----------
    corners : ndarray, shape (4, 3)
        Corners in lab coordinates, C3D quadrant order.

    Returns
    -------
    rotation : ndarray, shape (3, 3)
        Columns are the plate x, y, z axes in the lab frame.
    centre : ndarray, shape (3,)
        Mean of the corners (same unit as ``corners``).
    """
    c1, c2, _, c4 = corners
    e_x = _unit(c1 - c2)
    e_z = _unit(np.cross(e_x, c1 - c4))
    e_y = np.cross(e_z, e_x)
    return np.column_stack([e_x, e_y, e_z]), corners.mean(axis=0)


def repaired_origin(plate: PlateDefinition) -> tuple[FloatArray, list[str]]:
    """ORIGIN after the sign repair of METHODS §1.2, and a note if it changed.

    TYPE 2/4: all three components flipped when z > 0. TYPE 3: z only (a and
    b are half sensor spacings). TYPE 1: only z is used.
    """
    origin = np.asarray(plate.origin_m, dtype=float).copy()
    notes = []
    if origin[2] > 0:
        stored = origin.copy()
        if plate.plate_type in (2, 4):
            origin = -origin
        else:
            origin[2] = -origin[2]
        notes.append(
            f"ORIGIN z was positive ({_mm(stored)} mm); repaired to {_mm(origin)} mm "
            "(C3D convention: the surface lies above the plate origin)"
        )
    if plate.plate_type == 1:
        origin[:2] = 0.0
    return origin, notes


def wrench_in_plate_frame(
    plate: PlateDefinition, channels: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, list[str]]:
    """Force, moment at the surface centre, COP and free moment, plate frame.

    Parameters
    ----------
    plate : PlateDefinition
        The plate.
    channels : ndarray, shape (n_samples, n_channels)
        The plate's analog channels; forces in N, moments in N·m, lengths
        (TYPE 1 COP) in m.

    Returns
    -------
    force : ndarray, shape (n_samples, 3)
        Force applied to the plate, N (plate z down under load: Fz > 0).
    moment_c : ndarray, shape (n_samples, 3)
        Moment about the surface centre C, N·m.
    cop : ndarray, shape (n_samples, 2)
        COP relative to C in the surface plane, m (not thresholded).
    free_moment : ndarray, shape (n_samples,)
        Moment about the plate z axis through the COP, N·m.
    notes : list of str
        Repairs made.
    """
    origin, notes = repaired_origin(plate)
    ch = channels
    if plate.plate_type == 1:
        force = ch[:, 0:3]
        cop = ch[:, 3:5].copy()
        free_moment = ch[:, 5].copy()
        cop3 = np.column_stack([cop, np.zeros(len(ch))])
        moment_c = np.cross(cop3, force)
        moment_c[:, 2] += free_moment
        return force, moment_c, cop, free_moment, notes
    if plate.plate_type == 2:
        force, moment_o = ch[:, 0:3], ch[:, 3:6]
        r = origin
    elif plate.plate_type == 4:
        assert plate.cal_matrix is not None
        wrench = ch @ plate.cal_matrix.T
        force, moment_o = wrench[:, 0:3], wrench[:, 3:6]
        r = origin
    else:  # TYPE 3, Kistler
        a, b, az0 = abs(origin[0]), abs(origin[1]), origin[2]
        fx12, fx34, fy14, fy23, fz1, fz2, fz3, fz4 = ch.T
        force = np.column_stack([fx12 + fx34, fy14 + fy23, fz1 + fz2 + fz3 + fz4])
        moment_o = np.column_stack(
            [
                b * (fz1 + fz2 - fz3 - fz4),
                a * (-fz1 + fz2 + fz3 - fz4),
                b * (-fx12 + fx34) + a * (fy14 - fy23),
            ]
        )
        r = np.array([0.0, 0.0, az0])
    moment_c = moment_o + np.cross(force, r)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = -moment_c[:, 1] / force[:, 2]
        y = moment_c[:, 0] / force[:, 2]
        if (
            plate.plate_type == 3
            and plate.cop_poly is not None
            and np.any(plate.cop_poly)
        ):
            unit = plate.cop_poly_unit_m
            x, y = _kistler_cop_correction(x / unit, y / unit, plate.cop_poly)
            x, y = x * unit, y * unit
        free_moment = moment_c[:, 2] - x * force[:, 1] + y * force[:, 0]
    return force, moment_c, np.column_stack([x, y]), free_moment, notes


def compute_forceplate(
    plate: PlateDefinition,
    channels: FloatArray,
    *,
    rate_hz: float,
    t0_s: float,
    frames_to_samples: float,
    up_axis: FloatArray,
    body_mass_kg: float | None = None,
) -> ForcePlate:
    """Lab-frame force plate output acting on the subject (METHODS §1).

    Parameters
    ----------
    plate : PlateDefinition
        The plate.
    channels : ndarray, shape (n_samples, n_channels)
        The plate's analog channels in SI (N, N·m, m).
    rate_hz, t0_s : float
        Analog rate in Hz and time of the first sample in s.
    frames_to_samples : float
        Analog samples per 3D frame (to place the ZERO range).
    up_axis : ndarray, shape (3,)
        Upward unit vector of the lab.
    body_mass_kg : float or None
        Subject mass, for the COP threshold of §1.7.

    Returns
    -------
    plate : ForcePlate
        Force, moment at the surface centre, COP and free moment on the
        subject, in the lab frame.
    """
    vertical = wrench_in_plate_frame(plate, channels)[0][:, 2]
    channels, notes = _remove_baseline(
        plate, channels, vertical, frames_to_samples, rate_hz
    )
    if not any(note.startswith("baseline removed") for note in notes):
        channels, more = _remove_unloaded_baseline(channels, vertical, rate_hz)
        notes += more
    force_p, moment_p, cop_p, tz_p, repair_notes = wrench_in_plate_frame(
        plate, channels
    )
    notes = repair_notes + notes
    rotation, centre = plate_rotation(plate.corners_m)
    force = force_p @ rotation.T
    moment = moment_p @ rotation.T
    cop_plate = np.column_stack([cop_p, np.zeros(len(cop_p))])
    cop_plate[~np.isfinite(cop_plate).all(axis=1)] = np.nan
    with np.errstate(invalid="ignore"):
        cop = cop_plate @ rotation.T + centre
    plate_z_up = float(rotation[:, 2] @ up_axis)
    sign, sign_note = _subject_sign(force @ up_axis)
    notes.append(sign_note)
    force *= sign
    moment *= sign
    free_moment = sign * tz_p * plate_z_up
    threshold = cop_threshold_n(body_mass_kg)
    unloaded = ~(force @ up_axis >= threshold)
    cop[unloaded] = np.nan
    free_moment[unloaded] = np.nan
    return ForcePlate(
        force=force,
        moment=moment,
        cop=cop,
        free_moment=free_moment,
        corners=np.asarray(plate.corners_m, dtype=float),
        rate_hz=rate_hz,
        t0_s=t0_s,
        plate_type=plate.plate_type,
        sign=sign,
        cop_threshold_n=threshold,
        notes=tuple(notes),
    )


# ------------------------------------------------------------------ helpers


def _subject_sign(vertical: FloatArray) -> tuple[int, str]:
    """Sign rule of METHODS §1.6: +1 if the loaded vertical force points up."""
    magnitude = np.abs(vertical)
    peak = float(np.nanmax(magnitude)) if magnitude.size else 0.0
    if not peak > COP_THRESHOLD_FLOOR_N:
        return -1, (
            f"plate never loaded above {COP_THRESHOLD_FLOOR_N:.0f} N: force sign "
            "taken from the C3D convention (channels = load on the plate)"
        )
    loaded = magnitude > 0.5 * peak
    sign = 1 if np.median(vertical[loaded]) > 0 else -1
    if sign == 1:
        return 1, "force sign: channels already give the reaction on the subject"
    return -1, "force sign: channels give the load on the plate; negated"


def _remove_baseline(
    plate: PlateDefinition,
    channels: FloatArray,
    vertical: FloatArray,
    frames_to_samples: float,
    rate_hz: float,
) -> tuple[FloatArray, list[str]]:
    """Subtract the ZERO-range channel means when the plate was unloaded there.

    ``vertical`` is the plate-frame Fz of the uncorrected channels, in N.
    METHODS §1.1 asks to check that the plate was unloaded in the ZERO range.
    The range counts as unloaded when its mean vertical force is below 50 N,
    or when it is a constant offset: the force leaves that level by more than
    max(200 N, |offset|) during the trial yet never rests near 0 N for 0.1 s
    (a subject standing in the range would rest near 0 N after stepping off).
    """
    first, last = plate.zero_frames
    if first <= 0 or last < first:
        return channels, []
    start = round((first - 1) * frames_to_samples)
    stop = min(round(last * frames_to_samples), len(channels))
    if stop - start < 1:
        return channels, [
            f"ZERO frames {first}-{last} lie outside the record: no baseline removed"
        ]
    level = float(np.nanmean(vertical[start:stop]))
    if abs(level) >= COP_THRESHOLD_FLOOR_N:
        excursion = float(np.nanmax(np.abs(vertical - level)))
        rests_near_zero = (
            longest_run(np.abs(vertical) < COP_THRESHOLD_FLOOR_N) >= 0.1 * rate_hz
        )
        if rests_near_zero or excursion < max(200.0, abs(level)):
            return channels, [
                f"ZERO frames {first}-{last}: plate loaded there (mean Fz "
                f"{level:.0f} N), so no baseline was removed"
            ]
    baseline = np.nanmean(channels[start:stop], axis=0)
    return channels - baseline, [
        f"baseline removed: channel means over ZERO frames {first}-{last} "
        f"(vertical offset {level:.1f} N)"
    ]


def _remove_unloaded_baseline(
    channels: FloatArray, force: FloatArray, rate_hz: float
) -> tuple[FloatArray, list[str]]:
    """Subtract the channel medians over unloaded stretches (no usable ZERO range).

    A gaitlab addition to METHODS §1.1, which recommends it for treadmills
    (flight phases): uncorrected channel offsets move the COP by
    offset / Fz, i.e. by decimetres at the start and end of a contact. The
    unloaded samples (``force``: plate-frame Fz, N) are the middle halves of
    stretches of at least 0.1 s within noise of the lowest force level; nothing is removed when the plate is never clearly
    unloaded (the lowest level is not well below the peak, e.g. quiet
    standing through the whole trial).
    """
    magnitude = np.abs(force)
    if not np.nanmax(magnitude, initial=0.0) > 4 * COP_THRESHOLD_FLOOR_N:
        return channels, []
    loaded_sign = np.sign(np.median(force[magnitude > 0.5 * np.nanmax(magnitude)]))
    vertical = force * loaded_sign
    low, peak = float(np.percentile(vertical, 5)), float(np.nanmax(vertical))
    noise = float(np.median(np.abs(np.diff(vertical)))) / 0.6745 / np.sqrt(2)
    near_low = np.abs(vertical - low) < max(10.0, 5 * noise)
    unloaded = _runs_at_least(near_low, int(np.ceil(0.1 * rate_hz)), central=True)
    if not unloaded.any() or peak - low < 200.0 or abs(low) > 0.5 * (peak - low):
        return channels, []
    baseline = np.median(channels[unloaded], axis=0)
    offset = float(np.median(vertical[unloaded]))
    return channels - baseline, [
        f"baseline removed: channel medians over {unloaded.sum() / rate_hz:.2f} s of "
        f"unloaded samples (vertical offset {offset:.1f} N; no usable ZERO range)"
    ]


def _runs_at_least(
    mask: npt.NDArray[np.bool_], length: int, *, central: bool = False
) -> npt.NDArray[np.bool_]:
    """The True samples of ``mask`` that belong to runs of at least ``length``.

    With ``central``, only the middle half of each run: the edges of an
    unloaded stretch are the tails of the contacts around it (on a treadmill,
    where flights last about 0.1 s, they bias the baseline by several N).
    """
    padded = np.concatenate([[0], mask.astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(padded))
    keep = np.zeros(mask.size, dtype=bool)
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        if stop - start >= length:
            trim = (stop - start) // 4 if central else 0
            keep[start + trim : stop - trim] = True
    return keep


def longest_run(mask: npt.NDArray[np.bool_]) -> int:
    """Length of the longest run of True values."""
    if not mask.any():
        return 0
    padded = np.concatenate([[0], mask.astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(padded))
    return int((edges[1::2] - edges[::2]).max())


def _kistler_cop_correction(
    x: FloatArray, y: FloatArray, p: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """FPCOPPOLY correction of METHODS §1.3 (x, y in the coefficients' unit)."""
    dx = (p[0] * y**4 + p[1] * y**2 + p[2]) * x**3 + (
        p[3] * y**4 + p[4] * y**2 + p[5]
    ) * x
    dy = (p[6] * x**4 + p[7] * x**2 + p[8]) * y**3 + (
        p[9] * x**4 + p[10] * x**2 + p[11]
    ) * y
    return x - dx, y - dy


def _unit(v: FloatArray) -> FloatArray:
    norm = float(np.linalg.norm(v))
    if norm == 0:
        raise ValueError("degenerate force-plate corners (zero-length edge)")
    return v / norm


def _mm(v: FloatArray) -> str:
    return "(" + ", ".join(f"{c * 1000:.1f}" for c in v) + ")"
