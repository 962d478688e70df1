"""docs/plugins.md: its example plugin and test run as written, end to end."""

from __future__ import annotations

import csv
import re
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
    assert set(blocks) == {"mylab_step_width.py", "test_mylab_step_width.py"}
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
