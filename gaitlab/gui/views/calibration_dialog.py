"""A side camera's 2D calibration, made on its frame (the video dock's *2D…*).

Each calibration point pairs a position in the body view's sagittal plane
(forward and up, m) with the pixel where the camera shows it. The quick
way: choose a body point (a heel, a toe tip, the head …) at the cursor, add
it, then click where the frame shows it; its plane position is the body
view's at the cursor. The numbers can also be typed (a floor mark, a plate
corner). Two points give scale and rotation, three an affine map, four or
more the camera's perspective (:class:`gaitlab.video.PlaneCalibration`).
The map and its residual are shown as the points change; *Save* stores it
with the video and draws the body view's lines over the frames.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from gaitlab.video import PlaneCalibration

if TYPE_CHECKING:
    from gaitlab.gui.views.video_view import VideoView

__all__ = ["CalibrationDialog"]

COLUMNS = ("point", "forward (m)", "up (m)", "u (px)", "v (px)")


class CalibrationDialog(QDialog):
    """Points of the sagittal plane and their pixels; save the camera's calibration.

    Parameters
    ----------
    view : VideoView
        The camera (its frame takes the clicks; its calibration is saved).
    """

    def __init__(self, view: VideoView) -> None:
        super().__init__(view)
        self.view = view
        self.setWindowTitle(f"2D calibration: {view.camera}")
        self.body_point = QComboBox()
        self.add_button = QPushButton("Add point")
        self.add_button.clicked.connect(self.add_point)
        remove = QPushButton("Remove point")
        remove.clicked.connect(self._remove_selected)
        row = QHBoxLayout()
        row.addWidget(QLabel("Body point at the cursor"))
        row.addWidget(self.body_point, 1)
        row.addWidget(self.add_button)
        row.addWidget(remove)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.itemChanged.connect(lambda _item: self._update_fit())
        self.fit_label = QLabel()
        self.fit_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close
        )
        self.clear_button = self.buttons.addButton(
            "Remove calibration", QDialogButtonBox.ButtonRole.DestructiveRole
        )
        self.clear_button.clicked.connect(self.clear)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(
                "Add a body point, then click where the frame shows it (or type the "
                "numbers). Forward and up are the body view's axes, in metres."
            )
        )
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.fit_label)
        layout.addWidget(self.buttons)
        self._fill_body_points()
        for point in view.calibration.points if view.calibration else ():
            self._append("", *point)
        self.view.view.picked.connect(self._on_picked)
        self.view.view.set_picking(True)
        self.finished.connect(lambda _result: self.view.view.set_picking(False))
        self._update_fit()

    # ---- public

    def points(self) -> list[tuple[float, float, float, float]]:
        """The table's complete rows as (forward, up, u, v); NaN where empty."""
        rows = []
        for row in range(self.table.rowCount()):
            values = []
            for column in range(1, len(COLUMNS)):
                item = self.table.item(row, column)
                try:
                    values.append(float(item.text()) if item else math.nan)
                except ValueError:
                    values.append(math.nan)
            rows.append((values[0], values[1], values[2], values[3]))
        return rows

    def calibration(self) -> PlaneCalibration:
        """The calibration of the points (ValueError, saying why, when none)."""
        rows = self.points()
        incomplete = [i + 1 for i, row in enumerate(rows) if not np.isfinite(row).all()]
        if incomplete:
            raise ValueError(
                f"point {', '.join(map(str, incomplete))} not complete: click where "
                "the frame shows it, or type its numbers"
            )
        return PlaneCalibration(tuple(rows))

    def add_point(self) -> None:
        """Add the chosen body point at the cursor (its pixel still to click)."""
        name = self.body_point.currentData()
        figure = self.view.figure
        plane = (math.nan, math.nan)
        if figure is not None and name:
            position = figure.com if name == "com" else figure.points.get(name)
            if position is not None and np.isfinite(position).all():
                plane = (float(position[0]), float(position[1]))
        self._append(name or "", *plane, math.nan, math.nan)
        self.table.selectRow(self.table.rowCount() - 1)

    def save(self) -> bool:
        """Save the calibration and close; False (and why, shown) when it cannot."""
        try:
            calibration = self.calibration()
        except ValueError as error:
            self.fit_label.setText(f"Not saved: {error}")
            return False
        self.view.save_calibration(calibration)
        self.accept()
        return True

    def clear(self) -> None:
        """Remove the camera's calibration and close."""
        self.view.save_calibration(None)
        self.accept()

    # ---- internals

    def _fill_body_points(self) -> None:
        figure = self.view.figure
        names = sorted(figure.points) if figure is not None else []
        self.body_point.addItem("(type the numbers)", "")
        for name in names:
            self.body_point.addItem(name, name)
        if figure is not None:
            self.body_point.addItem("COM", "com")
        heel = self.body_point.findData("l_heel")
        self.body_point.setCurrentIndex(max(heel, 0))

    def _append(self, name: str, *values: float) -> None:
        row = self.table.rowCount()
        self.table.blockSignals(True)
        self.table.insertRow(row)
        self.table.setItem(row, 0, QTableWidgetItem(name))
        for column, value in enumerate(values, start=1):
            digits = 4 if column < 3 else 1  # 0.1 mm; 0.1 px
            text = "" if math.isnan(value) else f"{value:.{digits}f}"
            self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.blockSignals(False)
        self._update_fit()

    def _on_picked(self, u: float, v: float) -> None:
        row = self.table.currentRow()
        if row < 0:
            self.add_point()
            row = self.table.rowCount() - 1
        self.table.setItem(row, 3, QTableWidgetItem(f"{u:.1f}"))
        self.table.setItem(row, 4, QTableWidgetItem(f"{v:.1f}"))

    def _remove_selected(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)
            self._update_fit()

    def _update_fit(self) -> None:
        try:
            calibration = self.calibration()
        except ValueError as error:
            self.fit_label.setText(str(error))
            self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(False)
            return
        self.fit_label.setText(
            f"{len(calibration.points)} points: {calibration.kind}, residual "
            f"{calibration.residual_px:.2f} px"
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(True)
