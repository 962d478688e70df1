"""Ground reaction summed over the force plates, and the direction of progression.

METHODS §1.8 (several plates: total force, force-weighted combined COP) and
§5.1 (direction of progression from the pelvis displacement, the facing
direction of the pelvis, or the sign of the braking impulse).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gaitlab.core.geometry import GRAVITY, horizontal_unit, unit
from gaitlab.core.trial import ForcePlate
from gaitlab.core.types import FloatArray

__all__ = [
    "GroundReaction",
    "Progression",
    "combine_plates",
    "find_progression",
    "runs",
]

BoolArray = npt.NDArray[np.bool_]

OVERGROUND_MIN_M = 1.0
TREADMILL_MAX_M = 0.5
"""Pelvis displacement limits of METHODS §5.1, in metres."""

DISAGREEMENT_DEG = 45.0
"""Methods whose directions differ by more than this are reported as disagreeing."""


@dataclass(frozen=True)
class GroundReaction:
    """The ground reaction on the subject, summed over all force plates.

    Attributes
    ----------
    force : ndarray, shape (n_samples, 3)
        Total GRF on the subject in N, lab frame.
    cop : ndarray, shape (n_samples, 3)
        Combined centre of pressure in m (METHODS §1.8): the vertical-force-
        weighted mean of the plates' COPs; NaN where the total vertical force
        is below ``cop_threshold_n``.
    free_moment : ndarray, shape (n_samples,)
        Sum of the plates' free moments about the vertical, in N·m (NaN where
        no plate has a COP).
    vertical : ndarray, shape (n_samples,)
        ``force · e_up`` in N.
    rate_hz, t0_s : float
        Sampling rate in Hz and time of the first sample in s.
    cop_threshold_n : float
        Vertical force below which the COP is undefined, in N.
    n_plates : int
        Plates summed.
    """

    force: FloatArray
    cop: FloatArray
    free_moment: FloatArray
    vertical: FloatArray
    rate_hz: float
    t0_s: float
    cop_threshold_n: float
    n_plates: int

    @property
    def time(self) -> FloatArray:
        """Time of each sample in s."""
        return self.t0_s + np.arange(len(self.force)) / self.rate_hz


@dataclass(frozen=True)
class Progression:
    """Direction of progression of a trial (METHODS §5.1).

    Attributes
    ----------
    direction : ndarray, shape (3,)
        Horizontal unit vector, lab frame.
    method : str
        ``"displacement"`` (overground), ``"facing"`` (pelvis orientation,
        treadmill), ``"force"`` (braking before propulsion) or ``"default"``.
    treadmill : bool or None
        True when the pelvis moved less than 0.5 m (stationary: treadmill or
        running in place), False when it moved more than 1 m, None if unknown.
    displacement_m : float
        Horizontal displacement of the pelvis over the trial, in m (NaN
        without pelvis markers).
    notes : tuple of str
        Disagreements between methods and other remarks.
    """

    direction: FloatArray
    method: str
    treadmill: bool | None
    displacement_m: float
    notes: tuple[str, ...] = ()

    @property
    def consistent(self) -> bool:
        """False when the methods that could be applied disagree."""
        return not any("disagree" in note for note in self.notes)


def combine_plates(
    plates: Sequence[ForcePlate], up: npt.ArrayLike, body_mass_kg: float | None
) -> GroundReaction | None:
    """Sum the plates' ground reaction and combine their COPs (METHODS §1.8).

    Plates must share one sampling clock (they do in a C3D file). Returns None
    when there is no plate with samples.

    Parameters
    ----------
    plates : sequence of ForcePlate
        The trial's plates (GRF on the subject, lab frame).
    up : array_like, shape (3,)
        Upward vertical.
    body_mass_kg : float or None
        Body mass for the COP threshold ``max(50 N, 0.05·m·g)`` (METHODS §1.7).

    Returns
    -------
    grf : GroundReaction or None
    """
    usable = [p for p in plates if p.n_samples > 0]
    if not usable:
        return None
    e_up = unit(up)
    n = min(p.n_samples for p in usable)
    force = np.zeros((n, 3))
    weighted_cop = np.zeros((n, 3))
    weight = np.zeros(n)
    free_moment = np.zeros(n)
    has_cop = np.zeros(n, dtype=bool)
    for plate in usable:
        f = plate.force[:n]
        force += f
        valid = np.isfinite(plate.cop[:n, 0])
        vertical = np.where(valid, f @ e_up, 0.0)
        weighted_cop += np.where(valid[:, None], plate.cop[:n], 0.0) * vertical[:, None]
        weight += vertical
        free_moment += np.where(valid, np.nan_to_num(plate.free_moment[:n]), 0.0)
        has_cop |= valid
    threshold = max(50.0, 0.05 * GRAVITY * body_mass_kg) if body_mass_kg else 50.0
    vertical_total = force @ e_up
    defined = has_cop & (vertical_total >= threshold) & (weight > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        cop = np.where(defined[:, None], weighted_cop / weight[:, None], np.nan)
    return GroundReaction(
        force=force,
        cop=cop,
        free_moment=np.where(defined, free_moment, np.nan),
        vertical=vertical_total,
        rate_hz=usable[0].rate_hz,
        t0_s=usable[0].t0_s,
        cop_threshold_n=threshold,
        n_plates=len(usable),
    )


def runs(mask: BoolArray) -> list[tuple[int, int]]:
    """Start and stop (exclusive) indices of the runs of True in ``mask``.

    Examples
    --------
    >>> runs(np.array([0, 1, 1, 0, 1], dtype=bool))
    [(1, 3), (4, 5)]
    """
    padded = np.concatenate([[False], np.asarray(mask, bool), [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def find_progression(
    up: npt.ArrayLike,
    *,
    pelvis_centre: FloatArray | None = None,
    facing: FloatArray | None = None,
    grf: GroundReaction | None = None,
) -> Progression:
    """Direction of progression by the methods of METHODS §5.1.

    1. Overground (pelvis moved more than 1 m): direction of the pelvis
       displacement. 2. Stationary (less than 0.5 m; treadmill): horizontal
       mean of the facing vector (mid-ASIS − mid-PSIS). 3. Force fallback: the
       horizontal axis of largest GRF variation during contacts, signed so the
       impulse over the first half of each contact is negative (braking comes
       first). Every method that applies is computed and disagreements of
       more than 45° are reported in ``notes``.

    Parameters
    ----------
    up : array_like, shape (3,)
        Upward vertical.
    pelvis_centre : ndarray, shape (n_frames, 3) or None
        Pelvis centre trajectory in m (NaN where missing).
    facing : ndarray, shape (n_frames, 3) or None
        Vector from mid-PSIS to mid-ASIS per frame.
    grf : GroundReaction or None
        Total ground reaction.

    Returns
    -------
    progression : Progression
    """
    e_up = unit(up)
    candidates: dict[str, FloatArray] = {}
    displacement = np.nan
    if pelvis_centre is not None:
        finite = np.flatnonzero(np.all(np.isfinite(pelvis_centre), axis=1))
        if finite.size >= 2:
            delta = pelvis_centre[finite[-1]] - pelvis_centre[finite[0]]
            horizontal = delta - (delta @ e_up) * e_up
            displacement = float(np.linalg.norm(horizontal))
            if displacement > OVERGROUND_MIN_M:
                candidates["displacement"] = horizontal / displacement
    if facing is not None:
        mean_facing = np.nanmean(facing, axis=0) if np.isfinite(facing).any() else None
        if mean_facing is not None and np.all(np.isfinite(mean_facing)):
            direction = horizontal_unit(mean_facing, e_up)
            if np.all(np.isfinite(direction)):
                candidates["facing"] = direction
    if grf is not None:
        braking = _braking_first_direction(grf, e_up)
        if braking is not None:
            candidates["force"] = braking
    treadmill = (
        None
        if not np.isfinite(displacement)
        else (
            True
            if displacement < TREADMILL_MAX_M
            else False
            if displacement > OVERGROUND_MIN_M
            else None
        )
    )
    order = ("displacement", "facing", "force")
    method = next((m for m in order if m in candidates), "default")
    notes = []
    if method == "default":
        direction = _default_direction(e_up)
        notes.append(
            "no pelvis markers and no usable force data: progression assumed along "
            f"the lab axis {np.round(direction, 3).tolist()}"
        )
    else:
        direction = candidates[method]
        for other in order:
            if other in candidates and other != method:
                angle = np.degrees(
                    np.arccos(np.clip(direction @ candidates[other], -1.0, 1.0))
                )
                if angle > DISAGREEMENT_DEG:
                    notes.append(
                        f"progression methods disagree: {method} and {other} differ "
                        f"by {angle:.0f}°"
                    )
    return Progression(direction, method, treadmill, displacement, tuple(notes))


def _braking_first_direction(
    grf: GroundReaction, e_up: FloatArray
) -> FloatArray | None:
    """Horizontal axis of the AP force, signed so contacts start with braking."""
    loaded = grf.vertical > max(grf.cop_threshold_n, 50.0)
    contacts = [(a, b) for a, b in runs(loaded) if b - a >= 0.05 * grf.rate_hz]
    if not contacts:
        return None
    horizontal = grf.force - np.outer(grf.force @ e_up, e_up)
    samples = np.concatenate([horizontal[a:b] for a, b in contacts])
    covariance = samples.T @ samples
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    axis = eigenvectors[:, np.argmax(eigenvalues)]
    first_half = sum(
        float(np.sum(horizontal[a : (a + b) // 2] @ axis)) for a, b in contacts
    )
    if first_half == 0.0:
        return None
    return axis if first_half < 0 else -axis


def _default_direction(e_up: FloatArray) -> FloatArray:
    """Return the first lab axis that is horizontal."""
    for axis in np.eye(3):
        if abs(axis @ e_up) < 0.5:
            return horizontal_unit(axis, e_up)
    raise AssertionError("unreachable: some lab axis is horizontal")
