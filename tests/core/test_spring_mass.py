"""Spring-mass stiffness formulas (gaitlab.core.spring_mass) against the SLIP
reference and the METHODS §8.2 table: expected values from the SLIP model
(``gaitlab.synth.slip``) or METHODS, never from the module's output."""

from __future__ import annotations

import pytest

from gaitlab.core.spring_mass import mcmahon_stiffness, morin_stiffness
from gaitlab.synth.slip import solve_periodic_gait

SLIP = solve_periodic_gait()
SLIP_WEIGHT_N = 70.0 * 9.81


def test_mcmahon_formula_reproduces_the_slip_stiffness() -> None:
    """METHODS §5.6 check: 11 000 N/m exactly with the stance-mean COM speed,
    10 823 N/m with the stride-average speed; k_vert = F_max/Δy = 26 880 N/m."""
    t_c = SLIP.contact_time_s
    stance_speed = SLIP.contact_length_m / t_c
    exact = mcmahon_stiffness(
        SLIP.peak_vertical_grf_n, SLIP.com_drop_m, 1.0, stance_speed, t_c
    )
    assert float(exact.leg_stiffness_n_m) == pytest.approx(11_000.0, rel=1e-6)
    assert float(exact.leg_compression_m) == pytest.approx(
        SLIP.max_leg_compression_m, rel=1e-6
    )
    assert float(exact.vertical_stiffness_n_m) == pytest.approx(26_880.0, rel=1e-4)
    stride = mcmahon_stiffness(SLIP.peak_vertical_grf_n, SLIP.com_drop_m, 1.0, 3.5, t_c)
    assert float(stride.leg_stiffness_n_m) == pytest.approx(10_823.0, rel=1e-4)


def test_morin_formula_gives_the_methods_estimates() -> None:
    """METHODS §8.2 table: F_max 2.304 BW, Δy 0.0591 m, 26 785 / 10 687 N/m."""
    estimate = morin_stiffness(70.0, 3.5, 1.0, 0.110, SLIP.contact_time_s)
    assert float(estimate.f_max_n) / SLIP_WEIGHT_N == pytest.approx(2.304, abs=5e-4)
    assert float(estimate.com_drop_m) == pytest.approx(0.0591, abs=5e-5)
    assert float(estimate.vertical_stiffness_n_m) == pytest.approx(26_785, rel=1e-4)
    assert float(estimate.leg_stiffness_n_m) == pytest.approx(10_687, rel=1e-4)
