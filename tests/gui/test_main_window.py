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
from gaitlab.gui.views.plugins_dialog import PluginsDialog
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
        "Export trial…",
        "Export report…",
        "Quit",
    ]
    assert menus["Edit"] == ["Undo", "Redo", "Subjects…", "Group trials…"]
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
    # metrics, pipeline, log and compare share the bottom area as tabs
    assert set(window.tabifiedDockWidgets(window.metrics_dock)) == {
        window.pipeline_dock,
        window.log_dock,
        window.compare_dock,
    }


def test_selecting_a_trial_loads_and_draws_it(qtbot, window, session):
    assert session.current is None
    assert window.browser.trial_ids() == sorted(session.project.trial_ids)
    with qtbot.waitSignals([window.plots.drawn, window.body.drawn], timeout=15_000):
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


def test_status_summary_counts_a_static_trial_as_static(qtbot, window, session):
    """Issue 17 item 16: the static trial was counted as "not run"."""
    browser = window.browser
    qtbot.waitUntil(lambda: not browser.updating, timeout=10_000)
    static = [t for t in session.project.trial_ids if session.project.is_static(t)]
    assert len(static) == 1
    assert session.status(static[0]) == "not run"
    assert browser.shown_status(static[0]) == "static"
    summary = browser.summary.text()
    assert "not run" not in summary
    ids = session.project.trial_ids
    fresh = sum(session.status(t) == "fresh" for t in ids)
    assert fresh == len(ids) - 1
    assert summary == f"{len(ids)} trials · {fresh} fresh · 1 static"


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
    delete_widgets, qtbot, project_copy, tmp_path
):
    from gaitlab.gui.main_window import MainWindow

    session = Session()
    first = MainWindow(session)  # reads and writes the (redirected) user settings
    delete_widgets(first)
    assert first.open_project(project_copy)
    stored = json.loads(settings_path().read_text())
    assert stored["settings_version"] == SETTINGS_VERSION
    assert stored["recent_projects"][0] == str(project_copy.resolve())
    first.close()

    second = MainWindow(Session())
    delete_widgets(second)
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


def test_plots_keep_readable_heights_and_whole_labels_at_1600_by_1000(
    qtbot, window, show_trial
):
    """Issue 17 item 13: at 1600×1000 the lean plot was ~50 px tall, its axis label
    and legend cut, the time label clipped, the GRF plot's top tick cut."""
    from gaitlab.gui.views.plot_rows import MIN_ROW_HEIGHT_PX

    window.resize(1600, 1000)
    show_trial("demo_overground_run")
    plots = window.plots
    qtbot.waitUntil(lambda: plots.height() >= plots.minimumSizeHint().height())
    rows = plots.rows()
    assert len(rows) == 7
    for row in rows:
        view = row.plot.getViewBox()
        left = row.plot.getAxis("left")
        assert view.height() >= MIN_ROW_HEIGHT_PX - 1, row.key
        # the vertical axis label fits along its plot
        assert left.label.boundingRect().width() <= view.height(), row.key
        # every line's name in the title bar (the legend) is inside the bar
        for curve in row.spec.curves:
            rect = row.title.curve_rect(curve.name)
            assert rect.right() <= row.title.width(), (row.key, curve.name)
            assert rect.bottom() <= row.title.height(), (row.key, curve.name)
        # the top tick label is inside the plot's widget
        low, high = view.viewRange()[1]
        values = [
            v for _s, ticks in left.tickValues(low, high, view.height()) for v in ticks
        ]
        top_tick = max(v for v in values if v <= high)
        y = view.mapViewToScene(QPointF(0.0, top_tick)).y()
        half_text = left.style["tickFont"].pointSizeF() * 96 / 72 / 2
        assert y - half_text >= 0, row.key
    lean = plots.row("lean")
    assert lean.title.n_lines >= 1
    # the time axis under the last plot, label included, is inside its widget
    last = rows[-1]
    label = last.plot.getAxis("bottom").label
    assert label.isVisible()
    assert label.sceneBoundingRect().bottom() <= last.widget.viewport().height()
    # the plots do not fit at this size: the central area scrolls to them
    area = window.plots_area
    assert plots.height() > area.viewport().height()
    assert area.verticalScrollBar().maximum() > 0


def test_a_30_s_running_trial_opens_on_strides_centred_on_the_time_asked(
    qtbot, delete_widgets, running_30s_project
):
    """Issue 17 item 12: a 30 s real running trial opened whole (solid bands);
    ``--time`` did not bring the cursor into view."""
    from gaitlab.gui.main_window import MainWindow

    session = Session()
    session.open(running_30s_project)
    window = delete_widgets(MainWindow(session, UserSettings(), persist_settings=False))
    window.show()
    trial = "rbds001runt25"
    with qtbot.waitSignals([window.plots.drawn, window.body.drawn], timeout=30_000):
        window.show_trial(trial, 15.0)
    qtbot.waitUntil(lambda: window.idle, timeout=10_000)
    view = window.plots.row("grf_vertical").plot.getViewBox()
    start, stop = view.viewRange()[0]
    assert session.cursor_s == pytest.approx(15.0)
    assert 0.5 * (start + stop) == pytest.approx(15.0, abs=1e-6)
    contacts = session.current.contacts
    steps = [c for c in contacts if start <= c.ic_s <= stop]
    assert 6 <= len(steps) <= 10  # about four strides, not 77 steps
    assert session.time_range()[1] - session.time_range()[0] == pytest.approx(
        30.0, abs=0.1
    )
    window.plots.whole_action.trigger()
    assert view.viewRange()[0] == pytest.approx(session.time_range(), abs=1e-6)
    # a step chosen elsewhere (metrics) is brought to the middle
    window.plots.show_strides()
    window.show_trial(trial, 25.0)
    start, stop = view.viewRange()[0]
    assert 0.5 * (start + stop) == pytest.approx(25.0, abs=1e-6)


def test_the_subject_editor_saves_with_units_and_turns_results_stale(
    qtbot, window, session, show_trial
):
    """Issue 9 item 7: a subject editor in the app; an edit turns the subject's
    results stale in the trial browser, and Edit ▸ Undo takes it back."""
    from gaitlab.gui.views.subject_editor import NOT_SET
    from gaitlab.session import subject_length

    show_trial(TREADMILL)
    browser = window.browser
    qtbot.waitUntil(lambda: browser.status_of(TREADMILL) == "fresh", timeout=10_000)
    window.actions_["subjects"].trigger()
    editor = window._dialogs[-1]
    assert editor.subject_id == "slip01"  # the shown trial's subject
    assert editor.spins["mass_kg"].suffix() == " kg"
    assert editor.spins["foot_length_m"].suffix() == " m"
    assert editor.spins["shoe_length_m"].text() == NOT_SET
    before = session.subject("slip01")
    editor.set_value("mass_kg", 64.5)
    editor.set_value("foot_length_m", 0.262)
    editor.sex_combo.setCurrentIndex(1)  # F
    assert editor.apply()
    stored = session.project.subjects["slip01"]
    assert stored.mass_kg == 64.5
    assert stored.sex == "F"
    assert subject_length(stored, "foot_length_m") == pytest.approx(0.262)
    assert subject_length(stored, "shoe_length_m") is None
    assert stored.height_m == before.height_m
    assert stored.leg_length_m == before.leg_length_m
    moving = [
        t for t in session.subject_trials("slip01") if not session.project.is_static(t)
    ]
    qtbot.waitUntil(
        lambda: all(browser.status_of(t) == "stale" for t in moving), timeout=10_000
    )
    assert window.actions_["undo"].text() == (
        "&Undo edit subject slip01: mass, sex, foot length"
    )
    window.actions_["undo"].trigger()
    assert session.project.subjects["slip01"] == before
    assert editor.value("mass_kg") == before.mass_kg  # the form follows
    qtbot.waitUntil(
        lambda: all(browser.status_of(t) == "fresh" for t in moving), timeout=10_000
    )
    assert not editor.apply()  # nothing changed


def _qt_wrappers() -> list[object]:
    import gc

    import shiboken6

    return [o for o in gc.get_objects() if isinstance(o, shiboken6.Shiboken.Object)]


def _show_and_delete_a_window(qtbot, project_copy: Path) -> None:
    from PySide6.QtCore import QCoreApplication, QEvent

    from gaitlab.gui.main_window import MainWindow

    session = Session()
    session.open(project_copy)
    window = MainWindow(session, UserSettings(), persist_settings=False)
    window.show()
    with qtbot.waitSignals([window.plots.drawn, window.body.drawn], timeout=15_000):
        window.show_trial(TREADMILL)
    qtbot.waitUntil(lambda: window.idle, timeout=10_000)
    window.pipeline_dock.raise_()  # its parameter forms are shown too
    window.close()
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def test_a_deleted_window_leaves_no_qt_objects_to_the_collector(qtbot, project_copy):
    """Issue 18 item 17: pyqtgraph's parentless menus, control panels and timers of
    every plot outlived the deleted window in Python reference cycles, to be
    destroyed by the cyclic collector at any later time, in any thread."""
    import gc

    import shiboken6
    from PySide6.QtCore import QObject

    gc.collect()
    before = {id(o) for o in _qt_wrappers()}
    _show_and_delete_a_window(qtbot, project_copy)
    app = QApplication.instance()

    def leftovers() -> list[str]:
        """Wrappers of the window's Qt objects still in memory: dead ones, and live
        QObjects (not the application's own, e.g. its style)."""
        return [
            type(o).__name__
            for o in _qt_wrappers()
            if id(o) not in before
            and (
                not shiboken6.isValid(o)
                or (
                    isinstance(o, QObject)
                    and o.parent() is not app
                    and type(o).__name__ != "QCommonStyle"
                )
            )
        ]

    # freed on the GUI thread as soon as the event loop runs, not left to the
    # collector's next run
    qtbot.waitUntil(lambda: not leftovers(), timeout=3000)


def test_built_in_plugins_that_failed_to_load_are_a_warning_at_start(
    qtbot, session, delete_widgets, monkeypatch, caplog
):
    """A built-in plugin that does not load: the status bar says so from the start
    (and the log), and clicking it opens the plugins dialog; user-plugin failures
    alone (the user's own code, shown in the dialog) give no warning."""
    from gaitlab.gui.main_window import MainWindow
    from gaitlab.pipeline.discovery import DiscoveryReport, PluginFailure, discover

    real = discover()
    user = PluginFailure("file:/lab/mine.py", "NameError: x", builtin=False)
    monkeypatch.setattr(
        "gaitlab.session.discover",
        lambda: DiscoveryReport(dict(real.specs), [user]),
    )
    quiet = delete_widgets(MainWindow(session, UserSettings(), persist_settings=False))
    assert quiet.plugin_warning.isHidden()

    broken = PluginFailure(
        "builtin:lean.py@sha256:ab12", "SyntaxError: invalid syntax", builtin=True
    )
    report = DiscoveryReport(dict(real.specs), [user, broken])
    monkeypatch.setattr("gaitlab.session.discover", lambda: report)
    with caplog.at_level(logging.WARNING, logger="gaitlab.gui.main_window"):
        window = delete_widgets(
            MainWindow(session, UserSettings(), persist_settings=False)
        )
    window.show()
    qtbot.waitUntil(lambda: window.idle, timeout=10_000)
    assert window.plugin_warning.isVisible()
    assert window.plugin_warning.text() == (
        "1 built-in plugin failed to load (lean.py): its analyses are missing; "
        "see Analysis ▸ Plugins…"
    )
    assert "SyntaxError: invalid syntax" in window.plugin_warning.toolTip()
    assert "mine.py" not in window.plugin_warning.toolTip()
    assert "built-in plugin failed to load (lean.py)" in caplog.text
    window.statusBar().showMessage("a passing message", 1000)  # does not hide it
    assert window.plugin_warning.isVisible()
    window.plugin_warning.click()
    assert any(isinstance(d, PluginsDialog) for d in window._dialogs)
    for dialog in list(window._dialogs):
        dialog.close()
    qtbot.waitUntil(lambda: window.idle, timeout=10_000)
