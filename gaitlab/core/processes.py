"""Process helpers shared by the isolated workers of io and pipeline.

Both the C3D reader workers (:mod:`gaitlab.io.workers`) and the plugin
children (:mod:`gaitlab.pipeline.isolation`) are child processes that must
not outlive the application, and must be started in a way that is safe for
the parent. This module holds those two low-level pieces; it imports only
the standard library (no Qt, h5py or ezc3d), so every layer may use it.
"""

from __future__ import annotations

import functools
import logging
import multiprocessing
import os
import signal
import sys
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the fork context does not exist on Windows
    from multiprocessing.context import ForkContext, SpawnContext

log = logging.getLogger(__name__)

__all__ = [
    "START_METHOD_VARIABLE",
    "chosen_start_method",
    "die_with_parent",
    "worker_context",
]

START_METHOD_VARIABLE = "GAITLAB_START_METHOD"
"""Environment variable that sets how gaitlab starts its child processes:
``spawn`` (a fresh interpreter: for libraries that are not safe to fork,
such as some OpenMP runtimes), ``forkserver`` or ``fork``. Unset: gaitlab
chooses (fork when the process has one thread)."""


def chosen_start_method() -> str | None:
    """Return the start method :data:`START_METHOD_VARIABLE` names (None: unset).

    A name this system does not offer is ignored, with a warning.
    """
    chosen = os.environ.get(START_METHOD_VARIABLE, "").strip()
    if not chosen:
        return None
    if chosen not in multiprocessing.get_all_start_methods():
        _warn_ignored(chosen)
        return None
    return chosen


@functools.cache
def _warn_ignored(chosen: str) -> None:
    offered = ", ".join(multiprocessing.get_all_start_methods())
    log.warning("%s=%s ignored: not one of %s", START_METHOD_VARIABLE, chosen, offered)


def worker_context() -> ForkContext | SpawnContext:
    """Choose the multiprocessing context to start worker processes with.

    ``fork`` on Linux when the process has a single thread (fast, and safe
    then); ``spawn`` otherwise (e.g. under a Qt GUI, whose threads a fork
    would copy in an unknown state, or on macOS and Windows), or when
    :data:`START_METHOD_VARIABLE` says ``spawn`` or ``forkserver``.
    """
    chosen = chosen_start_method()
    single_threaded = threading.active_count() == 1
    if chosen is None and sys.platform.startswith("linux") and single_threaded:
        return multiprocessing.get_context("fork")
    if chosen == "fork":
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def die_with_parent() -> None:
    """On Linux, have the kernel kill the calling process when its parent dies.

    Called first thing in a worker: a worker outliving a killed parent would
    keep writing, and would keep the project's writer lock (inherited by
    fork) held. Elsewhere it does nothing. If the parent already died before
    the request took effect, the process exits with status 1.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    except OSError:
        return
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)
