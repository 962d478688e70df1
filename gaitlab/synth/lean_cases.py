"""Analytic lean cases of METHODS §8.3: GRF, COP and COM with a known lean.

* Case 3, `constant_acceleration`: a point mass accelerating forward at a constant
  ``a`` with the GRF through the COM. The force-weighted COP→COM lean is
  ``atan(a/g)`` (5.8°, 17.0°, 27.0° for a = 1, 3, 5 m/s²).
* Case 6, `falling_pendulum`: a point mass on a massless rod of length L pinned
  at a fixed COP falls forward, ``θ̈ = (g/L)·sin θ`` (θ from the vertical); COM =
  COP + L·(sin θ, cos θ) and GRF = m·(a_COM + g·e_up), which lies along the rod:
  the GRF angle ``atan2(GRF·e_prog, GRF·e_up)`` equals θ at every sample while
  the forward acceleration is ``(g + a_up)·tan θ``, not ``g·tan θ``.

Both return arrays in a lab frame chosen with ``up`` and ``forward``
(`gaitlab.synth.labframe.lab_axes`); COP on the floor (height 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from gaitlab.core.geometry import GRAVITY
from gaitlab.core.types import FloatArray
from gaitlab.synth.labframe import lab_axes, model_to_lab

__all__ = ["LeanCase", "constant_acceleration", "falling_pendulum"]


@dataclass(frozen=True)
class LeanCase:
    """GRF, COP and COM of an analytic lean case, with the true lean.

    Attributes
    ----------
    time_s : ndarray, shape (n,)
        Sample times in s.
    com_m, cop_m : ndarray, shape (n, 3)
        COM and COP in the lab frame, m (COP on the floor).
    grf_n : ndarray, shape (n, 3)
        Ground reaction force on the body, lab frame, N.
    lean_deg : ndarray, shape (n,)
        True COP→COM lean, positive forward, degrees (equal to the GRF angle).
    mass_kg : float
        Body mass in kg.
    e_up, e_forward : ndarray, shape (3,)
        Lab vertical and progression unit vectors.
    """

    time_s: FloatArray
    com_m: FloatArray
    cop_m: FloatArray
    grf_n: FloatArray
    lean_deg: FloatArray
    mass_kg: float
    e_up: FloatArray
    e_forward: FloatArray


def constant_acceleration(
    acceleration_m_s2: float,
    *,
    duration_s: float = 1.0,
    rate_hz: float = 1000.0,
    mass_kg: float = 70.0,
    com_height_m: float = 1.0,
    start_speed_m_s: float = 3.0,
    up: str = "z",
    forward: str = "+x",
) -> LeanCase:
    """METHODS §8.3 case 3: constant forward acceleration, GRF through the COM.

    The COM moves at a constant height with ``x = v0·t + a·t²/2``; the GRF is
    ``m·(a·e_prog + g·e_up)`` and the COP lies where its line through the COM
    meets the floor, ``com_height·a/g`` behind the COM.

    Parameters
    ----------
    acceleration_m_s2 : float
        Forward acceleration a in m/s².
    duration_s, rate_hz : float
        Length in s and sampling rate in Hz.
    mass_kg, com_height_m, start_speed_m_s : float
        Body mass (kg), COM height (m) and forward speed at t = 0 (m/s).
    up, forward : str
        Lab frame (see `gaitlab.synth.labframe.lab_axes`).

    Returns
    -------
    case : LeanCase
        ``lean_deg`` is ``atan(a/g)`` at every sample.

    Examples
    --------
    >>> case = constant_acceleration(3.0)
    >>> round(float(case.lean_deg[0]), 1)
    17.0
    """
    e_up, e_forward = lab_axes(up, forward)
    rotation = model_to_lab(e_up, e_forward)
    time = np.arange(round(duration_s * rate_hz) + 1) / rate_hz
    n = time.size
    com = np.column_stack(
        [
            start_speed_m_s * time + 0.5 * acceleration_m_s2 * time**2,
            np.full(n, com_height_m),
            np.zeros(n),
        ]
    )
    cop = com - (com_height_m * acceleration_m_s2 / GRAVITY, com_height_m, 0.0)
    grf = np.tile(mass_kg * np.array([acceleration_m_s2, GRAVITY, 0.0]), (n, 1))
    lean = np.full(n, np.degrees(np.arctan2(acceleration_m_s2, GRAVITY)))
    return LeanCase(
        time_s=time,
        com_m=com @ rotation,
        cop_m=cop @ rotation,
        grf_n=grf @ rotation,
        lean_deg=lean,
        mass_kg=float(mass_kg),
        e_up=e_up,
        e_forward=e_forward,
    )


def falling_pendulum(
    *,
    length_m: float = 1.0,
    start_angle_deg: float = 5.0,
    duration_s: float = 0.4,
    rate_hz: float = 1000.0,
    mass_kg: float = 70.0,
    up: str = "z",
    forward: str = "+x",
) -> LeanCase:
    """METHODS §8.3 case 6: an inverted pendulum falling forward about the COP.

    ``θ̈ = (g/L)·sin θ`` from rest at θ0 is integrated with DOP853 (rtol 1e-12);
    the COM acceleration is ``L·(θ̈ cos θ - θ̇² sin θ, -θ̈ sin θ - θ̇² cos θ)``
    and the GRF is ``m·(a_COM + g·e_up)``, directed along the rod.

    Parameters
    ----------
    length_m : float
        Rod length L (COP to COM), m.
    start_angle_deg : float
        θ0, forward lean at t = 0, degrees.
    duration_s, rate_hz : float
        Length in s and sampling rate in Hz.
    mass_kg : float
        Point mass in kg.
    up, forward : str
        Lab frame (see `gaitlab.synth.labframe.lab_axes`).

    Returns
    -------
    case : LeanCase
        ``lean_deg`` is θ(t); the COP stays at the lab origin.

    Examples
    --------
    >>> case = falling_pendulum()
    >>> case.time_s.size, round(float(case.lean_deg[0]), 6)
    (401, 5.0)
    """
    e_up, e_forward = lab_axes(up, forward)
    rotation = model_to_lab(e_up, e_forward)
    time = np.arange(round(duration_s * rate_hz) + 1) / rate_hz
    rate = GRAVITY / length_m

    def dynamics(_t: float, state: FloatArray) -> list[float]:
        return [state[1], rate * np.sin(state[0])]

    solution = solve_ivp(
        dynamics,
        (0.0, time[-1]),
        [np.radians(start_angle_deg), 0.0],
        method="DOP853",
        t_eval=time,
        rtol=1e-12,
        atol=1e-14,
    )
    angle, speed = solution.y
    accel = rate * np.sin(angle)
    s, c = np.sin(angle), np.cos(angle)
    com = np.column_stack([length_m * s, length_m * c, np.zeros(time.size)])
    com_acceleration = length_m * np.column_stack(
        [accel * c - speed**2 * s, -accel * s - speed**2 * c, np.zeros(time.size)]
    )
    grf = mass_kg * (com_acceleration + np.array([0.0, GRAVITY, 0.0]))
    return LeanCase(
        time_s=time,
        com_m=com @ rotation,
        cop_m=np.zeros((time.size, 3)),
        grf_n=grf @ rotation,
        lean_deg=np.degrees(angle),
        mass_kg=float(mass_kg),
        e_up=e_up,
        e_forward=e_forward,
    )
