"""Starting the desktop app: ``gaitlab-gui`` / ``gaitlab gui``.

:func:`main` is the ``gaitlab-gui`` entry point (and what the desktop entry
runs). :func:`run_gui` does the work for it and for ``gaitlab gui`` and
``gaitlab demo``: it creates the QApplication, sets the pyqtgraph options
once, logs to a rotating file in the user's log folder, turns uncaught
exceptions into a non-modal error dialog, and shows the main window.

With ``screenshot``, the window opens the project and trial, waits until
everything is drawn (trial loaded, every view's ``drawn``, no task or
background read running), saves ``window.grab()`` as a PNG and quits; a
watchdog gives up after ``timeout_s``.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
import threading
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import platformdirs
import pyqtgraph as pg
from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication

from gaitlab.gui.main_window import MainWindow
from gaitlab.gui.settings import UserSettings, load_settings
from gaitlab.gui.tasks import collect_on_gui_thread_only, show_error, wait_for_workers
from gaitlab.session import Session
from gaitlab.store import is_project

__all__ = [
    "LOG_FILE_NAME",
    "GuiExit",
    "ScreenshotTaker",
    "application",
    "configure_logging",
    "install_excepthook",
    "run_gui",
]

log = logging.getLogger(__name__)

LOG_FILE_NAME = "gaitlab.log"
DEFAULT_SCREENSHOT_SIZE = (1600, 1000)


def application(argv: Sequence[str] | None = None) -> QApplication:
    """The QApplication (created once, with the pyqtgraph options set once)."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv) if argv is not None else [sys.argv[0]])
        app.setApplicationName("gaitlab")
        app.setOrganizationName("gaitlab")
        app.setDesktopFileName("gaitlab")
        pg.setConfigOptions(antialias=True, background="w", foreground="k")
    assert isinstance(app, QApplication)
    return app


def configure_logging(level: int = logging.INFO) -> Path:
    """Log ``gaitlab.*`` records to a rotating file in the user's log folder.

    Returns the log file.
    """
    folder = Path(platformdirs.user_log_dir("gaitlab", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOG_FILE_NAME
    logger = logging.getLogger("gaitlab")
    if not any(getattr(h, "baseFilename", None) == str(path) for h in logger.handlers):
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
        )
        handler.setFormatter(
            logging.Formatter(
                "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"
            )
        )
        logger.addHandler(handler)
    root = logging.getLogger()
    for (
        console
    ) in root.handlers:  # the console keeps the level it was given (--log-level)
        if console.level == logging.NOTSET:
            console.setLevel(root.level)
    if logger.getEffectiveLevel() > level:
        logger.setLevel(level)
    return path


def install_excepthook(window_getter: object = None) -> None:
    """Uncaught exceptions: logged with their traceback, shown in a non-modal dialog.

    Parameters
    ----------
    window_getter : callable or None
        Returns the window to parent the dialog to (or None).
    """

    def hook(
        kind: type[BaseException], error: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, tb)
            return
        details = "".join(traceback.format_exception(kind, error, tb))
        log.error("unexpected error: %s: %s\n%s", kind.__name__, error, details)
        if QApplication.instance() is not None:
            parent = window_getter() if callable(window_getter) else None
            show_error(parent, "Unexpected error", f"{kind.__name__}: {error}", details)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        details = "".join(
            traceback.format_exception(
                args.exc_type, args.exc_value, args.exc_traceback
            )
        )
        log.error(
            "unexpected error in thread %s:\n%s",
            getattr(args.thread, "name", "?"),
            details,
        )

    sys.excepthook = hook
    threading.excepthook = thread_hook


@dataclass(frozen=True)
class GuiExit:
    """How the app ended.

    Attributes
    ----------
    status : int
        Exit status: 0 = fine, 1 = the screenshot could not be taken,
        2 = the project could not be opened.
    message : str
        What to tell the user ("" after an ordinary session).
    """

    status: int
    message: str = ""


class ScreenshotTaker(QObject):
    """Waits until the window shows a trial fully drawn, saves a PNG, quits the app.

    :attr:`status` is 0 when the picture was saved, 1 otherwise; :attr:`message`
    says what was saved or why not.
    """

    def __init__(
        self,
        window: MainWindow,
        path: Path,
        trial_id: str | None,
        timeout_s: float,
        time_s: float | None = None,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.path = path
        self.trial_id = trial_id
        self.time_s = time_s
        self.status = 1
        self.message = "the screenshot was not taken"
        self.drawn: dict[str, bool] = {"plots": False, "body view": False}
        window.plots.drawn.connect(lambda: self._mark("plots"))
        window.body.drawn.connect(lambda: self._mark("body view"))
        window.loader.failed.connect(
            lambda trial_id, message, _: self._fail(f"trial {trial_id}: {message}")
        )
        self._poll = QTimer(self, interval=50)
        self._poll.timeout.connect(self._check)
        self._watchdog = QTimer(self, singleShot=True, interval=int(timeout_s * 1000))
        self._watchdog.timeout.connect(self._timed_out)

    def start(self) -> None:
        """Choose the trial, show it and wait."""
        project = self.window.session.project
        if project is None:
            self._fail("no project is open")
            return
        ids = self.window.browser.trial_ids()
        if self.trial_id is None:
            moving = [t for t in ids if not project.is_static(t)]
            if not moving:
                self._fail(f"project {project.path} has no (non-static) trials to show")
                return
            self.trial_id = moving[0]
        elif self.trial_id not in ids:
            self._fail(
                f"no trial {self.trial_id!r} in {project.path}; "
                f"trials: {', '.join(ids)}"
            )
            return
        self.drawn = dict.fromkeys(self.drawn, False)
        self._watchdog.start()
        self._poll.start()
        self.window.show_trial(self.trial_id, self.time_s)

    def waiting_for(self) -> list[str]:
        """What is not ready yet."""
        session = self.window.session
        missing = [f"{name} drawn" for name, done in self.drawn.items() if not done]
        if session.current is None or session.current.trial_id != self.trial_id:
            missing.insert(0, f"trial {self.trial_id} loaded")
        if session.busy:
            missing.append("the running task")
        if self.window.browser.updating:
            missing.append("trial states")
        if self.window.metrics.updating:
            missing.append("metrics tables")
        return missing

    def _mark(self, name: str) -> None:
        current = self.window.session.current
        if current is not None and current.trial_id == self.trial_id:
            self.drawn[name] = True

    def _check(self) -> None:
        if self.waiting_for() or not self.window.idle:
            return
        self._poll.stop()
        self._watchdog.stop()
        QTimer.singleShot(200, self, self._save)  # let the last paint events through

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        picture = self.window.grab()
        if not picture.save(str(self.path), "PNG"):
            self._fail(f"could not write {self.path}")
            return
        self.message = (
            f"saved a {picture.width()}×{picture.height()} screenshot of trial "
            f"{self.trial_id} to {self.path}"
        )
        self.status = 0
        self.window.close()
        QApplication.instance().exit(0)  # type: ignore[union-attr]

    def _timed_out(self) -> None:
        waiting = ", ".join(self.waiting_for()) or "the window to settle"
        self._fail(f"timed out waiting for: {waiting}")

    def _fail(self, message: str) -> None:
        self._poll.stop()
        self._watchdog.stop()
        self.message = f"gaitlab gui --screenshot: {message}"
        self.status = 1
        self.window.close()
        QApplication.instance().exit(1)  # type: ignore[union-attr]


def run_gui(
    paths: Sequence[str | Path] = (),
    *,
    trial: str | None = None,
    time_s: float | None = None,
    screenshot: str | Path | None = None,
    size: tuple[int, int] | None = None,
    timeout_s: float = 60.0,
    series: Sequence[tuple[str, str]] = (),
    tab: str | None = None,
) -> GuiExit:
    """Show the main window until it is closed (or the screenshot is saved).

    Parameters
    ----------
    paths : sequence of path
        A project folder to open, and C3D files or folders to import into it.
    trial : str or None
        Trial to show first (default with ``screenshot``: the first non-static one).
    time_s : float or None
        Where to put the time cursor in that trial (s).
    screenshot : path or None
        Save a PNG of the window once everything is drawn, then quit.
    size : (int, int) or None
        Window size in pixels (default for screenshots: 1600×1000).
    timeout_s : float
        Screenshot watchdog.
    series : sequence of (str, str)
        Plugin series to plot, as (plugin, series), on top of the project's
        choice (for a screenshot of a plugin's output).
    tab : str or None
        Dock or tab to bring to the front (``"Pipeline"``, ``"3D markers"``,
        ``"Trials"`` …).

    Returns
    -------
    GuiExit
        Exit status and what to tell the user.
    """
    app = application()
    collect_on_gui_thread_only()
    log_file = configure_logging()
    window: MainWindow | None = None
    install_excepthook(lambda: window)
    log.info("gaitlab desktop app starting; log file %s", log_file)
    project = next(
        (Path(p) for p in paths if is_project(p)),
        None,
    )
    others = [Path(p) for p in paths if project is None or Path(p) != project]
    settings = UserSettings() if screenshot else load_settings()
    window = MainWindow(Session(), settings, persist_settings=screenshot is None)
    if size is not None or screenshot:
        window.resize(*(size or DEFAULT_SCREENSHOT_SIZE))
    window.show()
    if project is not None and not window.open_project(project):
        if screenshot:
            window.close()
            wait_for_workers()
            return GuiExit(
                2, f"gaitlab gui: {project} could not be opened (see {log_file})"
            )
    elif project is None and screenshot:
        window.close()
        wait_for_workers()
        return GuiExit(2, "gaitlab gui --screenshot needs a project folder")
    if series:
        chosen = window.plots.series_choice()
        window.plots.set_series_choice([*chosen, *series])
    if tab is not None:
        try:
            window.show_tab(tab)
        except KeyError as error:
            window.close()
            wait_for_workers()
            return GuiExit(2, f"gaitlab gui --tab: {error.args[0]}")
    if others and not screenshot:
        missing = [p for p in others if not p.exists()]
        for path in missing:
            log.warning("%s does not exist", path)
        if len(missing) < len(others):
            QTimer.singleShot(
                0,
                window,
                lambda: window.import_paths([p for p in others if p.exists()]),
            )
    if trial is not None and not screenshot and project is not None:
        QTimer.singleShot(0, window, lambda: window.show_trial(trial, time_s))
    if screenshot:
        taker = ScreenshotTaker(window, Path(screenshot), trial, timeout_s, time_s)
        QTimer.singleShot(0, taker, taker.start)
        app.exec()
        outcome = GuiExit(taker.status, taker.message)
    else:
        outcome = GuiExit(int(app.exec()))
    if not wait_for_workers():
        log.warning("background work still running at exit")
    return outcome
