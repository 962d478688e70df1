"""Spring-mass (SLIP) running reference, METHODS §8.2.

A point mass m on a massless linear leg spring (stiffness k, rest length L0) runs
in the sagittal plane (x forward, y up, ground at y = 0):

* stance, foot fixed at ``x_f``: ``L = sqrt((x - x_f)² + y²)``,
  ``F_leg = k·(L0 - L)``, ``m·ẍ = F_leg·(x - x_f)/L``,
  ``m·ÿ = F_leg·y/L - m·g``; lift-off when L = L0;
* flight: ``ẍ = 0``, ``ÿ = -g``; touchdown when ``y = L0·sin alpha0``, the foot then
  being placed at ``x_f = x + L0·cos alpha0``.

The stance is integrated with ``scipy.integrate.solve_ivp`` (DOP853, rtol 1e-10,
events for lift-off); the flight is ballistic and evaluated in closed form. The
symmetric periodic gait fixes the vertical touchdown velocity from the flight time
(``ẏ_td = -g·t_f/2``) and solves alpha0 and the horizontal touchdown velocity ``ẋ_td``
so that ``ẏ(lift-off) = -ẏ_td`` and step length / step time equals the target
speed. The defaults (m = 70 kg, L0 = 1 m, k = 11 000 N/m, 3.5 m/s, t_f = 0.110 s)
reproduce the §8.2 table: alpha0 = 65.98°, t_c = 0.2356 s, peak vertical GRF
2.348 BW, braking/propulsive impulse ∓0.2757 N·s/kg, ...
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np
import numpy.typing as npt
from scipy.integrate import OdeSolution, solve_ivp
from scipy.optimize import OptimizeResult, root

from gaitlab.core.types import FloatArray

__all__ = [
    "SlipGait",
    "SlipParameters",
    "SlipSeries",
    "simulate_steps",
    "solve_periodic_gait",
]


RTOL = 1e-10
"""Relative tolerance of the stance integration (METHODS §8.2)."""

ATOL = 1e-12
"""Absolute tolerance of the stance integration (m, m/s)."""

_EXTREMA_SAMPLES = 20_001
"""Stance samples used to locate peak forces and the lowest COM point."""


@dataclass(frozen=True)
class SlipParameters:
    """Parameters of the spring-mass runner.

    Attributes
    ----------
    mass_kg : float
        Body mass m in kg.
    leg_length_m : float
        Rest leg length L0 in m.
    stiffness_n_per_m : float
        Leg stiffness k in N/m.
    speed_m_s : float
        Mean forward speed in m/s (step length / step time).
    flight_time_s : float
        Flight time t_f in s; sets the vertical touchdown velocity.
    gravity_m_s2 : float
        Gravitational acceleration g in m/s².
    """

    mass_kg: float = 70.0
    leg_length_m: float = 1.0
    stiffness_n_per_m: float = 11_000.0
    speed_m_s: float = 3.5
    flight_time_s: float = 0.110
    gravity_m_s2: float = 9.81

    @property
    def touchdown_vertical_velocity_m_s(self) -> float:
        """Vertical velocity at touchdown, ``-g·t_f/2``, in m/s."""
        return -0.5 * self.gravity_m_s2 * self.flight_time_s

    @property
    def body_weight_n(self) -> float:
        """Body weight m·g in N."""
        return self.mass_kg * self.gravity_m_s2


@dataclass(frozen=True)
class SlipGait:
    """The symmetric periodic gait: one stance, relative to the foot at x = 0.

    Attributes
    ----------
    parameters : SlipParameters
        Model parameters.
    touchdown_angle_rad : float
        Leg angle alpha0 at touchdown, from the horizontal, in rad.
    contact_time_s : float
        Stance duration t_c in s.
    touchdown_state : ndarray, shape (4,)
        ``(x, y, ẋ, ẏ)`` at touchdown, foot at x = 0, in m and m/s.
    liftoff_state : ndarray, shape (4,)
        ``(x, y, ẋ, ẏ)`` at lift-off, foot at x = 0, in m and m/s.
    stance : OdeSolution
        Dense stance solution, ``stance(t) -> (4, n)`` for 0 ≤ t ≤ t_c.
    """

    parameters: SlipParameters
    touchdown_angle_rad: float
    contact_time_s: float
    touchdown_state: FloatArray = field(repr=False)
    liftoff_state: FloatArray = field(repr=False)
    stance: OdeSolution = field(repr=False, compare=False)

    @property
    def flight_time_s(self) -> float:
        """Flight time t_f in s."""
        return self.parameters.flight_time_s

    @property
    def step_time_s(self) -> float:
        """Step time (touchdown to touchdown) in s."""
        return self.contact_time_s + self.flight_time_s

    @property
    def step_frequency_hz(self) -> float:
        """Steps per second, in Hz."""
        return 1.0 / self.step_time_s

    @property
    def duty_factor(self) -> float:
        """Contact time / stride time (stride = two steps)."""
        return self.contact_time_s / (2.0 * self.step_time_s)

    @property
    def contact_length_m(self) -> float:
        """Forward COM travel during stance, in m."""
        return float(self.liftoff_state[0] - self.touchdown_state[0])

    @property
    def step_length_m(self) -> float:
        """Forward COM travel per step, in m."""
        return self.contact_length_m + self.liftoff_state[2] * self.flight_time_s

    @property
    def foot_ahead_at_touchdown_m(self) -> float:
        """Foot ahead of the COM at touchdown, ``L0·cos alpha0``, in m."""
        return float(-self.touchdown_state[0])

    @property
    def touchdown_lean_deg(self) -> float:
        """COP→COM lean at touchdown, positive forward, in degrees."""
        return _lean_deg(self.touchdown_state)

    @property
    def liftoff_lean_deg(self) -> float:
        """COP→COM lean at lift-off, positive forward, in degrees."""
        return _lean_deg(self.liftoff_state)

    @property
    def min_horizontal_velocity_m_s(self) -> float:
        """Lowest forward COM velocity during stance, in m/s."""
        return float(self._stance_samples[2].min())

    @property
    def com_drop_m(self) -> float:
        """COM drop from touchdown to its lowest point, in m."""
        return float(self.touchdown_state[1] - self._stance_samples[1].min())

    @property
    def max_leg_compression_m(self) -> float:
        """Largest leg compression L0 - L, in m."""
        leg = np.hypot(self._stance_samples[0], self._stance_samples[1])
        return float(self.parameters.leg_length_m - leg.min())

    @property
    def peak_vertical_grf_n(self) -> float:
        """Peak vertical GRF in N."""
        return float(self._stance_grf[1].max())

    @property
    def peak_braking_grf_n(self) -> float:
        """Most negative forward GRF in N."""
        return float(self._stance_grf[0].min())

    @property
    def peak_propulsive_grf_n(self) -> float:
        """Most positive forward GRF in N."""
        return float(self._stance_grf[0].max())

    @property
    def braking_impulse_n_s(self) -> float:
        """Impulse of the negative forward GRF, ``m·(ẋ_min - ẋ_td)``, in N·s."""
        return self.parameters.mass_kg * (
            self.min_horizontal_velocity_m_s - self.touchdown_state[2]
        )

    @property
    def propulsive_impulse_n_s(self) -> float:
        """Impulse of the positive forward GRF, ``m·(ẋ_lo - ẋ_min)``, in N·s."""
        return self.parameters.mass_kg * (
            self.liftoff_state[2] - self.min_horizontal_velocity_m_s
        )

    def stance_grf(self, states: FloatArray) -> FloatArray:
        """GRF on the runner for stance states relative to the foot.

        Parameters
        ----------
        states : ndarray, shape (4, n)
            ``(x, y, ẋ, ẏ)`` with the foot at x = 0, in m and m/s.

        Returns
        -------
        grf : ndarray, shape (2, n)
            Forward and vertical force on the runner, in N.
        """
        return _leg_force(self.parameters, states[0], states[1])

    @cached_property
    def _stance_samples(self) -> FloatArray:
        """Dense stance states, shape (4, _EXTREMA_SAMPLES)."""
        return self.stance(np.linspace(0.0, self.contact_time_s, _EXTREMA_SAMPLES))

    @cached_property
    def _stance_grf(self) -> FloatArray:
        """GRF at `_stance_samples`, shape (2, _EXTREMA_SAMPLES), in N."""
        return self.stance_grf(self._stance_samples)


@dataclass(frozen=True)
class SlipSeries:
    """Multi-step SLIP time series, sampled at a fixed rate.

    Time starts at mid-flight before the first touchdown and ends before mid-flight
    after the last lift-off, so every step has a complete contact. The COM starts
    at x = 0; the ground is y = 0.

    Attributes
    ----------
    gait : SlipGait
        The periodic gait that was tiled.
    rate_hz : float
        Sampling rate in Hz.
    time_s : ndarray, shape (n_samples,)
        Sample times ``k / rate_hz`` in s.
    com_position_m : ndarray, shape (n_samples, 2)
        COM (forward, up) in m.
    com_velocity_m_s : ndarray, shape (n_samples, 2)
        COM velocity (forward, up) in m/s.
    grf_n : ndarray, shape (n_samples, 2)
        Ground reaction force on the runner (forward, up) in N.
    contact : ndarray of bool, shape (n_samples,)
        True from touchdown (inclusive) to lift-off (exclusive).
    foot_position_m : ndarray, shape (n_steps,)
        Forward position of the foot (COP) of each step, in m.
    touchdown_s : ndarray, shape (n_steps,)
        Touchdown time of each step in s.
    liftoff_s : ndarray, shape (n_steps,)
        Lift-off time of each step in s.
    """

    gait: SlipGait
    rate_hz: float
    time_s: FloatArray
    com_position_m: FloatArray
    com_velocity_m_s: FloatArray
    grf_n: FloatArray
    contact: npt.NDArray[np.bool_]
    foot_position_m: FloatArray
    touchdown_s: FloatArray
    liftoff_s: FloatArray

    def states_at(self, time_s: npt.ArrayLike) -> FloatArray:
        """COM states at any times; the periodic gait continues beyond the series.

        Parameters
        ----------
        time_s : array_like, shape (n,)
            Times in s on the series clock (may lie before 0 or after the end).

        Returns
        -------
        states : ndarray, shape (n, 4)
            COM (forward, up) in m and its velocity in m/s, overground.
        """
        time = np.atleast_1d(np.asarray(time_s, dtype=float))
        states, _, _ = _periodic_states(
            self.gait, time, float(self.touchdown_s[0]), float(self.foot_position_m[0])
        )
        return states.T


@lru_cache(maxsize=16)
def solve_periodic_gait(parameters: SlipParameters | None = None) -> SlipGait:
    """Solve the symmetric periodic gait (alpha0 and ẋ_td).

    Parameters
    ----------
    parameters : SlipParameters or None
        Model parameters; the METHODS §8.2 defaults if None.

    Returns
    -------
    gait : SlipGait
        The periodic stance (results are cached per parameter set).

    Examples
    --------
    >>> gait = solve_periodic_gait()
    >>> round(float(np.degrees(gait.touchdown_angle_rad)), 2)
    65.98
    """
    p = parameters or SlipParameters()
    guess = (np.radians(66.0), 1.03 * p.speed_m_s)
    solution = root(_periodicity_residuals, guess, args=(p,), options={"xtol": 1e-13})
    if not solution.success:
        raise RuntimeError(f"no periodic SLIP gait for {p}: {solution.message}")
    alpha, vx_td = solution.x
    stance = _integrate_stance(p, alpha, vx_td)
    touchdown, liftoff = stance.y[:, 0].copy(), stance.y[:, -1].copy()
    for state in (touchdown, liftoff):  # the gait is cached and shared
        state.flags.writeable = False
    return SlipGait(
        parameters=p,
        touchdown_angle_rad=float(alpha),
        contact_time_s=float(stance.t[-1]),
        touchdown_state=touchdown,
        liftoff_state=liftoff,
        stance=stance.sol,
    )


def simulate_steps(
    n_steps: int, fs: float, parameters: SlipParameters | None = None
) -> SlipSeries:
    """Sample ``n_steps`` consecutive steps of the periodic gait.

    Parameters
    ----------
    n_steps : int
        Number of steps (contacts), alternating feet.
    fs : float
        Sampling rate in Hz; any value (need not divide the step time).
    parameters : SlipParameters or None
        Model parameters; the METHODS §8.2 defaults if None.

    Returns
    -------
    series : SlipSeries
        Samples at ``t = k/fs`` for ``0 <= t < n_steps · step time``.

    Examples
    --------
    >>> series = simulate_steps(4, 1000.0)
    >>> series.grf_n.shape
    (1383, 2)
    """
    gait = solve_periodic_gait(parameters)
    time = np.arange(int(np.ceil(n_steps * gait.step_time_s * fs))) / fs
    first_touchdown = 0.5 * gait.flight_time_s
    x_lo, _, vx_lo, _ = gait.liftoff_state
    first_foot = gait.step_length_m - (x_lo + vx_lo * 0.5 * gait.flight_time_s)
    states, grf, contact = _periodic_states(gait, time, first_touchdown, first_foot)
    touchdown = first_touchdown + np.arange(n_steps) * gait.step_time_s
    return SlipSeries(
        gait=gait,
        rate_hz=float(fs),
        time_s=time,
        com_position_m=states[:2].T,
        com_velocity_m_s=states[2:].T,
        grf_n=grf.T,
        contact=contact,
        foot_position_m=first_foot + np.arange(n_steps) * gait.step_length_m,
        touchdown_s=touchdown,
        liftoff_s=touchdown + gait.contact_time_s,
    )


def _periodic_states(
    gait: SlipGait, time: FloatArray, first_touchdown_s: float, first_foot_m: float
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.bool_]]:
    """COM states, GRF and contact flags of the tiled gait at any times.

    Step k touches down at ``first_touchdown_s + k·T_step`` with its foot at
    ``first_foot_m + k·step_length``, for any integer k (also before and after a
    series). Returns states ``(x, y, ẋ, ẏ)`` shape (4, n), GRF (forward, up)
    shape (2, n) in N, and the contact flags.
    """
    step = np.floor((time - first_touchdown_s) / gait.step_time_s).astype(int)
    phase = time - first_touchdown_s - step * gait.step_time_s
    contact = phase < gait.contact_time_s
    states = np.empty((4, time.size))
    grf = np.zeros((2, time.size))
    if contact.any():
        states[:, contact] = gait.stance(phase[contact])
        grf[:, contact] = gait.stance_grf(states[:, contact])
    states[:, ~contact] = _flight_states(gait, phase[~contact] - gait.contact_time_s)
    states[0] += first_foot_m + step * gait.step_length_m
    return states, grf, contact


def _periodicity_residuals(unknowns: FloatArray, p: SlipParameters) -> list[float]:
    """Symmetry (ẏ_lo = -ẏ_td) and mean-speed errors for (alpha0, ẋ_td)."""
    alpha, vx_td = unknowns
    stance = _integrate_stance(p, alpha, vx_td)
    x_lo, y_lo, vx_lo, vy_lo = stance.y[:, -1]
    g = p.gravity_m_s2
    y_td = p.leg_length_m * np.sin(alpha)
    flight = (vy_lo + np.sqrt(max(vy_lo**2 + 2.0 * g * (y_lo - y_td), 0.0))) / g
    step_length = x_lo + p.leg_length_m * np.cos(alpha) + vx_lo * flight
    return [
        vy_lo + p.touchdown_vertical_velocity_m_s,
        step_length / (stance.t[-1] + flight) - p.speed_m_s,
    ]


def _integrate_stance(p: SlipParameters, alpha: float, vx_td: float) -> OptimizeResult:
    """Integrate one stance from touchdown (foot at x = 0) to lift-off."""
    leg_length = p.leg_length_m

    def dynamics(_t: float, state: FloatArray) -> list[float]:
        x, y, vx, vy = state
        fx, fy = _leg_force(p, x, y)
        return [vx, vy, fx / p.mass_kg, fy / p.mass_kg - p.gravity_m_s2]

    def liftoff(_t: float, state: FloatArray) -> float:
        return float(np.hypot(state[0], state[1]) - leg_length)

    def fall(_t: float, state: FloatArray) -> float:
        return float(state[1])

    liftoff.terminal, liftoff.direction = True, 1.0
    fall.terminal = True
    start = [
        -leg_length * np.cos(alpha),
        leg_length * np.sin(alpha),
        vx_td,
        p.touchdown_vertical_velocity_m_s,
    ]
    result = solve_ivp(
        dynamics,
        (0.0, 10.0 * np.sqrt(p.mass_kg / p.stiffness_n_per_m)),
        start,
        method="DOP853",
        rtol=RTOL,
        atol=ATOL,
        events=(liftoff, fall),
        dense_output=True,
    )
    if result.t_events[0].size == 0:
        raise RuntimeError(f"SLIP stance did not lift off (alpha0 = {alpha} rad)")
    return result


def _leg_force(p: SlipParameters, x: FloatArray, y: FloatArray) -> FloatArray:
    """Spring force on the mass, (forward, up), for the foot at the origin, in N."""
    length = np.hypot(x, y)
    magnitude = p.stiffness_n_per_m * (p.leg_length_m - length) / length
    return np.array([magnitude * x, magnitude * y])


def _flight_states(gait: SlipGait, elapsed_s: FloatArray) -> FloatArray:
    """Ballistic states ``elapsed_s`` after lift-off, foot of that step at x = 0."""
    x, y, vx, vy = gait.liftoff_state
    g = gait.parameters.gravity_m_s2
    return np.array(
        [
            x + vx * elapsed_s,
            y + vy * elapsed_s - 0.5 * g * elapsed_s**2,
            np.full_like(elapsed_s, vx),
            vy - g * elapsed_s,
        ]
    )


def _lean_deg(state: FloatArray) -> float:
    """COP→COM angle from the vertical, positive forward, foot at x = 0, degrees."""
    return float(np.degrees(np.arctan2(state[0], state[1])))
