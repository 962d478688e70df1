"""Pipeline panel (forms, apply, run with cancel, report) and plugins dialog."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import ClassVar

import pytest
from PySide6.QtCore import QTimer

from gaitlab.pipeline.discovery import discover

TREADMILL = "demo_treadmill_run"

MYLAB_PLUGIN = '''
"""Test plugins: one of each parameter kind; one that skips; one that fails."""
from typing import Annotated, Literal

from gaitlab.api import MetricSpec, Param, Result, Skip, plugin


@plugin(name="mylab_kinds", version="1.2.3", title="All kinds", category="My lab",
        metrics=(MetricSpec("answer", "N", "always 42", per_step=False),))
def kinds(
    trial, ctx, *,
    force_n: Annotated[float, Param(min=5, max=200, unit="N", doc="Threshold")] = 20.0,
    passes: Annotated[int, Param(min=1, max=4, doc="Filter passes")] = 2,
    mode: Literal["fast", "exact"] = "exact",
    strict: bool = True,
    note: str = "none",
) -> Result:
    """Declares every kind of parameter."""
    result = Result()
    result.add_metric("answer", 42.0)
    return result


@plugin(name="mylab_skips", version="1.0.0", category="My lab")
def skips(trial, ctx) -> Result:
    """Never applicable."""
    raise Skip("this lab's treadmill has no belt-speed channel")


@plugin(name="mylab_fails", version="1.0.0", category="My lab")
def fails(trial, ctx) -> Result:
    """Always broken."""
    raise ZeroDivisionError("a bug in the lab's plugin")
'''


@pytest.fixture
def window(window):
    window.run_workers = 1  # trials in this process, one after the other
    return window


@pytest.fixture
def mylab(plugin_folder: Path) -> Path:
    from gaitlab.pipeline.discovery import refresh

    (plugin_folder / "mylab.py").write_text(textwrap.dedent(MYLAB_PLUGIN))
    report = refresh()
    assert "mylab_kinds" in report.specs, report.failures
    return plugin_folder


def test_forms_are_generated_from_the_declarations(
    delete_widgets, qtbot, session, mylab
):
    from gaitlab.gui.views.pipeline_panel import PipelinePanel

    panel = PipelinePanel(session)
    delete_widgets(panel)
    group = panel.root.child("mylab_kinds")
    assert "All kinds" in group.title()
    assert "1.2.3" in group.title()
    force = group.child("force_n")
    assert force.type() == "float"
    assert force.opts["limits"] == (5, 200)
    assert force.opts["suffix"].strip() == "N"
    assert force.value() == 20.0
    assert "Threshold" in force.opts["tip"]
    passes = group.child("passes")
    assert passes.type() == "int"
    assert passes.opts["limits"] == (1, 4)
    mode = group.child("mode")
    assert mode.type() == "list"
    assert list(mode.opts["limits"]) == ["fast", "exact"]
    assert mode.value() == "exact"
    assert group.child("strict").type() == "bool"
    assert group.child("strict").value() is True
    assert group.child("note").type() == "str"
    assert group.child("note").value() == "none"
    # a plugin not in the project's pipeline is listed, not enabled
    assert panel.value("mylab_kinds", "__enabled__") is False
    # every built-in plugin with every declared parameter, in pipeline order
    report = discover()
    plan = session.pipeline.plan(report)
    shown = [g.name() for g in panel.root.children()]
    assert shown[: len(plan.names)] == list(plan.names)
    for name in plan.names:
        for param in report.specs[name].params:
            assert panel.value(name, param.name) == param.default


def test_apply_saves_the_pipeline_and_makes_results_stale(qtbot, window, session):
    panel = window.pipeline_panel
    assert not panel.dirty
    assert not panel.apply_button.isEnabled()
    assert session.status(TREADMILL) == "fresh"
    panel.set_value("lean", "marker_cutoff_hz", 10.0)
    assert panel.dirty
    assert panel.apply_button.isEnabled()
    assert session.pipeline.step("lean").params == {}  # not saved yet
    with qtbot.waitSignal(panel.applied):
        panel.apply_button.click()
    saved = session.pipeline.step("lean")
    assert saved.params == {"marker_cutoff_hz": 10.0}
    assert not panel.dirty
    assert session.status(TREADMILL) == "stale"
    qtbot.waitUntil(
        lambda: window.browser.status_of(TREADMILL) == "stale", timeout=10_000
    )
    # the saved value is what a new panel shows
    panel.rebuild()
    assert panel.value("lean", "marker_cutoff_hz") == 10.0


def test_apply_refuses_a_pipeline_that_cannot_run(window, session):
    panel = window.pipeline_panel
    before = session.project.settings.get("pipeline")
    panel.set_value("gait_events", "__enabled__", False)  # everything else needs it
    assert not panel.apply()
    assert panel.message.isVisibleTo(panel)
    assert "gait_events" in panel.message.text()
    assert session.project.settings.get("pipeline") == before


def test_running_in_the_background_can_be_cancelled_between_trials(
    qtbot, window, session
):
    project = session.project
    moving = [t for t in project.trial_ids if not project.is_static(t)]
    assert len(moving) >= 2
    for trial_id in moving:  # start from trials without results
        project.results_path(trial_id).unlink()
    window.browser.refresh_statuses()
    qtbot.waitUntil(
        lambda: all(window.browser.status_of(t) == "not run" for t in moving),
        timeout=10_000,
    )
    analysed: list[str] = []
    ticks: list[int] = []

    def on_event(event):
        if event.kind == "trial":
            analysed.append(event.trial_id)
            window.cancel_task()  # as the Cancel button does, after the first trial

    timer = QTimer(interval=5)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    task = window.run_pipeline("project")
    assert task is not None
    assert session.busy
    assert window.task_cancel.isVisibleTo(window)
    assert window.task_cancel.isEnabled()
    assert not window.pipeline_panel.run_buttons["project"].isEnabled()
    task.event_applied.connect(on_event)
    with qtbot.waitSignal(task.finished, timeout=120_000) as finished:
        pass
    timer.stop()
    assert finished.args == [True]
    assert ticks, "the event loop ran during the run"
    assert len(analysed) == 1 < len(moving)
    panel = window.pipeline_panel
    assert panel.summary.text().startswith(f"Cancelled after 1 of {len(moving)} trials")
    assert not session.busy
    assert panel.run_buttons["project"].isEnabled()
    # the analysed trial has its results, the others still have none, and the
    # trial browser says so
    for trial_id in moving:
        assert bool(project.load_results(trial_id)) == (trial_id in analysed)
    qtbot.waitUntil(lambda: not window.browser.updating, timeout=10_000)
    assert {t: window.browser.status_of(t) for t in moving} == {
        t: "fresh" if t in analysed else "not run" for t in moving
    }
    # the project is not left locked: the stale-only run completes
    task = window.run_pipeline("stale")
    with qtbot.waitSignal(task.finished, timeout=120_000) as finished:
        pass
    assert finished.args == [False]


def test_run_report_lists_skipped_and_failed_results_with_reasons(
    qtbot, mylab, window, session
):
    # mylab before window: the plugin folder is removed (and discovery
    # refreshed) only after the window has finished its background reads
    panel = window.pipeline_panel
    panel.rebuild()
    for name in ("mylab_skips", "mylab_fails"):
        panel.set_value(name, "__enabled__", True)
    window.browser.select_trial(TREADMILL)
    with qtbot.waitSignal(panel.applied):
        task_started = []
        window.pipeline_panel.run_requested.connect(
            lambda scope: task_started.append(scope)
        )
        panel.run_buttons["selected"].click()  # applies the changed form first
    assert task_started == ["selected"]
    task = window.task
    with qtbot.waitSignal(task.finished, timeout=120_000):
        pass
    problems = {(t, p): (s, r) for t, p, s, r in panel.problems()}
    assert problems[(TREADMILL, "mylab_skips")] == (
        "skipped",
        "this lab's treadmill has no belt-speed channel",
    )
    status, reason = problems[(TREADMILL, "mylab_fails")]
    assert status == "failed"
    assert "a bug in the lab's plugin" in reason
    assert all(trial == TREADMILL for trial, _ in problems)
    # other plugins of the default pipeline may skip this trial too
    skipped = sum(1 for status, _reason in problems.values() if status == "skipped")
    assert f"{skipped} skipped, 1 failed" in panel.summary.text()
    qtbot.waitUntil(
        lambda: window.browser.status_of(TREADMILL) == "failed", timeout=10_000
    )


BROKEN = "import numpy\nraise RuntimeError('the lab plugin is half written')\n"


def test_plugins_dialog_lists_a_broken_user_plugin_and_reloads(
    qtbot, plugin_folder, window
):
    # plugin_folder before window: see the run report test
    (plugin_folder / "halfwritten.py").write_text(BROKEN)
    from gaitlab.pipeline.discovery import refresh

    refresh()
    dialog = window.show_plugins_dialog()
    names = [dialog.plugins.item(r, 0).text() for r in range(dialog.plugins.rowCount())]
    assert set(discover().specs) == set(names)
    assert dialog.failures.rowCount() == 1
    source, error = (dialog.failures.item(0, c).text() for c in range(2))
    assert "halfwritten.py" in source
    assert "the lab plugin is half written" in error
    assert not dialog.traceback.isVisibleTo(dialog)
    dialog.traceback_button.click()
    assert dialog.traceback.isVisibleTo(dialog)
    assert "Traceback" in dialog.traceback.toPlainText()
    assert "RuntimeError" in dialog.traceback.toPlainText()

    # a second broken file and a working one appear after "Reload user plugins"
    (plugin_folder / "another.py").write_text("syntax error here\n")
    (plugin_folder / "mylab.py").write_text(textwrap.dedent(MYLAB_PLUGIN))
    with qtbot.waitSignal(dialog.reloaded, timeout=30_000):
        dialog.reload_button.click()
    sources = [
        dialog.failures.item(r, 0).text() for r in range(dialog.failures.rowCount())
    ]
    assert sorted(Path(s.split(":", 1)[1].split("@")[0]).name for s in sources) == [
        "another.py",
        "halfwritten.py",
    ]
    rows = {
        dialog.plugins.item(r, 0).text(): r for r in range(dialog.plugins.rowCount())
    }
    assert dialog.plugins.item(rows["mylab_kinds"], 2).text() == "1.2.3"
    assert dialog.plugins.item(rows["mylab_kinds"], 4).text().startswith("user file")
    # the pipeline panel offers the new plugins
    assert "mylab_kinds" in [g.name() for g in window.pipeline_panel.root.children()]
    # no reload while a task runs (its worker uses the plugins)
    window.session.set_busy(True)
    try:
        assert not dialog.reload()
        assert "running task" in dialog.reload_status.text()
    finally:
        window.session.set_busy(False)
    dialog.close()


def test_the_analysis_menu_runs_what_the_panel_shows(qtbot, window, session):
    panel = window.pipeline_panel
    panel.set_value("lean", "midstance", "com_over_cop")
    window.browser.select_trial(TREADMILL)
    window.actions_["run_selected"].trigger()
    assert session.pipeline.step("lean").params == {"midstance": "com_over_cop"}
    with qtbot.waitSignal(window.task.finished, timeout=120_000):
        pass
    stored = session.project.load_results(TREADMILL)["lean"].provenance.parameters
    assert stored["midstance"] == "com_over_cop"
    assert not panel.dirty


class FakeDesktop:
    """Records the URLs the app asks the desktop to open (none is opened)."""

    opened: ClassVar[list[str]] = []

    @classmethod
    def openUrl(cls, url) -> bool:  # noqa: N802 (Qt API)
        cls.opened.append(url.toLocalFile())
        return True


def test_the_plugin_guide_is_opened_from_the_checkout(
    qtbot, delete_widgets, monkeypatch
):
    from PySide6.QtWidgets import QMessageBox, QWidget

    from gaitlab.gui.views import plugins_dialog

    monkeypatch.setattr(plugins_dialog, "QDesktopServices", FakeDesktop)
    monkeypatch.setattr(FakeDesktop, "opened", [])
    parent = delete_widgets(QWidget())
    assert plugins_dialog.plugin_guide_path().is_file()  # this source checkout
    assert plugins_dialog.open_plugin_guide(parent)
    assert FakeDesktop.opened == [str(plugins_dialog.plugin_guide_path())]
    assert not parent.findChildren(QMessageBox)


def test_without_the_plugin_guide_a_message_says_where_it_is(
    qtbot, delete_widgets, monkeypatch, tmp_path
):
    """An installed wheel has no docs/plugins.md: the message names where the guide
    is and offers the built-in plugins (shipped in the wheel) as examples."""
    from PySide6.QtWidgets import QMessageBox, QWidget

    from gaitlab._builtin import builtin_folder
    from gaitlab.gui.views import plugins_dialog

    missing = tmp_path / "site-packages" / "docs" / "plugins.md"
    monkeypatch.setattr(plugins_dialog, "plugin_guide_path", lambda: missing)
    monkeypatch.setattr(plugins_dialog, "QDesktopServices", FakeDesktop)
    monkeypatch.setattr(FakeDesktop, "opened", [])
    parent = delete_widgets(QWidget())
    assert not plugins_dialog.open_plugin_guide(parent)
    assert FakeDesktop.opened == []
    (box,) = parent.findChildren(QMessageBox)
    assert f"this installation does not include it (no {missing})" in box.text()
    assert "docs/plugins.md in the gaitlab source" in box.text()
    examples = builtin_folder("plugins")
    assert str(examples) in box.informativeText()
    assert "gaitlab plugins show NAME" in box.informativeText()
    (button,) = [b for b in box.buttons() if b.text() == "Open built-in plugins folder"]
    button.click()
    assert FakeDesktop.opened == [str(examples)]


def test_a_deleted_panel_leaves_no_wrapper_of_qts_own_tree_items(qtbot, session):
    """Qt deletes a tree's invisible root item without telling Python: a wrapper
    kept of it stayed registered at the freed address, and a later Qt object made
    there came back as a QTreeWidgetItem (a SpinBox's line edit, in a CI run)."""
    import gc

    import shiboken6
    from PySide6.QtWidgets import QTreeWidgetItem

    from gaitlab.gui.views.pipeline_panel import PipelinePanel
    from tests.gui.conftest import dispose

    panel = PipelinePanel(session)
    panel.show()
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() > 0, timeout=10_000)
    root = panel.tree.invisibleRootItem()
    assert root.childCount() == panel.tree.topLevelItemCount()
    del root
    collecting = gc.isenabled()
    gc.disable()  # what is left in cycles is not freed before the check
    try:
        dispose(panel)
        kept = [
            o for o in shiboken6.getAllValidWrappers() if type(o) is QTreeWidgetItem
        ]
    finally:
        if collecting:
            gc.enable()
    assert kept == []
