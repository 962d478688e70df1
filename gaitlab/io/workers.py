"""Run file readers (C3D parsing ...) in worker processes, with limits per file.

Every reader of the registry (:mod:`gaitlab.io.readers`) runs here. ezc3d,
behind the C3D reader, is a C++ extension that can crash (segmentation
fault) or hang on a malformed file. The application must survive both, so
every parse runs in a worker process. A :class:`WorkerPool` keeps a few workers alive (start-up is
paid once), sends each a task, and waits with a deadline:

* the worker answers: its result or its exception is returned;
* the worker dies (a crash): the task fails with a :class:`C3DReadError`
  that names the signal, and a fresh worker takes the dead one's place;
* the deadline passes (a hang): the worker is killed and replaced, and the
  task fails with a :class:`C3DReadError` saying so;
* the task needs more memory than its limit: the worker's allocations fail
  (its address space is capped with ``RLIMIT_AS`` for the task), the task
  fails with a :class:`C3DReadError` saying how much it was allowed, and the
  worker is replaced.

Limits scale with the file's size and are capped (:func:`default_timeout_s`,
:func:`default_memory_limit_bytes`): a damaged file that declares gigabytes
of data, or one padded to hundreds of megabytes, is refused within seconds,
not after minutes with one worker per core swelling to the machine's memory.

Workers are started as :func:`gaitlab.core.processes.worker_context` says
(forked when the process has a single thread, else spawned) and die with
the application (:func:`gaitlab.core.processes.die_with_parent`).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gaitlab.core.errors import C3DReadError
from gaitlab.core.processes import die_with_parent, worker_context

if TYPE_CHECKING:  # the fork context does not exist on Windows
    from multiprocessing.context import ForkContext, SpawnContext

__all__ = [
    "TaskOutcome",
    "WorkerPool",
    "default_memory_limit_bytes",
    "default_timeout_s",
    "shared_pool",
]

#: Base time limit for one file, plus a per-megabyte allowance, in seconds,
#: capped. ezc3d parses about 10 MB/s here (a 2.6 MB file in 0.25 s), so
#: this is generous for real files; the cap stops a padded file from holding
#: a worker for minutes.
BASE_TIMEOUT_S = 10.0
TIMEOUT_S_PER_MB = 2.0
MAX_TIMEOUT_S = 120.0

#: Memory a reader may add to its address space for one file, in bytes:
#: ``MEMORY_PER_FILE_BYTE`` times the file's size, at least ``MEMORY_FLOOR``,
#: at most ``MEMORY_CAP`` (and at most half the machine's memory). Reading
#: a real file takes about 12 bytes of ezc3d structures per file byte, plus
#: the float64 arrays of the trial (measured: 2.6 MB files add 32 MB).
MEMORY_PER_FILE_BYTE = 40
MEMORY_FLOOR = 1_000_000_000
MEMORY_CAP = 8_000_000_000


def default_timeout_s(path: Path) -> float:
    """Time limit for parsing ``path`` in s: 10 s plus 2 s per MB, at most 120 s."""
    try:
        size_mb = path.stat().st_size / 1e6
    except OSError:
        size_mb = 0.0
    return min(MAX_TIMEOUT_S, BASE_TIMEOUT_S + TIMEOUT_S_PER_MB * size_mb)


def default_memory_limit_bytes(path: Path) -> int:
    """Memory a reader may use for ``path``, in bytes, on top of its own.

    40 bytes per byte of the file, at least 1 GB, at most 8 GB or half the
    machine's physical memory, whichever is smaller (GB = 10^9 bytes).
    """
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    cap = min(MEMORY_CAP, max(MEMORY_FLOOR, _physical_memory_bytes() // 2))
    return int(min(cap, max(MEMORY_FLOOR, MEMORY_PER_FILE_BYTE * size)))


def _physical_memory_bytes() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return MEMORY_CAP * 2


@dataclass
class TaskOutcome:
    """What became of one task.

    Attributes
    ----------
    key : Any
        The key the caller gave the task.
    value : Any
        The function's return value (None on error).
    error : Exception or None
        The exception raised, or the crash/timeout error.
    """

    key: Any
    value: Any = None
    error: Exception | None = None


class _RemoteError(Exception):
    """An exception from a worker that could not be sent back as itself."""


def _worker_main(connection: Connection) -> None:
    """Worker loop: receive a task, send back ("ok", value), ("err", exc) or ("mem", n).

    A task is ``(function, args, memory_bytes)``. While it runs, the
    worker's address space is capped at its size before the task plus
    ``memory_bytes`` (None: no cap). A task that runs out of memory is
    answered with ``("mem", memory_bytes)`` and the worker then exits: a
    process whose allocations failed half-way is not trusted with another
    file.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
    while True:
        try:
            task = connection.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        function, args, memory_bytes = task
        out_of_memory = False
        try:
            with _address_space_limit(memory_bytes):
                reply: tuple[str, Any] = ("ok", function(*args))
        except MemoryError:
            out_of_memory = True
            reply = ("mem", memory_bytes)
        except BaseException as error:
            reply = ("err", error)
        try:
            connection.send(reply)
        except Exception:
            text = (
                "".join(traceback.format_exception_only(reply[1]))
                if reply[0] == "err"
                else ""
            )
            connection.send(
                ("err", _RemoteError(text or "result could not be sent back"))
            )
        if out_of_memory:
            connection.close()
            os._exit(0)


@contextlib.contextmanager
def _address_space_limit(extra_bytes: int | None) -> Iterator[None]:
    """Cap this process's address space at its current size plus ``extra_bytes``.

    The previous limit is restored afterwards. Does nothing when
    ``extra_bytes`` is None, or where the process's size cannot be read or
    ``RLIMIT_AS`` cannot be set (Windows, macOS).
    """
    try:
        import resource
    except ImportError:  # Windows
        yield
        return
    current = _address_space_bytes()
    if extra_bytes is None or current == 0 or not hasattr(resource, "RLIMIT_AS"):
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = current + extra_bytes
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    if soft != resource.RLIM_INFINITY:
        wanted = min(wanted, soft)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    except (ValueError, OSError):
        yield
        return
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _address_space_bytes() -> int:
    """This process's virtual memory size in bytes (Linux), else 0."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class _Worker:
    def __init__(self, context: ForkContext | SpawnContext) -> None:
        parent, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child,), daemon=True)
        self.process.start()
        child.close()
        self.connection = parent
        self.task: tuple[Any, Callable[..., Any], tuple[Any, ...], str] | None = None
        self.deadline = 0.0

    def send(
        self,
        key: Any,
        function: Callable[..., Any],
        args: tuple[Any, ...],
        label: str,
        timeout_s: float,
        memory_bytes: int | None,
    ) -> None:
        self.task = (key, function, args, label)
        self.deadline = time.monotonic() + timeout_s
        self.connection.send((function, args, memory_bytes))

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.connection.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.connection.send(None)
        self.process.join(timeout=1)
        self.kill()


class WorkerPool:
    """A small pool of isolated worker processes.

    Parameters
    ----------
    n_workers : int or None
        Number of workers; None uses the number of CPUs.
    """

    def __init__(self, n_workers: int | None = None) -> None:
        self.n_workers = max(1, n_workers or os.cpu_count() or 1)
        self._context = worker_context()
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()

    # ---- Public API

    def call(
        self,
        function: Callable[..., Any],
        path: Path,
        *,
        timeout_s: float | None = None,
    ) -> Any:
        """Run ``function(path)`` in a worker and return its result.

        The time limit is ``timeout_s`` (None: :func:`default_timeout_s`);
        the memory limit is :func:`default_memory_limit_bytes`.

        Raises
        ------
        C3DReadError
            When the worker crashed or ran out of time, or what ``function``
            raised.
        """
        limit = timeout_s if timeout_s is not None else default_timeout_s(path)
        outcome = next(self.imap_unordered(function, [(path, (path,), limit)]))
        if outcome.error is not None:
            raise outcome.error
        return outcome.value

    def imap_unordered(
        self,
        function: Callable[..., Any],
        tasks: Iterable[tuple[Any, ...]],
    ) -> Iterator[TaskOutcome]:
        """Run ``function(*args)`` for each ``(key, args, timeout_s)``; yield as done.

        The key of a task is a path (used in crash and time-out messages) or
        any object whose ``str`` names the file. A task may carry a fourth
        item, its memory limit in bytes (None: none); without it, the limit
        is :func:`default_memory_limit_bytes` of the first path in ``args``,
        or none when ``args`` holds no path.
        """
        pending = list(tasks)[::-1]
        busy: list[_Worker] = []
        try:
            while pending or busy:
                while pending and len(busy) < self.n_workers:
                    key, args, timeout_s, *memory = pending.pop()
                    memory_bytes = memory[0] if memory else _memory_for(args)
                    worker = self._take()
                    worker.send(
                        key, function, args, _label(key), timeout_s, memory_bytes
                    )
                    busy.append(worker)
                ready = wait(
                    [w.connection for w in busy] + [w.process.sentinel for w in busy],
                    timeout=max(0.0, min(w.deadline for w in busy) - time.monotonic()),
                )
                for worker in list(busy):
                    outcome = self._collect(worker, ready)
                    if outcome is not None:
                        busy.remove(worker)
                        yield outcome
        finally:
            for worker in busy:  # abandoned by the caller (e.g. cancelled)
                worker.kill()

    def close(self) -> None:
        """Stop every idle worker."""
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()

    # ---- Private

    def _take(self) -> _Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.process.is_alive():
                    return worker
                worker.kill()
        return _Worker(self._context)

    def _give_back(self, worker: _Worker) -> None:
        worker.task = None
        with self._lock:
            self._idle.append(worker)

    def _collect(self, worker: _Worker, ready: list[Any]) -> TaskOutcome | None:
        assert worker.task is not None
        key, _, _, label = worker.task
        if worker.connection in ready:
            try:
                status, value = worker.connection.recv()
            except (EOFError, OSError):
                return self._crashed(worker, key, label)
            if status == "mem":
                worker.kill()
                return TaskOutcome(key, error=_out_of_memory(label, value))
            self._give_back(worker)
            if status == "ok":
                return TaskOutcome(key, value=value)
            if isinstance(value, Exception) and not isinstance(value, _RemoteError):
                return TaskOutcome(key, error=value)
            return TaskOutcome(
                key, error=C3DReadError(label, f"reader failed: {value}")
            )
        if worker.process.sentinel in ready or not worker.process.is_alive():
            return self._crashed(worker, key, label)
        if time.monotonic() >= worker.deadline:
            worker.kill()
            return TaskOutcome(
                key,
                error=C3DReadError(
                    label,
                    "the file's parser did not finish within its time limit and was "
                    "stopped (it hangs on this file, which is probably malformed)",
                ),
            )
        return None

    def _crashed(self, worker: _Worker, key: Any, label: str) -> TaskOutcome:
        worker.kill()
        code = worker.process.exitcode
        how = f"exit code {code}"
        if code is not None and code < 0:
            try:
                how = f"signal {signal.Signals(-code).name}"
            except ValueError:
                how = f"signal {-code}"
        return TaskOutcome(
            key,
            error=C3DReadError(
                label,
                f"the file's parser crashed on this file ({how}): the file is "
                "malformed or uses a layout the parser cannot handle",
            ),
        )


def _memory_for(args: tuple[Any, ...]) -> int | None:
    """The default memory limit for a task: from the first path among its args."""
    for arg in args:
        if isinstance(arg, Path):
            return default_memory_limit_bytes(arg)
    return None


def _label(key: Any) -> str:
    """The file named by a task key (a path, or an object with a ``path``)."""
    path = getattr(key, "path", None)
    return str(path if isinstance(path, (str, Path)) else key)


def _out_of_memory(label: str, memory_bytes: int) -> C3DReadError:
    return C3DReadError(
        label,
        f"reading it needs more than {memory_bytes / 1e9:.1f} GB of memory, the "
        "limit for a file of its size, and was stopped: the file declares far "
        "more data than it holds (damaged or padded?)",
    )


_SHARED: WorkerPool | None = None


def shared_pool() -> WorkerPool:
    """The process-wide pool used by :func:`gaitlab.read_c3d` (one worker)."""
    global _SHARED
    if _SHARED is None:
        _SHARED = WorkerPool(n_workers=1)
        atexit.register(_SHARED.close)
    return _SHARED
