"""The store on gaitlab's own generated data: what the real-recording tests check,
runnable on a clean clone without ``../shared/data``.

Each test here is the equivalent of a store test that needs the shared
recordings (named in its docstring): force plates of types 2-4 written by
:mod:`gaitlab.synth.forceplate_cases`, the synthetic runners, a drill and the
bundled demo trials stand in for the labs' files. Two properties stay with the
real recordings only: a TYPE 1 plate and integer-stored C3D data, which the
synthetic writer does not produce.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import gaitlab
from gaitlab.core.trial import Event, Subject
from gaitlab.io.c3d import read_c3d_in_process
from gaitlab.store._trialfile import read_trial_file, write_trial_file
from gaitlab.synth.drill import make_drill_trial
from gaitlab.synth.forceplate_cases import write_all_cases
from gaitlab.synth.running import make_running_trial


@pytest.fixture(scope="module")
def captures(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Plate types 1-4, a treadmill and an overground runner, a drill: 7 files."""
    folder = tmp_path_factory.mktemp("captures")
    files = [path for path, _ in write_all_cases(folder).values()]
    files.append(make_running_trial(folder / "treadmill.c3d", n_steps=4).path)
    files.append(
        make_running_trial(folder / "overground.c3d", n_steps=3, treadmill=False).path
    )
    files.append(make_drill_trial(folder / "drill.c3d").path)
    return files


def _assert_same(a, b) -> None:
    np.testing.assert_array_equal(a.markers.data, b.markers.data)
    assert a.markers.labels == b.markers.labels
    np.testing.assert_array_equal(a.analogs.data, b.analogs.data)
    assert (a.analogs.labels, a.analogs.units) == (b.analogs.labels, b.analogs.units)
    assert len(a.forceplates) == len(b.forceplates)
    for pa, pb in zip(a.forceplates, b.forceplates, strict=True):
        for name in ("force", "moment", "cop", "free_moment", "corners"):
            np.testing.assert_array_equal(getattr(pa, name), getattr(pb, name))
        assert (pa.plate_type, pa.sign, pa.rate_hz) == (
            pb.plate_type,
            pb.sign,
            pb.rate_hz,
        )
    assert a.events == b.events
    assert a.subject == b.subject
    assert a.source == b.source


def test_trial_files_round_trip_every_plate_type(
    captures: list[Path], tmp_path: Path
) -> None:
    """= test_project.test_trial_file_round_trip on the shared samples."""
    plate_types = set()
    for capture in captures:
        trial = read_c3d_in_process(capture)
        plate_types |= {p.plate_type for p in trial.forceplates}
        target = tmp_path / f"{capture.stem}.h5"
        write_trial_file(target, trial, {"trial_id": "t", "subject_id": "s"})
        back = read_trial_file(target, c3d_parameters=True)
        _assert_same(trial, back)
        assert json.loads(back.meta["c3d_parameters"]) == json.loads(
            trial.meta["c3d_parameters"]
        )
    assert plate_types >= {2, 3, 4}  # the synthetic writer has no TYPE 1 plate
    assert not list(tmp_path.glob("*.tmp"))


def test_import_load_and_reimport(captures: list[Path], tmp_path: Path) -> None:
    """= test_project.test_import_load_and_reimport (dedup, refusal, grouping)."""
    empty = tmp_path / "Empty.c3d"
    empty.write_bytes(b"")
    project = gaitlab.create_project(tmp_path / "study.gaitlab")
    events = list(
        project.import_files([*captures, empty], session="s1", condition="shod")
    )
    kinds = [e.kind for e in events]
    assert (kinds[0], kinds[-1]) == ("started", "finished")
    assert kinds.count("imported") == len(captures)
    (refused,) = [e for e in events if e.kind == "refused"]
    assert "empty" in refused.message.lower()
    reopened = gaitlab.open_project(tmp_path / "study.gaitlab")
    assert sorted(reopened.trial_ids) == sorted(project.trial_ids)
    direct = read_c3d_in_process(captures[-2])
    loaded = reopened.load_trial("overground")
    np.testing.assert_array_equal(
        loaded.forceplates[0].force, direct.forceplates[0].force
    )
    record = reopened.record("overground")
    assert (record.session, record.condition) == ("s1", "shod")
    assert record.source_sha256 == direct.source.sha256
    again = list(reopened.import_files(captures))
    assert [e.kind for e in again[1:-1]].count("skipped") == len(captures)
    assert len(reopened.trial_ids) == len(captures)


def test_changed_file_at_same_path_updates_its_trial(
    captures: list[Path], tmp_path: Path
) -> None:
    """= test_project.test_changed_file_at_same_path_updates_its_trial."""
    source = tmp_path / "capture.c3d"
    shutil.copy(captures[-3], source)  # the treadmill run
    project = gaitlab.create_project(tmp_path / "p")
    list(project.import_files([source]))
    shutil.copy(captures[-1], source)  # now the drill
    events = list(project.import_files([source]))
    assert events[1].kind == "updated"
    assert project.trial_ids == ["capture"]
    assert project.load_trial("capture").markers.n_frames == (
        read_c3d_in_process(captures[-1]).markers.n_frames
    )


def test_subjects_events_and_grouping_persist(
    captures: list[Path], tmp_path: Path
) -> None:
    """= test_project.test_subjects_events_and_grouping_persist."""
    project = gaitlab.create_project(tmp_path / "p")
    list(project.import_files([captures[-1]], subject="S01"))
    runner = Subject(
        id="s01",
        label="Runner 1",
        mass_kg=71.5,
        height_m=1.78,
        sex="F",
        leg_length_m={"Left": 0.9},
    )
    project.set_subject(runner)
    project.set_trial_info("drill", session="2026-11-23", condition="barefoot")
    edited = (Event(1.25, "Foot Strike", "Left", "user"),)
    project.set_events("drill", edited)
    trial = gaitlab.open_project(tmp_path / "p").load_trial("drill")
    assert trial.subject == runner
    assert (trial.session, trial.condition) == ("2026-11-23", "barefoot")
    assert trial.events == edited


def test_sigkill_during_import_keeps_finished_trials(
    captures: list[Path], demo_files: list[Path], tmp_path: Path
) -> None:
    """= test_project.test_sigkill_during_import_keeps_finished_trials."""
    folder = tmp_path / "p"
    gaitlab.create_project(folder)
    files = [*captures, *demo_files]
    script = textwrap.dedent(f"""
        import gaitlab
        from pathlib import Path
        p = gaitlab.open_project({str(folder)!r})
        for e in p.import_files([Path(x) for x in {[str(f) for f in files]!r}], workers=1):
            if e.kind == "imported":
                print(e.trial_id, flush=True)
    """)
    child = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    committed = [child.stdout.readline().strip() for _ in range(3)]
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    child.stdout.close()
    project = gaitlab.open_project(folder)
    assert set(committed) <= set(project.trial_ids)
    for trial_id in project.trial_ids:
        assert project.load_trial(trial_id).markers.data.ndim == 3
    assert not list((folder / "trials").glob("*.tmp"))
    events = list(project.import_files(files, workers=1))
    assert not [e for e in events if e.kind == "refused"]
    assert len(project.trial_ids) == len(files)


def test_interrupting_the_generator_cleans_up(
    captures: list[Path], tmp_path: Path
) -> None:
    """= test_project.test_interrupting_the_generator_cleans_up."""
    project = gaitlab.create_project(tmp_path / "p")
    events = project.import_files(captures, workers=2)
    for event in events:
        if event.kind == "imported":
            break
    events.close()
    assert not list((tmp_path / "p" / "trials").glob("*.tmp"))
    assert len(project.trial_ids) >= 1
    project.set_subject(Subject(id="after-cancel"))  # the lock was released
