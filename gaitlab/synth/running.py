"""A synthetic running trial written as a real C3D file, with its known answers.

The runner is the SLIP model of `gaitlab.synth.slip` (METHODS §8.2) dressed with a
simple Plug-in-Gait-labelled marker set. Body model (model frame: forward, up,
right; metres):

* Pelvis: its centroid (mean of LASI, RASI, LPSI, RPSI) **is** the SLIP COM.
  ASIS at (+0.08, -0.03, ±0.12), PSIS at (-0.08, +0.03, ±0.045) from it.
* Trunk and head: one rigid block pitched forward by ``trunk_lean_deg`` about the
  pelvis centroid. Along the trunk axis / perpendicular forward: shoulders
  (LSHO, RSHO) at 0.50 / 0 with ±0.18 lateral, so the pelvis-centroid ->
  shoulder-midpoint line leans exactly ``trunk_lean_deg``; C7 0.55 / -0.07,
  CLAV 0.48 / +0.07, STRN 0.30 / +0.10, front head 0.75 / +0.09 and back head
  0.73 / -0.09 (±0.06 lateral).
* Legs: hip joint centres 0.08 below the COM at ±0.085 lateral; thigh and shank
  0.45 each, knee found by two-link inverse kinematics in the sagittal plane
  (knee in front); knee markers 0.05 lateral of the joint.
* Feet stay horizontal. The stance foot's ground point is the SLIP foot point (the
  COP), at ±0.085 lateral; ankle joint 0.08 above it (ANK marker 0.035 further
  lateral), HEE 0.07 behind and TOE 0.15 ahead of it, both 0.03 above the ground.
  Steps alternate Right (first), Left, ...
* Swing: the ankle moves relative to the hip from its lift-off offset to its next
  touchdown offset along a half-cosine, lifted by up to 0.20 m.

Force plates: on a treadmill (``treadmill=True``) one TYPE 4 plate (1.8 m x 0.6 m,
non-diagonal calibration matrix) under a moving belt, i.e. the mean forward COM
motion is removed from all positions; overground, one TYPE 2 plate (0.6 m x
0.4 m) under each step, its centre 0.05 m ahead of the foot point. Plate z points
down, plate x along the positive lab axis of progression. The GRF is planar (no
lateral force) and the free moment is zero.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from gaitlab.io.c3d_writer import PlateParameters, write_c3d
from gaitlab.synth.forceplate_cases import (
    example_cal_matrix,
    plate_corners,
    plate_wrench,
    type2_channels,
    type4_channels,
)
from gaitlab.synth.slip import SlipGait, SlipParameters, SlipSeries, simulate_steps

__all__ = ["MARKER_LABELS", "SyntheticRun", "make_running_trial"]

FloatArray = npt.NDArray[np.float64]

MARKER_LABELS = (
    "LASI", "RASI", "LPSI", "RPSI", "C7", "CLAV", "STRN", "LSHO", "RSHO",
    "LFHD", "RFHD", "LBHD", "RBHD", "LKNE", "RKNE", "LANK", "RANK",
    "LHEE", "RHEE", "LTOE", "RTOE",
)  # fmt: skip
"""Marker labels in the order written."""

PELVIS_MARKERS_M = {
    "LASI": (0.08, -0.03, -0.12),
    "RASI": (0.08, -0.03, 0.12),
    "LPSI": (-0.08, 0.03, -0.045),
    "RPSI": (-0.08, 0.03, 0.045),
}
"""(forward, up, right) from the pelvis centroid (= COM), metres."""

TRUNK_MARKERS_M = {
    "C7": (-0.07, 0.55, 0.0),
    "CLAV": (0.07, 0.48, 0.0),
    "STRN": (0.10, 0.30, 0.0),
    "LSHO": (0.0, 0.50, -0.18),
    "RSHO": (0.0, 0.50, 0.18),
    "LFHD": (0.09, 0.75, -0.06),
    "RFHD": (0.09, 0.75, 0.06),
    "LBHD": (-0.09, 0.73, -0.06),
    "RBHD": (-0.09, 0.73, 0.06),
}
"""(perpendicular forward, along the trunk axis, right) from the pelvis centroid."""

HIP_BELOW_COM_M = 0.08
JOINT_HALF_WIDTH_M = 0.085
THIGH_LENGTH_M = 0.45
SHANK_LENGTH_M = 0.45
ANKLE_HEIGHT_M = 0.08
SWING_LIFT_M = 0.20
KNEE_MARKER_OUT_M = 0.05
ANKLE_MARKER_OUT_M = 0.035
HEEL_M = (-0.07, 0.03)
TOE_M = (0.15, 0.03)
"""Leg and foot geometry in metres (see the module docstring)."""

TREADMILL_SIZE_M = (1.8, 0.6)
TREADMILL_ORIGIN_M = np.array([-0.243, 0.120, -0.015])
PLATE_SIZE_M = (0.6, 0.4)
PLATE_AHEAD_OF_FOOT_M = 0.05
PLATE_ORIGIN_M = np.array([0.001, -0.002, -0.038])
"""Plate sizes (along plate x, plate y), ORIGIN vectors and placement, metres."""

_AXES = {"x": 0, "y": 1, "z": 2}


@dataclass(frozen=True)
class SyntheticRun:
    """A written synthetic running trial and its known answers.

    Attributes
    ----------
    path : Path
        The C3D file.
    gait : SlipGait
        The periodic SLIP gait (per-step values are identical for every step).
    mass_kg, height_m : float
        Subject mass in kg and stature in m, as written to PROCESSING.
    speed_m_s : float
        Running speed in m/s.
    treadmill : bool
        True for the single treadmill plate, False for overground plates.
    e_up, e_forward : ndarray, shape (3,)
        Lab vertical and direction of progression (unit vectors).
    point_rate_hz, analog_rate_hz : float
        Marker and analog rates in Hz.
    marker_labels : tuple of str
        POINT:LABELS.
    markers_m : ndarray, shape (n_frames, n_markers, 3)
        Marker positions written, lab frame, in m.
    com_m : ndarray, shape (n_frames, 3)
        Centre of mass, lab frame, in m.
    analog_time_s : ndarray, shape (n_samples,)
        Analog sample times in s (first frame at 0).
    grf_n : ndarray, shape (n_samples, 3)
        Noise-free ground reaction force on the runner, lab frame, in N.
    cop_m : ndarray, shape (n_samples, 3)
        Centre of pressure, lab frame, in m; NaN without contact.
    analogs : ndarray, shape (n_samples, n_channels)
        Analog channels as written (volts for TYPE 4; N and N·<unit> for TYPE 2).
    plates : tuple of PlateParameters
        The force plates written.
    sides : tuple of str
        "Right" or "Left" per step.
    touchdown_s, liftoff_s : ndarray, shape (n_steps,)
        Foot Strike and Foot Off times in s.
    contact_time_s : ndarray, shape (n_steps,)
        Contact time per step in s.
    step_time_s : ndarray, shape (n_steps - 1,)
        Time between consecutive Foot Strikes (opposite feet) in s.
    flight_time_s : float
        Flight time in s.
    peak_vertical_grf_n : float
        Peak vertical GRF per step in N.
    braking_impulse_n_s, propulsive_impulse_n_s : float
        Braking (negative) and propulsive impulse per step in N·s.
    trunk_lean_deg : float
        Angle of the pelvis-centroid -> shoulder-midpoint line from the vertical,
        positive forward, in degrees.
    """

    path: Path
    gait: SlipGait
    mass_kg: float
    height_m: float
    speed_m_s: float
    treadmill: bool
    e_up: FloatArray
    e_forward: FloatArray
    point_rate_hz: float
    analog_rate_hz: float
    marker_labels: tuple[str, ...]
    markers_m: FloatArray
    com_m: FloatArray
    analog_time_s: FloatArray
    grf_n: FloatArray
    cop_m: FloatArray
    analogs: FloatArray
    plates: tuple[PlateParameters, ...]
    sides: tuple[str, ...]
    touchdown_s: FloatArray
    liftoff_s: FloatArray
    contact_time_s: FloatArray
    step_time_s: FloatArray
    flight_time_s: float
    peak_vertical_grf_n: float
    braking_impulse_n_s: float
    propulsive_impulse_n_s: float
    trunk_lean_deg: float


def make_running_trial(
    path: str | os.PathLike[str],
    *,
    speed: float = 3.5,
    n_steps: int = 8,
    point_rate_hz: float = 200.0,
    analog_rate_hz: float = 1000.0,
    treadmill: bool = True,
    mass_kg: float = 70.0,
    height_m: float = 1.80,
    up: str = "z",
    forward: str = "+x",
    noise_n: float = 0.0,
    seed: int = 0,
    trunk_lean_deg: float = 5.0,
    point_units: str = "mm",
    subject_name: str = "SLIP01",
) -> SyntheticRun:
    """Simulate a SLIP runner and write it as a C3D trial.

    Parameters
    ----------
    path : str or PathLike
        Output C3D file.
    speed : float
        Running speed in m/s.
    n_steps : int
        Number of contacts; the trial runs from mid-flight to mid-flight.
    point_rate_hz, analog_rate_hz : float
        Marker and analog rates in Hz (analog an integer multiple of point).
    treadmill : bool
        One TYPE 4 treadmill plate (belt moving) if True, else one TYPE 2 plate
        per step overground.
    mass_kg : float
        Body mass in kg.
    height_m : float
        Stature written to PROCESSING:Height, in m.
    up : {"z", "y"}
        Lab vertical axis (+Z or +Y).
    forward : {"+x", "-x", "+y", "-y", "+z", "-z"}
        Direction of progression; not along ``up``.
    noise_n : float
        Standard deviation in N of white noise added to each force component on
        every plate (the returned GRF stays noise-free).
    seed : int
        Seed of the noise generator.
    trunk_lean_deg : float
        Forward trunk lean in degrees (see the module docstring).
    point_units : {"mm", "m"}
        POINT:UNITS of the file.
    subject_name : str
        SUBJECTS:NAMES.

    Returns
    -------
    run : SyntheticRun
        The file and its known answers.

    Examples
    --------
    >>> run = make_running_trial("run.c3d", up="y", forward="-x")  # doctest: +SKIP
    >>> run.sides[:2]  # doctest: +SKIP
    ('Right', 'Left')
    """
    e_up, e_forward = _lab_axes(up, forward)
    model_to_lab = np.stack([e_forward, e_up, np.cross(e_forward, e_up)])
    ratio = _rate_ratio(point_rate_hz, analog_rate_hz)
    series = simulate_steps(
        n_steps, analog_rate_hz, SlipParameters(mass_kg=mass_kg, speed_m_s=speed)
    )
    n_samples = series.time_s.size // ratio * ratio
    frames = slice(0, n_samples, ratio)
    belt = _belt_shift(series, n_samples, treadmill)
    markers = _body_markers(series, frames, belt[frames], trunk_lean_deg) @ model_to_lab
    grf = series.grf_n[:n_samples] @ model_to_lab[:2]
    cop = _cop_model(series, n_samples, belt) @ model_to_lab
    if treadmill:
        plates, analogs = _treadmill_plate(grf, cop, model_to_lab, point_units)
    else:
        plates, analogs = _overground_plates(
            series, grf, cop, model_to_lab, point_units
        )
    if noise_n > 0:
        rng = np.random.default_rng(seed)
        analogs = _add_force_noise(analogs, plates, rng, noise_n, point_units)
    sides = tuple("Right" if i % 2 == 0 else "Left" for i in range(n_steps))
    labels, units = _analog_labels(plates, point_units)
    path = write_c3d(
        path,
        markers=markers,
        marker_labels=MARKER_LABELS,
        point_rate_hz=point_rate_hz,
        analogs=analogs,
        analog_labels=labels,
        analog_units=units,
        analog_rate_hz=analog_rate_hz,
        plates=plates,
        events=_gait_events(sides, series.touchdown_s, series.liftoff_s),
        subject_name=subject_name,
        mass_kg=mass_kg,
        height_m=height_m,
        point_units=point_units,
    )
    gait = series.gait
    com = series.com_position_m[frames] - np.outer(belt[frames], (1.0, 0.0))
    return SyntheticRun(
        path=path,
        gait=gait,
        mass_kg=mass_kg,
        height_m=height_m,
        speed_m_s=speed,
        treadmill=treadmill,
        e_up=e_up,
        e_forward=e_forward,
        point_rate_hz=float(point_rate_hz),
        analog_rate_hz=float(analog_rate_hz),
        marker_labels=MARKER_LABELS,
        markers_m=markers,
        com_m=com @ model_to_lab[:2],
        analog_time_s=series.time_s[:n_samples],
        grf_n=grf,
        cop_m=cop,
        analogs=analogs,
        plates=tuple(plates),
        sides=sides,
        touchdown_s=series.touchdown_s,
        liftoff_s=series.liftoff_s,
        contact_time_s=series.liftoff_s - series.touchdown_s,
        step_time_s=np.diff(series.touchdown_s),
        flight_time_s=gait.flight_time_s,
        peak_vertical_grf_n=gait.peak_vertical_grf_n,
        braking_impulse_n_s=gait.braking_impulse_n_s,
        propulsive_impulse_n_s=gait.propulsive_impulse_n_s,
        trunk_lean_deg=trunk_lean_deg,
    )


def _lab_axes(up: str, forward: str) -> tuple[FloatArray, FloatArray]:
    """Return the unit vectors of the lab vertical and of the progression."""
    if up not in ("z", "y"):
        raise ValueError(f"up must be 'z' or 'y', got {up!r}")
    if len(forward) != 2 or forward[0] not in "+-" or forward[1] not in _AXES:
        raise ValueError(
            f"forward must be one of +x, -x, +y, -y, +z, -z; got {forward!r}"
        )
    if forward[1] == up:
        raise ValueError(f"forward ({forward}) must be horizontal, not along up ({up})")
    e_up, e_forward = np.zeros(3), np.zeros(3)
    e_up[_AXES[up]] = 1.0
    e_forward[_AXES[forward[1]]] = 1.0 if forward[0] == "+" else -1.0
    return e_up, e_forward


def _gait_events(
    sides: tuple[str, ...], touchdown_s: FloatArray, liftoff_s: FloatArray
) -> list[tuple[str, str, float]]:
    """Foot Strike / Foot Off events ``(label, side, time_s)`` in time order."""
    events = [
        (label, side, float(time))
        for label, times in (("Foot Strike", touchdown_s), ("Foot Off", liftoff_s))
        for side, time in zip(sides, times, strict=True)
    ]
    return sorted(events, key=lambda event: event[2])


def _rate_ratio(point_rate_hz: float, analog_rate_hz: float) -> int:
    """Return analog samples per marker frame; raise unless a whole number."""
    ratio = round(analog_rate_hz / point_rate_hz)
    if ratio < 1 or not np.isclose(ratio * point_rate_hz, analog_rate_hz):
        raise ValueError("analog_rate_hz must be an integer multiple of point_rate_hz")
    return ratio


def _belt_shift(series: SlipSeries, n_samples: int, treadmill: bool) -> FloatArray:
    """Forward shift removed from all positions: the belt motion on a treadmill.

    The constant part centres the mean COM over the treadmill (forward 0).
    """
    if not treadmill:
        return np.zeros(n_samples)
    drift = series.gait.parameters.speed_m_s * series.time_s[:n_samples]
    return drift + np.mean(series.com_position_m[:n_samples, 0] - drift)


def _step_index(series: SlipSeries, n_samples: int) -> npt.NDArray[np.int_]:
    """Step in contact at each sample, -1 in flight."""
    time = series.time_s[:n_samples]
    step = np.searchsorted(series.touchdown_s, time, side="right") - 1
    return np.where(series.contact[:n_samples], step, -1)


def _cop_model(series: SlipSeries, n_samples: int, belt: FloatArray) -> FloatArray:
    """COP (forward, up, right) in the model frame; NaN in flight."""
    step = _step_index(series, n_samples)
    cop = np.full((n_samples, 3), np.nan)
    stance = step >= 0
    cop[stance, 0] = series.foot_position_m[step[stance]] - belt[stance]
    cop[stance, 1] = 0.0
    cop[stance, 2] = np.where(step[stance] % 2 == 0, 1.0, -1.0) * JOINT_HALF_WIDTH_M
    return cop


def _body_markers(
    series: SlipSeries, frames: slice, belt: FloatArray, trunk_lean_deg: float
) -> FloatArray:
    """Markers (forward, up, right) in the model frame, shape (n_frames, n_markers, 3).

    ``belt`` is the forward shift removed at each frame (zero overground).
    """
    com = series.com_position_m[frames].copy()
    com[:, 0] -= belt
    pelvis = np.column_stack([com, np.zeros(len(com))])
    markers = {name: pelvis + offset for name, offset in PELVIS_MARKERS_M.items()}
    lean = np.radians(trunk_lean_deg)
    along = np.array([np.sin(lean), np.cos(lean), 0.0])
    ahead = np.array([np.cos(lean), -np.sin(lean), 0.0])
    for name, (p, a, r) in TRUNK_MARKERS_M.items():
        markers[name] = pelvis + p * ahead + a * along + (0.0, 0.0, r)
    hip = com - (0.0, HIP_BELOW_COM_M)
    for first_step, prefix, lateral in ((0, "R", 1.0), (1, "L", -1.0)):
        ankle = _ankle_path(series, frames, first_step)
        ankle[:, 0] -= belt
        markers.update(_leg_markers(prefix, lateral, hip, ankle))
    return np.stack([markers[label] for label in MARKER_LABELS], axis=1)


def _ankle_path(series: SlipSeries, frames: slice, first_step: int) -> FloatArray:
    """Ankle joint (forward, up) of one foot, overground, at the marker frames.

    The foot's contacts are steps ``first_step, first_step + 2, ...``, extended by
    one virtual contact before and after the trial (the gait is periodic). In
    swing the ankle's forward offset from the COM goes from its lift-off value
    to its touchdown value along a half-cosine.
    """
    gait = series.gait
    time = series.time_s[frames]
    steps = np.arange(first_step - 2, series.touchdown_s.size + 2, 2)
    touchdown = series.touchdown_s[0] + steps * gait.step_time_s
    liftoff = touchdown + gait.contact_time_s
    foot = series.foot_position_m[0] + steps * gait.step_length_m
    k = np.searchsorted(touchdown, time, side="right") - 1
    swing = time >= liftoff[k]
    ankle = np.column_stack([foot[k], np.full(time.size, ANKLE_HEIGHT_M)])

    phase = (time[swing] - liftoff[k[swing]]) / (
        2.0 * gait.step_time_s - gait.contact_time_s
    )
    start, end = -gait.liftoff_state[0], -gait.touchdown_state[0]
    blend = 0.5 * (1.0 - np.cos(np.pi * phase))
    com_forward = series.com_position_m[frames, 0][swing]
    ankle[swing, 0] = com_forward + start + (end - start) * blend
    ankle[swing, 1] += SWING_LIFT_M * np.sin(np.pi * phase)
    return ankle


def _leg_markers(
    prefix: str, lateral: float, hip: FloatArray, ankle: FloatArray
) -> dict[str, FloatArray]:
    """KNE, ANK, HEE and TOE markers of one leg from hip and ankle (forward, up)."""
    offset = ankle - hip
    distance = np.linalg.norm(offset, axis=1)
    if np.any(distance > THIGH_LENGTH_M + SHANK_LENGTH_M):
        raise ValueError("leg over-extended: the ankle is out of the leg's reach")
    cos_hip = (THIGH_LENGTH_M**2 + distance**2 - SHANK_LENGTH_M**2) / (
        2.0 * THIGH_LENGTH_M * distance
    )
    angle = np.arccos(cos_hip)
    unit = offset / distance[:, None]
    thigh = np.column_stack(
        [
            unit[:, 0] * np.cos(angle) - unit[:, 1] * np.sin(angle),
            unit[:, 0] * np.sin(angle) + unit[:, 1] * np.cos(angle),
        ]
    )
    knee = hip + THIGH_LENGTH_M * thigh
    width = lateral * JOINT_HALF_WIDTH_M

    def place(points: FloatArray, right: float) -> FloatArray:
        return np.column_stack([points, np.full(len(points), right)])

    ground = ankle - (0.0, ANKLE_HEIGHT_M)
    return {
        f"{prefix}KNE": place(knee, width + lateral * KNEE_MARKER_OUT_M),
        f"{prefix}ANK": place(ankle, width + lateral * ANKLE_MARKER_OUT_M),
        f"{prefix}HEE": place(ground + HEEL_M, width),
        f"{prefix}TOE": place(ground + TOE_M, width),
    }


def _plate_axes(model_to_lab: FloatArray) -> FloatArray:
    """Plate x, y, z axes (columns) in the lab; x along the progression axis, z down.

    Plate x is the positive lab axis of progression whatever the running direction,
    as a plate is fixed in the lab.
    """
    forward, up = model_to_lab[0], model_to_lab[1]
    plate_x = np.abs(forward)
    return np.column_stack([plate_x, np.cross(-up, plate_x), -up])


def _treadmill_plate(
    grf_lab: FloatArray, cop_lab: FloatArray, model_to_lab: FloatArray, point_units: str
) -> tuple[list[PlateParameters], FloatArray]:
    """One TYPE 4 plate centred at the lab origin, and its volts."""
    axes = _plate_axes(model_to_lab)
    centre = np.zeros(3)
    cal = example_cal_matrix(point_units)
    corners = plate_corners(centre, axes, tuple(s / 2 for s in TREADMILL_SIZE_M))
    plate = PlateParameters(4, corners, TREADMILL_ORIGIN_M, np.arange(1, 7), cal)
    wrench = _plate_wrench(grf_lab, cop_lab, centre, axes, TREADMILL_ORIGIN_M)
    return [plate], type4_channels(wrench, cal, point_units)


def _overground_plates(
    series: SlipSeries,
    grf_lab: FloatArray,
    cop_lab: FloatArray,
    model_to_lab: FloatArray,
    point_units: str,
) -> tuple[list[PlateParameters], FloatArray]:
    """One TYPE 2 plate per step; each sees only its own contact."""
    axes = _plate_axes(model_to_lab)
    step = _step_index(series, len(grf_lab))
    plates, channels = [], []
    half_size = tuple(s / 2 for s in PLATE_SIZE_M)
    for i, foot in enumerate(series.foot_position_m):
        centre = np.array([foot + PLATE_AHEAD_OF_FOOT_M, 0.0, 0.0]) @ model_to_lab
        corners = plate_corners(centre, axes, half_size)
        numbers = np.arange(6 * i + 1, 6 * i + 7)
        plates.append(PlateParameters(2, corners, PLATE_ORIGIN_M, numbers))
        on_plate = (step == i)[:, None]
        wrench = _plate_wrench(
            np.where(on_plate, grf_lab, 0.0), cop_lab, centre, axes, PLATE_ORIGIN_M
        )
        channels.append(type2_channels(wrench, point_units))
    return plates, np.hstack(channels)


def _plate_wrench(
    grf_lab: FloatArray,
    cop_lab: FloatArray,
    centre: FloatArray,
    axes: FloatArray,
    origin_m: FloatArray,
) -> FloatArray:
    """Wrench about the plate origin from the GRF on the runner (zero free moment)."""
    force_plate = -grf_lab @ axes
    cop_plate = np.nan_to_num((cop_lab - centre) @ axes)[:, :2]
    return plate_wrench(force_plate, cop_plate, np.zeros(len(grf_lab)), origin_m)


def _add_force_noise(
    analogs: FloatArray,
    plates: list[PlateParameters],
    rng: np.random.Generator,
    noise_n: float,
    point_units: str,
) -> FloatArray:
    """Add white noise (SD ``noise_n`` N) to each plate's force components."""
    noisy = analogs.copy()
    for plate in plates:
        columns = plate.channels - 1
        noise = np.zeros((len(analogs), 6))
        noise[:, :3] = rng.normal(0.0, noise_n, (len(analogs), 3))
        if plate.cal_matrix is None:
            noisy[:, columns] += noise
        else:
            noisy[:, columns] += type4_channels(noise, plate.cal_matrix, point_units)
    return noisy


def _analog_labels(
    plates: list[PlateParameters], point_units: str
) -> tuple[list[str], list[str]]:
    """Vicon-style labels (Fx1 ... Mz1, Fx2 ...) and units of the plate channels."""
    moment_unit = "Nmm" if point_units == "mm" else "Nm"
    labels, units = [], []
    for i, plate in enumerate(plates, start=1):
        labels += [f"{c}{i}" for c in ("Fx", "Fy", "Fz", "Mx", "My", "Mz")]
        if plate.cal_matrix is None:
            units += ["N"] * 3 + [moment_unit] * 3
        else:
            units += ["V"] * 6
    return labels, units
