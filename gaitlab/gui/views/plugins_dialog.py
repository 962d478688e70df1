"""The plugins dialog: what was discovered, from where, and what failed to load.

Lists every plugin (name, title, version, category, source) and every module
that could not be loaded, with its error; the traceback of a failure is shown
on demand. "Reload user plugins" discovers again (``discovery.refresh()``), so a
researcher can fix a plugin file and retry without restarting the app.
"""

from __future__ import annotations

import logging
import os
import traceback
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QBrush, QColor, QDesktopServices, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gaitlab._builtin import builtin_folder
from gaitlab._version import __version__
from gaitlab.gui.tasks import show_error, wait_for_workers
from gaitlab.pipeline.discovery import (
    PLUGIN_PATH_VARIABLE,
    DiscoveryReport,
    discover,
    refresh,
    user_plugin_folder,
)
from gaitlab.session import Session

__all__ = [
    "PluginsDialog",
    "builtin_failure_text",
    "open_plugin_guide",
    "plugin_guide_path",
    "source_kind",
]

log = logging.getLogger(__name__)


def source_kind(source: str) -> str:
    """``built-in``, ``package`` or ``user file`` from a discovery source label.

    Examples
    --------
    >>> source_kind("builtin:lean.py@sha256:ab12")
    'built-in'
    """
    kind = source.partition(":")[0]
    return {"builtin": "built-in", "dist": "package", "file": "user file"}.get(
        kind, kind
    )


def _source_path(source: str) -> str:
    return source.partition(":")[2].split("@sha256:")[0]


def builtin_failure_text(report: DiscoveryReport) -> str:
    """One line on the built-in plugins that failed to load ("" when none did).

    A built-in plugin that does not load is a bug in gaitlab (or a damaged
    installation): its analyses are missing from every run.

    Examples
    --------
    >>> from gaitlab.pipeline.discovery import PluginFailure
    >>> failure = PluginFailure("builtin:lean.py@sha256:ab12", "SyntaxError", builtin=True)
    >>> builtin_failure_text(DiscoveryReport(failures=[failure]))
    '1 built-in plugin failed to load (lean.py): its analyses are missing; see Analysis ▸ Plugins…'
    """
    failed = [f for f in report.failures if f.builtin]
    if not failed:
        return ""
    names = ", ".join(dict.fromkeys(Path(_source_path(f.source)).name for f in failed))
    many = len(failed) > 1
    return (
        f"{len(failed)} built-in plugin{'s' if many else ''} failed to load "
        f"({names}): {'their' if many else 'its'} analyses are missing; see "
        "Analysis ▸ Plugins…"
    )


class PluginsDialog(QDialog):
    """Discovered plugins and load failures, with a reload button (not modal).

    Signals
    -------
    reloaded(object)
        Discovery ran again; the new DiscoveryReport.
    """

    reloaded = Signal(object)

    def __init__(
        self, parent: QWidget | None = None, session: Session | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Plugins")
        self.setModal(False)
        self.resize(900, 560)
        self.report: DiscoveryReport = discover()

        folders = [str(user_plugin_folder())]
        folders += [
            p for p in os.environ.get(PLUGIN_PATH_VARIABLE, "").split(os.pathsep) if p
        ]
        self.folders_label = QLabel(
            "User plugin folders: "
            + "; ".join(folders)
            + f" (add folders with {PLUGIN_PATH_VARIABLE})."
        )
        self.folders_label.setWordWrap(True)
        self.folders_label.setStyleSheet("color: #555;")

        self.plugins = QTableWidget(0, 5)
        self.plugins.setHorizontalHeaderLabels(
            ["Name", "Title", "Version", "Category", "Source"]
        )
        self.failures = QTableWidget(0, 2)
        self.failures.setHorizontalHeaderLabels(["Source", "Error"])
        for table in (self.plugins, self.failures):
            table.verticalHeader().hide()
            table.verticalHeader().setDefaultSectionSize(24)
            table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
            table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
            table.setWordWrap(False)
            table.horizontalHeader().setStretchLastSection(True)
        for column in range(4):
            self.plugins.horizontalHeader().setSectionResizeMode(
                column, QHeaderView.ResizeMode.ResizeToContents
            )
        self.failures.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.Interactive
        )
        self.failures.setColumnWidth(0, 320)
        self.failures.itemSelectionChanged.connect(self._show_selected_traceback)

        self.failures_label = QLabel()
        self.traceback_button = QPushButton("Show traceback")
        self.traceback_button.setCheckable(True)
        self.traceback_button.toggled.connect(self._toggle_traceback)
        self.traceback = QPlainTextEdit(readOnly=True)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.traceback.setFont(mono)
        self.traceback.hide()

        self.reload_button = QPushButton("Reload user plugins")
        self.reload_button.setToolTip(
            "Discover the plugins again (after editing or adding a plugin file)"
        )
        self.reload_button.clicked.connect(self.reload)
        folder_button = QPushButton("Open plugin folder")
        folder_button.clicked.connect(self._open_folder)
        guide_button = QPushButton("Plugin guide")
        guide_button.setToolTip("How to write a plugin (docs/plugins.md)")
        guide_button.clicked.connect(lambda: open_plugin_guide(self))
        close_button = QPushButton("Close")
        close_button.clicked.connect(self.close)
        self.reload_status = QLabel()
        self.reload_status.setStyleSheet("color: #9a6700;")
        buttons = QHBoxLayout()
        buttons.addWidget(self.reload_button)
        buttons.addWidget(self.reload_status)
        buttons.addWidget(folder_button)
        buttons.addWidget(guide_button)
        buttons.addStretch(1)
        buttons.addWidget(close_button)

        failure_row = QHBoxLayout()
        failure_row.addWidget(self.failures_label, 1)
        failure_row.addWidget(self.traceback_button)

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Plugins</b>"))
        layout.addWidget(self.plugins, 3)
        layout.addLayout(failure_row)
        layout.addWidget(self.failures, 1)
        layout.addWidget(self.traceback, 2)
        layout.addWidget(self.folders_label)
        layout.addLayout(buttons)
        self.populate(self.report)

    def populate(self, report: DiscoveryReport) -> None:
        """Show a discovery report."""
        self.report = report
        self.plugins.setRowCount(len(report.specs))
        for row, spec in enumerate(report.specs.values()):
            kind = source_kind(spec.source)
            cells = [
                spec.name,
                spec.title,
                spec.version,
                spec.category,
                f"{kind}: {_source_path(spec.source)}",
            ]
            summary = spec.description.split("\n\n")[0] if spec.description else ""
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(
                    f"{spec.source}\n\n{summary}" if column == 4 else summary
                )
                self.plugins.setItem(row, column, item)
        self.failures.setRowCount(len(report.failures))
        for row, failure in enumerate(report.failures):
            for column, text in enumerate((failure.source, failure.error)):
                item = QTableWidgetItem(text)
                item.setForeground(QBrush(QColor("#c62828")))
                item.setToolTip(failure.error)
                self.failures.setItem(row, column, item)
        n = len(report.failures)
        self.failures_label.setText(
            f"<b>Load failures</b>: {n} (select one to see its traceback)"
            if n
            else "<b>Load failures</b>: none"
        )
        self.traceback_button.setEnabled(bool(n))
        if n:
            self.failures.selectRow(0)
        self._show_selected_traceback()

    def reload(self) -> bool:
        """Discover the plugins again and show the new report; False if refused.

        Discovery runs here, on the GUI thread (it takes tens of ms), once no
        worker thread is alive: a worker asking for the plugins while their
        cache is being rebuilt could see half-imported modules. It waits while
        a task (import or run) is going on.
        """
        if self.session is not None and self.session.busy:
            self.reload_status.setText("Reload when the running task has ended.")
            return False
        if not wait_for_workers(10.0):
            self.reload_status.setText("Background reads are still running: try again.")
            return False
        try:
            report = refresh()
        except Exception as error:  # discovery itself broke (not a plugin)
            show_error(
                self,
                "Reload failed",
                f"The plugins could not be discovered: {error}",
                traceback.format_exc(),
            )
            return False
        self.reload_status.setText("")
        self.populate(report)
        log.info(
            "plugins reloaded: %d plugins, %d load failures",
            len(report.specs),
            len(report.failures),
        )
        self.reloaded.emit(report)
        return True

    def _toggle_traceback(self, shown: bool) -> None:
        self.traceback.setVisible(shown)
        self.traceback_button.setText("Hide traceback" if shown else "Show traceback")

    def _show_selected_traceback(self) -> None:
        rows = {index.row() for index in self.failures.selectedIndexes()}
        if not rows or not self.report.failures:
            self.traceback.setPlainText("")
            return
        failure = self.report.failures[min(rows)]
        self.traceback.setPlainText(failure.details or failure.error)

    def _open_folder(self) -> None:
        folder = user_plugin_folder()
        folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


def plugin_guide_path() -> Path:
    """docs/plugins.md of the source checkout (the plugin guide).

    An installed wheel or the desktop bundle does not carry it: the path then
    does not exist (see :func:`open_plugin_guide`).
    """
    return Path(__file__).resolve().parents[3] / "docs" / "plugins.md"


def open_plugin_guide(parent: QWidget | None = None) -> bool:
    """Open the plugin guide in the user's viewer.

    Returns False when it cannot: the guide is not in this installation (an
    installed wheel has no ``docs/``) or no viewer opens it. A message then
    says where the guide is and what this installation offers instead, offline:
    the built-in plugins as worked examples (a button opens their folder),
    ``gaitlab plugins show``, and the user plugin folder.
    """
    guide = plugin_guide_path()
    if guide.is_file():
        if QDesktopServices.openUrl(QUrl.fromLocalFile(str(guide))):
            return True
        reason = f"no viewer could open {guide}"
    else:
        reason = f"this installation does not include it (no {guide})"
    _guide_unavailable(parent, reason)
    return False


def _guide_unavailable(parent: QWidget | None, reason: str) -> QMessageBox:
    """The non-modal message shown when the plugin guide cannot be opened."""
    examples = builtin_folder("plugins")
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Information)
    box.setWindowTitle("Plugin guide")
    box.setText(
        f"The plugin guide could not be opened: {reason}.\n\n"
        "It is docs/plugins.md in the gaitlab source (the repository, and the "
        f"source distribution gaitlab-{__version__}.tar.gz)."
    )
    box.setInformativeText(
        f"In this installation: the built-in plugins in {examples} are complete "
        "examples written with the same API (gaitlab.api); `gaitlab plugins "
        "show NAME` lists a plugin's parameters, inputs and outputs; your own "
        f"plugins go in {user_plugin_folder()} (or a folder on "
        f"{PLUGIN_PATH_VARIABLE})."
    )
    box.setStandardButtons(QMessageBox.StandardButton.Close)
    if examples.is_dir():
        button = box.addButton(
            "Open built-in plugins folder", QMessageBox.ButtonRole.ActionRole
        )
        button.clicked.connect(
            lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(examples)))
        )
    box.setWindowModality(Qt.WindowModality.NonModal)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.show()
    return box
