"""The lean plugin against the analytic cases of METHODS §8.3 and real recordings.

Expected values are computed here from the geometry or the physics of each case
(or taken from METHODS), never from the plugin's own output. Tolerances: angles
±0.1° where METHODS prints one decimal (§8.2), tighter where the case is exact.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from gaitlab.core.body import BodyPoints, running_com
from gaitlab.core.contacts import contacts_from_events
from gaitlab.core.lines import line_angles
from gaitlab.core.results import USABLE_STATUSES, Result
from gaitlab.core.trial import AnalogSet, ForcePlate, MarkerSet, Subject, Trial
from gaitlab.pipeline.discovery import discover
from gaitlab.pipeline.runner import call_plugin
from gaitlab.pipeline.view import TrialView
from gaitlab.synth.labframe import lab_axes, model_to_lab
from gaitlab.synth.lean_cases import constant_acceleration, falling_pendulum
from gaitlab.synth.running import make_running_trial, make_static_trial
from gaitlab.synth.slip import simulate_steps
from gaitlab.testing import analyse_file

SPEC = discover().get("lean")
LEAN = sys.modules[SPEC.func.__module__]
G = 9.81

PELVIS_M = {
    "LASI": (0.08, 0.05, -0.12),
    "RASI": (0.08, 0.05, 0.12),
    "LPSI": (-0.08, 0.07, -0.045),
    "RPSI": (-0.08, 0.07, 0.045),
}
"""Pelvis markers (forward, up, right) from a reference point, m."""


# ---------------------------------------------------------------- helpers


def run_lean(
    trial: Trial, results: dict[str, Result], static: Trial | None = None, **params
) -> Result:
    """Call the plugin like the runner does (needs checked, outputs validated)."""
    view = TrialView(
        trial,
        results=results,
        static=None if static is None else TrialView(static),
    )
    result = call_plugin(SPEC, view, {**SPEC.defaults, **params})
    assert result.status in USABLE_STATUSES, result.message
    return result


def events_result(contacts: list[tuple[str, float, float]]) -> Result:
    """A gait_events result holding these (side, IC, TO) contacts."""
    result = Result()
    for side, ic, to in contacts:
        result.add_event(ic, "Foot Strike", side)
        result.add_event(to, "Foot Off", side)
    return result


def lab(points_model: np.ndarray, up: str, forward: str) -> np.ndarray:
    """(forward, up, right) model coordinates → lab coordinates."""
    return np.asarray(points_model, float) @ model_to_lab(*lab_axes(up, forward))


def force_trial(
    *,
    rate_hz: float,
    com: np.ndarray,
    cop: np.ndarray,
    grf: np.ndarray,
    e_up: np.ndarray,
    e_forward: np.ndarray,
    contacts: list[tuple[str, float, float]],
    mass_kg: float,
    marker_step: int = 1,
) -> tuple[Trial, dict[str, Result]]:
    """A point-mass trial: one plate, pelvis markers around the COM, known COM.

    The COM is handed to the plugin as the ``center_of_mass`` result at the
    force rate, so the lean is computed from the exact COM.
    """
    e_right = np.cross(e_forward, e_up)
    frames = com[::marker_step]
    markers = np.stack(
        [
            frames + f * e_forward + u * e_up + r * e_right
            for f, u, r in PELVIS_M.values()
        ],
        axis=1,
    )
    half = 5.0 * (np.abs(e_forward) + np.abs(e_right))
    corners = np.array([half, half * [1, -1, 1], -half, half * [-1, 1, -1]])
    plate = ForcePlate(
        force=grf,
        moment=np.zeros_like(grf),
        cop=cop,
        free_moment=np.zeros(len(grf)),
        corners=corners,
        rate_hz=rate_hz,
    )
    trial = Trial(
        markers=MarkerSet(markers, tuple(PELVIS_M), rate_hz / marker_step),
        analogs=AnalogSet(np.zeros((len(grf), 0)), (), (), rate_hz),
        forceplates=(plate,),
        subject=Subject("s", mass_kg=mass_kg),
        up_axis=e_up,
    )
    com_result = Result()
    com_result.add_series("com", com, rate_hz=rate_hz)
    return trial, {"gait_events": events_result(contacts), "center_of_mass": com_result}


def slip_trial(
    up: str = "z", forward: str = "+x", stance_fraction: float = 1.0
) -> tuple[Trial, dict, object]:
    """Four SLIP steps (METHODS §8.2) at 1 kHz, markers at 200 Hz, true events.

    ``stance_fraction`` < 1 moves each toe-off event earlier (a window test).
    """
    series = simulate_steps(4, 1000.0)
    zeros = np.zeros((len(series.time_s), 1))
    step = np.searchsorted(series.touchdown_s, series.time_s, side="right") - 1
    cop = np.full((len(series.time_s), 3), np.nan)
    cop[series.contact, 0] = series.foot_position_m[step[series.contact]]
    cop[series.contact, 1:] = 0.0
    e_up, e_forward = lab_axes(up, forward)
    sides = ["Right", "Left"] * 2
    liftoff = series.touchdown_s + stance_fraction * series.gait.contact_time_s
    contacts = list(
        zip(sides, series.touchdown_s.tolist(), liftoff.tolist(), strict=True)
    )
    trial, results = force_trial(
        rate_hz=1000.0,
        com=lab(np.hstack([series.com_position_m, zeros]), up, forward),
        cop=lab(cop, up, forward),
        grf=lab(np.hstack([series.grf_n, zeros]), up, forward),
        e_up=e_up,
        e_forward=e_forward,
        contacts=contacts,
        mass_kg=series.gait.parameters.mass_kg,
        marker_step=5,
    )
    return trial, results, series.gait


def posture_trial(
    *,
    leg_deg: float,
    trunk_deg: float,
    head_deg: float,
    up: str = "z",
    forward: str = "+x",
    n_frames: int = 200,
    rate_hz: float = 200.0,
) -> Trial:
    """A still body with known line angles, joint centres stored as markers.

    Straight legs inclined ``leg_deg`` about the ankles, the trunk line
    MIDH → mid-acromion at ``trunk_deg`` (so MIDH → MIDS too, convention 5), C7
    on that line and the head centroid ``head_deg`` ahead of it.
    """

    def direction(angle_deg: float) -> np.ndarray:
        angle = np.radians(angle_deg)
        return np.array([np.sin(angle), np.cos(angle), 0.0])

    lateral = np.array([0.0, 0.0, 1.0])
    leg, trunk = direction(leg_deg), direction(trunk_deg)
    head = direction(trunk_deg + head_deg)
    ahead = direction(trunk_deg + head_deg + 90.0)
    ankle = np.array([0.0, 0.08, 0.0])
    knee, hip = ankle + 0.44 * leg, ankle + 0.86 * leg
    c7 = hip + 0.60 * trunk
    head_centre = c7 + 0.15 * head
    points = {
        "LAJC": ankle - 0.1 * lateral,
        "RAJC": ankle + 0.1 * lateral,
        "LKJC": knee - 0.1 * lateral,
        "RKJC": knee + 0.1 * lateral,
        "LHJC": hip - 0.1 * lateral,
        "RHJC": hip + 0.1 * lateral,
        "LSHO": hip + 0.5 * trunk - 0.18 * lateral,
        "RSHO": hip + 0.5 * trunk + 0.18 * lateral,
        "C7": c7,
        "LFHD": head_centre + 0.08 * ahead - 0.07 * lateral,
        "RFHD": head_centre + 0.08 * ahead + 0.07 * lateral,
        "LBHD": head_centre - 0.08 * ahead - 0.07 * lateral,
        "RBHD": head_centre - 0.08 * ahead + 0.07 * lateral,
    } | {name: hip + np.array(offset) for name, offset in PELVIS_M.items()}
    labels = tuple(points)
    model = np.stack([points[n] for n in labels])
    data = np.broadcast_to(lab(model, up, forward), (n_frames, len(labels), 3)).copy()
    return Trial(
        markers=MarkerSet(data, labels, rate_hz),
        analogs=AnalogSet(np.zeros((n_frames, 0)), (), (), rate_hz),
        up_axis=lab_axes(up, forward)[0],
    )


def sagittal_deg(vector: np.ndarray) -> float:
    """Angle from the vertical of a (forward, up) vector, degrees."""
    return float(np.degrees(np.arctan2(vector[0], vector[1])))


def values(result: Result, name: str) -> np.ndarray:
    return result.metric_values(name)


# ---------------------------------------------------------------- §8.3 cases 1-2


def reference_body(leg_deg: float, trunk_deg: float) -> tuple[dict, BodyPoints]:
    """METHODS §8.3 reference geometry (male de Leva lengths, mm → m), Y-up, -X forward."""
    up, forward = "y", "-x"

    def along(angle_deg: float) -> np.ndarray:
        angle = np.radians(angle_deg)
        return np.array([[np.sin(angle), np.cos(angle), 0.0]])

    ajc = np.zeros((1, 3))
    kjc = ajc + 0.4403 * along(leg_deg)
    hjc = kjc + 0.4222 * along(leg_deg)
    cerv = hjc + 0.6033 * along(trunk_deg)
    mids = hjc + 0.855 * 0.6033 * along(trunk_deg)
    heel, ttip = np.array([[-0.050, -0.080, 0.0]]), np.array([[0.2081, -0.080, 0.0]])
    model = {"ajc": ajc, "kjc": kjc, "hjc": hjc, "cerv": cerv, "mids": mids}
    model |= {"heel": heel, "ttip": ttip}
    p = {name: lab(point, up, forward) for name, point in model.items()}
    body = BodyPoints(
        **{
            f"{s}_{j}": p[j]
            for s in "lr"
            for j in ("hjc", "kjc", "ajc", "heel", "ttip")
        },
        midh=p["hjc"],
        mids=p["mids"],
        cerv=p["cerv"],
    )
    return p, body


@pytest.mark.parametrize(
    ("leg", "trunk", "expected", "com_mm"),
    [
        (
            10.0,
            10.0,
            {"trunk": 10.00, "leg": 10.00, "bend": 0.0, "body": 10.00, "com": 10.13},
            (164.3, 919.5),
        ),
        (
            0.0,
            15.0,
            {"trunk": 15.00, "leg": 0.0, "bend": 15.0, "body": 5.60, "com": 3.29},
            (53.3, 926.9),
        ),
    ],
    ids=["straight_body_10deg", "bend_at_waist_15deg"],
)
def test_reference_geometry_cases_1_and_2(
    leg: float, trunk: float, expected: dict, com_mm: tuple[float, float]
) -> None:
    points, body = reference_body(leg, trunk)
    com = running_com(body, "M", hat_com_fraction=0.548).com
    up, forward = lab_axes("y", "-x")
    com_model = com[0] @ np.linalg.inv(model_to_lab(up, forward))
    assert 1000 * com_model[:2] == pytest.approx(com_mm, abs=0.1)
    lines = line_angles(
        {
            "midh": points["hjc"],
            "mids": points["mids"],
            "cerv": points["cerv"],
            **{f"{s}_{j}": points[j] for s in "lr" for j in ("hjc", "kjc", "ajc")},
        },
        com,
        up,
        forward,
    )
    for side in ("Left", "Right"):
        assert lines.of("trunk_lean", side)[0] == pytest.approx(
            expected["trunk"], abs=5e-3
        )
        assert lines.of("leg_line", side)[0] == pytest.approx(expected["leg"], abs=5e-3)
        assert lines.of("bend_index", side)[0] == pytest.approx(
            expected["bend"], abs=5e-3
        )
        assert lines.of("body_line", side)[0] == pytest.approx(
            expected["body"], abs=5e-3
        )
        assert lines.of("whole_body_lean_ankle", side)[0] == pytest.approx(
            expected["com"], abs=5e-3
        )
        # thigh along the leg: trunk-to-thigh = 180° - (trunk - leg)
        assert lines.of("trunk_thigh_angle", side)[0] == pytest.approx(
            180.0 - (trunk - leg), abs=1e-9
        )
    assert lines.used["trunk_lean"] == "MIDH→MIDS"


# ---------------------------------------------------------------- §8.3 cases 3, 4, 6


@pytest.mark.parametrize(("a", "published"), [(1.0, 5.8), (3.0, 17.0), (5.0, 27.0)])
def test_constant_acceleration_force_weighted_lean_is_atan_a_over_g(
    a: float, published: float
) -> None:
    case = constant_acceleration(a, up="y", forward="-x")
    contacts = [("Right", 0.1, 0.4), ("Left", 0.45, 0.65), ("Right", 0.7, 0.95)]
    trial, results = force_trial(
        rate_hz=1000.0,
        com=case.com_m,
        cop=case.cop_m,
        grf=case.grf_n,
        e_up=case.e_up,
        e_forward=case.e_forward,
        contacts=contacts,
        mass_kg=case.mass_kg,
    )
    result = run_lean(trial, results)
    lean = values(result, "whole_body_lean")
    assert lean == pytest.approx(np.full(3, published), abs=0.05)
    assert lean == pytest.approx(np.degrees(np.arctan(a / G)), abs=1e-9)
    for instant in ("_ic", "_midstance", "_to"):
        assert values(result, "whole_body_lean" + instant) == pytest.approx(
            np.degrees(np.arctan(a / G)), abs=1e-9
        )
    # METHODS §4.2: implied g·Σ Fz tanθ / Σ Fz = a; measured ∫F_ap dt / (m·T) = a
    assert values(result, "lean_implied_acceleration") == pytest.approx(a, abs=1e-9)
    measured = values(result, "ap_acceleration")
    assert measured[:2] == pytest.approx(a, abs=1e-9)
    assert np.isnan(measured[2])  # the last step has no next initial contact


@pytest.fixture(scope="module")
def slip_result() -> tuple[Result, Result, object, Trial]:
    trial, results, gait = slip_trial(up="y", forward="+z")
    lowest = run_lean(trial, results)
    over_cop = run_lean(trial, results, midstance="com_over_cop")
    return lowest, over_cop, gait, trial


def test_slip_lean_is_minus_24_at_touchdown_plus_24_at_take_off(slip_result) -> None:
    result, over_cop, gait, _ = slip_result
    assert values(result, "whole_body_lean_ic") == pytest.approx(
        np.full(4, -24.0), abs=0.1
    )
    assert values(result, "whole_body_lean_to") == pytest.approx(
        np.full(4, 24.0), abs=0.1
    )
    # tighter, against the SLIP's own touchdown geometry (COP fixed at the foot)
    assert values(result, "whole_body_lean_ic") == pytest.approx(
        gait.touchdown_lean_deg, abs=0.01
    )
    assert values(result, "whole_body_lean_to") == pytest.approx(
        gait.liftoff_lean_deg, abs=0.01
    )
    # vertical-force-weighted stance mean: 0.0° (METHODS §4.1)
    assert values(result, "whole_body_lean") == pytest.approx(np.zeros(4), abs=0.01)
    # lowest COM at mid-contact, where the COM is over the foot
    assert values(result, "whole_body_lean_midstance") == pytest.approx(
        np.zeros(4), abs=0.1
    )
    assert values(over_cop, "whole_body_lean_midstance") == pytest.approx(
        np.zeros(4), abs=1e-6
    )
    # steady running: implied and measured forward acceleration both ≈ 0
    assert values(result, "lean_implied_acceleration") == pytest.approx(
        np.zeros(4), abs=0.01
    )
    assert values(result, "ap_acceleration")[:3] == pytest.approx(np.zeros(3), abs=0.01)
    series = result.series["whole_body_lean"]
    assert series.rate_hz == 200.0
    assert np.isnan(series.values[0])  # the trial starts in flight
    # at the marker frames: the COP→COM angle of the SLIP arrays, the COP being
    # undefined below the 50 N threshold of METHODS §1.7
    plate = slip_result[3].forceplates[0]
    com = slip_result[3].markers.data.mean(axis=1)  # pelvis centroid = COM + offset
    e_up, e_forward = lab_axes("y", "+z")
    pelvis_offset = lab(np.mean(list(PELVIS_M.values()), axis=0), "y", "+z")
    offset = com - pelvis_offset - plate.cop[::5]
    expected = np.degrees(np.arctan2(offset @ e_forward, offset @ e_up))
    expected[plate.force[::5] @ e_up < 50.0] = np.nan
    both = np.isfinite(expected) & np.isfinite(series.values)
    assert both.sum() >= 0.95 * np.isfinite(expected).sum()
    np.testing.assert_allclose(series.values[both], expected[both], atol=1e-6)
    assert np.nanmin(series.values) == pytest.approx(-24.0, abs=1.0)
    assert np.nanmax(series.values) == pytest.approx(24.0, abs=1.0)


def test_whole_body_lean_stance_mean_is_weighted_by_the_vertical_force() -> None:
    """Events cut at 60 % of each SLIP contact: the weighting matters there."""
    trial, results, _ = slip_trial(stance_fraction=0.6)
    result = run_lean(trial, results)
    plate, com = trial.forceplates[0], results["center_of_mass"].series["com"].values
    vertical = plate.force[:, 2]
    offset = com - plate.cop
    lean = np.degrees(np.arctan2(offset[:, 0], offset[:, 2]))
    weighted, plain = [], []
    events = results["gait_events"].events  # Foot Strike, Foot Off of each contact
    time = np.arange(len(vertical)) / 1000.0
    for strike, off in zip(events[::2], events[1::2], strict=True):
        stance = (time >= strike.time_s) & (time <= off.time_s) & (vertical >= 50.0)
        weighted.append(
            np.sum(vertical[stance] * lean[stance]) / np.sum(vertical[stance])
        )
        plain.append(np.mean(lean[stance]))
    assert values(result, "whole_body_lean") == pytest.approx(weighted, abs=1e-6)
    assert np.min(np.abs(np.array(weighted) - plain)) > 1.0


def test_whole_body_lean_description_carries_the_section_4_2_caveat() -> None:
    description = SPEC.metric("whole_body_lean").description
    assert "≈ 0 by physics" in description
    assert "trunk_lean" in description
    assert "bend_index" in description
    assert "weighted by the vertical GRF" in description


def test_falling_pendulum_lean_equals_grf_direction_at_every_sample() -> None:
    case = falling_pendulum(up="z", forward="+y")
    vertical = case.grf_n @ case.e_up
    assert vertical.min() > 60.0  # the COP stays defined throughout
    contacts = [("Right", 0.0, 0.3), ("Left", 0.3, 0.4)]
    trial, results = force_trial(
        rate_hz=1000.0,
        com=case.com_m,
        cop=case.cop_m,
        grf=case.grf_n,
        e_up=case.e_up,
        e_forward=case.e_forward,
        contacts=contacts,
        mass_kg=case.mass_kg,
    )
    result = run_lean(trial, results)
    grf_angle = np.arctan2(case.grf_n @ case.e_forward, vertical)
    lean = np.radians(result.series["whole_body_lean"].values)
    assert np.max(np.abs(lean - grf_angle)) < 1e-6
    assert np.max(np.abs(lean - np.radians(case.lean_deg))) < 1e-6
    # §4.2 check, computed here from the GRF alone
    stance = case.time_s <= 0.3 + 1e-9
    weighted = np.sum(vertical[stance] * grf_angle[stance]) / np.sum(vertical[stance])
    assert values(result, "whole_body_lean")[0] == pytest.approx(
        np.degrees(weighted), abs=1e-6
    )
    implied = (
        G
        * np.sum(vertical[stance] * np.tan(grf_angle[stance]))
        / np.sum(vertical[stance])
    )
    step = case.time_s < 0.3 - 1e-9
    measured = np.sum(case.grf_n[step] @ case.e_forward) / 1000.0 / (case.mass_kg * 0.3)
    assert values(result, "lean_implied_acceleration")[0] == pytest.approx(
        implied, rel=1e-9
    )
    assert values(result, "ap_acceleration")[0] == pytest.approx(measured, rel=1e-9)
    # the body falls: a_x = (g + a_z)·tanθ, so measured / implied = mean Fz / (m·g)
    # (< 1), not 1 as the steady-state a_x = g·tanθ would have it
    mean_vertical = np.mean(vertical[step]) / (case.mass_kg * G)
    assert measured / implied == pytest.approx(mean_vertical, rel=3e-3)
    assert measured / implied < 0.99


# ---------------------------------------------------------------- case 5 and posture


FRAMES = [("z", "+x"), ("z", "-x"), ("z", "+y"), ("y", "-x"), ("y", "+z"), ("y", "-z")]


@pytest.fixture(scope="module")
def frame_results(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple, Result]:
    folder = tmp_path_factory.mktemp("frames")
    results = {}
    for up, forward in FRAMES:
        run = make_running_trial(
            folder / f"{up}{forward[1]}{forward[0] == '+'}.c3d",
            up=up,
            forward=forward,
            n_steps=6,
        )
        results[(up, forward)] = analyse_file(run.path, plugins=["lean"])["lean"]
    return results


def test_lean_values_do_not_depend_on_the_lab_frame(frame_results: dict) -> None:
    """METHODS §8.3 case 5; tolerance 1e-5° (C3D stores float32 millimetres;
    observed ≤ 3e-6°)."""
    reference = frame_results[FRAMES[0]]
    assert reference.status in USABLE_STATUSES
    keys = [(m.name, m.step, m.side) for m in reference.metrics]
    reference_values = np.array([m.value for m in reference.metrics])
    assert np.isfinite(reference_values).mean() > 0.9
    for frame, result in frame_results.items():
        assert [(m.name, m.step, m.side) for m in result.metrics] == keys, frame
        np.testing.assert_allclose(
            [m.value for m in result.metrics],
            reference_values,
            atol=1e-5,
            err_msg=str(frame),
        )
        for name, series in reference.series.items():
            np.testing.assert_allclose(
                result.series[name].values, series.values, atol=1e-5, err_msg=name
            )


POSTURES = {"from_ankles": (8.0, 0.0), "at_waist": (0.0, 8.0), "both": (4.0, 6.0)}
"""(lean_from_ankles_deg θ, bend_at_waist_deg β) of the synthetic runner."""


@pytest.fixture(scope="module")
def posture_runs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The full-body synthetic runner in three postures, analysed with its static trial."""
    folder = tmp_path_factory.mktemp("posture")
    static = make_static_trial(folder / "runner_static.c3d", up="y", forward="-z")
    runs = {}
    for name, (theta, beta) in POSTURES.items():
        run = make_running_trial(
            folder / f"{name}.c3d",
            lean_from_ankles_deg=theta,
            bend_at_waist_deg=beta,
            n_steps=6,
        )
        params = (
            {
                "lean": {"marker_cutoff_hz": 30.0},
                "gait_events": {"threshold_n": 50.0, "noise_factor": 0.0},
            }
            if name == "both"
            else None
        )
        results = analyse_file(
            run.path, plugins=["lean"], static=static.path, params=params
        )
        runs[name] = (run, results["lean"])
        if name == "both":
            runs["both_events"] = results["gait_events"]
    return {"static": static, **runs}


@pytest.mark.parametrize("posture", list(POSTURES))
def test_posture_knobs_trunk_lean_and_bend_index(
    posture: str, posture_runs: dict
) -> None:
    theta, beta = POSTURES[posture]
    run, result = posture_runs[posture]
    assert result.status == "ok", result.message
    assert values(result, "trunk_lean") == pytest.approx(theta + beta, abs=0.1)
    assert values(result, "bend_index_midstance") == pytest.approx(beta, abs=0.1)
    assert values(result, "leg_line_midstance") == pytest.approx(theta, abs=0.1)
    assert values(result, "trunk_lean_midstance") == pytest.approx(
        run.steps.trunk_lean_deg, abs=0.1
    )
    assert values(result, "bend_index_midstance") == pytest.approx(
        run.steps.bend_index_deg, abs=0.1
    )
    assert values(result, "body_line_midstance") == pytest.approx(
        run.steps.body_line_deg, abs=0.1
    )
    # AJC→COM: the COM of center_of_mass is low-passed at 12 Hz, its lowest
    # point (midstance) raised slightly: ±0.15°
    assert values(result, "whole_body_lean_ankle_midstance") == pytest.approx(
        run.steps.whole_body_lean_ankle_deg, abs=0.15
    )
    # steady running: the force-weighted COP→COM lean is ≈ 0 whatever the posture
    assert values(result, "whole_body_lean") == pytest.approx(0.0, abs=0.1)
    # upright static trial: trunk MIDH→MIDS vertical, so relative = absolute
    static = posture_runs["static"]
    assert values(result, "static_trunk_lean") == pytest.approx(
        static.trunk_lean_deg, abs=1e-3
    )
    assert values(result, "trunk_lean_rel_static") == pytest.approx(
        theta + beta, abs=0.1
    )
    assert values(result, "static_head_alignment") == pytest.approx(
        static.head_alignment_deg, abs=1e-3
    )
    assert values(result, "head_alignment_rel_static") == pytest.approx(0.0, abs=1e-3)


def test_lean_from_ankles_versus_bend_at_waist(posture_runs: dict) -> None:
    """Same 8° trunk lean: bend index ≈ 0 from the ankles, ≈ 8° at the waist."""
    _, ankles = posture_runs["from_ankles"]
    _, waist = posture_runs["at_waist"]
    assert values(ankles, "trunk_lean") == pytest.approx(
        values(waist, "trunk_lean"), abs=0.01
    )
    assert values(ankles, "bend_index_midstance") == pytest.approx(0.0, abs=0.1)
    assert values(waist, "bend_index_midstance") == pytest.approx(8.0, abs=0.1)
    # straight body: the AJC→MIDS body line leans with the trunk
    assert values(ankles, "body_line_midstance") == pytest.approx(8.0, abs=0.1)


def test_series_follow_the_true_angles(posture_runs: dict) -> None:
    """Marker-rate series vs the runner's true angles (30 Hz marker filter here)."""
    run, result = posture_runs["both"]
    truth = run.angles
    pairs = {
        "trunk_lean": (truth.trunk_lean_deg, 1e-3),
        "head_alignment": (truth.head_alignment_deg, 1e-3),
        "leg_line": (truth.leg_line_deg, 0.05),
        "bend_index": (truth.bend_index_deg, 0.05),
        "body_line": (truth.body_line_deg, 0.05),
        "whole_body_lean": (truth.whole_body_lean_cop_deg, 0.12),
        "whole_body_lean_ankle": (truth.whole_body_lean_ankle_deg, 0.15),
    }
    for name, (expected, tolerance) in pairs.items():
        series = result.series[name].values
        both = np.isfinite(series) & np.isfinite(expected)
        # stance found from 50 N force thresholds: a frame shorter at each end
        assert both.sum() >= 0.95 * np.isfinite(expected).sum(), name
        assert np.all(np.isnan(series[~np.isfinite(expected)])), name
        np.testing.assert_allclose(
            series[both], expected[both], atol=tolerance, err_msg=name
        )


def test_leg_line_at_the_events_and_its_stance_average(posture_runs: dict) -> None:
    """IC, TO and stance average of the leg line vs the true joint centres.

    The events are those gait_events detected; the true leg line is evaluated at
    them from the runner's true AJC and HJC (linear interpolation between frames),
    and its stance average by a fine Riemann sum (30 Hz marker filter here).
    """
    run, result = posture_runs["both"]
    contacts = contacts_from_events(posture_runs["both_events"].events)
    for contact, at_ic, at_to, average in zip(
        contacts,
        values(result, "leg_line_ic"),
        values(result, "leg_line_to"),
        values(result, "leg_line"),
        strict=True,
    ):
        prefix = contact.side[0].lower()
        ajc = getattr(run.points, f"{prefix}_ajc")
        offset = getattr(run.points, f"{prefix}_hjc") - ajc
        true = np.degrees(np.arctan2(offset @ run.e_forward, offset @ run.e_up))
        fine = np.linspace(contact.ic_s, contact.to_s, 4001)
        assert at_ic == pytest.approx(
            np.interp(contact.ic_s, run.frame_time_s, true), abs=0.1
        )
        assert at_to == pytest.approx(
            np.interp(contact.to_s, run.frame_time_s, true), abs=0.1
        )
        assert average == pytest.approx(
            np.mean(np.interp(fine, run.frame_time_s, true)), abs=0.05
        )


def test_time_average_of_a_sampled_angle() -> None:
    """Exact for a linear signal whatever the events' position between frames."""
    rate, t0 = 100.0, 0.5
    time = t0 + np.arange(50) / rate
    signal = 3.0 + 20.0 * time
    start, stop = np.array([0.5, 0.613, 0.7071]), np.array([0.99, 0.6999, 0.8])
    expected = 3.0 + 20.0 * (start + stop) / 2
    got = LEAN._time_averages(signal, rate, t0, start, stop)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    gap = signal.copy()
    gap[22] = np.nan  # t = 0.72 s
    with_gap = LEAN._time_averages(gap, rate, t0, start, stop)
    assert with_gap[1] == pytest.approx(expected[1], rel=1e-12)
    assert np.isnan(with_gap[[0, 2]]).all()  # both windows hold t = 0.72 s
    outside = LEAN._time_averages(signal, rate, t0, np.array([0.45]), np.array([0.6]))
    assert np.isnan(outside[0])


def test_static_trial_offsets_are_subtracted() -> None:
    running = posture_trial(leg_deg=4.0, trunk_deg=10.0, head_deg=12.0, forward="-y")
    static = posture_trial(leg_deg=0.0, trunk_deg=-3.0, head_deg=5.0, up="y")
    contacts = [("Right", 0.1, 0.3), ("Left", 0.4, 0.6), ("Right", 0.7, 0.9)]
    result = run_lean(running, {"gait_events": events_result(contacts)}, static=static)
    expected_running = {
        "trunk_lean": 10.0,
        "leg_line": 4.0,
        "bend_index": 6.0,
        "trunk_thigh_angle": 174.0,
        "head_alignment": 12.0,
    }
    expected_static = {
        "trunk_lean": -3.0,
        "leg_line": 0.0,
        "bend_index": -3.0,
        "trunk_thigh_angle": 183.0,
        "head_alignment": 5.0,
    }
    for name, value in expected_running.items():
        assert values(result, name) == pytest.approx(value, abs=1e-6), name
        assert values(result, f"static_{name}") == pytest.approx(
            expected_static[name], abs=1e-6
        )
        assert values(result, f"{name}_rel_static") == pytest.approx(
            value - expected_static[name], abs=1e-6
        )
    # body line AJC→MIDS: MIDS = MIDH + (0.5 - 0.17·0.36)·trunk direction
    mids_along = 0.5 - 0.17 * 0.36

    def body_line(leg: float, trunk: float) -> float:
        leg_r, trunk_r = np.radians(leg), np.radians(trunk)
        vector = 0.86 * np.array(
            [np.sin(leg_r), np.cos(leg_r)]
        ) + mids_along * np.array([np.sin(trunk_r), np.cos(trunk_r)])
        return sagittal_deg(vector)

    assert values(result, "body_line") == pytest.approx(body_line(4.0, 10.0), abs=1e-6)
    assert values(result, "body_line_rel_static") == pytest.approx(
        body_line(4.0, 10.0) - body_line(0.0, -3.0), abs=1e-6
    )
    assert any("static trial" in note for note in result.notes)


def test_without_static_trial_no_relative_values_and_a_note() -> None:
    running = posture_trial(leg_deg=4.0, trunk_deg=10.0, head_deg=0.0)
    contacts = [("Right", 0.1, 0.3), ("Left", 0.4, 0.6)]
    result = run_lean(running, {"gait_events": events_result(contacts)})
    names = {m.name for m in result.metrics}
    assert not any(name.endswith("_rel_static") for name in names)
    assert result.left_out["trunk_lean_rel_static"] == "no static trial"
    assert result.left_out["static_leg_line"] == "no static trial"
    # no plates: no COP-based lean, left out with the reason; kinematic lines there
    assert "whole_body_lean" not in names
    assert "trunk_lean" in names
    for name in ("whole_body_lean_ic", "lean_implied_acceleration"):
        assert result.left_out[name] == "needs the centre of pressure: no force plates"
    assert result.status == "partial"
    assert not names & set(result.left_out)


# ---------------------------------------------------------------- real recordings


def test_fukuchi_running_whole_body_lean_without_upper_body(shared_data: Path) -> None:
    folder = shared_data / "pfjrf-methods" / "data" / "RBDS001"
    results = analyse_file(
        folder / "RBDS001runT25.c3d",
        plugins=["lean"],
        static=folder / "RBDS001static.c3d",
    )
    result = results["lean"]
    assert result.status == "partial", result.message
    lean = values(result, "whole_body_lean")
    assert lean.size > 60
    assert np.isfinite(lean).mean() > 0.9
    # steady treadmill running: force-weighted stance mean near 0 (METHODS §4.2)
    assert abs(np.nanmean(lean)) < 2.0
    assert np.nanmean(values(result, "whole_body_lean_ic")) < -3.0
    assert np.nanmean(values(result, "whole_body_lean_to")) > 3.0
    names = {m.name for m in result.metrics}
    assert "trunk_lean" not in names
    assert "bend_index" not in names
    # no trunk markers: the 30 metrics of the 5 trunk lines left out, one reason
    trunk = {
        name
        for name in {s.name for s in SPEC.metrics}
        if any(q in name for q in LEAN.TRUNK_QUANTITIES)
    }
    assert len(trunk) == 30
    assert set(result.left_out) == trunk
    (reason,) = set(result.left_out.values())
    assert reason.startswith("needs the trunk line")
    assert "c7" in reason
    assert any("RBDS001static" in note for note in result.notes)


def test_walking_trunk_lean_is_finite_and_plausible(shared_data: Path) -> None:
    result = analyse_file(
        shared_data / "opensim-core" / "walking2.c3d", plugins=["lean"]
    )["lean"]
    assert result.status == "partial", result.message
    assert set(result.left_out.values()) == {"no static trial"}
    trunk = values(result, "trunk_lean")
    assert np.isfinite(trunk).sum() >= 2
    assert np.all(np.abs(trunk[np.isfinite(trunk)]) < 15.0)
    assert any(note.startswith("trunk line: MIDH→") for note in result.notes)
    series = result.series["trunk_lean"].values
    assert np.isfinite(series).sum() >= 400  # LHJC/RHJC exist in frames 423-836 only
