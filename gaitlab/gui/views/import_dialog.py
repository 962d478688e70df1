"""The import dialog: grouping, background import, and what happened to each file.

It lists the files and folders to import, asks for the subject, session and
condition to file them under, then imports them as a background task (a
progress bar and Cancel; the window stays usable) and lists every file as
``imported``, ``updated``, ``skipped`` or ``refused`` with the reason. It is
not modal: it stays open as a report after the import.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gaitlab.core.errors import GaitlabError
from gaitlab.core.grouping import GroupingPattern
from gaitlab.gui.tasks import BackgroundCall, GeneratorTask
from gaitlab.pipeline.videos import attach_video
from gaitlab.session import Session
from gaitlab.store.project import ImportEvent, find_readable_files
from gaitlab.video import videos_beside

__all__ = ["FILE_STATES", "ImportDialog"]

log = logging.getLogger(__name__)

FROM_FOLDERS = "(each file's folder name)"
FILE_STATES = {
    "imported": ("#2e7d32", "new trial"),
    "updated": (
        "#1565c0",
        "the file changed since it was imported: its trial was replaced",
    ),
    "skipped": ("#757575", "unchanged file, already in the project"),
    "refused": ("#c62828", "the file could not be read"),
}

IMPORT_WORKERS = 1
"""Reader processes of an import started from the window.

One, because ``Session.apply`` re-reads the project index after each
imported file, and ``Project.reload`` deletes the ``trials/*.tmp`` files of
readers still running in this process (it only spares those of another
process). With one reader no file is being written while the index is
re-read. Raise it when the store spares this process' own files.
"""

StartTask = Callable[[Callable[[], Iterator[Any]], str], GeneratorTask | None]


class ImportDialog(QDialog):
    """Import files or folders into the session's project, with a per-file report.

    Parameters
    ----------
    session : Session
        The session (its project receives the trials).
    paths : sequence of path
        Files and folders (folders are searched for ``*.c3d``).
    start_task : callable
        ``start_task(make_generator, title) -> GeneratorTask or None``: the
        window's one-task-at-a-time runner.
    parent : QWidget or None
        The main window.

    Signals
    -------
    import_finished(bool)
        The import ended (True if cancelled).
    """

    import_finished = Signal(bool)

    def __init__(
        self,
        session: Session,
        paths: Sequence[str | Path],
        start_task: StartTask,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.paths = [Path(p) for p in paths]
        self._start_task = start_task
        self.task: GeneratorTask | None = None
        self.files: list[Path] | None = None
        self.counts = dict.fromkeys(FILE_STATES, 0)
        self.setWindowTitle("Import C3D files")
        self.setModal(False)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(820, 480)

        project = session.project
        target = project.path.name if project is not None else "(no project)"
        self.heading = QLabel(self._describe_paths(target))
        self.heading.setWordWrap(True)

        self.subject = QComboBox(editable=True)
        self.subject.addItem(FROM_FOLDERS)
        self.session_box = QComboBox(editable=True)
        self.session_box.addItem("")
        self.condition = QComboBox(editable=True)
        self.condition.addItem("")
        if project is not None:
            self.subject.addItems(sorted({r.subject_id for r in project.trials}))
            self.session_box.addItems(
                sorted({r.session for r in project.trials} - {""})
            )
            self.condition.addItems(
                sorted({r.condition for r in project.trials} - {""})
            )
        self.subject.setToolTip(
            "Subject id of every file; by default the name of each file's folder"
        )
        self.session_box.setToolTip(
            "Session label (e.g. a date or visit) of every file"
        )
        self.condition.setToolTip("Condition label (e.g. shod, barefoot) of every file")
        self.pattern = QLineEdit()
        self.pattern.setPlaceholderText("e.g. {subject}_{condition}_{trial} (optional)")
        self.pattern.setToolTip(
            "Take subject, session and condition from each file's name; they "
            "replace the fields above for the files whose name fits"
        )
        self.pattern_preview = QLabel()
        self.pattern_preview.setStyleSheet("color: #555;")
        self.pattern.textChanged.connect(self._preview_pattern)
        form = QFormLayout()
        form.addRow("Subject", self.subject)
        form.addRow("Session", self.session_box)
        form.addRow("Condition", self.condition)
        form.addRow("File-name pattern", self.pattern)
        form.addRow("", self.pattern_preview)
        self.attach_videos = QCheckBox("Attach the videos named like the files")
        self.attach_videos.setToolTip(
            "Videos beside a C3D file whose name starts with the file's "
            "(run_03.mp4, run_03_side.mov ...) are attached to its trial"
        )
        self.attach_videos.setChecked(True)
        self.attach_videos.hide()  # shown when the files have videos beside them
        form.addRow("", self.attach_videos)
        self._imported: list[tuple[str, str]] = []  # (trial id, C3D path)
        self.attached: list[str] = []
        self.options = QWidget()
        self.options.setLayout(form)

        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setFormat("%v of %m files")
        self.progress.hide()
        self.current = QLabel()
        self.current.setStyleSheet("color: #555;")

        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(
            ["Result", "File", "Trial", "Reason / warnings"]
        )
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.hide()
        self.summary = QLabel()
        self.summary.setWordWrap(True)

        self.import_button = QPushButton("Import")
        self.import_button.setDefault(True)
        self.import_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self._cancel_or_close)
        buttons = QDialogButtonBox()
        buttons.addButton(self.import_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)

        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.options)
        layout.addLayout(progress_row)
        layout.addWidget(self.current)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        layout.addWidget(buttons)

        self._counter = BackgroundCall(find_readable_files, self.paths, parent=self)
        self._counter.completed.connect(self._on_counted)
        self._counter.failed.connect(lambda message, _: self.current.setText(message))
        self._counter.start()

    # ---- public

    @property
    def running(self) -> bool:
        """True while the import task runs."""
        return self.task is not None and self.task.running

    def import_options(self) -> dict[str, Any]:
        """Keyword arguments of ``Session.import_files`` from the form."""
        subject = self.subject.currentText().strip()
        return {
            "subject": None if subject in ("", FROM_FOLDERS) else subject,
            "session": self.session_box.currentText().strip(),
            "condition": self.condition.currentText().strip(),
            "pattern": self.pattern.text().strip() or None,
            "workers": IMPORT_WORKERS,
        }

    def start(self) -> bool:
        """Start the import task; False if another task is running or the
        file-name pattern is malformed (said under it)."""
        options = self.import_options()
        if options["pattern"] and self._pattern_problem(options["pattern"]):
            return False
        paths = list(self.paths)
        task = self._start_task(
            lambda: self.session.import_files(paths, **options), "Importing files"
        )
        if task is None:
            self.current.setText("Another task is running: wait for it, or cancel it.")
            return False
        self.task = task
        task.event_applied.connect(self._on_event)
        task.progressed.connect(self._on_progress)
        task.finished.connect(self._on_finished)
        self.options.setEnabled(False)
        self.import_button.setEnabled(False)
        self.cancel_button.setText("Cancel import")
        self.progress.show()
        self.table.show()
        return True

    def cancel(self) -> None:
        """Stop the import after the file being read (the trials done are kept)."""
        if self.task is not None:
            self.task.cancel()
            self.cancel_button.setEnabled(False)
            self.current.setText("Cancelling after the current file…")

    def rows(self) -> list[tuple[str, str, str, str]]:
        """The report: (result, file name, trial, reason) per file."""
        return [
            tuple(self.table.item(r, c).text() for c in range(4))  # type: ignore[misc]
            for r in range(self.table.rowCount())
        ]

    # ---- private

    def _describe_paths(self, target: str) -> str:
        names = ", ".join(p.name for p in self.paths[:4])
        more = f" and {len(self.paths) - 4} more" if len(self.paths) > 4 else ""
        return f"Import into <b>{target}</b>: {names}{more}"

    def _pattern_problem(self, text: str) -> str:
        """Why a pattern cannot be used ("" when it can); shown under it."""
        try:
            GroupingPattern.parse(text)
        except GaitlabError as error:
            self.pattern_preview.setText(f"Pattern: {error}")
            return str(error)
        return ""

    def _preview_pattern(self) -> None:
        """Under the pattern: what it gives for the first file, or its problem."""
        text = self.pattern.text().strip()
        if not text:
            self.pattern_preview.setText("")
            return
        if self._pattern_problem(text):
            return
        if not self.files:
            self.pattern_preview.setText("")
            return
        name = self.files[0].name
        found = GroupingPattern.parse(text).match(name)
        self.pattern_preview.setText(
            f"{name}: does not fit (grouping from the fields above)"
            if found is None
            else f"{name} → "
            + ", ".join(f"{field} {value!r}" for field, value in found.items())
        )

    def _on_counted(self, files: list[Path]) -> None:
        self.files = files
        self._preview_pattern()
        videos = sum(len(videos_beside(path)) for path in files)
        if videos:
            self.attach_videos.setText(
                f"Attach the {videos} video(s) named like the files"
            )
            self.attach_videos.show()
        if not self.running and self.task is None:
            n = len(files)
            self.current.setText(
                f"{n} C3D file{'s' if n != 1 else ''} found."
                if n
                else "No C3D files found in what was chosen."
            )
            self.import_button.setEnabled(bool(n))

    def _cancel_or_close(self) -> None:
        if self.running:
            self.cancel()
        else:
            self.close()

    def _on_progress(self, done: int, total: int, text: str) -> None:
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)
        if text:
            self.current.setText(f"Last file: {text}")

    def _on_event(self, event: ImportEvent) -> None:
        if event.kind not in FILE_STATES:
            return
        self.counts[event.kind] += 1
        if event.kind in ("imported", "updated"):
            self._imported.append((event.trial_id, event.path))
        colour, meaning = FILE_STATES[event.kind]
        row = self.table.rowCount()
        self.table.insertRow(row)
        reason = event.message or ("; ".join(event.warnings))
        cells = [event.kind, Path(event.path).name, event.trial_id, reason]
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setToolTip(
                "\n".join(
                    line
                    for line in (f"{event.kind}: {meaning}", event.path, reason)
                    if line
                )
            )
            if column == 0:
                item.setForeground(QBrush(QColor(colour)))
            if event.kind == "refused":
                item.setBackground(QBrush(QColor("#fdecea")))
            elif event.warnings:
                item.setBackground(QBrush(QColor("#fff8e1")))
            self.table.setItem(row, column, item)
        self.table.scrollToBottom()

    def _on_finished(self, cancelled: bool) -> None:
        parts = [f"{n} {kind}" for kind, n in self.counts.items() if n]
        total = self.files and len(self.files)
        text = ", ".join(parts) or "nothing imported"
        if cancelled:
            done = sum(self.counts.values())
            text = f"Cancelled after {done} of {total or '?'} files: {text}."
        else:
            text = f"Done: {text}."
        if self.task is not None and self.task.error:
            text += f" The import stopped on an error: {self.task.error}"
        if self.counts["refused"]:
            text += " Refused files are listed in red with the reason."
        if self.attach_videos.isChecked() and not self.attach_videos.isHidden():
            text += self._attach_videos()
        self.summary.setText(text)
        self.current.setText("")
        self.cancel_button.setText("Close")
        self.cancel_button.setEnabled(True)
        self.import_finished.emit(cancelled)
        log.info("import: %s", text)

    def _attach_videos(self) -> str:
        """Attach the videos beside the imported files; a sentence saying so."""
        project = self.session.project
        problems = []
        for trial_id, path in self._imported if project is not None else []:
            for video in videos_beside(path):
                try:
                    record = attach_video(project, trial_id, video)
                except GaitlabError as error:
                    problems.append(str(error))
                    continue
                self.attached.append(f"{trial_id}/{record.camera}")
        text = f" {len(self.attached)} video(s) attached." if self.attached else ""
        if problems:
            text += f" Not attached: {'; '.join(problems)}"
        return text

    def closeEvent(self, event: Any) -> None:  # noqa: N802 (Qt override)
        """Closing while importing cancels the import (files done are kept)."""
        if self.running:
            self.cancel()
        super().closeEvent(event)
