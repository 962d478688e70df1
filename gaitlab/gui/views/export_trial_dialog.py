"""File ▸ Export trial: one trial's data for OpenSim, MATLAB or a C3D tool.

The formats, their units and what each writes come from the trial-writer
registry (:mod:`gaitlab.io.export_trial`), the same as ``gaitlab
export-trial``. The export runs off the GUI thread; the files written and
what the export could not include are shown when it ends.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from gaitlab.gui.tasks import BackgroundCall, show_error
from gaitlab.io.export_trial import trial_export_formats, trial_writer
from gaitlab.pipeline.trial_export import export_trial
from gaitlab.session import Session

__all__ = ["ExportTrialDialog"]

FORMAT_TITLES = {
    "trc": "TRC: markers for OpenSim",
    "mot": "MOT + ExternalLoads: forces for OpenSim",
    "mat": "MAT: everything for MATLAB",
    "c3d": "C3D: the file back, with edited events and the COM",
}
"""Menu text of the built-in formats (a registered one shows its name)."""


class ExportTrialDialog(QDialog):
    """Choose a format, its units and a folder; export the trial in the background.

    Signals
    -------
    exported(list, list)
        The paths written and the notes, when the export ended.
    """

    exported = Signal(list, list)

    def __init__(
        self, parent: QWidget | None, session: Session, trial_id: str, folder: Path
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.trial_id = trial_id
        self.setWindowTitle(f"Export trial {trial_id}")
        self.format = QComboBox()
        for name in trial_export_formats():
            self.format.addItem(FORMAT_TITLES.get(name, name), name)
        self.units = QComboBox()
        self.folder = QLineEdit(str(folder))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Close
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        self.buttons.accepted.connect(self.export)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Format", self.format)
        form.addRow("Marker units", self.units)
        form.addRow("Folder", row)
        form.addRow(self.result_label)
        form.addRow(self.buttons)
        self.format.currentIndexChanged.connect(self._update_units)
        self._update_units()
        self._job: BackgroundCall | None = None

    @property
    def chosen_format(self) -> str:
        """The format chosen (its registered name)."""
        return str(self.format.currentData())

    def _update_units(self) -> None:
        writer = trial_writer(self.chosen_format)
        self.units.clear()
        for unit in writer.units:
            self.units.addItem(unit, unit)
        if not writer.units:
            self.units.addItem(writer.fixed_units or "as recorded", None)
        self.units.setEnabled(bool(writer.units))

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Export into folder", self.folder.text()
        )
        if folder:
            self.folder.setText(folder)

    def export(self) -> None:
        """Start the export with the choices made (the dialog stays open)."""
        project = self.session.project
        if project is None or self._job is not None:
            return
        folder = Path(self.folder.text()).expanduser()
        units = self.units.currentData()
        self.result_label.setText(f"Exporting {self.trial_id}…")
        self.buttons.setEnabled(False)
        job = BackgroundCall(
            lambda: export_trial(
                project, self.trial_id, self.chosen_format, folder, units=units
            ),
            parent=self,
        )
        job.completed.connect(self._on_exported)
        job.failed.connect(self._on_failed)
        self._job = job
        job.start()

    def _on_exported(self, value: object) -> None:
        self._job = None
        self.buttons.setEnabled(True)
        paths, notes = value  # type: ignore[misc]
        lines = (
            [f"Wrote {len(paths)} file(s) to {Path(paths[0]).parent}:"] if paths else []
        )
        lines += [f"  {Path(p).name}" for p in paths]
        lines += [f"Note: {note}" for note in notes]
        self.result_label.setText("\n".join(lines) or "Nothing written.")
        self.exported.emit([str(p) for p in paths], list(notes))

    def _on_failed(self, message: str, details: str) -> None:
        self._job = None
        self.buttons.setEnabled(True)
        self.result_label.setText(f"Not exported: {message}")
        show_error(
            self,
            "Export trial",
            f"{self.trial_id} was not exported:\n{message}",
            details,
        )
