"""User preferences of the desktop app: window layout, recent projects, last folders.

Stored as JSON in ``platformdirs.user_config_dir("gaitlab")/gui.json`` with an
integer ``settings_version``. An older file is brought up to date one version
at a time by :func:`migrate`; keys this version does not know (written by a
newer gaitlab) are kept and written back unchanged.

Nothing here changes a number: analysis parameters live in the project
(``Session.set_pipeline``), so a project gives the same results on every
machine whatever the user's preferences.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

__all__ = [
    "MAX_RECENT",
    "SETTINGS_VERSION",
    "UserSettings",
    "load_settings",
    "migrate",
    "save_settings",
    "settings_path",
]

log = logging.getLogger(__name__)

SETTINGS_VERSION = 1
MAX_RECENT = 10


@dataclass
class UserSettings:
    """The user's preferences.

    Attributes
    ----------
    window_geometry, window_state : str
        ``QMainWindow.saveGeometry()`` / ``saveState()`` in base64 ("": default).
    recent_projects : list of str
        Project folders, most recent first (at most :data:`MAX_RECENT`).
    last_folders : dict of str to str
        Last folder used by each file dialog (``import``, ``project``, ``export``).
    extra : dict
        Keys written by a newer gaitlab; kept as they are.
    """

    window_geometry: str = ""
    window_state: str = ""
    recent_projects: list[str] = field(default_factory=list)
    last_folders: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def add_recent(self, project: str | Path) -> None:
        """Put a project folder first in the recent list."""
        path = str(Path(project).resolve())
        self.recent_projects = [path] + [p for p in self.recent_projects if p != path]
        del self.recent_projects[MAX_RECENT:]

    def remove_recent(self, project: str | Path) -> None:
        """Forget a project folder (it was moved or deleted)."""
        path = str(Path(project).resolve())
        self.recent_projects = [p for p in self.recent_projects if p != path]

    def last_folder(self, purpose: str) -> str:
        """The folder a file dialog for ``purpose`` starts in (home if unknown)."""
        folder = self.last_folders.get(purpose, "")
        return folder if folder and Path(folder).is_dir() else str(Path.home())

    def remember_folder(self, purpose: str, path: str | Path) -> None:
        """Remember where the user went (the folder of a file, or the folder)."""
        path = Path(path)
        self.last_folders[purpose] = str(path if path.is_dir() else path.parent)


def settings_path() -> Path:
    """Where the preferences live (``~/.config/gaitlab/gui.json`` on Linux)."""
    return Path(platformdirs.user_config_dir("gaitlab", appauthor=False)) / "gui.json"


def _from_unversioned(data: dict[str, Any]) -> dict[str, Any]:
    """Version 0 (a file without ``settings_version``, e.g. written by hand) → 1.

    Version 1 is the first; its keys are the same, only the number is added.
    A later version adds its step here (``1: _v1_to_v2``) and never edits an
    older one, so any old file is upgraded through every step in order.
    """
    return {**data, "settings_version": 1}


_MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {
    0: _from_unversioned,
}


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Bring a settings dict to :data:`SETTINGS_VERSION`, one version at a time.

    A dict from a newer gaitlab is returned unchanged (its known keys are
    read, the others kept).

    Examples
    --------
    >>> migrate({"recent_projects": ["/a"]})
    {'recent_projects': ['/a'], 'settings_version': 1}
    """
    version = int(data.get("settings_version", 0))
    while version < SETTINGS_VERSION:
        data = _MIGRATIONS[version](data)
        version = int(data["settings_version"])
    return data


def load_settings(path: Path | None = None) -> UserSettings:
    """Read the preferences; defaults if the file is missing or unreadable."""
    path = path or settings_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        data = migrate(data)
    except FileNotFoundError:
        return UserSettings()
    except (OSError, ValueError, KeyError, TypeError) as error:
        log.warning("user settings %s unreadable (%s): using defaults", path, error)
        return UserSettings()
    known = {"window_geometry", "window_state", "recent_projects", "last_folders"}
    settings = UserSettings(
        window_geometry=str(data.get("window_geometry", "")),
        window_state=str(data.get("window_state", "")),
        recent_projects=[str(p) for p in data.get("recent_projects", [])][:MAX_RECENT],
        last_folders={
            str(k): str(v) for k, v in dict(data.get("last_folders", {})).items()
        },
        extra={k: v for k, v in data.items() if k not in known | {"settings_version"}},
    )
    if int(data.get("settings_version", 0)) > SETTINGS_VERSION:
        settings.extra["settings_version"] = data["settings_version"]
    return settings


def save_settings(settings: UserSettings, path: Path | None = None) -> Path:
    """Write the preferences atomically; return the file."""
    path = path or settings_path()
    data: dict[str, Any] = {"settings_version": SETTINGS_VERSION, **settings.extra}
    data.update(
        window_geometry=settings.window_geometry,
        window_state=settings.window_state,
        recent_projects=list(settings.recent_projects),
        last_folders=dict(settings.last_folders),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
    tmp.replace(path)
    return path
