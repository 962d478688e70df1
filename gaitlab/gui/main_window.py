"""The main window: trials, synchronized plots, body view, metrics, pipeline, log.

Layout: the trial browser on the left (full height), the signal plots in
the centre, the body view on the right, and at the bottom the metrics
tables, the pipeline panel and the log as tabs. Every dock can be moved,
closed and brought back from the View menu; the layout is remembered in the
user's preferences.

Everything goes through the :class:`~gaitlab.session.Session`: the window
opens projects, starts the long operations as background tasks
(:mod:`gaitlab.gui.tasks`, one at a time, with progress and Cancel in the
status bar) and loads the selected trial in a worker thread; the views
follow the session's signals.
"""

from __future__ import annotations

import contextlib
import html
import logging
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import platformdirs
from PySide6.QtCore import QByteArray, QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QFrame,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QScrollArea,
    QStyle,
    QTabWidget,
    QToolButton,
    QWidget,
)

from gaitlab._version import version_text
from gaitlab.core.errors import GaitlabError
from gaitlab.gui.settings import UserSettings, load_settings, save_settings
from gaitlab.gui.tasks import (
    GeneratorTask,
    TrialLoader,
    connect_while_alive,
    show_error,
)
from gaitlab.gui.views.body_view import BodyView
from gaitlab.gui.views.compare_view import CompareView
from gaitlab.gui.views.export_trial_dialog import ExportTrialDialog
from gaitlab.gui.views.import_dialog import ImportDialog
from gaitlab.gui.views.metrics_view import MetricsView
from gaitlab.gui.views.pipeline_panel import PipelinePanel
from gaitlab.gui.views.plugins_dialog import (
    PluginsDialog,
    builtin_failure_text,
    open_plugin_guide,
)
from gaitlab.gui.views.report_dialog import ReportDialog
from gaitlab.gui.views.signal_plots import SignalPlotsView
from gaitlab.gui.views.subject_editor import SubjectEditor
from gaitlab.gui.views.trial_browser import TrialBrowser
from gaitlab.gui.views.video_docks import VideoDocks, is_video
from gaitlab.session import LoadedTrial, Session
from gaitlab.store.schema import INDEX_FILE, is_project

__all__ = ["LogView", "MainWindow"]

log = logging.getLogger(__name__)

PROJECT_SUFFIX = ".gaitlab"
LOG_LEVEL_COLOURS = {"WARNING": "#9a6700", "ERROR": "#c62828", "CRITICAL": "#c62828"}
SERIES_SETTING = "gui_series"
"""Project setting: the plugin series chosen in *Plots & series*, kept with
the project ([[plugin, series], ...])."""


class _LogEmitter(QObject):
    record_logged = Signal(str, str)


class _QtLogHandler(logging.Handler):
    """Sends log records to the log view through a queued Qt signal (any thread)."""

    def __init__(self, emitter: _LogEmitter) -> None:
        super().__init__(logging.INFO)
        self.emitter = emitter
        self.setFormatter(
            logging.Formatter(
                "%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"
            )
        )

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(RuntimeError):  # the view is gone (window closed)
            self.emitter.record_logged.emit(record.levelname, self.format(record))


class LogView(QPlainTextEdit):
    """The log dock: ``gaitlab.*`` records at INFO and above, warnings in colour."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setMaximumBlockCount(5000)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self._emitter = _LogEmitter()
        self._emitter.record_logged.connect(self.add_record)
        self.handler = _QtLogHandler(self._emitter)
        self.logger = logging.getLogger("gaitlab")
        self.logger.addHandler(self.handler)
        self.destroyed.connect(lambda: self.logger.removeHandler(self.handler))

    def detach(self) -> None:
        """Stop receiving records (the window is closing)."""
        self.logger.removeHandler(self.handler)

    def add_record(self, level: str, text: str) -> None:
        """Append one formatted record."""
        colour = LOG_LEVEL_COLOURS.get(level)
        first, _, rest = text.partition("\n")
        shown = html.escape(first) + (" (details in the log file)" if rest else "")
        self.appendHtml(
            f'<span style="color:{colour}">{shown}</span>' if colour else shown
        )

    def text(self) -> str:
        """Everything shown."""
        return self.toPlainText()


class MainWindow(QMainWindow):
    """The gaitlab main window on a session.

    Parameters
    ----------
    session : Session
        The application state (a project may already be open).
    settings : UserSettings or None
        User preferences (None: read them from the user's config folder).
    persist_settings : bool
        Write the preferences back (recent projects, layout); False for
        screenshots.
    """

    def __init__(
        self,
        session: Session,
        settings: UserSettings | None = None,
        *,
        persist_settings: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.settings = settings if settings is not None else load_settings()
        self.persist_settings = persist_settings
        self.task: GeneratorTask | None = None
        self.run_workers: int | None = None
        self._pending_cursor: tuple[str, float] | None = None
        self._dialogs: list[QWidget] = []

        self.setWindowTitle("gaitlab")
        self.setAcceptDrops(True)
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks
            | QMainWindow.DockOption.AllowTabbedDocks
            | QMainWindow.DockOption.AllowNestedDocks
        )
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.TopLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)

        self.plots = SignalPlotsView(session)
        # the plots scroll only when the window is smaller than their minimum size
        self.plots_area = QScrollArea()
        self.plots_area.setWidget(self.plots)
        self.plots_area.setWidgetResizable(True)
        self.plots_area.setFrameShape(QFrame.Shape.NoFrame)
        self.setCentralWidget(self.plots_area)
        self.body = BodyView(session)
        self.browser = TrialBrowser(session)
        self.metrics = MetricsView(session)
        self.pipeline_panel = PipelinePanel(session)
        self.log_view = LogView()
        self.loader = TrialLoader(session, [self.plots, self.body], self)

        self.browser_dock = self._dock(
            "Trials", self.browser, Qt.DockWidgetArea.LeftDockWidgetArea
        )
        self.body_dock = self._dock(
            "Body view", self.body, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.metrics_dock = self._dock(
            "Metrics", self.metrics, Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.pipeline_dock = self._dock(
            "Pipeline", self.pipeline_panel, Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.log_dock = self._dock(
            "Log", self.log_view, Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.compare = CompareView(session)
        self.compare_dock = self._dock(
            "Compare", self.compare, Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.tabifyDockWidget(self.metrics_dock, self.pipeline_dock)
        self.tabifyDockWidget(self.pipeline_dock, self.log_dock)
        self.tabifyDockWidget(self.log_dock, self.compare_dock)
        self.metrics_dock.raise_()
        self.videos = VideoDocks(self, session)  # one dock per camera of the trial
        self.body.figure_shown.connect(self._on_figure_shown)
        self._default_state = self.saveState()
        self._sized = False

        self.actions_: dict[str, QAction] = {}
        self._build_menus()
        self._build_status_bar()

        self.browser.trial_chosen.connect(self._on_trial_chosen)
        self.browser.selection_changed.connect(self._update_actions)
        self.loader.started.connect(self._on_load_started)
        self.loader.shown.connect(self._on_trial_shown)
        self.loader.failed.connect(self._on_load_failed)
        self.metrics.step_activated.connect(self.show_trial)
        self.metrics.trial_activated.connect(self.show_trial)
        self.pipeline_panel.run_requested.connect(self.run_pipeline)
        self.pipeline_panel.applied.connect(self._on_pipeline_applied)
        self.plots.series_chosen.connect(self._remember_series)
        connect_while_alive(
            self,
            [
                (session.project_changed, self._on_project_changed),
                (session.cursor_moved, self._on_cursor_moved),
                (session.history_changed, self._update_undo),
                (session.busy_changed, self._on_busy_changed),
                (session.trial_loaded, lambda _: self._update_actions()),
            ],
        )
        self._restore_layout()
        self._on_project_changed(session.project)
        self._update_undo()

    # ---- public: projects and files

    def open_project(self, path: str | Path) -> bool:
        """Open a project folder (or its ``project.h5``); False (error shown) if not."""
        folder = Path(path)
        if folder.name == INDEX_FILE:
            folder = folder.parent
        if self.session.busy:
            self.statusBar().showMessage(
                "Wait for the running task to end (or cancel it).", 5000
            )
            return False
        try:
            self.session.open(folder)
        except (GaitlabError, OSError) as error:
            log.error("project %s could not be opened: %s", folder, error)
            show_error(self, "Open project", f"{folder} could not be opened:\n{error}")
            if not folder.exists():
                self.settings.remove_recent(folder)
                self._save_settings()
                self._rebuild_recent_menu()
            return False
        log.info("opened project %s", folder)
        self._remember_recent(folder)
        return True

    def new_project(self, path: str | Path) -> bool:
        """Create an empty project and open it."""
        folder = Path(path)
        if folder.suffix != PROJECT_SUFFIX:
            folder = folder.with_name(folder.name + PROJECT_SUFFIX)
        try:
            self.session.create(folder)
        except (GaitlabError, OSError) as error:
            show_error(self, "New project", f"{folder} could not be created:\n{error}")
            return False
        log.info("created project %s", folder)
        self._remember_recent(folder)
        return True

    def _remember_recent(self, folder: Path) -> None:
        """Put a project first in the recent projects (settings and menu)."""
        self.settings.add_recent(folder)
        self._save_settings()
        self._rebuild_recent_menu()

    def import_paths(self, paths: Sequence[str | Path]) -> ImportDialog | None:
        """Open the import dialog for files and folders.

        Without an open project, a new one is asked for first.
        """
        if not paths:
            return None
        if self.session.busy:
            self.statusBar().showMessage(
                "Wait for the running task to end (or cancel it).", 5000
            )
            return None
        if self.session.project is None and not self._ask_new_project(
            "New project for the imported files"
        ):
            return None
        dialog = ImportDialog(self.session, list(paths), self.start_task, self)
        self._keep(dialog)
        dialog.show()
        dialog.raise_()
        return dialog

    def start_task(
        self, make_generator: Callable[[], Iterator[Any]], title: str
    ) -> GeneratorTask | None:
        """Run a session generator in the background (None if a task is running)."""
        if self.session.busy:
            self.statusBar().showMessage(
                f"“{title}” must wait: another task is running.", 5000
            )
            return None
        task = GeneratorTask(self.session, make_generator, title)
        self.task = task
        task.progressed.connect(self._on_task_progress)
        task.failed.connect(
            lambda message, details: self._on_task_failed(task, message, details)
        )
        task.finished.connect(lambda cancelled: self._on_task_finished(task, cancelled))
        self.task_label.setText(f"{title}…")
        self.task_progress.setRange(0, 0)
        task.start()
        return task

    def cancel_task(self) -> None:
        """Cancel the running task after its current item."""
        if self.task is not None and self.task.running:
            self.task.cancel()
            self.task_label.setText(f"{self.task.title}: cancelling…")
            self.task_cancel.setEnabled(False)

    def run_pipeline(self, scope: str = "project") -> GeneratorTask | None:
        """Run the pipeline: ``selected`` trials, the ``project``, or ``stale`` only.

        Parameters changed in the pipeline panel are saved first: what runs
        is what the panel shows.
        """
        if self.session.project is None:
            return None
        if self.pipeline_panel.dirty and not self.pipeline_panel.apply():
            self.pipeline_dock.raise_()  # the panel says why the form cannot be saved
            return None
        trial_ids: list[str] | None = None
        if scope == "selected":
            trial_ids = self.browser.selected_trial_ids()
            if not trial_ids:
                self.statusBar().showMessage(
                    "Select trials in the trial browser first.", 5000
                )
                return None
        workers = self.run_workers
        only_stale = scope == "stale"
        titles = {
            "selected": "Running the pipeline on the selected trials",
            "project": "Running the pipeline",
            "stale": "Updating stale results",
        }
        task = self.start_task(
            lambda: self.session.run(trial_ids, only_stale=only_stale, workers=workers),
            titles.get(scope, "Running the pipeline"),
        )
        if task is not None:
            self.pipeline_panel.attach_run(task)
        return task

    def show_trial(self, trial_id: str, cursor_s: float | None = None) -> None:
        """Show a trial (loaded in the background), the cursor at ``cursor_s``
        in the middle of the plots."""
        current = self.session.current
        if (
            current is not None
            and current.trial_id == trial_id
            and not self.loader.loading
        ):
            if cursor_s is not None:
                self.session.set_cursor(cursor_s)
                self.plots.centre_on(self.session.cursor_s)
            return
        self._pending_cursor = (trial_id, cursor_s) if cursor_s is not None else None
        self.browser.select_trial(trial_id)
        if self.loader.loading_id != trial_id:
            self.loader.request(trial_id)

    @property
    def docks(self) -> tuple[QDockWidget, ...]:
        """The window's docks, in the order of the View menu."""
        return (
            self.browser_dock,
            self.body_dock,
            self.metrics_dock,
            self.pipeline_dock,
            self.log_dock,
        )

    @property
    def idle(self) -> bool:
        """True when nothing runs in the background (task, loading, tables, states)."""
        return (
            not self.session.busy
            and not self.loader.loading
            and not self.browser.updating
            and not self.metrics.updating
        )

    # ---- building

    def _dock(
        self, title: str, widget: QWidget, area: Qt.DockWidgetArea
    ) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{title.lower().replace(' ', '_')}")
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.addDockWidget(area, dock)
        return dock

    def _action(
        self,
        key: str,
        text: str,
        slot: Callable[[], Any],
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
        tip: str = "",
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.triggered.connect(lambda _=False: slot())
        self.actions_[key] = action
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(
            self._action(
                "new",
                "&New project…",
                self._new_project_dialog,
                QKeySequence.StandardKey.New,
                "Create an empty project folder",
            )
        )
        file_menu.addAction(
            self._action(
                "open",
                "&Open project…",
                self._open_project_dialog,
                QKeySequence.StandardKey.Open,
                "Open a project folder (NAME.gaitlab)",
            )
        )
        self.recent_menu = QMenu("Open &recent", self)
        file_menu.addMenu(self.recent_menu)
        file_menu.addSeparator()
        file_menu.addAction(
            self._action(
                "import_files",
                "&Import files…",
                self._import_files_dialog,
                "Ctrl+I",
                "Import C3D files into the project",
            )
        )
        file_menu.addAction(
            self._action(
                "import_folder",
                "Import &folder…",
                self._import_folder_dialog,
                "Ctrl+Shift+I",
                "Import every C3D file in a folder and its subfolders",
            )
        )
        file_menu.addAction(
            self._action(
                "export",
                "&Export metrics…",
                self._export_dialog,
                "Ctrl+E",
                "Write the metrics of every trial (CSV or XLSX, with provenance)",
            )
        )
        file_menu.addAction(
            self._action(
                "export_trial",
                "Export &trial…",
                self.show_export_trial_dialog,
                "Ctrl+Shift+E",
                "Write the shown trial for OpenSim (TRC, MOT), MATLAB (MAT) or "
                "back as C3D",
            )
        )
        file_menu.addAction(
            self._action(
                "export_report",
                "Export &report…",
                self.show_report_dialog,
                None,
                "Write the runner report: one self-contained HTML page per "
                "project or runner",
            )
        )
        file_menu.addSeparator()
        file_menu.addAction(
            self._action("quit", "&Quit", self.close, QKeySequence.StandardKey.Quit)
        )

        edit_menu = bar.addMenu("&Edit")
        undo = self._action("undo", "&Undo", self._undo, QKeySequence.StandardKey.Undo)
        redo = self._action("redo", "&Redo", self._redo)
        shortcuts = [QKeySequence("Ctrl+Shift+Z")]
        if QKeySequence(QKeySequence.StandardKey.Redo) not in shortcuts:
            shortcuts.append(QKeySequence(QKeySequence.StandardKey.Redo))
        redo.setShortcuts(shortcuts)
        edit_menu.addAction(undo)
        edit_menu.addAction(redo)
        edit_menu.addSeparator()
        edit_menu.addAction(
            self._action(
                "subjects",
                "&Subjects…",
                self.show_subject_editor,
                tip="Body mass, stature, sex, leg, foot and shoe length of the subjects",
            )
        )
        edit_menu.addAction(
            self._action(
                "group_trials",
                "&Group trials…",
                self.browser.group_selected,
                tip="Subject, session and condition of the selected trials (undoable)",
            )
        )

        analysis = bar.addMenu("&Analysis")
        analysis.addAction(
            self._action(
                "run_selected",
                "Run pipeline on &selected trials",
                lambda: self.run_pipeline("selected"),
                "Ctrl+R",
            )
        )
        analysis.addAction(
            self._action(
                "run_project",
                "Run pipeline on the &project",
                lambda: self.run_pipeline("project"),
                "Ctrl+Shift+R",
            )
        )
        analysis.addAction(
            self._action(
                "run_stale",
                "Run pipeline on s&tale results only",
                lambda: self.run_pipeline("stale"),
            )
        )
        analysis.addAction(
            self._action("cancel", "&Cancel task", self.cancel_task, "Ctrl+.")
        )
        analysis.addSeparator()
        analysis.addAction(
            self._action(
                "plugins",
                "P&lugins…",
                self.show_plugins_dialog,
                tip="Discovered plugins, sources, versions and load failures",
            )
        )

        view = bar.addMenu("&View")
        view.addAction(self.plots.strides_action)
        view.addAction(self.plots.whole_action)
        view.addSeparator()
        for dock in self.docks:
            view.addAction(dock.toggleViewAction())
        view.addSeparator()
        view.addAction(
            self._action("reset_layout", "Reset &layout", self._reset_layout)
        )

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(
            self._action(
                "guide",
                "&Plugin guide",
                lambda: open_plugin_guide(self),
                tip="How to write an analysis plugin (docs/plugins.md)",
            )
        )
        help_menu.addAction(
            self._action("log_folder", "Open &log folder", self._open_log_folder)
        )
        help_menu.addAction(self._action("about", "&About gaitlab", self._about))
        self._rebuild_recent_menu()

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.project_label = QLabel()
        self.trial_label = QLabel()
        self.cursor_label = QLabel()
        self.cursor_label.setMinimumWidth(110)
        self.task_label = QLabel()
        self.task_progress = QProgressBar()
        self.task_progress.setMaximumWidth(180)
        self.task_progress.setMaximumHeight(16)
        self.task_progress.setFormat("%v / %m")
        self.task_cancel = QToolButton(text="Cancel")
        self.task_cancel.setToolTip("Stop after the current file or trial")
        self.task_cancel.clicked.connect(self.cancel_task)
        # built-in plugins that failed to load: shown until they load again
        self.plugin_warning = QToolButton()
        self.plugin_warning.setAutoRaise(True)
        self.plugin_warning.setToolButtonStyle(
            Qt.ToolButtonStyle.ToolButtonTextBesideIcon
        )
        self.plugin_warning.setIcon(
            self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        )
        self.plugin_warning.setStyleSheet("QToolButton { color: #8A5300; }")
        self.plugin_warning.clicked.connect(self.show_plugins_dialog)
        bar.addPermanentWidget(self.plugin_warning)
        self._update_plugin_warning()
        for widget in (self.task_label, self.task_progress, self.task_cancel):
            bar.addPermanentWidget(widget)
            widget.hide()
        for widget in (self.project_label, self.trial_label, self.cursor_label):
            bar.addPermanentWidget(widget)

    def _update_plugin_warning(self) -> None:
        """Show (and log) the built-in plugins that failed to load, or hide the warning."""
        report = self.session.plugins
        text = builtin_failure_text(report)
        self.plugin_warning.setText(text)
        self.plugin_warning.setToolTip(
            "\n".join(f"{f.source}: {f.error}" for f in report.failures if f.builtin)
        )
        self.plugin_warning.setVisible(bool(text))
        if text:
            log.warning("%s", text)

    def _rebuild_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in self.settings.recent_projects:
            action = self.recent_menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.setStatusTip(path)
            action.setEnabled(is_project(path))
            action.triggered.connect(lambda _=False, path=path: self.open_project(path))
        if not self.settings.recent_projects:
            empty = self.recent_menu.addAction("(none yet)")
            empty.setEnabled(False)

    def _keep(self, dialog: QWidget) -> None:
        """Keep a reference to a non-modal dialog until it is destroyed."""
        self._dialogs.append(dialog)
        dialog.destroyed.connect(
            lambda _=None, dialog=dialog: (
                self._dialogs.remove(dialog) if dialog in self._dialogs else None
            )
        )

    # ---- dialogs

    def _ask_new_project(self, caption: str) -> bool:
        path, _ = QFileDialog.getSaveFileName(
            self,
            caption,
            self.settings.last_folder("project"),
            f"gaitlab project (*{PROJECT_SUFFIX})",
        )
        if not path:
            return False
        self.settings.remember_folder("project", Path(path).parent)
        return self.new_project(path)

    def _new_project_dialog(self) -> None:
        self._ask_new_project("New project")

    def _ask_folder(self, caption: str, kind: str) -> str:
        """A folder chosen by the user ("" if cancelled), starting in the last
        folder used for ``kind``."""
        return QFileDialog.getExistingDirectory(
            self, caption, self.settings.last_folder(kind)
        )

    def _open_project_dialog(self) -> None:
        path = self._ask_folder("Open project (a NAME.gaitlab folder)", "project")
        if path:
            self.settings.remember_folder("project", Path(path).parent)
            self.open_project(path)

    def _import_files_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self,
            "Import C3D files",
            self.settings.last_folder("import"),
            "C3D files (*.c3d *.C3D);;All files (*)",
        )
        if paths:
            self.settings.remember_folder("import", Path(paths[0]).parent)
            self.import_paths(paths)

    def _import_folder_dialog(self) -> None:
        path = self._ask_folder("Import every C3D file in a folder", "import")
        if path:
            self.settings.remember_folder("import", path)
            self.import_paths([path])

    def _export_dialog(self) -> None:
        self.metrics_dock.raise_()
        self.metrics.export_dialog("csv", whole_project=True)

    def _remember_series(self, choice: list[list[str]]) -> None:
        """Keep the series chosen in *Plots & series* with the project."""
        project = self.session.project
        if project is None or self.session.busy:
            return
        try:
            project.set_setting(SERIES_SETTING, choice or None)
        except (GaitlabError, OSError) as error:  # e.g. another process writes
            log.warning("the chosen series were not saved in the project: %s", error)

    def show_tab(self, name: str) -> None:
        """Bring a dock or tab to the front by its title (any case).

        Raises
        ------
        KeyError
            No dock or tab has that title; the message lists those that do.
        """
        wanted = name.strip().lower().replace("&", "")
        titles = []
        for dock in self.findChildren(QDockWidget):
            title = dock.windowTitle().replace("&", "")
            titles.append(title)
            if title.lower() == wanted:
                dock.show()
                dock.raise_()
                return
        for tabs in self.findChildren(QTabWidget):
            for index in range(tabs.count()):
                title = tabs.tabText(index).replace("&", "")
                titles.append(title)
                if title.lower() == wanted:
                    tabs.setCurrentIndex(index)
                    parent = tabs.parentWidget()
                    while parent is not None and not isinstance(parent, QDockWidget):
                        parent = parent.parentWidget()
                    if parent is not None:
                        parent.show()
                        parent.raise_()
                    return
        raise KeyError(
            f"no tab {name!r}; tabs are: {', '.join(sorted(set(titles), key=str.lower))}"
        )

    def _on_figure_shown(self, figure: object, colours: dict[str, str]) -> None:
        """The body view's figure at the cursor, for the calibrated cameras (a slot
        of this window: Qt drops the connection with it; a plain Python object's
        method would leave PySide a receiver to clean up at garbage collection)."""
        self.videos.show_figure(figure, colours)  # type: ignore[arg-type]

    def show_export_trial_dialog(self) -> ExportTrialDialog | None:
        """Show the export dialog for the trial on screen (None when there is none)."""
        current = self.session.current
        if current is None or self.session.project is None:
            self.statusBar().showMessage("Show a trial first, then export it.", 5000)
            return None
        folder = self.session.project.path.parent / "exports"
        dialog = ExportTrialDialog(self, self.session, current.trial_id, folder)
        dialog.setModal(False)
        dialog.show()
        return dialog

    def show_report_dialog(self, subject: str | None = None) -> ReportDialog | None:
        """Show the report dialog (not modal); None when no project is open."""
        if self.session.project is None:
            self.statusBar().showMessage("Open a project first, then report it.", 5000)
            return None
        dialog = ReportDialog(self, self.session, subject)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._keep(dialog)
        dialog.show()
        return dialog

    def show_plugins_dialog(self) -> PluginsDialog:
        """Show the plugins dialog (not modal)."""
        dialog = PluginsDialog(self, self.session)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.reloaded.connect(lambda _: self._on_plugins_reloaded())
        self._keep(dialog)
        dialog.show()
        return dialog

    def show_subject_editor(self, subject_id: str | None = None) -> SubjectEditor:
        """Show the subject editor (not modal), on a subject (default: the subject
        of the trial shown or of the first selected trial)."""
        project = self.session.project
        if subject_id is None and project is not None:
            current = self.session.current
            chosen = (
                [current.trial_id]
                if current is not None
                else self.browser.selected_trial_ids()
            )
            if chosen:
                subject_id = project.record(chosen[0]).subject_id
        dialog = SubjectEditor(self.session, subject_id, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._keep(dialog)
        dialog.show()
        return dialog

    def _about(self) -> None:
        box = QMessageBox(self)
        box.setWindowTitle("About gaitlab")
        box.setIcon(QMessageBox.Icon.Information)
        box.setText(
            f"<b>{version_text()}</b><br>Force plates and motion capture for "
            "running "
            "biomechanics: C3D import, HDF5 projects, analysis plugins, desktop app."
        )
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()

    def _open_log_folder(self) -> None:
        folder = Path(platformdirs.user_log_dir("gaitlab", appauthor=False))
        folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def _default_dock_sizes(self) -> None:
        """Docks sized for a lab screen: the plots get most of the room."""
        width, height = self.width(), self.height()
        self.resizeDocks(
            [self.browser_dock, self.body_dock],
            [max(260, width // 5), max(420, width * 3 // 10)],
            Qt.Orientation.Horizontal,
        )
        self.resizeDocks(
            [self.metrics_dock], [max(180, height // 4)], Qt.Orientation.Vertical
        )

    def _reset_layout(self) -> None:
        for dock in self.docks:
            dock.show()
        self.restoreState(self._default_state)
        self._default_dock_sizes()

    # ---- undo / redo

    def _undo(self) -> None:
        if not self.session.busy:
            self.session.undo()

    def _redo(self) -> None:
        if not self.session.busy:
            self.session.redo()

    def _update_undo(self) -> None:
        undo, redo = self.session.undo_text, self.session.redo_text
        self.actions_["undo"].setText(f"&Undo {undo}" if undo else "&Undo")
        self.actions_["redo"].setText(f"&Redo {redo}" if redo else "&Redo")
        self.actions_["undo"].setEnabled(bool(undo) and not self.session.busy)
        self.actions_["redo"].setEnabled(bool(redo) and not self.session.busy)

    # ---- state

    def _update_actions(self) -> None:
        has_project = self.session.project is not None
        busy = self.session.busy
        for key in ("new", "open", "import_files", "import_folder"):
            self.actions_[key].setEnabled(not busy)
        self.recent_menu.setEnabled(not busy)
        for key in ("export", "export_report", "run_project", "run_stale", "subjects"):
            self.actions_[key].setEnabled(has_project and not busy)
        self.actions_["export_trial"].setEnabled(
            has_project and not busy and self.session.current is not None
        )
        self.actions_["run_selected"].setEnabled(
            has_project and not busy and bool(self.browser.selected_trial_ids())
        )
        self.actions_["group_trials"].setEnabled(
            has_project and not busy and bool(self.browser.selected_trial_ids())
        )
        self.actions_["cancel"].setEnabled(busy)
        self._update_undo()

    def _update_title(self) -> None:
        project = self.session.project
        current = self.session.current
        parts = ["gaitlab"]
        if project is not None:
            parts.append(project.path.name)
        if current is not None:
            parts.append(current.trial_id)
        self.setWindowTitle(" — ".join(parts))
        self.project_label.setText(
            f"Project: {project.path.name}" if project is not None else "No project"
        )
        self.project_label.setToolTip(str(project.path) if project is not None else "")
        self.trial_label.setText(
            f"Trial: {current.trial_id}" if current is not None else "No trial shown"
        )

    def _on_project_changed(self, _: object) -> None:
        project = self.session.project
        saved = project.settings.get(SERIES_SETTING, []) if project is not None else []
        self.plots.set_series_choice((str(plugin), str(name)) for plugin, name in saved)
        self._pending_cursor = None
        self._update_title()
        self._on_cursor_moved(self.session.cursor_s)
        self._update_actions()

    def _on_cursor_moved(self, time_s: float) -> None:
        self.cursor_label.setText(
            f"t = {time_s:.3f} s" if self.session.current is not None else ""
        )

    def _on_busy_changed(self, busy: bool) -> None:
        for widget in (self.task_label, self.task_progress, self.task_cancel):
            widget.setVisible(busy)
        self.task_cancel.setEnabled(busy)
        self._update_actions()

    def _on_trial_chosen(self, trial_id: str) -> None:
        current = self.session.current
        if (
            current is not None
            and current.trial_id == trial_id
            and not self.loader.loading
        ):
            return
        self.loader.request(trial_id)

    def _on_load_started(self, trial_id: str) -> None:
        self.trial_label.setText(f"Loading {trial_id}…")

    def _on_trial_shown(self, loaded: LoadedTrial) -> None:
        self._update_title()
        pending, self._pending_cursor = self._pending_cursor, None
        if pending is not None and pending[0] == loaded.trial_id:
            self.session.set_cursor(pending[1])
            self.plots.centre_on(self.session.cursor_s)
        self._on_cursor_moved(self.session.cursor_s)

    def _on_load_failed(self, trial_id: str, message: str, details: str) -> None:
        self._update_title()
        show_error(
            self,
            "Trial not loaded",
            f"Trial {trial_id} could not be loaded:\n{message}",
            details,
        )

    def _on_task_progress(self, done: int, total: int, text: str) -> None:
        if total:
            self.task_progress.setRange(0, total)
            self.task_progress.setValue(done)
        if self.task is not None and text:
            self.task_label.setText(f"{self.task.title}: {text}")

    def _on_task_failed(self, task: GeneratorTask, message: str, details: str) -> None:
        show_error(
            self, task.title, f"{task.title} stopped on an error:\n{message}", details
        )

    def _on_task_finished(self, task: GeneratorTask, cancelled: bool) -> None:
        text = f"{task.title}: cancelled" if cancelled else f"{task.title}: done"
        if task.error:
            text = f"{task.title}: failed ({task.error})"
        self.statusBar().showMessage(text, 8000)

    def _on_pipeline_applied(self) -> None:
        self.browser.refresh_statuses()
        self.metrics.refresh()

    def _on_plugins_reloaded(self) -> None:
        self.pipeline_panel.rebuild()
        self.browser.refresh_statuses()
        self._update_plugin_warning()

    # ---- layout and settings

    def _restore_layout(self) -> None:
        geometry = self.settings.window_geometry
        if geometry:
            self.restoreGeometry(QByteArray.fromBase64(geometry.encode()))
        else:
            self.resize(1600, 1000)
        state = self.settings.window_state
        if state:
            self.restoreState(QByteArray.fromBase64(state.encode()))

    def _save_settings(self) -> None:
        if self.persist_settings:
            try:
                save_settings(self.settings)
            except OSError as error:
                log.warning("user settings not saved: %s", error)

    # ---- Qt events

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt)
        """Accept local files and folders."""
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if urls and all(url.isLocalFile() for url in urls) and not self.session.busy:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt override)
        """A dropped project folder opens; video files are attached to the
        trial shown; other files and folders are imported."""
        paths = [
            Path(url.toLocalFile())
            for url in event.mimeData().urls()
            if url.isLocalFile()
        ]
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        videos = [p for p in paths if is_video(p)]
        if videos and len(videos) == len(paths):
            problems = self.videos.attach(videos)
            if problems:
                QMessageBox.warning(self, "Videos not attached", "\n".join(problems))
        elif len(paths) == 1 and is_project(paths[0]):
            self.open_project(paths[0])
        else:
            self.import_paths(paths)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        """The first time: default dock sizes, unless the user's layout was restored."""
        super().showEvent(event)
        if not self._sized:
            self._sized = True
            if not self.settings.window_state:  # once the layout has its final size
                QTimer.singleShot(0, self, self._default_dock_sizes)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        """Cancel a running task (work done is kept), save the layout."""
        if self.task is not None and self.task.running:
            self.task.cancel()
            self.task.wait(60.0)
        self.loader.wait(30.0)
        self.settings.window_geometry = bytes(
            self.saveGeometry().toBase64().data()
        ).decode()
        self.settings.window_state = bytes(self.saveState().toBase64().data()).decode()
        self._save_settings()
        self.log_view.detach()
        for dialog in list(self._dialogs):
            dialog.close()
        super().closeEvent(event)
