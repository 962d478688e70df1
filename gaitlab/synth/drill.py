"""Synthetic lean-and-fall drills written as real C3D files, with known answers.

The drill: stand tall, lean forward as one straight line pivoting at the ankles
(heels down) until a step is needed, then step. The synthetic subject is the
body of `gaitlab.synth.body` (de Leva segments, Plug-in-Gait markers made from
true joint centres by inverting gaitlab's conventions), in the model frame
(forward, up, right), turned into any lab frame by `gaitlab.synth.labframe`.

Motion (time from the start of the trial):

* **Quiet stance** until ``fall_start_s``: the upright standing posture of
  `gaitlab.synth.body.standing_points` (ankle joint centres under the hip joint
  centres, feet flat), motionless.
* **Forward fall** from ``fall_start_s`` to the catch step's initial contact
  ``fall_start_s + fall_s``: everything above the feet turns rigidly about the
  ankle axis (the line through both ankle joint centres) by
  ``φ(τ) = Φ·(cosh(ωτ) - 1)/(cosh(ωT) - 1)``, the linearised inverted pendulum
  from rest (``ω = sqrt(g/L)``, L = ankle-to-COM distance standing, T =
  ``fall_s``, Φ = ``fall_angle_deg``); both feet stay flat (heels down). The
  trunk pitches a further ``β(τ) = B·φ(τ)/Φ`` about the mid-hip (B =
  ``bend_at_waist_deg``; 0 for the straight lean): leg line AJC→HJC = φ, trunk
  MIDH→MIDS = φ + β, bend index = β, exactly.
* **Catch step**: the right foot (the *catch foot*) lifts off ``swing_s``
  before the initial contact and moves flat (pitch 0) along ``x = D·(3s² -
  2s³)``, ``y = lift_m·sin(πs)`` (s = swing fraction, D = ``step_length_m``)
  to land flat, heel and toe together, at the instant ``catch_ic_s``; its knee
  follows by two-link inverse kinematics. The left foot (the *support foot*)
  never moves.
* **After the contact** (``after_s``) the rotation and the bend continue along
  the same curves with the catch foot planted.

**Force plate** (``force_plate=True``): one TYPE 2 plate (1.2 m x 0.8 m) centred
under the support ankle carries the whole ground reaction, ``m·(a_COM + g·e_up)``
(a_COM by second differences of the true COM over one analog sample,
low-passed at ``FORCE_LOWPASS_HZ`` with zero lag, so the force integrates
back to the COM motion at the frequencies a body moves at, without the
impulses of the model's kinematic leg at the catch foot's lift-off and
contact), at a prescribed COP: the COM's floor
projection in quiet stance, moving forward with the fall as
``cop_travel_m·min(φ(t)/φ(t_lift), 1)`` (t_lift = lift-off of the catch foot)
and staying there. This COP is a known answer for the COP travel, not the
physical COP of the body (its angular momentum is not modelled).

The known answers (`DrillTruth`) use the definitions of the ``drill`` plugin
(``plugins/drill.py``) on the true points: the whole-body lean is θ(support
AJC → COM), the segmental COM of the true joint centres; the onset is the first
time that lean exceeds its quiet-stance value by ``onset_threshold_deg``,
found on a time grid 50 times finer than the frames.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from gaitlab.core.geometry import GRAVITY
from gaitlab.core.types import FloatArray
from gaitlab.io.c3d_writer import PlateParameters, write_c3d
from gaitlab.synth.body import (
    PIG_MARKERS,
    BodyDimensions,
    body_dimensions,
    foot_points,
    markers_from_points,
    segmental_com,
    standing_points,
    upper_body_points,
)
from gaitlab.synth.forceplate_cases import plate_corners, type2_channels
from gaitlab.synth.labframe import lab_axes, model_to_lab
from gaitlab.synth.running import (
    PLATE_ORIGIN_M,
    _analog_labels,
    _plate_axes,
    _plate_wrench,
    _processing,
    _rate_ratio,
)

__all__ = ["DrillTruth", "SyntheticDrill", "make_drill_trial"]


FINE_FACTOR = 50
"""Time grid of the truths: this many samples per marker frame."""


@dataclass(frozen=True)
class DrillTruth:
    """Known answers of a synthetic drill (SI units, angles in degrees).

    Attributes
    ----------
    onset_time_s : float
        First time θ(support AJC → COM) exceeds its quiet-stance value by the
        onset threshold (``drill_onset_time``).
    max_lean_deg, max_lean_time_s : float
        Largest θ(support AJC → COM) before the catch step's initial contact,
        and when (``drill_max_lean``, ``drill_max_lean_time``).
    trunk_lean_deg, leg_line_deg, bend_index_deg : float
        θ(MIDH→MIDS), θ(support AJC→HJC) and their difference at that instant.
    fall_duration_s : float
        Catch initial contact minus onset (``drill_fall_duration``).
    catch_ic_time_s : float
        Initial contact of the catch step (``drill_catch_ic_time``).
    catch_landing_distance_m : float
        (catch-foot AJC - COM)·e_prog at that contact
        (``drill_catch_landing_distance``).
    catch_side : str
        "Right" (the catch foot).
    cop_travel_m : float or None
        Forward COP travel from quiet stance to the catch foot's lift-off
        (``drill_cop_travel``); None without a force plate.
    fall_start_s : float
        Start of the rotation (the lean starts to grow, below any threshold).
    quiet_lean_deg : float
        θ(support AJC → COM) in quiet stance.
    """

    onset_time_s: float
    max_lean_deg: float
    max_lean_time_s: float
    trunk_lean_deg: float
    leg_line_deg: float
    bend_index_deg: float
    fall_duration_s: float
    catch_ic_time_s: float
    catch_landing_distance_m: float
    catch_side: str
    cop_travel_m: float | None
    fall_start_s: float
    quiet_lean_deg: float


@dataclass(frozen=True)
class SyntheticDrill:
    """A written drill trial and its known answers.

    Attributes
    ----------
    path : Path
        The C3D file (markers only: no force plates).
    truth : DrillTruth
        The answers the ``drill`` plugin should give.
    e_up, e_forward : ndarray, shape (3,)
        Lab vertical and direction of the fall.
    point_rate_hz : float
        Marker rate in Hz.
    marker_labels : tuple of str
        POINT:LABELS (Plug-in Gait full body).
    markers_m : ndarray, shape (n_frames, n_markers, 3)
        Marker positions written, m.
    com_m : ndarray, shape (n_frames, 3)
        True segmental COM, m, lab frame.
    body : BodyDimensions
        Segment lengths of the subject.
    grf_n, cop_m : ndarray, shape (n_samples, 3)
        Force on the subject (N) and COP (m) written to the plate; empty
        without a plate.
    """

    path: Path
    truth: DrillTruth
    e_up: FloatArray
    e_forward: FloatArray
    point_rate_hz: float
    marker_labels: tuple[str, ...]
    markers_m: FloatArray
    com_m: FloatArray
    body: BodyDimensions
    grf_n: FloatArray
    cop_m: FloatArray


@dataclass(frozen=True)
class _Motion:
    """Timing and size of the drill (see the module docstring)."""

    fall_start_s: float
    fall_s: float
    swing_s: float
    fall_angle_rad: float
    bend_rad: float
    step_length_m: float
    lift_m: float
    omega: float

    @property
    def catch_ic_s(self) -> float:
        return self.fall_start_s + self.fall_s

    def rotation(self, time: FloatArray) -> FloatArray:
        """φ(t) in rad (0 before the fall; continues after the contact)."""
        tau = np.maximum(time - self.fall_start_s, 0.0)
        scale = np.cosh(self.omega * self.fall_s) - 1.0
        return self.fall_angle_rad * (np.cosh(self.omega * tau) - 1.0) / scale


def _rotate_about(
    points: FloatArray, centre: FloatArray, angle: FloatArray
) -> FloatArray:
    """Turn (n, 2) sagittal points forward (towards +forward) by angle about centre."""
    v = points - centre
    c, s = np.cos(angle), np.sin(angle)
    # forward rotation of the vertical (0, 1) gives (sin, cos)
    return centre + np.column_stack(
        [c * v[:, 0] + s * v[:, 1], -s * v[:, 0] + c * v[:, 1]]
    )


def _knee(hjc: FloatArray, ajc: FloatArray, dims: BodyDimensions) -> FloatArray:
    """Knee joint centre by two-link inverse kinematics, knee in front (model frame)."""
    offset = ajc[:, :2] - hjc[:, :2]
    distance = np.linalg.norm(offset, axis=1)
    reach = dims.thigh_m + dims.shank_m
    if np.any(distance > reach + 1e-9):
        raise ValueError(
            "synthetic drill: the catch foot is out of the leg's reach; shorten "
            "step_length_m or the fall"
        )
    cos_hip = (dims.thigh_m**2 + distance**2 - dims.shank_m**2) / (
        2.0 * dims.thigh_m * distance
    )
    angle = np.arccos(np.clip(cos_hip, -1.0, 1.0))
    direction = offset / distance[:, None]
    c, s = np.cos(angle), np.sin(angle)
    # counter-clockwise rotation in (forward, up) puts the knee in front
    knee = hjc[:, :2] + dims.thigh_m * np.column_stack(
        [
            c * direction[:, 0] - s * direction[:, 1],
            s * direction[:, 0] + c * direction[:, 1],
        ]
    )
    return np.column_stack([knee, hjc[:, 2]])


def _points(
    time: FloatArray, motion: _Motion, dims: BodyDimensions
) -> dict[str, FloatArray]:
    """All joint centres, landmarks and the COM at the given times, model frame."""
    n = time.size
    stand = standing_points(dims, 1)
    ankle = stand["l_ajc"][0, :2]
    phi = motion.rotation(time)
    beta = motion.bend_rad * phi / motion.fall_angle_rad
    midh = _rotate_about(np.tile(stand["midh"][0, :2], (n, 1)), ankle, phi)
    arms = {"l": np.zeros(n), "r": np.zeros(n)}
    points = upper_body_points(midh, phi + beta, arms, 0.0, dims)
    pivot_from_heel = dims.foot_point("ajc")[0]
    half_width = dims.hip_half_width_m
    support = foot_points(
        np.zeros((n, 2)), np.zeros(n), pivot_from_heel, dims, -half_width
    )
    s = np.clip((time - motion.catch_ic_s + motion.swing_s) / motion.swing_s, 0, 1)
    swing = (s > 0) & (s < 1)
    pivot = np.column_stack(
        [
            motion.step_length_m * (3 * s**2 - 2 * s**3),
            np.where(swing, motion.lift_m * np.sin(np.pi * s), 0.0),
        ]
    )
    catch = foot_points(pivot, np.zeros(n), pivot_from_heel, dims, half_width)
    for prefix, foot in (("l", support), ("r", catch)):
        for name, point in foot.items():
            points[f"{prefix}_{name}"] = point
        points[f"{prefix}_kjc"] = _knee(points[f"{prefix}_hjc"], foot["ajc"], dims)
    points["com"] = segmental_com(points, dims)
    return points


def _angle(lower: FloatArray, upper: FloatArray) -> FloatArray:
    """θ(lower → upper) from the vertical in the model frame, degrees, forward > 0."""
    d = upper - lower
    return np.degrees(np.arctan2(d[..., 0], d[..., 1]))


def _truth(
    motion: _Motion,
    dims: BodyDimensions,
    point_rate_hz: float,
    duration_s: float,
    onset_threshold_deg: float,
) -> DrillTruth:
    """The answers on a fine time grid (see the module docstring)."""
    fine_rate = point_rate_hz * FINE_FACTOR
    time = np.arange(round(duration_s * fine_rate)) / fine_rate
    p = _points(time, motion, dims)
    lean = _angle(p["l_ajc"], p["com"])
    quiet = float(lean[0])
    onset_index = int(np.argmax(lean - quiet >= onset_threshold_deg))
    k = onset_index
    fraction = (quiet + onset_threshold_deg - lean[k - 1]) / (lean[k] - lean[k - 1])
    onset = float(time[k - 1] + fraction / fine_rate)
    ic = motion.catch_ic_s
    before = (time >= onset) & (time <= ic + 1e-12)
    i = int(np.flatnonzero(before)[np.argmax(lean[before])])
    at = {name: p[name][i : i + 1] for name in ("l_ajc", "l_hjc", "midh", "mids")}
    trunk = float(_angle(at["midh"], at["mids"])[0])
    leg = float(_angle(at["l_ajc"], at["l_hjc"])[0])
    ic_point = _points(np.array([ic]), motion, dims)
    landing = float(ic_point["r_ajc"][0, 0] - ic_point["com"][0, 0])
    return DrillTruth(
        onset_time_s=onset,
        max_lean_deg=float(lean[i]),
        max_lean_time_s=float(time[i]),
        trunk_lean_deg=trunk,
        leg_line_deg=leg,
        bend_index_deg=trunk - leg,
        fall_duration_s=ic - onset,
        catch_ic_time_s=ic,
        catch_landing_distance_m=landing,
        catch_side="Right",
        cop_travel_m=None,
        fall_start_s=motion.fall_start_s,
        quiet_lean_deg=quiet,
    )


FORCE_LOWPASS_HZ = 15.0
"""Low-pass of the COM acceleration that makes the plate's force, Hz."""


def _plate_load(
    time: FloatArray,
    motion: _Motion,
    dims: BodyDimensions,
    mass_kg: float,
    cop_travel_m: float,
) -> tuple[FloatArray, FloatArray]:
    """GRF on the subject and prescribed COP at the analog samples, model frame."""
    from scipy.signal import butter, sosfiltfilt

    step = time[1] - time[0]
    com = [_points(time + shift, motion, dims)["com"] for shift in (-step, 0, step)]
    acceleration = (com[0] - 2 * com[1] + com[2]) / step**2
    # the model's leg has no dynamics: its knee (inverse kinematics near full
    # extension) puts impulses of tens of kN into the raw second difference
    smooth = butter(4, FORCE_LOWPASS_HZ, fs=1.0 / step, output="sos")
    acceleration = sosfiltfilt(smooth, acceleration, axis=0)
    grf = mass_kg * (acceleration + np.array([0.0, GRAVITY, 0.0]))
    lift_s = motion.catch_ic_s - motion.swing_s
    progress = np.clip(motion.rotation(time) / motion.rotation(np.array(lift_s)), 0, 1)
    cop = np.zeros((time.size, 3))
    cop[:, 0] = com[1][0, 0] + cop_travel_m * progress
    return grf, cop


def make_drill_trial(
    path: str | os.PathLike[str],
    *,
    bend_at_waist_deg: float = 0.0,
    fall_angle_deg: float = 15.0,
    fall_start_s: float = 1.0,
    fall_s: float = 1.0,
    swing_s: float = 0.3,
    after_s: float = 0.3,
    step_length_m: float = 0.45,
    lift_m: float = 0.08,
    mass_kg: float = 70.0,
    height_m: float = 1.80,
    sex: str | None = "M",
    point_rate_hz: float = 200.0,
    up: str = "z",
    forward: str = "+x",
    point_units: str = "mm",
    subject_name: str = "DRILL01",
    onset_threshold_deg: float = 1.0,
    force_plate: bool = False,
    cop_travel_m: float = 0.06,
    analog_rate_hz: float = 1000.0,
) -> SyntheticDrill:
    """Write a lean-and-fall drill as a C3D file (markers only) with its answers.

    Parameters
    ----------
    path : str or PathLike
        Output C3D file.
    bend_at_waist_deg : float
        B, extra trunk pitch at the hips reached at the catch contact; 0 for the
        straight lean from the ankles (deg).
    fall_angle_deg : float
        Φ, rotation about the ankles at the catch contact (deg).
    fall_start_s, fall_s, swing_s, after_s : float
        Quiet stance, fall (start of the rotation to the catch contact), swing
        of the catch foot (ending at the contact) and time kept after the
        contact, in s.
    step_length_m, lift_m : float
        Forward travel and peak lift of the catch foot, m.
    mass_kg, height_m : float
        Body mass (kg) and stature (m).
    sex : {"M", "F"} or None
        de Leva parameters (None: mean of both sexes).
    point_rate_hz : float
        Marker rate in Hz.
    up, forward : str
        Lab frame (`gaitlab.synth.labframe.lab_axes`); ``forward`` is the
        direction of the fall.
    point_units : {"mm", "m"}
        POINT:UNITS of the file.
    subject_name : str
        SUBJECTS:NAMES.
    onset_threshold_deg : float
        Onset threshold the truth uses (the plugin's ``onset_threshold_deg``).
    force_plate : bool
        Write the force plate (see the module docstring).
    cop_travel_m : float
        Forward COP travel during the fall with a plate, m.
    analog_rate_hz : float
        Analog rate of the plate in Hz (a multiple of ``point_rate_hz``).

    Returns
    -------
    drill : SyntheticDrill

    Examples
    --------
    >>> drill = make_drill_trial("drill.c3d", bend_at_waist_deg=15.0)  # doctest: +SKIP
    >>> round(drill.truth.bend_index_deg, 6)  # doctest: +SKIP
    15.0
    """
    if swing_s >= fall_s:
        raise ValueError("swing_s must be shorter than fall_s")
    e_up, e_forward = lab_axes(up, forward)
    rotation = model_to_lab(e_up, e_forward)
    dims = body_dimensions(height_m, sex)
    stand = standing_points(dims, 1)
    com_height = float(segmental_com(stand, dims)[0, 1] - stand["l_ajc"][0, 1])
    motion = _Motion(
        fall_start_s=fall_start_s,
        fall_s=fall_s,
        swing_s=swing_s,
        fall_angle_rad=np.radians(fall_angle_deg),
        bend_rad=np.radians(bend_at_waist_deg),
        step_length_m=step_length_m,
        lift_m=lift_m,
        omega=float(np.sqrt(GRAVITY / com_height)),
    )
    duration = fall_start_s + fall_s + after_s
    n_frames = round(duration * point_rate_hz) + 1
    time = np.arange(n_frames) / point_rate_hz
    model = _points(time, motion, dims)
    markers = markers_from_points(model, dims)
    marker_array = np.stack([markers[label] for label in PIG_MARKERS], 1) @ rotation
    truth = _truth(motion, dims, point_rate_hz, duration, onset_threshold_deg)
    grf = cop = np.zeros((0, 3))
    plate: dict = {}
    if force_plate:
        ratio = _rate_ratio(point_rate_hz, analog_rate_hz)
        analog_time = np.arange(n_frames * ratio) / analog_rate_hz
        grf, cop = _plate_load(analog_time, motion, dims, mass_kg, cop_travel_m)
        grf, cop = grf @ rotation, cop @ rotation
        axes = _plate_axes(rotation)
        corners = plate_corners(np.zeros(3), axes, (0.6, 0.4))
        plates = [PlateParameters(2, corners, PLATE_ORIGIN_M, np.arange(1, 7))]
        wrench = _plate_wrench(grf, cop, np.zeros(3), axes, PLATE_ORIGIN_M)
        labels, units = _analog_labels(plates, point_units)
        plate = {
            "analogs": type2_channels(wrench, point_units),
            "analog_labels": labels,
            "analog_units": units,
            "analog_rate_hz": analog_rate_hz,
            "plates": plates,
        }
        truth = replace(truth, cop_travel_m=float(cop_travel_m))
    path = write_c3d(
        path,
        markers=marker_array,
        marker_labels=PIG_MARKERS,
        point_rate_hz=point_rate_hz,
        subject_name=subject_name,
        mass_kg=mass_kg,
        height_m=height_m,
        point_units=point_units,
        processing=_processing(dims),
        **plate,
    )
    return SyntheticDrill(
        path=path,
        truth=truth,
        e_up=e_up,
        e_forward=e_forward,
        point_rate_hz=float(point_rate_hz),
        marker_labels=PIG_MARKERS,
        markers_m=marker_array,
        com_m=model["com"] @ rotation,
        body=dims,
        grf_n=grf,
        cop_m=cop,
    )
