"""Trial export: TRC / MOT / ExternalLoads for OpenSim, MAT, C3D written back.

Round trips on the bundled demo trials imported into a temporary project:
``demo_overground_run`` (Y up, running -X, 4 TYPE 2 plates, one per step,
Right first) and ``demo_treadmill_run`` (Z up, running +X, one TYPE 4 plate
under both feet). The TRC and MOT parsers are written here, from OpenSim's
file layout, so the test does not trust the writer's idea of the format.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import c3d as c3d_package
import ezc3d
import numpy as np
import pytest
from scipy.io import loadmat

from gaitlab.core.trial import AnalogSet, Event, MarkerSet, Trial
from gaitlab.io.c3d import read_c3d
from gaitlab.io.c3d_writer import write_c3d
from gaitlab.io.export_trial import (
    COM_MARKER,
    TrialExportError,
    opensim_frame,
    write_c3d_back,
)
from gaitlab.pipeline.runner import run_pipeline
from gaitlab.pipeline.trial_export import export_trial
from gaitlab.store.project import Project, create_project

DEMO = Path(__file__).resolve().parents[2] / "data"
OVERGROUND = "demo_overground_run"
TREADMILL = "demo_treadmill_run"
PEAK_VERTICAL_GRF_N = 1612.0  # data/README.md: every running trial

# the overground lab: Y up, running -X, so OpenSim X = -X, Y = Y, Z = X × Y = -Z
OVERGROUND_ROTATION = np.array([[-1.0, 0, 0], [0, 1, 0], [0, 0, -1]])
# the treadmill lab: Z up, running +X, so OpenSim X = X, Y = Z, Z = X × Z = -Y
TREADMILL_ROTATION = np.array([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]])
ROTATIONS = {OVERGROUND: OVERGROUND_ROTATION, TREADMILL: TREADMILL_ROTATION}


def _isolated_env(mp: pytest.MonkeyPatch, base: Path) -> None:
    for name in ("DATA", "CONFIG", "STATE", "CACHE"):
        mp.setenv(f"XDG_{name}_HOME", str(base / "user-folders" / name.lower()))
    mp.delenv("GAITLAB_PLUGIN_PATH", raising=False)


def _import(folder: Path, files: list[Path]) -> Project:
    project = create_project(folder)
    events = list(project.import_files(files, workers=1))
    refused = [(e.path, e.message) for e in events if e.kind == "refused"]
    assert not refused
    return project


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    """Both demo runs imported and analysed by the built-in pipeline."""
    base = tmp_path_factory.mktemp("export_trial")
    with pytest.MonkeyPatch.context() as mp:
        _isolated_env(mp, base)
        project = _import(
            base / "project", [DEMO / f"{OVERGROUND}.c3d", DEMO / f"{TREADMILL}.c3d"]
        )
        for _ in run_pipeline(project, workers=1):
            pass
        yield project


@pytest.fixture(scope="module")
def not_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    """The overground demo run imported, the pipeline never run."""
    base = tmp_path_factory.mktemp("export_trial_not_run")
    with pytest.MonkeyPatch.context() as mp:
        _isolated_env(mp, base)
        yield _import(base / "project", [DEMO / f"{OVERGROUND}.c3d"])


# ----------------------------------------------------------------- parsers


def parse_trc(path: Path) -> dict:
    """OpenSim TRC: 5 header lines, a blank line, then Frame#, Time, X Y Z per marker."""
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[0].split("\t")[:3] == ["PathFileType", "4", "(X/Y/Z)"]
    keys = lines[1].split("\t")
    values = dict(zip(keys, lines[2].split("\t"), strict=True))
    labels = [name for name in lines[3].split("\t")[2:] if name]
    coords = lines[4].split("\t")[2:]
    assert coords == [f"{a}{i}" for i in range(1, len(labels) + 1) for a in "XYZ"]
    assert lines[5] == ""
    rows = [line.split("\t") for line in lines[6:] if line]
    table = np.array(
        [[float(v) if v else np.nan for v in row] for row in rows], dtype=float
    )
    return {
        "rate": float(values["DataRate"]),
        "n_frames": int(values["NumFrames"]),
        "n_markers": int(values["NumMarkers"]),
        "units": values["Units"],
        "frame": table[:, 0],
        "time": table[:, 1],
        "labels": labels,
        "data": table[:, 2:].reshape(len(rows), len(labels), 3),
    }


def parse_mot(path: Path) -> tuple[dict[str, str], dict[str, np.ndarray]]:
    """OpenSim storage: ``key=value`` header up to ``endheader``, then a table."""
    lines = path.read_text(encoding="utf-8").split("\n")
    end = lines.index("endheader")
    header = dict(line.split("=", 1) for line in lines[1:end] if "=" in line)
    names = lines[end + 1].split("\t")
    table = np.array([line.split("\t") for line in lines[end + 2 :] if line], float)
    assert table.shape == (int(header["nRows"]), int(header["nColumns"]))
    return header, {name: table[:, i] for i, name in enumerate(names)}


def parse_external_loads(path: Path) -> tuple[list[dict[str, str]], str, str]:
    """ExternalForce entries, the datafile, and the document's comments."""
    text = path.read_text(encoding="utf-8")
    root = ET.fromstring(text)
    loads = root.find("ExternalLoads")
    forces = [
        {"name": f.get("name"), **{child.tag: child.text for child in f}}
        for f in loads.find("objects")
    ]
    comments = " ".join(re.findall(r"<!--(.*?)-->", text, re.S))
    return forces, loads.findtext("datafile"), comments


def _cell(values: object) -> list[str]:
    """A loaded cell array of char as strings (empty char loads as an empty array)."""
    return [v if isinstance(v, str) else "" for v in np.atleast_1d(values).tolist()]


def _columns(table: dict[str, np.ndarray], number: int, kind: str) -> np.ndarray:
    """Force (``v``), point (``p``) or torque (``t``) columns of one set, (n, 3)."""
    stem = {"v": "ground_force_v", "p": "ground_force_p", "t": "ground_torque_"}[kind]
    return np.column_stack([table[f"{number}_{stem}{a}"] for a in "xyz"])


# ------------------------------------------------------------------- frames


@pytest.mark.parametrize("trial_id", [OVERGROUND, TREADMILL])
def test_opensim_axes_found_from_the_lab_up_axis_and_progression(
    analysed: Project, tmp_path: Path, trial_id: str
) -> None:
    """X along the progression, Y up, Z = X × Y: a proper rotation, known per lab."""
    trial = analysed.load_trial(trial_id)
    expected = ROTATIONS[trial_id]
    assert np.linalg.det(expected) == pytest.approx(1.0)
    assert np.allclose(trial.up_axis, expected[1])
    frame = opensim_frame(trial.up_axis, expected[0] + 0.3 * expected[1])
    assert np.allclose(frame.rotation, expected)


# -------------------------------------------------------------------- TRC


@pytest.mark.parametrize(("trial_id", "units"), [(OVERGROUND, "mm"), (TREADMILL, "m")])
def test_trc_parsed_back_equals_the_rotated_markers(
    analysed: Project, tmp_path: Path, trial_id: str, units: str
) -> None:
    paths, notes = export_trial(analysed, trial_id, "trc", tmp_path, units=units)
    assert [p.name for p in paths] == [f"{trial_id}.trc"]
    assert any("progression" in note for note in notes)
    trc = parse_trc(paths[0])
    trial = analysed.load_trial(trial_id)
    markers = trial.markers
    scale = 1000.0 if units == "mm" else 1.0
    assert trc["units"] == units
    assert trc["rate"] == markers.rate_hz
    assert (trc["n_frames"], trc["n_markers"]) == markers.data.shape[:2]
    assert trc["labels"] == list(markers.labels)
    assert np.array_equal(trc["frame"], np.arange(1, markers.n_frames + 1))
    assert np.allclose(trc["time"], markers.time, rtol=0, atol=1e-12)
    expected = markers.data @ ROTATIONS[trial_id].T * scale
    assert np.array_equal(np.isnan(trc["data"]), np.isnan(expected))
    assert np.allclose(trc["data"], expected, rtol=1e-9, atol=1e-9, equal_nan=True)


def test_trc_of_the_overground_run_turns_minus_x_into_forward(
    analysed: Project, tmp_path: Path
) -> None:
    """Running -X in the lab: the pelvis moves towards +X in OpenSim's axes."""
    (path,), _ = export_trial(analysed, OVERGROUND, "trc", tmp_path)
    trc = parse_trc(path)
    sacrum = 0.5 * (
        trc["data"][:, trc["labels"].index("LPSI")]
        + trc["data"][:, trc["labels"].index("RPSI")]
    )
    travelled = sacrum[-1] - sacrum[0]
    assert travelled[0] > 1000.0  # mm, forward
    assert abs(travelled[1]) < 100.0
    assert abs(travelled[2]) < 100.0
    right = trc["data"][:, trc["labels"].index("RASI"), 2]
    left = trc["data"][:, trc["labels"].index("LASI"), 2]
    assert np.all(right > left)  # Z points to the runner's right


# ------------------------------------------------------------- MOT and XML


@pytest.mark.parametrize("trial_id", [OVERGROUND, TREADMILL])
def test_mot_parsed_back_equals_the_rotated_plates(
    analysed: Project, tmp_path: Path, trial_id: str
) -> None:
    paths, _ = export_trial(analysed, trial_id, "mot", tmp_path)
    assert [p.name for p in paths] == [
        f"{trial_id}_grf.mot",
        f"{trial_id}_ExternalLoads.xml",
    ]
    header, table = parse_mot(paths[0])
    assert header["inDegrees"] == "no"
    trial = analysed.load_trial(trial_id)
    rotation = ROTATIONS[trial_id]
    forces, _, _ = parse_external_loads(paths[1])
    sets_of_plate: dict[int, list[int]] = {}
    for force in forces:
        number = int(force["force_identifier"].split("_")[0])
        plate = int(re.match(r"plate(\d+)", force["name"]).group(1))
        sets_of_plate.setdefault(plate, []).append(number)
    assert sorted(sets_of_plate) == list(range(1, len(trial.forceplates) + 1))
    for k, plate in enumerate(trial.forceplates, start=1):
        assert np.allclose(table["time"], plate.time, rtol=0, atol=1e-12)
        numbers = sets_of_plate[k]
        force = sum(_columns(table, n, "v") for n in numbers)
        cop = sum(_columns(table, n, "p") for n in numbers)
        torque = sum(_columns(table, n, "t") for n in numbers)
        defined = np.isfinite(plate.cop[:, 0])
        assert defined.sum() > 100
        expected_force = plate.force @ rotation.T
        assert np.allclose(
            force[defined], expected_force[defined], rtol=1e-9, atol=1e-6
        )
        assert np.allclose(cop[defined], plate.cop[defined] @ rotation.T, atol=1e-9)
        assert np.allclose(torque[defined, 1], plate.free_moment[defined], atol=1e-6)
        assert np.all(torque[:, [0, 2]] == 0.0)
        assert np.all(force[~defined] == 0.0)
        assert np.all(cop[~defined] == 0.0)
        # the vertical is OpenSim's Y; the demo runner's peak is 1612 N
        assert force[:, 1].max() == pytest.approx(PEAK_VERTICAL_GRF_N, rel=0.01)


def test_external_loads_ties_each_plate_to_the_foot_on_it(
    analysed: Project, tmp_path: Path
) -> None:
    """Overground: one step per plate, Right first (data/README.md)."""
    paths, notes = export_trial(analysed, OVERGROUND, "mot", tmp_path)
    forces, datafile, comments = parse_external_loads(paths[1])
    assert datafile == paths[0].name
    assert [f["applied_to_body"] for f in forces] == [
        "calcn_r",
        "calcn_l",
        "calcn_r",
        "calcn_l",
    ]
    _, table = parse_mot(paths[0])
    for number, force in enumerate(forces, start=1):
        assert force["force_identifier"] == f"{number}_ground_force_v"
        assert force["point_identifier"] == f"{number}_ground_force_p"
        assert force["torque_identifier"] == f"{number}_ground_torque_"
        assert force["force_expressed_in_body"] == "ground"
        assert force["point_expressed_in_body"] == "ground"
        for a in "xyz":
            assert f"{number}_ground_force_v{a}" in table
            assert f"{number}_ground_torque_{a}" in table
    assert "gait_events" in comments
    assert any("gait_events" in n for n in notes)


def test_treadmill_plate_is_split_between_the_feet(
    analysed: Project, tmp_path: Path
) -> None:
    """One plate under both feet: a column set per foot, each holding its contacts."""
    paths, _ = export_trial(analysed, TREADMILL, "mot", tmp_path)
    forces, _, _ = parse_external_loads(paths[1])
    assert [(f["name"], f["applied_to_body"]) for f in forces] == [
        ("plate1_right", "calcn_r"),
        ("plate1_left", "calcn_l"),
    ]
    _, table = parse_mot(paths[0])
    contacts = {
        side: [
            (strike.time_s, off.time_s)
            for strike, off in zip(
                [e for e in events if e.label == "Foot Strike"],
                [e for e in events if e.label == "Foot Off"],
                strict=False,
            )
        ]
        for side, events in (
            (
                s,
                [
                    e
                    for e in analysed.load_results(TREADMILL)["gait_events"].events
                    if e.context == s
                ],
            )
            for s in ("Right", "Left")
        )
    }
    for number, side in ((1, "Right"), (2, "Left")):
        vertical = table[f"{number}_ground_force_vy"]
        other = "Left" if side == "Right" else "Right"
        for ic, to in contacts[other]:  # mid-contact of the other foot: nothing here
            middle = np.argmin(np.abs(table["time"] - 0.5 * (ic + to)))
            assert vertical[middle] == 0.0
        for ic, to in contacts[side]:
            middle = np.argmin(np.abs(table["time"] - 0.5 * (ic + to)))
            assert vertical[middle] > 1000.0


def test_external_loads_without_the_pipeline_says_so(
    not_run: Project, tmp_path: Path
) -> None:
    """Not run: the feet come from the file's events and the comment says so."""
    paths, notes = export_trial(not_run, OVERGROUND, "mot", tmp_path)
    forces, _, comments = parse_external_loads(paths[1])
    assert "pipeline has not run" in comments
    assert any("pipeline has not run" in note for note in notes)
    assert [f["applied_to_body"] for f in forces] == [
        "calcn_r",
        "calcn_l",
        "calcn_r",
        "calcn_l",
    ]


# -------------------------------------------------------------------- MAT


def test_mat_loaded_back_matches_the_trial_and_its_metrics(
    analysed: Project, tmp_path: Path
) -> None:
    (path,), _ = export_trial(analysed, OVERGROUND, "mat", tmp_path)
    mat = loadmat(str(path), simplify_cells=True)
    trial = analysed.load_trial(OVERGROUND)
    markers = mat["markers"]
    assert markers["units"] == "m"
    assert markers["rate_hz"] == 200.0
    assert list(markers["labels"]) == list(trial.markers.labels)
    assert np.array_equal(markers["values"], trial.markers.data, equal_nan=True)
    analogs = mat["analogs"]
    assert list(analogs["labels"]) == list(trial.analogs.labels)
    assert list(analogs["units"]) == list(trial.analogs.units)
    assert np.array_equal(analogs["values"], trial.analogs.data)
    assert analogs["rate_hz"] == 1000.0
    assert len(mat["forceplates"]) == 4
    for k, plate in enumerate(trial.forceplates, start=1):
        stored = mat["forceplates"][f"plate{k}"]
        for name in ("force", "moment", "cop", "free_moment", "corners"):
            assert np.array_equal(stored[name], getattr(plate, name), equal_nan=True)
    events = mat["events"]
    assert np.array_equal(events["time_s"], [e.time_s for e in trial.events])
    assert list(events["label"]) == [e.label for e in trial.events]
    assert list(events["context"]) == [e.context for e in trial.events]
    assert mat["subject"]["mass_kg"] == 70.0
    assert mat["subject"]["height_m"] == 1.8
    assert mat["info"]["trial_id"] == OVERGROUND
    assert np.array_equal(mat["info"]["up_axis"], [0.0, 1.0, 0.0])
    results = analysed.load_results(OVERGROUND)
    assert set(mat["results"]) == set(results)
    for plugin, result in results.items():
        stored = mat["results"][plugin]
        assert stored["status"] == result.status
        assert stored["freshness"] == "fresh"
        metrics = stored["metrics"]
        names = _cell(metrics["name"]) if result.metrics else []
        assert names == [m.name for m in result.metrics]
        if result.metrics:
            values = np.atleast_1d(metrics["value"])
            assert np.array_equal(
                values, [m.value for m in result.metrics], equal_nan=True
            )
            steps = np.atleast_1d(metrics["step"])
            expected = [np.nan if m.step is None else m.step for m in result.metrics]
            assert np.array_equal(steps, expected, equal_nan=True)
            assert _cell(metrics["side"]) == [m.side for m in result.metrics]
            assert _cell(metrics["unit"]) == [m.unit for m in result.metrics]
    com = results["center_of_mass"].series["com"]
    stored = mat["results"]["center_of_mass"]["series"]["com"]
    assert np.array_equal(stored["values"], com.values, equal_nan=True)
    assert stored["unit"] == "m"


def test_mat_markers_in_millimetres(analysed: Project, tmp_path: Path) -> None:
    (path,), _ = export_trial(analysed, TREADMILL, "mat", tmp_path, units="mm")
    mat = loadmat(str(path), simplify_cells=True)
    trial = analysed.load_trial(TREADMILL)
    assert mat["markers"]["units"] == "mm"
    assert np.allclose(
        mat["markers"]["values"], 1000.0 * trial.markers.data, equal_nan=True
    )


# -------------------------------------------------------------------- C3D


@pytest.fixture(scope="module")
def edited_c3d(
    analysed: Project, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, list[Event]]:
    """The overground run written back after an event was moved and one added."""
    original = analysed.load_trial(OVERGROUND).events
    edited = [
        replace(e, time_s=e.time_s + 0.01, origin="user") if i == 2 else e
        for i, e in enumerate(original)
    ] + [Event(0.5, "Marker Swap", "General", "user")]
    analysed.set_events(OVERGROUND, edited)
    try:
        folder = tmp_path_factory.mktemp("c3d_out")
        (path,), notes = export_trial(analysed, OVERGROUND, "c3d", folder)
    finally:
        analysed.clear_events(OVERGROUND)
    # the results predate the edit: exported as stored, with a warning
    (stale,) = notes
    assert "out of date" in stale
    assert "gait_events" in stale
    assert "center_of_mass" in stale
    return path, sorted(edited, key=lambda e: e.time_s)


def test_c3d_reimported_equals_the_original_but_the_edits(
    analysed: Project,
    edited_c3d: tuple[Path, list[Event]],
    tmp_path: Path,
) -> None:
    path, edited = edited_c3d
    with pytest.MonkeyPatch.context() as mp:
        _isolated_env(mp, tmp_path)
        again = _import(tmp_path / "again", [path])
        back = again.load_trial(again.trial_ids[0])
    original = analysed.load_trial(OVERGROUND)
    # markers: the original ones, then the COM virtual marker
    assert back.markers.labels == (*original.markers.labels, COM_MARKER)
    assert back.markers.rate_hz == original.markers.rate_hz
    assert back.markers.t0_s == original.markers.t0_s
    assert np.array_equal(
        back.markers.data[:, :-1], original.markers.data, equal_nan=True
    )
    com = analysed.load_results(OVERGROUND)["center_of_mass"].series["com"].values
    # float32 in the file: ~2.4e-7 m at 4 m from the origin
    assert np.allclose(back.markers.data[:, -1], com, rtol=0, atol=1e-6)
    # analog channels, plates and what was computed from them: unchanged
    assert back.analogs.labels == original.analogs.labels
    assert back.analogs.units == original.analogs.units
    assert np.array_equal(back.analogs.data, original.analogs.data)
    assert len(back.forceplates) == len(original.forceplates) == 4
    for new, old in zip(back.forceplates, original.forceplates, strict=True):
        assert new.plate_type == old.plate_type
        assert new.sign == old.sign
        assert np.array_equal(new.corners, old.corners)
        assert np.array_equal(new.force, old.force)
        assert np.array_equal(new.moment, old.moment)
        assert np.array_equal(new.cop, old.cop, equal_nan=True)
        assert new.notes == old.notes
    assert np.array_equal(back.up_axis, original.up_axis)
    # the edited events, not the file's
    assert [(e.label, e.context) for e in back.events] == [
        (e.label, e.context) for e in edited
    ]
    assert np.allclose([e.time_s for e in back.events], [e.time_s for e in edited])
    assert [(e.label, e.context) for e in back.events] != [
        (e.label, e.context) for e in original.events
    ]
    # subject and the rest of PROCESSING
    assert (back.subject.mass_kg, back.subject.height_m) == (70.0, 1.8)
    assert back.subject.leg_length_m == original.subject.leg_length_m
    assert back.subject.extra == original.subject.extra
    assert back.subject.sex == "M"
    assert back.warnings == original.warnings


def test_c3d_written_back_is_readable_by_ezc3d_and_the_c3d_package(
    analysed: Project, edited_c3d: tuple[Path, list[Event]]
) -> None:
    path, edited = edited_c3d
    original = analysed.load_trial(OVERGROUND, c3d_parameters=True)
    by_ezc3d = ezc3d.c3d(str(path))
    labels = by_ezc3d["parameters"]["POINT"]["LABELS"]["value"]
    assert labels[-1] == COM_MARKER
    assert len(labels) == 35
    assert by_ezc3d["parameters"]["EVENT"]["USED"]["value"][0] == len(edited)
    tree = json.loads(original.meta["c3d_parameters"])
    fp = by_ezc3d["parameters"]["FORCE_PLATFORM"]
    assert np.array_equal(
        np.asarray(fp["CORNERS"]["value"]),
        np.asarray(tree["FORCE_PLATFORM"]["CORNERS"]),
    )
    with path.open("rb") as handle:
        reader = c3d_package.Reader(handle)
        frames = list(reader.read_frames())
    assert len(frames) == original.markers.n_frames
    assert reader.point_labels[-1].strip() == COM_MARKER
    _, points, analog = frames[0]
    assert points.shape == (35, 5)
    assert analog.shape == (24, 5)


def test_c3d_without_com_result_says_so(not_run: Project, tmp_path: Path) -> None:
    (path,), notes = export_trial(not_run, OVERGROUND, "c3d", tmp_path)
    assert any("no COM marker" in note for note in notes)
    back = read_c3d(path)
    assert COM_MARKER not in back.markers.labels
    assert back.events == not_run.load_trial(OVERGROUND).events


# ------------------------------------------------------------------ errors


def test_unknown_format_and_unused_units_are_refused(
    analysed: Project, tmp_path: Path
) -> None:
    with pytest.raises(TrialExportError, match="unknown trial export format 'xlsx'"):
        export_trial(analysed, OVERGROUND, "xlsx", tmp_path)
    with pytest.raises(TrialExportError, match="trc and mat only"):
        export_trial(analysed, OVERGROUND, "mot", tmp_path, units="mm")
    with pytest.raises(KeyError, match="no trial 'nope'"):
        export_trial(analysed, "nope", "trc", tmp_path)


def test_output_folder_created(analysed: Project, tmp_path: Path) -> None:
    folder = tmp_path / "a" / "b"
    (path,), _ = export_trial(analysed, OVERGROUND, "trc", folder)
    assert path.parent == folder
    assert path.is_file()


def test_mot_of_a_trial_without_plates_is_refused(tmp_path: Path) -> None:
    source = write_c3d(
        tmp_path / "markers_only.c3d",
        markers=np.random.default_rng(0).normal(0.5, 0.01, (50, 2, 3)),
        marker_labels=["A", "B"],
        point_rate_hz=100.0,
    )
    with pytest.MonkeyPatch.context() as mp:
        _isolated_env(mp, tmp_path)
        project = _import(tmp_path / "project", [source])
    with pytest.raises(TrialExportError, match="has no force plates"):
        export_trial(project, project.trial_ids[0], "mot", tmp_path / "out")


def test_c3d_write_back_keeps_prefixes_model_outputs_and_first_frame(
    tmp_path: Path,
) -> None:
    """A capture starting at frame 100 (t0 = 1 s), prefixed labels, a model angle."""
    rng = np.random.default_rng(1)
    markers = rng.normal(0.5, 0.01, (60, 3, 3))
    markers[10:15, 1] = np.nan  # a gap
    angles_deg = rng.normal(30.0, 5.0, (60, 1, 3))
    angles_deg[:3] = np.nan
    source = write_c3d(
        tmp_path / "model.c3d",
        markers=np.concatenate([markers, angles_deg / 1000.0], axis=1),
        marker_labels=["S1:LASI", "S1:RASI", "S1:SACR", "S1:LKneeAngles"],
        point_rate_hz=100.0,
        events=[("Foot Strike", "Left", 1.25), ("Foot Off", "Left", 1.45)],
        subject_name="S1",
        mass_kg=60.0,
        extra_parameters={
            "POINT": {"ANGLES": ["S1:LKneeAngles"], "ANGLE_UNITS": ["deg"]},
            "SUBJECTS": {"USES_PREFIXES": np.array([1]), "LABEL_PREFIXES": ["S1:"]},
            "TRIAL": {"CAMERA_RATE": np.array([100.0])},
        },
        first_frame=100,
    )
    with pytest.MonkeyPatch.context() as mp:
        _isolated_env(mp, tmp_path)
        project = _import(tmp_path / "project", [source])
    trial_id = project.trial_ids[0]
    original = project.load_trial(trial_id)
    assert original.markers.t0_s == 1.0  # the writer's first_frame reached the file
    (path,), notes = export_trial(project, trial_id, "c3d", tmp_path / "out")
    assert any("no COM marker" in note for note in notes)
    back = read_c3d(path)
    assert back.markers.labels == original.markers.labels == ("LASI", "RASI", "SACR")
    assert back.markers.prefixes == ("S1",) * 3
    assert back.markers.t0_s == 1.0
    assert np.array_equal(back.markers.data, original.markers.data, equal_nan=True)
    assert back.points is not None
    assert back.points.labels == ("LKneeAngles",)
    assert back.points.kinds == ("angle",)
    assert back.points.units == ("deg",)
    assert np.allclose(
        back.points.data, original.points.data, rtol=1e-6, equal_nan=True
    )
    assert [(e.label, e.context) for e in back.events] == [
        ("Foot Strike", "Left"),
        ("Foot Off", "Left"),
    ]
    assert np.allclose([e.time_s for e in back.events], [1.25, 1.45])
    parameters = json.loads(
        project.load_trial(trial_id, c3d_parameters=True).meta["c3d_parameters"]
    )
    written = ezc3d.c3d(str(path))["parameters"]
    assert written["TRIAL"]["CAMERA_RATE"]["value"][0] == 100.0
    assert parameters["TRIAL"]["CAMERA_RATE"] == [100.0]
    assert written["SUBJECTS"]["USES_PREFIXES"]["value"][0] == 1


def test_c3d_of_a_trial_without_markers_is_refused_clearly(tmp_path: Path) -> None:
    empty = Trial(
        markers=MarkerSet(np.zeros((0, 0, 3)), (), 100.0),
        analogs=AnalogSet(np.zeros((0, 0)), (), (), 0.0),
        label="empty",
    )
    with pytest.raises(TrialExportError, match="'empty' cannot be written as C3D"):
        write_c3d_back(tmp_path / "empty.c3d", empty)


@pytest.mark.parametrize(("stored", "written"), [("Millimeters", "mm"), ("m", "m")])
def test_c3d_written_back_in_the_original_length_unit(
    tmp_path: Path, stored: str, written: str
) -> None:
    markers = np.random.default_rng(2).normal(0.5, 0.01, (20, 1, 3))
    trial = Trial(
        markers=MarkerSet(markers, ("A",), 100.0, original_unit=stored),
        analogs=AnalogSet(np.zeros((0, 0)), (), (), 0.0),
        label="unit",
    )
    path, _ = write_c3d_back(tmp_path / "unit.c3d", trial)
    back = read_c3d(path)
    assert back.markers.original_unit == written
    assert np.allclose(back.markers.data, markers, rtol=1e-6)


def test_c3d_in_centimetres_is_refused(tmp_path: Path) -> None:
    trial = Trial(
        markers=MarkerSet(np.zeros((5, 1, 3)), ("A",), 100.0, original_unit="cm"),
        analogs=AnalogSet(np.zeros((0, 0)), (), (), 0.0),
        label="cm",
    )
    with pytest.raises(TrialExportError, match="stored points in 'cm'; only mm and m"):
        write_c3d_back(tmp_path / "cm.c3d", trial)
