"""Fixtures of the desktop-app tests (pytest-qt, offscreen)."""

from __future__ import annotations

import gc
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
import shiboken6
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtWidgets import QWidget

import gaitlab.gui  # noqa: F401  (selects the Qt binding first)
from gaitlab.session import Session

GC_THRESHOLD_ENV = "GAITLAB_TEST_GC_THRESHOLD"
"""Set to an integer (e.g. 50) to run the tests with Python's cyclic collector
running that often (``gc.set_threshold``): a stress test of the lifetimes of
Qt objects and their Python wrappers."""


def pytest_configure(config: pytest.Config) -> None:
    """Apply the collector stress setting (see :data:`GC_THRESHOLD_ENV`)."""
    threshold = os.environ.get(GC_THRESHOLD_ENV)
    if threshold:
        gc.set_threshold(int(threshold))


def dispose(widget: QWidget) -> None:
    """Close a test's widget and delete it now.

    The deletion is not left to a later event loop (``deleteLater`` alone would
    delete it in the middle of a following test): deferred deletions are run
    at once, with the cyclic garbage collector paused, as the app has it
    (:func:`gaitlab.gui.tasks.collect_on_gui_thread_only`): a collection
    started by a Python slot or item method that runs while Qt deletes the
    window's children could free the wrappers of objects Qt is deleting.
    What Python still holds of the window is then freed by the app's own
    means (:func:`gaitlab.gui.tasks.connect_while_alive` collects on the GUI
    thread after a view is destroyed), not by the test.
    """
    if not shiboken6.isValid(widget):
        return
    widget.close()
    widget.deleteLater()
    collecting = gc.isenabled()
    gc.disable()
    try:
        QtCore.QCoreApplication.sendPostedEvents(
            None, QtCore.QEvent.Type.DeferredDelete
        )
    finally:
        if collecting:
            gc.enable()


@pytest.fixture(autouse=True)
def _no_window_outlives_its_test() -> Iterator[None]:
    """Every window a test opens is deleted by the end of the test.

    Windows kept for the whole session were all destroyed at the interpreter's
    exit, one QGraphicsObject at a time, holding the process ~40 s after
    pytest's summary (issue 17 item 17).
    """
    app = QtWidgets.QApplication.instance()
    before = {id(w) for w in app.topLevelWidgets()} if app is not None else set()
    yield
    app = QtWidgets.QApplication.instance()
    if app is None:  # a test without Qt
        return
    QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete)
    left = [
        w
        for w in app.topLevelWidgets()
        if id(w) not in before and w.parent() is None  # others go with their parent
    ]
    names = [f"{type(w).__name__} {w.windowTitle()!r}" for w in left]
    for widget in left:  # not left for the next tests either
        dispose(widget)
    assert not names, f"windows left alive by the test: {', '.join(names)}"


@pytest.fixture
def delete_widgets() -> Iterator[Callable[[QWidget], QWidget]]:
    """Register widgets to close and delete at the end of the test."""
    widgets: list[QWidget] = []

    def register(widget: QWidget) -> QWidget:
        widgets.append(widget)
        return widget

    yield register
    for widget in widgets:
        dispose(widget)


@pytest.fixture(scope="session")
def analysed_project(
    tmp_path_factory: pytest.TempPathFactory, demo_files: list[Path]
) -> Path:
    """A project of the demo trials with the default pipeline run (built once)."""
    from gaitlab.pipeline.runner import run_pipeline
    from gaitlab.store.project import create_project

    folder = tmp_path_factory.mktemp("gui") / "demo.gaitlab"
    project = create_project(folder)
    list(project.import_files(demo_files, subject="slip01", condition="synthetic"))
    list(run_pipeline(project, workers=1))
    return folder


@pytest.fixture
def project_copy(analysed_project: Path, tmp_path: Path) -> Path:
    """A private copy of the analysed demo project (tests may change it)."""
    target = tmp_path / "demo.gaitlab"
    shutil.copytree(analysed_project, target)
    return target


@pytest.fixture
def session(project_copy: Path) -> Session:
    """A session on a copy of the analysed demo project, no trial shown yet."""
    session = Session()
    session.open(project_copy)
    return session


@pytest.fixture
def shown_session(session: Session) -> Session:
    """The session with the demo treadmill trial loaded and shown."""
    trial_id = next(t for t in session.project.trial_ids if "treadmill_run" in t)
    session.show(session.load(trial_id))
    return session


@pytest.fixture
def window(qtbot, session: Session):
    """The main window on ``session`` (user settings not read or written)."""
    from gaitlab.gui.main_window import MainWindow
    from gaitlab.gui.settings import UserSettings

    win = MainWindow(session, UserSettings(), persist_settings=False)
    win.show()
    qtbot.waitUntil(lambda: win.idle, timeout=10_000)
    yield win
    qtbot.waitUntil(lambda: win.idle, timeout=10_000)  # no worker left behind
    dispose(win)


@pytest.fixture
def show_trial(qtbot, window) -> Callable[[str], None]:
    """Show a trial in ``window`` and wait until every view has drawn it."""

    def show(trial_id: str) -> None:
        with qtbot.waitSignals([window.plots.drawn, window.body.drawn], timeout=15_000):
            window.show_trial(trial_id)
        qtbot.waitUntil(lambda: window.idle, timeout=10_000)

    return show


class PlotMouse:
    """Mouse input on a plot row at (time, value) positions, as a user gives it.

    pytest-qt clicks, but cannot hover or drag with intermediate moves.
    """

    @staticmethod
    def pixel(row, time_s: float, value: float | None = None) -> QtCore.QPointF:
        """Viewport position of a plot row's (time, value) point; value None =
        the middle of the visible Y range."""
        view = row.plot.getViewBox()
        level = float(np.mean(view.viewRange()[1])) if value is None else value
        scene = view.mapViewToScene(QtCore.QPointF(time_s, level))
        return row.widget.mapFromScene(scene).toPointF()

    @staticmethod
    def send(widget, kind, pos: QtCore.QPointF, button, buttons) -> None:
        """One mouse event (``button`` changed, ``buttons`` held after it)."""
        event = QtGui.QMouseEvent(
            kind,
            pos,
            widget.mapToGlobal(pos),
            button,
            buttons,
            QtCore.Qt.KeyboardModifier.NoModifier,
        )
        QtWidgets.QApplication.sendEvent(widget, event)

    def drag(self, row, start_s: float, stop_s: float) -> None:
        """Hover, press, move in steps and release with the left button, along time."""
        viewport = row.widget.viewport()
        left, none = QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.MouseButton.NoButton
        move = QtCore.QEvent.Type.MouseMove
        # pixels fixed before the drag (the view may pan while dragging)
        path = [self.pixel(row, t) for t in np.linspace(start_s, stop_s, 5)]
        self.send(viewport, move, path[0], none, none)
        self.send(viewport, QtCore.QEvent.Type.MouseButtonPress, path[0], left, left)
        for position in path[1:]:
            self.send(viewport, move, position, none, left)
        self.send(viewport, QtCore.QEvent.Type.MouseButtonRelease, path[-1], left, none)

    def hover_and_click(
        self, qtbot, row, time_s: float, button=QtCore.Qt.MouseButton.LeftButton
    ) -> None:
        """Move over a time of the row, then click there."""
        viewport = row.widget.viewport()
        none = QtCore.Qt.MouseButton.NoButton
        position = self.pixel(row, time_s)
        self.send(viewport, QtCore.QEvent.Type.MouseMove, position, none, none)
        qtbot.mouseClick(viewport, button, pos=position.toPoint())


@pytest.fixture
def mouse() -> PlotMouse:
    """Synthetic mouse input on the plots."""
    return PlotMouse()


@pytest.fixture
def plots(delete_widgets, qtbot, session: Session, monkeypatch):
    """A shown SignalPlotsView on ``session``, no trial yet."""
    from gaitlab.gui.views.signal_plots import SignalPlotsView

    # pyqtgraph drops mouse moves closer than 10 ms apart; synthetic drags are faster
    monkeypatch.setitem(pg.CONFIG_OPTIONS, "mouseRateLimit", -1)
    view = delete_widgets(SignalPlotsView(session))
    view.resize(1100, 1000)
    view.show()
    qtbot.waitExposed(view)
    return view


@pytest.fixture(scope="session")
def running_30s_project(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> Path:
    """A project of a real 30 s treadmill running trial (RBDS001, 2.5 m/s) and
    its static trial, analysed (built once; skipped without the shared data)."""
    from gaitlab.pipeline.runner import run_pipeline
    from gaitlab.store.project import create_project

    folder = shared_data / "pfjrf-methods" / "data" / "RBDS001"
    files = [folder / "RBDS001runT25.c3d", folder / "RBDS001static.c3d"]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        pytest.skip(f"recordings not found: {', '.join(missing)}")
    project_folder = tmp_path_factory.mktemp("gui-real") / "rbds.gaitlab"
    project = create_project(project_folder)
    list(project.import_files(files, workers=1))
    list(run_pipeline(project, workers=1))
    return project_folder


def write_trial(path: Path, trial) -> Path:
    """Write a trial's markers and events as a C3D file (for a project import)."""
    from gaitlab.io.c3d_writer import write_c3d

    markers = trial.markers
    return write_c3d(
        path,
        markers=markers.data,
        marker_labels=markers.labels,
        point_rate_hz=markers.rate_hz,
        events=[(e.label, e.context, e.time_s - markers.t0_s) for e in trial.events],
    )


@pytest.fixture(scope="session")
def cluster_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    """A project of a synthetic cluster protocol (gaitlab.synth.cluster), not analysed:
    a running trial without the anatomical leg markers (``cluster_run``) and its
    static trial with them (``cluster_static``); and the protocol with the truth.
    """
    from gaitlab import read_c3d
    from gaitlab.store.project import create_project
    from gaitlab.synth.cluster import cluster_protocol
    from gaitlab.synth.running import make_running_trial, make_static_trial

    folder = tmp_path_factory.mktemp("cluster")
    run = make_running_trial(folder / "synth_run.c3d", n_steps=4)
    static = make_static_trial(folder / "synth_static.c3d", force_plate=False)
    case = cluster_protocol(run, read_c3d(run.path), static, read_c3d(static.path))
    files = [
        write_trial(folder / "cluster_run.c3d", case.dynamic),
        write_trial(folder / "cluster_static.c3d", case.static),
    ]
    path = folder / "cluster.gaitlab"
    project = create_project(path)
    list(project.import_files(files, subject="c01"))
    return path, case
