"""The subject editor: body data of the project's subjects, with units.

Mass (kg), stature (m), sex, leg length per side (m), foot and shoe length
(m) of one subject at a time, chosen in a list. "Apply" saves them through
:meth:`Session.edit_subject <gaitlab.session.Session.edit_subject>`: the
edit is undoable (Edit ▸ Undo) and the stored results of the subject's
trials that use these values turn stale in the trial browser until the
pipeline runs again. A value shown as "not set" is unknown (analyses that
need it say so).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from gaitlab.core.trial import Subject
from gaitlab.gui.tasks import connect_while_alive
from gaitlab.session import Session, subject_length, with_subject_length

__all__ = ["FIELDS", "NOT_SET", "SubjectEditor"]

NOT_SET = "not set"
"""What an empty value shows."""


@dataclass(frozen=True)
class _Field:
    """One numeric field: name in the record, label, unit, plausible range."""

    key: str
    label: str
    unit: str
    low: float
    high: float
    decimals: int
    tip: str


FIELDS = (
    _Field("mass_kg", "Body mass", "kg", 10.0, 300.0, 1, "body mass in kilograms"),
    _Field("height_m", "Stature", "m", 0.5, 2.5, 3, "standing height in metres"),
    _Field("leg_Left", "Leg length, left", "m", 0.3, 1.5, 3, "left leg length in m"),
    _Field("leg_Right", "Leg length, right", "m", 0.3, 1.5, 3, "right leg length in m"),
    _Field(
        "foot_length_m",
        "Foot length",
        "m",
        0.1,
        0.45,
        3,
        "heel to longest toe, barefoot, in metres",
    ),
    _Field(
        "shoe_length_m",
        "Shoe length",
        "m",
        0.1,
        0.5,
        3,
        "outsole length, heel to tip, in metres",
    ),
)
"""The numeric fields, in form order (ranges: plausible values, in SI units)."""

SEXES = ((NOT_SET, None), ("female (F)", "F"), ("male (M)", "M"))


class SubjectEditor(QDialog):
    """Edit the body data of the open project's subjects (not modal).

    Parameters
    ----------
    session : Session
        The open project's session; edits go through it.
    subject_id : str or None
        The subject shown first (default: the first one).
    parent : QWidget or None
        Parent window.

    Signals
    -------
    applied(str)
        A subject's record was saved (its id).
    """

    applied = Signal(str)

    def __init__(
        self,
        session: Session,
        subject_id: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Subjects")
        self.chooser = QComboBox()
        self.chooser.currentIndexChanged.connect(self._show_chosen)
        self.name_edit = QLineEdit()
        self.name_edit.setToolTip("display name")
        self.sex_combo = QComboBox()
        for text, _value in SEXES:
            self.sex_combo.addItem(text)
        self.spins: dict[str, QDoubleSpinBox] = {}
        form = QFormLayout()
        form.addRow("Subject", self.chooser)
        form.addRow("Name", self.name_edit)
        form.addRow("Sex", self.sex_combo)
        for spec in FIELDS:
            spin = QDoubleSpinBox()
            # the minimum, one step below the plausible range, reads "not set"
            step = 10.0**-spec.decimals
            spin.setDecimals(spec.decimals)
            spin.setRange(spec.low - step, spec.high)
            spin.setSingleStep(1.0 if spec.unit == "kg" else 0.01)
            spin.setSpecialValueText(NOT_SET)
            spin.setSuffix(f" {spec.unit}")
            spin.setToolTip(f"{spec.tip} ({spec.low:g}–{spec.high:g} {spec.unit})")
            spin.setAlignment(Qt.AlignmentFlag.AlignRight)
            self.spins[spec.key] = spin
            form.addRow(f"{spec.label} [{spec.unit}]", spin)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #555;")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Apply
            | QDialogButtonBox.StandardButton.Reset
            | QDialogButtonBox.StandardButton.Close
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Apply).clicked.connect(
            self.apply
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Reset).clicked.connect(
            self._show_chosen
        )
        self.buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addWidget(self.buttons)
        connect_while_alive(
            self,
            [
                (session.subjects_changed, self._on_subject_changed),
                (session.project_changed, lambda _p: self._fill_chooser()),
            ],
        )
        self._fill_chooser(subject_id)

    # ---- public

    @property
    def subject_id(self) -> str:
        """The subject shown ("" without subjects)."""
        return str(self.chooser.currentData() or "")

    def choose(self, subject_id: str) -> None:
        """Show a subject."""
        index = self.chooser.findData(subject_id)
        if index < 0:
            raise KeyError(f"no subject {subject_id!r} in the project")
        self.chooser.setCurrentIndex(index)

    def set_value(self, key: str, value: float | None) -> None:
        """Put a value in a numeric field (SI units; None: not set)."""
        spin = self.spins[key]
        spin.setValue(spin.minimum() if value is None else value)

    def value(self, key: str) -> float | None:
        """A numeric field's value (SI units; None: not set)."""
        spin = self.spins[key]
        return None if spin.value() <= spin.minimum() else spin.value()

    def edited_subject(self) -> Subject:
        """The subject record as the form shows it."""
        current = self.session.subject(self.subject_id)
        legs = {
            side: value
            for side in ("Left", "Right")
            if (value := self.value(f"leg_{side}")) is not None
        }
        subject = replace(
            current,
            label=self.name_edit.text().strip() or current.id,
            mass_kg=self.value("mass_kg"),
            height_m=self.value("height_m"),
            sex=SEXES[self.sex_combo.currentIndex()][1],
            leg_length_m=legs,
        )
        for key in ("foot_length_m", "shoe_length_m"):
            subject = with_subject_length(subject, key, self.value(key))
        return subject

    def apply(self) -> bool:
        """Save the form's values (undoable); True if the subject changed."""
        if not self.subject_id or self.session.busy:
            return False
        subject = self.edited_subject()
        before = self.session.subject(subject.id)
        names = [
            name
            for name, changed in (
                ("name", subject.label != before.label),
                ("mass", subject.mass_kg != before.mass_kg),
                ("stature", subject.height_m != before.height_m),
                ("sex", subject.sex != before.sex),
                ("leg length", subject.leg_length_m != before.leg_length_m),
                *(
                    (
                        key[:4] + " length",
                        subject_length(subject, key) != subject_length(before, key),
                    )
                    for key in ("foot_length_m", "shoe_length_m")
                ),
            )
            if changed
        ]
        if not self.session.edit_subject(
            subject, f"edit subject {subject.id}: {', '.join(names)}"
        ):
            self.note.setText("No change.")
            return False
        self.applied.emit(subject.id)
        return True

    # ---- private

    def _fill_chooser(self, subject_id: str | None = None) -> None:
        wanted = subject_id or self.subject_id
        project = self.session.project
        self.chooser.blockSignals(True)
        self.chooser.clear()
        subjects = project.subjects if project is not None else {}
        for key, subject in sorted(subjects.items()):
            label = subject.label if subject.label and subject.label != key else ""
            self.chooser.addItem(f"{key} ({label})" if label else key, key)
        index = self.chooser.findData(wanted) if wanted else 0
        self.chooser.setCurrentIndex(max(index, 0))
        self.chooser.blockSignals(False)
        self._show_chosen()

    def _show_chosen(self) -> None:
        enabled = bool(self.subject_id)
        for widget in (self.name_edit, self.sex_combo, *self.spins.values()):
            widget.setEnabled(enabled)
        self.buttons.button(QDialogButtonBox.StandardButton.Apply).setEnabled(enabled)
        if not enabled:
            self.note.setText("No subjects: import trials first.")
            return
        subject = self.session.subject(self.subject_id)
        self.name_edit.setText(subject.label or subject.id)
        self.sex_combo.setCurrentIndex(
            next(i for i, (_t, v) in enumerate(SEXES) if v == subject.sex)
        )
        self.set_value("mass_kg", subject.mass_kg)
        self.set_value("height_m", subject.height_m)
        for side in ("Left", "Right"):
            self.set_value(f"leg_{side}", subject.leg_length_m.get(side))
        for key in ("foot_length_m", "shoe_length_m"):
            self.set_value(key, subject_length(subject, key))
        trials = self.session.subject_trials(self.subject_id)
        self.note.setText(
            f"{len(trials)} trial(s). Applying a change makes their results that use "
            "these values out of date (Edit ▸ Undo takes it back)."
        )

    def _on_subject_changed(self, subject_id: str) -> None:
        if subject_id == self.subject_id:
            self._show_chosen()
