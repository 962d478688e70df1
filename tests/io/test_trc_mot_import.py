"""OpenSim files in (issue 13 item 2): a TRC with the MOT beside it is a trial."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest

import gaitlab
from gaitlab.api import contacts_from_events
from gaitlab.core.errors import C3DReadError
from gaitlab.io.readers import find_readable_files, read_trial, reader_for
from gaitlab.pipeline.runner import run_pipeline
from gaitlab.pipeline.trial_export import export_trial

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The demo overground run (Y up, running -X) analysed from its C3D file,
    then exported as TRC (mm) + MOT, and both imported into new projects."""
    folder = tmp_path_factory.mktemp("opensim")
    original = gaitlab.create_project(folder / "c3d.gaitlab")
    list(original.import_files([DATA / "demo_overground_run.c3d"], subject="s"))
    list(run_pipeline(original))
    out = folder / "files"
    export_trial(original, "demo_overground_run", "trc", out)
    export_trial(original, "demo_overground_run", "mot", out)
    again = gaitlab.create_project(folder / "trc.gaitlab")
    events = list(again.import_files([out], subject="s"))
    assert [e.kind for e in events if e.path] == ["imported"], events
    # a TRC carries no subject data: the researcher enters the mass
    mass = original.load_trial("demo_overground_run").subject.mass_kg
    again.set_subject(dataclasses.replace(again.subjects["s"], mass_kg=mass))
    list(run_pipeline(again))
    return original.path, again.path


def test_a_trc_with_its_mot_is_one_trial_in_si_units(exported) -> None:
    original, again = (gaitlab.open_project(p) for p in exported)
    a = original.load_trial("demo_overground_run")
    b = again.load_trial(again.trial_ids[0])
    assert b.markers.labels == a.markers.labels
    assert b.markers.rate_hz == a.markers.rate_hz
    assert len(b.forceplates) == len(a.forceplates)
    # the OpenSim frame is the new lab frame: Y up
    np.testing.assert_array_equal(b.up_axis, [0.0, 1.0, 0.0])
    # marker distances survive the rotation and 10-digit text (mm): 1e-6 m
    pairs = np.linalg.norm(a.markers.data[:, 0] - a.markers.data[:, 5], axis=1)
    again_pairs = np.linalg.norm(b.markers.data[:, 0] - b.markers.data[:, 5], axis=1)
    np.testing.assert_allclose(again_pairs, pairs, atol=1e-6)
    # force magnitudes and vertical components, sample for sample
    for pa, pb in zip(a.forceplates, b.forceplates, strict=True):
        np.testing.assert_allclose(
            np.linalg.norm(pb.force, axis=1)[pb.force @ b.up_axis > 50],
            np.linalg.norm(pa.force, axis=1)[pa.force @ a.up_axis > 50],
            rtol=1e-6,
        )
    assert any("force plates from" in w for w in b.warnings)


def test_the_analyses_give_the_same_steps_from_the_opensim_files(exported) -> None:
    original, again = (gaitlab.open_project(p) for p in exported)
    first = original.load_results("demo_overground_run")["gait_events"]
    second = again.load_results(again.trial_ids[0])["gait_events"]
    a = contacts_from_events(first.events)
    b = contacts_from_events(second.events)
    assert [c.side for c in b] == [c.side for c in a]
    # within one marker frame: the MOT holds 0 N where the plate's COP is
    # undefined (below its threshold), so the force's rise from the unloaded
    # level is cut and the events are timed ~2 ms later than from the C3D
    frame = 1 / original.load_trial("demo_overground_run").markers.rate_hz
    np.testing.assert_allclose([c.ic_s for c in b], [c.ic_s for c in a], atol=frame)
    np.testing.assert_allclose([c.to_s for c in b], [c.to_s for c in a], atol=frame)
    np.testing.assert_array_equal(
        second.metric_values("contact_clean"), first.metric_values("contact_clean")
    )
    braking = [
        r.load_results(t)["braking"].metric_values("braking_impulse")
        for r, t in ((original, "demo_overground_run"), (again, again.trial_ids[0]))
    ]
    # 0.2 %: the MOT's force is 0 below the COP threshold and IC ~2 ms later
    np.testing.assert_allclose(braking[1], braking[0], rtol=5e-3)


def test_a_trc_without_a_mot_is_markers_only(tmp_path: Path, exported) -> None:
    source = next((exported[1].parent / "files").glob("*.trc"))
    trc = shutil.copy(source, tmp_path / "alone.trc")
    trial = read_trial(Path(trc))
    assert trial.forceplates == ()
    assert any("markers only" in w for w in trial.warnings)
    np.testing.assert_array_equal(trial.up_axis, [0.0, 1.0, 0.0])  # from the spread


def test_a_folder_of_pairs_imports_the_trc_files_only(exported) -> None:
    folder = exported[1].parent / "files"
    assert [p.suffix for p in find_readable_files([folder])] == [".trc"]
    assert reader_for("x.TRC").name == "trc"


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda t: t.replace("PathFileType", "Nothing", 1), "not a TRC file"),
        (lambda t: t.replace("\tmm\t", "\tfurlong\t", 1), "unknown length unit"),
        (lambda t: t.rsplit("\n", 3)[0] + "\n1\t0.1\tabc\n", "not a number"),
        (
            lambda t: t.rsplit("\n", 2)[0] + "\n" + "\t".join(["1"] * 400) + "\n",
            "fields",
        ),
    ],
)
def test_a_malformed_trc_is_refused_naming_the_file(
    tmp_path: Path, exported, edit, problem
) -> None:
    source = next((exported[1].parent / "files").glob("*.trc"))
    bad = tmp_path / "bad.trc"
    bad.write_text(edit(source.read_text()))
    with pytest.raises(C3DReadError, match=problem) as error:
        read_trial(bad)
    assert "bad.trc" in str(error.value)


def test_a_malformed_mot_is_refused_naming_it(tmp_path: Path, exported) -> None:
    files = exported[1].parent / "files"
    trc = shutil.copy(next(files.glob("*.trc")), tmp_path / "run.trc")
    mot = next(files.glob("*.mot")).read_text().splitlines()
    (tmp_path / "run_grf.mot").write_text("\n".join([*mot[:-1], "1 2 3"]) + "\n")
    with pytest.raises(C3DReadError, match="values") as error:
        read_trial(Path(trc))
    assert "run_grf.mot" in str(error.value)


def test_metres_and_millimetres_give_the_same_trial(tmp_path: Path, exported) -> None:
    original = gaitlab.open_project(exported[0])
    export_trial(original, "demo_overground_run", "trc", tmp_path / "m", units="m")
    in_m = read_trial(next((tmp_path / "m").glob("*.trc")))
    in_mm = read_trial(next((exported[1].parent / "files").glob("*.trc")))
    np.testing.assert_allclose(in_m.markers.data, in_mm.markers.data, atol=1e-6)


def test_a_mot_given_alone_says_to_import_its_trc(exported, tmp_path: Path) -> None:
    """A MOT holds forces only: given alone it is refused with what to
    import instead, naming the TRC beside it when there is one."""
    folder = exported[1].parent / "files"
    (mot,) = sorted(folder.glob("*.mot"))
    project = gaitlab.create_project(tmp_path / "p.gaitlab")
    (event,) = [e for e in project.import_files([mot], subject="s") if e.path]
    assert event.kind == "refused"
    trc = next(folder.glob("*.trc")).name
    assert f"forces only, not a trial: import {trc} beside it" in event.message
    lone = tmp_path / "lone_grf.mot"
    shutil.copy(mot, lone)
    with pytest.raises(C3DReadError, match=r"lone\.trc beside it brings in lone\.mot"):
        reader_for(lone)
