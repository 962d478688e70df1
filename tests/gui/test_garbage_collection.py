"""The app's garbage collection: on the GUI thread only, between events.

See the notes of :mod:`gaitlab.gui.tasks`: a collection in a worker thread, or
inside the deletion of a window, can free Qt objects' wrappers at the wrong
moment; the app therefore collects on a GUI-thread timer only.
"""

from __future__ import annotations

import gc
import weakref

from gaitlab.gui import tasks


class _Node:
    """An object in a reference cycle (only the cyclic collector frees it)."""


def test_the_app_collects_cycles_on_the_gui_thread_timer_only(qtbot, monkeypatch):
    collector = tasks._GuiThreadCollector()
    monkeypatch.setattr(tasks, "_COLLECTOR", collector)
    collecting = gc.isenabled()
    try:
        tasks.collect_on_gui_thread_only()
        assert not gc.isenabled()
        node = _Node()
        node.me = node
        freed = weakref.ref(node)
        del node
        # enough new objects for a collection to be due (kept: it is the net
        # count of new container objects that makes one due)
        new_objects = [[] for _ in range(5 * gc.get_threshold()[0])]
        assert freed() is not None  # no automatic collection
        qtbot.waitUntil(lambda: freed() is None, timeout=2_000)  # the timer's
        del new_objects
        # workers starting and ending do not turn automatic collection back on
        thread = tasks.start_thread(lambda: None, "test-worker")
        thread.join()
        qtbot.wait(3 * collector.interval_ms)
        assert not gc.isenabled()
        assert collector.timer is not None
        assert collector.timer.isActive()
    finally:
        collector.always = False
        if collector.timer is not None:
            collector.timer.stop()
        if collecting:
            gc.enable()
