"""Line geometry of the body (gaitlab.core.lines): trunk fallbacks, angles, needs.

Expected angles are computed here from the coordinates (atan2 of the forward
over the upward component), never from the module's output.
"""

from __future__ import annotations

import numpy as np
import pytest

import gaitlab.api as api
from gaitlab.core.lines import LINE_QUANTITIES, line_angles, line_points, trunk_points

UP, FORWARD = [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]


def theta(lower: np.ndarray, upper: np.ndarray) -> float:
    """Angle of lower→upper from +z towards +x, degrees."""
    d = (upper - lower).ravel()
    return float(np.degrees(np.arctan2(d[0], d[2])))


def test_trunk_line_fallbacks_are_used_in_order_and_named() -> None:
    hip = np.array([[0.0, 0.0, 1.0]])
    c7 = np.array([[-0.05, 0.0, 1.6]])
    clavicle = np.array([[0.15, 0.0, 1.45]])
    both = line_angles({"midh": hip, "cerv": c7, "supr": clavicle}, None, UP, FORWARD)
    middle = (c7 + clavicle) / 2 - hip
    assert both.of("trunk_lean", "Left")[0] == pytest.approx(
        np.degrees(np.arctan2(middle[0, 0], middle[0, 2])), abs=1e-12
    )
    assert both.used["trunk_lean"] == "MIDH→mid-point of C7 and CLAV"
    assert both.trunk == ("midh", "c7_clav")
    only_c7 = line_angles({"pelvis_centroid": hip, "cerv": c7}, None, UP, FORWARD)
    assert only_c7.of("trunk_lean", "Left")[0] == pytest.approx(
        np.degrees(np.arctan2(-0.05, 0.6)), abs=1e-12
    )
    assert only_c7.used["trunk_lean"] == "pelvis centroid→C7"
    nothing = line_angles({"midh": hip}, None, UP, FORWARD)
    assert "trunk_lean" not in nothing.angles
    assert "trunk_lean" in nothing.unavailable


def test_a_forced_trunk_choice_is_kept_even_when_a_better_point_exists() -> None:
    hip, shoulders = np.array([[0.0, 0.0, 1.0]]), np.array([[0.1, 0.0, 1.5]])
    c7 = np.array([[0.0, 0.0, 1.6]])
    line = trunk_points({"midh": hip, "mids": shoulders, "cerv": c7}, ("midh", "cerv"))
    assert line is not None
    assert (line[0], line[2]) == ("midh", "cerv")
    assert trunk_points({"midh": hip, "mids": shoulders}, ("midh", "cerv")) is None


def test_stance_leg_lines_per_side_and_trunk_differences() -> None:
    hip, shoulders = np.array([[0.0, 0.0, 1.0]]), np.array([[0.2, 0.0, 1.5]])
    l_ajc, l_kjc, l_hjc = (
        np.array([[x, 0.1, z]]) for x, z in ((-0.1, 0.1), (0, 0.5), (0.05, 0.95))
    )
    com = np.array([[0.1, 0.0, 1.0]])
    lines = line_angles(
        {
            "midh": hip,
            "mids": shoulders,
            "l_ajc": l_ajc,
            "l_kjc": l_kjc,
            "l_hjc": l_hjc,
        },
        com,
        UP,
        FORWARD,
    )
    trunk, leg = theta(hip, shoulders), theta(l_ajc, l_hjc)
    assert lines.of("leg_line", "Left")[0] == pytest.approx(leg, abs=1e-12)
    assert lines.of("bend_index", "Left")[0] == pytest.approx(trunk - leg, abs=1e-12)
    assert lines.of("trunk_thigh_angle", "Left")[0] == pytest.approx(
        180.0 - (trunk - theta(l_kjc, l_hjc)), abs=1e-12
    )
    assert lines.of("body_line", "Left")[0] == pytest.approx(
        theta(l_ajc, shoulders), abs=1e-12
    )
    assert lines.of("whole_body_lean_ankle", "Left")[0] == pytest.approx(
        theta(l_ajc, com), abs=1e-12
    )
    # the right leg has no points: its lines are undefined, the trunk is not
    assert lines.of("leg_line", "Right") is None
    assert lines.of("trunk_lean", "Right")[0] == pytest.approx(trunk, abs=1e-12)
    assert lines.used["body_line"] == "AJC→MIDS"


def test_every_quantity_is_computed_or_says_what_it_needs() -> None:
    lines = line_angles({}, None, UP, FORWARD)
    assert set(lines.unavailable) == set(LINE_QUANTITIES)
    assert lines.unavailable["whole_body_lean_ankle"] == "needs an AJC and the COM"
    assert lines.unavailable["head_alignment"].startswith("needs the trunk line")


def test_line_points_are_the_points_some_line_uses() -> None:
    p = np.zeros((1, 3))
    # hip centres alone enter no line; with an ankle they make the leg line
    assert line_points({"l_hjc": p, "r_hjc": p}) == set()
    assert line_points({"l_hjc": p, "l_ajc": p}) == {"l_hjc", "l_ajc"}
    # the C7-CLAV mid-point needs both; the head line needs C7 and the head
    assert line_points({"midh": p, "cerv": p, "supr": p, "head_com": p}) == {
        "midh",
        "cerv",
        "supr",
        "head_com",
    }
    # a thigh (KJC→HJC) enters the trunk-to-thigh angle only with a trunk line
    assert line_points({"l_hjc": p, "l_kjc": p}) == set()
    assert line_points({"midh": p, "mids": p, "l_hjc": p, "l_kjc": p}) == {
        "midh",
        "mids",
        "l_hjc",
        "l_kjc",
    }


def test_the_line_geometry_is_public_api() -> None:
    for name in (
        "Lines",
        "line_angles",
        "line_points",
        "trunk_points",
        "LINE_QUANTITIES",
    ):
        assert name in api.__all__
