"""Fixtures of the desktop-app tests (pytest-qt, offscreen)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtWidgets import QWidget

import gaitlab.gui  # noqa: F401  (selects the Qt binding first)
from gaitlab.session import Session

_RETIRED: list[QWidget] = []
"""Widgets of finished tests: closed, and kept until the test session ends.

The app never deletes its main window or views while it runs; deleting them
between tests (``deleteLater``) while Python's collector frees the wrappers
of their items is a lifecycle the app never has, and with PySide6 it is a
source of rare crashes in the collector. So tests close their widgets and
keep them, like the app.
"""


def retire(widget: QWidget) -> None:
    """Close a test's widget and keep it alive until the session ends."""
    widget.close()
    _RETIRED.append(widget)


@pytest.fixture
def keep_widgets() -> Iterator[Callable[[QWidget], QWidget]]:
    """Register widgets to retire at the end of the test (instead of
    ``qtbot.addWidget``, which deletes them)."""
    widgets: list[QWidget] = []

    def keep(widget: QWidget) -> QWidget:
        widgets.append(widget)
        return widget

    yield keep
    for widget in widgets:
        retire(widget)


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
    retire(win)


@pytest.fixture
def show_trial(qtbot, window) -> Callable[[str], None]:
    """Show a trial in ``window`` and wait until every view has drawn it."""

    def show(trial_id: str) -> None:
        with qtbot.waitSignals(
            [window.plots.sig_drawn, window.body.sig_drawn], timeout=15_000
        ):
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
def plots(keep_widgets, qtbot, session: Session, monkeypatch):
    """A shown SignalPlotsView on ``session``, no trial yet."""
    from gaitlab.gui.views.signal_plots import SignalPlotsView

    # pyqtgraph drops mouse moves closer than 10 ms apart; synthetic drags are faster
    monkeypatch.setitem(pg.CONFIG_OPTIONS, "mouseRateLimit", -1)
    view = keep_widgets(SignalPlotsView(session))
    view.resize(1100, 1000)
    view.show()
    qtbot.waitExposed(view)
    return view
