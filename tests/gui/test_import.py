"""Importing from the window: background task, progress, per-file report, cancel."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFileDialog

from gaitlab.gui.settings import UserSettings
from gaitlab.session import Session


@pytest.fixture
def session(tmp_path: Path) -> Session:
    """A new, empty project."""
    session = Session()
    session.create(tmp_path / "study.gaitlab")
    return session


@pytest.fixture
def capture_folder(tmp_path: Path, demo_files: list[Path]) -> Path:
    """Two good trials, a 0-byte file and a file of garbage."""
    folder = tmp_path / "captures" / "runner07"
    folder.mkdir(parents=True)
    for path in demo_files:
        if path.stem in ("demo_treadmill_run", "demo_overground_run"):
            shutil.copy(path, folder / path.name)
    (folder / "empty.c3d").write_bytes(b"")
    (folder / "garbage.c3d").write_bytes(b"this is not a C3D file\n" * 40)
    return folder


def test_import_runs_in_the_background_and_reports_every_file(
    qtbot, window, session, capture_folder, monkeypatch
):
    monkeypatch.setattr(
        QFileDialog, "getExistingDirectory", lambda *args, **kwargs: str(capture_folder)
    )
    window.actions_["import_folder"].trigger()
    dialog = next(d for d in window._dialogs if d.isVisible())
    qtbot.waitUntil(lambda: dialog.files is not None, timeout=10_000)
    assert len(dialog.files) == 4
    dialog.condition.setEditText("shod")

    progress: list[tuple[int, int]] = []
    ticks: list[int] = []
    timer = QTimer(interval=5)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    assert dialog.start()
    assert session.busy
    assert not window.actions_["import_files"].isEnabled()
    dialog.task.progressed.connect(
        lambda done, total, _: progress.append((done, total))
    )
    with qtbot.waitSignal(dialog.import_finished, timeout=60_000) as finished:
        pass
    timer.stop()
    assert finished.args == [False]
    assert ticks, "the event loop ran during the import (the window did not freeze)"
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)
    assert progress[-1] == (4, 4)
    assert dialog.progress.value() == 4

    report = {
        name: (result, trial, reason) for result, name, trial, reason in dialog.rows()
    }
    assert report["demo_treadmill_run.c3d"][:2] == ("imported", "demo_treadmill_run")
    assert report["demo_overground_run.c3d"][:2] == ("imported", "demo_overground_run")
    for bad in ("empty.c3d", "garbage.c3d"):
        result, trial, reason = report[bad]
        assert result == "refused"
        assert trial == ""
        assert len(reason) > 10, f"{bad} is refused with a reason"
    assert "2 imported, 2 refused" in dialog.summary.text()

    assert not session.busy
    assert window.actions_["import_files"].isEnabled()
    records = {r.trial_id: r for r in session.project.trials}
    assert set(records) == {"demo_treadmill_run", "demo_overground_run"}
    # the subject the files name (SUBJECTS:NAMES), not the folder "runner07"
    assert {r.subject_id for r in records.values()} == {"slip01"}
    assert {r.condition for r in records.values()} == {"shod"}
    assert sorted(window.browser.trial_ids()) == sorted(records)
    dialog.close()


def test_importing_the_same_files_again_skips_them(
    qtbot, window, session, capture_folder
):
    good = [capture_folder / "demo_treadmill_run.c3d"]
    first = window.import_paths(good)
    with qtbot.waitSignal(first.import_finished, timeout=60_000):
        first.start()
    first.close()
    again = window.import_paths(good)
    with qtbot.waitSignal(again.import_finished, timeout=60_000):
        again.start()
    ((result, name, trial, reason),) = again.rows()
    assert (result, name, trial) == (
        "skipped",
        "demo_treadmill_run.c3d",
        "demo_treadmill_run",
    )
    assert "already imported" in reason
    again.close()


def test_cancelling_an_import_keeps_the_files_done(
    qtbot, window, session, capture_folder
):
    dialog = window.import_paths([capture_folder])
    qtbot.waitUntil(lambda: dialog.files is not None, timeout=10_000)
    handled: list[str] = []

    def on_event(event):
        if event.kind in ("imported", "updated", "skipped", "refused"):
            handled.append(event.path)
            dialog.cancel()  # as the Cancel button does, right after the first file

    dialog.start()
    dialog.task.event_applied.connect(on_event)
    with qtbot.waitSignal(dialog.import_finished, timeout=60_000) as finished:
        pass
    assert finished.args == [True]
    assert len(handled) == 1, "no file is handled after Cancel"
    assert len(dialog.rows()) == 1
    assert dialog.summary.text().startswith("Cancelled after 1 of 4 files")
    imported = [r for r in dialog.rows() if r[0] == "imported"]
    assert sorted(session.project.trial_ids) == sorted(r[2] for r in imported)
    assert not session.busy
    # the writer lock was released: another import can run
    again = window.import_paths([capture_folder])
    with qtbot.waitSignal(again.import_finished, timeout=60_000):
        again.start()
    assert sorted(session.project.trial_ids) == [
        "demo_overground_run",
        "demo_treadmill_run",
    ]
    again.close()
    dialog.close()


def test_import_without_a_project_asks_for_a_new_one(
    qtbot, delete_widgets, tmp_path, monkeypatch, capture_folder
):
    from gaitlab.gui.main_window import MainWindow

    session = Session()
    win = delete_widgets(MainWindow(session, UserSettings(), persist_settings=False))
    target = tmp_path / "new_study"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(target), "")
    )
    dialog = win.import_paths([capture_folder / "demo_treadmill_run.c3d"])
    assert session.project.path == tmp_path / "new_study.gaitlab"
    with qtbot.waitSignal(dialog.import_finished, timeout=60_000):
        dialog.start()
    assert session.project.trial_ids == ["demo_treadmill_run"]
    qtbot.waitUntil(lambda: win.idle, timeout=10_000)
    dialog.close()


def test_a_file_name_pattern_sets_the_grouping_with_a_preview(
    qtbot, window, session, capture_folder
):
    """The pattern field: a preview of what the first file's name gives, a
    malformed pattern said under it (the import does not start), and the
    import files the trial under the subject and condition of its name.
    (One file: ``gaitlab import --pattern`` is tested on several.)"""
    files = [capture_folder / "demo_treadmill_run.c3d"]
    dialog = window.import_paths(files)
    qtbot.waitUntil(lambda: dialog.files is not None, timeout=10_000)
    dialog.pattern.setText("{subject")
    assert not dialog.start()
    assert "Pattern:" in dialog.pattern_preview.text()
    dialog.pattern.setText("{_}_{condition}_{subject}")
    assert "condition 'treadmill'" in dialog.pattern_preview.text()
    assert "subject 'run'" in dialog.pattern_preview.text()
    with qtbot.waitSignal(dialog.import_finished, timeout=60_000):
        assert dialog.start()
    (record,) = session.project.trials
    assert (record.condition, record.subject_id) == ("treadmill", "run")
    dialog.close()


def test_videos_named_like_the_files_are_offered_and_attached(
    qtbot, window, session, capture_folder
):
    from gaitlab.pipeline.videos import trial_videos
    from gaitlab.video.synthetic import write_video

    write_video(capture_folder / "demo_treadmill_run_side.mp4", frames=10)
    dialog = window.import_paths([capture_folder / "demo_treadmill_run.c3d"])
    qtbot.waitUntil(lambda: dialog.files is not None, timeout=10_000)
    assert not dialog.attach_videos.isHidden()
    assert "1 video" in dialog.attach_videos.text()
    with qtbot.waitSignal(dialog.import_finished, timeout=60_000):
        assert dialog.start()
    assert [r.camera for r in trial_videos(session.project, "demo_treadmill_run")] == [
        "side"
    ]
    assert "1 video(s) attached" in dialog.summary.text()
    dialog.close()
