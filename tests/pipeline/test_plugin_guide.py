"""docs/plugins.md: its example plugin and test run as written, end to end."""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

import pytest

from gaitlab.cli.main import main
from gaitlab.pipeline.discovery import refresh

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"


def code_blocks(text: str) -> dict[str, str]:
    """The guide's code blocks that carry a title, by title."""
    pattern = re.compile(r'```python title="([^"]+)"\n(.*?)```', re.DOTALL)
    return dict(pattern.findall(text))


def test_guide_example_from_empty_file_to_exported_metric(
    plugin_folder: Path,
    tmp_path: Path,
    demo_files: list[Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    blocks = code_blocks(GUIDE.read_text())
    assert set(blocks) == {
        "mylab_step_width.py",
        "test_mylab_step_width.py",
        "mylab_bounce.py",
        "test_mylab_bounce.py",
        "display_hints.py",
    }
    (plugin_folder / "mylab_step_width.py").write_text(blocks["mylab_step_width.py"])
    refresh()

    # section 2: the guide's own test passes
    namespace: dict = {}
    exec(
        compile(blocks["test_mylab_step_width.py"], "test_mylab_step_width.py", "exec"),
        namespace,
    )
    (tmp_path / "guide-test").mkdir()
    namespace["test_step_width_is_the_heel_distance"](tmp_path / "guide-test")

    # section 3: the plugin is listed
    assert main(["plugins", "show", "mylab_step_width"]) == 0
    assert "step_width [m] (per step)" in capsys.readouterr().out

    # section 4: run it on a project and find it in the exported table
    project = tmp_path / "study.gaitlab"
    treadmill = next(f for f in demo_files if f.name == "demo_treadmill_run.c3d")
    assert (
        main(["import", str(project), str(treadmill), "--quiet", "--subject", "s01"])
        == 0
    )
    assert main(["run", str(project), "--plugins", "mylab_step_width", "--quiet"]) == 0
    assert (
        main(
            [
                "run",
                str(project),
                "--set",
                "mylab_step_width.max_width_m=0.05",
                "--quiet",
            ]
        )
        == 0
    )
    assert main(["export", str(project), "-o", str(tmp_path / "metrics.csv")]) == 0
    with (tmp_path / "metrics.csv").open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["metric"] == "step_width"]
    values = [r for r in rows if r["statistic"] == "value"]
    assert len(values) == 10
    assert {r["unit"] for r in values} == {"m"}
    assert {r["status"] for r in values} == {"warning"}  # every step wider than 5 cm
    assert any(r["statistic"] == "mean" and r["side"] == "" for r in rows)


def test_guide_second_example_tested_on_made_up_results_then_run_on_a_project(
    plugin_folder: Path,
    tmp_path: Path,
    demo_files: list[Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The bounce plugin and its test, as the guide gives them: the test
    imports the plugin file from beside it (not installed) and passes; the
    plugin then runs on a project, where every step of the demo runner has a
    bounce in the range of running (3-15 cm) and a yes/no value."""
    blocks = code_blocks(GUIDE.read_text())
    beside = tmp_path / "work"
    beside.mkdir()
    (beside / "mylab_bounce.py").write_text(blocks["mylab_bounce.py"])
    (beside / "test_mylab_bounce.py").write_text(blocks["test_mylab_bounce.py"])
    monkeypatch.syspath_prepend(str(beside))
    monkeypatch.delitem(sys.modules, "mylab_bounce", raising=False)
    namespace: dict = {}
    exec(
        compile(blocks["test_mylab_bounce.py"], "test_mylab_bounce.py", "exec"),
        namespace,
    )
    namespace["test_bounce_is_the_range_of_com_height_over_a_step"]()

    (plugin_folder / "mylab_bounce.py").write_text(blocks["mylab_bounce.py"])
    refresh()
    project = tmp_path / "study.gaitlab"
    treadmill = next(f for f in demo_files if f.name == "demo_treadmill_run.c3d")
    assert main(["import", str(project), str(treadmill), "--quiet"]) == 0
    assert main(["run", str(project), "--plugins", "mylab_bounce", "--quiet"]) == 0
    assert main(["export", str(project), "-o", str(tmp_path / "metrics.csv")]) == 0
    with (tmp_path / "metrics.csv").open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["statistic"] == "value"]
    bounce = [float(r["value"]) for r in rows if r["metric"] == "mylab_com_bounce"]
    low = [r["category"] for r in rows if r["metric"] == "mylab_low_bounce"]
    assert len(bounce) == len(low) >= 8
    assert all(0.03 < b < 0.15 for b in bounce)
    assert set(low) <= {"yes", "no"}


def test_guide_display_hints_example_declares_series_in_the_built_in_lean_plot() -> (
    None
):
    """The display-hints block runs as written, and the plot title it reuses
    is the built-in lean plot's, so its series would join that plot."""
    from gaitlab.pipeline.discovery import discover

    namespace: dict = {}
    exec(
        compile(code_blocks(GUIDE.read_text())["display_hints.py"], "hints", "exec"),
        namespace,
    )
    pelvis, hip = namespace["series"]
    lean_plots = {s.plot for s in discover().specs["lean"].series}
    assert pelvis.plot in lean_plots
    assert hip.components == ("vertical",)
