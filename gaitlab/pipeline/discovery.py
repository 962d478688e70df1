"""Finding plugins: the built-in folder, installed packages, and user folders.

Sources, in order (the first of two plugins with one name wins; the other is
reported as a duplicate):

1. the built-in ``plugins/`` folder shipped with gaitlab (a folder scan, so
   frozen apps need no package metadata);
2. installed distributions declaring the entry-point group
   ``gaitlab.plugins`` (each entry point names a module);
3. the per-user plugin folder (``gaitlab plugins list`` prints it) and the
   folders listed in ``GAITLAB_PLUGIN_PATH`` (``os.pathsep``-separated).

A module that fails to import, or a plugin that is declared wrongly, is
recorded as a :class:`PluginFailure` with its source and never stops the
others.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType

from gaitlab.pipeline.spec import PluginError, PluginSpec

__all__ = [
    "ENTRY_POINT_GROUP",
    "PLUGIN_PATH_VARIABLE",
    "DiscoveryReport",
    "PluginFailure",
    "builtin_plugin_folder",
    "discover",
    "refresh",
    "user_plugin_folder",
]

ENTRY_POINT_GROUP = "gaitlab.plugins"
PLUGIN_PATH_VARIABLE = "GAITLAB_PLUGIN_PATH"


@dataclass(frozen=True)
class PluginFailure:
    """A plugin module or declaration that could not be loaded.

    Attributes
    ----------
    source : str
        Where it came from (``builtin:x.py``, ``file:/path``, ``dist:pkg==1.0``).
    error : str
        What went wrong, one line.
    details : str
        The traceback, for the log.
    builtin : bool
        True for a built-in plugin (a bug in gaitlab).
    """

    source: str
    error: str
    details: str = ""
    builtin: bool = False


@dataclass(frozen=True)
class DiscoveryReport:
    """Plugins found, by name, and failures.

    Attributes
    ----------
    specs : dict of str to PluginSpec
        Loaded plugins in discovery order.
    failures : list of PluginFailure
        Modules or plugins that could not be loaded, and duplicates.
    """

    specs: dict[str, PluginSpec] = field(default_factory=dict)
    failures: list[PluginFailure] = field(default_factory=list)

    def get(self, name: str) -> PluginSpec:
        """One plugin by name; PluginError lists the known names."""
        try:
            return self.specs[name]
        except KeyError:
            raise PluginError(
                f"no plugin {name!r}; plugins are: {', '.join(self.specs) or '(none)'}"
            ) from None


def builtin_plugin_folder() -> Path:
    """The built-in plugins: frozen app, installed wheel, or source checkout."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "plugins"
    package = Path(__file__).resolve().parents[1]
    wheel = package / "_builtin_plugins"
    return wheel if wheel.is_dir() else package.parent / "plugins"


def user_plugin_folder() -> Path:
    """The per-user plugin folder (``~/.local/share/gaitlab/plugins`` on Linux)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("gaitlab", appauthor=False)) / "plugins"


@lru_cache(maxsize=1)
def discover() -> DiscoveryReport:
    """Find every plugin (cached; :func:`refresh` clears the cache)."""
    report = DiscoveryReport()
    for source, load, builtin in _sources():
        try:
            module, source = load()
        except Exception as error:  # a plugin's import must never stop discovery
            report.failures.append(
                PluginFailure(
                    source,
                    f"import failed: {type(error).__name__}: {error}",
                    traceback.format_exc(),
                    builtin,
                )
            )
            continue
        for spec in _specs_in(module, source):
            if spec.name in report.specs:
                report.failures.append(
                    PluginFailure(
                        source,
                        f"duplicate plugin name {spec.name!r}: already loaded from "
                        f"{report.specs[spec.name].source}; this one is ignored",
                        builtin=builtin,
                    )
                )
                continue
            report.specs[spec.name] = spec
    return report


def refresh() -> DiscoveryReport:
    """Forget cached plugins and user modules, then discover again."""
    discover.cache_clear()
    for name in [m for m in sys.modules if m.startswith("gaitlab_user_plugins.")]:
        del sys.modules[name]
    return discover()


def _sources() -> Iterator[tuple[str, object, bool]]:
    """(source label, loader, builtin) for every plugin module, in order."""
    builtin = builtin_plugin_folder()
    for path in _plugin_files(builtin):
        yield (
            f"builtin:{path.name}",
            lambda path=path: _load_file(path, "builtin"),
            True,
        )
    for entry in _iter_entry_points():
        yield (
            f"dist:{_dist_label(entry)}",
            lambda entry=entry: (
                importlib.import_module(entry.value.split(":")[0]),
                f"dist:{_dist_label(entry)}",
            ),
            False,
        )
    for folder in _user_folders():
        for path in _plugin_files(folder):
            yield f"file:{path}", lambda path=path: _load_file(path, "file"), False


def _iter_entry_points() -> list[object]:
    """Entry points of the plugin group (one small function a frozen build can replace)."""
    return list(entry_points(group=ENTRY_POINT_GROUP))


def _dist_label(entry: object) -> str:
    dist = getattr(entry, "dist", None)
    if dist is None:
        return getattr(entry, "value", "?")
    return f"{dist.metadata['Name']}=={dist.version}"


def _user_folders() -> list[Path]:
    folders = [user_plugin_folder()]
    folders += [
        Path(p).expanduser()
        for p in os.environ.get(PLUGIN_PATH_VARIABLE, "").split(os.pathsep)
        if p.strip()
    ]
    return list(dict.fromkeys(folders))


def _plugin_files(folder: Path) -> list[Path]:
    """``*.py`` modules and package folders in ``folder`` (not ``_private`` ones)."""
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(("_", ".")):
            continue
        if path.suffix == ".py" or (path / "__init__.py").is_file():
            found.append(path)
    return found


def _load_file(path: Path, kind: str) -> tuple[ModuleType, str]:
    """Import a plugin file or package folder under a private module name."""
    file = path / "__init__.py" if path.is_dir() else path
    digest = _file_digest(path)
    name = f"gaitlab_user_plugins.{kind}_{path.stem}_{digest[:12]}"
    if name in sys.modules:
        return sys.modules[
            name
        ], f"{kind}:{path if kind == 'file' else path.name}@sha256:{digest}"
    spec = importlib.util.spec_from_file_location(
        name,
        file,
        submodule_search_locations=[str(path)] if path.is_dir() else None,
    )
    if spec is None or spec.loader is None:
        raise PluginError(f"{path}: not an importable Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    label = path if kind == "file" else path.name
    return module, f"{kind}:{label}@sha256:{digest}"


def _file_digest(path: Path) -> str:
    """SHA-256 of a module file, or of every ``.py`` file of a package folder."""
    files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.read_bytes())
    return digest.hexdigest()


def _specs_in(module: ModuleType, source: str) -> list[PluginSpec]:
    specs = []
    for value in vars(module).values():
        spec = getattr(value, "__gaitlab_plugin__", None)
        if isinstance(spec, PluginSpec) and spec.func is value:
            specs.append(replace(spec, source=source))
    return specs
