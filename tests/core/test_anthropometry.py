"""de Leva (1996) Table 4 access, checked against the numbers in METHODS §3.2."""

from __future__ import annotations

import pytest

from gaitlab.core.anthropometry import (
    foot_length_m,
    hat_parameters,
    segment_parameters,
)

# (segment, variant, sex): (origin, other, mass %, CM %, mean length mm), typed from
# the METHODS §3.2 tables.
METHODS_ROWS = {
    ("thigh", "primary", "M"): ("HJC", "KJC", 14.16, 40.95, 422.2),
    ("thigh", "primary", "F"): ("HJC", "KJC", 14.78, 36.12, 368.5),
    ("shank", "alt_ajc", "F"): ("KJC", "AJC", 4.81, 43.52, 438.6),
    ("shank", "alt_ajc", "M"): ("KJC", "AJC", 4.33, 43.95, 440.3),
    ("shank", "primary", "M"): ("KJC", "LMAL", 4.33, 44.59, 434.0),
    ("foot", "primary", "M"): ("HEEL", "TTIP", 1.37, 44.15, 258.1),
    ("head", "primary", "F"): ("VERT", "MIDG", 6.68, 58.94, 200.2),
    ("trunk", "alt_cerv", "M"): ("CERV", "MIDH", 43.46, 51.38, 603.3),
    ("trunk", "alt_mids", "F"): ("MIDS", "MIDH", 42.57, 37.82, 497.9),
    ("hand", "primary", "M"): ("WJC", "MET3", 0.61, 79.00, 86.2),
    ("upper_arm", "primary", "F"): ("SJC", "EJC", 2.55, 57.54, 275.1),
}


@pytest.mark.parametrize(("key", "expected"), list(METHODS_ROWS.items()))
def test_rows_match_methods_text(key, expected):
    segment, variant, sex = key
    origin, other, mass_pct, cm_pct, length_mm = expected
    p = segment_parameters(segment, sex, variant)
    assert (p.segment, p.variant, p.sex, p.origin, p.other) == (
        segment,
        variant,
        sex,
        origin,
        other,
    )
    assert p.mass_fraction == pytest.approx(mass_pct / 100, abs=1e-12)
    assert p.com_fraction == pytest.approx(cm_pct / 100, abs=1e-12)
    assert p.mean_length_m == pytest.approx(length_mm / 1000, abs=1e-12)


def _body_mass_sum(sex):
    limbs = ("upper_arm", "forearm", "hand", "thigh", "shank", "foot")
    return segment_parameters("head", sex).mass_fraction + (
        segment_parameters("trunk", sex).mass_fraction
        + 2 * sum(segment_parameters(s, sex).mass_fraction for s in limbs)
    )


def test_mass_fractions_sum_to_methods_totals():
    assert _body_mass_sum("M") == pytest.approx(1.0000, abs=1e-9)
    assert _body_mass_sum("F") == pytest.approx(0.9999, abs=1e-9)


@pytest.mark.parametrize(("sex", "trunk_pct"), [("M", 43.46), ("F", 42.57)])
def test_trunk_equals_its_three_parts(sex, trunk_pct):
    parts = sum(
        segment_parameters(s, sex).mass_fraction
        for s in ("upper_trunk", "middle_trunk", "lower_trunk")
    )
    assert parts == pytest.approx(trunk_pct / 100, abs=1e-12)
    assert segment_parameters("trunk", sex).mass_fraction == pytest.approx(
        trunk_pct / 100, abs=1e-12
    )


def test_alternative_rows_keep_the_primary_mass():
    assert segment_parameters("shank", "F", "alt_ajc").mass_fraction == pytest.approx(
        0.0481, abs=1e-12
    )


@pytest.mark.parametrize(
    ("sex", "hat_pct"), [("M", 60.28), ("F", 58.23), (None, (60.28 + 58.23) / 2)]
)
def test_hat_mass_fraction(sex, hat_pct):
    mass, fraction = hat_parameters(sex)
    assert mass == pytest.approx(hat_pct / 100, abs=5e-7)
    assert fraction == 0.56


def test_hat_fraction_on_the_mids_line_is_rescaled_by_trunk_lengths():
    # f_MIDS = f·L(CERV→MIDH)/L(MIDS→MIDH), METHODS §3.2 lengths in mm.
    assert hat_parameters("M", com_fraction=0.548, line="mids")[1] == pytest.approx(
        0.548 * 603.3 / 515.5, abs=1e-12
    )
    assert hat_parameters("F", line="mids")[1] == pytest.approx(
        0.56 * 614.8 / 497.9, abs=1e-12
    )
    mean_ratio = ((603.3 + 614.8) / 2) / ((515.5 + 497.9) / 2)
    assert hat_parameters(None, line="mids")[1] == pytest.approx(
        0.56 * mean_ratio, abs=1e-12
    )


def test_unknown_sex_gives_the_mean_of_both():
    p = segment_parameters("thigh", None)
    assert p.sex == "mean"
    assert p.mass_fraction == pytest.approx((14.16 + 14.78) / 200, abs=1e-12)
    assert p.com_fraction == pytest.approx((40.95 + 36.12) / 200, abs=1e-12)
    assert p.mean_length_m == pytest.approx((422.2 + 368.5) / 2000, abs=1e-12)
    assert (p.origin, p.other) == ("HJC", "KJC")


def test_foot_length_scales_stature_with_de_leva_ratios():
    assert foot_length_m(1.741, "M") == pytest.approx(0.2581, abs=1e-12)
    assert foot_length_m(1.735, "F") == pytest.approx(0.2283, abs=1e-12)
    assert foot_length_m(1.80, "M") == pytest.approx(1.80 * 258.1 / 1741, abs=1e-12)
    mean_ratio = (258.1 / 1741 + 228.3 / 1735) / 2
    assert foot_length_m(1.70, None) == pytest.approx(1.70 * mean_ratio, abs=1e-12)
    assert foot_length_m(None, "M") is None


@pytest.mark.parametrize(
    ("call", "listed"),
    [
        (lambda: segment_parameters("femur", "M"), "thigh"),
        (lambda: segment_parameters("shank", "M", "alt_lmal"), "alt_ajc"),
        (lambda: segment_parameters("thigh", "male"), "'M'"),
        (lambda: hat_parameters("M", line="c7"), "cerv"),
        (lambda: foot_length_m(1.8, "X"), "'F'"),
    ],
)
def test_bad_names_raise_and_list_valid_values(call, listed):
    with pytest.raises(ValueError, match=listed):
        call()
