"""The README's two opening commands: CI runs the test command as written."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _opening_commands() -> list[str]:
    block = re.search(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert block, "README.md opens with a bash block of commands"
    return [
        line.strip()
        for line in block.group(1).splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def test_readme_opens_with_a_demo_command_and_a_test_command():
    demo, tests = _opening_commands()
    assert demo.endswith("gaitlab demo")
    assert tests.endswith("python -m pytest")


def test_ci_runs_the_readme_test_command_unchanged():
    _demo, tests = _opening_commands()
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert tests in [line.strip() for line in ci]
