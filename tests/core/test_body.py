"""Joint centres and COM models (gaitlab conventions 1-12, METHODS §3 and §8.3).

Expected values are analytic or typed by hand from METHODS, never produced by the
module under test.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

import gaitlab
from gaitlab.core.body import (
    BodyPoints,
    best_com,
    body_points,
    full_body_com,
    hip_joint_centres,
    pelvis_com,
    pelvis_offset_from_static,
    running_com,
)
from gaitlab.core.geometry import sagittal_angle_deg, sagittal_components

# ---- lab frames ------------------------------------------------------------------


class Lab:
    """A right-handed lab: progression, left and up unit vectors."""

    def __init__(self, up, progression):
        self.up = np.asarray(up, float)
        self.prog = np.asarray(progression, float)
        self.left = np.cross(self.up, self.prog)

    def point(self, forward, left, up, n=1):
        """Lab coordinates (n, 3) of a point given in body coordinates (m)."""
        p = forward * self.prog + left * self.left + up * self.up
        return np.tile(p, (n, 1))

    def pelvis_axes(self):
        """Pelvis x (anterior), y (superior), z (right) as columns, standing."""
        return np.column_stack([self.prog, self.up, -self.left])


Z_UP = Lab([0, 0, 1], [1, 0, 0])
Y_UP_MINUS_X = Lab([0, 1, 0], [-1, 0, 0])
ROTATED_37 = Lab([0, 0, 1], [np.cos(np.radians(37)), np.sin(np.radians(37)), 0])
LABS = {"z_up": Z_UP, "y_up_minus_x": Y_UP_MINUS_X, "rotated_37": ROTATED_37}


def rotation_about(axis, angle_deg):
    """Rodrigues rotation matrix (3, 3)."""
    k = np.asarray(axis, float) / np.linalg.norm(axis)
    a = np.radians(angle_deg)
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(a) * kx + (1 - np.cos(a)) * kx @ kx


# ---- METHODS §8.3 lean geometry (male de Leva, lumped HAT) -----------------------

SHANK, THIGH, TRUNK = 0.4403, 0.4222, 0.6033  # m: KJC-AJC, HJC-KJC, MIDH-CERV
MIDS_ON_TRUNK = 0.855


def lean_geometry(lab, leg_deg, trunk_deg):
    """Both legs coincident, stance AJC at the origin, feet flat (METHODS §8.3)."""

    def along(deg):
        return np.sin(np.radians(deg)), np.cos(np.radians(deg))

    lf, lu = along(leg_deg)
    tf, tu = along(trunk_deg)
    ajc = (0.0, 0.0)
    kjc = (SHANK * lf, SHANK * lu)
    hjc = (kjc[0] + THIGH * lf, kjc[1] + THIGH * lu)
    cerv = (hjc[0] + TRUNK * tf, hjc[1] + TRUNK * tu)
    mids = (hjc[0] + MIDS_ON_TRUNK * TRUNK * tf, hjc[1] + MIDS_ON_TRUNK * TRUNK * tu)
    heel, ttip = (-0.050, -0.080), (0.2081, -0.080)
    named = {"ajc": ajc, "kjc": kjc, "hjc": hjc, "heel": heel, "ttip": ttip}
    legs = {}
    for name, (f, u) in named.items():
        for side in ("l", "r"):
            legs[f"{side}_{name}"] = lab.point(f, 0.0, u)
    return BodyPoints(
        **legs,
        midh=lab.point(hjc[0], 0.0, hjc[1]),
        cerv=lab.point(cerv[0], 0.0, cerv[1]),
        mids=lab.point(mids[0], 0.0, mids[1]),
    )


def com_without_feet(points):
    """Hand formula: 2·thigh + 2·shank + HAT (male, METHODS §3.2/§8.3)."""
    thigh = points.l_hjc + 0.4095 * (points.l_kjc - points.l_hjc)
    shank = points.l_kjc + 0.4395 * (points.l_ajc - points.l_kjc)
    hat = points.midh + 0.548 * (points.cerv - points.midh)
    return (2 * 14.16 * thigh + 2 * 4.33 * shank + 60.28 * hat) / (
        2 * 14.16 + 2 * 4.33 + 60.28
    )


def angle(lab, lower, upper):
    return float(sagittal_angle_deg(lower, upper, lab.up, lab.prog)[0])


@pytest.mark.parametrize("lab", LABS.values(), ids=LABS.keys())
def test_methods_lean_test_1_straight_body_inclined_10_deg(lab):
    points = lean_geometry(lab, 10.0, 10.0)
    estimate = running_com(points, "M", hat_com_fraction=0.548)
    forward, upward = sagittal_components(estimate.com[0], lab.up, lab.prog)
    assert forward == pytest.approx(0.1643, abs=5e-5)
    assert upward == pytest.approx(0.9195, abs=5e-5)
    assert angle(lab, points.l_ajc, estimate.com) == pytest.approx(10.13, abs=0.005)
    assert angle(lab, points.midh, points.cerv) == pytest.approx(10.00, abs=0.005)
    assert angle(lab, points.l_ajc, points.l_hjc) == pytest.approx(10.00, abs=0.005)
    assert angle(lab, points.l_ajc, points.mids) == pytest.approx(10.00, abs=0.005)
    no_feet = com_without_feet(points)
    assert angle(lab, points.l_ajc, no_feet) == pytest.approx(10.00, abs=0.005)
    # the lateral component stays zero: the model is sagittal
    assert np.cross(lab.up, lab.prog) @ estimate.com[0] == pytest.approx(0, abs=1e-12)


@pytest.mark.parametrize("lab", LABS.values(), ids=LABS.keys())
def test_methods_lean_test_2_trunk_pitched_15_deg_at_the_hip(lab):
    points = lean_geometry(lab, 0.0, 15.0)
    estimate = running_com(points, "M", hat_com_fraction=0.548)
    forward, upward = sagittal_components(estimate.com[0], lab.up, lab.prog)
    assert forward == pytest.approx(0.0533, abs=5e-5)
    assert upward == pytest.approx(0.9269, abs=5e-5)
    assert angle(lab, points.l_ajc, estimate.com) == pytest.approx(3.29, abs=0.005)
    assert angle(lab, points.midh, points.cerv) == pytest.approx(15.00, abs=0.005)
    assert angle(lab, points.l_ajc, points.l_hjc) == pytest.approx(0.00, abs=0.005)
    assert angle(lab, points.l_ajc, points.mids) == pytest.approx(5.60, abs=0.005)
    no_feet = com_without_feet(points)
    assert angle(lab, points.l_ajc, no_feet) == pytest.approx(3.18, abs=0.005)


def test_running_model_uses_mids_with_rescaled_fraction_when_c7_missing():
    points = lean_geometry(Z_UP, 10.0, 10.0)
    with_c7 = running_com(points, "M", hat_com_fraction=0.548)
    no_c7 = BodyPoints(**{**points.__dict__, "cerv": None})
    estimate = running_com(no_c7, "M", hat_com_fraction=0.548)
    # HAT at 0.548·603.3/515.5 of MIDH->MIDS and MIDS at 85.5 % of MIDH->CERV,
    # i.e. at 0.548·(603.3·0.855/515.5) = 0.548·1.00063 of MIDH->CERV
    hat_fraction_of_cerv = 0.548 * 603.3 / 515.5 * MIDS_ON_TRUNK
    shift = (hat_fraction_of_cerv - 0.548) * TRUNK * 60.28 / 100
    np.testing.assert_allclose(
        estimate.com - with_c7.com,
        shift * Z_UP.point(np.sin(np.radians(10)), 0, np.cos(np.radians(10))),
        atol=1e-12,
    )
    assert "MIDH→MIDS" in " ".join(estimate.notes)


# ---- Harrington HJC (rules 1-2) --------------------------------------------------

PW, PD, LL = 0.240, 0.160, 0.920  # m
# Harrington 2007 by hand, mm, pelvis frame (x anterior, y up, z right): x =
# -0.24·160 - 9.9; y = -0.16·240 - 0.04·920 - 7.1; z = 0.28·160 + 0.16·240 + 7.9
HJC_WITH_LL_MM = (-48.3, -82.3, 91.1)
# PW-only: x = -0.138·240 - 10.4; y = -0.305·240 - 10.9; z = 0.33·240 + 7.3
HJC_PW_ONLY_MM = (-43.52, -84.1, 86.5)

PELVIS_LOCAL = {  # x anterior, y superior, z right; m
    "l_asis": (0.0, 0.0, -PW / 2),
    "r_asis": (0.0, 0.0, PW / 2),
    "l_psis": (-PD, 0.0, -0.045),
    "r_psis": (-PD, 0.0, 0.045),
}


def place(local, rotations, origin):
    """Lab points (n, 3) of a pelvis-frame point for per-frame rotations (n, 3, 3)."""
    return origin + rotations @ np.asarray(local, float)


def moving_pelvis(base_axes, n=6):
    """Per-frame rotations (tilting and turning) and translations of the pelvis."""
    rotations = np.stack(
        [rotation_about((1, 2, 3), 11 * i) @ base_axes for i in range(n)]
    )
    origins = np.array([[0.3 * i, -0.4 + 0.02 * i, 0.95 + 0.01 * i] for i in range(n)])
    return rotations, origins


@pytest.mark.parametrize(
    ("leg_length", "expected_mm"), [(LL, HJC_WITH_LL_MM), (None, HJC_PW_ONLY_MM)]
)
@pytest.mark.parametrize("lab", [Z_UP, Y_UP_MINUS_X], ids=["z_up", "y_up"])
def test_harrington_hjc_in_a_moving_rotated_pelvis(lab, leg_length, expected_mm):
    rotations, origins = moving_pelvis(lab.pelvis_axes())
    markers = {k: place(v, rotations, origins) for k, v in PELVIS_LOCAL.items()}
    l_hjc, r_hjc = hip_joint_centres(**markers, leg_length_m=leg_length)
    right_local = np.array(expected_mm) / 1000
    left_local = right_local * (1, 1, -1)
    np.testing.assert_allclose(
        r_hjc, place(right_local, rotations, origins), atol=1e-12
    )
    np.testing.assert_allclose(l_hjc, place(left_local, rotations, origins), atol=1e-12)
    # back in the pelvis frame the answer does not depend on the lab
    back = np.einsum("nji,nj->ni", rotations, r_hjc - origins)
    np.testing.assert_allclose(back, np.tile(right_local, (6, 1)), atol=1e-12)


def getter(landmarks):
    return lambda name: landmarks.get(name)


def standing_pelvis(lab, n=1):
    axes = lab.pelvis_axes()
    rotations = np.tile(axes, (n, 1, 1))
    origins = lab.point(0.0, 0.0, 1.0, n)
    return {k: place(v, rotations, origins) for k, v in PELVIS_LOCAL.items()}


def test_body_points_selects_the_harrington_variant_and_says_so():
    pelvis = standing_pelvis(Z_UP)
    pw_only = body_points(getter(pelvis), leg_length_m=None, height_m=None, sex="M")
    with_ll = body_points(getter(pelvis), leg_length_m=LL, height_m=None, sex="M")
    # Z-up, +X: pelvis x = +X, y = +Z, z (right) = -Y; mid-ASIS at (0, 0, 1)
    x, y, z = np.array(HJC_PW_ONLY_MM) / 1000
    np.testing.assert_allclose(pw_only.r_hjc[0], (x, -z, 1 + y), atol=1e-12)
    np.testing.assert_allclose(pw_only.l_hjc[0], (x, z, 1 + y), atol=1e-12)
    x, y, z = np.array(HJC_WITH_LL_MM) / 1000
    np.testing.assert_allclose(with_ll.midh[0], (x, 0, 1 + y), atol=1e-12)
    assert any("PW-only (no leg length)" in n for n in pw_only.notes)
    assert any("leg length 0.920 m" in n for n in with_ll.notes)


def test_sacrum_replaces_missing_psis_and_file_hjc_wins():
    pelvis = standing_pelvis(Z_UP)
    sacrum = (pelvis["l_psis"] + pelvis["r_psis"]) / 2
    landmarks = {
        "l_asis": pelvis["l_asis"],
        "r_asis": pelvis["r_asis"],
        "sacrum": sacrum,
    }
    points = body_points(getter(landmarks), leg_length_m=None, height_m=None, sex="F")
    x, y, z = np.array(HJC_PW_ONLY_MM) / 1000
    np.testing.assert_allclose(points.r_hjc[0], (x, -z, 1 + y), atol=1e-12)
    np.testing.assert_allclose(points.pelvis_centroid[0], (-PD / 2, 0, 1), atol=1e-12)
    assert any("sacrum" in n for n in points.notes)
    file_hjc = Z_UP.point(-0.05, 0.09, 0.9)
    landmarks["l_hip_jc"] = file_hjc
    points = body_points(getter(landmarks), leg_length_m=None, height_m=None, sex="F")
    np.testing.assert_array_equal(points.l_hjc, file_hjc)
    np.testing.assert_allclose(points.r_hjc[0], (x, -z, 1 + y), atol=1e-12)


# ---- knee, ankle, shoulder, foot (rules 3-5, 9) ----------------------------------


def test_kjc_ajc_midpoint_and_medial_shift_along_the_pelvis_lateral_axis():
    # Z-up, progression +X: the right side is -Y, so "medial" is +Y on the right
    landmarks = standing_pelvis(Z_UP)
    landmarks |= {
        "r_knee": Z_UP.point(0.05, -0.15, 0.50),
        "l_knee": Z_UP.point(0.04, 0.15, 0.50),
        "l_knee_medial": Z_UP.point(0.06, 0.05, 0.52),
        "r_ankle": Z_UP.point(0.00, -0.13, 0.08),
        "l_ankle": Z_UP.point(0.01, 0.12, 0.09),
    }
    points = body_points(
        getter(landmarks),
        leg_length_m=None,
        height_m=None,
        sex=None,
        extra={"ankle_width_m": 0.08},
    )
    np.testing.assert_allclose(points.r_kjc[0], (0.05, -0.10, 0.50), atol=1e-12)
    np.testing.assert_allclose(points.l_kjc[0], (0.05, 0.10, 0.51), atol=1e-12)
    np.testing.assert_allclose(points.r_ajc[0], (0.00, -0.09, 0.08), atol=1e-12)
    np.testing.assert_allclose(points.l_ajc[0], (0.01, 0.08, 0.09), atol=1e-12)
    notes = " | ".join(points.notes)
    assert "right: KJC: lateral knee marker moved medially by 0.050 m" in notes
    assert "default" in notes
    assert "0.040 m" in notes
    assert "left: KJC = midpoint" in notes


def test_medial_shift_in_a_y_up_lab_progressing_minus_x():
    # Y-up, progression -X: left = up x prog = +Z, so the right knee is at -Z
    landmarks = standing_pelvis(Y_UP_MINUS_X)
    landmarks["r_knee"] = Y_UP_MINUS_X.point(0.05, -0.15, 0.50)
    points = body_points(getter(landmarks), leg_length_m=None, height_m=None, sex="M")
    np.testing.assert_allclose(points.r_kjc[0], (-0.05, 0.50, -0.10), atol=1e-12)


def test_shoulder_joint_centres_follow_rab():
    landmarks = {
        "l_hip_jc": Z_UP.point(0.0, 0.08, 0.90),
        "r_hip_jc": Z_UP.point(0.0, -0.08, 0.90),
        "l_shoulder": Z_UP.point(0.00, 0.18, 1.45),
        "r_shoulder": Z_UP.point(0.02, -0.17, 1.47),
    }
    points = body_points(getter(landmarks), leg_length_m=None, height_m=None, sex="M")
    midh = np.array([0.0, 0.0, 0.90])
    mid_acromion = np.array([0.01, 0.005, 1.46])
    biacromial = np.sqrt(0.02**2 + 0.35**2 + 0.02**2)
    mids = points.mids[0]
    # on the line MIDH -> mid-acromion, 0.17 x bi-acromial below the acromion
    assert np.linalg.norm(np.cross(mids - midh, mid_acromion - midh)) < 1e-12
    assert np.linalg.norm(mid_acromion - mids) == pytest.approx(0.17 * biacromial)
    assert (mids - midh) @ (mid_acromion - midh) > 0
    np.testing.assert_allclose(
        points.l_sjc[0] - (0.0, 0.18, 1.45), mids - mid_acromion, atol=1e-12
    )


def test_toe_tip_on_the_heel_toe_line_at_the_foot_length():
    heel = Z_UP.point(0.0, 0.10, 0.05)
    toe = Z_UP.point(0.18, 0.12, 0.03)
    direction = np.array([0.18, 0.02, -0.02]) / np.sqrt(0.18**2 + 0.02**2 + 0.02**2)
    landmarks = {"l_heel": heel, "l_toe": toe}

    def ttip(**kwargs):
        return body_points(getter(landmarks), leg_length_m=None, **kwargs).l_ttip[0]

    np.testing.assert_allclose(
        ttip(height_m=1.80, sex="M"), heel[0] + 1.80 * 258.1 / 1741 * direction
    )
    np.testing.assert_allclose(
        ttip(height_m=1.80, sex="M", extra={"foot_length_m": 0.27}),
        heel[0] + 0.27 * direction,
    )
    np.testing.assert_array_equal(ttip(height_m=None, sex="M"), toe[0])
    landmarks = {
        "l_heel": heel,
        "l_mt1": Z_UP.point(0.17, 0.07, 0.03),
        "l_mt5": Z_UP.point(0.19, 0.17, 0.03),
    }
    np.testing.assert_allclose(ttip(height_m=None, sex="F"), toe[0], atol=1e-12)


# ---- full-body model (rule 10) and fall-backs ------------------------------------

STANDING = {  # Z-up lab, progression +X, metres; symmetric about y = 0
    "head_com": (0.00, 0.0, 1.65),
    "cerv": (-0.05, 0.0, 1.50),
    "mids": (0.00, 0.0, 1.45),
    "midh": (0.00, 0.0, 0.92),
    "sjc": (0.00, 0.18, 1.45),
    "ejc": (-0.02, 0.20, 1.15),
    "wjc": (0.03, 0.21, 0.90),
    "met3": (0.04, 0.21, 0.82),
    "hjc": (0.00, 0.08, 0.92),
    "kjc": (0.01, 0.09, 0.50),
    "ajc": (0.00, 0.09, 0.08),
    "heel": (-0.05, 0.09, 0.02),
    "ttip": (0.20, 0.09, 0.02),
}


def standing_points():
    fields = {}
    for name, (x, y, z) in STANDING.items():
        if y == 0.0:
            fields[name] = np.array([[x, y, z]])
        else:
            fields[f"l_{name}"] = np.array([[x, y, z]])
            fields[f"r_{name}"] = np.array([[x, -y, z]])
    return BodyPoints(**fields)


def test_full_body_com_is_the_de_leva_weighted_mean():
    p = {k: np.array(v) for k, v in STANDING.items()}

    def seg(a, b, c):
        return p[a] + c * (p[b] - p[a])

    # male de Leva, METHODS §3.2 (mass %, CM % from origin), one side; y ignored
    one_side = (
        2.71 * seg("sjc", "ejc", 0.5772)
        + 1.62 * seg("ejc", "wjc", 0.4574)
        + 0.61 * seg("wjc", "met3", 0.7900)
        + 14.16 * seg("hjc", "kjc", 0.4095)
        + 4.33 * seg("kjc", "ajc", 0.4395)
        + 1.37 * seg("heel", "ttip", 0.4415)
    )
    axial = 6.94 * p["head_com"] + 43.46 * seg("mids", "midh", 0.4310)
    expected = (axial + 2 * one_side) / 100.00
    expected[1] = 0.0
    estimate = full_body_com(standing_points(), "M")
    assert estimate.model == "full_body"
    assert len(estimate.segments) == 14
    np.testing.assert_allclose(estimate.com[0], expected, atol=1e-12)
    assert best_com(standing_points(), "M").model == "full_body"


def test_full_body_trunk_falls_back_to_cerv_row_without_mids():
    points = BodyPoints(**{**standing_points().__dict__, "mids": None})
    with_mids = full_body_com(standing_points(), "F").com
    without = full_body_com(points, "F").com
    # trunk 42.57 % moves from MIDS + 0.3782·(MIDH - MIDS)
    # to CERV + 0.4964·(MIDH - CERV)
    mids, cerv, midh = (np.array(STANDING[k]) for k in ("mids", "cerv", "midh"))
    trunk_shift = (cerv + 0.4964 * (midh - cerv)) - (mids + 0.3782 * (midh - mids))
    np.testing.assert_allclose(
        without[0] - with_mids[0], 42.57 * trunk_shift / 99.99, atol=1e-12
    )


def test_full_body_raises_naming_missing_points():
    points = BodyPoints(**{**standing_points().__dict__, "l_wjc": None})
    with pytest.raises(ValueError, match="l_wjc"):
        full_body_com(points, "M")


def standing_landmarks():
    """Canonical landmarks of a standing subject in a Z-up lab (one frame)."""
    marks = dict(standing_pelvis(Z_UP))
    mirrored = {
        "hip_jc": (0.00, 0.08, 0.92),
        "knee": (0.01, 0.14, 0.50),
        "knee_medial": (0.01, 0.04, 0.50),
        "ankle_jc": (0.00, 0.09, 0.08),
        "heel": (-0.05, 0.09, 0.02),
        "toe": (0.15, 0.09, 0.02),
        "shoulder": (0.00, 0.18, 1.45),
        "elbow": (-0.02, 0.20, 1.15),
        "wrist_radial": (0.03, 0.19, 0.90),
        "wrist_ulnar": (0.03, 0.23, 0.90),
        "hand": (0.04, 0.21, 0.82),
        "head_front": (0.08, 0.07, 1.65),
        "head_back": (-0.08, 0.07, 1.65),
    }
    for name, (x, y, z) in mirrored.items():
        marks[f"l_{name}"] = Z_UP.point(x, y, z)
        marks[f"r_{name}"] = Z_UP.point(x, -y, z)
    marks["c7"] = Z_UP.point(-0.05, 0.0, 1.50)
    return marks


def test_best_com_falls_back_and_says_which_landmarks_are_missing():
    marks = standing_landmarks()
    kwargs = {"leg_length_m": None, "height_m": 1.75, "sex": "M"}
    full = best_com(body_points(getter(marks), **kwargs), "M")
    assert full.model == "full_body"
    no_head_back = {k: v for k, v in marks.items() if not k.endswith("head_back")}
    running = best_com(body_points(getter(no_head_back), **kwargs), "M")
    assert running.model == "running"
    why = running.notes[0]
    assert "full-body model not possible" in why
    assert "head_com" in why
    assert "l_head_back" in why
    assert "r_head_back" in why
    bare = {
        k: v
        for k, v in no_head_back.items()
        if k != "c7" and not k.endswith("shoulder")
    }
    pelvis = best_com(body_points(getter(bare), **kwargs), "M")
    assert pelvis.model == "pelvis"
    assert "c7" in pelvis.notes[1]
    np.testing.assert_allclose(pelvis.com[0], (-PD / 2, 0.0, 1.0), atol=1e-12)


def test_landmark_without_any_valid_sample_counts_as_missing():
    marks = standing_landmarks()
    marks["l_head_front"] = np.full((1, 3), np.nan)
    points = body_points(getter(marks), leg_length_m=None, height_m=1.75, sex="M")
    assert points.head_com is None
    assert points.missing["head_com"] == ("l_head_front",)
    assert best_com(points, "M").model == "running"


def test_unknown_sex_uses_mean_parameters_and_notes_it():
    points = standing_points()
    estimate = running_com(points, None)
    assert any("mean of the female and male" in n for n in estimate.notes)
    male, female = running_com(points, "M").com, running_com(points, "F").com
    assert not np.allclose(estimate.com, male)
    assert not np.allclose(estimate.com, female)


# ---- pelvis model (rule 12) ------------------------------------------------------


def test_pelvis_com_follows_the_rigid_pelvis():
    d_static = np.array([0.03, -0.05, 0.01])  # pelvis frame, m
    rotations, origins = moving_pelvis(Z_UP.pelvis_axes(), n=5)
    marks = {k: place(v, rotations, origins) for k, v in PELVIS_LOCAL.items()}
    points = body_points(getter(marks), leg_length_m=None, height_m=None, sex="M")
    centroid_local = np.array([-PD / 2, 0.0, 0.0])
    expected = place(centroid_local + d_static, rotations, origins)
    np.testing.assert_allclose(pelvis_com(points, d_static).com, expected, atol=1e-12)
    np.testing.assert_allclose(
        pelvis_com(points).com, place(centroid_local, rotations, origins), atol=1e-12
    )
    # the offset is recovered from a "static trial" whose COM is known
    recovered = pelvis_offset_from_static(points, expected)
    np.testing.assert_allclose(recovered, d_static, atol=1e-12)


def test_pelvis_com_with_offset_needs_the_pelvis_frame():
    points = BodyPoints(pelvis_centroid=np.zeros((2, 3)))
    with pytest.raises(ValueError, match="pelvis_rotation"):
        pelvis_com(points, np.zeros(3))


# ---- NaN handling and speed ------------------------------------------------------


def test_nan_in_one_frame_stays_in_that_frame():
    n = 4
    marks = {k: np.repeat(v, n, axis=0) for k, v in standing_landmarks().items()}
    del marks["l_hip_jc"], marks["r_hip_jc"]  # HJC from the pelvis markers
    marks["l_asis"] = marks["l_asis"].copy()
    marks["l_asis"][2] = np.nan
    points = body_points(getter(marks), leg_length_m=None, height_m=1.75, sex="M")
    estimate = best_com(points, "M")
    assert estimate.model == "full_body"
    assert np.isnan(estimate.com[2]).all()
    assert np.isfinite(estimate.com[[0, 1, 3]]).all()
    assert np.isfinite(points.head_com).all()


def test_4500_frames_are_vectorised():
    n = 4500
    wobble = 0.01 * np.sin(np.linspace(0, 20, n))[:, None]
    marks = {k: v + wobble for k, v in standing_landmarks().items()}
    del marks["l_hip_jc"], marks["r_hip_jc"]
    start = time.perf_counter()
    points = body_points(getter(marks), leg_length_m=0.9, height_m=1.75, sex="M")
    estimate = best_com(points, "M")
    elapsed = time.perf_counter() - start
    assert estimate.com.shape == (n, 3)
    assert elapsed < 0.2  # a per-frame Python loop would take seconds


# ---- real recordings -------------------------------------------------------------

WALKING2_LABELS = {
    "l_asis": "LASI",
    "r_asis": "RASI",
    "l_psis": "LPSI",
    "r_psis": "RPSI",
    "l_hip_jc": "LHJC",
    "r_hip_jc": "RHJC",
    "l_knee_jc": "LKJC",
    "r_knee_jc": "RKJC",
    "l_ankle_jc": "LAJC",
    "r_ankle_jc": "RAJC",
    "l_knee": "LLFC",
    "r_knee": "RLFC",
    "l_knee_medial": "LMFC",
    "r_knee_medial": "RMFC",
    "l_ankle": "LLMAL",
    "r_ankle": "RLMAL",
    "l_ankle_medial": "LMMAL",
    "r_ankle_medial": "RMMAL",
    "l_heel": "LCAL",
    "r_heel": "RCAL",
    "l_toe": "LMT2",
    "r_toe": "RMT2",
    "l_mt1": "LMT1",
    "r_mt1": "RMT1",
    "c7": "C7",
    "t10": "T10",
    "clavicle": "CLAV",
    "sternum": "STRN",
    "l_head_front": "LFHD",
    "r_head_front": "RFHD",
    "l_head_back": "LBHD",
    "r_head_back": "RBHD",
}


def label_getter(trial, labels):
    present = set(trial.markers.labels)
    return lambda name: (
        trial.markers[labels[name]] if labels.get(name) in present else None
    )


def horizontal_speed(points, up, first, last, rate_hz):
    step = points[last] - points[first]
    return np.linalg.norm(step - (step @ up) * up) / ((last - first) / rate_hz)


def test_walking2_com_is_plausible(shared_data):
    trial = gaitlab.read_c3d(shared_data / "opensim-core" / "walking2.c3d")
    up = trial.up_axis
    points = body_points(
        label_getter(trial, WALKING2_LABELS), leg_length_m=None, height_m=None, sex=None
    )
    estimate = best_com(points, None)
    # no arm markers in this file: the running model (legs + HAT on MIDH -> C7)
    assert estimate.model == "running"
    assert "l_shoulder" in estimate.notes[0]
    valid = np.flatnonzero(
        np.isfinite(estimate.com).all(axis=1)
        & np.isfinite(points.pelvis_centroid).all(axis=1)
    )
    assert valid.size > 300
    floor = min(np.nanmin(points.l_heel @ up), np.nanmin(points.r_heel @ up))
    height = estimate.com[valid] @ up - floor
    assert height.min() > 0.85
    assert height.max() < 1.10
    assert (estimate.com[valid] @ up > points.midh[valid] @ up).all()
    assert (estimate.com[valid] @ up < points.cerv[valid] @ up).all()
    mid_asis = (trial.markers["LASI"][valid] + trial.markers["RASI"][valid]) / 2
    assert np.abs(estimate.com[valid] @ up - mid_asis @ up).max() < 0.05
    first, last = valid[0], valid[-1]
    com_speed = horizontal_speed(estimate.com, up, first, last, trial.markers.rate_hz)
    pelvis_speed = horizontal_speed(
        points.pelvis_centroid, up, first, last, trial.markers.rate_hz
    )
    assert 1.0 < com_speed < 2.0
    assert com_speed == pytest.approx(pelvis_speed, abs=0.1)


RBDS_LABELS = {
    "l_asis": "L.ASIS",
    "r_asis": "R.ASIS",
    "l_psis": "L.PSIS",
    "r_psis": "R.PSIS",
    "l_iliac_crest": "L.Iliac.Crest",
    "r_iliac_crest": "R.Iliac.Crest",
    "l_heel": "L.Heel.Top",
    "r_heel": "R.Heel.Top",
    "l_mt1": "L.MT1",
    "r_mt1": "R.MT1",
    "l_mt5": "L.MT5",
    "r_mt5": "R.MT5",
}


def test_fukuchi_lower_body_gives_the_pelvis_model(shared_data):
    path = shared_data / "pfjrf-methods" / "data" / "RBDS001" / "RBDS001runT25.c3d"
    trial = gaitlab.read_c3d(path)
    assert trial.up_axis @ (0, 1, 0) == pytest.approx(1.0)
    start = time.perf_counter()
    points = body_points(
        label_getter(trial, RBDS_LABELS), leg_length_m=None, height_m=1.81, sex="M"
    )
    estimate = best_com(points, "M")
    assert time.perf_counter() - start < 0.2  # 4500 frames
    assert estimate.model == "pelvis"
    assert "running model not possible" in estimate.notes[1]
    assert "l_knee" in estimate.notes[1]
    assert "c7" in estimate.notes[1]
    m = trial.markers
    centroid = (m["L.ASIS"] + m["R.ASIS"] + m["L.PSIS"] + m["R.PSIS"]) / 4
    np.testing.assert_allclose(estimate.com, centroid, atol=1e-12)
    assert np.isfinite(estimate.com).all(axis=1).mean() > 0.95
