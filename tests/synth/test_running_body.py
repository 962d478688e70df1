"""The full-body synthetic runner: markers read back from C3D give its known answers.

The joint centres and the segmental COM are recomputed here from the written
markers with a small implementation of gaitlab's conventions written for this
test (Harrington hip with the leg length from PROCESSING, Rab shoulder, lateral
markers moved medially by half the default widths, head-marker centroid,
convention-9 toe tip, de Leva rows read from the CSV), and compared with the
spring-mass model run independently (METHODS §8.2) and with the posture knobs
(METHODS §8.3). C3D stores float32 millimetres: positions of a few metres carry
about 0.5 µm of rounding.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

import gaitlab
from gaitlab.io.c3d import read_c3d
from gaitlab.synth.running import make_running_trial, make_static_trial
from gaitlab.synth.slip import SlipParameters, simulate_steps

DELEVA_CSV = Path(gaitlab.__file__).parent / "core" / "data" / "deleva1996_table4.csv"
WIDTHS = {"KNE": 0.100, "ANK": 0.070, "ELB": 0.070}
FLOAT32_M = 1e-5  # float32 mm at a few metres, with room for the regression's gain
FRAMES = [("z", "+x", True), ("y", "-x", False)]


def _deleva(sex: str) -> dict[tuple[str, str], dict[str, float]]:
    with DELEVA_CSV.open(encoding="utf-8") as handle:
        return {
            (row["segment"], row["variant"]): {
                key: float(row[key])
                for key in ("mass_pct", "cm_pct_from_origin", "mean_length_mm")
            }
            for row in csv.DictReader(handle)
            if row["sex"] == sex
        }


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def joint_centres(trial: gaitlab.Trial) -> dict[str, np.ndarray]:
    """gaitlab's conventions 1-9, applied to a read-back trial (male subject)."""
    m = trial.markers
    lasi, rasi, lpsi, rpsi = (m[name] for name in ("LASI", "RASI", "LPSI", "RPSI"))
    z = _unit(rasi - lasi)
    mid_asis, depth = 0.5 * (lasi + rasi), 0.5 * (lasi + rasi - lpsi - rpsi)
    x = _unit(depth - np.sum(depth * z, axis=1, keepdims=True) * z)
    y = np.cross(z, x)
    pw = 1000 * np.linalg.norm(rasi - lasi, axis=1, keepdims=True)
    pd = 1000 * np.linalg.norm(depth, axis=1, keepdims=True)
    leg = 1000 * np.mean(list(trial.subject.leg_length_m.values()))
    hip_x, hip_y = -0.24 * pd - 9.9, -0.16 * pw - 0.04 * leg - 7.1
    hip_z = 0.28 * pd + 0.16 * pw + 7.9
    j: dict[str, np.ndarray] = {}
    for side, sign in (("L", -1.0), ("R", 1.0)):
        j[f"{side}HJC"] = mid_asis + (hip_x * x + hip_y * y + sign * hip_z * z) / 1000
        for marker, centre in (("KNE", "KJC"), ("ANK", "AJC"), ("ELB", "EJC")):
            j[f"{side}{centre}"] = (
                m[f"{side}{marker}"] - sign * 0.5 * WIDTHS[marker] * z
            )
        j[f"{side}WJC"] = 0.5 * (m[f"{side}WRA"] + m[f"{side}WRB"])
        j[f"{side}MET3"] = m[f"{side}FIN"]
    j["MIDH"] = 0.5 * (j["LHJC"] + j["RHJC"])
    axis = _unit(0.5 * (m["LSHO"] + m["RSHO"]) - j["MIDH"])
    width = np.linalg.norm(m["RSHO"] - m["LSHO"], axis=1, keepdims=True)
    for side in "LR":
        j[f"{side}SJC"] = m[f"{side}SHO"] - 0.17 * width * axis
    j["MIDS"] = 0.5 * (j["LSJC"] + j["RSJC"])
    j["HEAD"] = np.mean([m[name] for name in ("LFHD", "RFHD", "LBHD", "RBHD")], 0)
    foot_length = trial.subject.height_m * 258.1 / 1741.0
    for side in "LR":
        heel, toe = m[f"{side}HEE"], m[f"{side}TOE"]
        j[f"{side}HEEL"] = heel
        j[f"{side}TTIP"] = heel + foot_length * _unit(toe - heel)
    return j


def segmental_com(j: dict[str, np.ndarray]) -> np.ndarray:
    """14-segment de Leva COM (male rows; trunk MIDS→MIDH, shank KJC→AJC)."""
    table = _deleva("M")
    parts = [(table[("head", "primary")]["mass_pct"], j["HEAD"])]
    trunk = table[("trunk", "alt_mids")]
    fraction = trunk["cm_pct_from_origin"] / 100
    parts.append((trunk["mass_pct"], j["MIDS"] + fraction * (j["MIDH"] - j["MIDS"])))
    segments = {
        ("upper_arm", "primary"): ("SJC", "EJC"),
        ("forearm", "primary"): ("EJC", "WJC"),
        ("hand", "primary"): ("WJC", "MET3"),
        ("thigh", "primary"): ("HJC", "KJC"),
        ("shank", "alt_ajc"): ("KJC", "AJC"),
        ("foot", "primary"): ("HEEL", "TTIP"),
    }
    for key, (origin, other) in segments.items():
        fraction = table[key]["cm_pct_from_origin"] / 100
        for side in "LR":
            a, b = j[side + origin], j[side + other]
            parts.append((table[key]["mass_pct"], a + fraction * (b - a)))
    return sum(mass * p for mass, p in parts) / sum(mass for mass, _ in parts)


def angle_deg(lower, upper, up, forward) -> np.ndarray:
    v = np.asarray(upper) - np.asarray(lower)
    return np.degrees(np.arctan2(v @ forward, v @ up))


def at_times(values: np.ndarray, frame_time: np.ndarray, times) -> np.ndarray:
    """Linear interpolation of a per-frame series at given times."""
    return np.interp(times, frame_time, values)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("body")


@pytest.fixture(scope="module")
def runs(folder: Path) -> dict:
    """Default posture in two lab frames, read back."""
    out = {}
    for up, forward, treadmill in FRAMES:
        run = make_running_trial(
            folder / f"run_{up}{forward}.c3d",
            n_steps=4,
            up=up,
            forward=forward,
            treadmill=treadmill,
        )
        out[(up, forward)] = (run, read_c3d(run.path))
    return out


@pytest.fixture(scope="module")
def postures(folder: Path) -> dict:
    """(θ, β, FSA) -> run and read-back trial."""
    out = {}
    for theta, beta, fsa in [(8.0, 0.0, -5.0), (0.0, 12.0, 0.0), (4.0, 6.0, 10.0)]:
        run = make_running_trial(
            folder / f"posture_{theta}_{beta}.c3d",
            n_steps=4,
            up="y",
            forward="+z",
            lean_from_ankles_deg=theta,
            bend_at_waist_deg=beta,
            foot_strike_angle_deg=fsa,
            treadmill=False,
        )
        out[(theta, beta, fsa)] = (run, read_c3d(run.path))
    return out


@pytest.fixture(scope="module")
def static(folder: Path):
    made = make_static_trial(folder / "subject_static.c3d", up="y", forward="-x")
    return made, read_c3d(made.path)


# ---- COM: markers -> conventions -> de Leva == SLIP COM


@pytest.mark.parametrize(("up", "forward", "treadmill"), FRAMES)
def test_segmental_com_from_markers_is_the_slip_com(
    runs: dict, up: str, forward: str, treadmill: bool
) -> None:
    run, trial = runs[(up, forward)]
    assert trial.subject.leg_length_m == {"Left": 0.969, "Right": 0.969}
    com = segmental_com(joint_centres(trial))
    # the SLIP run on its own, sampled at the marker frames
    series = simulate_steps(4, 1000.0, SlipParameters())
    slip = series.com_position_m[: 5 * len(com) : 5]
    forward_m, up_m = com @ run.e_forward, com @ run.e_up
    np.testing.assert_allclose(up_m, slip[:, 1], atol=FLOAT32_M)
    np.testing.assert_allclose(com @ np.cross(run.e_forward, run.e_up), 0, atol=1e-6)
    offset = forward_m - slip[:, 0]
    if treadmill:  # the belt carries everything back at 3.5 m/s
        offset += 3.5 * run.frame_time_s
    np.testing.assert_allclose(offset - offset[0], 0.0, atol=FLOAT32_M)
    assert np.abs(com - run.com_m).max() < FLOAT32_M
    assert np.abs(com - run.com_m).max() < 0.5e-3  # the acceptance criterion


@pytest.mark.parametrize(("up", "forward", "treadmill"), FRAMES)
def test_joint_centres_from_markers_are_the_true_ones(
    runs: dict, up: str, forward: str, treadmill: bool
) -> None:
    run, trial = runs[(up, forward)]
    j = joint_centres(trial)
    truth = run.points
    for name, true in [
        ("MIDH", truth.midh),
        ("MIDS", truth.mids),
        ("HEAD", truth.head_com),
        ("LHJC", truth.l_hjc),
        ("RKJC", truth.r_kjc),
        ("LAJC", truth.l_ajc),
        ("RSJC", truth.r_sjc),
        ("LEJC", truth.l_ejc),
        ("RWJC", truth.r_wjc),
        ("LTTIP", truth.l_ttip),
    ]:
        np.testing.assert_allclose(j[name], true, atol=FLOAT32_M, err_msg=name)
    # segment lengths stay de Leva's, scaled to the 1.80 m stature
    table = _deleva("M")
    for (segment, variant), (a, b) in {
        ("thigh", "primary"): ("RHJC", "RKJC"),
        ("shank", "alt_ajc"): ("LKJC", "LAJC"),
        ("upper_arm", "primary"): ("LSJC", "LEJC"),
        ("forearm", "primary"): ("REJC", "RWJC"),
    }.items():
        length = np.linalg.norm(j[b] - j[a], axis=1)
        expected = 1.80 * table[(segment, variant)]["mean_length_mm"] / 1741.0
        np.testing.assert_allclose(length, expected, atol=FLOAT32_M)


def test_true_angles_do_not_depend_on_the_lab_frame(runs: dict) -> None:
    (a, _), (b, _) = runs.values()
    for name in a.angles.__dataclass_fields__:
        np.testing.assert_allclose(
            getattr(a.angles, name), getattr(b.angles, name), atol=1e-9, err_msg=name
        )
    np.testing.assert_array_equal(a.stance_side, b.stance_side)


def test_slip_lean_and_landing_at_touchdown(runs: dict) -> None:
    run, _ = runs[("y", "-x")]
    gait = run.gait
    # METHODS §8.2: the COP is L0·cos(alpha0) = 0.407 m ahead of the COM at touchdown
    np.testing.assert_allclose(run.steps.cop_ahead_of_com_m, 0.407, atol=5e-4)
    td = np.degrees(np.arctan2(gait.touchdown_state[0], gait.touchdown_state[1]))
    lean = run.angles.whole_body_lean_cop_deg
    assert np.nanmin(lean) >= td - 1e-6
    assert np.nanmax(lean) <= -td + 1e-6
    assert td == pytest.approx(-24.0, abs=0.05)
    assert np.all(np.isnan(lean[run.stance_side == ""]))


def test_markers_stay_above_the_floor_and_the_ankle_behind_the_cop(
    runs: dict,
) -> None:
    run, trial = runs[("y", "-x")]
    assert (trial.markers.data @ run.e_up).min() > 0.0
    # overground: the first contact is on the first plate, its COP fixed
    plate = trial.forceplates[0]
    cop = plate.cop[~np.isnan(plate.cop[:, 0])]
    np.testing.assert_allclose(np.ptp(cop, axis=0), 0.0, atol=1e-6)
    # while the foot is flat the ankle is still, cop_ahead_of_ankle_m behind the COP
    frame = run.frame_time_s
    flat = (frame > run.touchdown_s[0] + 0.2 * 0.2356) & (
        frame < run.liftoff_s[0] - 0.3 * 0.2356
    )
    ajc = joint_centres(trial)["RAJC"][flat]
    ahead = (cop[0] - ajc) @ run.e_forward
    np.testing.assert_allclose(ahead, run.cop_ahead_of_ankle_m, atol=FLOAT32_M)
    np.testing.assert_allclose(np.ptp(ajc, axis=0), 0.0, atol=FLOAT32_M)


# ---- posture knobs (METHODS §8.3)


@pytest.mark.parametrize(
    ("theta", "beta", "fsa"), [(8.0, 0.0, -5.0), (0.0, 12.0, 0.0), (4.0, 6.0, 10.0)]
)
def test_posture_knobs_from_markers(
    postures: dict, theta: float, beta: float, fsa: float
) -> None:
    run, trial = postures[(theta, beta, fsa)]
    up, fwd = run.e_up, run.e_forward
    j = joint_centres(trial)
    trunk = angle_deg(j["MIDH"], j["MIDS"], up, fwd)
    np.testing.assert_allclose(trunk, theta + beta, atol=1e-3)

    right = (run.stance_side == "Right")[:, None]
    ajc = np.where(right, j["RAJC"], j["LAJC"])
    hjc = np.where(right, j["RHJC"], j["LHJC"])
    leg = angle_deg(ajc, hjc, up, fwd)
    body = angle_deg(ajc, j["MIDS"], up, fwd)
    midstance = run.steps.midstance_s
    for name, series, expected in [
        ("leg line", leg, theta),
        ("bend index", trunk - leg, beta),
    ]:
        measured = []
        for side, t in zip(run.steps.side, midstance, strict=True):
            stance = run.stance_side == side
            measured.append(at_times(series[stance], run.frame_time_s[stance], t))
        np.testing.assert_allclose(measured, expected, atol=0.05, err_msg=name)
    np.testing.assert_allclose(run.steps.bend_index_deg, beta, atol=1e-9)
    np.testing.assert_allclose(run.steps.leg_line_deg, theta, atol=1e-9)
    if beta == 0.0:  # leaning from the ankles: a straight ankle-hip-shoulder line
        np.testing.assert_allclose(run.steps.body_line_deg, theta, atol=1e-9)
        stance = run.stance_side == "Right"
        assert at_times(
            body[stance], run.frame_time_s[stance], midstance[0]
        ) == pytest.approx(theta, abs=0.05)
    else:  # bending at the waist moves the body line much less than the trunk
        assert theta < run.steps.body_line_deg[0] < theta + 0.6 * beta


@pytest.mark.parametrize(
    ("theta", "beta", "fsa"), [(8.0, 0.0, -5.0), (0.0, 12.0, 0.0), (4.0, 6.0, 10.0)]
)
def test_foot_strike_angle_and_strike_index_from_markers(
    postures: dict, static, theta: float, beta: float, fsa: float
) -> None:
    run, trial = postures[(theta, beta, fsa)]
    up, fwd = run.e_up, run.e_forward
    standing, standing_trial = static
    line = standing_trial.markers["RTOE"][0] - standing_trial.markers["RHEE"][0]
    standing_angle = np.degrees(
        np.arctan2(line @ standing.e_up, line @ standing.e_forward)
    )
    assert standing_angle == pytest.approx(run.standing_foot_angle_deg, abs=1e-4)
    m = trial.markers
    for k, (side, td) in enumerate(
        zip(run.steps.side, run.steps.touchdown_s, strict=True)
    ):
        # the last frame before touchdown (< 5 ms): the pitch is within 0.1° of FSA
        before = np.searchsorted(run.frame_time_s, td) - 1
        heel, toe = m[f"{side[0]}HEE"][before], m[f"{side[0]}TOE"][before]
        angle = np.degrees(np.arctan2((toe - heel) @ up, (toe - heel) @ fwd))
        assert angle - standing_angle == pytest.approx(fsa, abs=0.1)
        # METHODS §6.2 with the COP of this step's plate (overground)
        cop = trial.forceplates[k].cop
        cop = cop[~np.isnan(cop[:, 0])][0]
        index = 100 * (cop - heel) @ fwd / (1.80 * 258.1 / 1741)
        assert index == pytest.approx(run.steps.strike_index_pct[k], abs=0.5)
    assert run.steps.foot_strike_angle_deg == pytest.approx(fsa, abs=1e-9)
    assert 0 < run.steps.strike_index_pct[0] < 100


def test_leaning_from_the_ankles_lands_further_forward(runs: dict, postures) -> None:
    upright, _ = runs[("z", "+x")]
    leaning, _ = postures[(8.0, 0.0, -5.0)]
    bending, _ = postures[(0.0, 12.0, 0.0)]
    assert leaning.cop_ahead_of_ankle_m > bending.cop_ahead_of_ankle_m
    assert bending.cop_ahead_of_ankle_m > upright.cop_ahead_of_ankle_m
    assert leaning.steps.strike_index_pct[0] > 67.0  # forefoot third
    assert 33.0 < upright.steps.strike_index_pct[0] < 67.0  # midfoot third


def test_old_trunk_lean_knob_maps_to_a_waist_bend(folder: Path) -> None:
    run = make_running_trial(
        folder / "old.c3d", n_steps=2, trunk_lean_deg=7.0, lean_from_ankles_deg=2.0
    )
    assert (run.lean_from_ankles_deg, run.bend_at_waist_deg) == (2.0, 5.0)
    np.testing.assert_allclose(run.angles.trunk_lean_deg, 7.0, atol=1e-9)


def test_impossible_postures_are_refused(folder: Path) -> None:
    with pytest.raises(ValueError, match="outside the"):
        make_running_trial(folder / "x.c3d", n_steps=2, lean_from_ankles_deg=20.0)
    with pytest.raises(ValueError, match="below the floor"):
        make_running_trial(folder / "x.c3d", n_steps=2, foot_strike_angle_deg=30.0)


# ---- the standing (static) trial


def test_static_trial_stands_upright(static) -> None:
    made, trial = static
    up, fwd = made.e_up, made.e_forward
    j = joint_centres(trial)
    assert trial.subject.leg_length_m == {"Left": 0.969, "Right": 0.969}
    np.testing.assert_allclose(angle_deg(j["MIDH"], j["MIDS"], up, fwd), 0, atol=1e-3)
    assert made.trunk_lean_deg == pytest.approx(0.0, abs=1e-9)
    c7 = angle_deg(j["MIDH"], trial.markers["C7"], up, fwd)
    np.testing.assert_allclose(c7, made.trunk_lean_c7_deg, atol=1e-3)
    assert made.trunk_lean_c7_deg < -3.0  # C7 lies behind the hips
    for side in "LR":  # straight vertical legs, flat feet on the floor
        for upper in ("HJC", "KJC"):
            np.testing.assert_allclose(
                angle_deg(j[f"{side}AJC"], j[f"{side}{upper}"], up, fwd), 0, atol=1e-3
            )
        line = trial.markers[f"{side}TOE"] - trial.markers[f"{side}HEE"]
        angle = np.degrees(np.arctan2(line @ up, line @ fwd))
        np.testing.assert_allclose(angle, made.foot_angle_deg, atol=1e-4)
        for marker in ("HEE", "TOE"):
            height = trial.markers[f"{side}{marker}"] @ up
            other = trial.markers[f"{'R' if side == 'L' else 'L'}{marker}"] @ up
            np.testing.assert_allclose(height, other, atol=FLOAT32_M)
            assert 0.0 < height.min() < 0.06
    # the leg length written is the standing ASIS-to-ankle distance (to the mm)
    asis_to_ankle = np.linalg.norm(trial.markers["RASI"] - j["RAJC"], axis=1)
    np.testing.assert_allclose(asis_to_ankle, made.leg_length_m, atol=5e-4)
    # one plate under both feet: body weight, COP under the segmental COM
    com = segmental_com(j)
    (plate,) = trial.forceplates
    np.testing.assert_allclose(plate.force @ up, 70.0 * 9.81, rtol=1e-6)
    np.testing.assert_allclose(
        plate.cop[::5] - np.outer(plate.cop[::5] @ up, up),
        com - np.outer(com @ up, up),
        atol=FLOAT32_M,
    )
    np.testing.assert_allclose(com, made.com_m, atol=FLOAT32_M)
    assert 0.55 < made.com_height_m / 1.80 < 0.60  # plausible standing COM height
