"""Canonical landmarks, marker presets and per-trial landmark resolution."""

from __future__ import annotations

import numpy as np
import pytest

from gaitlab import read_c3d
from gaitlab.core.landmarks import (
    LANDMARKS,
    PRESETS,
    MarkerMap,
    Resolution,
    detect_preset,
    normalize_label,
)
from gaitlab.core.trial import MarkerSet

# Label lists copied from the real recordings in shared/data (as read by
# gaitlab.read_c3d), so that detection is tested without the files.
GAIT_PIG = [
    "RKNE", "LKNE", "RTIB", "LTHI", "RTHI", "LTIB", "LTOE", "RANK", "LANK", "RASI",
    "LASI", "RTOE", "SACR", "PELO", "PELP", "PELA", "PELL", "LFEO", "LFEP", "LFEA",
    "LFEL", "LTIO", "LTIP", "LTIA", "LTIL", "LFOO", "LFOP", "LFOA", "LFOL", "LTOO",
    "LTOP", "LTOA", "LTOL", "RFEO", "RFEP", "RFEA", "RFEL", "RTIO", "RTIP", "RTIA",
    "RTIL", "RFOO", "RFOP", "RFOA", "RFOL", "RTOO", "RTOP", "RTOA", "RTOL"
]  # fmt: skip
SHORT_HELEN_HAYES = [
    "THEA", "FHEA", "RHEA", "RSHO", "ROFF", "RELB", "RWRI", "LSHO", "LELB", "LWRI",
    "RASI", "LASI", "VSAC", "RTHI", "RKNE", "RSHA", "RANK", "RHEE", "R.TO", "LTHI",
    "LKNE", "LSHA", "LANK", "LHEE", "L.TO", "RKNE_2", "RANK_2", "LKNE_2", "LANK_2",
    "VMID", "VPEL", "VRHI", "VLHI", "VRKN", "VLKN", "VRAN", "VLAN", "VRKN_2", "VLKN_2",
    "VRAN_2", "VLAN_2", "VMID_2", "VMID_3", "VRHA", "VLHA", "VRTO", "VLTO", "VRTO_2",
    "VLTO_2"
]  # fmt: skip
TYPE_3 = [
    "RASI", "LASI", "RTRC", "LTRC", "RLKN", "LLKN", "RTIB", "LTIB", "RANK", "LANK",
    "RHEE", "LHEE", "RTOE", "LTOE", "SACR", "LMKN", "RMKN", "LTUB", "RTUB", "LLMA",
    "RLMA"
]  # fmt: skip
FUKUCHI_RUN = [
    "L.ASIS", "L.Heel.Bottom", "L.Heel.Lateral", "L.Heel.Top", "L.Iliac.Crest", "L.MT1",
    "L.MT5", "L.PSIS", "L.Shank.Bottom.Lateral", "L.Shank.Bottom.Medial",
    "L.Shank.Top.Lateral", "L.Shank.Top.Medial", "L.Thigh.Bottom.Lateral",
    "L.Thigh.Bottom.Medial", "L.Thigh.Top.Lateral", "L.Thigh.Top.Medial", "R.ASIS",
    "R.ASY", "R.Heel.Bottom", "R.Heel.Lateral", "R.Heel.Top", "R.Iliac.Crest", "R.MT1",
    "R.MT5", "R.PSIS", "R.Shank.Bottom.Lateral", "R.Shank.Bottom.Medial",
    "R.Shank.Top.Lateral", "R.Shank.Top.Medial", "R.Thigh.Bottom.Lateral",
    "R.Thigh.Bottom.Medial", "R.Thigh.Top.Lateral", "R.Thigh.Top.Medial"
]  # fmt: skip
FUKUCHI_STATIC = [
    "L.Ankle", "L.Ankle.Medial", "L.ASIS", "L.GTR", "L.Heel.Bottom", "L.Heel.Lateral",
    "L.Heel.Top", "L.HF", "L.Iliac.Crest", "L.Knee", "L.Knee.Medial", "L.MT1", "L.MT2",
    "L.MT5", "L.PSIS", "L.Shank.Bottom.Lateral", "L.Shank.Bottom.Medial",
    "L.Shank.Top.Lateral", "L.Shank.Top.Medial", "L.Thigh.Bottom.Lateral",
    "L.Thigh.Bottom.Medial", "L.Thigh.Top.Lateral", "L.Thigh.Top.Medial", "L.TT",
    "R.Ankle", "R.Ankle.Medial", "R.ASIS", "R.GTR", "R.Heel.Bottom", "R.Heel.Lateral",
    "R.Heel.Top", "R.HF", "R.Iliac.Crest", "R.Knee", "R.Knee.Medial", "R.MT1", "R.MT2",
    "R.MT5", "R.PSIS", "R.Shank.Bottom.Lateral", "R.Shank.Bottom.Medial",
    "R.Shank.Top.Lateral", "R.Shank.Top.Medial", "R.Thigh.Bottom.Lateral",
    "R.Thigh.Bottom.Medial", "R.Thigh.Top.Lateral", "R.Thigh.Top.Medial", "R.TT"
]  # fmt: skip
OPENSIM_WALKING2 = [
    "RTH1", "RFHD", "RTH3", "LTH2", "LTH3", "LTB1", "LTB2", "LPSI", "LTH1", "RBHD",
    "LFHD", "RPSI", "T10", "LMT2", "LBHD", "C7", "RTB1", "RTB2", "RMT2", "RTB3", "LTB3",
    "RMT1", "RASI", "RTH2", "LASI", "LMT1", "RCAL", "STRN", "CLAV", "LCAL", "RLFC",
    "RMFC", "LLFC", "LMFC", "RMMAL", "RLMAL", "LMMAL", "LLMAL", "LAJC", "LHJC", "LKJC",
    "RAJC", "RHJC", "RKJC"
]  # fmt: skip
CODAMOTION_WANDS = [
    "L.Sac.Wand", "R.Sac.Wand", "L.PSIS", "L.ASIS", "L.Post.Fem.", "L.Ant.Fem.",
    "L.Post.Tib.", "L.Ant.Tib.", "L.Knee", "L.Ankle", "L.Heel", "L.Toe", "R.PSIS",
    "R.ASIS", "R.Post.Fem.", "R.Ant.Fem.", "R.Post.Tib.", "R.Ant.Tib.", "R.Knee",
    "R.Ankle", "R.Heel", "R.Toe", "Marker56",
]  # fmt: skip
QUALISYS_CAPTURE = [
    "r_shoulder", "th12", "r_asis", "r_suppat", "r_knjntln", "r_tubtib", "r_ankle",
    "r_heel", "r_toe", "l_shoulder", "sacrum", "l_asis", "l_suppat", "l_knjntln",
    "l_tubtib", "l_ankle", "l_heel", "l_toe"
]  # fmt: skip
RES16BITS = [
    "RTET", "LTET", "C7", "STER", "PX", "T8", "RACR", "LACR", "RANG", "LANG", "RPRO",
    "LPRO", "RCOU", "LCOU", "RCOU_2", "LCOU_2", "RMAI", "LMAI", "RMAI_2", "LMAI_2",
    "RMC5", "LMC5", "RMC2", "LMC2", "REAS", "LEAS", "REPS", "LEPS", "RCM", "LCM", "RCL",
    "LCL", "RMM", "LMM", "RML", "LML", "RCAL", "LCAL", "RMT1", "LMT1", "RMT5", "LMT5",
    "RHAL", "LHAL"
]  # fmt: skip
EB015 = [
    "RFT1", "RFT2", "RFT3", "LFT1", "LFT2", "LFT3", "RSK1", "RSK2", "RSK3", "RSK4",
    "LSK1", "LSK2", "LSK3", "LSK4", "RTH1", "RTH2", "RTH3", "RTH4", "LTH1", "LTH2",
    "LTH3", "LTH4", "PV1", "PV2", "PV3", "pv4"
]  # fmt: skip

# Canonical names as listed in notes/conventions.md, written out independently.
_SIDED = [
    "head_front", "head_back", "asis", "psis", "iliac_crest", "shoulder", "elbow",
    "elbow_medial", "wrist_radial", "wrist_ulnar", "hand", "trochanter", "thigh",
    "knee", "knee_medial", "tibia", "ankle", "ankle_medial", "heel", "toe", "mt1",
    "mt5", "hallux", "hip_jc", "knee_jc", "ankle_jc"
]  # fmt: skip
CONVENTIONS_LANDMARKS = {f"{s}_{n}" for s in "lr" for n in _SIDED} | {
    "head_top",
    "c7",
    "t10",
    "clavicle",
    "sternum",
    "sacrum",
}


def _markers(trajectories: dict[str, list[list[float]]]) -> MarkerSet:
    labels = tuple(trajectories)
    data = np.stack([np.array(trajectories[label], float) for label in labels], axis=1)
    return MarkerSet(data=data, labels=labels, rate_hz=100.0)


# --- names -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("L.ASIS", "lasis"),
        ("l_asis", "lasis"),
        ("LASI", "lasi"),
        ("R.Heel.Bottom", "rheelbottom"),
        ("RKNE_2", "rkne2"),
        (" C7 ", "c7"),
        ("*16", "16"),
        ("Marker-56", "marker56"),
        ("L.Post.Fem.", "lpostfem"),
    ],
)
def test_normalize_label(label, key):
    assert normalize_label(label) == key


def test_landmarks_are_the_canonical_names_of_the_conventions():
    assert set(LANDMARKS) == CONVENTIONS_LANDMARKS
    assert all(description.strip() for description in LANDMARKS.values())
    assert LANDMARKS["l_asis"].startswith("left ")
    assert LANDMARKS["r_asis"].startswith("right ")


@pytest.mark.parametrize("preset", PRESETS.values(), ids=list(PRESETS))
def test_preset_tables_are_well_formed(preset):
    assert PRESETS[preset.name] is preset
    assert preset.title
    assert preset.description
    assert set(preset.mapping) <= set(LANDMARKS)
    for landmark, candidates in preset.mapping.items():
        assert candidates, landmark
        for candidate in candidates:
            if isinstance(candidate, tuple):
                assert len(candidate) >= 2, (landmark, candidate)
                assert all(isinstance(part, str) and part for part in candidate)
            else:
                assert isinstance(candidate, str)
                assert candidate
    # Every sided landmark is mapped on both sides.
    sided = {name[2:] for name in preset.mapping if name[:2] in ("l_", "r_")}
    for name in sided:
        assert f"l_{name}" in preset.mapping
        assert f"r_{name}" in preset.mapping


@pytest.mark.parametrize("preset", PRESETS.values(), ids=list(PRESETS))
def test_no_candidate_names_two_landmarks_in_a_preset(preset):
    owner: dict[tuple[str, ...], str] = {}
    for landmark, candidates in preset.mapping.items():
        for candidate in candidates:
            parts = (candidate,) if isinstance(candidate, str) else candidate
            key = tuple(normalize_label(part) for part in parts)
            assert owner.setdefault(key, landmark) == landmark, (
                f"{candidate!r} names both {owner[key]} and {landmark}"
            )


def test_left_candidates_name_left_labels():
    for preset in PRESETS.values():
        for landmark, candidates in preset.mapping.items():
            if not landmark.startswith(("l_", "r_")):
                continue
            side = landmark[0]
            for candidate in candidates:
                parts = (candidate,) if isinstance(candidate, str) else candidate
                assert all(normalize_label(part)[0] == side for part in parts), (
                    preset.name,
                    landmark,
                    candidate,
                )


# --- detection -------------------------------------------------------------


@pytest.mark.parametrize(
    ("labels", "name", "n_found"),
    [
        # asis x2, sacrum, thigh x2, knee x2, tibia x2, ankle x2, toe x2
        (GAIT_PIG, "plug_in_gait", 13),
        # head_top, sacrum, + 10 sided: shoulder elbow wrist asis thigh knee
        # tibia (SHA) ankle heel toe (L.TO)
        (SHORT_HELEN_HAYES, "plug_in_gait", 22),
        # sacrum + asis trochanter knee knee_medial tibia ankle heel toe
        (TYPE_3, "plug_in_gait", 17),
        # asis psis iliac_crest heel toe mt1 mt5
        (FUKUCHI_RUN, "fukuchi_2017", 14),
        # all 12 sided landmarks
        (FUKUCHI_STATIC, "fukuchi_2017", 24),
        # 4 trunk + 14 sided landmarks
        (OPENSIM_WALKING2, "opensim_full_body", 32),
        # asis psis knee ankle heel toe
        (CODAMOTION_WANDS, "codamotion", 12),
        # sacrum + shoulder asis knee ankle heel toe
        (QUALISYS_CAPTURE, "qualisys_lower_body", 13),
        # c7 clavicle sternum + 18 sided landmarks
        (RES16BITS, "french_anatomical", 39),
    ],
)
def test_detect_preset_on_real_label_lists(labels, name, n_found):
    match = detect_preset(labels)
    assert match is not None
    assert match.preset.name == name
    assert match.n_found == n_found
    assert match.n_expected == len(PRESETS[name].mapping)
    assert match.score == pytest.approx(n_found / match.n_expected)


@pytest.mark.parametrize(
    "labels",
    [
        [f"PT{i:02d}" for i in range(20)],
        [str(number) for number in range(2000, 2021)],
        EB015,
        [],
        # Two landmarks are not enough.
        ["LASI", "RASI", "FOO"],
    ],
)
def test_detect_preset_none(labels):
    assert detect_preset(labels) is None


def test_detect_prefers_the_set_that_explains_more_landmarks():
    # A running trial with most markers lost: Codamotion resolves 4 of its 12
    # landmarks (33 %), Fukuchi 6 of 24 (25 %) but explains more of the trial.
    labels = ["L.ASIS", "R.ASIS", "L.PSIS", "R.PSIS", "L.Heel.Bottom", "R.Heel.Top"]
    match = detect_preset(labels)
    assert match.preset.name == "fukuchi_2017"
    assert (match.n_found, match.n_expected) == (6, 24)


def test_detect_ignores_ambiguous_labels():
    # "L.ASI"/"l_asi" and "R.ASI"/"r_asi" clash: only SACR and the toes count.
    labels = ["L.ASI", "l_asi", "R.ASI", "r_asi", "SACR", "LTOE", "RTOE"]
    assert detect_preset(labels).n_found == 3
    assert detect_preset([*labels[:4], "SACR", "LTOE"]) is None


# --- MarkerMap -------------------------------------------------------------


def test_marker_map_detects_the_preset_and_resolves_by_normalised_label():
    marker_map = MarkerMap(["lasi", "R.ASI", "sacr", "LTHI"])
    assert marker_map.preset is PRESETS["plug_in_gait"]
    assert marker_map.resolve("l_asis") == Resolution("l_asis", ("lasi",), "label")
    assert marker_map.resolve("r_asis").labels == ("R.ASI",)
    assert marker_map.resolve("sacrum").labels == ("sacr",)
    assert marker_map.resolve("c7") is None


def test_candidates_are_tried_in_order():
    both = MarkerMap(["LASI", "RASI", "SACR", "L.TO", "LTOE"], preset="plug_in_gait")
    assert both.resolve("l_toe").labels == ("LTOE",)
    fallback = MarkerMap(["LASI", "RASI", "SACR", "L.TO"], preset="plug_in_gait")
    assert fallback.resolve("l_toe").labels == ("L.TO",)
    # TYPE-3: the explicit lateral malleolus wins over ANK (medial there).
    type_3 = MarkerMap(TYPE_3)
    assert type_3.resolve("r_ankle").labels == ("RLMA",)
    assert type_3.resolve("r_knee").labels == ("RLKN",)
    heel_top_only = MarkerMap(["L.Heel.Top", "L.ASIS"], preset="fukuchi_2017")
    assert heel_top_only.resolve("l_heel").labels == ("L.Heel.Top",)
    assert heel_top_only.tried("l_heel") == ("L.Heel.Bottom", "L.Heel.Top")


def test_mean_of_labels_and_nan_propagation():
    nan = float("nan")
    markers = _markers(
        {
            "L.MT1": [[0.0, 0.0, 0.0], [1.0, 2.0, 3.0], [nan, nan, nan], [1, 1, 1]],
            "L.MT5": [[2.0, 2.0, 2.0], [3.0, 4.0, 5.0], [1.0, 1.0, 1.0], [3, 1, nan]],
            "L.ASIS": [[9.0, 8.0, 7.0], [nan, nan, nan], [6.0, 5.0, 4.0], [0, 0, 0]],
        }
    )
    marker_map = MarkerMap(markers.labels, preset="fukuchi_2017")
    resolution = marker_map.resolve("l_toe")
    assert resolution.labels == ("L.MT1", "L.MT5")
    assert resolution.how == "mean of L.MT1, L.MT5"
    np.testing.assert_array_equal(
        marker_map.position(markers, "l_toe"),
        [[1.0, 1.0, 1.0], [2.0, 3.0, 4.0], [nan, nan, nan], [2.0, 1.0, nan]],
    )
    asis = marker_map.position(markers, "l_asis")
    np.testing.assert_array_equal(
        asis, [[9.0, 8.0, 7.0], [nan, nan, nan], [6.0, 5.0, 4.0], [0, 0, 0]]
    )
    asis[0] = -1.0  # a copy: the marker data stay untouched
    assert markers["L.ASIS"][0, 0] == 9.0
    assert marker_map.position(markers, "l_knee") is None
    assert marker_map.position(markers, "r_toe") is None


def test_as_dict_lists_resolved_landmarks_with_their_labels():
    marker_map = MarkerMap(FUKUCHI_RUN)
    assert marker_map.as_dict() == {
        "l_asis": ["L.ASIS"],
        "r_asis": ["R.ASIS"],
        "l_psis": ["L.PSIS"],
        "r_psis": ["R.PSIS"],
        "l_iliac_crest": ["L.Iliac.Crest"],
        "r_iliac_crest": ["R.Iliac.Crest"],
        "l_heel": ["L.Heel.Bottom"],
        "r_heel": ["R.Heel.Bottom"],
        "l_toe": ["L.MT1", "L.MT5"],
        "r_toe": ["R.MT1", "R.MT5"],
        "l_mt1": ["L.MT1"],
        "r_mt1": ["R.MT1"],
        "l_mt5": ["L.MT5"],
        "r_mt5": ["R.MT5"],
    }


def test_overrides_win_over_the_preset():
    marker_map = MarkerMap(
        FUKUCHI_STATIC,
        overrides={
            "l_heel": "L.Heel.Top",
            "l_toe": "L.MT2",
            "r_toe": ["R.MT2", "R.MT1"],
            "c7": "L.HF",
        },
    )
    assert marker_map.preset.name == "fukuchi_2017"
    assert marker_map.resolve("l_heel") == Resolution(
        "l_heel", ("L.Heel.Top",), "override"
    )
    assert marker_map.resolve("l_toe").labels == ("L.MT2",)
    assert marker_map.resolve("r_toe") == Resolution(
        "r_toe", ("R.MT2", "R.MT1"), "override"
    )
    assert marker_map.resolve("c7").labels == ("L.HF",)
    assert marker_map.resolve("r_heel").labels == ("R.Heel.Bottom",)  # untouched
    assert marker_map.tried("r_toe") == ("R.MT2+R.MT1",)


def test_an_override_that_is_absent_does_not_fall_back_to_the_preset():
    marker_map = MarkerMap(FUKUCHI_RUN, overrides={"l_toe": "L.MT2"})
    assert marker_map.resolve("l_toe") is None
    assert marker_map.tried("l_toe") == ("L.MT2",)
    assert marker_map.missing_message("l_toe") == (
        "missing landmark l_toe (project override; labels tried: L.MT2)"
    )


def test_overrides_work_without_a_preset():
    labels = ["PT00", "PT01", "PT02"]
    marker_map = MarkerMap(labels, overrides={"sacrum": "pt01"})
    assert marker_map.preset is None
    assert marker_map.resolve("sacrum") == Resolution("sacrum", ("PT01",), "override")
    assert marker_map.resolve("l_asis") is None
    assert marker_map.tried("l_asis") == ()
    assert marker_map.missing_message("l_asis") == (
        "missing landmark l_asis (no marker set recognised and no override for it; "
        "common names tried: LASI, LASIS, LIAS, ...)"
    )


def test_unknown_override_landmark_raises_with_the_valid_names():
    with pytest.raises(ValueError, match="unknown landmark 'l_hell'") as info:
        MarkerMap(FUKUCHI_RUN, overrides={"l_hell": "L.Heel.Top"})
    message = str(info.value)
    assert all(name in message for name in ("l_heel", "c7", "r_ankle_jc"))


@pytest.mark.parametrize("value", ["", [], ["L.MT1", ""]])
def test_empty_override_raises(value):
    with pytest.raises(ValueError, match="override for l_toe"):
        MarkerMap(FUKUCHI_RUN, overrides={"l_toe": value})


def test_unknown_preset_raises_with_the_valid_names():
    with pytest.raises(ValueError, match="unknown preset 'pig'") as info:
        MarkerMap(GAIT_PIG, preset="pig")
    assert all(name in str(info.value) for name in PRESETS)


def test_unknown_landmark_in_queries_raises():
    marker_map = MarkerMap(GAIT_PIG)
    for query in (marker_map.resolve, marker_map.tried, marker_map.missing_message):
        with pytest.raises(ValueError, match="unknown landmark 'left_asis'"):
            query("left_asis")


def test_missing_message_names_the_set_and_the_labels_tried():
    marker_map = MarkerMap(GAIT_PIG)
    assert marker_map.missing_message("l_heel") == (
        "missing landmark l_heel (marker set Vicon Plug-in Gait; labels tried: LHEE; "
        "common names tried: LHEEL, LHEL, LCAL, ...)"
    )
    fukuchi = MarkerMap(FUKUCHI_RUN)
    assert fukuchi.missing_message("c7") == (
        "missing landmark c7 (marker set Fukuchi et al. 2017 running set has no "
        "label for it; common names tried: C7, CV7, VC7)"
    )
    assert fukuchi.missing_message("l_ankle") == (
        "missing landmark l_ankle (marker set Fukuchi et al. 2017 running set; "
        "labels tried: L.Ankle; common names tried: LANK, LLMA, LLMAL, ...)"
    )


def test_missing_message_refuses_a_resolved_landmark():
    with pytest.raises(ValueError, match="l_asis is not missing"):
        MarkerMap(GAIT_PIG).missing_message("l_asis")


def test_ambiguous_normalised_labels_are_not_resolved():
    labels = ["L.ASI", "l_asi", "RASI", "SACR", "Ltoe", "ltoe", "L.TO", "RTOE"]
    marker_map = MarkerMap(labels, preset="plug_in_gait")
    assert marker_map.resolve("l_asis") is None
    assert marker_map.resolve("r_asis").labels == ("RASI",)
    message = marker_map.missing_message("l_asis")
    assert "'LASI' is ambiguous" in message
    assert "'L.ASI' and 'l_asi'" in message
    # The clash on the first toe candidate is not hidden by falling back to L.TO.
    assert marker_map.resolve("l_toe") is None
    assert "'Ltoe' and 'ltoe'" in marker_map.missing_message("l_toe")
    # An override naming one of the clashing labels exactly settles it.
    settled = MarkerMap(labels, preset="plug_in_gait", overrides={"l_asis": "l_asi"})
    assert settled.resolve("l_asis").labels == ("l_asi",)


def test_an_exact_label_settles_a_normalisation_clash():
    marker_map = MarkerMap(["LASI", "L.ASI", "RASI", "SACR"], preset="plug_in_gait")
    assert marker_map.resolve("l_asis").labels == ("LASI",)


# --- real recordings -------------------------------------------------------

RBDS = "pfjrf-methods/data/RBDS001"


@pytest.mark.parametrize(
    ("path", "name"),
    [
        (f"{RBDS}/RBDS001runT25.c3d", "fukuchi_2017"),
        (f"{RBDS}/RBDS001static.c3d", "fukuchi_2017"),
        ("opensim-core/walking2.c3d", "opensim_full_body"),
        ("c3dio/tests/c3d_org_samples/sample_03/gait-pig.c3d", "plug_in_gait"),
        (
            "pyc3dserver_examples/Samples_C3D/Sample00/Codamotion/"
            "codamotion_gaitwands_20150204.c3d",
            "codamotion",
        ),
        (
            "pyc3dserver_examples/Samples_C3D/Sample26/Capture0002.c3d",
            "qualisys_lower_body",
        ),
        ("BTKData/others/Res16bits.c3d", "french_anatomical"),
    ],
)
def test_detect_preset_on_real_files(shared_data, path, name):
    labels = read_c3d(shared_data / path).markers.labels
    assert detect_preset(labels).preset.name == name


def _assert_position_follows_markers(markers, marker_map, landmark):
    position = marker_map.position(markers, landmark)
    labels = marker_map.resolve(landmark).labels
    raw = np.stack([markers.data[:, markers.labels.index(label)] for label in labels])
    present = np.all(np.isfinite(raw), axis=(0, 2))
    assert position.shape == (markers.n_frames, 3)
    assert present.mean() > 0.25, landmark
    assert np.all(np.isfinite(position[present]))
    assert np.all(np.isnan(position[~present]))
    np.testing.assert_allclose(position[present], raw.mean(axis=0)[present])


def test_fukuchi_running_and_static_trials(shared_data):
    running = read_c3d(shared_data / RBDS / "RBDS001runT25.c3d").markers
    marker_map = MarkerMap(running.labels)
    for landmark in ("l_asis", "r_asis", "l_psis", "r_psis", "l_heel", "l_toe"):
        _assert_position_follows_markers(running, marker_map, landmark)
    assert marker_map.resolve("l_toe").labels == ("L.MT1", "L.MT5")
    # The running trial has no knee or ankle markers; the static trial has.
    assert marker_map.resolve("l_ankle") is None
    assert marker_map.resolve("l_knee") is None
    static = read_c3d(shared_data / RBDS / "RBDS001static.c3d").markers
    static_map = MarkerMap(static.labels)
    for landmark in ("l_ankle", "l_ankle_medial", "l_knee", "r_trochanter", "l_toe"):
        _assert_position_follows_markers(static, static_map, landmark)
    assert static_map.resolve("l_toe").labels == ("L.MT1", "L.MT5")


def test_opensim_walking2(shared_data):
    markers = read_c3d(shared_data / "opensim-core/walking2.c3d").markers
    marker_map = MarkerMap(markers.labels)
    expected = {
        "c7": "C7",
        "clavicle": "CLAV",
        "l_head_front": "LFHD",
        "l_heel": "LCAL",
        "l_mt1": "LMT1",
        "l_toe": "LMT2",
        "l_hip_jc": "LHJC",
    }
    for landmark, label in expected.items():
        assert marker_map.resolve(landmark).labels == (label,)
        _assert_position_follows_markers(markers, marker_map, landmark)
