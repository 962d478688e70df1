"""Fixtures of the desktop-app tests (pytest-qt, offscreen)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
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
