"""Plugin discovery: built-in folder, user folders, entry points; failures reported."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from gaitlab.pipeline.discovery import builtin_plugin_folder, discover, refresh

GOOD = '''
from gaitlab.api import MetricSpec, Result, plugin

@plugin(name="{name}", version="{version}", needs=("result:gait_events",),
        metrics=(MetricSpec("n_contacts", "1", "contacts found", per_step=False),))
def count(trial, ctx) -> Result:
    """Count the contacts."""
    result = Result()
    result.add_metric("n_contacts", len(trial.contacts()))
    return result
'''


def write_plugin(folder: Path, stem: str, name: str, version: str = "1.0.0") -> Path:
    path = folder / f"{stem}.py"
    path.write_text(textwrap.dedent(GOOD.format(name=name, version=version)))
    return path


def test_builtin_plugins_load_without_failures() -> None:
    report = refresh()
    assert not report.failures, report.failures
    builtin = {n for n, s in report.specs.items() if s.source.startswith("builtin:")}
    assert {"gait_events", "body_mass"} <= builtin
    files = {p.stem for p in builtin_plugin_folder().glob("*.py")}
    assert {
        s.source.split(":")[1].split(".py")[0] for s in report.specs.values()
    } <= files


def test_user_folder_plugins_load_and_failures_are_reported(
    plugin_folder: Path,
) -> None:
    write_plugin(plugin_folder, "mylab_count", "mylab_count")
    (plugin_folder / "broken.py").write_text("import numpy as np\ndef broken(:\n")
    (plugin_folder / "bad_declaration.py").write_text(
        "from gaitlab.api import plugin\n"
        "@plugin(name='BadName', version='1.0.0')\n"
        "def f(trial, ctx): ...\n"
    )
    write_plugin(plugin_folder, "duplicate", "gait_events")
    (plugin_folder / "_private.py").write_text("raise RuntimeError('never imported')\n")
    report = refresh()
    spec = report.get("mylab_count")
    assert spec.source.startswith(f"file:{plugin_folder / 'mylab_count.py'}@sha256:")
    failures = {
        Path(f.source.split(":")[1].split("@")[0]).name: f for f in report.failures
    }
    assert set(failures) == {"broken.py", "bad_declaration.py", "duplicate.py"}
    assert "SyntaxError" in failures["broken.py"].error
    assert "lowercase letters" in failures["bad_declaration.py"].error
    assert "duplicate plugin name 'gait_events'" in failures["duplicate.py"].error
    assert report.get("gait_events").source.startswith("builtin:")
    assert not any(f.builtin for f in report.failures)


def test_editing_a_user_plugin_changes_its_source_digest(plugin_folder: Path) -> None:
    path = write_plugin(plugin_folder, "mylab_count", "mylab_count")
    before = refresh().get("mylab_count").source
    path.write_text(path.read_text() + "\n# edited\n")
    after = refresh().get("mylab_count").source
    assert before != after
    assert before.split("@")[0] == after.split("@")[0]


def test_entry_point_plugin_from_an_installed_distribution(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A package installed with an entry point in the gaitlab.plugins group."""
    site = tmp_path / "site-packages"
    package = site / "mylab_gaitlab"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    write_plugin(package, "counting", "mylab_entry_count", version="2.1.0")
    info = site / "mylab_gaitlab-2.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: mylab-gaitlab\nVersion: 2.1.0\n"
    )
    (info / "entry_points.txt").write_text(
        "[gaitlab.plugins]\ncounting = mylab_gaitlab.counting\n"
    )
    monkeypatch.syspath_prepend(str(site))
    try:
        spec = refresh().get("mylab_entry_count")
        assert spec.source == "dist:mylab-gaitlab==2.1.0"
        assert spec.version == "2.1.0"
    finally:
        monkeypatch.undo()
        refresh()
    assert "mylab_entry_count" not in discover().specs
