"""File ▸ Export report: the runner report, as ``gaitlab report`` writes it.

One self-contained HTML page (figures embedded) for every runner of the
project or for one: headline metrics per condition, lean through stance,
bend index, overstride and braking, foot strike, the drill, quality flags
and provenance (:func:`gaitlab.report.html.write_report`). The report is
built off the GUI thread with its progress shown (Cancel stops it after the
runner and condition being drawn); an error is shown in the dialog, which
stays usable.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QWidget,
)

from gaitlab.core import errors
from gaitlab.gui.tasks import BackgroundCall
from gaitlab.session import Session

__all__ = ["ReportDialog"]

log = logging.getLogger(__name__)


class _Progress(QObject):
    """Carries the report's progress from the worker thread to the GUI thread.

    One per export, without a Qt parent: the worker's function holds it, and
    :class:`~gaitlab.gui.tasks.BackgroundCall` keeps that function until the
    GUI thread sees the worker finished, so the relay is never deleted while
    the worker emits (not even when the dialog is closed meanwhile).
    """

    step = Signal(int, int, str)


class _CancelledError(Exception):
    """Raised in the worker by the progress callback once Cancel was pressed."""


class ReportDialog(QDialog):
    """Choose the runners and the file; write the report in the background.

    Parameters
    ----------
    parent : QWidget or None
    session : Session
        Its open project is reported.
    subject : str or None
        The runner chosen at first (None: every runner).

    Attributes
    ----------
    job : BackgroundCall or None
        The export running (None when none is).
    path : Path or None
        The report last written.

    Signals
    -------
    written(str)
        The path of the report, when it is written.
    failed(str)
        Why the report was not written (also when cancelled).
    """

    written = Signal(str)
    failed = Signal(str)

    def __init__(
        self, parent: QWidget | None, session: Session, subject: str | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        project = session.project
        assert project is not None
        self.setWindowTitle("Export report")
        self.subject = QComboBox()
        self.subject.addItem("All runners", None)
        for subject_id in sorted(project.subjects):
            self.subject.addItem(subject_id, subject_id)
        if subject is not None and self.subject.findData(subject) >= 0:
            self.subject.setCurrentIndex(self.subject.findData(subject))
        default = project.path.parent / "exports" / f"{project.path.stem}_report.html"
        self.output = QLineEdit(str(default))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.output, 1)
        row.addWidget(browse)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("%v of %m groups")
        self.result_label = QLabel("")
        self.result_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Close
        )
        self.export_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.export_button.setText("Export")
        self.close_button = self.buttons.button(QDialogButtonBox.StandardButton.Close)
        self.open_button = self.buttons.addButton(
            "Open", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self._open)
        self.buttons.accepted.connect(self.export)
        self.buttons.rejected.connect(self._cancel_or_close)
        form = QFormLayout(self)
        form.addRow("Runners", self.subject)
        form.addRow("Report file", row)
        form.addRow("Progress", self.progress)
        form.addRow(self.result_label)
        form.addRow(self.buttons)
        self._cancel = threading.Event()
        self.job: BackgroundCall | None = None
        self.path: Path | None = None

    def output_path(self) -> Path:
        """The report file chosen, with ``.html`` added when it has no such suffix."""
        path = Path(self.output.text().strip()).expanduser()
        if path.suffix.lower() not in (".html", ".htm"):
            path = path.with_name(path.name + ".html")
        return path

    @property
    def running(self) -> bool:
        """True while the report is being written."""
        return self.job is not None

    def export(self) -> None:
        """Write the report with the choices made (the dialog stays open)."""
        project = self.session.project
        if project is None or self.job is not None:
            return
        if self.session.busy:
            self.result_label.setText(
                "A task is running on the project: export the report when it ends."
            )
            return
        from gaitlab.report.html import write_report

        path = self.output_path()
        subject = self.subject.currentData()
        relay = _Progress()
        relay.step.connect(self._on_progress)
        cancel = threading.Event()
        self._cancel = cancel

        def progress(done: int, total: int, what: str) -> None:
            if cancel.is_set():
                raise _CancelledError("cancelled")
            relay.step.emit(done, total, what)  # queued: the dialog is not touched

        self.export_button.setEnabled(False)
        self.open_button.setEnabled(False)
        self.close_button.setText("Cancel")
        self.progress.setRange(0, 0)  # busy until the first group is counted
        self.progress.setFormat("%v of %m groups")
        self.result_label.setText(f"Writing the report to {path}…")
        job = BackgroundCall(
            lambda: write_report(project, path, subject=subject, progress=progress),
            parent=self,
        )
        job.completed.connect(self._on_written)
        job.failed.connect(self._on_failed)
        self.job = job
        job.start()

    def cancel(self) -> None:
        """Stop the export after the runner and condition being drawn."""
        if self.job is not None and not self._cancel.is_set():
            self._cancel.set()
            self.result_label.setText("Cancelling the report…")

    def reject(self) -> None:
        """Close the dialog (an export running is cancelled)."""
        self.cancel()
        super().reject()

    def _cancel_or_close(self) -> None:
        if self.job is not None:
            self.cancel()
        else:
            self.reject()

    def _on_progress(self, done: int, total: int, what: str) -> None:
        if self.job is None:
            return  # a late step of an export already ended
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(f"%v of %m: {what}" if what else "%v of %m groups")
        if what and not self._cancel.is_set():
            self.result_label.setText(f"Writing the report: {what}")

    def _ended(self) -> None:
        self.job = None
        self.export_button.setEnabled(True)
        self.close_button.setText("Close")

    def _on_written(self, value: object) -> None:
        self._ended()
        self.path = Path(str(value))
        self.open_button.setEnabled(True)
        self.progress.setRange(0, max(self.progress.maximum(), 1))
        self.progress.setValue(self.progress.maximum())
        self.progress.setFormat("%v of %m groups")
        self.result_label.setText(f"Report written: {self.path}")
        self.written.emit(str(self.path))

    def _on_failed(self, message: str, details: str) -> None:
        self._ended()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("%v of %m groups")
        if message.startswith(f"{_CancelledError.__name__}:"):
            message = "cancelled"
        elif _is_gaitlab_error(message):  # the text is meant for the user as it is
            message = message.split(": ", 1)[1]
        else:
            log.error("the report was not written: %s\n%s", message, details)
        self.result_label.setText(f"The report was not written: {message}")
        self.failed.emit(message)

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Report file", self.output.text(), "HTML (*.html)"
        )
        if path:
            self.output.setText(path)

    def _open(self) -> None:
        if self.path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.path)))


def _is_gaitlab_error(message: str) -> bool:
    """True if ``message`` (``"Type: text"``) is one of gaitlab's own errors."""
    name = message.split(":", 1)[0]
    kind = getattr(errors, name, None)
    return isinstance(kind, type) and issubclass(kind, errors.GaitlabError)
