"""The Qt-free application state: loading, cursor, event edits with undo, staleness."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gaitlab import read_c3d
from gaitlab.core.trial import Event
from gaitlab.io.c3d_writer import write_c3d
from gaitlab.session import Session, static_view
from gaitlab.synth.cluster import ClusterProtocol, cluster_protocol
from gaitlab.synth.running import make_running_trial, make_static_trial


@pytest.fixture
def session(tmp_path: Path, demo_files: list[Path]) -> Session:
    session = Session()
    session.create(tmp_path / "study.gaitlab")
    treadmill = next(f for f in demo_files if f.name == "demo_treadmill_run.c3d")
    for event in session.import_files([treadmill], subject="s01"):
        session.apply(event)
    for event in session.run(workers=1):
        session.apply(event)
    return session


def test_load_show_and_cursor(session: Session) -> None:
    seen: list[float] = []
    session.cursor_moved.connect(seen.append)
    trial_id = session.project.trial_ids[0]
    assert session.status(trial_id) == "fresh"
    session.show(session.load(trial_id))
    start, stop = session.time_range()
    assert start == 0.0
    assert stop == pytest.approx(session.current.trial.duration_s)
    session.set_cursor(1.0)
    session.step_cursor(3)
    rate = session.current.trial.markers.rate_hz
    assert session.cursor_s == pytest.approx(1.0 + 3 / rate)
    session.set_cursor(1e6)
    assert session.cursor_s == stop
    assert seen[-1] == stop
    assert len(seen) == 4
    assert len(session.current.contacts) == 10


def test_event_edits_are_saved_undoable_and_make_results_stale(
    session: Session,
) -> None:
    trial_id = session.project.trial_ids[0]
    session.show(session.load(trial_id))
    detected = session.current.gait_events
    assert all(e.origin == "plugin:gait_events" for e in detected)
    changed: list[str] = []
    session.events_changed.connect(changed.append)

    moved = [
        Event(e.time_s + (0.01 if i == 0 else 0.0), e.label, e.context)
        for i, e in enumerate(detected)
    ]
    session.edit_events(moved, "move Foot Strike")
    assert session.undo_text == "move Foot Strike"
    assert session.redo_text == ""
    assert session.current.gait_events[0].time_s == pytest.approx(
        detected[0].time_s + 0.01
    )
    assert session.current.gait_events[0].origin == "user"
    assert session.status(trial_id) == "stale"
    stored = session.project.load_trial(trial_id).events
    assert stored[0].time_s == pytest.approx(detected[0].time_s + 0.01)

    session.edit_events(moved[2:], "delete contact 1")
    assert len(session.current.contacts) == 9
    session.undo()
    assert len(session.current.contacts) == 10
    assert session.redo_text == "delete contact 1"
    session.undo()
    assert session.current.gait_events == detected  # back to the detected events
    assert session.status(trial_id) == "fresh"
    assert session.project.load_trial(trial_id).events == session.current.trial.events
    session.redo()
    assert session.current.gait_events[0].time_s == pytest.approx(
        detected[0].time_s + 0.01
    )
    assert changed == [trial_id] * 5
    # re-running the pipeline makes the results fresh again, with the edited events
    for event in session.run(only_stale=True, workers=1):
        session.apply(event)
    assert session.status(trial_id) == "fresh"
    result = session.current.results["gait_events"]
    assert result.events[0].time_s == pytest.approx(detected[0].time_s + 0.01)


def test_subject_edits_are_saved_undoable_and_make_results_stale(
    session: Session,
) -> None:
    """Issue 9 item 7: an edit of the subject makes the dependent results stale."""
    from dataclasses import replace

    from gaitlab.session import subject_length, with_subject_length

    trial_id = session.project.trial_ids[0]
    session.show(session.load(trial_id))
    assert session.subject_trials("s01") == [trial_id]
    before = session.subject("s01")
    changed: list[str] = []
    session.results_changed.connect(changed.append)
    edited = with_subject_length(replace(before, mass_kg=62.5), "foot_length_m", 0.26)
    assert session.edit_subject(edited, "edit subject s01: mass, foot length")
    assert not session.edit_subject(edited)  # no change: no edit
    assert session.project.subjects["s01"].mass_kg == 62.5
    assert subject_length(session.project.subjects["s01"], "foot_length_m") == 0.26
    assert session.current.trial.subject.mass_kg == 62.5
    assert changed == [trial_id]
    assert session.status(trial_id) == "stale"
    assert "stale" in session.current.freshness.values()
    assert session.undo_text == "edit subject s01: mass, foot length"
    session.undo()
    assert session.project.subjects["s01"] == before
    assert session.status(trial_id) == "fresh"
    session.redo()
    assert session.project.subjects["s01"].mass_kg == 62.5
    with pytest.raises(ValueError, match="mass"):
        replace(before, mass_kg=-1.0)


@pytest.fixture
def cluster_session(tmp_path: Path) -> tuple[Session, ClusterProtocol]:
    """A session on a synthetic cluster protocol: running trial and static trial."""
    run = make_running_trial(tmp_path / "synth_run.c3d", n_steps=3)
    static = make_static_trial(tmp_path / "synth_static.c3d", force_plate=False)
    case = cluster_protocol(run, read_c3d(run.path), static, read_c3d(static.path))
    files = []
    for name, trial in (("cluster_run", case.dynamic), ("cluster_static", case.static)):
        markers = trial.markers
        files.append(
            write_c3d(
                tmp_path / f"{name}.c3d",
                markers=markers.data,
                marker_labels=markers.labels,
                point_rate_hz=markers.rate_hz,
            )
        )
    session = Session()
    session.create(tmp_path / "cluster.gaitlab")
    for event in session.import_files(files, subject="c01"):
        session.apply(event)
    return session, case


def test_a_loaded_trial_sees_its_static_trial_and_the_marker_settings(
    cluster_session: tuple[Session, ClusterProtocol],
) -> None:
    """Issue 16 item 3: the app's view of a trial is the analysis's, with the landmarks
    only the static trial carries rebuilt (before: a view without static trial)."""
    session, case = cluster_session
    session.project.set_setting("markers", {"cluster_residual_threshold_mm": 4.0})
    loaded = session.load("cluster_run")
    assert loaded.static_id == "cluster_static"
    assert loaded.static is not None
    assert loaded.static.label == "cluster_static"
    view = loaded.view()
    assert view.marker_map.residual_threshold_mm == 4.0
    assert view.reconstructed_landmarks == set(case.truth)
    for name in ("l_knee", "r_ankle_medial", "l_toe"):
        error_mm = 1000 * np.linalg.norm(view.landmark(name) - case.truth[name], axis=1)
        assert np.nanmax(error_mm) < 2.0, name
    assert view.body.l_kjc is not None
    assert view.body.r_ajc is not None
    # a static trial is its own reference: nothing to rebuild
    own = session.load("cluster_static")
    assert own.static is None
    assert static_view(session.project, "cluster_static") is None
    assert own.view().reconstruction is None
