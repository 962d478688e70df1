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

The built-in plugins are part of gaitlab (shipped and tested with it) and
are imported in this process. Every other plugin module is third-party code
that may crash, end the process or hang when imported, so gaitlab never
imports it itself: a contained child process
(:mod:`gaitlab.pipeline.isolation`, time limit :data:`IMPORT_TIME_LIMIT_S`
per module) imports it and sends back its declarations as JSON. The spec's
``func`` then imports the module only when the plugin is called, which the
runner does in a contained child too. What the probe found is cached in the
user cache folder by module content (file digest, or distribution version),
gaitlab and Python version, so only new or edited plugins are probed again,
and modules whose import raised an exception (a missing package may have
been installed since); a crash or a hang is not retried until the file
changes.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import importlib.util
import json
import multiprocessing
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache, partial
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

from gaitlab._builtin import builtin_folder
from gaitlab._version import __version__
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
#: Time importing one third-party plugin module may take, in seconds.
IMPORT_TIME_LIMIT_S = 30.0


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
        """Return one plugin by name; PluginError says why it is not there."""
        try:
            return self.specs[name]
        except KeyError:
            raise PluginError(self.missing_reason(name)) from None

    def failure_of(self, name: str) -> PluginFailure | None:
        """Return the load failure of the module named like plugin ``name``, if any."""
        for failure in self.failures:
            location = failure.source.partition(":")[2].split("@sha256:")[0]
            if Path(location).stem == name or failure.error.startswith(
                f"plugin {name!r} "
            ):
                return failure
        return None

    def missing_reason(self, name: str) -> str:
        """Say why there is no plugin ``name``: it failed to load, or where to put it.

        Examples
        --------
        >>> DiscoveryReport().missing_reason("step_width")  # doctest: +ELLIPSIS
        "plugin 'step_width' is not installed here; ..."
        """
        failure = self.failure_of(name)
        if failure is not None:
            return f"plugin {name!r} did not load ({failure.source}): {failure.error}"
        close = difflib.get_close_matches(name, list(self.specs), n=1)
        if close:
            return f"no plugin {name!r}; did you mean {close[0]!r}?"
        return (
            f"plugin {name!r} is not installed here; plugins load from "
            f"{user_plugin_folder()}, the folders of ${PLUGIN_PATH_VARIABLE} and "
            "installed packages (`gaitlab plugins list` shows them); installed: "
            f"{', '.join(self.specs) or '(none)'}"
        )


def builtin_plugin_folder() -> Path:
    """The built-in plugins: installed wheel or frozen app, or source checkout."""
    return builtin_folder("plugins")


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
        # Isolation boundary: importing a module runs its top-level code, which
        # may raise anything. The failure is not hidden: it is reported with its
        # traceback, flagged builtin (the app shows it as a gaitlab bug, the
        # tests fail on it), and the other plugins still load.
        except Exception as error:
            report.failures.append(
                PluginFailure(
                    source,
                    f"import failed: {type(error).__name__}: {error}",
                    traceback.format_exc(),
                    builtin,
                )
            )
            continue
        _add(report, _specs_in(module, source), source, builtin)
    for probed, outcome in _probed(_third_party_modules()):
        if isinstance(outcome, PluginFailure):
            report.failures.append(outcome)
            continue
        try:
            specs = [
                PluginSpec.from_json(
                    {**data, "source": probed.source},
                    _LazyPlugin(
                        probed.kind, probed.location, data["name"], probed.source
                    ),
                )
                for data in outcome
            ]
        except (KeyError, TypeError, ValueError, PluginError) as error:
            report.failures.append(
                PluginFailure(probed.source, f"declaration unreadable: {error}")
            )
            continue
        _add(report, specs, probed.source, False)
    _drop_unknown_needs(report)
    return report


def _add(
    report: DiscoveryReport, specs: list[PluginSpec], source: str, builtin: bool
) -> None:
    """Add a module's plugins, refusing a name or a metric name already taken.

    Metric names are the columns of the exported tables and the app's metric
    table, so two plugins may not declare the same one: the plugin loaded
    first keeps it (built-ins load first) and the later one is refused with
    the clash named, instead of silently replacing a column.
    """
    owners = {m.name: other for other in report.specs.values() for m in other.metrics}
    for spec in specs:
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
        clashes = [m.name for m in spec.metrics if m.name in owners]
        if clashes:
            taken = ", ".join(
                f"{name!r} (declared by {owners[name].name!r}, "
                f"{owners[name].source.split('@sha256:')[0]})"
                for name in clashes
            )
            report.failures.append(
                PluginFailure(
                    source,
                    f"plugin {spec.name!r} declares metric {taken}: metric names "
                    f"must be unique; rename it (e.g. {spec.name}_{clashes[0]})",
                    builtin=builtin,
                )
            )
            continue
        report.specs[spec.name] = spec
        owners.update({m.name: spec for m in spec.metrics})


def _drop_unknown_needs(report: DiscoveryReport) -> None:
    """Refuse plugins whose ``result:`` need names no loaded plugin.

    A misspelt need (``result:center_of_mas``) is a load failure naming the
    closest plugin, not a planning error later; a need of a plugin that did
    not load says so. Repeated until no plugin depends on a refused one.
    """
    changed = True
    while changed:
        changed = False
        for spec in list(report.specs.values()):
            for need in spec.needs:
                results = need.results
                if not results or any(n in report.specs for n in results):
                    continue
                if len(results) < len(need.alternatives):
                    continue  # another kind of input can stand in for it
                reason = report.missing_reason(results[0])
                report.failures.append(
                    PluginFailure(
                        spec.source,
                        f"plugin {spec.name!r} needs {need.text!r}: {reason}",
                        builtin=spec.source.startswith("builtin:"),
                    )
                )
                del report.specs[spec.name]
                changed = True
                break


def refresh() -> DiscoveryReport:
    """Forget cached plugins and user modules, then discover again."""
    discover.cache_clear()
    for name in [m for m in sys.modules if m.startswith("gaitlab_user_plugins.")]:
        del sys.modules[name]
    return discover()


def _sources() -> Iterator[tuple[str, Callable[[], tuple[ModuleType, str]], bool]]:
    """(source label, loader, builtin) for the built-in plugin modules, in order."""
    builtin = builtin_plugin_folder()
    if not _plugin_files(builtin):
        yield f"builtin:{builtin}", lambda: _no_builtins(builtin), True
    for path in _plugin_files(builtin):
        yield (
            f"builtin:{path.name}",
            partial(_load_file, path, "builtin"),
            True,
        )


@dataclass(frozen=True)
class _Module:
    """A third-party plugin module: an entry point's module or a user file.

    Attributes
    ----------
    kind : str
        ``"dist"`` or ``"file"``.
    location : str
        The module name (dist) or the file or package folder (file).
    source : str
        Its source label (``dist:pkg==1.0``, ``file:/path@sha256:...``).
    """

    kind: str
    location: str
    source: str

    @property
    def cache_key(self) -> str:
        """What the probe's answer depends on."""
        return f"{self.source}|{self.location}|gaitlab {__version__}|{sys.version}"


def _third_party_modules() -> list[_Module]:
    """Entry-point modules, then user plugin files, in discovery order."""
    modules = [
        _Module("dist", entry.value.split(":")[0], f"dist:{_dist_label(entry)}")
        for entry in _iter_entry_points()
    ]
    for folder in _user_folders():
        for path in _plugin_files(folder):
            try:
                digest = _file_digest(path)
            except OSError as error:
                digest = f"unreadable ({error})"
            modules.append(_Module("file", str(path), f"file:{path}@sha256:{digest}"))
    return modules


@dataclass(frozen=True)
class _LazyPlugin:
    """A third-party plugin function, imported when first called.

    Discovery never imports third-party plugins into gaitlab's own process;
    this imports the module in the process that calls the plugin (the
    runner's contained child) and checks it is still the one discovered.
    """

    kind: str
    location: str
    name: str
    source: str

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.load()(*args, **kwargs)

    def load(self) -> Any:
        """The plugin function (imports its module once per process)."""
        module, source = _import_module(self.kind, self.location)
        if self.kind == "file" and source != self.source:
            raise PluginError(
                f"{self.location} changed since gaitlab found it; run again to use "
                "the new version"
            )
        for spec in _specs_in(module, ""):
            if spec.name == self.name:
                return spec.func
        raise PluginError(f"{self.location}: no longer declares plugin {self.name!r}")


def _import_module(kind: str, location: str) -> tuple[ModuleType, str]:
    if kind == "file":
        return _load_file(Path(location), "file")
    return importlib.import_module(location), ""


def _probed(modules: list[_Module]) -> list[tuple[_Module, Any]]:
    """Each module with its plugin declarations (JSON) or its PluginFailure.

    Answers come from the cache, else from contained probe processes. A
    plugin child (a daemon process, which cannot start children of its own)
    takes the cached answers as they are and probes nothing: its parent
    probed every module when it planned the run.
    """
    cache = _read_cache()
    can_probe = not multiprocessing.current_process().daemon
    unknown = [
        m
        for m in modules
        if m.cache_key not in cache or (can_probe and cache[m.cache_key].get("retry"))
    ]
    if unknown and not can_probe:
        for module in unknown:
            cache[module.cache_key] = {
                "error": "not probed: it changed after the run started",
                "details": "",
            }
    elif unknown:
        for module, answer in _probe(unknown):
            cache[module.cache_key] = answer
        _write_cache({m.cache_key: cache[m.cache_key] for m in modules})
    outcomes = []
    for module in modules:
        answer = cache[module.cache_key]
        if "specs" in answer:
            outcomes.append((module, answer["specs"]))
        else:
            outcomes.append(
                (
                    module,
                    PluginFailure(module.source, answer["error"], answer["details"]),
                )
            )
    return outcomes


def _probe(modules: list[_Module]) -> Iterator[tuple[_Module, dict[str, Any]]]:
    """Import modules in contained children; a crash or hang fails that module."""
    from multiprocessing.connection import wait

    from gaitlab.pipeline.isolation import Child, Limits

    limits = Limits(time_s=IMPORT_TIME_LIMIT_S)
    left = list(modules)
    while left:
        child = Child(_probe_child, ([(m.kind, m.location) for m in left],), limits)
        # the modules of this child not answered yet, by their index in `left`
        pending = dict(enumerate(left))
        current: int | None = None
        deadline = time.monotonic() + limits.time_s
        try:
            while pending:
                wait(
                    [child.connection, child.sentinel],
                    max(0.0, deadline - time.monotonic()),
                )
                try:
                    while child.connection.poll():
                        message = child.receive()
                        if message[0] == "start":
                            current = int(message[1])
                            deadline = time.monotonic() + limits.time_s
                        else:
                            index, answer = int(message[1]), json.loads(message[2])
                            yield pending.pop(index), answer
                            current = None
                except (EOFError, OSError):
                    pass
                if not pending:
                    return
                if child.is_alive() and time.monotonic() < deadline:
                    continue
                what = (
                    f"did not finish within {limits.time_s:g} s and was stopped"
                    if child.is_alive()
                    else f"ended the process ({child.exit_reason()})"
                )
                failed = current if current is not None else min(pending)
                yield (
                    pending.pop(failed),
                    {
                        "error": f"import failed: importing the module {what}",
                        "details": "",
                    },
                )
                break
        finally:
            child.kill()
        left = list(pending.values())


def _probe_child(connection: Any, modules: list[tuple[str, str]]) -> None:
    """Probe side: import each module, send its declarations or its error."""
    from gaitlab.pipeline.isolation import send

    for index, (kind, location) in enumerate(modules):
        send(connection, ("start", index))
        try:
            module, _ = _import_module(kind, location)
            answer: dict[str, Any] = {
                "specs": [spec.to_json() for spec in _specs_in(module, "")]
            }
        except BaseException as error:  # a plugin's import must never stop discovery
            answer = {
                "error": f"import failed: {type(error).__name__}: {error}",
                "details": traceback.format_exc(),
                "retry": True,  # e.g. a package installed later: probe again
            }
        send(connection, ("answer", index, json.dumps(answer)))


def _cache_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("gaitlab", appauthor=False)) / (
        "plugin-probes.json"
    )


def _read_cache() -> dict[str, Any]:
    try:
        cache = json.loads(_cache_path().read_text())
    except (OSError, ValueError):
        return {}
    return cache if isinstance(cache, dict) else {}


def _write_cache(cache: dict[str, Any]) -> None:
    """Save the probe answers (best effort: a read-only home only costs time)."""
    path = _cache_path()
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(cache))
        tmp.replace(path)
    except OSError:
        tmp.unlink(missing_ok=True)


def _no_builtins(folder: Path) -> tuple[ModuleType, str]:
    """Raise: the built-in plugins are missing (an incomplete installation)."""
    raise PluginError(
        f"no built-in plugins: {folder} is missing or empty; this gaitlab "
        "installation is incomplete (reinstall it)"
    )


def _iter_entry_points() -> list[EntryPoint]:
    """Entry points of the plugin group (one small function a frozen build can replace)."""
    return list(entry_points(group=ENTRY_POINT_GROUP))


def _dist_label(entry: EntryPoint) -> str:
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
