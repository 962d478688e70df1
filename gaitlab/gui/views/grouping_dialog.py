"""Set the subject, session and condition of the selected trials.

Opened from the trial browser's context menu (and Edit ▸ Group trials…).
Each field starts as the trials' common value, or *(keep)* when they
differ; only the fields changed are written, as one undoable edit
(:meth:`Session.edit_grouping <gaitlab.session.Session.edit_grouping>`,
Edit ▸ Undo takes it back). Grouping changes no number; moving trials to
another subject gives them that subject's mass and lengths, which the
dialog says before it is applied.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from gaitlab.session import Session
from gaitlab.store.records import slugify

KEEP = "(keep)"
"""Shown in a field whose trials differ: leave each trial's value as it is."""


class GroupingDialog(QDialog):
    """Edit the grouping of some trials.

    Parameters
    ----------
    session : Session
        The session (its project holds the trials).
    trial_ids : sequence of str
        The trials to change.
    """

    def __init__(
        self, session: Session, trial_ids: Sequence[str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        assert session.project is not None
        self.session = session
        self.trial_ids = list(trial_ids)
        project = session.project
        records = [project.record(t) for t in self.trial_ids]
        n = len(records)
        self.setWindowTitle("Group trials")
        heading = QLabel(
            f"Subject, session and condition of {n} trial{'s' if n != 1 else ''}"
            + (f": {', '.join(self.trial_ids[:4])}{' …' if n > 4 else ''}")
        )
        heading.setWordWrap(True)
        self.fields: dict[str, QComboBox] = {}
        form = QFormLayout()
        everyone = project.trials
        for name, attribute, label in (
            ("subject", "subject_id", "Subject"),
            ("session", "session", "Session"),
            ("condition", "condition", "Condition"),
        ):
            box = QComboBox(editable=True)
            known = sorted({getattr(r, attribute) for r in everyone} - {""})
            values = {getattr(r, attribute) for r in records}
            box.addItem(KEEP)
            box.addItems(known)
            box.setEditText(values.pop() if len(values) == 1 else KEEP)
            box.setToolTip(
                f"{label} of the selected trials; {KEEP} leaves each as it is"
                + ("" if name == "subject" else "; empty for none")
            )
            box.editTextChanged.connect(self._explain)
            self.fields[name] = box
            form.addRow(label, box)
        self.explanation = QLabel()
        self.explanation.setWordWrap(True)
        self.explanation.setStyleSheet("color: #555;")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.apply)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(form)
        layout.addWidget(self.explanation)
        layout.addWidget(buttons)
        self._original = {name: box.currentText() for name, box in self.fields.items()}
        self._explain()

    def changes(self) -> dict[str, str]:
        """The fields to write (``subject_id``, ``session``, ``condition``)."""
        keys = {"subject": "subject_id", "session": "session", "condition": "condition"}
        changes = {}
        for name, box in self.fields.items():
            text = box.currentText().strip()
            if text == KEEP or text == self._original[name]:
                continue
            changes[keys[name]] = (
                slugify(text, "subject") if name == "subject" and text else text
            )
        return changes

    def apply(self) -> None:
        """Write the changes as one undoable edit and close (nothing to do: close)."""
        changes = self.changes()
        if "subject_id" in changes and not changes["subject_id"]:
            self.explanation.setText("A trial needs a subject: give one or keep it.")
            return
        if changes:
            self.session.edit_grouping(self.trial_ids, **changes)
        self.accept()

    def _explain(self) -> None:
        changes = self.changes()
        if not changes:
            self.explanation.setText("Nothing changed yet.")
            return
        text = "Changes no number. Edit ▸ Undo takes it back."
        if "subject_id" in changes:
            text = (
                f"The trials take subject {changes['subject_id']!r}'s mass and "
                "lengths: the results that use them turn stale. " + text
            )
        self.explanation.setText(text)
