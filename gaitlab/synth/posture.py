"""The full body running on the SLIP: posture knobs, foot paths and the COM match.

Model frame: columns (forward, up, right), metres; overground positions (the
treadmill belt is removed later by `gaitlab.synth.running`).

Posture (METHODS §4.1, §8.3):

* **Trunk**: the MIDH→MIDS line is pitched ``lean_from_ankles_deg + bend_at_waist_deg``
  (θ + β) from the vertical for the whole trial; pelvis and head turn with it.
* **Foot placement**: the stance foot is placed so that the COP (the SLIP foot
  point) lies ``cop_ahead_of_ankle_m`` ahead of the ankle joint centre once the
  foot is flat; that distance is solved so that the stance-leg line AJC→HJC
  leans exactly θ at midstance (half the contact time, when the COM is over the
  COP). Hence at midstance the leg line is θ, the trunk θ + β, the bend index β
  and, when β = 0, the AJC→MIDS body line θ ("lean from the ankles": the runner
  lands further onto the forefoot as θ grows). β alone pitches the trunk at the
  hips with the legs unchanged (leg line 0 at midstance).
* **Foot strike**: at touchdown the foot is pitched ``foot_strike_angle_deg``
  (FSA) relative to its standing orientation (toe up > 0). The rigid foot turns
  about the point of its sole above the COP: ``pitch = FSA·(1 - τ/t_flat)²``
  for τ < t_flat = ``foot_flat_fraction`` x contact time, flat until the heel
  rise, then ``-heel_rise·((τ - t_c + t_r)/t_r)²`` over the last t_r =
  ``heel_rise_fraction`` x t_c of the contact (τ = time since touchdown, t_c =
  contact time). The sole is
  taken to touch the floor at the COP point only: sole points behind a toe-up
  pivot, or ahead of a heel-rise pivot, dip below the floor (the virtual toe tip
  TTIP by a few centimetres); markers stay above it.
* **Swing**: the COP point of the swing foot moves in the lab along cubic
  Hermite curves from lift-off (velocity `LIFTOFF_VELOCITY_M_S`) to the next
  touchdown (velocity `TOUCHDOWN_VELOCITY_M_S`, forward and up), raised by
  ``SWING_LIFT_M·s²(1 - s)³/(0.4²·0.6³)`` (s = swing fraction, peak at
  s = 0.4); its pitch follows a Hermite curve from the lift-off pitch and rate
  to FSA with zero rate, so the foot angle is stationary just before touchdown.
* **Arms**: upper arm at ``ARM_MEAN_DEG ∓ ARM_SWING_DEG·cos(stride phase)``
  from the trunk axis (right arm back at right touchdown), elbows flexed
  ``ELBOW_FLEXION_DEG``.
* **Knees**: two-link inverse kinematics from the HJC to the AJC, knee in front.

The §8.2 SLIP (1 m leg) shortens its COP-to-COM distance by 14.7 % with the COP
fixed, so the body crouches to follow it: for 1.80 m the knee flexes about 50°
at touchdown and 95° at midstance. Positions and angles are exact for this
body; they are not typical joint angles.

**COM match**: the mid-hip MIDH is solved at every sample by fixed-point
iteration (build the body, compute the segmental COM, move MIDH by the error)
until the segmental COM of the joint centres equals the SLIP COM to
`COM_TOLERANCE_M`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gaitlab.core.types import FloatArray
from gaitlab.synth.body import (
    BodyDimensions,
    body_points,
    foot_points,
    segmental_com,
)
from gaitlab.synth.slip import SlipSeries

__all__ = [
    "COM_TOLERANCE_M",
    "Posture",
    "foot_pitch_rad",
    "running_points",
    "solve_cop_ahead_of_ankle",
]


COM_TOLERANCE_M = 1e-9
"""Largest allowed distance between the segmental COM and the SLIP COM, m."""

SWING_LIFT_M = 0.20
LIFTOFF_VELOCITY_M_S = (1.0, 1.0)
TOUCHDOWN_VELOCITY_M_S = (0.0, -0.5)
ARM_MEAN_DEG = -10.0
ARM_SWING_DEG = 30.0
ELBOW_FLEXION_DEG = 90.0
"""Swing-foot and arm motion (see the module docstring); velocities (forward, up)."""

_MAX_ITERATIONS = 200


@dataclass(frozen=True)
class Posture:
    """Posture knobs of the synthetic runner (degrees; see the module docstring).

    Attributes
    ----------
    lean_from_ankles_deg : float
        θ: trunk and stance-leg line at midstance inclined θ (body line θ).
    bend_at_waist_deg : float
        β: extra trunk pitch at the hips; the bend index at midstance is β.
    foot_strike_angle_deg : float
        Foot pitch at touchdown relative to standing, toe up positive.
    foot_flat_fraction : float
        Part of the contact time over which the foot rotates to flat (< 0.5).
    heel_rise_deg : float
        Toe-down pitch reached at lift-off by the heel rise about the COP point.
    heel_rise_fraction : float
        Final part of the contact time taken by the heel rise (< 0.5).
    """

    lean_from_ankles_deg: float = 0.0
    bend_at_waist_deg: float = 5.0
    foot_strike_angle_deg: float = 3.0
    foot_flat_fraction: float = 0.2
    heel_rise_deg: float = 25.0
    heel_rise_fraction: float = 0.3

    def __post_init__(self) -> None:
        """Check the ranges."""
        if not 0.0 < self.foot_flat_fraction < 0.5:
            raise ValueError("foot_flat_fraction must lie in (0, 0.5)")
        if not 0.0 < self.heel_rise_fraction < 0.5:
            raise ValueError("heel_rise_fraction must lie in (0, 0.5)")
        if not abs(self.lean_from_ankles_deg) + abs(self.bend_at_waist_deg) < 45.0:
            raise ValueError(
                "|lean_from_ankles_deg| + |bend_at_waist_deg| must be < 45"
            )
        if not abs(self.foot_strike_angle_deg) < 45.0:
            raise ValueError("|foot_strike_angle_deg| must be < 45")

    @property
    def trunk_lean_deg(self) -> float:
        """Angle of MIDH→MIDS from the vertical, θ + β, degrees."""
        return self.lean_from_ankles_deg + self.bend_at_waist_deg


def foot_pitch_rad(
    posture: Posture, contact_time_s: float, elapsed_s: FloatArray
) -> FloatArray:
    """Stance foot pitch ``elapsed_s`` after touchdown, rad (toe up > 0).

    ``FSA·(1 - τ/t_flat)²`` while rotating down to flat, 0 when flat, and
    ``-rise·((τ - t_rise_start)/t_rise)²`` during the heel rise that ends the
    contact (τ = elapsed time).
    """
    elapsed = np.asarray(elapsed_s, dtype=float)
    flat_time = posture.foot_flat_fraction * contact_time_s
    rise_time = posture.heel_rise_fraction * contact_time_s
    landing = np.clip(1.0 - elapsed / flat_time, 0.0, 1.0)
    rising = np.clip((elapsed - (contact_time_s - rise_time)) / rise_time, 0.0, None)
    return (
        np.radians(posture.foot_strike_angle_deg) * landing**2
        - np.radians(posture.heel_rise_deg) * rising**2
    )


def running_points(
    series: SlipSeries,
    time_s: npt.ArrayLike,
    dims: BodyDimensions,
    posture: Posture,
    cop_ahead_of_ankle_m: float,
) -> dict[str, FloatArray]:
    """The posed body at any times, its segmental COM equal to the SLIP COM.

    Parameters
    ----------
    series : SlipSeries
        The SLIP run (right foot on steps 0, 2, ...); the gait is extended
        periodically before and after it.
    time_s : array_like, shape (n,)
        Times in s on the series clock.
    dims : BodyDimensions
    posture : Posture
    cop_ahead_of_ankle_m : float
        COP ahead of the stance AJC once the foot is flat, m.

    Returns
    -------
    points : dict of ndarray, shape (n, 3)
        `gaitlab.synth.body.body_points` (model frame, overground) plus "com"
        (the SLIP COM, also the segmental COM).

    Raises
    ------
    ValueError
        If a leg cannot reach its foot.
    """
    time = np.atleast_1d(np.asarray(time_s, dtype=float))
    com = series.states_at(time)[:, :2]
    pivot_from_heel = dims.foot_point("ajc")[0] + cop_ahead_of_ankle_m
    feet = {
        prefix: foot_points(
            *_foot_pose(series, time, first_step, posture),
            pivot_from_heel,
            dims,
            lateral * dims.hip_half_width_m,
        )
        for prefix, first_step, lateral in (("r", 0, 1.0), ("l", 1, -1.0))
    }
    stride_phase = np.pi * (time - series.touchdown_s[0]) / series.gait.step_time_s
    swing = np.radians(ARM_SWING_DEG) * np.cos(stride_phase)
    mean = np.radians(ARM_MEAN_DEG)
    arms = {"r": mean - swing, "l": mean + swing}
    trunk = np.radians(posture.trunk_lean_deg)
    elbow = np.radians(ELBOW_FLEXION_DEG)

    midh = com - (0.0, 0.08)
    for _ in range(_MAX_ITERATIONS):
        points = body_points(midh, trunk, arms, elbow, feet, dims)
        error = com - segmental_com(points, dims)[:, :2]
        unreachable = np.isnan(points["l_kjc"][:, 0]) | np.isnan(points["r_kjc"][:, 0])
        if np.all(np.abs(error[~unreachable]) < COM_TOLERANCE_M):
            break
        midh = midh + np.nan_to_num(error, nan=0.0)
    else:
        raise ValueError("the body cannot follow the SLIP COM (no convergence)")
    if unreachable.any():
        raise ValueError(
            f"a leg cannot reach its foot at t = {time[unreachable][0]:.4f} s: "
            "the SLIP leg is too long for this stature"
        )
    points["com"] = np.column_stack([com, np.zeros(len(com))])
    return points


def solve_cop_ahead_of_ankle(
    series: SlipSeries, dims: BodyDimensions, posture: Posture
) -> float:
    """COP-to-AJC distance that makes the midstance leg line lean θ.

    The right stance of step 0 is solved at half its contact time; by
    symmetry every step then has the same leg line at midstance.

    Returns
    -------
    distance : float
        COP ahead of the flat stance foot's AJC, m.
    """
    midstance = series.touchdown_s[0] + 0.5 * series.gait.contact_time_s
    tan_lean = np.tan(np.radians(posture.lean_from_ankles_deg))

    def residual(distance: float) -> float:
        p = running_points(series, [midstance], dims, posture, distance)
        leg = p["r_hjc"][0, :2] - p["r_ajc"][0, :2]
        return float(leg[0] - tan_lean * leg[1])

    distance, previous = 0.0, None
    value = residual(distance)
    for _ in range(50):
        if abs(value) < 1e-12:
            return distance
        slope = (
            1.0
            if previous is None
            else (value - previous[1]) / (distance - previous[0])
        )
        previous = (distance, value)
        distance -= value / slope
        value = residual(distance)
    raise ValueError("no foot placement gives the requested midstance leg line")


def _foot_pose(
    series: SlipSeries, time: FloatArray, first_step: int, posture: Posture
) -> tuple[FloatArray, FloatArray]:
    """COP-point position (n, 2) and pitch (n,) of one foot.

    The foot's contacts are steps ``first_step, first_step + 2, ...``, continued
    periodically before and after the series.
    """
    gait = series.gait
    step_time, contact_time = gait.step_time_s, gait.contact_time_s
    swing_time = 2.0 * step_time - contact_time
    td0, foot0 = float(series.touchdown_s[0]), float(series.foot_position_m[0])
    pair = np.floor((time - td0 - first_step * step_time) / (2.0 * step_time))
    step = first_step + 2 * pair
    elapsed = time - (td0 + step * step_time)
    stance = elapsed < contact_time
    cop = foot0 + step * gait.step_length_m
    pivot = np.column_stack([cop, np.zeros(len(time))])
    pitch = foot_pitch_rad(posture, contact_time, elapsed)

    s = (elapsed[~stance] - contact_time) / swing_time
    h00, h10 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s
    h01, h11 = -2 * s**3 + 3 * s**2, s**3 - s**2
    start_rate = swing_time * np.asarray(LIFTOFF_VELOCITY_M_S)
    end_rate = swing_time * np.asarray(TOUCHDOWN_VELOCITY_M_S)
    travel = 2.0 * gait.step_length_m
    pivot[~stance, 0] += h10 * start_rate[0] + h01 * travel + h11 * end_rate[0]
    pivot[~stance, 1] = (
        h10 * start_rate[1] + h11 * end_rate[1] + SWING_LIFT_M * _lift_profile(s)
    )
    rise = np.radians(posture.heel_rise_deg)
    rise_rate = -2.0 * rise / (posture.heel_rise_fraction * contact_time)
    strike = np.radians(posture.foot_strike_angle_deg)
    pitch[~stance] = -rise * h00 + swing_time * rise_rate * h10 + strike * h01
    return pivot, pitch


def _lift_profile(s: FloatArray) -> FloatArray:
    """Swing lift shape: 0 with zero slope at both ends, peak 1 at s = 0.4."""
    return s**2 * (1.0 - s) ** 3 / (0.4**2 * 0.6**3)
