"""Imported first by the fork server of plugin children: it dies with gaitlab.

:func:`gaitlab.pipeline.isolation.child_context` starts a fork server under
a threaded parent (the GUI). The server is a child of gaitlab; its children
(plugin processes) die with it, and with this module it dies with gaitlab,
so no plugin process outlives a killed gaitlab. The server also imports the
built-in plugin modules once, so each child finds them imported instead of
compiling and running them again (about 0.1 s per trial). Importing this
module anywhere but in that server does nothing.
"""

from __future__ import annotations

import sys

from gaitlab.core.processes import die_with_parent


def _import_builtin_plugins() -> None:
    """Import the built-in plugin modules (once, in the fork server).

    Discovery names each module by the SHA-256 of its file and reuses a
    module of that name already imported, so a child gets these modules
    only while their files are unchanged; a changed file is imported afresh
    by the child, and a module that fails here fails (and is reported) there.
    """
    from gaitlab.pipeline.discovery import (
        _load_file,
        _plugin_files,
        builtin_plugin_folder,
    )

    for path in _plugin_files(builtin_plugin_folder()):
        try:
            _load_file(path, "builtin")
        # Isolation boundary (a plugin import runs the module's code, which may
        # raise anything): the preload is only a speed-up, and the child that
        # needs the module imports it again and reports the failure.
        except Exception:
            continue


if "multiprocessing.forkserver" in sys.modules and sys.argv[:1] == ["-c"]:
    die_with_parent()
    _import_builtin_plugins()
