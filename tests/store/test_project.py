"""Project store: round trips, versions, locking, re-import, crash safety."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import h5py
import numpy as np
import pytest

import gaitlab
from gaitlab.core.errors import FormatVersionError, ProjectLockedError
from gaitlab.core.trial import Event, Subject
from gaitlab.io.c3d import read_c3d_in_process
from gaitlab.store._trialfile import read_trial_file, write_trial_file

SAMPLES = [
    "c3dio/tests/c3d_org_samples/sample_03/gait-pig.c3d",  # model outputs, events, prefixes
    "pfjrf-methods/data/RBDS001/RBDS001runT25.c3d",
    "BTKData/c3d.org/sample24/MotionMonitorC3D.c3d",
    "BTKData/c3d.org/sample28/type1.C3D",  # no analog samples
    "c3dio/examples/short.c3d",  # subject name
]


def _assert_trials_equal(a: gaitlab.Trial, b: gaitlab.Trial) -> None:
    for name in ("data", "labels", "prefixes", "rate_hz", "t0_s", "original_unit"):
        np.testing.assert_array_equal(
            getattr(a.markers, name), getattr(b.markers, name)
        )
    for name in ("data", "labels", "units", "rate_hz", "t0_s"):
        np.testing.assert_array_equal(
            getattr(a.analogs, name), getattr(b.analogs, name)
        )
    assert (a.points is None) == (b.points is None)
    if a.points is not None and b.points is not None:
        np.testing.assert_array_equal(a.points.data, b.points.data)
        assert (a.points.labels, a.points.kinds, a.points.units) == (
            b.points.labels,
            b.points.kinds,
            b.points.units,
        )
    assert len(a.forceplates) == len(b.forceplates)
    for pa, pb in zip(a.forceplates, b.forceplates, strict=True):
        for name in ("force", "moment", "cop", "free_moment", "corners"):
            np.testing.assert_array_equal(getattr(pa, name), getattr(pb, name))
        assert (pa.plate_type, pa.sign, pa.cop_threshold_n, pa.notes, pa.rate_hz) == (
            pb.plate_type,
            pb.sign,
            pb.cop_threshold_n,
            pb.notes,
            pb.rate_hz,
        )
    assert a.events == b.events
    assert a.subject == b.subject
    np.testing.assert_array_equal(a.up_axis, b.up_axis)
    assert a.source == b.source
    assert a.warnings == b.warnings


@pytest.mark.parametrize("name", SAMPLES)
def test_trial_file_round_trip(shared_data: Path, tmp_path: Path, name: str) -> None:
    trial = read_c3d_in_process(shared_data / name)
    target = tmp_path / "t.h5"
    write_trial_file(target, trial, {"trial_id": "t", "subject_id": "s"})
    back = read_trial_file(target, c3d_parameters=True)
    _assert_trials_equal(trial, back)
    assert json.loads(back.meta["c3d_parameters"]) == json.loads(
        trial.meta["c3d_parameters"]
    )
    assert not list(tmp_path.glob("*.tmp"))


def test_import_load_and_reimport(shared_data: Path, tmp_path: Path) -> None:
    project = gaitlab.create_project(tmp_path / "study.gaitlab")
    paths = [shared_data / n for n in SAMPLES] + [
        shared_data / "BTKData/others/Empty.c3d"
    ]
    events = list(project.import_files(paths, session="s1", condition="shod"))
    kinds = [e.kind for e in events]
    assert kinds[0] == "started"
    assert kinds[-1] == "finished"
    assert kinds.count("imported") == len(SAMPLES)
    refused = [e for e in events if e.kind == "refused"]
    assert len(refused) == 1
    assert "empty" in refused[0].message
    assert [e.done for e in events[1:-1]] == list(range(1, len(paths) + 1))

    reopened = gaitlab.open_project(tmp_path / "study.gaitlab")
    assert sorted(reopened.trial_ids) == sorted(project.trial_ids)
    trial = reopened.load_trial("rbds001runt25")
    direct = read_c3d_in_process(shared_data / SAMPLES[1])
    np.testing.assert_array_equal(
        trial.forceplates[0].force, direct.forceplates[0].force
    )
    record = reopened.record("rbds001runt25")
    assert (record.subject_id, record.session, record.condition) == (
        "rbds001",
        "s1",
        "shod",
    )
    assert record.source_sha256 == direct.source.sha256

    again = list(reopened.import_files(paths))
    assert [e.kind for e in again[1:-1]].count("skipped") == len(SAMPLES)
    assert len(reopened.trial_ids) == len(SAMPLES)


def test_changed_file_at_same_path_updates_its_trial(
    shared_data: Path, tmp_path: Path
) -> None:
    source = tmp_path / "capture.c3d"
    source.write_bytes(
        (shared_data / "BTKData/c3d.org/sample02/pc_real.c3d").read_bytes()
    )
    project = gaitlab.create_project(tmp_path / "p")
    list(project.import_files([source]))
    source.write_bytes(
        (shared_data / "BTKData/c3d.org/sample02/pc_int.c3d").read_bytes()
    )
    events = list(project.import_files([source]))
    assert events[1].kind == "updated"
    assert events[1].trial_id == "capture"
    assert project.trial_ids == ["capture"]
    assert project.load_trial("capture").source.storage == "integer"


def test_subjects_events_and_grouping_persist(
    shared_data: Path, tmp_path: Path
) -> None:
    project = gaitlab.create_project(tmp_path / "p")
    list(project.import_files([shared_data / SAMPLES[0]], subject="S01"))
    runner = Subject(
        id="s01",
        label="Runner 1",
        mass_kg=71.5,
        height_m=1.78,
        sex="F",
        leg_length_m={"Left": 0.9},
    )
    project.set_subject(runner)
    project.set_trial_info("gait-pig", session="2026-11-23", condition="barefoot")
    edited = (Event(1.25, "Foot Strike", "Left", "user"),)
    project.set_events("gait-pig", edited)
    reopened = gaitlab.open_project(tmp_path / "p")
    trial = reopened.load_trial("gait-pig")
    assert trial.subject == runner  # rebuilt from disk, compared field by field
    assert (trial.session, trial.condition) == ("2026-11-23", "barefoot")
    assert trial.events == edited


def test_newer_format_is_refused(tmp_path: Path) -> None:
    gaitlab.create_project(tmp_path / "p")
    with h5py.File(tmp_path / "p" / "project.h5", "r+") as f:
        f.attrs["gaitlab_format_version"] = 99
    with pytest.raises(FormatVersionError, match="newer gaitlab"):
        gaitlab.open_project(tmp_path / "p")


def test_second_writer_is_refused_with_the_holders_pid(tmp_path: Path) -> None:
    gaitlab.create_project(tmp_path / "p")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import sys, gaitlab
            p = gaitlab.open_project({str(tmp_path / "p")!r})
            with p._writer_lock():
                print("locked", flush=True)
                sys.stdin.readline()
        """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        project = gaitlab.open_project(tmp_path / "p")  # readers need no lock
        with pytest.raises(ProjectLockedError, match=f"pid {holder.pid}"):
            project.set_subject(Subject(id="x"))
    finally:
        holder.communicate("\n", timeout=30)
    gaitlab.open_project(tmp_path / "p").set_subject(Subject(id="x"))


def test_sigkill_during_import_keeps_finished_trials(
    shared_data: Path, tmp_path: Path
) -> None:
    """Kill an import half-way: the project opens, earlier trials are intact."""
    folder = tmp_path / "p"
    gaitlab.create_project(folder)
    files = [
        f
        for f in sorted((shared_data / "c3dio").rglob("*.c3d"))
        if f.name != "simple.c3d"
    ]
    files = [*files[:8], shared_data / SAMPLES[1]]
    script = textwrap.dedent(f"""
        import sys, gaitlab
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
        trial = project.load_trial(trial_id)
        assert trial.markers.data.ndim == 3
    assert not list((folder / "trials").glob("*.tmp"))
    events = list(project.import_files(files, workers=1))  # finishing the import works
    assert not [e for e in events if e.kind == "refused"]
    assert len(project.trial_ids) == len(files)


def test_interrupting_the_generator_cleans_up(
    shared_data: Path, tmp_path: Path
) -> None:
    project = gaitlab.create_project(tmp_path / "p")
    files = sorted((shared_data / "BTKData/c3d.org").rglob("*.c3d"))[:6]
    events = project.import_files(files, workers=2)
    for event in events:
        if event.kind == "imported":
            break
    events.close()  # the caller cancels
    assert not list((tmp_path / "p" / "trials").glob("*.tmp"))
    assert len(project.trial_ids) >= 1
    project.set_subject(Subject(id="after-cancel"))  # the lock was released
