"""Discovery survives plugin modules that crash, exit or hang when imported (issue 18).

Third-party plugin modules are imported only in contained probe processes;
gaitlab's own process sees their declarations and never runs their code.
"""

from __future__ import annotations

import multiprocessing
import textwrap
from pathlib import Path

import pytest

import gaitlab
from gaitlab.cli.main import main
from gaitlab.pipeline import discovery
from gaitlab.pipeline.discovery import refresh
from gaitlab.pipeline.runner import run_pipeline

GOOD = """
from gaitlab.api import MetricSpec, Result, plugin

IMPORTED_HERE = True

@plugin(name="mylab_good", version="1.0.0",
        metrics=(MetricSpec("one", "1", "always one", per_step=False),))
def good(trial, ctx) -> Result:
    result = Result()
    result.add_metric("one", 1.0)
    return result
"""

AT_IMPORT = {
    "exits.py": "import os\nos._exit(3)\n",
    "segfaults.py": "import ctypes\nctypes.string_at(0)\n",
    "hangs.py": "while True:\n    pass\n",
    "sys_exit.py": "import sys\nsys.exit('bye')\n",
}


@pytest.fixture
def hostile_folder(plugin_folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(discovery, "IMPORT_TIME_LIMIT_S", 2.0)
    (plugin_folder / "mylab_good.py").write_text(textwrap.dedent(GOOD))
    for name, source in AT_IMPORT.items():
        (plugin_folder / name).write_text(source)
    return plugin_folder


def test_import_crash_exit_and_hang_are_reported_not_fatal(
    hostile_folder: Path,
) -> None:
    report = refresh()
    failures = {
        Path(f.source.split(":")[1].split("@")[0]).name: f.error
        for f in report.failures
    }
    assert failures == {
        "exits.py": "import failed: importing the module ended the process (exit code 3)",
        "segfaults.py": "import failed: importing the module ended the process "
        "(signal SIGSEGV)",
        "hangs.py": "import failed: importing the module did not finish within 2 s "
        "and was stopped",
        "sys_exit.py": "import failed: SystemExit: bye",
    }
    good = report.get("mylab_good")
    assert good.source.startswith(f"file:{hostile_folder / 'mylab_good.py'}@sha256:")
    assert good.metrics[0].name == "one"
    # gaitlab's own process never imported a third-party module
    import sys

    assert not [m for m in sys.modules if "mylab_good" in m]


def test_probe_answers_are_cached_by_content(
    hostile_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = refresh()
    probe = discovery._probe
    probed: list[str] = []

    def counting_probe(modules):
        probed.extend(Path(m.location).name for m in modules)
        return probe(modules)

    monkeypatch.setattr(discovery, "_probe", counting_probe)
    again = refresh()
    assert again.specs.keys() == first.specs.keys()
    assert again.failures == first.failures
    # a crash, an exit or a hang is remembered; an exception (a package that
    # may be installed since) is tried again
    assert probed == ["sys_exit.py"]
    (hostile_folder / "exits.py").write_text("# fixed\n")
    fixed = refresh()
    assert probed == ["sys_exit.py", "exits.py", "sys_exit.py"]
    assert not [f for f in fixed.failures if "exits.py" in f.source]


def test_plugins_list_export_and_run_work_beside_broken_plugins(
    hostile_folder: Path,
    tmp_path: Path,
    demo_files: list[Path],
    capsys: pytest.CaptureFixture,
) -> None:
    refresh()
    assert main(["plugins", "list"]) == 1
    out = capsys.readouterr().out
    assert "mylab_good" in out
    assert out.count("FAILED") == len(AT_IMPORT)
    project = gaitlab.create_project(tmp_path / "p.gaitlab")
    list(project.import_files(demo_files[:1], subject="s01"))
    events = list(run_pipeline(project, plugins=["mylab_good"], workers=1))
    (trial,) = [e for e in events if e.kind == "trial"]
    assert trial.statuses == {"mylab_good": "ok"}
    assert main(["export", str(project.path), "-o", str(tmp_path / "m.csv")]) in (0, 1)
    assert "mylab_good,one" in (tmp_path / "m.csv").read_text()


def test_a_plugin_child_takes_the_cached_answers_and_probes_nothing(
    plugin_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A module failing with an exception is re-probed in gaitlab's own process
    (a package may have been installed since), never in a plugin child: a
    daemon process cannot start one, and every trial of the run failed."""
    (plugin_folder / "mylab_good.py").write_text(GOOD)
    (plugin_folder / "needs_a_package.py").write_text("import not_installed_here\n")
    refresh()
    assert "mylab_good" in discovery.discover().specs  # probed, answers cached
    monkeypatch.setitem(multiprocessing.current_process()._config, "daemon", True)
    refresh()
    report = discovery.discover()  # as in a plugin child: from the cache only
    assert "mylab_good" in report.specs
    (failure,) = [f for f in report.failures if "needs_a_package" in f.source]
    assert "not_installed_here" in failure.error
    refresh()
