"""Every real recording in ../shared/data imports or is refused clearly.

Regression facts from shared/data/README.md and METHODS §1.9, the six
processor encodings, the TYPE-2/TYPE-4 pairs, COP inside the plates, and an
independent cross-check of the plate computation against ezc3d's own.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from gaitlab.core.errors import C3DReadError
from gaitlab.core.trial import Trial
from gaitlab.io.c3d import read_c3d, read_c3d_in_process
from gaitlab.io.workers import WorkerPool

#: Files that must be refused, and a word the reason must contain.
REFUSED = {
    "BTKData/others/Empty.c3d": "empty",
    "c3dio/examples/simple.c3d": "processor",
    "BTKData/c3d.org/sample18/bad_parameter_section.c3d": "parameter section",
}

_CACHE: dict[Path, Trial] = {}


def _read(shared_data: Path, name: str) -> Trial:
    path = shared_data / name
    if path not in _CACHE:
        _CACHE[path] = read_c3d_in_process(path)
    return _CACHE[path]


def _all_files(shared_data: Path) -> list[Path]:
    return sorted(p for p in shared_data.rglob("*") if p.suffix.lower() == ".c3d")


def test_every_file_imports_or_is_refused_with_a_reason(shared_data: Path) -> None:
    files = _all_files(shared_data)
    assert len(files) >= 40
    pool = WorkerPool(n_workers=2)
    outcomes = {
        o.key: o
        for o in pool.imap_unordered(
            read_c3d_in_process, [(p, (p,), 30.0) for p in files]
        )
    }
    pool.close()
    for path in files:
        name = path.relative_to(shared_data).as_posix()
        outcome = outcomes[path]
        if name in REFUSED:
            assert isinstance(outcome.error, C3DReadError), name
            assert str(path) in str(outcome.error)
            assert REFUSED[name] in outcome.error.reason
        else:
            assert outcome.error is None, f"{name}: {outcome.error}"
            assert isinstance(outcome.value, Trial)


def test_read_c3d_refuses_a_bad_file_without_harm(shared_data: Path) -> None:
    with pytest.raises(C3DReadError, match="parameter section"):
        read_c3d(shared_data / "BTKData/c3d.org/sample18/bad_parameter_section.c3d")
    trial = read_c3d(shared_data / "c3dio/examples/short.c3d")
    assert trial.markers.data.shape == (151, 49, 3)


@pytest.mark.parametrize(
    "group",
    [
        [
            f"BTKData/c3d.org/sample01/Eb015{x}.c3d"
            for x in ("pr", "pi", "vr", "vi", "sr", "si")
        ],
        [
            f"BTKData/c3d.org/sample02/{x}"
            for x in (
                "pc_real.c3d",
                "pc_int.c3d",
                "Dec_real.c3d",
                "DEC_INT.C3D",
                "sgi_real.c3d",
                "sgi_int.c3d",
            )
        ],
    ],
    ids=["sample01", "sample02"],
)
def test_six_processor_encodings_agree(shared_data: Path, group: list[str]) -> None:
    """Intel, DEC and SGI/MIPS, float and integer: same values (integer: one step)."""
    trials = [_read(shared_data, name) for name in group]
    reference = trials[0]
    assert {t.source.processor for t in trials} == {"Intel", "DEC", "SGI/MIPS"}
    assert {t.source.storage for t in trials} == {"float", "integer"}
    assert any(
        t.source.reader.startswith("c3d") for t in trials
    )  # SGI via the c3d package
    for name, trial in zip(group, trials, strict=True):
        step_m = (
            1e-7 if trial.source.storage == "float" else 0.3e-3
        )  # POINT:SCALE 0.28 mm
        assert trial.markers.labels == reference.markers.labels, name
        np.testing.assert_array_equal(
            np.isnan(trial.markers.data), np.isnan(reference.markers.data)
        )
        np.testing.assert_allclose(
            trial.markers.data, reference.markers.data, atol=step_m, err_msg=name
        )
        np.testing.assert_allclose(
            trial.analogs.data, reference.analogs.data, atol=1e-9, err_msg=name
        )
        for plate, ref_plate in zip(
            trial.forceplates, reference.forceplates, strict=True
        ):
            np.testing.assert_allclose(plate.force, ref_plate.force, atol=1e-9)
            np.testing.assert_allclose(plate.cop, ref_plate.cop, atol=1e-9)


@pytest.mark.parametrize(
    ("type2", "type4", "cop_tolerance_m"),
    [
        (
            "BTKData/c3d.org/sample10/TYPE-2.C3D",
            "BTKData/c3d.org/sample10/TYPE-4.C3D",
            0.025,
        ),
        (
            "BTKData/c3d.org/sample10/type-2a.c3d",
            "BTKData/c3d.org/sample10/type-4a.c3d",
            0.005,
        ),
    ],
)
def test_type2_and_type4_descriptions_agree(
    shared_data: Path, type2: str, type4: str, cop_tolerance_m: float
) -> None:
    """The same recording described as TYPE 2 and as TYPE 4 (CAL_MATRIX).

    The TYPE-2 versions were made with a diagonal calibration (a least-squares
    fit of their channels on the TYPE-4 volts gives an exactly diagonal
    matrix), the TYPE-4 versions carry the full matrix with cross-talk, and
    the Vicon pair's sensitivities differ (forces up to 5 %, moments up to
    23 %: 602.8 vs 741.9 N·mm/V). So the two agree to 2 % of the peak force,
    and in COP to 5 mm (Motion Analysis pair) and 25 mm (Vicon pair).
    """
    a, b = _read(shared_data, type2), _read(shared_data, type4)
    assert [p.plate_type for p in a.forceplates] == [2] * len(a.forceplates)
    assert [p.plate_type for p in b.forceplates] == [4] * len(b.forceplates)
    for pa, pb in zip(a.forceplates, b.forceplates, strict=True):
        peak = np.abs(pa.force).max()
        np.testing.assert_allclose(pa.force, pb.force, atol=0.02 * peak)
        both = np.isfinite(pa.cop[:, 0]) & np.isfinite(pb.cop[:, 0])
        vertical = pa.force @ a.up_axis
        firm = both & (vertical > 200.0)
        assert firm.sum() > 100
        assert np.abs(pa.cop[firm] - pb.cop[firm]).max() < cop_tolerance_m


#: Known contact-edge excursions: (file, plate index) -> the force [N] below
#: which the COP may still lie outside the outline. In these files a few
#: samples just above T_cop = 50 N, at the first or last instants of a
#: contact, put the COP outside: type-2a/4a plate 1, the first 6 samples of a
#: heel strike (61-140 N, up to 135 mm out); walking2 plate 2, one sample at
#: ~55 N (20 mm); the Fukuchi treadmill, 2 samples in each of T25 (up to
#: 81 N) and T45 (120-161 N), where the moment noise in flight is 7.5-9 N·m
#: (COP uncertainty ~ noise / force = 50-150 mm). Everywhere else, and above
#: these forces, the COP is inside.
EDGE_EXCURSIONS = {
    ("BTKData/c3d.org/sample10/type-2a.c3d", 0): 150.0,
    ("BTKData/c3d.org/sample10/type-4a.c3d", 0): 150.0,
    ("opensim-core/walking2.c3d", 1): 100.0,
    ("pfjrf-methods/data/RBDS001/RBDS001runT25.c3d", 0): 100.0,
    ("pfjrf-methods/data/RBDS001/RBDS001runT45.c3d", 0): 180.0,
}


def test_cop_inside_plate_outline(shared_data: Path) -> None:
    """COP within ±10 mm of the outline wherever GRF_up > T_cop (METHODS §1.10.3)."""
    checked = 0
    for path in _all_files(shared_data):
        name = path.relative_to(shared_data).as_posix()
        if name in REFUSED:
            continue
        trial = _read(shared_data, name)
        for k, plate in enumerate(trial.forceplates):
            outside = _distance_outside(plate) > 0.010
            vertical = plate.force @ trial.up_axis
            limit = EDGE_EXCURSIONS.get((name, k))
            if limit is None:
                assert not outside.any(), (
                    f"{name} plate {k + 1}: COP {outside.sum()} samples outside"
                )
            else:
                assert outside.any()
                assert vertical[outside].max() < limit
            checked += 1
    assert checked >= 60


def _distance_outside(plate: object) -> np.ndarray:
    corners, cop = plate.corners, plate.cop  # type: ignore[attr-defined]
    e_x = (corners[0] - corners[1]) / np.linalg.norm(corners[0] - corners[1])
    e_y = corners[0] - corners[3]
    e_y -= (e_y @ e_x) * e_x
    e_y /= np.linalg.norm(e_y)
    half_x = np.linalg.norm(corners[0] - corners[1]) / 2
    half_y = np.linalg.norm(corners[0] - corners[3]) / 2
    d = cop - corners.mean(axis=0)
    with np.errstate(invalid="ignore"):
        out = np.maximum(np.abs(d @ e_x) - half_x, np.abs(d @ e_y) - half_y)
    return np.nan_to_num(out, nan=-1.0)


@pytest.mark.parametrize(
    ("name", "up"),
    [
        ("pfjrf-methods/data/RBDS001/RBDS001runT25.c3d", (0, 1, 0)),
        ("pfjrf-methods/data/RBDS001/RBDS001static.c3d", (0, 1, 0)),
        ("c3dio/examples/short.c3d", (0, 0, 1)),
        ("opensim-core/walking2.c3d", (0, 0, 1)),
        ("BTKData/c3d.org/sample24/MotionMonitorC3D.c3d", (0, 1, 0)),
        ("pyc3dserver_examples/Samples_C3D/Sample26/Capture0002.c3d", (0, 0, 1)),
    ],
)
def test_vertical_axis_is_detected(
    shared_data: Path, name: str, up: tuple[int, int, int]
) -> None:
    np.testing.assert_array_equal(_read(shared_data, name).up_axis, up)


def test_fukuchi_treadmill_facts(shared_data: Path) -> None:
    """METHODS §1.9: TYPE 4, ORIGIN (-243, 900, -15) mm, 150/300 Hz, Y-up, +X forward."""
    trial = _read(shared_data, "pfjrf-methods/data/RBDS001/RBDS001runT25.c3d")
    plate = trial.forceplates[0]
    assert plate.plate_type == 4
    assert trial.markers.rate_hz == 150.0
    assert plate.rate_hz == 300.0
    assert plate.sign == +1  # ANALOG:SCALE = -1 already gives the reaction
    extent = np.ptp(plate.corners, axis=0)
    np.testing.assert_allclose(sorted(extent)[1:], [0.486, 1.800], atol=1e-3)
    vertical = plate.force @ trial.up_axis
    assert 1300 < vertical.max() < 1500  # ~2.3 BW for 62 kg
    # §8.6: on a treadmill the mean GRF over the trial is ~ body weight
    assert np.mean(vertical) / 9.81 == pytest.approx(60.6, abs=1.5)
    forward = plate.force[:, 0]
    assert abs(np.mean(forward)) < 10.0  # mean AP GRF ~ 0 on a treadmill (+2.4 N)
    # exact zeros are missing samples (L.ASIS, METHODS §7)
    assert np.isnan(trial.markers["L.ASIS"]).any()


def test_origin_repair_is_reported(shared_data: Path) -> None:
    trial = _read(shared_data, "BTKData/c3d.org/sample02/pc_real.c3d")
    assert all(
        any("ORIGIN z was positive" in n for n in p.notes) for p in trial.forceplates
    )
    kistler = _read(
        shared_data, "pyc3dserver_examples/Samples_C3D/Sample26/Capture0002.c3d"
    )
    note = next(n for n in kistler.forceplates[0].notes if "ORIGIN" in n)
    assert "(120.0, 200.0, -48.0)" in note  # TYPE 3: z flipped, a and b kept


@pytest.mark.parametrize(
    "name",
    [
        "pfjrf-methods/data/RBDS001/RBDS001runT25.c3d",
        "c3dio/tests/c3d_org_samples/sample_00/Motion Analysis Corporation/Sample_Jump2.c3d",
        "c3dio/tests/c3d_org_samples/sample_03/gait-pig.c3d",
        "c3dio/tests/c3d_org_samples/sample_14/sample14.c3d",
        "pyc3dserver_examples/Samples_C3D/Sample00/Codamotion/codamotion_gaitwands_20150204.c3d",
    ],
)
def test_forces_match_ezc3d_where_no_baseline_applies(
    shared_data: Path, name: str
) -> None:
    """ezc3d's own TYPE 2/4 computation, with gaitlab's §1.6 sign, as a cross-check."""
    import ezc3d

    trial = _read(shared_data, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = ezc3d.c3d(str(shared_data / name), extract_forceplat_data=True)
    for k, plate in enumerate(trial.forceplates):
        if any(n.startswith("baseline removed") for n in plate.notes):
            continue
        platform = reference["data"]["platform"][k]
        np.testing.assert_allclose(
            plate.sign * platform["force"].T, plate.force, atol=1e-6
        )
        loaded = np.isfinite(plate.cop[:, 0])
        cop_m = platform["center_of_pressure"].T[loaded] * 1e-3
        np.testing.assert_allclose(cop_m, plate.cop[loaded], atol=1e-9)


def test_prefixes_blank_labels_and_model_outputs(shared_data: Path) -> None:
    pig = _read(shared_data, "c3dio/tests/c3d_org_samples/sample_03/gait-pig.c3d")
    assert "RKNE" in pig.markers.labels
    assert pig.markers.prefixes[pig.markers.labels.index("RKNE")] == "A22"
    assert pig.points is not None
    assert "angle" in pig.points.kinds
    assert not set(pig.points.labels) & set(pig.markers.labels)
    assert len(pig.events) == 9
    assert {e.context for e in pig.events} <= {"Left", "Right"}
    blank = _read(shared_data, "BTKData/c3d.org/sample24/MotionMonitorC3D.c3d")
    assert any(label.startswith("unlabeled") for label in blank.markers.labels)
    golf = _read(shared_data, "c3dio/tests/c3d_org_samples/sample_16/golf.c3d")
    assert np.isnan(golf.markers.data).all()
    assert any("invalid" in w for w in golf.warnings)


def test_files_without_analog_samples_keep_their_markers(shared_data: Path) -> None:
    trial = _read(shared_data, "BTKData/c3d.org/sample28/type1.C3D")
    assert trial.forceplates == ()
    assert trial.markers.data.shape[1] == 28
    assert any("no analog samples" in w for w in trial.warnings)


def test_saturated_plate_channels_are_flagged(shared_data: Path) -> None:
    trial = _read(shared_data, "BTKData/c3d.org/sample21/sample21.c3d")
    assert any("saturated" in w for w in trial.warnings)


def test_files_ezc3d_rejects_open_with_the_second_reader(
    shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When ezc3d raises on a file (e.g. a mistyped parameter), the c3d package reads it."""
    from gaitlab.io import _raw

    def rejecting_ezc3d(path: Path, processor: str) -> None:
        raise RuntimeError("Parameter type mismatch")

    monkeypatch.setattr(_raw, "_read_with_ezc3d", rejecting_ezc3d)
    monkeypatch.setattr(_raw, "_read_with_numpy", lambda path, checked: None)
    trial = read_c3d_in_process(shared_data / "c3dio/examples/short.c3d")
    reference = _read(shared_data, "c3dio/examples/short.c3d")
    assert trial.source.reader.startswith("c3d")
    assert any(
        "ezc3d could not read the file (Parameter type mismatch)" in w
        for w in trial.warnings
    )
    np.testing.assert_allclose(trial.markers.data, reference.markers.data, atol=1e-4)
    np.testing.assert_allclose(
        trial.forceplates[0].force, reference.forceplates[0].force, atol=1e-6
    )
