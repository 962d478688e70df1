"""Imported first by the fork server of plugin children: it dies with gaitlab.

:func:`gaitlab.pipeline.isolation.child_context` starts a fork server under
a threaded parent (the GUI). The server is a child of gaitlab; its children
(plugin processes) die with it, and with this module it dies with gaitlab,
so no plugin process outlives a killed gaitlab. Importing it anywhere but
in that server does nothing.
"""

from __future__ import annotations

import sys

from gaitlab.io._isolation import _die_with_parent

if "multiprocessing.forkserver" in sys.modules and sys.argv[:1] == ["-c"]:
    _die_with_parent()
