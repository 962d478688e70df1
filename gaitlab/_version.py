"""gaitlab's version (kept in one place; pyproject.toml reads it) and its commit.

The commit is baked in when a wheel, an sdist or the desktop bundle is built
(``_build_info.json`` beside this file, written by installer/hatch_build.py
and installer/build.sh: there is no ``.git`` in an installation). A source
checkout asks git instead; without either the commit is ``"unknown"``.
"""

from __future__ import annotations

import json
import subprocess
from functools import lru_cache
from pathlib import Path

__all__ = [
    "BUILD_INFO_FILE",
    "__version__",
    "build_info",
    "git_build_info",
    "version_text",
]

__version__ = "0.1.0"

BUILD_INFO_FILE = "_build_info.json"
"""Name of the file holding the baked-in commit (inside the ``gaitlab`` package)."""

_PACKAGE = Path(__file__).resolve().parent


def git_build_info(root: Path) -> dict[str, object] | None:
    """The commit of the git checkout ``root``, or None without git or ``.git``.

    Returns
    -------
    dict or None
        ``{"commit": full hash, "modified": True when tracked files differ
        from that commit}``.
    """
    if not (root / ".git").exists():
        return None
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        modified = (
            subprocess.run(
                ["git", "-C", str(root), "diff-index", "--quiet", "HEAD", "--"],
                capture_output=True,
                timeout=10,
                check=False,
            ).returncode
            == 1
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "modified": modified} if commit else None


@lru_cache(maxsize=1)
def build_info() -> dict[str, object]:
    """``{"version", "commit", "modified"}``: baked in, from git, or ``"unknown"``."""
    info: dict[str, object] | None = None
    baked = _PACKAGE / BUILD_INFO_FILE
    if baked.is_file():
        try:
            info = json.loads(baked.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            info = None
    if not isinstance(info, dict) or not info.get("commit"):
        info = git_build_info(_PACKAGE.parent)
    if info is None:
        info = {"commit": "unknown", "modified": False}
    return {"version": __version__, **info}


def version_text() -> str:
    """One line for ``gaitlab --version`` and Help ▸ About.

    For example ``gaitlab 0.1.0 (commit c4b88a2f01d3)``, with ``, modified``
    for a checkout or build whose files differ from that commit.
    """
    info = build_info()
    commit = str(info["commit"])
    short = commit[:12] if commit != "unknown" else "unknown"
    return f"gaitlab {__version__} (commit {short}{', modified' if info.get('modified') else ''})"
