"""The pipeline panel: plugins, their parameters, running them, and what went wrong.

The discovered plugins are listed in pipeline order, each with a "Run this
plugin" checkbox and a parameter form generated from its declaration
(``ParamSpec``): numbers with their limits and unit, ``Literal`` choices as
a list, booleans as a checkbox, text as a text field; hovering a name shows
its help. **Apply** saves the pipeline in the project (parameters change
numbers, so they belong to the project, not to user preferences); results
computed with other parameters turn stale. The run buttons analyse the
selected trials, the whole project or only what is stale, in the background;
a table then lists every skipped or failed result with its reason.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from typing import Any

import pyqtgraph.parametertree as ptree
from pyqtgraph.widgets.TreeWidget import InvisibleRootItem
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gaitlab.core.errors import GaitlabError, PluginError
from gaitlab.gui.tasks import GeneratorTask, connect_while_alive
from gaitlab.pipeline.config import PipelineConfig, PipelineStep
from gaitlab.pipeline.discovery import DiscoveryReport, discover
from gaitlab.pipeline.runner import RunEvent
from gaitlab.pipeline.spec import ParamSpec, PluginSpec
from gaitlab.session import Session

__all__ = ["ENABLED", "PipelinePanel", "parameter_options"]

log = logging.getLogger(__name__)

ENABLED = "__enabled__"
RUN_SCOPES = {
    "selected": "Run on selected trials",
    "project": "Run on project",
    "stale": "Run stale only",
}


class ParameterTree(ptree.ParameterTree):
    """pyqtgraph's parameter tree, keeping no Python wrapper of Qt's invisible root item.

    pyqtgraph's tree holds a wrapper of its invisible root item for its
    lifetime. Qt creates that item and deletes it with the tree without telling
    Python (it is not a QObject), so until the cyclic collector frees the dead
    tree, the wrapper stays registered at the freed address: a Qt object made
    there later comes back to Python as that QTreeWidgetItem (seen in a test
    run: a new SpinBox's ``lineEdit()`` returned as a QTreeWidgetItem), and a
    call into it can crash the process. This tree asks Qt for the root item
    each time it is used instead.
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._invRootItem = _RootItemOf(self)


class _RootItemOf(InvisibleRootItem):
    """pyqtgraph's root item wrapper, fetching the root item from the tree on use."""

    def __init__(self, tree: QTreeWidget) -> None:  # no lasting wrapper: no super
        self._tree = tree

    @property
    def _real_item(self) -> QTreeWidgetItem:
        return QTreeWidget.invisibleRootItem(self._tree)


def parameter_options(param: ParamSpec, value: Any) -> dict[str, Any]:
    """pyqtgraph Parameter options for one plugin parameter.

    Examples
    --------
    >>> from gaitlab.pipeline.spec import ParamSpec
    >>> spec = ParamSpec("cutoff", float, 12.0, min=2, max=30, unit="Hz")
    >>> opts = parameter_options(spec, 12.0)
    >>> opts["type"], opts["limits"], opts["suffix"]
    ('float', (2, 30), ' Hz')
    """
    tip = param.doc or param.name.replace("_", " ")
    if param.unit:
        tip += f" [{param.unit}]"
    if param.min is not None or param.max is not None:
        low = "−∞" if param.min is None else f"{param.min:g}"
        high = "∞" if param.max is None else f"{param.max:g}"
        tip += f"; from {low} to {high}"
    tip += f"; default {param.default!r}"
    opts: dict[str, Any] = {
        "name": param.name,
        "title": param.display_label,
        "value": value,
        "default": param.default,
        "tip": tip,
    }
    if param.choices:
        opts.update(type="list", limits=list(param.choices))
    elif param.type is bool:
        opts["type"] = "bool"
    elif param.type in (int, float):
        opts.update(
            type="int" if param.type is int else "float",
            limits=(param.min, param.max),
            suffix=f" {param.unit}" if param.unit else "",
            siPrefix=False,
            decimals=6,
            step=_step(param),
        )
    else:
        opts["type"] = "str"
    return opts


def _step(param: ParamSpec) -> float:
    """Spin-box step: a tenth of the default's decade, or 1 % of the range."""
    if param.type is int:
        return 1
    default = abs(float(param.default))
    if default > 0:
        return 10 ** math.floor(math.log10(default)) / 10
    if param.min is not None and param.max is not None and param.max > param.min:
        return 10 ** math.floor(math.log10((param.max - param.min) / 100))
    return 0.1


def _normalised(config: PipelineConfig) -> dict[str, tuple[bool, dict[str, Any]]]:
    """A pipeline as plugin → (enabled, parameter overrides), order-free.

    An absent plugin and a disabled one without overrides mean the same.
    """
    return {
        step.plugin: (step.enabled, dict(step.params))
        for step in config.steps
        if step.enabled or step.params
    }


def _ordered_names(config: PipelineConfig, report: DiscoveryReport) -> list[str]:
    """Plugins in run order, then disabled and not-yet-used ones."""
    try:
        names = list(config.plan(report).names)
    except PluginError:  # a plugin is missing or a need is unmet: the saved order
        names = [s.plugin for s in config.steps if s.enabled]
    names += [s.plugin for s in config.steps if s.plugin not in names]
    names += [n for n in report.specs if n not in names]
    return names


def _source_label(source: str) -> str:
    kind, _, rest = source.partition(":")
    rest = rest.split("@sha256:")[0]
    return {"builtin": "built-in", "file": "user file", "dist": "package"}.get(
        kind, kind
    ) + (f" {rest}" if rest else "")


class PipelinePanel(QWidget):
    """Plugin list with enable checkboxes, parameter forms, run buttons and run report.

    Signals
    -------
    run_requested(str)
        A run button was pressed: ``selected``, ``project`` or ``stale``
        (the pipeline is applied first if the form was changed).
    applied()
        The pipeline was saved in the project.
    """

    run_requested = Signal(str)
    applied = Signal()

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.task: GeneratorTask | None = None
        self.run_events: list[RunEvent] = []
        self._run_total = 0
        self._saved: dict[str, tuple[bool, dict[str, Any]]] = {}
        self._specs: dict[str, PluginSpec] = {}
        self._building = False

        self.root = ptree.Parameter.create(name="pipeline", type="group", children=[])
        self.root.sigTreeStateChanged.connect(self._on_form_changed)
        self.tree = ParameterTree(showHeader=True)
        self.tree.setHeaderLabels(["Plugin / parameter", "Value"])
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.tree.setColumnWidth(0, 230)
        self.tree.setParameters(self.root, showTop=False)

        self.note = QLabel(
            "Changing parameters makes the results they affect stale: run again to "
            "update them. The pipeline is saved in the project."
        )
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #555;")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #c62828;")
        self.message.hide()

        self.apply_button = QPushButton("Apply")
        self.apply_button.setToolTip("Save the plugins and parameters in the project")
        self.apply_button.clicked.connect(self.apply)
        self.revert_button = QPushButton("Revert")
        self.revert_button.setToolTip("Show the project's saved pipeline again")
        self.revert_button.clicked.connect(self.rebuild)
        edit_row = QHBoxLayout()
        edit_row.addStretch(1)
        edit_row.addWidget(self.revert_button)
        edit_row.addWidget(self.apply_button)

        self.run_buttons: dict[str, QPushButton] = {}
        run_row = QHBoxLayout()
        for scope, text in RUN_SCOPES.items():
            button = QPushButton(text)
            button.clicked.connect(lambda _=False, scope=scope: self.request_run(scope))
            self.run_buttons[scope] = button
            run_row.addWidget(button)
        self.run_buttons["selected"].setToolTip(
            "Analyse the trials selected in the trial browser (a subject or session "
            "selects all its trials)"
        )
        self.run_buttons["project"].setToolTip(
            "Analyse every trial except static trials"
        )
        self.run_buttons["stale"].setToolTip(
            "Only results that are missing or out of date, on every trial"
        )
        self.progress = QProgressBar()
        self.progress.setFormat("%v of %m trials")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop after the trials being analysed")
        self.cancel_button.clicked.connect(self.cancel_run)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        self.progress_widget = QWidget()
        self.progress_widget.setLayout(progress_row)
        progress_row.setContentsMargins(0, 0, 0, 0)
        self.progress_widget.hide()

        self.summary = QLabel("No run yet in this window.")
        self.summary.setWordWrap(True)
        self.results = QTableWidget(0, 4)
        self.results.setHorizontalHeaderLabels(["Trial", "Plugin", "Result", "Reason"])
        self.results.verticalHeader().hide()
        self.results.verticalHeader().setDefaultSectionSize(24)
        self.results.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.results.setSelectionBehavior(
            QAbstractItemView.SelectionBehavior.SelectRows
        )
        self.results.setWordWrap(False)
        header = self.results.horizontalHeader()
        for column in range(3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)

        editor = QWidget()
        editor_layout = QVBoxLayout(editor)
        editor_layout.setContentsMargins(0, 0, 0, 0)
        editor_layout.addWidget(self.tree, 1)
        editor_layout.addWidget(self.note)
        editor_layout.addWidget(self.message)
        editor_layout.addLayout(edit_row)

        run_box = QGroupBox("Run")
        run_layout = QVBoxLayout(run_box)
        run_layout.addLayout(run_row)
        run_layout.addWidget(self.progress_widget)
        run_layout.addWidget(self.summary)
        run_layout.addWidget(self.results, 1)

        self.tree.setMinimumHeight(90)
        self.results.setMinimumHeight(60)
        splitter = QSplitter(Qt.Orientation.Horizontal)  # vertical when narrow
        splitter.addWidget(editor)
        splitter.addWidget(run_box)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)
        self.splitter = splitter
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)

        connect_while_alive(
            self,
            [
                (session.project_changed, self._on_project_changed),
                (session.busy_changed, self._update_enabled),
            ],
        )
        self.rebuild()

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 (Qt override)
        """Form and run report side by side when the panel is wide (a bottom dock)."""
        super().resizeEvent(event)
        wide = self.width() > 1.6 * self.height()
        orientation = Qt.Orientation.Horizontal if wide else Qt.Orientation.Vertical
        if self.splitter.orientation() != orientation:
            self.splitter.setOrientation(orientation)

    # ---- the form

    @property
    def dirty(self) -> bool:
        """True when the form differs from the project's saved pipeline."""
        return (
            self.session.project is not None
            and _normalised(self.config()) != self._saved
        )

    def rebuild(self) -> None:
        """Show the project's saved pipeline and the discovered plugins."""
        self._building = True
        try:
            self.root.clearChildren()
            self.message.hide()
            if self.session.project is None:
                self._saved = {}
                self._specs = {}
                return
            report = discover()
            config = self.session.pipeline
            self._saved = _normalised(config)
            self._specs = dict(report.specs)
            for name in _ordered_names(config, report):
                step = config.step(name)
                self.root.addChild(self._group(name, step, report.specs.get(name)))
        finally:
            self._building = False
            self._set_tooltips()
            self._update_enabled()

    def config(self) -> PipelineConfig:
        """The pipeline the form shows (overrides where a value is not the default)."""
        steps = []
        for group in self.root.children():
            name = group.name()
            enabled = bool(group.child(ENABLED).value())
            spec = self._specs.get(name)
            params: dict[str, Any] = {}
            if spec is None:
                params = dict(group.opts.get("saved_params", {}))
            else:
                for param in spec.params:
                    value = group.child(param.name).value()
                    if param.type is int and not isinstance(value, bool):
                        value = int(value)
                    elif param.type is float:
                        value = float(value)
                    if value != param.default:
                        params[param.name] = value
            steps.append(PipelineStep(name, params, enabled))
        return PipelineConfig(steps)

    def set_value(self, plugin: str, name: str, value: Any) -> None:
        """Change one form value (``name`` = a parameter, or ENABLED)."""
        self.root.child(plugin).child(name).setValue(value)

    def value(self, plugin: str, name: str) -> Any:
        """One form value."""
        return self.root.child(plugin).child(name).value()

    def apply(self) -> bool:
        """Save the form's pipeline in the project; False (message shown) if refused."""
        if self.session.project is None:
            return False
        config = self.config()
        try:
            self.session.set_pipeline(config)
        except (GaitlabError, OSError) as error:  # refused by the plan, or not written
            self._show_message(f"Not saved: {error}")
            log.warning("pipeline not saved: %s", error)
            return False
        self._saved = _normalised(config)
        self.message.hide()
        log.info("pipeline saved in the project: results it affects are now stale")
        self._update_enabled()
        self.applied.emit()
        return True

    # ---- running

    def request_run(self, scope: str) -> None:
        """Ask the window to run (applying the form first if it changed)."""
        if self.dirty and not self.apply():
            return
        self.run_requested.emit(scope)

    def attach_run(self, task: GeneratorTask) -> None:
        """Follow a pipeline run: progress, cancel, and the report of problems."""
        self.task = task
        self.run_events = []
        self._run_total = 0
        self.results.setRowCount(0)
        self.summary.setText("Running…")
        self.progress.setValue(0)
        self.progress_widget.show()
        self.cancel_button.setEnabled(True)
        task.event_applied.connect(self._on_run_event)
        task.finished.connect(self._on_run_finished)

    def cancel_run(self) -> None:
        """Stop the run after the trials being analysed."""
        if self.task is not None and self.task.running:
            self.task.cancel()
            self.cancel_button.setEnabled(False)
            self.summary.setText("Cancelling after the trials being analysed…")

    def problems(self) -> list[tuple[str, str, str, str]]:
        """The run report: (trial, plugin, result, reason) rows."""
        return [
            tuple(self.results.item(r, c).text() for c in range(4))  # type: ignore
            for r in range(self.results.rowCount())
        ]

    # ---- private

    def _group(
        self, name: str, step: PipelineStep | None, spec: PluginSpec | None
    ) -> ptree.Parameter:
        enabled = step.enabled if step is not None else False
        overrides = dict(step.params) if step is not None else {}
        if spec is None:
            return ptree.Parameter.create(
                name=name,
                type="group",
                title=f"⚠ {name} (not installed)",
                saved_params=overrides,
                children=[
                    {
                        "name": ENABLED,
                        "title": "run this plugin",
                        "type": "bool",
                        "value": enabled,
                        "tip": "This plugin is in the project's pipeline but not "
                        "installed here: disable it, or install it",
                    }
                ],
            )
        children = [
            {
                "name": ENABLED,
                "title": "run this plugin",
                "type": "bool",
                "value": enabled,
                "default": step is not None,
                "tip": f"Include {spec.title} in the pipeline",
            }
        ]
        for param in spec.params:
            children.append(
                parameter_options(param, overrides.get(param.name, param.default))
            )
        return ptree.Parameter.create(
            name=name,
            type="group",
            title=f"{spec.title}  ({spec.category}, v{spec.version})",
            children=children,
        )

    def _set_tooltips(self) -> None:
        """Help on the names too (pyqtgraph puts ``tip`` on the value widget only)."""
        for group in self.root.children():
            spec = self._specs.get(group.name())
            group_tip = (
                f"{spec.name} {spec.version} · {spec.category}\n"
                f"source: {_source_label(spec.source)}\n\n"
                + (spec.description.split("\n\n")[0] if spec.description else "")
                if spec is not None
                else "not installed"
            )
            for item in group.items:
                item.setToolTip(0, group_tip)
            for child in group.children():
                for item in child.items:
                    item.setToolTip(0, child.opts.get("tip", ""))
                    item.setToolTip(1, child.opts.get("tip", ""))

    def _on_form_changed(self, *_: Any) -> None:
        if not self._building:
            self._update_enabled()

    def _update_enabled(self, *_: Any) -> None:
        has_project = self.session.project is not None
        busy = self.session.busy
        dirty = has_project and self.dirty
        self.apply_button.setEnabled(dirty and not busy)
        self.revert_button.setEnabled(dirty)
        self.apply_button.setText("Apply *" if dirty else "Apply")
        for button in self.run_buttons.values():
            button.setEnabled(has_project and not busy)

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def _on_project_changed(self, _: object) -> None:
        self.results.setRowCount(0)
        self.summary.setText("No run yet in this window.")
        self.rebuild()

    def _on_run_event(self, event: RunEvent) -> None:
        if event.kind == "started":
            self._run_total = event.total
            self.progress.setMaximum(max(event.total, 1))
            return
        if event.kind != "trial":
            return
        self.run_events.append(event)
        self.progress.setValue(event.done)
        rows = [("error", "(trial)", event.error)] if event.error else []
        rows += [
            (status, plugin, event.messages.get(plugin, ""))
            for plugin, status in event.statuses.items()
            if status != "ok"
        ]
        for status, plugin, reason in rows:
            row = self.results.rowCount()
            self.results.insertRow(row)
            colour = "#c62828" if status in ("failed", "error") else "#ef6c00"
            for column, text in enumerate((event.trial_id, plugin, status, reason)):
                item = QTableWidgetItem(text)
                item.setToolTip(reason)
                if column == 2:
                    item.setForeground(QBrush(QColor(colour)))
                self.results.setItem(row, column, item)

    def _on_run_finished(self, cancelled: bool) -> None:
        self.progress_widget.hide()
        counts: Counter[str] = Counter()
        for event in self.run_events:
            counts.update(event.statuses.values())
        errors = sum(1 for e in self.run_events if e.error)
        done = len(self.run_events)
        text = (
            f"Cancelled after {done} of {self._run_total} trials: "
            if cancelled
            else f"{done} trial{'s' if done != 1 else ''}: "
        )
        text += (
            f"{counts['ok']} results ok, {counts['partial']} partial, "
            f"{counts['skipped']} skipped, {counts['failed']} failed"
        )
        if errors:
            text += f", {errors} trials not analysed"
        if self.task is not None and self.task.error:
            text += f". The run stopped on an error: {self.task.error}"
        if self.results.rowCount():
            text += ". Problems:"
        self.summary.setText(text + ("" if text.endswith(":") else "."))
        log.info("pipeline run: %s", text)
