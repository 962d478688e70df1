"""File ▸ Export report: the runner report written off the GUI thread, with progress."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMenu

from gaitlab.gui.views.report_dialog import ReportDialog

pytest.importorskip("matplotlib")


class _Headings(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.h2: list[str] = []
        self._in_h2 = False

    def handle_starttag(self, tag, attrs) -> None:
        self._in_h2 = tag == "h2"

    def handle_endtag(self, tag) -> None:
        self._in_h2 = False

    def handle_data(self, data) -> None:
        if self._in_h2:
            self.h2.append(data)


def test_the_menu_writes_the_report_with_its_progress(qtbot, window, tmp_path: Path):
    action = window.actions_["export_report"]
    assert action.isEnabled()
    assert action.text() == "Export &report…"
    assert "self-contained HTML" in action.toolTip()
    (file_menu,) = [
        m for m in action.associatedObjects() if isinstance(m, QMenu)
    ]  # in the File menu, right after Export trial
    file_actions = file_menu.actions()
    assert (
        file_actions[file_actions.index(action) - 1] is window.actions_["export_trial"]
    )
    window.actions_["export_report"].trigger()
    dialogs = [d for d in window.findChildren(ReportDialog) if d.isVisible()]
    (dialog,) = dialogs
    subjects = [dialog.subject.itemData(i) for i in range(dialog.subject.count())]
    assert subjects == [None, *sorted(window.session.project.subjects)]
    dialog.output.setText(str(tmp_path / "out" / "runner"))  # .html is added
    with qtbot.waitSignal(dialog.written, timeout=60_000) as blocker:
        dialog.export()
    path = Path(blocker.args[0])
    assert path == tmp_path / "out" / "runner.html"
    text = path.read_text(encoding="utf-8")
    assert "<h2>Runner" in text
    parser = _Headings()
    parser.feed(text)
    parser.close()
    assert any(h.startswith("Runner ") for h in parser.h2)
    assert dialog.progress.maximum() >= 1
    assert dialog.progress.value() == dialog.progress.maximum()
    assert dialog.open_button.isEnabled()
    assert str(path) in dialog.result_label.text()


def test_a_report_that_cannot_be_written_says_why_and_can_be_retried(
    qtbot, window, tmp_path: Path
):
    dialog = window.show_report_dialog()
    blocker_file = tmp_path / "a file"
    blocker_file.write_text("not a folder")
    dialog.output.setText(str(blocker_file / "report.html"))
    with qtbot.waitSignal(dialog.failed, timeout=60_000):
        dialog.export()
    qtbot.waitUntil(lambda: dialog.job is None, timeout=10_000)
    assert "not written" in dialog.result_label.text()
    assert dialog.export_button.isEnabled()
    dialog.output.setText(str(tmp_path / "ok.html"))
    with qtbot.waitSignal(dialog.written, timeout=60_000):
        dialog.export()
    assert (tmp_path / "ok.html").is_file()


def test_one_runner_is_preselected(window):
    subject = sorted(window.session.project.subjects)[0]
    dialog = window.show_report_dialog(subject)
    assert dialog.subject.currentData() == subject


def test_no_project_no_report(qtbot):
    from gaitlab.gui.main_window import MainWindow
    from gaitlab.gui.settings import UserSettings
    from gaitlab.session import Session
    from tests.gui.conftest import dispose

    win = MainWindow(Session(), UserSettings(), persist_settings=False)
    try:
        assert not win.actions_["export_report"].isEnabled()
        assert win.show_report_dialog() is None
    finally:
        dispose(win)


@pytest.fixture
def unanalysed_window(qtbot, demo_files: list[Path], tmp_path: Path):
    """The main window on a project of the demo trials, no analysis run."""
    from gaitlab.gui.main_window import MainWindow
    from gaitlab.gui.settings import UserSettings
    from gaitlab.session import Session
    from gaitlab.store.project import create_project
    from tests.gui.conftest import dispose

    folder = tmp_path / "raw.gaitlab"
    project = create_project(folder)
    list(project.import_files(demo_files[:1], subject="raw01", condition="x"))
    session = Session()
    session.open(folder)
    win = MainWindow(session, UserSettings(), persist_settings=False)
    win.show()
    qtbot.waitUntil(lambda: win.idle, timeout=10_000)
    yield win
    qtbot.waitUntil(lambda: win.idle, timeout=10_000)
    dispose(win)


def test_a_project_without_results_says_so(qtbot, unanalysed_window, tmp_path: Path):
    dialog = unanalysed_window.show_report_dialog()
    assert [dialog.subject.itemData(i) for i in range(dialog.subject.count())] == [
        None,
        "raw01",
    ]
    dialog.output.setText(str(tmp_path / "report.html"))
    with qtbot.waitSignal(dialog.failed, timeout=60_000) as blocker:
        dialog.export()
    assert "no trial has results" in blocker.args[0]
    assert not blocker.args[0].startswith("GaitlabError")  # the error's own text
    assert "no trial has results" in dialog.result_label.text()
    assert dialog.export_button.isEnabled()
    assert not dialog.open_button.isEnabled()
    assert not (tmp_path / "report.html").exists()
    with qtbot.waitSignal(dialog.failed, timeout=60_000):  # and again
        dialog.export()
    assert dialog.job is None


def test_cancel_stops_the_report_and_the_dialog_stays_usable(
    qtbot, window, tmp_path: Path, monkeypatch
):
    import threading

    import gaitlab.report.html

    go_on = threading.Event()

    def slow_report(project, path, *, subject=None, progress=None):
        progress(1, 3, "slip01 / first")
        go_on.wait(30)
        progress(2, 3, "slip01 / second")  # raises: cancelled
        raise AssertionError("not cancelled")

    monkeypatch.setattr(gaitlab.report.html, "write_report", slow_report)
    dialog = window.show_report_dialog()
    dialog.output.setText(str(tmp_path / "report.html"))
    dialog.export()
    assert not dialog.export_button.isEnabled()
    assert dialog.close_button.text() == "Cancel"
    qtbot.waitUntil(lambda: dialog.progress.value() == 1, timeout=60_000)
    assert dialog.progress.maximum() == 3
    assert "slip01 / first" in dialog.progress.text()
    with qtbot.waitSignal(dialog.failed, timeout=60_000) as blocker:
        dialog.close_button.click()  # Cancel: the dialog stays open
        go_on.set()
    assert blocker.args[0] == "cancelled"
    assert dialog.isVisible()
    assert dialog.export_button.isEnabled()
    assert dialog.close_button.text() == "Close"
    assert "cancelled" in dialog.result_label.text()


def test_no_report_while_a_task_runs(window, tmp_path: Path):
    dialog = window.show_report_dialog()
    dialog.output.setText(str(tmp_path / "report.html"))
    window.session.set_busy(True)
    try:
        dialog.export()
        assert dialog.job is None
        assert "task is running" in dialog.result_label.text()
    finally:
        window.session.set_busy(False)
