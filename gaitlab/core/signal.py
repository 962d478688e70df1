"""Signal processing conventions of METHODS §7: zero-lag low-pass, gaps, sampling.

* :func:`lowpass`: Butterworth filter run forward and backward (filtfilt),
  ``cutoff_mode="design"`` (the cut-off as designed, the usual literature
  practice) or ``"effective"`` (designed at ``f_c / C`` so the −3 dB point of
  the two-pass cascade is ``f_c``, with ``C = (2^(1/n) − 1)^(1/(2N))``,
  0.802 for N = 2, n = 2). Gaps up to ``max_gap_s`` are filled by a cubic
  spline before filtering and longer gaps stay NaN: each finite stretch is
  filtered on its own, padded by odd reflection.
* :func:`sample_at`: linear interpolation of a uniformly sampled signal at
  given times (NaN outside the record or in gaps).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from gaitlab.core.kinetics import runs
from gaitlab.core.types import FloatArray

__all__ = ["cutoff_correction", "derivative", "fill_gaps", "lowpass", "sample_at"]


def cutoff_correction(order: int, passes: int = 2) -> float:
    """Ratio of the −3 dB frequency of an n-pass Butterworth cascade to its design cut-off.

    Examples
    --------
    >>> round(cutoff_correction(2, 2), 3)
    0.802
    """
    return float((2.0 ** (1.0 / passes) - 1.0) ** (1.0 / (2.0 * order)))


def fill_gaps(values: npt.ArrayLike, max_gap: int) -> FloatArray:
    """Fill NaN gaps of at most ``max_gap`` samples by a cubic spline (per column).

    Gaps at the start or end of the record, and longer gaps, stay NaN.

    Parameters
    ----------
    values : array_like, shape (n_samples,) or (n_samples, n_columns)
        Signal with NaN gaps.
    max_gap : int
        Longest gap filled, in samples.

    Returns
    -------
    filled : ndarray, same shape
    """
    from scipy.interpolate import CubicSpline

    array = np.array(values, dtype=float)
    flat = array.reshape(len(array), -1)
    index = np.arange(len(array))
    for column in flat.T:
        missing = ~np.isfinite(column)
        if not missing.any() or missing.all():
            continue
        finite = np.flatnonzero(~missing)
        gaps = [
            (a, b)
            for a, b in runs(missing)
            if b - a <= max_gap and a > finite[0] and b <= finite[-1]
        ]
        if not gaps or finite.size < 4:
            continue
        spline = CubicSpline(index[finite], column[finite])
        for a, b in gaps:
            column[a:b] = spline(index[a:b])
    return flat.reshape(array.shape)


def lowpass(
    values: npt.ArrayLike,
    rate_hz: float,
    cutoff_hz: float,
    *,
    order: int = 2,
    cutoff_mode: str = "design",
    max_gap_s: float = 0.1,
) -> FloatArray:
    """Zero-lag Butterworth low-pass (filtfilt), NaN-aware (METHODS §7).

    Parameters
    ----------
    values : array_like, shape (n_samples, ...)
        Time-first signal.
    rate_hz : float
        Sampling rate in Hz.
    cutoff_hz : float
        Cut-off frequency in Hz (see ``cutoff_mode``).
    order : int
        Order of the Butterworth filter run in each direction.
    cutoff_mode : {"design", "effective"}
        ``"design"``: ``cutoff_hz`` is the design cut-off of each pass.
        ``"effective"``: the two-pass cascade has its −3 dB point at ``cutoff_hz``.
    max_gap_s : float
        Gaps up to this long (s) are spline-filled before filtering; longer
        gaps stay NaN.

    Returns
    -------
    filtered : ndarray, same shape as ``values``
    """
    from scipy.signal import butter, sosfiltfilt

    if cutoff_mode not in ("design", "effective"):
        raise ValueError(
            f"cutoff_mode must be 'design' or 'effective', got {cutoff_mode!r}"
        )
    design = cutoff_hz / (cutoff_correction(order) if cutoff_mode == "effective" else 1)
    nyquist = 0.5 * rate_hz
    array = np.asarray(values, dtype=float)
    if design >= nyquist:
        return array.copy()
    sos = butter(order, design / nyquist, output="sos")
    filled = fill_gaps(array, round(max_gap_s * rate_hz))
    flat = filled.reshape(len(filled), -1)
    out = np.full_like(flat, np.nan)
    finite_rows = np.all(np.isfinite(flat), axis=1)
    pad = 3 * (2 * len(sos) + 1)
    if finite_rows.all() and len(flat) > pad:
        out = sosfiltfilt(sos, flat, axis=0)
    else:
        for column in range(flat.shape[1]):
            for a, b in runs(np.isfinite(flat[:, column])):
                if b - a > pad:
                    out[a:b, column] = sosfiltfilt(sos, flat[a:b, column])
                else:
                    out[a:b, column] = flat[a:b, column]
    return out.reshape(array.shape)


def derivative(values: npt.ArrayLike, rate_hz: float, order: int = 1) -> FloatArray:
    """Time derivative by central differences (``np.gradient``), repeated ``order`` times.

    Examples
    --------
    >>> derivative([0.0, 1.0, 4.0, 9.0], 1.0)
    array([1., 2., 4., 5.])
    """
    result = np.asarray(values, dtype=float)
    for _ in range(order):
        result = np.gradient(result, 1.0 / rate_hz, axis=0)
    return result


def sample_at(
    values: npt.ArrayLike, rate_hz: float, t0_s: float, times: npt.ArrayLike
) -> FloatArray:
    """Values of a uniformly sampled signal at ``times`` (linear interpolation).

    Parameters
    ----------
    values : array_like, shape (n_samples,) or (n_samples, n_columns)
        Signal sampled at ``rate_hz`` from ``t0_s``.
    rate_hz, t0_s : float
        Sampling rate in Hz and time of the first sample in s.
    times : array_like, shape (n_times,)
        Times in s.

    Returns
    -------
    sampled : ndarray, shape (n_times,) or (n_times, n_columns)
        NaN outside the record and where a neighbouring sample is NaN.

    Examples
    --------
    >>> sample_at([0.0, 10.0, 20.0], 10.0, 0.0, [0.05, 0.3])
    array([ 5., nan])
    """
    array = np.asarray(values, dtype=float)
    position = (np.asarray(times, dtype=float) - t0_s) * rate_hz
    inside = (position >= 0) & (position <= len(array) - 1)
    clipped = np.clip(position, 0, max(len(array) - 1, 0))
    lower = np.floor(clipped).astype(int)
    upper = np.minimum(lower + 1, len(array) - 1)
    weight = clipped - lower
    if array.ndim > 1:
        weight = weight.reshape((-1,) + (1,) * (array.ndim - 1))
        inside = inside.reshape((-1,) + (1,) * (array.ndim - 1))
    result = array[lower] * (1.0 - weight) + array[upper] * weight
    return np.where(inside, result, np.nan)
