"""Impact peak and vertical loading rates of a stance (METHODS §5.4).

From the vertical GRF of one stance (N, sampled uniformly, times in s):

* impact peak: the first local maximum in the first part of stance
  (``impact_window``, 25 %) that is followed by a dip of at least
  ``impact_dip`` (5 %) of its height before the later force maximum (a
  definition of gaitlab's; METHODS gives none);
* VALR: least-squares slope of the force against time over the samples of
  the rising edge between 20 % and 80 % of the impact peak; VILR: the largest
  sample-to-sample slope in that window (N/s);
* without an impact peak: the fixed 3–12 %-of-stance window, or an impact
  peak defined as the force at 13 % of stance, or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gaitlab.core.types import FloatArray

__all__ = [
    "WINDOW_3_12",
    "WINDOW_IMPACT",
    "WINDOW_PEAK_13",
    "LoadingRate",
    "least_squares_slope",
    "loading_rate",
]

WINDOW_IMPACT, WINDOW_3_12, WINDOW_PEAK_13 = 1.0, 2.0, 3.0
"""Codes of the loading-rate window: 20–80 % of the impact peak, 3–12 % of
stance, 20–80 % of the force at 13 % of stance."""


@dataclass(frozen=True)
class LoadingRate:
    """Impact peak and vertical loading rates of one stance (METHODS §5.4).

    Attributes
    ----------
    impact_peak_n : float
        Impact peak in N (NaN when there is none).
    valr_n_s, vilr_n_s : float
        Average and instantaneous loading rates in N/s (NaN when the window
        holds too few samples or ``no_impact_peak="none"``).
    window : float
        ``WINDOW_IMPACT`` (20–80 % of the impact peak), ``WINDOW_3_12`` (3–12 %
        of stance) or ``WINDOW_PEAK_13`` (20–80 % of the force at 13 % of
        stance); NaN when no window was used.
    reason : str
        Why a loading rate is NaN ("" otherwise).
    """

    impact_peak_n: float
    valr_n_s: float
    vilr_n_s: float
    window: float
    reason: str = ""


def loading_rate(
    time_s: FloatArray,
    force_n: FloatArray,
    ic_s: float,
    to_s: float,
    *,
    impact_window: float = 0.25,
    impact_dip: float = 0.05,
    impact_min_n: float = 0.0,
    no_impact_peak: str = "window_3_12",
) -> LoadingRate:
    """Impact peak, VALR and VILR of one stance (METHODS §5.4).

    Parameters
    ----------
    time_s : ndarray, shape (n,)
        Sample times in s (uniform).
    force_n : ndarray, shape (n,)
        Vertical GRF in N.
    ic_s, to_s : float
        Initial contact and toe-off in s.
    impact_window : float
        Fraction of stance in which the impact peak is sought.
    impact_dip : float
        Required dip after the impact peak, as a fraction of its height.
    impact_min_n : float
        Lowest impact peak in N.
    no_impact_peak : {"window_3_12", "peak_at_13", "none"}
        Window used when there is no impact peak.

    Returns
    -------
    rates : LoadingRate

    Examples
    --------
    >>> t = np.arange(0.0, 0.25, 0.001)
    >>> f = np.interp(t, [0.0, 0.03, 0.045, 0.125, 0.25], [0, 1500, 1200, 2000, 0])
    >>> rate = loading_rate(t, f, 0.0, 0.25)
    >>> round(rate.impact_peak_n), round(rate.valr_n_s), round(rate.vilr_n_s)
    (1500, 50000, 50000)
    """
    stance = slice(
        int(np.searchsorted(time_s, ic_s, side="left")),
        int(np.searchsorted(time_s, to_s, side="right")),
    )
    t, f = time_s[stance], force_n[stance]
    contact_time = to_s - ic_s
    peak = _impact_peak(t, f, ic_s + impact_window * contact_time, impact_dip)
    if peak is not None and f[peak] >= impact_min_n:
        return _rising_edge_rates(t, f, peak, float(f[peak]), WINDOW_IMPACT)
    if no_impact_peak == "window_3_12":
        inside = (t >= ic_s + 0.03 * contact_time) & (t <= ic_s + 0.12 * contact_time)
        valr, vilr = _slopes(t[inside], f[inside])
        reason = "" if np.isfinite(valr) else "fewer than 2 samples in 3–12 % of stance"
        return LoadingRate(np.nan, valr, vilr, WINDOW_3_12, reason)
    if no_impact_peak == "peak_at_13":
        at_13 = ic_s + 0.13 * contact_time
        level = float(np.interp(at_13, t, f))
        end = int(np.searchsorted(t, at_13, side="right")) - 1
        return _rising_edge_rates(t, f, end, level, WINDOW_PEAK_13, impact=np.nan)
    return LoadingRate(np.nan, np.nan, np.nan, np.nan, "no impact peak")


def _impact_peak(
    t: FloatArray, f: FloatArray, window_end_s: float, dip: float
) -> int | None:
    """Index of the first local maximum before ``window_end_s`` followed by a dip."""
    stop = min(int(np.searchsorted(t, window_end_s, side="right")), f.size - 1)
    if stop < 2:
        return None
    middle = f[1:stop]
    is_max = (middle > f[: stop - 1]) & (middle >= f[2 : stop + 1])
    for i in np.flatnonzero(is_max) + 1:
        later = i + 1 + int(np.argmax(f[i + 1 :]))
        valley = float(np.min(f[i + 1 : later + 1]))
        if f[i] > 0 and f[i] - valley >= dip * f[i]:
            return int(i)
    return None


def _rising_edge_rates(
    t: FloatArray,
    f: FloatArray,
    end: int,
    level_n: float,
    window: float,
    *,
    impact: float | None = None,
) -> LoadingRate:
    """Slopes over the samples rising from 20 % to 80 % of ``level_n`` before ``end``."""
    impact_peak = level_n if impact is None else impact
    rising = f[: end + 1]
    below = np.flatnonzero(rising < 0.2 * level_n)
    start = below[-1] + 1 if below.size else 0
    above = np.flatnonzero(rising[start:] > 0.8 * level_n)
    stop = start + (above[0] if above.size else rising.size - start)
    valr, vilr = _slopes(t[start:stop], f[start:stop])
    reason = (
        ""
        if np.isfinite(valr)
        else "fewer than 2 samples between 20 and 80 % of the impact peak"
    )
    return LoadingRate(impact_peak, valr, vilr, window, reason)


def _slopes(t: FloatArray, f: FloatArray) -> tuple[float, float]:
    """Least-squares slope and largest sample-to-sample slope, in N/s."""
    if t.size < 2:
        return np.nan, np.nan
    return least_squares_slope(t, f), float(np.max((f[1:] - f[:-1]) / (t[1:] - t[:-1])))


def least_squares_slope(x: FloatArray, y: FloatArray) -> float:
    """Least-squares slope of y against x, in units of y per unit of x.

    Parameters
    ----------
    x, y : ndarray, shape (n,)
        Abscissae (e.g. times in s) and values; n ≥ 2, x not all equal.

    Returns
    -------
    slope : float

    Examples
    --------
    >>> float(least_squares_slope(np.array([0.0, 1.0, 2.0]), np.array([1.0, 3.0, 5.0])))
    2.0
    """
    dx = x - x.sum() / x.size
    return float(dx @ y / (dx @ dx))
