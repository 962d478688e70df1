"""Sagittal-plane geometry: the lab's vertical and progression axes, and angles.

METHODS §0.1 and §4.1: angles are computed in the plane spanned by the upward
vertical ``e_up`` and the horizontal direction of progression ``e_prog``; the
vector from a lower point A to an upper point B is projected onto that plane
and ``θ(A→B) = atan2((B − A)·e_prog, (B − A)·e_up)``, positive = forward.
Nothing here assumes a Z-up lab.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from gaitlab.core.types import FloatArray

__all__ = [
    "GRAVITY",
    "horizontal_unit",
    "sagittal_angle_deg",
    "sagittal_components",
    "unit",
]


GRAVITY = 9.81
"""Gravitational acceleration g in m/s² (METHODS §0.1)."""


def unit(vector: npt.ArrayLike) -> FloatArray:
    """Scale a vector to length 1 (along the last axis).

    Examples
    --------
    >>> unit([3.0, 0.0, 4.0])
    array([0.6, 0. , 0.8])
    """
    v = np.asarray(vector, dtype=float)
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return v / norm


def horizontal_unit(vector: npt.ArrayLike, up: npt.ArrayLike) -> FloatArray:
    """Return the horizontal part of ``vector`` (perpendicular to ``up``), unit length.

    Examples
    --------
    >>> horizontal_unit([1.0, 0.0, 1.0], [0.0, 0.0, 1.0])
    array([1., 0., 0.])
    """
    v = np.asarray(vector, dtype=float)
    e_up = unit(up)
    return unit(v - (v @ e_up)[..., None] * e_up)


def sagittal_components(
    vector: npt.ArrayLike, up: npt.ArrayLike, progression: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Forward and upward components of a vector, in its units.

    Parameters
    ----------
    vector : array_like, shape (..., 3)
        Vectors in the lab frame.
    up, progression : array_like, shape (3,)
        Unit vectors of the upward vertical and of the horizontal progression.

    Returns
    -------
    forward, upward : ndarray, shape (...)
        ``vector·e_prog`` and ``vector·e_up``.
    """
    v = np.asarray(vector, dtype=float)
    return v @ np.asarray(progression, float), v @ np.asarray(up, float)


def sagittal_angle_deg(
    lower: npt.ArrayLike,
    upper: npt.ArrayLike,
    up: npt.ArrayLike,
    progression: npt.ArrayLike,
) -> FloatArray:
    """Angle of the line lower→upper from the vertical, in degrees (forward > 0).

    ``θ(A→B) = atan2((B − A)·e_prog, (B − A)·e_up)`` (METHODS §4.1); the
    mediolateral component does not count. NaN where either point is NaN.

    Parameters
    ----------
    lower, upper : array_like, shape (..., 3)
        Points A and B in metres, lab frame (broadcast against each other).
    up, progression : array_like, shape (3,)
        Unit vectors of the upward vertical and of the progression.

    Returns
    -------
    angle : ndarray, shape (...)
        Degrees from the upward vertical, positive when B is ahead of A.

    Examples
    --------
    >>> float(sagittal_angle_deg([0, 0, 0], [0.1, 0.5, 1.0], [0, 0, 1], [1, 0, 0]))
    5.710593137499643
    """
    forward, upward = sagittal_components(
        np.asarray(upper, float) - np.asarray(lower, float), up, progression
    )
    return np.degrees(np.arctan2(forward, upward))
