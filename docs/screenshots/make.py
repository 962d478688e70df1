"""Make the README's screenshots of the desktop app, on the bundled demo trials.

Run on a display, or on a virtual one::

    xvfb-run -a -s "-screen 0 1600x1200x24" .venv/bin/python docs/screenshots/make.py

It builds the demo project (``gaitlab demo``'s, in the temp folder), then
saves ``main_window.png`` (the trial bending at the waist, cursor in a
stance), ``pipeline_panel.png`` (the same window with the pipeline panel in
front), ``import_dialog.png`` (two demo trials and two broken files
imported into a new project) and ``subject_editor.png`` next to this script.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from PySide6.QtCore import QTimer

from gaitlab.cli.cmd_demo import build_demo_project, demo_files
from gaitlab.gui.app import ScreenshotTaker, application
from gaitlab.gui.main_window import MainWindow
from gaitlab.gui.settings import UserSettings
from gaitlab.gui.tasks import wait_for_workers
from gaitlab.session import Session

HERE = Path(__file__).resolve().parent
SIZE = (1600, 1000)
TRIAL, CURSOR_S = "demo_treadmill_bend_waist", 1.55


def window_shot(project: Path, out: Path, *, dock: str | None = None) -> None:
    """The main window on ``TRIAL`` at ``CURSOR_S``, with ``dock`` in front."""
    app = application()
    window = MainWindow(Session(), UserSettings(), persist_settings=False)
    window.resize(*SIZE)
    window.show()
    if not window.open_project(project):
        raise SystemExit(f"could not open {project}")
    if dock is not None:
        getattr(window, dock).raise_()
    taker = ScreenshotTaker(window, out, TRIAL, 60.0, CURSOR_S)
    QTimer.singleShot(0, taker.start)
    app.exec()
    if taker.status:
        raise SystemExit(taker.message)
    print(taker.message)


def import_dialog_shot(out: Path) -> None:
    """The import dialog after two good and two broken files."""
    app = application()
    work = Path(tempfile.mkdtemp(prefix="gaitlab-shots-"))
    captures = work / "captures"
    captures.mkdir()
    for path in demo_files():
        if path.stem in ("demo_treadmill_run", "demo_treadmill_lean_ankles"):
            shutil.copy(path, captures / path.name)
    (captures / "warmup_empty.c3d").write_bytes(b"")
    (captures / "notes.c3d").write_bytes(b"not a C3D file, just notes\n" * 15)
    session = Session()
    session.create(work / "study.gaitlab")
    window = MainWindow(session, UserSettings(), persist_settings=False)
    window.show()
    dialog = window.import_paths([captures])
    assert dialog is not None
    dialog.resize(900, 420)

    def start_when_counted() -> None:
        if dialog.files is None:
            QTimer.singleShot(50, start_when_counted)
            return
        dialog.subject.setEditText("runner07")
        dialog.condition.setEditText("shod")
        dialog.start()

    def save(_cancelled: bool) -> None:
        QTimer.singleShot(200, lambda: (dialog.grab().save(str(out)), app.quit()))

    dialog.import_finished.connect(save)
    QTimer.singleShot(0, start_when_counted)
    app.exec()
    window.close()
    shutil.rmtree(work, ignore_errors=True)
    print(f"saved the import dialog to {out}")


def subject_editor_shot(project: Path, out: Path) -> None:
    """The subject editor on the demo runner."""
    app = application()
    window = MainWindow(Session(), UserSettings(), persist_settings=False)
    window.show()
    if not window.open_project(project):
        raise SystemExit(f"could not open {project}")
    dialog = window.show_subject_editor("slip01")

    def save() -> None:
        if not window.idle:  # trial states still being read
            QTimer.singleShot(50, save)
            return
        dialog.grab().save(str(out))
        app.quit()

    QTimer.singleShot(200, save)
    app.exec()
    window.close()
    print(f"saved the subject editor to {out}")


def main() -> None:
    project = build_demo_project(verbose=True)
    window_shot(project, HERE / "main_window.png")
    window_shot(project, HERE / "pipeline_panel.png", dock="pipeline_dock")
    import_dialog_shot(HERE / "import_dialog.png")
    subject_editor_shot(project, HERE / "subject_editor.png")
    wait_for_workers()  # no HDF5 read left running while Python exits


if __name__ == "__main__":
    main()
