"""Main window: menus, loading a trial, undo/redo, drag and drop, settings, errors."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from gaitlab.core.trial import Event
from gaitlab.gui.settings import (
    SETTINGS_VERSION,
    UserSettings,
    load_settings,
    save_settings,
    settings_path,
)
from gaitlab.session import Session

TREADMILL = "demo_treadmill_run"


def menu_texts(window) -> dict[str, list[str]]:
    out = {}
    for action in window.menuBar().actions():
        menu = action.menu()
        out[action.text().replace("&", "")] = [
            a.text().replace("&", "") for a in menu.actions() if not a.isSeparator()
        ]
    return out


def test_menus_hold_the_workflows(window):
    menus = menu_texts(window)
    assert list(menus) == ["File", "Edit", "Analysis", "View", "Help"]
    assert menus["File"] == [
        "New project…",
        "Open project…",
        "Open recent",
        "Import files…",
        "Import folder…",
        "Export metrics…",
        "Quit",
    ]
    assert menus["Edit"] == ["Undo", "Redo"]
    assert "Plugins…" in menus["Analysis"]
    assert {"Run pipeline on selected trials", "Run pipeline on the project"} <= set(
        menus["Analysis"]
    )
    assert {"Trials", "Body view", "Metrics", "Pipeline", "Log"} <= set(menus["View"])
    assert "Plugin guide" in menus["Help"]
    assert window.actions_["undo"].shortcut().toString() == "Ctrl+Z"
    assert "Ctrl+Shift+Z" in [s.toString() for s in window.actions_["redo"].shortcuts()]


def test_docks_are_placed_as_a_lab_tool(window):
    area = window.dockWidgetArea
    assert area(window.browser_dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert area(window.body_dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert area(window.metrics_dock) == Qt.DockWidgetArea.BottomDockWidgetArea
    assert window.centralWidget().widget() is window.plots
    # metrics, pipeline and log share the bottom area as tabs
    assert set(window.tabifiedDockWidgets(window.metrics_dock)) == {
        window.pipeline_dock,
        window.log_dock,
    }


def test_selecting_a_trial_loads_and_draws_it(qtbot, window, session):
    assert session.current is None
    assert window.browser.trial_ids() == sorted(session.project.trial_ids)
    with qtbot.waitSignals(
        [window.plots.sig_drawn, window.body.sig_drawn], timeout=15_000
    ):
        window.browser.select_trial(TREADMILL)  # as a click on the tree would
    qtbot.waitUntil(lambda: session.current is not None and window.idle, timeout=10_000)
    assert session.current.trial_id == TREADMILL
    # the trial shown is the one stored in the project
    stored = session.project.load_trial(TREADMILL)
    assert session.current.trial.markers.n_frames == stored.markers.n_frames
    assert TREADMILL in window.windowTitle()
    assert window.trial_label.text() == f"Trial: {TREADMILL}"
    assert window.cursor_label.text() == f"t = {stored.markers.t0_s:.3f} s"
    session.set_cursor(1.5)
    assert window.cursor_label.text() == "t = 1.500 s"
    # one cursor: every plot's line and the body view's frame moved with it
    lines = [window.plots.ruler.cursor] + [row.cursor for row in window.plots.rows()]
    assert len(lines) > 5
    assert all(line.value() == pytest.approx(1.5) for line in lines)
    rate = stored.markers.rate_hz
    assert window.body.frame_shown == round((1.5 - stored.markers.t0_s) * rate)
    assert window.body.slider.value() == window.body.frame_shown


def test_trial_browser_shows_groups_and_states(qtbot, window, session):
    browser = window.browser
    qtbot.waitUntil(lambda: not browser.updating, timeout=10_000)
    subject = browser.tree.topLevelItem(0)
    assert subject.text(0) == "slip01"
    group = subject.child(0)
    assert group.text(0) == "synthetic"
    for trial_id in session.project.trial_ids:
        status = session.status(trial_id)
        assert browser.status_of(trial_id) == status
        static = session.project.is_static(trial_id)
        shown = "static" if static and status == "not run" else status
        assert browser._items[trial_id].text(1) == shown


def test_undo_redo_menu_actions_follow_the_session(qtbot, window, session, show_trial):
    show_trial(TREADMILL)
    undo, redo = window.actions_["undo"], window.actions_["redo"]
    assert not undo.isEnabled()
    assert not redo.isEnabled()
    original = [(e.time_s, e.label, e.context) for e in session.current.gait_events]
    moved = [
        Event(e.time_s + (0.02 if i == 0 else 0.0), e.label, e.context)
        for i, e in enumerate(session.current.gait_events)
    ]
    session.edit_events(moved, "move Foot Strike at 0.123 s")
    assert undo.isEnabled()
    assert undo.text() == "&Undo move Foot Strike at 0.123 s"
    qtbot.waitUntil(
        lambda: window.browser.status_of(TREADMILL) == "stale", timeout=10_000
    )

    undo.trigger()
    assert [
        (e.time_s, e.label, e.context) for e in session.current.gait_events
    ] == original
    assert redo.text() == "&Redo move Foot Strike at 0.123 s"
    assert redo.isEnabled()
    assert not undo.isEnabled()
    qtbot.waitUntil(
        lambda: window.browser.status_of(TREADMILL) == "fresh", timeout=10_000
    )

    redo.trigger()
    assert session.current.gait_events[0].time_s == pytest.approx(original[0][0] + 0.02)
    assert undo.isEnabled()
    assert not redo.isEnabled()


def test_run_and_import_actions_are_disabled_while_busy(window, session):
    keys = (
        "import_files",
        "import_folder",
        "run_project",
        "run_stale",
        "export",
        "open",
        "new",
    )
    assert all(window.actions_[k].isEnabled() for k in keys)
    session.set_busy(True)
    try:
        assert not any(window.actions_[k].isEnabled() for k in keys)
        assert window.actions_["cancel"].isEnabled()
        assert window.start_task(lambda: iter(()), "second task") is None
    finally:
        session.set_busy(False)
    assert all(window.actions_[k].isEnabled() for k in keys)


def test_recent_projects_are_kept_in_the_user_settings(
    keep_widgets, qtbot, project_copy, tmp_path
):
    from gaitlab.gui.main_window import MainWindow

    session = Session()
    first = MainWindow(session)  # reads and writes the (redirected) user settings
    keep_widgets(first)
    assert first.open_project(project_copy)
    stored = json.loads(settings_path().read_text())
    assert stored["settings_version"] == SETTINGS_VERSION
    assert stored["recent_projects"][0] == str(project_copy.resolve())
    first.close()

    second = MainWindow(Session())
    keep_widgets(second)
    recent = [a for a in second.recent_menu.actions() if a.isEnabled()]
    assert recent[0].text() == project_copy.name
    recent[0].trigger()
    assert second.session.project.path.resolve() == project_copy.resolve()
    second.close()


def test_settings_migrate_from_an_unversioned_file_and_keep_unknown_keys(tmp_path):
    path = tmp_path / "gui.json"
    path.write_text(json.dumps({"recent_projects": ["/a.gaitlab"], "theme": "dark"}))
    settings = load_settings(path)
    assert settings.recent_projects == ["/a.gaitlab"]
    save_settings(settings, path)
    stored = json.loads(path.read_text())
    assert stored["settings_version"] == SETTINGS_VERSION
    assert stored["theme"] == "dark"  # written by someone else: kept
    path.write_text("{ not json")
    assert load_settings(path) == UserSettings()


def _drop(window, paths: list[Path]) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(
        QPointF(20, 20),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)


def test_dropping_a_project_opens_it_and_dropping_files_offers_their_import(
    qtbot, window, session, tmp_path, demo_files
):
    other = tmp_path / "other.gaitlab"
    Session().create(other)
    _drop(window, [other])
    assert session.project.path.resolve() == other.resolve()
    assert window.browser.trial_ids() == []

    _drop(window, demo_files[:2])
    dialogs = [d for d in window._dialogs if d.isVisible()]
    assert len(dialogs) == 1
    dialog = dialogs[0]
    assert dialog.paths == demo_files[:2]
    with qtbot.waitSignal(dialog.import_finished, timeout=60_000):
        dialog.import_button.click()
    assert sorted(window.browser.trial_ids()) == sorted(p.stem for p in demo_files[:2])
    dialog.close()


def test_a_failing_task_shows_its_traceback_without_blocking(qtbot, window, session):
    from gaitlab.pipeline.runner import RunEvent

    def broken():
        yield RunEvent("started", total=3)
        raise ValueError("the generator broke")

    task = window.start_task(broken, "Broken task")
    with qtbot.waitSignal(task.finished, timeout=10_000):
        pass
    boxes = [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, QMessageBox) and w.isVisible()
    ]
    assert len(boxes) == 1
    box = boxes[0]
    assert not box.isModal()
    assert "ValueError: the generator broke" in box.text()
    assert "Traceback" in box.detailedText()
    assert not session.busy
    assert "failed" in window.statusBar().currentMessage()
    box.close()


def test_uncaught_errors_are_logged_and_shown(qtbot, window, monkeypatch):
    from gaitlab.gui.app import LOG_FILE_NAME, configure_logging, install_excepthook

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    import threading

    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    logger = logging.getLogger("gaitlab")
    handlers, level = list(logger.handlers), logger.level
    try:
        log_file = configure_logging()
        assert log_file.name == LOG_FILE_NAME
        install_excepthook(lambda: window)
        try:
            raise RuntimeError("something nobody expected")
        except RuntimeError:
            sys.excepthook(*sys.exc_info())
        boxes = [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, QMessageBox) and w.isVisible()
        ]
        assert [b.isModal() for b in boxes] == [False]
        assert "something nobody expected" in boxes[0].text()
        boxes[0].close()
        for handler in logger.handlers:
            handler.flush()
        assert "RuntimeError: something nobody expected" in log_file.read_text()
        assert "something nobody expected" in window.log_view.text()
    finally:
        for handler in logger.handlers:
            if handler not in handlers:
                logger.removeHandler(handler)
                handler.close()
        logger.setLevel(level)


def test_log_dock_shows_gaitlab_records_only(window):
    logging.getLogger("gaitlab.some.module").warning("a gaitlab warning")
    logging.getLogger("elsewhere").warning("not ours")
    text = window.log_view.text()
    assert "a gaitlab warning" in text
    assert "not ours" not in text


def test_import_warnings_and_static_trials_are_marked(qtbot, window, session):
    from dataclasses import replace

    project = session.project
    record = project.record(TREADMILL)
    warning = "force plate 2 never loaded: its channels may be swapped"
    project._trials[TREADMILL] = replace(record, warnings=(warning,))
    window.browser.rebuild()
    item = window.browser._items[TREADMILL]
    assert not item.icon(0).isNull()
    assert warning in item.toolTip(0)
    assert window.browser._items["demo_overground_run"].icon(0).isNull()
    static = window.browser._items["demo_static"]
    assert "(static)" in static.text(0)
    assert static.font(0).italic()
    qtbot.waitUntil(lambda: not window.browser.updating, timeout=10_000)
    assert static.text(1) == "static"
