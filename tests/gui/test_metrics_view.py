"""Metrics tables: values, units, sort, filter, highlights, cursor jumps, export."""

from __future__ import annotations

import csv
from collections import Counter

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from gaitlab.gui.views.metrics_view import (
    MetricsModel,
    steps_model_data,
    trials_model_data,
)
from gaitlab.pipeline.export import TIDY_COLUMNS, MetricTables

TREADMILL = "demo_treadmill_run"
OVERGROUND = "demo_overground_run"


def column(model, key):
    return [c.key for c in model.columns].index(key)


def stored_values(session, trial_id, plugin, metric):
    """step → value, read from the stored result (not through the tables)."""
    result = session.project.load_results(trial_id)[plugin]
    return {
        m.step: m.value
        for m in result.metrics
        if m.name == metric and m.step is not None
    }


def test_step_table_shows_the_stored_values_with_units(
    qtbot, window, session, show_trial
):
    show_trial(TREADMILL)
    model = window.metrics.steps_model
    contact = {c.step: c for c in session.current.contacts}
    steps = [model.row(r)["step"] for r in range(model.rowCount())]
    assert steps == sorted(
        stored_values(session, TREADMILL, "running_measures", "contact_time")
    )
    i = column(model, "contact_time [s]")
    assert model.headerData(i, Qt.Orientation.Horizontal) == "contact_time\n[s]"
    expected = stored_values(session, TREADMILL, "running_measures", "contact_time")
    for r in range(model.rowCount()):
        row = model.row(r)
        assert row["contact_time [s]"] == pytest.approx(expected[row["step"]])
        assert row["side"] == contact[row["step"]].side
        assert row["time_s"] == pytest.approx(contact[row["step"]].ic_s, abs=1e-3)
        text = model.data(model.index(r, i))
        assert float(text) == pytest.approx(expected[row["step"]], rel=1e-3)
    # the headline metrics the plugins declare come first, in pipeline order
    from gaitlab.gui.views.metrics_view import headline_names

    metrics = [c.metric for c in model.columns if c.metric]
    headline = [m for m in headline_names(window.metrics.tables) if m in metrics]
    assert {"contact_time", "flight_time", "braking_impulse"} <= set(headline)
    assert metrics[: len(headline)] == headline


def test_trial_table_shows_mean_and_sd_of_the_steps(qtbot, window, session, show_trial):
    show_trial(TREADMILL)
    model = window.metrics.trials_model
    assert model.rowCount() == 1
    values = np.array(
        list(
            stored_values(
                session, TREADMILL, "running_measures", "contact_time"
            ).values()
        )
    )
    i = column(model, "contact_time [s]")
    text = model.data(model.index(0, i))
    mean, sd = (float(part) for part in text.split(" ± "))
    assert mean == pytest.approx(values.mean(), rel=1e-3)
    assert sd == pytest.approx(values.std(ddof=1), rel=2e-3, abs=1e-7)
    assert f"n = {values.size}" in model.data(
        model.index(0, i), Qt.ItemDataRole.ToolTipRole
    )


def test_clicking_a_step_moves_the_cursor_to_its_initial_contact(
    qtbot, window, session, show_trial
):
    show_trial(TREADMILL)
    moves: list[float] = []
    session.cursor_moved.connect(moves.append)
    table = window.metrics.steps_table
    proxy = window.metrics.steps_proxy
    contacts = {c.step: c for c in session.current.contacts}
    row = 3  # the fourth step in the table
    step = window.metrics.steps_model.row(proxy.mapToSource(proxy.index(row, 0)).row())[
        "step"
    ]
    rect = table.visualRect(proxy.index(row, 1))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert moves == [pytest.approx(contacts[step].ic_s, abs=1e-3)]
    assert session.cursor_s == pytest.approx(contacts[step].ic_s, abs=1e-3)
    assert window.cursor_label.text() == f"t = {session.cursor_s:.3f} s"
    session.cursor_moved.disconnect(moves.append)


def test_clicking_a_step_of_another_trial_shows_that_trial_there(
    qtbot, window, session, show_trial
):
    show_trial(TREADMILL)
    window.metrics.set_whole_project(True)
    qtbot.waitUntil(lambda: not window.metrics.updating, timeout=10_000)
    model, proxy = window.metrics.steps_model, window.metrics.steps_proxy
    rows = [
        r for r in range(model.rowCount()) if model.row(r)["trial_id"] == OVERGROUND
    ]
    target = model.row(rows[1])
    index = proxy.mapFromSource(model.index(rows[1], 0))
    with qtbot.waitSignals([window.plots.drawn, window.body.drawn], timeout=15_000):
        window.metrics.steps_table.clicked.emit(index)
    qtbot.waitUntil(
        lambda: window.idle and session.current.trial_id == OVERGROUND, timeout=10_000
    )
    contacts = {c.step: c for c in session.current.contacts}
    assert session.cursor_s == pytest.approx(contacts[target["step"]].ic_s, abs=1e-3)
    assert (
        window.browser.tree.currentItem().data(0, Qt.ItemDataRole.UserRole)
        == OVERGROUND
    )


def test_filter_keeps_matching_metric_columns_and_sorting_is_numeric(
    qtbot, window, session, show_trial
):
    show_trial(TREADMILL)
    view = window.metrics
    view.filter_edit.setText("impulse")
    shown = view.visible_columns("steps")
    metric_columns = [
        c for c in view.steps_model.columns if c.key in shown and c.metric
    ]
    assert metric_columns
    assert all("impulse" in c.metric for c in metric_columns)
    assert {"step", "side", "time_s"} <= set(shown)
    view.filter_edit.setText("running_measures")  # a plugin name keeps all its metrics
    plugins = {
        c.plugin
        for c in view.steps_model.columns
        if c.metric and c.key in view.visible_columns()
    }
    assert plugins == {"running_measures"}
    view.filter_edit.setText("")

    table, proxy, model = view.steps_table, view.steps_proxy, view.steps_model
    i = proxy.mapFromSource(model.index(0, column(model, "contact_time [s]"))).column()
    table.sortByColumn(i, Qt.SortOrder.DescendingOrder)
    shown_values = [
        model.row(proxy.mapToSource(proxy.index(r, 0)).row())["contact_time [s]"]
        for r in range(proxy.rowCount())
    ]
    assert shown_values == sorted(shown_values, reverse=True)

    # hiding a plugin in the column chooser
    action = next(a for a in view.columns_menu.actions() if a.text() == "braking")
    action.setChecked(False)
    assert not any(
        c.plugin == "braking" for c in model.columns if c.key in view.visible_columns()
    )


def test_values_that_are_not_ok_are_highlighted_with_their_reason(
    qtbot, window, session, show_trial
):
    show_trial(OVERGROUND)
    model = window.metrics.steps_model
    flagged = [
        (m.step, m.name, m.unit, m.status, m.message)
        for result in session.project.load_results(OVERGROUND).values()
        for m in result.metrics
        if m.step is not None and m.status != "ok"
    ]
    assert flagged, "the demo overground trial has flagged values (e.g. no impact peak)"
    rows = {model.row(r)["step"]: r for r in range(model.rowCount())}
    for step, name, unit, status, _message in flagged:
        key = f"{name} [{unit}]" if unit else name
        index = model.index(rows[step], column(model, key))
        assert model.data(index, Qt.ItemDataRole.BackgroundRole) is not None
        assert status in model.data(index, Qt.ItemDataRole.ToolTipRole)
    ok_index = model.index(rows[1], column(model, "step"))
    assert model.data(ok_index, Qt.ItemDataRole.BackgroundRole) is None


def test_export_csv_and_xlsx_from_the_window(
    qtbot, window, session, tmp_path, monkeypatch, show_trial
):
    from gaitlab.pipeline.export import TIDY_COLUMNS

    show_trial(TREADMILL)
    target = tmp_path / "out" / "treadmill"
    target.parent.mkdir()
    monkeypatch.setattr(
        QFileDialog,
        "getSaveFileName",
        lambda *args, **kwargs: (str(target), "Tidy CSV, one row per value (*.csv)"),
    )
    with qtbot.waitSignal(window.metrics.exported, timeout=30_000) as exported:
        window.metrics.export_csv_button.click()
    csv_path = target.with_suffix(".csv")
    assert exported.args[0] == [
        csv_path,
        csv_path.with_name("treadmill.csv.provenance.json"),
    ]
    with csv_path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(TIDY_COLUMNS)
    assert {r["trial_id"] for r in rows} == {TREADMILL}  # the trial shown
    stored = stored_values(session, TREADMILL, "running_measures", "contact_time")
    exported_values = {
        int(r["step"]): float(r["value"])
        for r in rows
        if r["metric"] == "contact_time" and r["statistic"] == "value"
    }
    assert exported_values == pytest.approx(stored)

    # File ▸ Export metrics… writes the whole project (wide CSV: steps and trials)
    wide = tmp_path / "out" / "all.csv"
    monkeypatch.setattr(
        QFileDialog,
        "getSaveFileName",
        lambda *args, **kwargs: (
            str(wide),
            "Wide CSV, steps and trials tables (*.csv)",
        ),
    )
    with qtbot.waitSignal(window.metrics.exported, timeout=30_000) as exported:
        window.actions_["export"].trigger()
    assert [p.name for p in exported.args[0]] == [
        "all_steps.csv",
        "all_trials.csv",
        "all_provenance.json",
    ]
    with (tmp_path / "out" / "all_trials.csv").open(encoding="utf-8") as handle:
        trial_rows = list(csv.DictReader(handle))
    assert sorted(r["trial_id"] for r in trial_rows) == sorted(
        t for t in session.project.trial_ids if session.project.load_results(t)
    )

    # XLSX: one workbook with the steps, trials and tidy sheets
    from openpyxl import load_workbook

    xlsx = tmp_path / "out" / "treadmill.xlsx"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(xlsx), "")
    )
    with qtbot.waitSignal(window.metrics.exported, timeout=30_000):
        window.metrics.export_xlsx_button.click()
    book = load_workbook(xlsx, read_only=True)
    assert {"steps", "trials", "tidy"} <= set(book.sheetnames)
    steps = list(book["steps"].iter_rows(min_row=2, values_only=True))
    assert len(steps) == len(stored)
    book.close()


def test_categorical_metrics_show_labels_and_counts_per_category(
    qtbot, window, session, show_trial
):
    """Before: the steps table had empty foot-strike class cells and the trials
    table "–" (the export's per-category ``count`` rows were not read)."""
    show_trial(OVERGROUND)
    categories = (
        session.plugins.specs["foot_strike"].metric("foot_strike_class_fsa").categories
    )
    labels = dict(categories)
    stored = stored_values(session, OVERGROUND, "foot_strike", "foot_strike_class_fsa")
    assert stored
    steps = window.metrics.steps_model
    i = column(steps, "foot_strike_class_fsa")
    assert steps.headerData(i, Qt.Orientation.Horizontal) == "foot_strike_class_fsa"
    for r in range(steps.rowCount()):
        code = stored[steps.row(r)["step"]]
        expected = labels[code] if np.isfinite(code) else ""
        assert steps.data(steps.index(r, i)) == expected
    trials = window.metrics.trials_model
    j = column(trials, "foot_strike_class_fsa")
    counts = Counter(labels[v] for v in stored.values() if np.isfinite(v))
    expected = " · ".join(
        f"{label} {counts[label]}" for _code, label in categories if counts[label]
    )
    assert trials.data(trials.index(0, j)) == expected
    assert f"n = {sum(counts.values())} steps" in trials.data(
        trials.index(0, j), Qt.ItemDataRole.ToolTipRole
    )


def tidy_row(**values):
    row = dict.fromkeys(TIDY_COLUMNS, "")
    row.update({"trial_id": "t1", "plugin": "foot_strike", "statistic": "value"})
    row.update(values)
    return row


def test_counts_per_category_in_declaration_order():
    codes = [1, 2, 2, 1, 2, 1, 2, 2]  # rearfoot 3, midfoot 5, forefoot 0
    labels = {1: "rearfoot", 2: "midfoot", 3: "forefoot"}
    tidy = [
        tidy_row(
            metric="fsc",
            step=k + 1,
            side="Left",
            value=float(code),
            unit="1",
            status="ok",
            category=labels[code],
        )
        for k, code in enumerate(codes)
    ]
    tidy += [
        tidy_row(
            metric="fsc",
            side="",
            value=n,
            statistic="count",
            category=label,
            status="ok",
        )
        for label, n in (("rearfoot", 3), ("midfoot", 5), ("forefoot", 0))
    ]
    tidy.append(tidy_row(metric="fsc", side="", value=8, statistic="n", status="ok"))
    steps = [
        {
            "trial_id": "t1",
            "step": k + 1,
            "side": "Left",
            "time_s": 0.5 * k,
            "fsc": labels[code],
            "flags": "",
        }
        for k, code in enumerate(codes)
    ]
    tables = MetricTables(tidy, [], steps, [], [], {})
    trials = MetricsModel()
    trials.set_data(trials_model_data(tables))
    j = column(trials, "fsc")
    assert trials.data(trials.index(0, j)) == "rearfoot 3 · midfoot 5"
    assert trials.data(trials.index(0, j), Qt.ItemDataRole.ToolTipRole) == (
        "rearfoot 3, midfoot 5, forefoot 0 of n = 8 steps"
    )
    model = MetricsModel()
    model.set_data(steps_model_data(tables, with_identity=False))
    i = column(model, "fsc")
    assert [model.data(model.index(r, i)) for r in range(8)] == [
        labels[c] for c in codes
    ]
