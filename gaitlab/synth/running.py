"""Synthetic running and standing trials written as real C3D files, with known answers.

The runner is the spring-mass model of `gaitlab.synth.slip` (METHODS §8.2): its
point mass is the whole-body COM and its foot point is the COP, so the GRF runs
from the COP through the COM. A full-body Plug-in-Gait marker set is carried by
the body of `gaitlab.synth.body`, posed by `gaitlab.synth.posture`:

* de Leva (1996) segments scaled to the stature; the markers are made from true
  joint centres by inverting gaitlab's joint-centre conventions (Harrington hip
  with the leg length written to PROCESSING, Rab shoulder, lateral markers half
  the default joint width out, head-marker centroid = head COM, convention-9 toe
  tip), so gaitlab recovers the true joint centres from the markers;
* at every sample the mid-hip is solved so that the segmental COM of the true
  joint centres equals the SLIP COM (to 1e-9 m);
* posture knobs (METHODS §8.3): ``lean_from_ankles_deg`` θ (trunk and midstance
  leg line inclined θ: a straight body leaning from the ankles), and
  ``bend_at_waist_deg`` β (trunk pitched a further β at the hips, legs
  unchanged); ``foot_strike_angle_deg`` sets the foot pitch at touchdown, the COP
  position on the sole (hence the strike index) follows from the posture.

What is exact and what is not: the COM, the GRF, the COP, the events and every
joint centre are exact (float32 in the file). Because the §8.2 SLIP shortens its
COM-to-COP distance by 14.7 % with a fixed COP, the body must crouch to follow
it: with a 1.80 m stature the knee flexes about 50° at touchdown and about 95°
at midstance (real runners: about 20° and 45°, their COP moving forward along
the foot). Joint angles are therefore plausible in shape, not in size.

Force plates: on a treadmill (``treadmill=True``) one TYPE 4 plate (1.8 m x 0.6 m,
non-diagonal calibration matrix) under a moving belt, i.e. the mean forward COM
motion is removed from all positions; overground, one TYPE 2 plate (0.6 m x
0.4 m) under each step, its centre 0.05 m ahead of the foot point. Plate z points
down, plate x along the positive lab axis of progression. The GRF is planar (no
lateral force), the free moment is zero, and the COP lies under the stance foot
(lateral offset of the hip joint centre).

PROCESSING holds Bodymass, Height, LLegLength/RLegLength (mm), the default knee,
ankle and elbow widths (LKneeWidth ... in mm) and Sex ("M"/"F", omitted for
``sex=None``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from gaitlab.core.geometry import GRAVITY, horizontal_unit, sagittal_angle_deg
from gaitlab.core.types import FloatArray
from gaitlab.io.c3d_writer import PlateParameters, write_c3d
from gaitlab.synth.body import (
    DEFAULT_WIDTHS_M,
    PIG_MARKERS,
    BodyDimensions,
    body_dimensions,
    markers_from_points,
    segmental_com,
    standing_points,
)
from gaitlab.synth.forceplate_cases import (
    example_cal_matrix,
    plate_corners,
    plate_wrench,
    type2_channels,
    type4_channels,
)
from gaitlab.synth.labframe import lab_axes, model_to_lab
from gaitlab.synth.posture import Posture, running_points, solve_cop_ahead_of_ankle
from gaitlab.synth.slip import SlipGait, SlipParameters, SlipSeries, simulate_steps

__all__ = [
    "MARKER_LABELS",
    "LeanAngles",
    "StepAnswers",
    "SyntheticRun",
    "SyntheticStatic",
    "TruePoints",
    "make_running_trial",
    "make_static_trial",
]


MARKER_LABELS = PIG_MARKERS
"""Marker labels in the order written (Plug-in Gait full body)."""

TREADMILL_SIZE_M = (1.8, 0.6)
TREADMILL_ORIGIN_M = np.array([-0.243, 0.120, -0.015])
PLATE_SIZE_M = (0.6, 0.4)
PLATE_AHEAD_OF_FOOT_M = 0.05
PLATE_ORIGIN_M = np.array([0.001, -0.002, -0.038])
"""Plate sizes (along plate x, plate y), ORIGIN vectors and placement, metres."""

DEFAULT_BEND_AT_WAIST_DEG = 5.0
"""Default trunk pitch at the hips (the earlier runner's 5° trunk lean)."""


@dataclass(frozen=True)
class TruePoints:
    """True joint centres and landmarks, lab frame, m, each shape (n_frames, 3).

    Attributes
    ----------
    com : ndarray
        Whole-body COM (the SLIP COM = the segmental COM of these points).
    midh, mids : ndarray
        Mid-hip and mid-shoulder (means of the hip / shoulder joint centres).
    head_com : ndarray
        Head COM = centroid of LFHD, RFHD, LBHD, RBHD.
    cerv : ndarray
        Cervicale (= the C7 marker).
    l_hjc, r_hjc, l_kjc, r_kjc, l_ajc, r_ajc : ndarray
        Hip, knee and ankle joint centres.
    l_heel, r_heel, l_toe, r_toe : ndarray
        The HEE and TOE marker points (posterior heel, 2nd metatarsal head).
    l_ttip, r_ttip : ndarray
        Toe tips by convention 9 (may lie below the floor: they are virtual).
    l_sjc, r_sjc, l_ejc, r_ejc, l_wjc, r_wjc, l_met3, r_met3 : ndarray
        Shoulder, elbow and wrist joint centres, third metacarpal heads.
    """

    com: FloatArray
    midh: FloatArray
    mids: FloatArray
    head_com: FloatArray
    cerv: FloatArray
    l_hjc: FloatArray
    r_hjc: FloatArray
    l_kjc: FloatArray
    r_kjc: FloatArray
    l_ajc: FloatArray
    r_ajc: FloatArray
    l_heel: FloatArray
    r_heel: FloatArray
    l_toe: FloatArray
    r_toe: FloatArray
    l_ttip: FloatArray
    r_ttip: FloatArray
    l_sjc: FloatArray
    r_sjc: FloatArray
    l_ejc: FloatArray
    r_ejc: FloatArray
    l_wjc: FloatArray
    r_wjc: FloatArray
    l_met3: FloatArray
    r_met3: FloatArray

    @classmethod
    def from_model(
        cls, points: Mapping[str, FloatArray], rotation: FloatArray
    ) -> TruePoints:
        """Select the fields from model-frame points and rotate them to the lab."""
        return cls(
            **{name: points[name] @ rotation for name in cls.__dataclass_fields__}
        )


@dataclass(frozen=True)
class LeanAngles:
    """True sagittal angles at the marker frames, degrees, each shape (n_frames,).

    Computed from `TruePoints` with `gaitlab.core.geometry.sagittal_angle_deg`
    (METHODS §4.1; positive forward / toe up). "Stance" values are NaN in flight.

    Attributes
    ----------
    trunk_lean_deg : ndarray
        MIDH→MIDS (constant θ + β).
    leg_line_deg : ndarray
        Stance AJC→HJC.
    bend_index_deg : ndarray
        Trunk lean minus leg line.
    body_line_deg : ndarray
        Stance AJC→MIDS.
    whole_body_lean_cop_deg : ndarray
        COP→COM (= the GRF direction).
    whole_body_lean_ankle_deg : ndarray
        Stance AJC→COM.
    head_alignment_deg : ndarray
        θ(C7→head COM) - θ(MIDH→C7) (constant).
    l_foot_angle_deg, r_foot_angle_deg : ndarray
        θ_foot of HEE→TOE (METHODS §6.1), not relative to standing.
    """

    trunk_lean_deg: FloatArray
    leg_line_deg: FloatArray
    bend_index_deg: FloatArray
    body_line_deg: FloatArray
    whole_body_lean_cop_deg: FloatArray
    whole_body_lean_ankle_deg: FloatArray
    head_alignment_deg: FloatArray
    l_foot_angle_deg: FloatArray
    r_foot_angle_deg: FloatArray


@dataclass(frozen=True)
class StepAnswers:
    """Known answers per step (contact), evaluated at the exact event instants.

    Every array has shape (n_steps,). Initial contact (IC) = touchdown; midstance
    = half the contact time, when the COM is over the COP.

    Attributes
    ----------
    side : tuple of str
        "Right" or "Left".
    touchdown_s, midstance_s, liftoff_s, contact_time_s : ndarray
        Times and contact time, s.
    speed_m_s : ndarray
        Running speed (step length / step time; the belt speed on a treadmill).
    foot_strike_angle_deg : ndarray
        θ_foot(IC) - θ_foot(standing), HEE→TOE, toe up > 0 (METHODS §6.1).
    strike_index_pct : ndarray
        ``100·(COP - HEE)·e_foot / foot_length`` at IC (METHODS §6.2; HEE
        projected on the floor, foot length of convention 9).
    cop_ahead_of_com_m, ajc_ahead_of_com_m, heel_ahead_of_com_m : ndarray
        Foot landing distance at IC, ``(P - COM)·e_prog`` (METHODS §5.3), m.
    heel_ahead_of_hip_m : ndarray
        (HEE - MIDH)·e_prog at IC, m.
    shank_angle_deg : ndarray
        Shank KJC→AJC from the vertical at IC, ``-θ(AJC→KJC)``: positive when
        the ankle is ahead of the knee (METHODS §5.3).
    trunk_lean_deg, leg_line_deg, bend_index_deg, body_line_deg : ndarray
        At midstance (`LeanAngles` definitions).
    whole_body_lean_ankle_deg : ndarray
        Stance AJC→COM at midstance.
    """

    side: tuple[str, ...]
    touchdown_s: FloatArray
    midstance_s: FloatArray
    liftoff_s: FloatArray
    contact_time_s: FloatArray
    speed_m_s: FloatArray
    foot_strike_angle_deg: FloatArray
    strike_index_pct: FloatArray
    cop_ahead_of_com_m: FloatArray
    ajc_ahead_of_com_m: FloatArray
    heel_ahead_of_com_m: FloatArray
    heel_ahead_of_hip_m: FloatArray
    shank_angle_deg: FloatArray
    trunk_lean_deg: FloatArray
    leg_line_deg: FloatArray
    bend_index_deg: FloatArray
    body_line_deg: FloatArray
    whole_body_lean_ankle_deg: FloatArray


@dataclass(frozen=True)
class SyntheticRun:
    """A written synthetic running trial and its known answers (SI, lab frame).

    Attributes
    ----------
    path : Path
        The C3D file.
    gait : SlipGait
        The periodic SLIP gait (per-step values are identical for every step).
    mass_kg, height_m : float
        Subject mass in kg and stature in m, as written to PROCESSING.
    sex : {"M", "F"} or None
        de Leva parameter set of the body (None: mean of both sexes).
    leg_length_m : float
        Leg length written to PROCESSING (LLegLength = RLegLength), m.
    foot_length_m : float
        Foot length of convention 9 (HEEL→TTIP), m.
    body : BodyDimensions
        All segment lengths and body proportions.
    posture : Posture
        The posture knobs used.
    lean_from_ankles_deg, bend_at_waist_deg, foot_strike_angle_deg : float
        θ, β and the foot strike angle requested, degrees.
    cop_ahead_of_ankle_m : float
        COP ahead of the flat stance foot's AJC (solved from θ), m.
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
    frame_time_s : ndarray, shape (n_frames,)
        Marker frame times in s (first frame at 0).
    com_m : ndarray, shape (n_frames, 3)
        Centre of mass, lab frame, in m (SLIP COM = segmental COM).
    points : TruePoints
        True joint centres at the marker frames.
    angles : LeanAngles
        True lean and foot angles at the marker frames.
    stance_side : ndarray of str, shape (n_frames,)
        "Right", "Left" or "" (flight) at each marker frame.
    steps : StepAnswers
        Per-step answers at the exact touchdown and midstance instants.
    standing_foot_angle_deg : float
        θ_foot of HEE→TOE in upright standing (`make_static_trial`), degrees.
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
        Angle of MIDH→MIDS from the vertical, θ + β, positive forward, degrees.
    """

    path: Path
    gait: SlipGait
    mass_kg: float
    height_m: float
    sex: str | None
    leg_length_m: float
    foot_length_m: float
    body: BodyDimensions
    posture: Posture
    lean_from_ankles_deg: float
    bend_at_waist_deg: float
    foot_strike_angle_deg: float
    cop_ahead_of_ankle_m: float
    speed_m_s: float
    treadmill: bool
    e_up: FloatArray
    e_forward: FloatArray
    point_rate_hz: float
    analog_rate_hz: float
    marker_labels: tuple[str, ...]
    markers_m: FloatArray
    frame_time_s: FloatArray
    com_m: FloatArray
    points: TruePoints
    angles: LeanAngles
    stance_side: npt.NDArray[np.str_]
    steps: StepAnswers
    standing_foot_angle_deg: float
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


@dataclass(frozen=True)
class SyntheticStatic:
    """A written standing (static) trial and its known answers (SI, lab frame).

    Attributes
    ----------
    path : Path
        The C3D file.
    mass_kg, height_m : float
        Subject mass (kg) and stature (m), as written to PROCESSING.
    sex : {"M", "F"} or None
        de Leva parameter set.
    leg_length_m, foot_length_m : float
        PROCESSING leg length and convention-9 foot length, m.
    body : BodyDimensions
        Segment lengths and proportions (the same body as the running trials).
    e_up, e_forward : ndarray, shape (3,)
        Lab vertical and the direction the subject faces.
    point_rate_hz, analog_rate_hz : float
        Rates in Hz (analog only matters with a plate).
    marker_labels : tuple of str
        POINT:LABELS.
    markers_m : ndarray, shape (n_frames, n_markers, 3)
        Marker positions written, m (constant).
    com_m : ndarray, shape (n_frames, 3)
        Segmental COM, m; its floor projection is the COP.
    points : TruePoints
        True joint centres.
    grf_n, cop_m : ndarray, shape (n_samples, 3) or (0, 3)
        Plate force on the subject (N; m·g up) and COP (m); empty without plate.
    analogs : ndarray, shape (n_samples, 6) or (0, 0)
        TYPE 2 channels written.
    plates : tuple of PlateParameters
        One plate under both feet, or none.
    foot_angle_deg : float
        θ_foot of HEE→TOE, both feet (HEE higher than TOE above the sole).
    trunk_lean_deg : float
        MIDH→MIDS angle: 0 (upright by construction).
    trunk_lean_c7_deg : float
        MIDH→C7 angle (negative: C7 lies behind the hips).
    head_alignment_deg : float
        θ(C7→head COM) - θ(MIDH→C7).
    hip_height_m, com_height_m : float
        Height of the hip joint centres and of the COM above the floor.
    """

    path: Path
    mass_kg: float
    height_m: float
    sex: str | None
    leg_length_m: float
    foot_length_m: float
    body: BodyDimensions
    e_up: FloatArray
    e_forward: FloatArray
    point_rate_hz: float
    analog_rate_hz: float
    marker_labels: tuple[str, ...]
    markers_m: FloatArray
    com_m: FloatArray
    points: TruePoints
    grf_n: FloatArray
    cop_m: FloatArray
    analogs: FloatArray
    plates: tuple[PlateParameters, ...]
    foot_angle_deg: float
    trunk_lean_deg: float
    trunk_lean_c7_deg: float
    head_alignment_deg: float
    hip_height_m: float
    com_height_m: float


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
    trunk_lean_deg: float | None = None,
    point_units: str = "mm",
    subject_name: str = "SLIP01",
    lean_from_ankles_deg: float = 0.0,
    bend_at_waist_deg: float = DEFAULT_BEND_AT_WAIST_DEG,
    foot_strike_angle_deg: float = 3.0,
    sex: str | None = "M",
    swing_foot_clearance_m: float | None = None,
) -> SyntheticRun:
    """Simulate a SLIP runner with a full-body marker set and write it as C3D.

    Parameters
    ----------
    path : str or PathLike
        Output C3D file.
    speed : float
        Running speed in m/s.
    n_steps : int
        Number of contacts (Right first); the trial runs from mid-flight to
        mid-flight.
    point_rate_hz, analog_rate_hz : float
        Marker and analog rates in Hz (analog an integer multiple of point).
    treadmill : bool
        One TYPE 4 treadmill plate (belt moving) if True, else one TYPE 2 plate
        per step overground.
    mass_kg : float
        Body mass in kg.
    height_m : float
        Stature in m (PROCESSING:Height); segment lengths scale with it. The §8.2
        SLIP (1 m leg) is reachable for statures of about 1.75-1.90 m.
    up : {"z", "y"}
        Lab vertical axis (+Z or +Y).
    forward : {"+x", "-x", "+y", "-y", "+z", "-z"}
        Direction of progression; not along ``up``.
    noise_n : float
        Standard deviation in N of white noise added to each force component on
        every plate (the returned GRF stays noise-free).
    seed : int
        Seed of the noise generator.
    trunk_lean_deg : float or None
        The earlier knob: total MIDH→MIDS trunk lean in degrees. When given, it
        replaces ``bend_at_waist_deg`` by ``trunk_lean_deg - lean_from_ankles_deg``.
    point_units : {"mm", "m"}
        POINT:UNITS of the file.
    subject_name : str
        SUBJECTS:NAMES.
    lean_from_ankles_deg : float
        θ in degrees: trunk and midstance leg line inclined θ (METHODS §8.3 case 1).
    bend_at_waist_deg : float
        β in degrees: the trunk pitched a further β at the hips (§8.3 case 2).
    foot_strike_angle_deg : float
        Foot pitch at touchdown relative to standing, toe up positive, degrees.
    sex : {"M", "F"} or None
        de Leva parameters of the body; None uses the mean of both sexes.
    swing_foot_clearance_m : float or None
        When given, the swing foot passes low over the stance foot's plate:
        while the other foot is in contact, the swing foot's heel and toe
        markers are lowered by ``w·(h - clearance)``, h the height of the lower
        of them and ``w = sin²(π·τ)`` over that contact (τ = 0 .. 1), so that at
        mid-contact the lower marker is ``swing_foot_clearance_m`` above the
        floor (never lower). The forces and the true points are unchanged.

    Returns
    -------
    run : SyntheticRun
        The file and its known answers.

    Raises
    ------
    ValueError
        For impossible inputs: a leg that cannot reach its foot, a COP outside
        the foot, a marker below the floor.

    Examples
    --------
    >>> run = make_running_trial("run.c3d", up="y", forward="-x")  # doctest: +SKIP
    >>> run.sides[:2]  # doctest: +SKIP
    ('Right', 'Left')
    """
    if trunk_lean_deg is not None:
        bend_at_waist_deg = trunk_lean_deg - lean_from_ankles_deg
    posture = Posture(
        lean_from_ankles_deg=lean_from_ankles_deg,
        bend_at_waist_deg=bend_at_waist_deg,
        foot_strike_angle_deg=foot_strike_angle_deg,
    )
    e_up, e_forward = lab_axes(up, forward)
    rotation = model_to_lab(e_up, e_forward)
    ratio = _rate_ratio(point_rate_hz, analog_rate_hz)
    dims = body_dimensions(height_m, sex)
    series = simulate_steps(
        n_steps, analog_rate_hz, SlipParameters(mass_kg=mass_kg, speed_m_s=speed)
    )
    cop_ahead = solve_cop_ahead_of_ankle(series, dims, posture)
    pivot_from_heel = dims.foot_point("ajc")[0] + cop_ahead
    if not 0.0 <= pivot_from_heel <= dims.foot_m:
        raise ValueError(
            f"the COP would lie {pivot_from_heel:.3f} m from the heel, outside the "
            f"{dims.foot_m:.3f} m foot: lean_from_ankles_deg is too large or small"
        )

    n_samples = series.time_s.size // ratio * ratio
    frames = slice(0, n_samples, ratio)
    frame_time = series.time_s[frames]
    model = running_points(series, frame_time, dims, posture, cop_ahead)
    markers_model = markers_from_points(model, dims)
    if swing_foot_clearance_m is not None:
        _lower_swing_foot(markers_model, series, frame_time, swing_foot_clearance_m)
    lowest = min(float(np.min(m[:, 1])) for m in markers_model.values())
    if lowest < 0.0:
        raise ValueError(
            f"a marker goes {-lowest:.3f} m below the floor: choose a smaller "
            "|foot_strike_angle_deg| or another posture"
        )
    belt = _belt_shift(series, n_samples, treadmill)
    shift = np.column_stack([belt, np.zeros((n_samples, 2))])
    frame_shift = shift[frames]
    model = {name: p - _shift_like(frame_shift, p) for name, p in model.items()}
    markers = np.stack(
        [markers_model[label] - frame_shift for label in MARKER_LABELS], axis=1
    )
    markers = markers @ rotation
    points = TruePoints.from_model(model, rotation)

    grf = series.grf_n[:n_samples] @ rotation[:2]
    cop = (_cop_model(series, n_samples, dims) - shift) @ rotation
    if treadmill:
        plates, analogs = _treadmill_plate(grf, cop, rotation, point_units)
    else:
        plates, analogs = _overground_plates(series, grf, cop, rotation, point_units)
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
        processing=_processing(dims),
    )
    step = _step_index(series, n_samples)[frames]
    stance_side = np.where(step < 0, "", np.where(step % 2 == 0, "Right", "Left"))
    standing_foot = _standing_foot_angle_deg(dims)
    gait = series.gait
    return SyntheticRun(
        path=path,
        gait=gait,
        mass_kg=mass_kg,
        height_m=height_m,
        sex=sex,
        leg_length_m=dims.leg_length_m,
        foot_length_m=dims.foot_m,
        body=dims,
        posture=posture,
        lean_from_ankles_deg=lean_from_ankles_deg,
        bend_at_waist_deg=bend_at_waist_deg,
        foot_strike_angle_deg=foot_strike_angle_deg,
        cop_ahead_of_ankle_m=cop_ahead,
        speed_m_s=speed,
        treadmill=treadmill,
        e_up=e_up,
        e_forward=e_forward,
        point_rate_hz=float(point_rate_hz),
        analog_rate_hz=float(analog_rate_hz),
        marker_labels=MARKER_LABELS,
        markers_m=markers,
        frame_time_s=frame_time,
        com_m=points.com,
        points=points,
        angles=_lean_angles(points, cop[frames], stance_side, e_up, e_forward),
        stance_side=stance_side,
        steps=_step_answers(
            series, dims, posture, cop_ahead, rotation, standing_foot, sides
        ),
        standing_foot_angle_deg=standing_foot,
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
        trunk_lean_deg=posture.trunk_lean_deg,
    )


def make_static_trial(
    path: str | os.PathLike[str],
    *,
    mass_kg: float = 70.0,
    height_m: float = 1.80,
    sex: str | None = "M",
    duration_s: float = 1.0,
    point_rate_hz: float = 200.0,
    analog_rate_hz: float = 1000.0,
    force_plate: bool = True,
    up: str = "z",
    forward: str = "+x",
    point_units: str = "mm",
    subject_name: str = "SLIP01",
) -> SyntheticStatic:
    """Write an upright standing trial of the synthetic runner's body.

    Trunk MIDH→MIDS vertical, straight legs with the ankle joint centres under
    the hip joint centres, feet flat, arms hanging; no motion. With
    ``force_plate`` one TYPE 2 plate lies under both feet and reads m·g with the
    COP under the COM (the COM's floor projection is at the plate centre, the
    lab origin).

    Parameters
    ----------
    path : str or PathLike
        Output C3D file (name it ``*static*`` so gaitlab recognises it).
    mass_kg, height_m : float
        Body mass (kg) and stature (m).
    sex : {"M", "F"} or None
        de Leva parameters (None: mean of both sexes).
    duration_s : float
        Length of the trial in s.
    point_rate_hz, analog_rate_hz : float
        Marker and analog rates in Hz.
    force_plate : bool
        Write the plate under both feet.
    up, forward : str
        Lab frame (`gaitlab.synth.labframe.lab_axes`); ``forward`` is where the
        subject faces.
    point_units : {"mm", "m"}
        POINT:UNITS of the file.
    subject_name : str
        SUBJECTS:NAMES.

    Returns
    -------
    static : SyntheticStatic
        The file and its known answers.

    Examples
    --------
    >>> static = make_static_trial("demo_static.c3d")  # doctest: +SKIP
    >>> round(static.trunk_lean_deg, 6)  # doctest: +SKIP
    0.0
    """
    e_up, e_forward = lab_axes(up, forward)
    rotation = model_to_lab(e_up, e_forward)
    ratio = _rate_ratio(point_rate_hz, analog_rate_hz)
    dims = body_dimensions(height_m, sex)
    n_frames = round(duration_s * point_rate_hz)
    model = standing_points(dims, n_frames)
    com = segmental_com(model, dims)
    centre = np.column_stack([com[:, 0], np.zeros((n_frames, 2))])
    model = {name: p - _shift_like(centre, p) for name, p in model.items()}
    model["com"] = com - centre
    markers = markers_from_points(model, dims)
    marker_array = np.stack([markers[label] for label in MARKER_LABELS], 1) @ rotation
    points = TruePoints.from_model(model, rotation)
    plates: list[PlateParameters] = []
    analogs = np.zeros((0, 0))
    grf = cop = np.zeros((0, 3))
    write_analogs: dict[str, Any] = {}
    if force_plate:
        n_samples = n_frames * ratio
        weight = mass_kg * GRAVITY
        grf = np.tile(weight * e_up, (n_samples, 1))
        cop = np.zeros((n_samples, 3))
        axes = _plate_axes(rotation)
        corners = plate_corners(np.zeros(3), axes, tuple(s / 2 for s in PLATE_SIZE_M))
        plates = [PlateParameters(2, corners, PLATE_ORIGIN_M, np.arange(1, 7))]
        wrench = _plate_wrench(grf, cop, np.zeros(3), axes, PLATE_ORIGIN_M)
        analogs = type2_channels(wrench, point_units)
        labels, units = _analog_labels(plates, point_units)
        write_analogs = {
            "analogs": analogs,
            "analog_labels": labels,
            "analog_units": units,
            "analog_rate_hz": analog_rate_hz,
            "plates": plates,
        }
    path = write_c3d(
        path,
        markers=marker_array,
        marker_labels=MARKER_LABELS,
        point_rate_hz=point_rate_hz,
        subject_name=subject_name,
        mass_kg=mass_kg,
        height_m=height_m,
        point_units=point_units,
        processing=_processing(dims),
        **write_analogs,
    )

    def angle(lower: FloatArray, upper: FloatArray) -> float:
        return float(sagittal_angle_deg(lower[0], upper[0], e_up, e_forward))

    c7_lean = angle(points.midh, points.cerv)
    return SyntheticStatic(
        path=path,
        mass_kg=mass_kg,
        height_m=height_m,
        sex=sex,
        leg_length_m=dims.leg_length_m,
        foot_length_m=dims.foot_m,
        body=dims,
        e_up=e_up,
        e_forward=e_forward,
        point_rate_hz=float(point_rate_hz),
        analog_rate_hz=float(analog_rate_hz),
        marker_labels=MARKER_LABELS,
        markers_m=marker_array,
        com_m=points.com,
        points=points,
        grf_n=grf,
        cop_m=cop,
        analogs=analogs,
        plates=tuple(plates),
        foot_angle_deg=_standing_foot_angle_deg(dims),
        trunk_lean_deg=angle(points.midh, points.mids),
        trunk_lean_c7_deg=c7_lean,
        head_alignment_deg=angle(points.cerv, points.head_com) - c7_lean,
        hip_height_m=float(points.midh[0] @ e_up),
        com_height_m=float(points.com[0] @ e_up),
    )


def _lower_swing_foot(
    markers: dict[str, FloatArray],
    series: SlipSeries,
    frame_time: FloatArray,
    clearance_m: float,
) -> None:
    """Lower the swing foot's HEE and TOE (model frame, y up) during each contact
    of the other foot (see ``swing_foot_clearance_m``); in place."""
    for step, (down, up) in enumerate(
        zip(series.touchdown_s, series.liftoff_s, strict=True)
    ):
        swing = "L" if step % 2 == 0 else "R"  # Right contacts first
        inside = (frame_time > down) & (frame_time < up)
        weight = np.sin(np.pi * (frame_time[inside] - down) / (up - down)) ** 2
        heel, toe = markers[f"{swing}HEE"], markers[f"{swing}TOE"]
        lowest = np.minimum(heel[inside, 1], toe[inside, 1])
        drop = weight * np.maximum(lowest - clearance_m, 0.0)
        heel[inside, 1] -= drop
        toe[inside, 1] -= drop


def _processing(dims: BodyDimensions) -> dict[str, float | str]:
    """PROCESSING parameters beyond mass and height (lengths in mm, Vicon names)."""
    leg_mm = 1000.0 * dims.leg_length_m
    out: dict[str, float | str] = {"LLegLength": leg_mm, "RLegLength": leg_mm}
    for joint, name in (("knee", "Knee"), ("ankle", "Ankle"), ("elbow", "Elbow")):
        for side in "LR":
            out[f"{side}{name}Width"] = 1000.0 * DEFAULT_WIDTHS_M[joint]
    if dims.sex is not None:
        out["Sex"] = dims.sex
    return out


def _standing_foot_angle_deg(dims: BodyDimensions) -> float:
    """θ_foot of HEE→TOE in upright standing, degrees (model frame)."""
    points = standing_points(dims)
    toe_line = points["r_toe"][0] - points["r_heel"][0]
    return float(np.degrees(np.arctan2(toe_line[1], toe_line[0])))


def _shift_like(shift: FloatArray, points: FloatArray) -> FloatArray:
    """Broadcast a (n, 3) shift against (n, 3) or (n, k, 3) points."""
    return shift if points.ndim == 2 else shift[:, None, :]


def _lean_angles(
    points: TruePoints,
    cop: FloatArray,
    stance_side: npt.NDArray[np.str_],
    e_up: FloatArray,
    e_forward: FloatArray,
) -> LeanAngles:
    """True angles at the marker frames (`LeanAngles`)."""

    def angle(lower: FloatArray, upper: FloatArray) -> FloatArray:
        return sagittal_angle_deg(lower, upper, e_up, e_forward)

    right = (stance_side == "Right")[:, None]
    left = (stance_side == "Left")[:, None]
    ajc = np.where(right, points.r_ajc, np.where(left, points.l_ajc, np.nan))
    hjc = np.where(right, points.r_hjc, np.where(left, points.l_hjc, np.nan))
    trunk = angle(points.midh, points.mids)
    leg = angle(ajc, hjc)
    return LeanAngles(
        trunk_lean_deg=trunk,
        leg_line_deg=leg,
        bend_index_deg=trunk - leg,
        body_line_deg=angle(ajc, points.mids),
        whole_body_lean_cop_deg=angle(cop, points.com),
        whole_body_lean_ankle_deg=angle(ajc, points.com),
        head_alignment_deg=angle(points.cerv, points.head_com)
        - angle(points.midh, points.cerv),
        l_foot_angle_deg=_foot_angle_deg(points.l_heel, points.l_toe, e_up, e_forward),
        r_foot_angle_deg=_foot_angle_deg(points.r_heel, points.r_toe, e_up, e_forward),
    )


def _foot_angle_deg(
    heel: FloatArray, toe: FloatArray, e_up: FloatArray, e_forward: FloatArray
) -> FloatArray:
    """θ_foot = atan2((TOE - HEE)·e_up, (TOE - HEE)·e_prog), degrees."""
    line = toe - heel
    return np.degrees(np.arctan2(line @ e_up, line @ e_forward))


def _step_answers(
    series: SlipSeries,
    dims: BodyDimensions,
    posture: Posture,
    cop_ahead: float,
    rotation: FloatArray,
    standing_foot_deg: float,
    sides: tuple[str, ...],
) -> StepAnswers:
    """Per-step answers at the exact touchdown and midstance instants."""
    e_forward, e_up = rotation[0], rotation[1]
    touchdown = series.touchdown_s
    midstance = touchdown + 0.5 * series.gait.contact_time_s
    right = (np.arange(touchdown.size) % 2 == 0)[:, None]

    def stance(points: Mapping[str, FloatArray], name: str) -> FloatArray:
        return np.where(right, points[f"r_{name}"], points[f"l_{name}"]) @ rotation

    def angle(lower: FloatArray, upper: FloatArray) -> FloatArray:
        return sagittal_angle_deg(lower, upper, e_up, e_forward)

    at_ic = running_points(series, touchdown, dims, posture, cop_ahead)
    com_ic = at_ic["com"] @ rotation
    cop_ic = np.column_stack([series.foot_position_m, np.zeros((touchdown.size, 2))])
    cop_ic = cop_ic @ rotation
    heel, toe = stance(at_ic, "heel"), stance(at_ic, "toe")
    ajc, kjc = stance(at_ic, "ajc"), stance(at_ic, "kjc")
    e_foot = horizontal_unit(toe - heel, e_up)
    strike_index = 100.0 * np.sum((cop_ic - heel) * e_foot, axis=1) / dims.foot_m

    at_mid = running_points(series, midstance, dims, posture, cop_ahead)
    midh, mids = at_mid["midh"] @ rotation, at_mid["mids"] @ rotation
    ajc_mid, hjc_mid = stance(at_mid, "ajc"), stance(at_mid, "hjc")
    trunk, leg = angle(midh, mids), angle(ajc_mid, hjc_mid)
    speed = np.full(touchdown.size, series.gait.step_length_m / series.gait.step_time_s)
    return StepAnswers(
        side=sides,
        touchdown_s=touchdown,
        midstance_s=midstance,
        liftoff_s=series.liftoff_s,
        contact_time_s=series.liftoff_s - touchdown,
        speed_m_s=speed,
        foot_strike_angle_deg=_foot_angle_deg(heel, toe, e_up, e_forward)
        - standing_foot_deg,
        strike_index_pct=strike_index,
        cop_ahead_of_com_m=(cop_ic - com_ic) @ e_forward,
        ajc_ahead_of_com_m=(ajc - com_ic) @ e_forward,
        heel_ahead_of_com_m=(heel - com_ic) @ e_forward,
        heel_ahead_of_hip_m=(heel - at_ic["midh"] @ rotation) @ e_forward,
        shank_angle_deg=-angle(ajc, kjc),
        trunk_lean_deg=trunk,
        leg_line_deg=leg,
        bend_index_deg=trunk - leg,
        body_line_deg=angle(ajc_mid, mids),
        whole_body_lean_ankle_deg=angle(ajc_mid, at_mid["com"] @ rotation),
    )


def _cop_model(series: SlipSeries, n_samples: int, dims: BodyDimensions) -> FloatArray:
    """COP (forward, up, right) overground in the model frame; NaN in flight."""
    step = _step_index(series, n_samples)
    cop = np.full((n_samples, 3), np.nan)
    stance = step >= 0
    cop[stance, 0] = series.foot_position_m[step[stance]]
    cop[stance, 1] = 0.0
    lateral = np.where(step[stance] % 2 == 0, 1.0, -1.0)
    cop[stance, 2] = lateral * dims.hip_half_width_m
    return cop


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


def _plate_axes(rotation: FloatArray) -> FloatArray:
    """Plate x, y, z axes (columns) in the lab; x along the progression axis, z down.

    Plate x is the positive lab axis of progression whatever the running direction,
    as a plate is fixed in the lab.
    """
    forward, up = rotation[0], rotation[1]
    plate_x = np.abs(forward)
    return np.column_stack([plate_x, np.cross(-up, plate_x), -up])


def _treadmill_plate(
    grf_lab: FloatArray, cop_lab: FloatArray, rotation: FloatArray, point_units: str
) -> tuple[list[PlateParameters], FloatArray]:
    """One TYPE 4 plate centred at the lab origin, and its volts."""
    axes = _plate_axes(rotation)
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
    rotation: FloatArray,
    point_units: str,
) -> tuple[list[PlateParameters], FloatArray]:
    """One TYPE 2 plate per step; each sees only its own contact."""
    axes = _plate_axes(rotation)
    step = _step_index(series, len(grf_lab))
    plates, channels = [], []
    half_size = tuple(s / 2 for s in PLATE_SIZE_M)
    for i, foot in enumerate(series.foot_position_m):
        centre = np.array([foot + PLATE_AHEAD_OF_FOOT_M, 0.0, 0.0]) @ rotation
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
