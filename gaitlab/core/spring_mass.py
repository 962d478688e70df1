"""Stiffness of the spring-mass model of running (METHODS §5.6).

Two ways to the vertical stiffness ``k_vert = F_max / Δy`` and the leg
stiffness ``k_leg = F_max / ΔL`` of a stance (F_max = peak vertical GRF, Δy =
vertical COM displacement from IC to its lowest point, ΔL = leg compression):

* McMahon & Cheng (1990), from a measured F_max and Δy:
  ``ΔL = Δy + L0·(1 − cos θ)``, ``θ = asin(v·t_c / (2·L0))``;
* Morin et al. (2005), sine-wave estimates from m, v, L0, t_f and t_c only:
  ``F_max = m·g·(π/2)·(t_f/t_c + 1)``, ``Δy = |−F_max·t_c²/(m·π²) + g·t_c²/8|``,
  ``ΔL = L0 − sqrt(L0² − (v·t_c/2)²) + Δy``.

Units: N, m, s, kg, m/s; stiffness in N/m.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gaitlab.core.geometry import GRAVITY
from gaitlab.core.types import FloatArray

__all__ = ["SpringMass", "mcmahon_stiffness", "morin_stiffness"]


@dataclass(frozen=True)
class SpringMass:
    """Stiffness of the spring-mass model (METHODS §5.6).

    Attributes
    ----------
    f_max_n : ndarray
        Peak vertical force in N.
    com_drop_m : ndarray
        Vertical COM displacement Δy in m.
    leg_compression_m : ndarray
        Leg compression ΔL in m.
    vertical_stiffness_n_m, leg_stiffness_n_m : ndarray
        F_max / Δy and F_max / ΔL in N/m.

    Each has the shape of the inputs (0-d for scalars).
    """

    f_max_n: FloatArray
    com_drop_m: FloatArray
    leg_compression_m: FloatArray
    vertical_stiffness_n_m: FloatArray
    leg_stiffness_n_m: FloatArray


def mcmahon_stiffness(
    f_max_n: npt.ArrayLike,
    com_drop_m: npt.ArrayLike,
    leg_length_m: float,
    speed_m_s: npt.ArrayLike,
    contact_time_s: npt.ArrayLike,
) -> SpringMass:
    """Vertical and leg stiffness from measured F_max and Δy (McMahon & Cheng 1990).

    ``ΔL = Δy + L0·(1 − cos θ)`` with ``θ = asin(v·t_c / (2·L0))``. Inputs are
    scalars or arrays (one value per step); non-positive Δy or ΔL give NaN.

    Examples
    --------
    >>> float(mcmahon_stiffness(1000.0, 0.05, 1.0, 0.0, 0.2).leg_stiffness_n_m)
    20000.0
    """
    f_max, drop = np.asarray(f_max_n, float), np.asarray(com_drop_m, float)
    sine = np.minimum(np.asarray(speed_m_s) * contact_time_s / (2.0 * leg_length_m), 1)
    compression = drop + leg_length_m * (1.0 - np.cos(np.arcsin(sine)))
    with np.errstate(invalid="ignore", divide="ignore"):
        return SpringMass(
            f_max,
            drop,
            compression,
            np.where(drop > 0, f_max / drop, np.nan),
            np.where(compression > 0, f_max / compression, np.nan),
        )


def morin_stiffness(
    mass_kg: float,
    speed_m_s: float,
    leg_length_m: float,
    flight_time_s: npt.ArrayLike,
    contact_time_s: npt.ArrayLike,
) -> SpringMass:
    """Sine-wave estimates of F_max, Δy, ΔL and the stiffnesses (Morin et al. 2005).

    Parameters
    ----------
    mass_kg : float
        Body mass m in kg.
    speed_m_s : float
        Running speed v in m/s.
    leg_length_m : float
        Leg length L0 in m (NaN gives NaN leg values only).
    flight_time_s, contact_time_s : float or ndarray
        t_f and t_c in s (scalars or one value per step).

    Returns
    -------
    estimate : SpringMass
        Values (NaN where v·t_c/2 > L0 for the leg values).

    Examples
    --------
    >>> estimate = morin_stiffness(70.0, 3.5, 1.0, 0.110, 0.2356)
    >>> round(float(estimate.f_max_n) / (70.0 * 9.81), 3)
    2.304
    """
    t_c, t_f = np.asarray(contact_time_s, float), np.asarray(flight_time_s, float)
    f_max = mass_kg * GRAVITY * (np.pi / 2.0) * (t_f / t_c + 1.0)
    com_drop = np.abs(-f_max * t_c**2 / (mass_kg * np.pi**2) + GRAVITY * t_c**2 / 8.0)
    half_contact = speed_m_s * t_c / 2.0
    with np.errstate(invalid="ignore"):
        compression = leg_length_m - np.sqrt(leg_length_m**2 - half_contact**2)
    compression = compression + com_drop
    return SpringMass(
        f_max, com_drop, compression, f_max / com_drop, f_max / compression
    )
