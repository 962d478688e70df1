"""The *Compare* view: one metric across conditions, sessions or subjects.

The same numbers as ``gaitlab compare`` (:mod:`gaitlab.report.compare`,
:mod:`gaitlab.stats`): per group, the steps (small grey points) and the trial
means (larger points) with the mean of the trial means and its 95 %
confidence interval; below, per group the counts, mean, SD and CI, and for
every pair of groups the difference with its 95 % CI, Welch's t and p, and
Hedges' g. Trials are the unit: the steps of one trial are averaged first,
because they are not independent (the method line says so). Export: the
table as CSV, the plot as PNG or SVG.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pyqtgraph.exporters
from PySide6.QtGui import QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gaitlab.core.errors import GaitlabError
from gaitlab.gui.tasks import adopt_plot_menus, connect_while_alive
from gaitlab.pipeline.export import collect_tables
from gaitlab.report.compare import (
    GROUPINGS,
    CompareError,
    MetricData,
    gather_metric,
    summaries,
    write_csv,
)
from gaitlab.session import Session
from gaitlab.stats import METHOD, Comparison, GroupSummary, pairwise

GROUP_COLOURS = ("#1F77B4", "#D62728", "#2CA02C", "#9467BD", "#FF7F0E", "#8C564B")


def _fmt(value: float) -> str:
    return "—" if not math.isfinite(value) else f"{value:.4g}"


class CompareView(QWidget):
    """Compare one metric between groups of the open project's trials."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.data: MetricData | None = None
        self.groups: list[GroupSummary] = []
        self.comparisons: list[Comparison] = []
        self.metric_box = QComboBox()
        self.metric_box.setToolTip("The metric compared (its step values)")
        self.by_box = QComboBox()
        self.by_box.addItems(GROUPINGS)
        self.by_box.setToolTip("What the trials are grouped by")
        self.compare_button = QPushButton("Compare")
        self.compare_button.clicked.connect(self.compare)
        self.reload_button = QPushButton("Metrics")
        self.reload_button.setToolTip("Read the metrics the project's results hold")
        self.reload_button.clicked.connect(self.load_metrics)
        self.export_csv = QPushButton("Table CSV…")
        self.export_csv.clicked.connect(lambda: self._export("csv"))
        self.export_png = QPushButton("Plot PNG…")
        self.export_png.clicked.connect(lambda: self._export("png"))
        self.export_svg = QPushButton("Plot SVG…")
        self.export_svg.clicked.connect(lambda: self._export("svg"))
        controls = QHBoxLayout()
        for widget in (
            QLabel("Metric"),
            self.metric_box,
            QLabel("by"),
            self.by_box,
            self.compare_button,
            self.reload_button,
        ):
            controls.addWidget(widget)
        controls.addStretch(1)
        for button in (self.export_csv, self.export_png, self.export_svg):
            controls.addWidget(button)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.plot = pg.PlotWidget(background="w")
        adopt_plot_menus(self.plot)  # deleted with the view (see gaitlab.gui.tasks)
        self.plot.showGrid(y=True, alpha=0.3)
        self.table = QTableWidget(0, 7)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.message)
        split = QHBoxLayout()
        split.addWidget(self.plot, 1)
        split.addWidget(self.table, 1)
        layout.addLayout(split, 1)
        self._set_exports(False)
        connect_while_alive(self, [(session.project_changed, lambda _p: self.clear())])
        self.clear()

    # ---- public

    def clear(self) -> None:
        """Forget the comparison shown (a project opened or closed)."""
        self.data, self.groups, self.comparisons = None, [], []
        self.metric_box.clear()
        self.plot.clear()
        self.table.setRowCount(0)
        self._set_exports(False)
        self.message.setText(
            "Choose Metrics to list the project's metrics, then a metric and a grouping."
            if self.session.project is not None
            else "No project open."
        )

    def load_metrics(self) -> list[str]:
        """Fill the metric chooser from the stored results; returns the names."""
        project = self.session.project
        if project is None:
            return []
        ids = [t for t in project.trial_ids if not project.is_static(t)]
        tidy = collect_tables(project, ids).tidy
        names = sorted({r["metric"] for r in tidy if r["statistic"] == "value"} - {""})
        current = self.metric_box.currentText()
        self.metric_box.clear()
        self.metric_box.addItems(names)
        if current in names:
            self.metric_box.setCurrentText(current)
        if not names:
            self.message.setText(
                "No results yet: run the pipeline (Analysis ▸ Run pipeline) first."
            )
        return names

    def compare(self) -> bool:
        """Compare the chosen metric by the chosen grouping; False (said) if it cannot."""
        project = self.session.project
        metric, by = self.metric_box.currentText(), self.by_box.currentText()
        self.plot.clear()
        self.table.setRowCount(0)
        self._set_exports(False)
        if project is None or not metric:
            self.message.setText("Choose Metrics, then a metric to compare.")
            return False
        try:
            data = gather_metric(project, metric, by)
            groups = summaries(data) if data.groups else []
        except (CompareError, GaitlabError) as error:
            self.message.setText(str(error))
            return False
        if len(groups) < 2:
            self.message.setText(
                f"{len(groups)} {by} with values of {metric}: a comparison needs two. "
                "Set the trials' conditions with Edit ▸ Group trials… (or gaitlab "
                "group / gaitlab import --pattern)."
            )
            self.data, self.groups, self.comparisons = data, groups, []
            return False
        self.data, self.groups = data, groups
        self.comparisons = pairwise(groups)
        self._draw()
        self._fill_table()
        left = ", ".join(f"{n} {s}" for s, n in sorted(data.left_out.items()))
        self.message.setText(
            f"{metric} [{data.unit}] ({data.plugin}) by {by}. {METHOD}"
            + (f" Left out: {left}." if left else "")
            + (f" {data.stale} values from out-of-date results." if data.stale else "")
        )
        self._set_exports(True)
        return True

    def export(self, kind: str, path: Path) -> Path:
        """Write the table (``csv``) or the plot (``png``, ``svg``) to ``path``."""
        if self.data is None or not self.comparisons:
            raise GaitlabError("nothing compared yet")
        if kind == "csv":
            write_csv(path, self.data, self.groups, self.comparisons)
        elif kind == "png":
            pg.exporters.ImageExporter(self.plot.getPlotItem()).export(str(path))
        elif kind == "svg":  # pyqtgraph's SVG exporter fails on Qt 6's paths
            generator = QSvgGenerator()
            generator.setFileName(str(path))
            generator.setSize(self.plot.size())
            generator.setViewBox(self.plot.rect())
            generator.setTitle(f"{self.data.metric} by {self.data.by}")
            painter = QPainter(generator)
            try:
                self.plot.render(painter)
            finally:
                painter.end()
        else:
            raise ValueError(f"unknown export {kind!r}")
        return path

    # ---- drawing

    def _draw(self) -> None:
        assert self.data is not None
        rng = np.random.default_rng(0)  # the same jitter at every redraw
        plot = self.plot.getPlotItem()
        for k, group in enumerate(self.groups):
            colour = GROUP_COLOURS[k % len(GROUP_COLOURS)]
            trials = self.data.groups[group.group]
            steps = [v for values in trials.values() for v in values]
            plot.addItem(
                pg.ScatterPlotItem(
                    k + rng.uniform(-0.15, 0.15, len(steps)),
                    steps,
                    size=4,
                    brush=pg.mkBrush(150, 150, 150, 140),
                    pen=None,
                )
            )
            means = [float(np.mean(v)) for v in trials.values()]
            plot.addItem(
                pg.ScatterPlotItem(
                    k + rng.uniform(-0.08, 0.08, len(means)),
                    means,
                    size=9,
                    brush=pg.mkBrush(colour),
                    pen=pg.mkPen("w"),
                )
            )
            if math.isfinite(group.ci_low):
                plot.addItem(
                    pg.ErrorBarItem(
                        x=np.array([k + 0.3]),
                        y=np.array([group.mean]),
                        top=np.array([group.ci_high - group.mean]),
                        bottom=np.array([group.mean - group.ci_low]),
                        beam=0.1,
                        pen=pg.mkPen(colour, width=2),
                    )
                )
            plot.addItem(
                pg.ScatterPlotItem(
                    [k + 0.3],
                    [group.mean],
                    symbol="s",
                    size=10,
                    brush=pg.mkBrush(colour),
                )
            )
        axis = plot.getAxis("bottom")
        axis.setTicks([[(k, g.group) for k, g in enumerate(self.groups)]])
        plot.setLabel("left", f"{self.data.metric} [{self.data.unit}]")
        plot.setXRange(-0.6, len(self.groups) - 0.4)

    def _fill_table(self) -> None:
        headers = [
            self.by_box.currentText(),
            "trials",
            "steps",
            "mean",
            "SD",
            "95 % CI",
            "",
        ]
        self.table.setHorizontalHeaderLabels(headers)
        rows: list[list[str]] = [
            [
                g.group,
                str(g.n_trials),
                str(g.n_steps),
                _fmt(g.mean),
                _fmt(g.sd),
                f"[{_fmt(g.ci_low)}, {_fmt(g.ci_high)}]",
                "",
            ]
            for g in self.groups
        ]
        rows += [
            [
                f"{c.b} − {c.a}",
                "",
                "",
                _fmt(c.difference),
                "",
                f"[{_fmt(c.ci_low)}, {_fmt(c.ci_high)}]",
                f"t({_fmt(c.df)}) = {_fmt(c.t)}, p = {_fmt(c.p)}, g = {_fmt(c.hedges_g)}",
            ]
            for c in self.comparisons
        ]
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()

    def rows(self) -> list[list[str]]:
        """The table's texts, row by row."""
        return [
            [self.table.item(r, c).text() for c in range(self.table.columnCount())]
            for r in range(self.table.rowCount())
        ]

    def _set_exports(self, enabled: bool) -> None:
        for button in (self.export_csv, self.export_png, self.export_svg):
            button.setEnabled(enabled)

    def _export(self, kind: str) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, f"Export {kind.upper()}", f"compare.{kind}", f"*.{kind}"
        )
        if path:
            try:
                self.export(kind, Path(path))
            except (GaitlabError, OSError) as error:
                self.message.setText(f"Export failed: {error}")
