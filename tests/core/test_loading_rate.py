"""Impact peak and loading rates (gaitlab.core.loading_rate, METHODS §5.4) on
hand-built force curves whose slopes are known by construction."""

from __future__ import annotations

import numpy as np
import pytest

from gaitlab.core.loading_rate import (
    WINDOW_3_12,
    WINDOW_IMPACT,
    least_squares_slope,
    loading_rate,
)


def ramp_with_impact(rate_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """0.25 s stance: a 50 kN/s ramp to a 1500 N impact peak at 30 ms, a dip to
    1200 N at 45 ms (20 %), then the active peak 2000 N at 125 ms, down to 0."""
    t = np.arange(-0.02, 0.28, 1.0 / rate_hz)
    f = np.interp(t, [0.0, 0.03, 0.045, 0.125, 0.25], [0, 1500, 1200, 2000, 0])
    return t, np.where((t >= 0) & (t <= 0.25), f, 0.0)


@pytest.mark.parametrize("rate_hz", [300.0, 1000.0, 2000.0])
def test_valr_is_the_ramp_slope_up_to_the_impact_peak(rate_hz: float) -> None:
    t, f = ramp_with_impact(rate_hz)
    rate = loading_rate(t, f, 0.0, 0.25)
    assert rate.window == WINDOW_IMPACT
    assert rate.valr_n_s == pytest.approx(50_000.0, rel=1e-9)
    assert rate.vilr_n_s == pytest.approx(50_000.0, rel=1e-9)
    # the sampled impact peak: the largest sample before the dip
    expected_peak = f[t <= 0.04].max()
    assert rate.impact_peak_n == pytest.approx(expected_peak, rel=1e-9)


def test_valr_window_is_20_to_80_percent_of_a_curved_rise() -> None:
    """A quadratic rise to a 1600 N impact peak at 40 ms: the slope depends on the
    window, so the 20-80 % samples are selected here and fitted with np.polyfit."""
    t = np.arange(-0.02, 0.28, 0.001)
    rise = 1600.0 * (np.clip(t, 0, None) / 0.04) ** 2
    f = np.where(
        t <= 0.04, rise, np.interp(t, [0.04, 0.06, 0.125, 0.25], [1600, 1300, 2100, 0])
    )
    f = np.where((t >= 0) & (t <= 0.25), f, 0.0)
    rate = loading_rate(t, f, 0.0, 0.25)
    window = (t <= 0.04) & (f >= 0.2 * 1600.0) & (f <= 0.8 * 1600.0)
    assert rate.impact_peak_n == pytest.approx(1600.0, rel=1e-9)
    assert rate.valr_n_s == pytest.approx(np.polyfit(t[window], f[window], 1)[0])
    assert rate.vilr_n_s == pytest.approx(np.max(np.diff(f[window])) / 0.001)


def test_loading_rate_without_impact_peak_uses_the_fixed_windows() -> None:
    """A forefoot-like curve: linear at 40 kN/s up to 40 % of stance, no dip.

    3-12 % window, and the "impact peak at 13 %" variant, both lie on the ramp,
    so VALR = VILR = 40 kN/s exactly; with "none" there is no loading rate.
    """
    t = np.arange(-0.02, 0.28, 0.001)
    f = np.interp(t, [0.0, 0.1, 0.25], [0.0, 4000.0, 0.0], left=0.0, right=0.0)
    for option, code in (("window_3_12", 2.0), ("peak_at_13", 3.0)):
        rate = loading_rate(t, f, 0.0, 0.25, no_impact_peak=option)
        assert np.isnan(rate.impact_peak_n)
        assert rate.window == code
        assert rate.valr_n_s == pytest.approx(40_000.0, rel=1e-9)
        assert rate.vilr_n_s == pytest.approx(40_000.0, rel=1e-9)
    none = loading_rate(t, f, 0.0, 0.25, no_impact_peak="none")
    assert np.isnan(none.valr_n_s)
    assert np.isnan(none.window)


def test_small_or_low_bumps_are_not_impact_peaks() -> None:
    """A 3 % dip is below the 5 % rule; a 1500 N peak is below a 2000 N minimum."""
    t = np.arange(-0.02, 0.28, 0.001)
    f = np.interp(t, [0.0, 0.03, 0.04, 0.125, 0.25], [0, 1500, 1455, 2000, 0])
    f = np.where((t >= 0) & (t <= 0.25), f, 0.0)
    assert loading_rate(t, f, 0.0, 0.25).window == WINDOW_3_12
    _, deep = ramp_with_impact(1000.0)
    high = loading_rate(t, deep, 0.0, 0.25, impact_min_n=2000.0)
    assert high.window == WINDOW_3_12


def test_least_squares_slope_matches_polyfit() -> None:
    rng = np.random.default_rng(3)
    x = np.sort(rng.uniform(0.0, 1.0, 50))
    y = 3.0 * x + rng.normal(0.0, 0.1, 50)
    assert least_squares_slope(x, y) == pytest.approx(np.polyfit(x, y, 1)[0], rel=1e-12)
