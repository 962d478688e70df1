"""A synthetic overground walking trial, in memory, with known gait events.

Made for the gait-event checks that running trials cannot make: double
support (both feet on the ground at once), both feet on one force plate at
the same time, and steps no plate measured.

Model (lab frame +Z up, progression +X): the pelvis markers move forward at
the walking speed; each foot is stationary on the floor from its initial
contact (IC) to its toe-off (TO) and in swing follows a minimum-jerk path to
the next foothold, lifted by a half sine (``swing_height_m``). Heel and toe
markers are ``MARKER_HEIGHT_M`` above the floor in stance, the toe
``FOOT_M`` ahead of the heel. As in real walking, the heel slows below the
pelvis speed before IC and the toe moves faster than the pelvis after TO,
so the coordinate-based (Zeni 2008) events differ from the true ones by a
few frames: that is the bias a detector must measure against the plates.

Vertical GRF of one foot over its stance (τ = 0 .. 1):
``BW·(sin(πτ) + 0.25·sin(3πτ))`` (two humps of ~1.05 BW, a 0.75 BW trough),
fore-aft ``-0.15·BW·sin(2πτ)`` (braking, then propulsion); the COP is at the
middle of the foot. Plates (TYPE-2 like, in memory): plate 1 holds a Right
step and the Left step after it (two feet on it during double support),
plates 2 and 3 one step each; every other step is off the plates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gaitlab.core.geometry import GRAVITY
from gaitlab.core.trial import AnalogSet, ForcePlate, MarkerSet, Subject, Trial
from gaitlab.core.types import FloatArray

__all__ = ["SyntheticWalk", "make_walking_trial"]


FOOT_M = 0.25
"""Heel marker to toe marker, m."""
MARKER_HEIGHT_M = 0.02
"""Height of the heel and toe markers above the floor in stance, m."""
STEP_WIDTH_M = 0.18
PELVIS_HEIGHT_M = 0.95


@dataclass(frozen=True)
class SyntheticWalk:
    """A walking trial and its answers.

    Attributes
    ----------
    trial : Trial
        Markers (100 Hz by default), three force plates (1000 Hz), subject.
    sides : tuple of str
        Side of each contact, in time order.
    ic_s, to_s : ndarray
        True initial contact and toe-off of each contact, s.
    plate : ndarray of int
        Plate (1-based) each contact stands on; 0 off the plates.
    two_feet : ndarray of bool
        True for the contacts sharing plate 1 with the other foot.
    """

    trial: Trial
    sides: tuple[str, ...]
    ic_s: FloatArray
    to_s: FloatArray
    plate: npt.NDArray[np.int_]
    two_feet: npt.NDArray[np.bool_]


def make_walking_trial(
    *,
    speed: float = 1.3,
    stride_s: float = 1.1,
    stance_fraction: float = 0.6,
    n_strides: int = 5,
    point_rate_hz: float = 100.0,
    analog_rate_hz: float = 1000.0,
    mass_kg: float = 70.0,
    swing_height_m: float = 0.08,
    noise_n: float = 0.0,
    seed: int = 0,
) -> SyntheticWalk:
    """Simulate overground walking with both feet on plate 1 at once.

    Parameters
    ----------
    speed : float
        Walking speed, m/s.
    stride_s : float
        Stride time (IC to the next IC of the same foot), s.
    stance_fraction : float
        Contact time over stride time (> 0.5: double support).
    n_strides : int
        Strides per foot (at least 4: plates sit under strides 1 to 3).
    point_rate_hz, analog_rate_hz : float
        Marker and force rates, Hz.
    mass_kg : float
        Body mass, kg.
    swing_height_m : float
        Peak lift of the swing foot, m.
    noise_n : float
        SD of white noise added to each plate force component, N.
    seed : int
        Seed of the noise generator.

    Returns
    -------
    walk : SyntheticWalk
        The trial and its true events.
    """
    if not 0.5 < stance_fraction < 0.8 or n_strides < 4:
        raise ValueError("need 0.5 < stance_fraction < 0.8 and n_strides >= 4")
    stance = stance_fraction * stride_s
    step_length = speed * stride_s / 2.0
    duration = (n_strides + 0.5) * stride_s
    start = 0.3 * stride_s  # both feet start mid-stride: the first contacts truncated
    contacts = []  # (side, ic, to, heel x)
    for k in range(n_strides):
        for side, phase in (("Right", 0.0), ("Left", 0.5)):
            ic = start + (k + phase) * stride_s
            if ic + stance < duration - 0.25:  # the foot's next swing seen
                contacts.append((side, ic, ic + stance, speed * ic))
    contacts.sort(key=lambda c: c[1])
    sides = tuple(c[0] for c in contacts)
    ic_s = np.array([c[1] for c in contacts])
    to_s = np.array([c[2] for c in contacts])
    heel_x = np.array([c[3] for c in contacts])

    frame_time = np.arange(round(duration * point_rate_hz)) / point_rate_hz
    pelvis_x = speed * frame_time + 0.2
    labels, data = [], []
    for name, dx, dy, dz in (
        ("LASI", 0.08, 0.12, 0.0),
        ("RASI", 0.08, -0.12, 0.0),
        ("LPSI", -0.08, 0.05, 0.03),
        ("RPSI", -0.08, -0.05, 0.03),
    ):
        labels.append(name)
        data.append(
            np.column_stack(
                [
                    pelvis_x + dx,
                    np.full_like(frame_time, dy),
                    np.full_like(frame_time, PELVIS_HEIGHT_M + dz),
                ]
            )
        )
    for side in ("Left", "Right"):
        own = [i for i, s in enumerate(sides) if s == side]
        heel = _foot_path(
            frame_time, ic_s[own], to_s[own], heel_x[own], step_length, swing_height_m
        )
        lateral = STEP_WIDTH_M / 2 * (1.0 if side == "Left" else -1.0)
        heel[:, 1] = lateral
        toe = heel + np.array([FOOT_M, 0.0, 0.0])
        prefix = side[0]
        labels += [f"{prefix}HEE", f"{prefix}TOE"]
        data += [heel, toe]
    markers = MarkerSet(np.stack(data, axis=1), tuple(labels), point_rate_hz)

    analog_time = np.arange(round(duration * analog_rate_hz)) / analog_rate_hz
    weight = mass_kg * GRAVITY
    plate_of = np.zeros(len(contacts), dtype=int)
    rights = [i for i, s in enumerate(sides) if s == "Right"]
    first = rights[1]  # plate 1: this Right step and the Left one after it
    plate_of[first] = plate_of[first + 1] = 1
    plate_of[first + 2] = 2
    plate_of[first + 3] = 3
    plates = []
    rng = np.random.default_rng(seed)
    for number in (1, 2, 3):
        on = np.flatnonzero(plate_of == number)
        back = heel_x[on].min() - 0.08
        front = heel_x[on].max() + FOOT_M + 0.08
        force = np.zeros((analog_time.size, 3))
        cop_sum = np.zeros((analog_time.size, 3))
        for i in on:
            tau = (analog_time - ic_s[i]) / (to_s[i] - ic_s[i])
            inside = (tau > 0) & (tau < 1)
            vertical = weight * (np.sin(np.pi * tau) + 0.25 * np.sin(3 * np.pi * tau))
            fore_aft = -0.15 * weight * np.sin(2 * np.pi * tau)
            force[inside, 0] += fore_aft[inside]
            force[inside, 2] += vertical[inside]
            lateral = STEP_WIDTH_M / 2 * (1.0 if sides[i] == "Left" else -1.0)
            point = np.array([heel_x[i] + FOOT_M / 2, lateral, 0.0])
            cop_sum[inside] += np.outer(vertical[inside], point)
        if noise_n > 0:
            force += rng.normal(0.0, noise_n, force.shape)
        loaded = force[:, 2] > 1.0
        cop = np.full_like(force, np.nan)
        cop[loaded] = cop_sum[loaded] / force[loaded, 2:3]
        cop[loaded, 2] = 0.0
        centre = np.array([(back + front) / 2, 0.0, 0.0])
        half_x, half_y = (front - back) / 2, 0.3
        corners = centre + np.array(
            [
                [half_x, half_y, 0],
                [-half_x, half_y, 0],
                [-half_x, -half_y, 0],
                [half_x, -half_y, 0],
            ]
        )
        arm = np.where(loaded[:, None], cop - centre, 0.0)
        plates.append(
            ForcePlate(
                force=force,
                moment=np.cross(arm, force),
                cop=np.where((force[:, 2] >= 50.0)[:, None], cop, np.nan),
                free_moment=np.where(force[:, 2] >= 50.0, 0.0, np.nan),
                corners=corners,
                rate_hz=analog_rate_hz,
                plate_type=2,
                cop_threshold_n=50.0,
            )
        )
    trial = Trial(
        markers=markers,
        analogs=AnalogSet(np.zeros((analog_time.size, 0)), (), (), analog_rate_hz),
        forceplates=tuple(plates),
        subject=Subject("walker", mass_kg=mass_kg),
        up_axis=np.array([0.0, 0.0, 1.0]),
    )
    return SyntheticWalk(
        trial=trial,
        sides=sides,
        ic_s=ic_s,
        to_s=to_s,
        plate=plate_of,
        two_feet=plate_of == 1,
    )


def _foot_path(
    time: FloatArray,
    ic: FloatArray,
    to: FloatArray,
    heel_x: FloatArray,
    step_length: float,
    swing_height: float,
) -> FloatArray:
    """Heel position (n, 3): still in stance, minimum-jerk swing between stances.

    Before the first contact and after the last the foot swings in from (or on
    to) a foothold one stride away.
    """
    stride_s = float(np.median(np.diff(ic))) if ic.size > 1 else 1.0
    stance = float(np.median(to - ic))
    starts = np.concatenate([[ic[0] - stride_s], ic, [ic[-1] + stride_s]])
    stops = starts + stance
    footholds = np.concatenate(
        [[heel_x[0] - 2 * step_length], heel_x, [heel_x[-1] + 2 * step_length]]
    )
    x = np.empty_like(time)
    z = np.full_like(time, MARKER_HEIGHT_M)
    for t_index, t in enumerate(time):
        k = int(np.searchsorted(starts, t, side="right")) - 1
        k = min(max(k, 0), len(starts) - 1)
        if t <= stops[k] or k == len(starts) - 1:
            x[t_index] = footholds[k]
            continue
        s = (t - stops[k]) / (starts[k + 1] - stops[k])
        blend = 10 * s**3 - 15 * s**4 + 6 * s**5
        x[t_index] = footholds[k] + blend * (footholds[k + 1] - footholds[k])
        z[t_index] = MARKER_HEIGHT_M + swing_height * np.sin(np.pi * s)
    return np.column_stack([x, np.zeros_like(time), z])
