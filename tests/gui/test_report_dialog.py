"""File ▸ Export report: the runner report written off the GUI thread, with progress."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

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
    assert window.actions_["export_report"].isEnabled()
    window.actions_["export_report"].trigger()
    dialogs = [d for d in window.findChildren(ReportDialog) if d.isVisible()]
    (dialog,) = dialogs
    subjects = [dialog.subject.itemData(i) for i in range(dialog.subject.count())]
    assert subjects == [None, *sorted(window.session.project.subjects)]
    dialog.output.setText(str(tmp_path / "out" / "runner"))  # .html is added
    with qtbot.waitSignal(dialog.written, timeout=120_000) as blocker:
        dialog.export()
    path = Path(blocker.args[0])
    assert path == tmp_path / "out" / "runner.html"
    parser = _Headings()
    parser.feed(path.read_text(encoding="utf-8"))
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
    with qtbot.waitSignal(dialog.failed, timeout=120_000):
        dialog.export()
    qtbot.waitUntil(lambda: dialog.job is None, timeout=10_000)
    assert "not written" in dialog.result_label.text()
    assert dialog.export_button.isEnabled()
    dialog.output.setText(str(tmp_path / "ok.html"))
    with qtbot.waitSignal(dialog.written, timeout=120_000):
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
