"""The house rules, checked on every test run (docs/architecture.md).

* the import contracts of ``[tool.importlinter]`` in pyproject.toml: the
  layers core → io → store → pipeline → session/api → report → gui → cli,
  Qt only in ``gaitlab.gui``, HDF5 only in ``gaitlab.store``, the C3D
  parsers only in ``gaitlab.io``, the Qt-free halves of the views free of Qt;
* no import cycles between modules (imports made only for type checking do
  not count: they never run);
* the built-in plugins import only ``gaitlab.api``, numpy, scipy and the
  standard library, as a researcher's plugin would;
* mypy (``[tool.mypy]``) is clean on core, io, store, pipeline and video;
* ruff (``[tool.ruff]``, with numpy-style docstring rules on the public API)
  is clean on the whole tree.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"

pytestmark = pytest.mark.skipif(
    not PYPROJECT.is_file() or not (ROOT / "gaitlab").is_dir(),
    reason="the architecture checks need the source checkout (pyproject.toml)",
)


def test_import_contracts_hold(capsys: pytest.CaptureFixture[str]) -> None:
    importlinter_cli = pytest.importorskip("importlinter.cli")
    status = importlinter_cli.lint_imports(config_filename=str(PYPROJECT))
    report = capsys.readouterr().out
    assert status == 0, report[report.find("Broken contracts") :]


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in edges.get(module, ()):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return found


def test_cycle_finder_finds_a_cycle() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(edges) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles() -> None:
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("gaitlab", exclude_type_checking_imports=True)
    edges = {
        module: {
            target
            for target in graph.find_modules_directly_imported_by(module)
            if target.startswith("gaitlab")
        }
        for module in graph.modules
        if module.startswith("gaitlab")
    }
    assert _cycles(edges) == []


ALLOWED_PLUGIN_IMPORTS = {"gaitlab.api", "numpy", "scipy"}


def _plugin_imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def _forbidden(names: set[str]) -> set[str]:
    def allowed(name: str) -> bool:
        top = name.split(".")[0]
        if top == "gaitlab":
            return name == "gaitlab.api"
        return top in ALLOWED_PLUGIN_IMPORTS or top in sys.stdlib_module_names

    return {name for name in names if not allowed(name)}


def test_plugin_import_rule_refuses_internals(tmp_path: Path) -> None:
    plugin = tmp_path / "sneaky.py"
    plugin.write_text(
        "import numpy as np\nfrom gaitlab.api import plugin\n"
        "from gaitlab.store.project import Project\nimport h5py\n"
    )
    assert _forbidden(_plugin_imports(plugin)) == {"gaitlab.store.project", "h5py"}


@pytest.mark.parametrize(
    "path", sorted((ROOT / "plugins").glob("*.py")), ids=lambda path: path.name
)
def test_builtin_plugins_use_only_the_public_api(path: Path) -> None:
    assert _forbidden(_plugin_imports(path)) == set()


def test_mypy_is_clean_on_the_headless_layers(monkeypatch: pytest.MonkeyPatch) -> None:
    mypy_api = pytest.importorskip("mypy.api")
    monkeypatch.chdir(ROOT)  # the config's file list is relative to the checkout
    stdout, stderr, status = mypy_api.run(
        ["--config-file", str(PYPROJECT), "--cache-dir", str(ROOT / ".mypy_cache")]
    )
    assert status == 0, stdout + stderr


def test_ruff_is_clean() -> None:
    pytest.importorskip("ruff")
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
