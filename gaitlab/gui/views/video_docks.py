"""One dock per camera of the shown trial (issue 15).

When a trial is shown, its attached videos
(:func:`gaitlab.pipeline.videos.trial_videos`) each get a dock on the right
holding a :class:`~gaitlab.gui.views.video_view.VideoView` that follows the
session's time cursor. A video that is missing, moved, rewritten or
unreadable gets a dock that says so and how to fix it; the app goes on.
Offsets set with *Sync to event* are saved in the project. Video files
dropped on the window (or attached with ``gaitlab video``) are attached to
the shown trial and their docks appear at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QWidget

from gaitlab.core.contacts import FOOT_OFF, FOOT_STRIKE
from gaitlab.core.errors import GaitlabError
from gaitlab.gui.body.figure import Figure
from gaitlab.gui.tasks import BackgroundCall, connect_while_alive
from gaitlab.gui.views.video_view import EventChoice, VideoView
from gaitlab.pipeline.videos import (
    attach_video,
    set_video_calibration,
    set_video_offset,
    trial_videos,
)
from gaitlab.session import LoadedTrial, Session
from gaitlab.store.project import Project
from gaitlab.video import (
    VIDEO_SUFFIXES,
    PlaneCalibration,
    VideoReader,
    VideoRecord,
    video_state,
)
from gaitlab.video.proxy import existing_proxy, make_proxy

CACHE_FRAMES = 48
"""Decoded frames kept per camera (a 1080p frame is 6 MB: at most ~300 MB)."""


def is_video(path: Path) -> bool:
    """True for a file with a video suffix (``.mp4``, ``.avi``, ``.mov`` ...)."""
    return path.suffix.lower() in VIDEO_SUFFIXES


class _Progress(QObject):
    """Carries a scrubbing copy's progress from its worker to the GUI thread."""

    step = Signal(int, int)


class VideoDocks:
    """The video docks of a main window, rebuilt for each trial shown.

    Parameters
    ----------
    window : QMainWindow
        Where the docks go (right area).
    session : Session
        The session (trial shown, cursor, project).
    """

    def __init__(self, window: QMainWindow, session: Session) -> None:
        self.window = window
        self.session = session
        self.docks: list[QDockWidget] = []
        self.views: dict[str, VideoView] = {}
        self._trial_id = ""
        self._figure: tuple[Figure | None, dict[str, str]] = (None, {})
        connect_while_alive(
            window,
            [
                (session.trial_loaded, self._on_trial_loaded),
                (session.cursor_moved, self._on_cursor),
                (session.events_changed, self._on_events_changed),
                (session.project_changed, lambda _project: self.clear()),
            ],
        )

    # ---- public

    def attach(self, paths: Sequence[Path]) -> list[str]:
        """Attach video files to the shown trial; returns one problem per file refused."""
        current, project = self.session.current, self.session.project
        if current is None or project is None:
            return [
                f"{p.name}: show a trial first, then drop its videos" for p in paths
            ]
        problems = []
        for path in paths:
            try:
                attach_video(project, current.trial_id, path)
            except GaitlabError as error:
                problems.append(str(error))
        self.rebuild(current)
        return problems

    def rebuild(self, loaded: LoadedTrial) -> None:
        """Docks for the videos of ``loaded`` (replacing the previous trial's)."""
        self.clear()
        project = self.session.project
        if project is None:
            return
        self._trial_id = loaded.trial_id
        for record in trial_videos(project, loaded.trial_id):
            self.docks.append(self._dock(record, project.path))
        self._on_events_changed(loaded.trial_id)
        self._on_cursor(self.session.cursor_s)

    def clear(self) -> None:
        """Remove every video dock (their decoders are stopped)."""
        for view in self.views.values():
            view.close_source()
        for dock in self.docks:
            self.window.removeDockWidget(dock)
            dock.deleteLater()
        self.docks.clear()
        self.views.clear()
        self._trial_id = ""

    # ---- building

    def _dock(self, record: VideoRecord, project_folder: Path) -> QDockWidget:
        widget: QWidget
        state = video_state(record, project_folder)
        path = record.resolved(project_folder)
        reader = None
        proxy = None
        if state in ("ok", "changed"):
            # the scrubbing copy of an unchanged video: every frame, quicker jumps
            proxy = existing_proxy(record.sha256) if state == "ok" else None
            try:
                reader = VideoReader(proxy or path, cache_frames=CACHE_FRAMES)
            except GaitlabError as error:
                state, problem = "unreadable", str(error)
        if reader is None:
            problem = {
                "missing": f"{path} is missing (moved or deleted). Attach it again "
                f"with gaitlab video PROJECT {self._trial_id} add FILE --camera "
                f"{record.camera}.",
            }.get(state, locals().get("problem", f"{path} cannot be read"))
            widget = QLabel(f"Video {record.camera}: {problem}")
            widget.setWordWrap(True)
            widget.setAlignment(Qt.AlignmentFlag.AlignCenter)
        else:
            camera, trial_id = record.camera, self._trial_id
            view = VideoView(
                record.camera,
                reader,
                record.offset_s,
                self.session.set_cursor,
                set_offset=lambda offset: self._save_offset(trial_id, camera, offset),
                calibration=record.calibration,
                set_calibration=lambda calibration: self._save_calibration(
                    trial_id, camera, calibration
                ),
                make_copy=(
                    (lambda: self.make_copy(record, path))
                    if state == "ok" and proxy is None
                    else None
                ),
            )
            view.show_figure(*self._figure)
            if state == "changed":
                view.setToolTip(f"{path} changed since it was attached")
            self.views[record.camera] = view
            widget = view
        dock = QDockWidget(f"Video: {record.camera}", self.window)
        dock.setObjectName(f"dock_video_{record.camera}")
        dock.setWidget(widget)
        self.window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        return dock

    def show_figure(self, figure: Figure | None, colours: dict[str, str]) -> None:
        """The body view's figure at the cursor: drawn over calibrated cameras."""
        self._figure = (figure, colours)
        for view in self.views.values():
            view.show_figure(figure, colours)

    def make_copy(self, record: VideoRecord, path: Path) -> BackgroundCall:
        """Make a camera's scrubbing copy off the GUI thread (progress in the
        status bar); the trial's docks then read it. Returns the call."""
        status = self.window.statusBar()
        view = self.views.get(record.camera)
        if view is not None:
            view.make_copy.setEnabled(False)
        relay = _Progress(self.window)
        relay.step.connect(
            lambda done, total: status.showMessage(
                f"Scrubbing copy of {record.camera}: frame {done} of {total}"
            )
        )
        call = BackgroundCall(
            lambda: make_proxy(
                path, record.sha256, progress=lambda d, t: relay.step.emit(d, t)
            ),
            parent=self.window,
        )
        call.completed.connect(lambda _copy: self._copy_made(record.camera))
        call.failed.connect(
            lambda message, _details: status.showMessage(
                f"No scrubbing copy of {record.camera}: {message}", 10_000
            )
        )
        return call.start()

    def _copy_made(self, camera: str) -> None:
        self.window.statusBar().showMessage(
            f"Scrubbing copy of {camera} made: jumps to any frame are quick now", 8000
        )
        if self.session.current is not None:
            self.rebuild(self.session.current)

    def _save_calibration(
        self, trial_id: str, camera: str, calibration: PlaneCalibration | None
    ) -> None:
        project = self._project_with(trial_id)
        if project is not None:
            set_video_calibration(project, trial_id, camera, calibration)

    def _save_offset(self, trial_id: str, camera: str, offset_s: float) -> None:
        project = self._project_with(trial_id)
        if project is not None:
            set_video_offset(project, trial_id, camera, offset_s)

    def _project_with(self, trial_id: str) -> Project | None:
        """The open project if it still holds the trial (else None: nothing saved)."""
        project = self.session.project
        return (
            project if project is not None and trial_id in project.trial_ids else None
        )

    # ---- session

    def _on_trial_loaded(self, loaded: LoadedTrial) -> None:
        self.rebuild(loaded)

    def _on_cursor(self, time_s: float) -> None:
        for view in self.views.values():
            view.show_time(time_s)

    def _on_events_changed(self, trial_id: str) -> None:
        current = self.session.current
        if current is None or trial_id != self._trial_id:
            return
        events = [
            EventChoice(f"{e.label} {e.context}", e.time_s)
            for e in _gait_events(current)
        ]
        for view in self.views.values():
            view.set_events(events)


def _gait_events(loaded: LoadedTrial) -> list:
    """The events shown on the plots: the detected ones, else the trial's own."""
    result = loaded.results.get("gait_events")
    events = result.events if result is not None and result.events else []
    events = events or loaded.trial.events
    return sorted(
        (e for e in events if e.label in (FOOT_STRIKE, FOOT_OFF)),
        key=lambda e: e.time_s,
    )
