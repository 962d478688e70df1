"""The Qt-free application state: loading, cursor, event edits with undo, staleness."""

from __future__ import annotations

from pathlib import Path

import pytest

from gaitlab.core.trial import Event
from gaitlab.session import Session


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
