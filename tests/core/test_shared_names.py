"""The core modules use the one array type and side names of gaitlab.core.types."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from gaitlab.core import body, cluster, landmarks
from gaitlab.core.types import SIDE_PREFIX, SIDES

CORE = Path(__file__).resolve().parents[2] / "gaitlab" / "core"
MODULES = sorted(p for p in CORE.glob("*.py") if p.name != "types.py")
SIDE_SPELLINGS = {("Left", "Right"), ("l", "r"), ("left", "right")}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_local_array_alias_or_side_tuple(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript):
            text = ast.unparse(node)
            assert text != "npt.NDArray[np.float64]", (
                f"{path.name}:{node.lineno}: use gaitlab.core.types.FloatArray"
            )
        if isinstance(node, ast.Tuple):
            values = tuple(
                e.value if isinstance(e, ast.Constant) else None for e in node.elts
            )
            assert values not in SIDE_SPELLINGS, (
                f"{path.name}:{node.lineno}: use gaitlab.core.types.SIDES/SIDE_PREFIX"
            )


def test_side_tables_follow_the_shared_definition() -> None:
    assert body._SIDES == {"l": "left", "r": "right"}
    assert landmarks._SIDES == (("l", "L", "left"), ("r", "R", "right"))
    assert tuple(SIDE_PREFIX) == SIDES
    assert {name[:2] for name in cluster.SEGMENT_LANDMARKS if name[1] == "_"} == {
        "l_",
        "r_",
    }
