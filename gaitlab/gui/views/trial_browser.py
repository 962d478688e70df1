"""The project's trials as a tree: subjects → sessions/conditions → trials.

Each trial shows its import warnings (icon, tooltip) and its analysis state
(``fresh``, ``stale``, ``failed``, ``incomplete``, ``not run``) as a coloured
dot and a word; static (standing) trials are marked as references. The
states are read in a worker thread (each needs the trial's stored results),
so a large project never freezes the window.

Selecting one trial asks the main window to show it (:attr:`TrialBrowser.trial_chosen`);
several selected trials (or whole subjects and sessions) are what
"Run on selected trials" analyses (:meth:`TrialBrowser.selected_trial_ids`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gaitlab.core.errors import GaitlabError
from gaitlab.gui.tasks import BackgroundCall, connect_while_alive
from gaitlab.gui.views.grouping_dialog import GroupingDialog
from gaitlab.session import Session
from gaitlab.store.project import TrialRecord

__all__ = ["STATUS_COLOURS", "STATUS_HELP", "TrialBrowser", "status_icon"]

log = logging.getLogger(__name__)

TRIAL_ID_ROLE = Qt.ItemDataRole.UserRole
KIND_ROLE = Qt.ItemDataRole.UserRole + 1

STATUS_COLOURS = {
    "fresh": "#2e7d32",
    "stale": "#ef6c00",
    "failed": "#c62828",
    "incomplete": "#f9a825",
    "not run": "#9e9e9e",
    "static": "#1565c0",
    "…": "#e0e0e0",
}
STATUS_HELP = {
    "fresh": "every result is up to date",
    "stale": "results out of date (events, parameters or plugins changed): run again",
    "failed": "a plugin failed on this trial: see the pipeline panel or the log",
    "incomplete": "some plugins of the pipeline have not run on this trial",
    "not run": "the pipeline has not run on this trial",
    "static": "static (standing) trial: its subject's reference, not analysed",
    "…": "reading the results…",
}


def status_icon(status: str) -> QIcon:
    """A coloured dot for a status word.

    Not cached at module level: Qt pixmaps must not outlive the application.
    """
    pixmap = QPixmap(12, 12)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(STATUS_COLOURS.get(status, "#9e9e9e")))
    painter.drawEllipse(1, 1, 10, 10)
    painter.end()
    return QIcon(pixmap)


def _group_label(record: TrialRecord) -> str:
    parts = [p for p in (record.session, record.condition) if p]
    return " · ".join(parts) if parts else "(no session or condition)"


def _statuses(session: Session, trial_ids: list[str]) -> dict[str, str]:
    """Analysis state of trials (worker thread)."""
    out = {}
    for trial_id in trial_ids:
        try:
            out[trial_id] = session.status(trial_id)
        except (GaitlabError, OSError, KeyError, ValueError) as error:
            # a damaged results file must not stop the others
            log.warning("status of trial %s unknown: %s", trial_id, error)
            out[trial_id] = "failed"
    return out


class TrialBrowser(QWidget):
    """Tree of the open project's trials with import and analysis state.

    Parameters
    ----------
    session : Session
        The session (listens to project, trial, result and event changes).

    Signals
    -------
    trial_chosen(str)
        The current item became this trial (the window loads and shows it).
    selection_changed()
        The set of selected trials changed.
    """

    trial_chosen = Signal(str)
    selection_changed = Signal()

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._items: dict[str, QTreeWidgetItem] = {}
        self._icons: dict[str, QIcon] = {}
        self.statuses: dict[str, str] = {}
        self._pending: set[str] = set()
        self._job: BackgroundCall | None = None
        self._quiet = False

        self.filter_edit = QLineEdit(
            placeholderText="Filter trials…", clearButtonEnabled=True
        )
        self.filter_edit.textChanged.connect(self._apply_filter)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Trial", "Results"])
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setUniformRowHeights(True)
        self.tree.setIconSize(QSize(12, 12))
        self.tree.setAlternatingRowColors(True)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.tree.currentItemChanged.connect(self._on_current_changed)
        self.tree.itemSelectionChanged.connect(self._on_selection_changed)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet("color: #555; padding: 2px;")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.summary)

        self._refresh_timer = QTimer(self, singleShot=True, interval=0)
        self._refresh_timer.timeout.connect(self._start_status_job)

        connect_while_alive(
            self,
            [
                (session.project_changed, self._on_project_changed),
                (session.trials_changed, self.rebuild),
                (session.results_changed, self._on_trial_changed),
                (session.events_changed, self._on_trial_changed),
                (session.trial_loaded, self._on_trial_loaded),
                (session.busy_changed, self._on_busy_changed),
            ],
        )
        self.rebuild()

    # ---- public

    @property
    def updating(self) -> bool:
        """True while result states are being read."""
        return self._job is not None or bool(self._pending)

    def trial_ids(self) -> list[str]:
        """Every trial in tree order."""
        return list(self._items)

    def selected_trial_ids(self) -> list[str]:
        """Selected trials, and every trial under a selected subject or session."""
        chosen: dict[str, None] = {}
        for item in self.tree.selectedItems():
            for trial_item in self._trial_items_under(item):
                chosen[trial_item.data(0, TRIAL_ID_ROLE)] = None
        order = {trial_id: i for i, trial_id in enumerate(self._items)}
        return sorted(chosen, key=order.__getitem__)

    def select_trial(self, trial_id: str) -> None:
        """Make a trial the current, only selected item (loads it)."""
        item = self._items.get(trial_id)
        if item is None:
            raise KeyError(f"no trial {trial_id!r} in the browser")
        self.tree.setCurrentItem(item)
        self.tree.scrollToItem(item)

    def status_of(self, trial_id: str) -> str:
        """The status word shown for a trial ("…" while it is read)."""
        return self.statuses.get(trial_id, "…")

    def rebuild(self) -> None:
        """Rebuild the tree from the project index (selection and expansion kept)."""
        selected = set(self.selected_trial_ids())
        current = self.tree.currentItem()
        current_id = current.data(0, TRIAL_ID_ROLE) if current is not None else None
        collapsed = {
            key for key, item in self._group_items().items() if not item.isExpanded()
        }
        self._quiet = True
        try:
            self.tree.clear()
            self._items = {}
            project = self.session.project
            if project is not None:
                self._fill(project.trials, project)
            for key, item in self._group_items().items():
                item.setExpanded(key not in collapsed)
            for trial_id in selected:
                if trial_id in self._items:
                    self._items[trial_id].setSelected(True)
            if current_id in self._items:
                self.tree.setCurrentItem(
                    self._items[current_id],
                    0,
                    self.tree.selectionModel().SelectionFlag.NoUpdate,
                )
        finally:
            self._quiet = False
        self.statuses = {k: v for k, v in self.statuses.items() if k in self._items}
        self._apply_filter(self.filter_edit.text())
        self.refresh_statuses(self._items)

    def refresh_statuses(self, trial_ids: Iterable[str] | None = None) -> None:
        """Read the analysis state of trials again (all if None), in the background."""
        ids = self._items if trial_ids is None else trial_ids
        self._pending.update(t for t in ids if t in self._items)
        if self._pending:
            self._refresh_timer.start()

    # ---- building

    def _fill(self, records: list[TrialRecord], project: object) -> None:
        bold = QFont()
        bold.setBold(True)
        subjects: dict[str, QTreeWidgetItem] = {}
        groups: dict[tuple[str, str], QTreeWidgetItem] = {}
        warning_icon = self.style().standardIcon(
            QStyle.StandardPixmap.SP_MessageBoxWarning
        )
        ordered = sorted(
            records,
            key=lambda r: (r.subject_id, r.session, r.condition, r.label, r.trial_id),
        )
        for record in ordered:
            subject = subjects.get(record.subject_id)
            if subject is None:
                subject = QTreeWidgetItem(self.tree, [record.subject_id, ""])
                subject.setData(0, KIND_ROLE, f"subject:{record.subject_id}")
                subject.setFont(0, bold)
                subject.setToolTip(0, f"subject {record.subject_id}")
                subjects[record.subject_id] = subject
            key = (record.subject_id, _group_label(record))
            group = groups.get(key)
            if group is None:
                group = QTreeWidgetItem(subject, [key[1], ""])
                group.setData(0, KIND_ROLE, f"group:{key[0]}/{key[1]}")
                groups[key] = group
            item = QTreeWidgetItem(group, [record.label or record.trial_id, ""])
            item.setData(0, TRIAL_ID_ROLE, record.trial_id)
            item.setData(0, KIND_ROLE, "trial")
            static = project.is_static(record.trial_id)  # type: ignore[attr-defined]
            tip = [
                f"trial {record.trial_id}",
                f"file {record.source_path}",
                f"imported {record.imported_utc}",
            ]
            if static:
                item.setText(0, f"{item.text(0)}  (static)")
                font = QFont()
                font.setItalic(True)
                item.setFont(0, font)
                tip.append("static (standing) trial: reference for this subject")
            if record.warnings:
                item.setIcon(0, warning_icon)
                tip += ["", "import warnings:", *(f"• {w}" for w in record.warnings)]
            item.setToolTip(0, "\n".join(tip))
            self._items[record.trial_id] = item
            self._show_status(record.trial_id)
        for subject in subjects.values():
            n = sum(1 for _ in self._trial_items_under(subject))
            subject.setText(1, f"{n} trial{'s' if n != 1 else ''}")

    def shown_status(self, trial_id: str) -> str:
        """The status word shown for a trial: ``static`` for a static trial the
        pipeline does not analyse (instead of ``not run``), "…" while it is read."""
        status = self.statuses.get(trial_id, "…")
        project = self.session.project
        if status == "not run" and project is not None and project.is_static(trial_id):
            return "static"
        return status

    def _show_status(self, trial_id: str) -> None:
        item = self._items[trial_id]
        status = self.shown_status(trial_id)
        item.setText(1, status)
        icon = self._icons.get(status)
        if icon is None:
            icon = self._icons[status] = status_icon(status)
        item.setIcon(1, icon)
        item.setForeground(
            1, QBrush(QColor(STATUS_COLOURS.get(status, "#000000")).darker(120))
        )
        item.setToolTip(1, f"{status}: {STATUS_HELP.get(status, '')}")

    def _group_items(self) -> dict[str, QTreeWidgetItem]:
        out = {}
        for i in range(self.tree.topLevelItemCount()):
            subject = self.tree.topLevelItem(i)
            out[subject.data(0, KIND_ROLE)] = subject
            for j in range(subject.childCount()):
                group = subject.child(j)
                out[group.data(0, KIND_ROLE)] = group
        return out

    def _trial_items_under(self, item: QTreeWidgetItem) -> Iterable[QTreeWidgetItem]:
        if item.data(0, KIND_ROLE) == "trial":
            yield item
            return
        for i in range(item.childCount()):
            yield from self._trial_items_under(item.child(i))

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().lower()
        for item in self._items.values():
            item.setHidden(
                bool(needle)
                and needle not in item.text(0).lower()
                and needle not in item.data(0, TRIAL_ID_ROLE).lower()
            )
        for group in self._group_items().values():
            if group.data(0, KIND_ROLE).startswith("group:"):
                group.setHidden(
                    all(group.child(i).isHidden() for i in range(group.childCount()))
                )
        for i in range(self.tree.topLevelItemCount()):
            subject = self.tree.topLevelItem(i)
            subject.setHidden(
                all(subject.child(j).isHidden() for j in range(subject.childCount()))
            )

    def _update_summary(self) -> None:
        project = self.session.project
        if project is None:
            self.summary.setText(
                "No project open: File ▸ New project… or Open project…"
            )
            return
        counts: dict[str, int] = {}
        for trial_id in self._items:
            status = self.shown_status(trial_id)
            counts[status] = counts.get(status, 0) + 1
        n = len(self._items)
        if not n:
            self.summary.setText(
                "No trials yet: File ▸ Import files…, or drop C3D files here."
            )
            return
        parts = [f"{n} trial{'s' if n != 1 else ''}"]
        for status in ("fresh", "stale", "failed", "incomplete", "not run", "static"):
            if counts.get(status):
                parts.append(f"{counts[status]} {status}")
        if counts.get("…"):
            parts.append("reading results…")
        self.summary.setText(" · ".join(parts))

    # ---- background status reading

    def _start_status_job(self) -> None:
        if self._job is not None or not self._pending or self.session.project is None:
            self._update_summary()
            return
        ids = [t for t in self._items if t in self._pending]
        self._pending.clear()
        job = BackgroundCall(_statuses, self.session, ids, parent=self)
        job.completed.connect(self._on_statuses)
        job.failed.connect(self._on_status_failed)
        self._job = job
        job.start()

    def _on_statuses(self, statuses: dict[str, str]) -> None:
        self._job = None
        for trial_id, status in statuses.items():
            if trial_id in self._items:
                self.statuses[trial_id] = status
                self._show_status(trial_id)
        self._update_summary()
        if self._pending:
            self._refresh_timer.start()

    def _on_status_failed(self, message: str, details: str) -> None:
        self._job = None
        log.error("result states could not be read: %s\n%s", message, details)
        self._update_summary()

    # ---- session signals

    def _on_project_changed(self, _: object) -> None:
        self.statuses = {}

    def _on_trial_changed(self, trial_id: str) -> None:
        self.refresh_statuses([trial_id])

    def _on_busy_changed(self, busy: bool) -> None:
        if not busy:  # a cancelled run may have stored results nobody announced
            self.refresh_statuses()

    def _on_trial_loaded(self, loaded: object) -> None:
        trial_id = getattr(loaded, "trial_id", "")
        item = self._items.get(trial_id)
        if item is not None and self.tree.currentItem() is not item:
            self._quiet = True
            try:
                self.tree.setCurrentItem(item)
            finally:
                self._quiet = False

    def _on_current_changed(
        self, current: QTreeWidgetItem | None, _: QTreeWidgetItem | None
    ) -> None:
        if self._quiet or current is None or current.data(0, KIND_ROLE) != "trial":
            return
        self.trial_chosen.emit(current.data(0, TRIAL_ID_ROLE))

    def group_selected(self) -> GroupingDialog | None:
        """Open the grouping dialog on the selected trials (None if none)."""
        trial_ids = self.selected_trial_ids()
        if not trial_ids or self.session.project is None or self.session.busy:
            return None
        dialog = GroupingDialog(self.session, trial_ids, self)
        dialog.open()
        return dialog

    def _context_menu(self, position: Any) -> None:
        menu = QMenu(self)
        action = menu.addAction("Set subject, session, condition…")
        action.setEnabled(bool(self.selected_trial_ids()) and not self.session.busy)
        action.triggered.connect(self.group_selected)
        menu.popup(self.tree.viewport().mapToGlobal(position))

    def _on_selection_changed(self) -> None:
        if not self._quiet:
            self.selection_changed.emit()
