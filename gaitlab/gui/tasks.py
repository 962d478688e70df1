"""Long work off the GUI thread: session generators, trial loading, background reads.

Threading model (STYLE B.6):

* :class:`GeneratorTask` runs one of the session's generators
  (``Session.import_files``, ``Session.run``) in a worker thread. Each yielded
  event travels to the GUI thread (queued signal), where it is passed to
  ``Session.apply`` (which emits the session's signals, so views only ever
  run on the GUI thread), then reported as progress. The worker waits for
  the GUI thread to take each event before asking the generator for the
  next one, so a cancel decided while handling an event stops the work right
  there: :meth:`GeneratorTask.cancel` makes the worker close the generator
  between items (``generator.close()`` in the worker thread: the project's
  writer lock and process pools are released by the generator's own
  ``finally`` blocks). One task at a time per session: ``Session.busy``.
* :class:`BackgroundCall` runs a plain function (reading a trial, result
  statuses, metric tables) in a thread and delivers its value on the GUI
  thread.
* :class:`TrialLoader` loads the selected trial and lets each view prepare
  its drawing data in the same worker (``View.prepare(loaded)``, pure and
  thread-safe), then shows it on the GUI thread (``show_prepared`` then
  ``Session.show``). The newest request wins.

Plain Python threads are used rather than superqt's ``GeneratorWorker``,
because that worker stops a cancelled generator without closing it (its
``finally`` blocks would wait for garbage collection) and swaps the process'
warning filters while it runs.

Garbage collection: Python's cyclic collector runs wherever an allocation
happens to cross its threshold. Run in a worker, it can destroy Qt objects
caught in reference cycles off the GUI thread, which deadlocks against the
GUI thread's own deletions (Qt's object mutex on one side, the GIL on the
other). Run inside the deletion of a window (a ``destroyed`` slot or a
pyqtgraph item's Python ``itemChange`` allocating while Qt deletes the
window's children), it can free the wrappers of objects Qt is half-way
through deleting. So in the app (:func:`collect_on_gui_thread_only`, called
at start) automatic collection is off and the GUI thread collects on a timer,
between events (pyqtgraph's ``GarbageCollector`` idea); elsewhere (the tests,
a script using the views) the same is done while any worker thread is alive.
:func:`start_thread` starts every worker, and keeps the Qt objects a worker
uses alive until the GUI thread sees it finished, so none is ever destroyed
in a worker thread.

Lifetimes of Qt objects held by Python: pyqtgraph gives every plot Python-owned
Qt objects without a Qt parent (the plot's and its view box's context menus
with their control panels, the spin boxes' delay timers, the parameter
tree's event filters). When a window is deleted, Qt deletes the plots but not
these: they stay in Python reference cycles with the plots' dead wrappers,
and the cyclic collector destroys them later, at any moment and in whichever
thread happens to allocate (hundreds of widgets per window; a QWidget
destroyed outside the GUI thread can crash the process). So
:func:`adopt_plot_menus` puts a plot's menus under its widget (Qt deletes
them with it), and :func:`connect_while_alive`, which every view uses, makes
the GUI thread collect right after a view is destroyed, so that what is left
is freed there and then.
"""

from __future__ import annotations

import gc
import logging
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from gaitlab.session import LoadedTrial, Session

__all__ = [
    "BackgroundCall",
    "GeneratorTask",
    "TrialLoader",
    "adopt_plot_menus",
    "collect_on_gui_thread_only",
    "connect_while_alive",
    "event_text",
    "show_error",
    "start_thread",
    "wait_for_workers",
]

log = logging.getLogger(__name__)


class _GuiThreadCollector:
    """Worker threads, and garbage collection on the GUI thread while they run.

    Each worker comes with the Qt objects it uses (its relay, its task): they
    are kept here until the GUI thread sees the worker finished, so that the
    last reference to a Qt object is never dropped, and the object never
    destroyed, in a worker thread.
    """

    interval_ms = 100

    def __init__(self) -> None:
        self.workers: list[tuple[threading.Thread, tuple[object, ...]]] = []
        self.timer: QTimer | None = None
        self.restore = True
        self.collect_pending = False
        self.always = False

    @property
    def threads(self) -> list[threading.Thread]:
        return [thread for thread, _ in self.workers]

    def start(self, thread: threading.Thread, keep: tuple[object, ...]) -> None:
        if not self.workers:
            self._take_over()
        self.workers.append((thread, keep))
        thread.start()

    def take_over_always(self) -> None:
        """Collect on the GUI thread's timer from now on, workers or not."""
        if not self.workers:
            self._take_over()
        self.always = True

    def _take_over(self) -> None:
        if self.always:
            return
        self.restore = gc.isenabled()
        gc.disable()
        if self.timer is None:
            self.timer = QTimer(QCoreApplication.instance(), interval=self.interval_ms)
            self.timer.timeout.connect(self.tick)
        self.timer.start()

    def collect_soon(self) -> None:
        """Collect garbage on the GUI thread once the event loop is back (a view was
        destroyed: free the Qt objects left in cycles with its wrappers now, here)."""
        app = QCoreApplication.instance()
        if app is None or self.collect_pending:
            return
        self.collect_pending = True
        QTimer.singleShot(0, app, self._collect)

    def _collect(self) -> None:
        self.collect_pending = False
        gc.collect()

    def tick(self) -> None:
        threshold, counts = gc.get_threshold(), gc.get_count()
        for generation in (2, 1, 0):  # the oldest generation due, as gc itself would
            if counts[generation] > threshold[generation]:
                gc.collect(generation)
                break
        self.workers = [(t, keep) for t, keep in self.workers if t.is_alive()]
        if not self.workers and not self.always and self.timer is not None:
            self.timer.stop()
            if self.restore:
                gc.enable()


_COLLECTOR = _GuiThreadCollector()


def collect_on_gui_thread_only() -> None:
    """Run Python's cyclic garbage collector only on the GUI thread, between events.

    Called once by the app at start (see the module notes): from then on
    automatic collection is off and a timer on the GUI thread collects the
    generations due, so no collection happens in a worker thread or in the
    middle of Qt deleting a window.
    """
    _COLLECTOR.take_over_always()


def wait_for_workers(timeout_s: float = 30.0) -> bool:
    """Join the worker threads still alive (before exiting); True if all ended.

    A worker stopped by the interpreter's exit in the middle of an HDF5 call
    would keep h5py's lock, and the exit itself would then wait for it forever.
    """
    for thread in _COLLECTOR.threads:
        thread.join(timeout_s)
    return not any(t.is_alive() for t in _COLLECTOR.threads)


def start_thread(
    target: Callable[[], None], name: str, keep: tuple[object, ...] = ()
) -> threading.Thread:
    """Start a worker thread (from the GUI thread).

    ``keep``: the Qt objects the worker uses; they stay referenced until the
    GUI thread sees the worker finished. Meanwhile cyclic garbage collection
    runs on the GUI thread only.
    """
    thread = threading.Thread(target=target, name=name, daemon=True)
    _COLLECTOR.start(thread, keep)
    return thread


def show_error(
    parent: QWidget | None, title: str, message: str, details: str = ""
) -> QMessageBox:
    """A non-modal error box with the traceback under "Show Details…".

    Returns the box (already shown; it deletes itself when closed).
    """
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle(title)
    box.setText(message)
    box.setInformativeText("The details are also in the log (View ▸ Log).")
    if details:
        box.setDetailedText(details)
    box.setStandardButtons(QMessageBox.StandardButton.Close)
    box.setWindowModality(Qt.WindowModality.NonModal)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.show()
    return box


def connect_while_alive(
    owner: QObject, connections: Iterable[tuple[Any, Callable[..., Any]]]
) -> None:
    """Connect psygnal signals (the session's) to slots of a Qt object.

    The slots are disconnected when the Qt object is destroyed, so a session
    that outlives a widget never calls into a deleted one.
    """
    pairs = list(connections)
    for signal, slot in pairs:
        signal.connect(slot)

    def disconnect(*_: object) -> None:
        for signal, slot in pairs:
            signal.disconnect(slot, missing_ok=True)
        _COLLECTOR.collect_soon()

    owner.destroyed.connect(disconnect)


def adopt_plot_menus(widget: QWidget) -> None:
    """Give a pyqtgraph plot's context menus a Qt parent: its widget.

    pyqtgraph creates them without a parent (``PlotItem.ctrlMenu``, the view
    box's ``menu``), so Qt would not delete them with the plot; see the module
    notes. Popup flags are kept.
    """
    plot = widget.getPlotItem()  # type: ignore[attr-defined]
    for menu in (getattr(plot, "ctrlMenu", None), plot.getViewBox().menu):
        if menu is not None and menu.parent() is None:
            menu.setParent(widget, menu.windowFlags())


def event_text(event: Any) -> str:
    """A short description of a progress event (file name or trial id)."""
    path = getattr(event, "path", "")
    if path:
        return Path(path).name
    return str(getattr(event, "trial_id", "") or "")


class _Relay(QObject):
    """Carries values from a worker thread to the GUI thread (queued signals)."""

    item_produced = Signal(object)
    failed = Signal(str, str)
    ended = Signal(object)


class GeneratorTask(QObject):
    """One of the session's generators, run in a worker thread.

    Parameters
    ----------
    session : Session
        The session whose ``apply`` takes each event and whose ``busy`` flag
        marks the task.
    make_generator : callable
        Returns the generator (called in the worker thread), e.g.
        ``lambda: session.run(ids)``.
    title : str
        What the task does ("Importing files").

    Signals
    -------
    event_applied(object)
        Each yielded event, after ``session.apply``.
    progressed(int, int, str)
        Done, total and the current file or trial.
    failed(str, str)
        The generator raised: message and traceback.
    finished(bool)
        The task ended (True: cancelled); ``session.busy`` is already False.
    """

    event_applied = Signal(object)
    progressed = Signal(int, int, str)
    failed = Signal(str, str)
    finished = Signal(bool)

    def __init__(
        self,
        session: Session,
        make_generator: Callable[[], Iterator[Any]],
        title: str,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.title = title
        self._make_generator = make_generator
        self._relay = _Relay()
        self._relay.item_produced.connect(self._on_item)
        self._relay.failed.connect(self._on_failed)
        self._relay.ended.connect(self._on_ended)
        self._cancel = threading.Event()
        self._taken = threading.Event()
        self._thread: threading.Thread | None = None
        self._running = False
        self.error = ""

    @property
    def running(self) -> bool:
        """True from :meth:`start` until :attr:`finished`."""
        return self._running

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self._cancel.is_set()

    def start(self) -> None:
        """Mark the session busy and start the worker thread."""
        if self.session.busy:
            raise RuntimeError("another task is running: one task at a time")
        self._running = True
        self.session.set_busy(True)
        log.info("%s…", self.title)
        self._thread = start_thread(
            self._work, f"gaitlab task: {self.title}", keep=(self, self._relay)
        )

    def cancel(self) -> None:
        """Stop after the current item (the generator is closed in the worker)."""
        if self._running and not self._cancel.is_set():
            log.info("%s: cancelling after the current item", self.title)
        self._cancel.set()
        self._taken.set()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until the worker thread ended (only for shutdown); True if it did."""
        if self._thread is None:
            return True
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    # ---- worker thread

    def _work(self) -> None:
        relay = self._relay
        generator: Iterator[Any] | None = None
        try:
            generator = self._make_generator()
            for item in generator:
                self._taken.clear()
                relay.item_produced.emit(item)
                self._taken.wait()
                if self._cancel.is_set():
                    break
        except Exception as error:
            _deliver(
                relay.failed, f"{type(error).__name__}: {error}", traceback.format_exc()
            )
        finally:
            close = getattr(generator, "close", None)
            if close is not None:
                try:
                    close()
                except Exception as error:
                    _deliver(
                        relay.failed,
                        f"{type(error).__name__}: {error}",
                        traceback.format_exc(),
                    )
            _deliver(relay.ended, None)

    # ---- GUI thread

    def _on_item(self, item: Any) -> None:
        try:
            self.session.apply(item)
            self.event_applied.emit(item)
            self.progressed.emit(
                int(getattr(item, "done", 0)),
                int(getattr(item, "total", 0)),
                event_text(item),
            )
        finally:
            self._taken.set()

    def _on_failed(self, message: str, details: str) -> None:
        self.error = message
        log.error("%s failed: %s\n%s", self.title, message, details)
        self.failed.emit(message, details)

    def _on_ended(self, _: object) -> None:
        self._running = False
        cancelled = self._cancel.is_set()
        if cancelled:
            log.info("%s: cancelled", self.title)
        self.session.set_busy(False)
        self.finished.emit(cancelled)


class BackgroundCall(QObject):
    """``func(*args)`` in a worker thread; its value arrives on the GUI thread.

    Give it the widget that waits for the value as ``parent``: if the widget
    is deleted first, the value is dropped instead of reaching a deleted
    object. The call deletes itself once it has delivered.

    Signals
    -------
    completed(object)
        The return value.
    failed(str, str)
        Message and traceback of the exception raised.
    """

    completed = Signal(object)
    failed = Signal(str, str)

    def __init__(
        self, func: Callable[..., Any], *args: Any, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._func = func
        self._args = args
        self._relay = _Relay()
        self._relay.ended.connect(self._on_ended)
        self._relay.failed.connect(self.failed)
        self._thread: threading.Thread | None = None
        self.finished = False

    def start(self) -> BackgroundCall:
        """Start the thread; returns self."""
        self._thread = start_thread(
            self._work,
            f"gaitlab: {getattr(self._func, '__name__', 'call')}",
            keep=(self, self._relay),
        )
        return self

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until the thread ended (tests and shutdown only)."""
        if self._thread is not None:
            self._thread.join(timeout_s)
        return self._thread is None or not self._thread.is_alive()

    def _work(self) -> None:
        try:
            value = self._func(*self._args)
        except Exception as error:
            _deliver(
                self._relay.failed,
                f"{type(error).__name__}: {error}",
                traceback.format_exc(),
            )
            _deliver(self._relay.ended, _FAILED)
            return
        _deliver(self._relay.ended, value)

    def _on_ended(self, value: object) -> None:
        self.finished = True
        if value is not _FAILED:
            self.completed.emit(value)
        self.deleteLater()


_FAILED = object()


def _deliver(signal: Any, *values: Any) -> None:
    """Emit from a worker thread; nothing happens if the app is already gone."""
    try:
        signal.emit(*values)
    except RuntimeError:  # Qt objects deleted at shutdown: nobody is waiting
        log.debug("value of a background call dropped: its receiver is gone")


class TrialLoader(QObject):
    """Loads the selected trial in a worker; the newest request wins.

    In the worker: ``loaded = session.load(trial_id)`` and, for each view,
    ``type(view).prepare(loaded)``. On the GUI thread: each view's
    ``show_prepared(loaded, prepared)``, then ``session.show(loaded)``.

    Signals
    -------
    started(str)
        Loading a trial began.
    shown(object)
        The LoadedTrial is shown (after ``session.show``).
    failed(str, str, str)
        Trial id, message and traceback.
    """

    started = Signal(str)
    shown = Signal(object)
    failed = Signal(str, str, str)

    def __init__(
        self, session: Session, views: Sequence[QWidget], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.views = list(views)
        self._latest = 0
        self._calls: dict[int, BackgroundCall] = {}
        self.loading_id = ""

    @property
    def loading(self) -> bool:
        """True while a requested trial is not shown yet."""
        return bool(self.loading_id)

    def request(self, trial_id: str) -> None:
        """Load and show a trial (an earlier request still loading is dropped)."""
        self._latest += 1
        token = self._latest
        self.loading_id = trial_id
        preparers = [type(view).prepare for view in self.views]
        call = BackgroundCall(
            _load_and_prepare, self.session, trial_id, preparers, parent=self
        )
        call.completed.connect(lambda value, token=token: self._on_loaded(token, value))
        call.failed.connect(
            lambda message, details, token=token, trial_id=trial_id: self._on_failed(
                token, trial_id, message, details
            )
        )
        self._calls[token] = call
        self.started.emit(trial_id)
        call.start()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until every load thread ended (tests and shutdown only)."""
        return all(call.wait(timeout_s) for call in list(self._calls.values()))

    def _on_loaded(self, token: int, value: tuple[LoadedTrial, list[Any]]) -> None:
        self._calls.pop(token, None)
        if token != self._latest:
            return
        loaded, prepared = value
        for view, data in zip(self.views, prepared, strict=True):
            view.show_prepared(loaded, data)  # type: ignore[attr-defined]
        self.loading_id = ""
        self.session.show(loaded)
        self.shown.emit(loaded)

    def _on_failed(self, token: int, trial_id: str, message: str, details: str) -> None:
        self._calls.pop(token, None)
        if token != self._latest:
            return
        self.loading_id = ""
        log.error("trial %s could not be loaded: %s\n%s", trial_id, message, details)
        self.failed.emit(trial_id, message, details)


def _load_and_prepare(
    session: Session, trial_id: str, preparers: Sequence[Callable[[LoadedTrial], Any]]
) -> tuple[LoadedTrial, list[Any]]:
    loaded = session.load(trial_id)
    return loaded, [prepare(loaded) for prepare in preparers]
