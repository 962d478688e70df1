"""The metrics tables: per step and per trial, sortable, filterable, exportable.

Built from :func:`gaitlab.pipeline.export.collect_tables` (read in a worker
thread) for the current trial, or for the whole project when "Whole project"
is chosen.

* **Steps**: one row per step (trial, step, side, time of initial contact),
  one column per metric with its unit in the header, titled by its declared
  label (else its name); the headline metrics the plugins declare
  (``MetricSpec.headline``) first, in pipeline order of their plugins, then
  declaration order.
* **Trials**: one row per trial, one column per metric: ``mean ± SD`` over
  the trial's steps (the count ``n`` in the tooltip), or the value of a
  trial-level metric; plugins that were skipped or failed are listed under
  ``problems``.
* **Categorical metrics** (declared with ``categories``, e.g. the foot-strike
  class): the steps table shows each step's label ("rearfoot"), not its
  numeric code; the trials table the number of steps per category
  ("rearfoot 3 · midfoot 5", every category and ``n`` in the tooltip), as the
  export's ``count`` rows.

Values whose status is not ``ok`` are highlighted (warning: amber;
unclean/invalid: red; stale: grey italic) with the reason as tooltip.
The text filter keeps the metric columns whose metric or plugin name
contains it; "Columns" hides or shows whole plugins. Clicking a step row
moves the time cursor to that step's **initial contact** (``time_s``, the
instant the step's contact begins): every plot and the body view follow.
Clicking a row of another trial shows that trial first.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QTableView,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gaitlab.gui.tasks import BackgroundCall, connect_while_alive
from gaitlab.gui.theme import side_colour
from gaitlab.pipeline.export import MetricTables, collect_tables, export_metrics
from gaitlab.session import Session

__all__ = [
    "STATUS_BACKGROUND",
    "Column",
    "MetricsFilter",
    "MetricsModel",
    "MetricsView",
    "format_value",
    "steps_model_data",
    "trials_model_data",
]

log = logging.getLogger(__name__)

SORT_ROLE = Qt.ItemDataRole.UserRole
STATUS_BACKGROUND = {
    "warning": "#fff3cd",
    "unclean": "#f8d7da",
    "invalid": "#f8d7da",
    "failed": "#f8d7da",
    "skipped": "#fff3cd",
    "partial": "#fff3cd",
    "stale": "#eeeeee",
}
SCOPES = ("Current trial", "Whole project")
EXPORT_FILTERS = {
    "csv": "Tidy CSV, one row per value (*.csv)",
    "wide": "Wide CSV, steps and trials tables (*.csv)",
    "xlsx": "Excel workbook (*.xlsx)",
}


def format_value(value: Any) -> str:
    """A number as a researcher reads it (4 significant digits, no needless exponent).

    Examples
    --------
    >>> [format_value(v) for v in (173.5970, 0.233597, 26787.78, float("nan"), 0.0)]
    ['173.6', '0.2336', '26788', '–', '0']
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None else str(value)
    if math.isnan(value):
        return "–"
    if value == 0:
        return "0"
    size = abs(value)
    if size >= 1000:
        return f"{value:.0f}"
    if size < 1e-3:
        return f"{value:.2e}"
    return f"{value:.4g}"


@dataclass(frozen=True)
class Column:
    """One column of a metrics table.

    Attributes
    ----------
    key : str
        Key of the row dicts.
    title : str
        Header text (metric name and ``[unit]`` on a second line).
    plugin, metric, unit : str
        For metric columns ("" for identity columns).
    tip : str
        Header tooltip.
    """

    key: str
    title: str
    plugin: str = ""
    metric: str = ""
    unit: str = ""
    tip: str = ""

    @property
    def is_metric(self) -> bool:
        """True for a metric column (filterable)."""
        return bool(self.metric)


@dataclass
class TableData:
    """Rows of one table with the status and reason of each highlighted cell."""

    columns: list[Column]
    rows: list[dict[str, Any]]
    status: dict[tuple[int, str], tuple[str, str]]


def _label(metric: str, unit: str) -> str:
    return f"{metric} [{unit}]" if unit else metric


def _categorical(tidy: Sequence[dict[str, Any]]) -> set[str]:
    """Metrics with categories: those the export counts per category."""
    return {r["metric"] for r in tidy if r["statistic"] == "count"}


def _step_key(row: dict[str, Any], categorical: set[str]) -> str:
    """Column key of a per-step value: the export's steps-table column (a
    categorical metric's column is its bare name and holds its labels)."""
    metric = row["metric"]
    return metric if metric in categorical else _label(metric, row["unit"])


def headline_names(tables: MetricTables) -> list[str]:
    """The metrics the plugins declare headline ones, in pipeline order.

    Read from the tables' provenance (each plugin's metric definitions), so
    the view needs no list of plugin names of its own.
    """
    return [
        name
        for plugin in tables.provenance.get("plugins", {}).values()
        for name, definition in plugin.get("metrics", {}).items()
        if definition.get("headline")
    ]


def metric_labels(tables: MetricTables) -> dict[str, str]:
    """Display label of each metric that declares one
    (:attr:`MetricSpec.label <gaitlab.core.results.MetricSpec.label>`), by name,
    from the tables' provenance; a metric without one is shown by its name."""
    return {
        name: definition["label"]
        for plugin in tables.provenance.get("plugins", {}).values()
        for name, definition in plugin.get("metrics", {}).items()
        if definition.get("label")
    }


def _main_first(columns: list[Column], headline: list[str]) -> list[Column]:
    """The headline metrics first (in their order), then the others in result order."""
    rank = {name: i for i, name in enumerate(headline)}
    return sorted(columns, key=lambda c: rank.get(c.metric, len(rank)))


def _step_metric_columns(
    tidy: Sequence[dict[str, Any]],
    categorical: set[str],
    headline: list[str],
    labels: Mapping[str, str],
) -> list[Column]:
    """One column per per-step metric, headline metrics first, titled by their
    display labels."""
    seen: dict[str, Column] = {}
    for r in tidy:
        if not r["metric"] or r["step"] == "" or r["statistic"] != "value":
            continue
        key = _step_key(r, categorical)
        if key in seen:
            continue
        if r["metric"] in categorical:
            seen[key] = Column(
                key,
                labels.get(r["metric"], r["metric"]),
                r["plugin"],
                r["metric"],
                "",
                f"{r['metric']}: category of the step; plugin {r['plugin']}",
            )
            continue
        unit = f"\n[{r['unit']}]" if r["unit"] else ""
        seen[key] = Column(
            key,
            f"{labels.get(r['metric'], r['metric'])}{unit}",
            r["plugin"],
            r["metric"],
            r["unit"],
            f"{r['metric']} ({r['unit'] or 'no unit'}) from plugin {r['plugin']}",
        )
    return _main_first(list(seen.values()), headline)


def steps_model_data(tables: MetricTables, with_identity: bool) -> TableData:
    """The per-step table: one row per step, one column per metric."""
    identity = [
        Column("trial_id", "trial"),
        Column("subject_id", "subject"),
        Column("condition", "condition"),
    ]
    columns = (identity if with_identity else []) + [
        Column("step", "step", tip="Step number in the trial (both feet, time order)"),
        Column("side", "side"),
        Column(
            "time_s", "initial contact\n[s]", tip="Time of the step's initial contact"
        ),
    ]
    categorical = _categorical(tables.tidy)
    columns += _step_metric_columns(
        tables.tidy, categorical, headline_names(tables), metric_labels(tables)
    )
    columns.append(Column("flags", "flags", tip="Values whose status is not ok"))
    rows = [dict(row) for row in tables.steps]
    where = {(row["trial_id"], row["step"]): i for i, row in enumerate(rows)}
    status = {}
    for r in tables.tidy:
        if r["statistic"] == "value" and r["step"] != "" and r["status"] != "ok":
            i = where.get((r["trial_id"], r["step"]))
            if i is not None:
                status[(i, _step_key(r, categorical))] = (
                    r["status"],
                    r["message"],
                )
    return TableData(columns, rows, status)


def trials_model_data(tables: MetricTables) -> TableData:
    """The per-trial table: ``mean ± SD`` of per-step metrics, steps per category of
    categorical ones, trial-level values."""
    columns = [
        Column("trial_id", "trial"),
        Column("subject_id", "subject"),
        Column("condition", "condition"),
    ]
    labels = metric_labels(tables)
    metric_columns: dict[str, Column] = {}
    rows: dict[str, dict[str, Any]] = {}
    status: dict[tuple[str, str], tuple[str, str]] = {}
    for r in tables.tidy:
        row = rows.setdefault(
            r["trial_id"],
            {
                "trial_id": r["trial_id"],
                "subject_id": r["subject_id"],
                "condition": r["condition"],
            },
        )
        if not r["metric"]:
            note = f"{r['plugin']} {r['status']}: {r['message']}"
            row["problems"] = f"{row.get('problems', '')}; {note}".strip("; ")
            status[(r["trial_id"], "problems")] = (r["status"], row["problems"])
            continue
        stat = r["statistic"]
        trial_level = stat == "value" and r["step"] == ""
        if not trial_level and (r["side"] != "" or stat == "value"):
            continue
        key = _label(r["metric"], r["unit"] if stat != "n" else "")
        if stat == "n":
            key = next(
                (k for k in metric_columns if metric_columns[k].metric == r["metric"]),
                key,
            )
        elif key not in metric_columns:
            unit = f"\n[{r['unit']}]" if r["unit"] else ""
            kind = (
                "trial value"
                if trial_level
                else "steps per category over the trial"
                if stat == "count"
                else "mean ± SD over the trial's steps"
            )
            metric_columns[key] = Column(
                key,
                f"{labels.get(r['metric'], r['metric'])}{unit}",
                r["plugin"],
                r["metric"],
                r["unit"],
                f"{r['metric']} ({r['unit'] or 'no unit'}), {kind}; "
                f"plugin {r['plugin']}",
            )
        cell = row.setdefault(key, {})
        if stat == "count":
            cell.setdefault("counts", {})[r["category"]] = r["value"]
        else:
            cell[stat] = r["value"]
        if r["status"] != "ok" and stat != "n":
            status[(r["trial_id"], key)] = (r["status"], r["message"])
    columns += _main_first(list(metric_columns.values()), headline_names(tables))
    columns.append(
        Column("problems", "problems", tip="Plugins skipped or failed on the trial")
    )
    ordered = list(rows.values())
    index = {row["trial_id"]: i for i, row in enumerate(ordered)}
    return TableData(
        columns, ordered, {(index[t], key): v for (t, key), v in status.items()}
    )


def _cell_text(value: Any) -> tuple[str, Any, str]:
    """Display text, sort value and extra tooltip of a cell."""
    if isinstance(value, dict):  # trial aggregate or trial value
        if "value" in value:
            v = value["value"]
            return format_value(v), _sort_number(v), ""
        if "counts" in value:
            return _counts_text(value["counts"], value.get("n", 0))
        mean, sd, n = (
            value.get("mean", math.nan),
            value.get("sd", math.nan),
            value.get("n", 0),
        )
        text = format_value(mean)
        if isinstance(sd, float) and not math.isnan(sd):
            text += f" ± {format_value(sd)}"
        return text, _sort_number(mean), f"n = {int(n) if n == n else 0} steps"
    if isinstance(value, float | int) and not isinstance(value, bool):
        return format_value(value), _sort_number(value), ""
    return (
        ("" if value is None else str(value)),
        ("" if value is None else str(value)),
        "",
    )


def _counts_text(counts: dict[str, Any], n: Any) -> tuple[str, Any, str]:
    """Text, sort value and tooltip of a categorical metric's counts per category.

    The categories with steps, in declaration order ("–" when none); the
    tooltip lists every category. Sorted by the most frequent category.

    Examples
    --------
    >>> _counts_text({"rearfoot": 3, "midfoot": 5, "forefoot": 0}, 8)
    ('rearfoot 3 · midfoot 5', 'midfoot', 'rearfoot 3, midfoot 5, forefoot 0 of n = 8 steps')
    """
    steps = int(n) if isinstance(n, int | float) and n == n else 0
    present = [f"{label} {int(c)}" for label, c in counts.items() if c]
    tip = ", ".join(f"{label} {int(c)}" for label, c in counts.items())
    common = max(counts, key=lambda label: counts[label]) if present else ""
    return (
        " · ".join(present) or "–",
        common,
        f"{tip} of n = {steps} steps",
    )


def _sort_number(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.inf
    return math.inf if math.isnan(number) else number


_ROOT = QModelIndex()


class MetricsModel(QAbstractTableModel):
    """A metrics table (rows of dicts) for a QTableView."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.data_ = TableData([], [], {})

    def set_data(self, data: TableData) -> None:
        """Replace the table."""
        self.beginResetModel()
        self.data_ = data
        self.endResetModel()

    @property
    def columns(self) -> list[Column]:
        """The columns."""
        return self.data_.columns

    def row(self, row: int) -> dict[str, Any]:
        """One row as a dict."""
        return self.data_.rows[row]

    def rowCount(  # noqa: N802 (Qt override)
        self, parent: QModelIndex | QPersistentModelIndex = _ROOT
    ) -> int:
        """Qt: number of rows."""
        return 0 if parent.isValid() else len(self.data_.rows)

    def columnCount(  # noqa: N802 (Qt override)
        self, parent: QModelIndex | QPersistentModelIndex = _ROOT
    ) -> int:
        """Qt: number of columns."""
        return 0 if parent.isValid() else len(self.data_.columns)

    def headerData(  # noqa: N802 (Qt override)
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        """Qt: header titles (with units) and tooltips."""
        if orientation != Qt.Orientation.Horizontal or section >= len(
            self.data_.columns
        ):
            return None
        column = self.data_.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tip or column.title.replace("\n", " ")
        return None

    def data(
        self,
        index: QModelIndex | QPersistentModelIndex,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        """Qt: cell text, sort value, highlight and reason."""
        if not index.isValid():
            return None
        column = self.data_.columns[index.column()]
        value = self.data_.rows[index.row()].get(column.key, "")
        if role in (
            Qt.ItemDataRole.DisplayRole,
            SORT_ROLE,
            Qt.ItemDataRole.ToolTipRole,
        ):
            text, sort_value, note = _cell_text(value)
            if role == Qt.ItemDataRole.DisplayRole:
                return text
            if role == SORT_ROLE:
                return sort_value
            status = self.data_.status.get((index.row(), column.key))
            parts = [
                p for p in (note, f"{status[0]}: {status[1]}" if status else "") if p
            ]
            return "\n".join(parts) or None
        if role == Qt.ItemDataRole.ForegroundRole and column.key == "side":
            return QBrush(QColor(side_colour(str(value))))  # as in the plots
        status = self.data_.status.get((index.row(), column.key))
        if role == Qt.ItemDataRole.BackgroundRole and status:
            return QBrush(QColor(STATUS_BACKGROUND.get(status[0], "#f8d7da")))
        if role == Qt.ItemDataRole.FontRole and status and status[0] == "stale":
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and (
            column.is_metric or column.key in ("step", "time_s")
        ):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class MetricsFilter(QSortFilterProxyModel):
    """Sorting by value, and hiding metric columns by text and by plugin."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.text = ""
        self.hidden_plugins: set[str] = set()
        self.setSortRole(SORT_ROLE)

    def set_text(self, text: str) -> None:
        """Keep the metric columns whose metric or plugin contains ``text``."""
        self._change_columns(lambda: setattr(self, "text", text.strip().lower()))

    def set_plugin_hidden(self, plugin: str, hidden: bool) -> None:
        """Hide or show every column of one plugin."""
        change = self.hidden_plugins.add if hidden else self.hidden_plugins.discard
        self._change_columns(lambda: change(plugin))

    def _change_columns(self, change: Any) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.9
            self.beginFilterChange()
            change()
            self.endFilterChange(QSortFilterProxyModel.Direction.Columns)
        else:
            change()
            self.invalidateColumnsFilter()

    def filterAcceptsColumn(  # noqa: N802 (Qt override)
        self, source_column: int, source_parent: QModelIndex | QPersistentModelIndex
    ) -> bool:
        """Qt: identity columns always; metric columns by filter text and plugin."""
        model = self.sourceModel()
        assert isinstance(model, MetricsModel)
        column = model.columns[source_column]
        if not column.is_metric:
            return True
        if column.plugin in self.hidden_plugins:
            return False
        return (
            not self.text
            or self.text in column.metric.lower()
            or self.text in column.plugin.lower()
        )


class MetricsView(QWidget):
    """Per-step and per-trial metric tables of the current trial or the project.

    Signals
    -------
    step_activated(str, float)
        A step row was clicked: trial id and the step's initial contact time (s).
    trial_activated(str)
        A trial row was clicked.
    exported(list)
        An export finished: the files written.
    """

    step_activated = Signal(str, float)
    trial_activated = Signal(str)
    exported = Signal(list)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.tables: MetricTables | None = None
        self._token = 0
        self._job: BackgroundCall | None = None
        self._export_job: BackgroundCall | None = None

        self.scope = QComboBox()
        self.scope.addItems(SCOPES)
        self.scope.setToolTip(
            "Metrics of the trial shown, or of every trial in the project"
        )
        self.scope.currentIndexChanged.connect(lambda _: self.refresh())
        self.filter_edit = QLineEdit(
            placeholderText="Filter metrics or plugins…", clearButtonEnabled=True
        )
        self.filter_edit.setMaximumWidth(260)
        self.columns_button = QToolButton(text="Columns")
        self.columns_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.columns_button.setToolTip("Show or hide the metrics of each plugin")
        self.columns_menu = QMenu(self.columns_button)
        self.columns_button.setMenu(self.columns_menu)
        self.export_csv_button = QPushButton("Export CSV…")
        self.export_csv_button.clicked.connect(lambda: self.export_dialog("csv"))
        self.export_xlsx_button = QPushButton("Export XLSX…")
        self.export_xlsx_button.clicked.connect(lambda: self.export_dialog("xlsx"))
        self.state = QLabel()
        self.state.setStyleSheet("color: #555;")

        self.steps_model = MetricsModel(self)
        self.trials_model = MetricsModel(self)
        self.steps_proxy = MetricsFilter(self)
        self.steps_proxy.setSourceModel(self.steps_model)
        self.trials_proxy = MetricsFilter(self)
        self.trials_proxy.setSourceModel(self.trials_model)
        self.filter_edit.textChanged.connect(self.steps_proxy.set_text)
        self.filter_edit.textChanged.connect(self.trials_proxy.set_text)
        self.steps_table = self._table(self.steps_proxy)
        self.trials_table = self._table(self.trials_proxy)
        self.steps_table.clicked.connect(self._on_step_clicked)
        self.steps_table.activated.connect(self._on_step_clicked)
        self.trials_table.clicked.connect(self._on_trial_clicked)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.steps_table, "Steps")
        self.tabs.addTab(self.trials_table, "Trials")

        bar = QHBoxLayout()
        bar.addWidget(QLabel("Show"))
        bar.addWidget(self.scope)
        bar.addWidget(self.filter_edit)
        bar.addWidget(self.columns_button)
        bar.addWidget(self.state, 1)
        bar.addWidget(self.export_csv_button)
        bar.addWidget(self.export_xlsx_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.tabs, 1)

        self._refresh_timer = QTimer(self, singleShot=True, interval=0)
        self._refresh_timer.timeout.connect(self._start_refresh)
        connect_while_alive(
            self,
            [
                (session.project_changed, self._on_project_changed),
                (session.trial_loaded, self._on_trial_loaded),
                (session.results_changed, self._on_results_changed),
                (session.busy_changed, self._on_busy_changed),
            ],
        )
        self._update_buttons()
        self.refresh()

    # ---- public

    @property
    def whole_project(self) -> bool:
        """True when the tables show every trial."""
        return self.scope.currentIndex() == 1

    def set_whole_project(self, whole: bool) -> None:
        """Show the whole project (True) or the current trial."""
        self.scope.setCurrentIndex(1 if whole else 0)

    @property
    def updating(self) -> bool:
        """True while tables are being read."""
        return self._job is not None or self._refresh_timer.isActive()

    def trial_ids(self) -> list[str] | None:
        """The trials shown ([] when no trial is shown; None = whole project)."""
        if self.whole_project:
            return None
        current = self.session.current
        return [current.trial_id] if current is not None else []

    def refresh(self) -> None:
        """Read the tables again (in the background)."""
        self._refresh_timer.start()

    def export_dialog(
        self, kind: str = "csv", whole_project: bool | None = None
    ) -> None:
        """Ask for a file name and export the metrics shown (or the whole project)."""
        project = self.session.project
        if project is None:
            return
        whole = self.whole_project if whole_project is None else whole_project
        current = self.session.current
        what = "project" if whole or current is None else f"trial {current.trial_id}"
        stem = (
            project.path.stem
            if what == "project"
            else f"{project.path.stem}_{current.trial_id}"
        )  # type: ignore[union-attr]
        window = self.window()
        settings = getattr(window, "settings", None)
        folder = (
            settings.last_folder("export") if settings is not None else str(Path.home())
        )
        filters = (
            [EXPORT_FILTERS["xlsx"]]
            if kind == "xlsx"
            else [EXPORT_FILTERS["csv"], EXPORT_FILTERS["wide"]]
        )
        path, chosen = QFileDialog.getSaveFileName(
            self,
            f"Export the metrics of the {what}",
            str(Path(folder) / f"{stem}_metrics.{'xlsx' if kind == 'xlsx' else 'csv'}"),
            ";;".join(filters),
        )
        if not path:
            return
        target = Path(path)
        suffix = ".xlsx" if kind == "xlsx" else ".csv"
        if target.suffix.lower() != suffix:
            target = target.with_name(target.name + suffix)
        if settings is not None:
            settings.remember_folder("export", target)
        trial_ids = None if current is None or what == "project" else [current.trial_id]
        self.export(target, wide=chosen == EXPORT_FILTERS["wide"], trial_ids=trial_ids)

    def export(
        self, path: Path, *, wide: bool = False, trial_ids: list[str] | None = None
    ) -> None:
        """Write the metric tables (and the provenance sidecar) in the background."""
        project = self.session.project
        if project is None or self._export_job is not None:
            return
        self.state.setText(f"Exporting {path.name}…")
        self._update_buttons(exporting=True)

        def write() -> list[Path]:
            return export_metrics(project, path, wide=wide, trial_ids=trial_ids)

        job = BackgroundCall(write, parent=self)
        job.completed.connect(self._on_exported)
        job.failed.connect(self._on_export_failed)
        self._export_job = job
        job.start()

    def visible_columns(self, table: str = "steps") -> list[str]:
        """Keys of the columns shown (after the filter) in ``steps`` or ``trials``."""
        proxy = self.steps_proxy if table == "steps" else self.trials_proxy
        model = proxy.sourceModel()
        assert isinstance(model, MetricsModel)
        return [
            column.key
            for i, column in enumerate(model.columns)
            if proxy.filterAcceptsColumn(i, _ROOT)
        ]

    # ---- private

    def _table(self, proxy: MetricsFilter) -> QTableView:
        table = QTableView()
        table.setModel(proxy)
        table.setSortingEnabled(True)
        table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.verticalHeader().hide()
        table.verticalHeader().setDefaultSectionSize(22)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setDefaultSectionSize(92)
        header.setMinimumSectionSize(40)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignCenter)
        header.setHighlightSections(False)
        return table

    def _start_refresh(self) -> None:
        project = self.session.project
        ids = self.trial_ids()
        self._token += 1
        if project is None or ids == []:
            self._job = None
            self._show(None, with_identity=False)
            return
        if (
            self._job is not None
        ):  # the running read is outdated: read again when it ends
            return
        token = self._token
        job = BackgroundCall(collect_tables, project, ids, parent=self)
        job.completed.connect(
            lambda tables, token=token, whole=ids is None: self._on_tables(
                token, tables, whole
            )
        )
        job.failed.connect(self._on_tables_failed)
        self._job = job
        self.state.setText("Reading metrics…")
        job.start()

    def _on_tables(self, token: int, tables: MetricTables, whole: bool) -> None:
        self._job = None
        if token != self._token:
            self._start_refresh()
            return
        self._show(tables, with_identity=whole)

    def _on_tables_failed(self, message: str, details: str) -> None:
        self._job = None
        self.state.setText(f"Metrics could not be read: {message}")
        log.error("metrics could not be read: %s\n%s", message, details)

    def _show(self, tables: MetricTables | None, with_identity: bool) -> None:
        self.tables = tables
        if tables is None:
            self.steps_model.set_data(TableData([], [], {}))
            self.trials_model.set_data(TableData([], [], {}))
            self.state.setText(
                "No project open."
                if self.session.project is None
                else "No trial shown."
            )
        else:
            self.steps_model.set_data(steps_model_data(tables, with_identity))
            self.trials_model.set_data(trials_model_data(tables))
            n_steps = len(tables.steps)
            n_trials = len({r["trial_id"] for r in tables.tidy})
            flagged = sum(
                1
                for r in tables.tidy
                if r["status"] not in ("ok", "") and r["statistic"] == "value"
            )
            text = f"{n_steps} steps in {n_trials} trial{'s' if n_trials != 1 else ''}"
            if flagged:
                text += f" · {flagged} values flagged (highlighted)"
            if not tables.tidy:
                text = "No results yet: run the pipeline (Analysis menu)."
            self.state.setText(text)
        self._rebuild_columns_menu()
        for table in (self.steps_table, self.trials_table):
            table.resizeColumnsToContents()
            header = table.horizontalHeader()
            for section in range(header.count()):
                header.resizeSection(
                    section, min(max(header.sectionSize(section), 56), 180)
                )
        self._update_buttons()

    def _rebuild_columns_menu(self) -> None:
        self.columns_menu.clear()
        plugins = dict.fromkeys(
            c.plugin
            for c in self.steps_model.columns + self.trials_model.columns
            if c.plugin
        )
        for plugin in plugins:
            action = QAction(plugin, self.columns_menu, checkable=True)
            action.setChecked(plugin not in self.steps_proxy.hidden_plugins)
            action.toggled.connect(
                lambda shown, plugin=plugin: self._set_plugin_shown(plugin, shown)
            )
            self.columns_menu.addAction(action)
        self.columns_button.setEnabled(bool(plugins))

    def _set_plugin_shown(self, plugin: str, shown: bool) -> None:
        self.steps_proxy.set_plugin_hidden(plugin, not shown)
        self.trials_proxy.set_plugin_hidden(plugin, not shown)

    def _update_buttons(self, exporting: bool = False) -> None:
        can = (
            self.session.project is not None
            and not self.session.busy
            and not exporting
            and self._export_job is None
        )
        self.export_csv_button.setEnabled(can)
        self.export_xlsx_button.setEnabled(can)

    def _on_step_clicked(self, index: QModelIndex) -> None:
        row = self.steps_model.row(self.steps_proxy.mapToSource(index).row())
        time_s = row.get("time_s")
        if isinstance(time_s, float | int) and not math.isnan(time_s):
            self.step_activated.emit(row["trial_id"], float(time_s))

    def _on_trial_clicked(self, index: QModelIndex) -> None:
        row = self.trials_model.row(self.trials_proxy.mapToSource(index).row())
        self.trial_activated.emit(row["trial_id"])

    def _on_exported(self, paths: list[Path]) -> None:
        self._export_job = None
        self._update_buttons()
        self.state.setText("Exported " + ", ".join(p.name for p in paths))
        log.info("metrics exported: %s", ", ".join(str(p) for p in paths))
        self.exported.emit(paths)

    def _on_export_failed(self, message: str, details: str) -> None:
        from gaitlab.gui.tasks import show_error

        self._export_job = None
        self._update_buttons()
        self.state.setText(f"Export failed: {message}")
        show_error(
            self,
            "Export failed",
            f"The metrics could not be exported: {message}",
            details,
        )

    # ---- session signals

    def _on_project_changed(self, _: object) -> None:
        self.refresh()

    def _on_trial_loaded(self, _: object) -> None:
        if not self.whole_project:
            self.refresh()

    def _on_results_changed(self, trial_id: str) -> None:
        if self.session.busy:
            return  # one refresh when the run ends
        current = self.session.current
        if self.whole_project or (current is not None and current.trial_id == trial_id):
            self.refresh()

    def _on_busy_changed(self, busy: bool) -> None:
        self._update_buttons()
        if not busy:
            self.refresh()
