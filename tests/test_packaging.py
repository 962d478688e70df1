"""Packaging: what a wheel and the desktop bundle carry and how they find it.

The wheel and bundle builds themselves are checked by
installer/clean-install-check.sh and installer/smoke.sh (in .ci/run); these
tests cover the pieces those rely on, in the checkout.
"""

from __future__ import annotations

import json
import os
import runpy
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import gaitlab._builtin as builtin
import gaitlab._version as version
from gaitlab.cli import cmd_demo
from gaitlab.cli.main import main
from gaitlab.pipeline import discovery
from gaitlab.pipeline.config import PipelineConfig, PipelineStep
from gaitlab.pipeline.spec import PluginError
from gaitlab.synth.demo import DEMO_DRILLS, DEMO_STATIC, DEMO_TRIALS

ROOT = Path(__file__).resolve().parents[1]
INSTALLER = ROOT / "installer"


@pytest.fixture
def no_builtins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Discovery as in an installation whose built-in plugin folder is missing."""
    missing = tmp_path / "site-packages" / "gaitlab" / "_builtin" / "plugins"
    monkeypatch.setattr(discovery, "builtin_plugin_folder", lambda: missing)
    discovery.refresh()
    yield missing
    monkeypatch.undo()
    discovery.refresh()


# ---- where the built-in plugins and demo data are found


def test_checkout_finds_the_top_level_plugins_and_data() -> None:
    assert builtin.builtin_folder("plugins") == ROOT / "plugins"
    assert builtin.builtin_folder("data") == ROOT / "data"
    assert discovery.builtin_plugin_folder() == ROOT / "plugins"
    assert cmd_demo.DATA_DIR == ROOT / "data"
    assert sorted(p.name for p in cmd_demo.demo_files()) == sorted(
        [*DEMO_TRIALS, *DEMO_STATIC, *DEMO_DRILLS]
    )


def test_installed_package_finds_its_own_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "site-packages" / "gaitlab" / "_builtin"
    (package / "plugins").mkdir(parents=True)
    monkeypatch.setattr(builtin, "_HERE", package)
    assert builtin.builtin_folder("plugins") == package / "plugins"
    # no shipped data and no checkout around it: the expected place, missing
    assert builtin.builtin_folder("data") == package / "data"
    with pytest.raises(ValueError, match="no built-in folder 'docs'"):
        builtin.builtin_folder("docs")


def test_wheel_maps_the_builtin_folders_into_the_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    build = config["tool"]["hatch"]["build"]
    assert build["hooks"]["custom"]["path"] == "installer/hatch_build.py"
    hook = runpy.run_path(str(INSTALLER / "hatch_build.py"))
    assert hook["BUILTIN_FOLDERS"] == {
        name: f"gaitlab/_builtin/{name}" for name in builtin.BUILTIN_FOLDERS
    }
    for needed in ("gaitlab", *builtin.BUILTIN_FOLDERS, "installer", "tests"):
        assert needed in build["targets"]["sdist"]["only-include"]


# ---- a missing built-in folder is a load failure, never an empty list


def test_missing_builtin_folder_is_a_builtin_load_failure(no_builtins: Path) -> None:
    report = discovery.discover()
    assert not report.specs
    [failure] = report.failures
    assert failure.builtin
    assert str(no_builtins) in failure.source
    assert "no built-in plugins" in failure.error
    assert "incomplete" in failure.error


def test_plugins_list_reports_the_missing_folder(
    no_builtins: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plugins", "list"]) == 1
    out = capsys.readouterr().out
    assert f"FAILED  builtin:{no_builtins}: " in out
    assert "no built-in plugins" in out


def test_run_names_the_load_failure(no_builtins: Path) -> None:
    config = PipelineConfig([PipelineStep("gait_events", {})])
    with pytest.raises(PluginError, match=r"load failures: builtin:.*no built-in"):
        config.plan(discovery.discover())


def test_plugins_dialog_lists_the_missing_folder(no_builtins: Path, qtbot) -> None:
    from gaitlab.gui.views.plugins_dialog import PluginsDialog

    dialog = PluginsDialog()
    qtbot.addWidget(dialog)
    assert dialog.plugins.rowCount() == 0
    assert dialog.failures.rowCount() == 1
    assert "no built-in plugins" in dialog.failures.item(0, 1).text()


# ---- version and commit


@pytest.fixture
def fresh_build_info():
    version.build_info.cache_clear()
    yield
    version.build_info.cache_clear()


def _git_head() -> str:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    return subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_version_names_the_checkout_commit(
    fresh_build_info: None, capsys: pytest.CaptureFixture[str]
) -> None:
    head = _git_head()
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"gaitlab {version.__version__} (commit {head[:12]}")


def test_baked_in_commit_wins_and_unknown_is_the_fallback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_build_info: None
) -> None:
    package = tmp_path / "gaitlab"
    package.mkdir()
    monkeypatch.setattr(version, "_PACKAGE", package)
    assert version.version_text() == f"gaitlab {version.__version__} (commit unknown)"
    version.build_info.cache_clear()
    (package / version.BUILD_INFO_FILE).write_text(
        json.dumps({"commit": "0123456789abcdef0123", "modified": True})
    )
    assert version.version_text() == (
        f"gaitlab {version.__version__} (commit 0123456789ab, modified)"
    )
    version.build_info.cache_clear()
    (package / version.BUILD_INFO_FILE).write_text("{not json")
    assert "(commit unknown)" in version.version_text()


def test_build_hook_writes_the_checkout_commit(tmp_path: Path) -> None:
    head = _git_head()
    out = tmp_path / "_build_info.json"
    subprocess.run(
        [sys.executable, str(INSTALLER / "hatch_build.py"), str(out)],
        check=True,
        capture_output=True,
    )
    info = json.loads(out.read_text())
    assert info["commit"] == head
    assert isinstance(info["modified"], bool)


# ---- the desktop bundle's pieces


def test_frozen_entry_point_dispatches_on_the_executable_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sys.path.insert(0, str(INSTALLER))
    try:
        import frozen_main
    finally:
        sys.path.remove(str(INSTALLER))
    import gaitlab.cli.cmd_gui
    import gaitlab.cli.main

    monkeypatch.setattr(gaitlab.cli.cmd_gui, "gui_main", lambda: 11)
    monkeypatch.setattr(gaitlab.cli.main, "main", lambda: 22)
    monkeypatch.setattr(sys, "executable", "/opt/gaitlab/gaitlab-gui")
    assert frozen_main.main() == 11
    monkeypatch.setattr(sys, "executable", "C:/gaitlab/gaitlab-gui.exe")
    assert frozen_main.main() == 11
    monkeypatch.setattr(sys, "executable", "/opt/gaitlab/gaitlab")
    assert frozen_main.main() == 22


def test_spec_is_python() -> None:
    source = (INSTALLER / "gaitlab.spec").read_text(encoding="utf-8")
    compile(source, "gaitlab.spec", "exec")


def test_screenshot_check_refuses_a_blank_window(tmp_path: Path, qapp) -> None:
    sys.path.insert(0, str(INSTALLER))
    try:
        import check_screenshot
    finally:
        sys.path.remove(str(INSTALLER))
    from PySide6.QtGui import QColor, QImage

    blank = QImage(1600, 1000, QImage.Format.Format_RGB32)
    blank.fill(QColor("white"))
    path = tmp_path / "blank.png"
    assert blank.save(str(path))
    found = check_screenshot.problems(str(path), (1600, 1000))
    assert any("only 1 colours" in p for p in found)
    assert any("plot area cell" in p for p in found)
    assert check_screenshot.problems(str(path), (800, 600))[0].endswith(
        "expected 800×600"
    )
    real = ROOT / "docs" / "screenshots" / "main_window.png"
    assert check_screenshot.problems(str(real)) == []


@pytest.mark.skipif(sys.platform == "win32", reason="the Linux install script")
def test_linux_install_script_installs_and_uninstalls(tmp_path: Path) -> None:
    unpacked = tmp_path / "gaitlab-0.1.0-linux-x86_64"
    app = unpacked / "gaitlab"
    app.mkdir(parents=True)
    for name in ("gaitlab", "gaitlab-gui"):
        (app / name).write_text("#!/bin/sh\necho 'gaitlab 0.1.0 (commit x)'\n")
        (app / name).chmod(0o755)
    for name in ("install-linux.sh", "gaitlab.desktop"):
        shutil.copy(INSTALLER / name, unpacked / name)
    prefix = tmp_path / "prefix"
    env = {**os.environ, "PREFIX": str(prefix), "HOME": str(tmp_path / "home")}
    done = subprocess.run(
        ["bash", str(unpacked / "install-linux.sh")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "gaitlab 0.1.0 (commit x)" in done.stdout
    installed = prefix / "opt" / "gaitlab"
    assert (prefix / "bin" / "gaitlab").resolve() == (installed / "gaitlab").resolve()
    entry = (prefix / "share" / "applications" / "gaitlab.desktop").read_text()
    assert f"Exec={installed}/gaitlab-gui %F" in entry
    assert f"TryExec={installed}/gaitlab-gui" in entry
    subprocess.run(
        ["bash", str(unpacked / "install-linux.sh"), "--uninstall"],
        env=env,
        capture_output=True,
        check=True,
    )
    assert not installed.exists()
    assert not (prefix / "bin" / "gaitlab").exists()
    assert not (prefix / "share" / "applications" / "gaitlab.desktop").exists()


def test_help_about_shows_version_and_commit(qtbot, fresh_build_info: None) -> None:
    from PySide6.QtWidgets import QMessageBox

    from gaitlab.gui.main_window import MainWindow
    from gaitlab.gui.settings import UserSettings
    from gaitlab.session import Session

    window = MainWindow(Session(), UserSettings(), persist_settings=False)
    qtbot.addWidget(window)
    window._about()
    [box] = window.findChildren(QMessageBox)
    assert version.version_text() in box.text()
    assert "(commit " in box.text()
    box.close()


def test_the_bundle_keeps_the_hdf5_filters_the_store_uses() -> None:
    """The desktop bundle drops hdf5plugin's filters but the store's own: a
    bundle without the Zstandard filter refused every trial of format 5
    (caught by the bundle smoke test, CI of stop 10)."""
    import hdf5plugin

    from gaitlab.store import _integrity, _trialfile

    spec = (
        Path(__file__).resolve().parents[1] / "installer" / "gaitlab.spec"
    ).read_text()
    namespace: dict = {}
    start = spec.index("KEEP_HDF5_FILTERS = ")
    end = spec.index("\n\n", start)
    exec(spec[start:end], namespace)
    kept = set(namespace["KEEP_HDF5_FILTERS"])
    written = {_trialfile._ZSTD.filter_id}
    read = {_integrity._ZSTD, _integrity._BLOSC}
    names = {hdf5plugin.ZSTD_ID: "zstd", hdf5plugin.BLOSC_ID: "blosc"}
    for filter_id in written | read:
        assert f"libh5{names[filter_id]}.so" in kept, names[filter_id]
