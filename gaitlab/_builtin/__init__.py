"""Where the built-in plugins and the demo data live, installed or not.

In a wheel (and in the desktop bundle) they ship inside the package, as
``gaitlab/_builtin/plugins`` and ``gaitlab/_builtin/data`` (pyproject.toml's
``force-include``, installer/gaitlab.spec's ``datas``). In a source checkout
they are the top-level ``plugins/`` and ``data/`` folders beside ``gaitlab/``.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["BUILTIN_FOLDERS", "builtin_folder"]

BUILTIN_FOLDERS = ("plugins", "data")
"""The folders a complete installation holds."""

_HERE = Path(__file__).resolve().parent


def builtin_folder(name: str) -> Path:
    """The shipped folder ``name`` (``"plugins"`` or ``"data"``).

    The copy inside the package wins; else, in a source checkout (a
    ``pyproject.toml`` beside ``gaitlab/``), the top-level folder. Otherwise
    the path inside the package is returned even though it does not exist, so
    that the caller reports the incomplete installation by where the folder
    should be.
    """
    if name not in BUILTIN_FOLDERS:
        raise ValueError(f"no built-in folder {name!r}; they are {BUILTIN_FOLDERS}")
    shipped = _HERE / name
    checkout = _HERE.parents[1]
    if not shipped.is_dir() and (checkout / "pyproject.toml").is_file():
        return checkout / name
    return shipped
