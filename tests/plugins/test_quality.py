"""The quality plugin: a clean synthetic runner passes, damaged data are flagged.

The synthetic runner (METHODS §8.2 SLIP) has exact forces: its mean vertical GRF
over whole strides is exactly m·g, its mean AP force zero, its COP on the plate
and its free moment zero. Each damage below is made to the loaded trial, and the
expected value is worked out from the damage itself.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from gaitlab.core.results import USABLE_STATUSES, Result
from gaitlab.core.trial import Trial
from gaitlab.io.c3d import read_c3d
from gaitlab.pipeline.discovery import discover
from gaitlab.pipeline.runner import call_plugin
from gaitlab.pipeline.view import TrialView
from gaitlab.synth.running import SyntheticRun, make_running_trial
from gaitlab.testing import analyse_file, analyse_trial_object

SPEC = discover().get("quality")
G = 9.81
EVENTS = {"gait_events": {"threshold_n": 1.0, "noise_factor": 0.0}}
RBDS = Path("pfjrf-methods/data/RBDS001")
JUMP = Path("c3dio/tests/c3d_org_samples/sample_00/Motion Analysis Corporation")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SyntheticRun]:
    folder = tmp_path_factory.mktemp("quality")
    return {
        "treadmill": make_running_trial(folder / "treadmill.c3d"),
        "overground": make_running_trial(
            folder / "overground.c3d", treadmill=False, up="y", forward="-x"
        ),
    }


def quality_of(trial: Trial, params: dict | None = None) -> Result:
    results = analyse_trial_object(trial, plugins=["quality"], params=params or EVENTS)
    result = results["quality"]
    assert result.status in USABLE_STATUSES, result.message
    return result


def metric(result: Result, name: str):
    (found,) = [m for m in result.metrics if m.name == name]
    return found


def warnings(result: Result) -> dict[str, str]:
    return {m.name: m.message for m in result.metrics if m.status == "warning"}


def with_plate(trial: Trial, **changes) -> Trial:
    """The trial with its (first) force plate's arrays changed."""
    plate = trial.forceplates[0]
    trial.forceplates = (dataclasses.replace(plate, **changes), *trial.forceplates[1:])
    return trial


@pytest.mark.parametrize("kind", ["treadmill", "overground"])
def test_a_clean_runner_gives_no_warning(
    runs: dict[str, SyntheticRun], kind: str
) -> None:
    result = quality_of(read_c3d(runs[kind].path))
    assert warnings(result) == {}
    # treadmill: whole strides; overground: the vertical impulse of each plate
    # contact over m·g·step time; both exactly 1 for the SLIP
    assert metric(result, "mean_vertical_grf_ratio").value == pytest.approx(1, abs=2e-3)
    assert metric(result, "cop_outside_plate").value == 0.0
    assert metric(result, "max_free_moment").value == pytest.approx(0.0, abs=1e-3)
    for name in ("contacts_implausible", "peak_below_running", "unclean_contacts"):
        assert metric(result, name).value == 0.0
    assert metric(result, "progression_consistent").value == 1.0
    assert metric(result, "landmark_missing").value == 0.0
    # the SLIP brakes and propels equally (overground: every step is on a plate,
    # so whole strides exist there too)
    assert abs(metric(result, "mean_ap_grf").value) < 0.5


@pytest.mark.parametrize("kind", ["treadmill", "overground"])
def test_a_wrong_recorded_mass_is_flagged(
    runs: dict[str, SyntheticRun], kind: str
) -> None:
    """Written with 70 kg, recorded as 80 kg: the ratio is 70/80."""
    trial = read_c3d(runs[kind].path)
    trial.subject.mass_kg = 80.0
    result = quality_of(trial)
    ratio = metric(result, "mean_vertical_grf_ratio")
    assert ratio.value == pytest.approx(70.0 / 80.0, abs=2e-3)
    assert ratio.status == "warning"
    assert "recorded mass 80.0 kg" in ratio.message
    assert set(warnings(result)) == {"mean_vertical_grf_ratio"}


def test_overground_with_few_plates_uses_the_step_impulse(
    runs: dict[str, SyntheticRun],
) -> None:
    """Only the plates of steps 3 and 4 kept: the other contacts come from the
    markers, so there are no whole strides on plates. The vertical impulse of a
    SLIP contact is exactly m·g·T_step; the step times come from neighbouring
    kinematic events (a few ms off), hence ±1 %."""
    trial = read_c3d(runs["overground"].path)
    trial.forceplates = trial.forceplates[2:4]
    trial.subject.mass_kg = 80.0
    ratio = metric(quality_of(trial), "mean_vertical_grf_ratio")
    assert ratio.value == pytest.approx(70.0 / 80.0, rel=0.01)
    assert "impulse" in ratio.message


def test_a_plate_offset_is_flagged(runs: dict[str, SyntheticRun]) -> None:
    """+40 N on the vertical channel: mean vertical GRF = m·g + 40 N.

    Events with a 100 N threshold: its hysteresis exit (50 N) must lie above the
    offset for the flights to be seen."""
    run = runs["treadmill"]
    trial = read_c3d(run.path)
    plate = trial.forceplates[0]
    trial = with_plate(trial, force=plate.force + 40.0 * run.e_up)
    params = {"gait_events": {"threshold_n": 100.0, "noise_factor": 0.0}}
    ratio = metric(quality_of(trial, params), "mean_vertical_grf_ratio")
    assert ratio.value == pytest.approx(1.0 + 40.0 / (70.0 * G), abs=2e-3)
    assert ratio.status == "warning"


def test_a_displaced_cop_and_a_large_free_moment_are_flagged(
    runs: dict[str, SyntheticRun],
) -> None:
    """COP moved 0.5 m sideways (the belt is 0.6 m wide, the COP within 0.1 m of
    its midline) and a 15 N·m free moment during every contact."""
    run = runs["treadmill"]
    trial = read_c3d(run.path)
    plate = trial.forceplates[0]
    loaded = np.isfinite(plate.cop[:, 0])
    trial = with_plate(
        trial,
        cop=plate.cop + 0.5 * np.cross(run.e_forward, run.e_up),
        free_moment=np.where(loaded, 15.0, np.nan),
    )
    result = quality_of(trial)
    assert metric(result, "cop_outside_plate").value == pytest.approx(100.0)
    # a 50 Hz low-pass of a 15 N·m plateau lasting 0.23 s: the plateau survives
    assert metric(result, "max_free_moment").value == pytest.approx(15.0, rel=0.05)
    assert {"cop_outside_plate", "max_free_moment"} <= set(warnings(result))


def test_implausible_contacts_are_listed(runs: dict[str, SyntheticRun]) -> None:
    """Contact 3 lasts 0.5 s (overlapping the next one), contact 5 is dropped."""
    run = runs["treadmill"]
    contacts = [
        (side, ic, to + (0.5 - (to - ic) if k == 2 else 0.0))
        for k, (side, ic, to) in enumerate(
            zip(run.sides, run.touchdown_s, run.liftoff_s, strict=True)
        )
        if k != 4
    ]
    events = Result()
    for side, ic, to in contacts:
        events.add_event(ic, "Foot Strike", side)
        events.add_event(to, "Foot Off", side)
    view = TrialView(read_c3d(run.path), results={"gait_events": events})
    result = call_plugin(SPEC, view, SPEC.defaults)
    implausible = metric(result, "contacts_implausible")
    # contact 3: 0.5 s and a negative flight; contact 4: its next contact is the
    # same foot (the dropped contact 5 was the other foot)
    assert implausible.value == 2.0
    assert implausible.status == "warning"
    assert "step 3 (Right" in implausible.message
    assert "contact time 0.500 s" in implausible.message
    assert "same foot" in implausible.message


def test_a_jump_gives_contact_warnings(shared_data: Path) -> None:
    """Sample_Jump2 (a two-footed jump): both feet land together."""
    results = analyse_file(shared_data / JUMP / "Sample_Jump2.c3d", plugins=["quality"])
    result = results["quality"]
    assert result.status == "partial", result.message
    assert result.left_out["mean_vertical_grf_ratio"].startswith(
        "no recorded subject mass"
    )
    assert not {m.name for m in result.metrics} & set(result.left_out)
    implausible = metric(result, "contacts_implausible")
    assert implausible.value >= 1
    assert implausible.status == "warning"
    assert "steps/min" in implausible.message


def test_rbds001_treadmill_run(shared_data: Path) -> None:
    """RBDS001runT25 with its recorded 62 kg (RBDSinfo.txt): the ratio is the
    force-derived mass over 62 kg, within the ±3 % band; one missing L.ASIS
    frame in 4500 is the only marker gap (METHODS §7)."""
    trial = read_c3d(shared_data / RBDS / "RBDS001runT25.c3d")
    trial.subject.mass_kg = 62.0
    results = analyse_trial_object(
        trial,
        plugins=["quality"],
        params={"gait_events": {"threshold_n": 50.0, "noise_factor": 0.0}},
    )
    result = results["quality"]
    derived = results["body_mass"].metric_values("body_mass")[0]
    ratio = metric(result, "mean_vertical_grf_ratio")
    assert ratio.value == pytest.approx(derived / 62.0, abs=1e-3)
    assert ratio.status == "ok"
    assert metric(result, "contacts_implausible").value == 0.0
    assert metric(result, "peak_below_running").value == 0.0
    assert abs(metric(result, "mean_ap_grf").value) < 0.02 * 62.0 * G
    markers = trial.markers.data
    missing = ~np.all(np.isfinite(markers[:, trial.markers.labels.index("L.ASIS")]), 1)
    assert metric(result, "landmark_missing").value == pytest.approx(
        100.0 * missing.mean()
    )
    assert metric(result, "cop_outside_plate").value < 1.0
