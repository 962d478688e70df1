"""Marker labels that no preset lists: common synonyms, case, prefixes, sides.

Issue 9 item 5: ``LHEEL``/``RHEEL``, ``LP1MT``/``RP1MT`` (published running
data sets) were not recognised, and a marker set whose side could not be
found gave events without a side.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from gaitlab import read_c3d
from gaitlab.core.landmarks import SYNONYMS, MarkerMap
from gaitlab.core.trial import MarkerSet, Trial
from gaitlab.synth.running import make_running_trial
from gaitlab.testing import analyse_trial_object

RUNNING_SET = [
    "LASI", "RASI", "LPSI", "RPSI", "LHEEL", "RHEEL", "LP1MT", "RP1MT", "LP5MT",
    "RP5MT", "LLMAL", "RLMAL", "LMMAL", "RMMAL", "LLEPI", "RTOE",
]  # fmt: skip


def renamed(trial: Trial, names: dict[str, str]) -> Trial:
    """The trial with some markers relabelled."""
    markers = trial.markers
    labels = tuple(names.get(label, label) for label in markers.labels)
    return replace(
        trial,
        markers=MarkerSet(markers.data, labels, markers.rate_hz, markers.t0_s),
    )


def test_no_stem_names_two_landmarks() -> None:
    stems = [stem for names in SYNONYMS.values() for stem in names]
    assert len(stems) == len(set(stems))


def test_running_data_set_labels_are_recognised() -> None:
    marker_map = MarkerMap(RUNNING_SET)
    found = marker_map.as_dict()
    assert found["l_heel"] == ["LHEEL"]
    assert found["r_heel"] == ["RHEEL"]
    assert found["l_mt1"] == ["LP1MT"]
    assert found["r_mt5"] == ["RP5MT"]
    assert found["l_ankle"] == ["LLMAL"]
    assert found["r_ankle_medial"] == ["RMMAL"]
    assert found["r_toe"] == ["RTOE"]
    assert marker_map.resolve("l_heel").how == "synonym heel"
    assert "l_heel <- LHEEL (synonym heel)" in marker_map.report()
    assert "l_mt1 <- LP1MT (synonym p1mt)" in marker_map.report()


@pytest.mark.parametrize(
    ("label", "landmark"),
    [
        ("L_Heel", "l_heel"),
        ("left_heel", "l_heel"),
        ("LeftHeel", "l_heel"),
        ("Heel_R", "r_heel"),
        ("heel.left", "l_heel"),
        ("r.heel", "r_heel"),
        ("R_FCC", "r_heel"),
        ("L_FM1", "l_mt1"),
        ("RFLE", "r_knee"),
        ("l_fme", "l_knee_medial"),
        ("R_TAM", "r_ankle_medial"),
        ("LHeelBack", "l_heel"),
        ("RAnkleOut", "r_ankle"),
        ("LForefootIn", "l_mt1"),
        ("WaistRFront", "r_asis"),
        ("WaistLBack", "l_psis"),
    ],
)
def test_case_separators_and_side_positions(label: str, landmark: str) -> None:
    marker_map = MarkerMap([label, "PT01", "PT02"])
    resolution = marker_map.resolve(landmark)
    assert resolution is not None, marker_map.missing_message(landmark)
    assert resolution.labels == (label,)
    other = ("r_" if landmark.startswith("l_") else "l_") + landmark[2:]
    assert marker_map.resolve(other) is None


def test_a_synonym_never_takes_a_label_a_preset_used() -> None:
    """Fukuchi's static MT2 is not the toe: the preset's toe is mean(MT1, MT5)."""
    marker_map = MarkerMap(
        ["L.ASIS", "R.ASIS", "L.PSIS", "R.PSIS", "L.MT1", "L.MT5", "L.MT2"]
    )
    assert marker_map.preset.name == "fukuchi_2017"
    assert marker_map.as_dict()["l_toe"] == ["L.MT1", "L.MT5"]


def test_two_labels_for_one_synonym_are_ambiguous() -> None:
    marker_map = MarkerMap(["L_Heel", "LeftHeel", "PT01"])
    assert marker_map.resolve("l_heel") is None
    assert "ambiguous" in marker_map.missing_message("l_heel")


def test_preset_labels_still_win() -> None:
    """TYPE-3.c3d: RANK is medial, RLMA lateral: the preset's order stays."""
    marker_map = MarkerMap(["RASI", "LASI", "SACR", "RANK", "RLMA", "RHEE", "RTOE"])
    assert marker_map.as_dict()["r_ankle"] == ["RLMA"]


@pytest.fixture(scope="module")
def pig_run(tmp_path_factory: pytest.TempPathFactory) -> Trial:
    run = make_running_trial(tmp_path_factory.mktemp("names") / "run.c3d", n_steps=6)
    return read_c3d(run.path)


def test_renamed_running_markers_give_the_same_sided_events(pig_run: Trial) -> None:
    names = {
        "LHEE": "LHEEL", "RHEE": "RHEEL", "LTOE": "L_Toe", "RTOE": "Toe_R",
        "LASI": "L.ASIS", "RASI": "R.ASIS", "LPSI": "L.PSIS", "RPSI": "R.PSIS",
        "LANK": "LLMAL", "RANK": "RLMAL", "LKNE": "Knee_L", "RKNE": "Knee_R",
    }  # fmt: skip
    original = analyse_trial_object(pig_run, plugins=["gait_events"])["gait_events"]
    moved = analyse_trial_object(renamed(pig_run, names), plugins=["gait_events"])
    events = moved["gait_events"].events
    assert {e.context for e in events} == {"Left", "Right"}
    assert [(e.label, e.context) for e in events] == [
        (e.label, e.context) for e in original.events
    ]
    np.testing.assert_allclose(
        [e.time_s for e in events], [e.time_s for e in original.events], atol=1e-9
    )


def test_a_qualisys_animation_set_gets_sided_events(shared_data: Path) -> None:
    """Capture0002.c3d relabelled the way the Qualisys animation set names markers."""
    trial = read_c3d(
        shared_data / "pyc3dserver_examples/Samples_C3D/Sample26/Capture0002.c3d"
    )
    names = {
        "l_heel": "LHeelBack", "r_heel": "RHeelBack", "l_toe": "LToeTip",
        "r_toe": "RToeTip", "l_ankle": "LAnkleOut", "r_ankle": "RAnkleOut",
        "l_asis": "WaistLFront", "r_asis": "WaistRFront",
        "l_knjntln": "LKneeOut", "r_knjntln": "RKneeOut",
    }  # fmt: skip
    original = analyse_trial_object(trial, plugins=["gait_events"])["gait_events"]
    relabelled = renamed(trial, names)
    marker_map = MarkerMap(relabelled.markers.labels)
    assert marker_map.as_dict()["l_heel"] == ["LHeelBack"]
    assert marker_map.as_dict()["r_asis"] == ["WaistRFront"]
    moved = analyse_trial_object(relabelled, plugins=["gait_events"])["gait_events"]
    assert moved.events
    assert all(e.context in ("Left", "Right") for e in moved.events)
    assert sorted((e.label, e.context) for e in moved.events) == sorted(
        (e.label, e.context) for e in original.events
    )
