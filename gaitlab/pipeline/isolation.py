"""Plugin code runs in contained child processes: limits, no write access, no pickle.

Analysis plugins and user plugin modules are third-party Python. Whatever
one does, it must not corrupt a project, reach outside it, or stop the tool.
Every call of plugin code (importing a user plugin module, analysing a
trial) therefore happens in a child process started by :class:`Child`,
which before running anything:

* dies with its parent (Linux ``PR_SET_PDEATHSIG``), and leads its own
  process group, so the parent can end whatever the plugin started;
* has an address-space limit (``RLIMIT_AS``, ``Limits.memory_mb`` above what
  the process already uses): a huge allocation fails with ``MemoryError``;
* writes no core dumps (``RLIMIT_CORE`` 0);
* on Linux 5.13+ (Landlock), may create, change or delete files only in its
  own scratch folder (also its ``TMPDIR``), deleted when it ends, and, where
  the kernel supports it, opens no TCP connection and sends no signal
  outside itself.

The child only *sends* plain data (:func:`send`); the parent reads it with a
restricted unpickler (:func:`loads`) that builds nothing but gaitlab's
packed results (:class:`~gaitlab.core.packed.PackedResult`), numpy arrays
and Python's basic types, so a hostile child
cannot run code in the parent through the pipe. The parent watches each
child with a deadline, kills it on time-out, and describes an abnormal end
(:func:`exit_reason`).

On Linux, children are forked when the parent has a single thread (fast:
the modules are already imported), otherwise (e.g. under the Qt GUI) forked
by a fork server (:func:`child_context`); elsewhere they are spawned. A
batch forks its children from a :class:`Zygote`, a copy of the parent
forked once, so the parent, which stores every result, shares no memory
with the running children.
"""

from __future__ import annotations

import contextlib
import ctypes
import faulthandler
import functools
import io
import logging
import multiprocessing
import os
import pickle
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing import reduction, util
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gaitlab.core.processes import chosen_start_method, die_with_parent

if sys.platform != "win32":
    import fcntl
    import resource

if TYPE_CHECKING:  # the fork contexts do not exist on Windows
    from multiprocessing.context import ForkContext, ForkServerContext, SpawnContext

__all__ = [
    "DEFAULT_MEMORY_LIMIT_MB",
    "DEFAULT_TIME_LIMIT_S",
    "Child",
    "Limits",
    "Zygote",
    "child_context",
    "exit_reason",
    "loads",
    "send",
    "zygote_available",
]

log = logging.getLogger(__name__)

#: Time one plugin may take on one trial, in seconds (the built-in plugins
#: take well under a second on a 30 s trial, a few seconds on 10 minutes).
DEFAULT_TIME_LIMIT_S = 120.0
#: Memory a child may add to what it holds when it starts, in MiB.
DEFAULT_MEMORY_LIMIT_MB = 4096.0


@dataclass(frozen=True)
class Limits:
    """Limits on plugin code.

    Attributes
    ----------
    time_s : float
        Time one plugin may take on one trial (s); when it runs out the
        plugin fails on that trial and the run goes on.
    memory_mb : float
        Address space (MiB) the child running plugins may add to what it
        holds when it starts (``RLIMIT_AS``); beyond it allocations fail.
    """

    time_s: float = DEFAULT_TIME_LIMIT_S
    memory_mb: float = DEFAULT_MEMORY_LIMIT_MB

    def __post_init__(self) -> None:
        for name in ("time_s", "memory_mb"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and value > 0):
                raise ValueError(f"plugin limit {name} must be a positive number")


class Child:
    """One contained child process running ``target(*args)``.

    ``target`` runs in the child after the containment above; it talks to
    the parent with :func:`send` on the connection passed as its first
    argument. The parent reads messages from :attr:`connection` with
    :func:`loads`. The child is forked by this process, or by a
    :class:`Zygote` when one is given.

    Parameters
    ----------
    target : callable
        ``target(connection, *args)``; a module-level function (picklable
        for ``spawn``).
    args : tuple
        Its other arguments (picklable for ``spawn``).
    limits : Limits
        The memory limit applies to the whole child.
    protect : tuple of Path
        Folders (a project) whose files the child must not reach through a
        descriptor inherited from the parent (the writer lock ...): the
        child closes such descriptors before running ``target``.
    zygote : Zygote or None
        Have it fork the child (``target`` and ``args`` are then pickled,
        its shared objects by reference).
    """

    def __init__(
        self,
        target: Callable[..., Any],
        args: tuple[Any, ...],
        limits: Limits,
        protect: tuple[Path, ...] = (),
        zygote: Zygote | None = None,
    ) -> None:
        context = child_context()
        forked = context.get_start_method() == "fork"
        _remove_orphaned_scratch()
        self.scratch = Path(tempfile.mkdtemp(prefix=f"gaitlab-plugin-{os.getpid()}-"))
        receiver, sender = context.Pipe(duplex=False)
        _widen_pipe(sender)
        child_args = (
            target,
            args,
            limits.memory_mb,
            str(self.scratch),
            tuple(str(Path(p).resolve()) for p in protect),
            None if forked else dict(os.environ),
        )
        self.process: BaseProcess | None = None
        self._exit_code: int | None = None
        started = zygote.start(child_args, sender) if zygote is not None else None
        self._zygote = zygote if started is not None else None
        if started is not None:
            self.pid, self._pidfd = started
        else:  # forked here (also when the zygote is gone)
            self.process = context.Process(
                target=_child_main, args=(sender, *child_args), daemon=True
            )
            self.process.start()
            assert self.process.pid is not None
            self.pid = self.process.pid
        sender.close()
        self.connection: Connection = receiver
        self.max_message = int(limits.memory_mb * 2**20)

    @property
    def sentinel(self) -> int:
        """Becomes ready when the child has ended."""
        if self.process is None:
            return self._pidfd
        return self.process.sentinel

    def is_alive(self) -> bool:
        """Whether the child is still running."""
        if self.process is None:
            return self._pidfd >= 0 and not wait([self._pidfd], 0)
        return self.process.is_alive()

    def receive(self) -> Any:
        """The next message (EOFError when the pipe is closed; OSError if huge)."""
        return loads(self.connection.recv_bytes(self.max_message))

    def kill(self) -> None:
        """End the child and everything it started; remove its scratch folder."""
        if self.pid is not None and hasattr(os, "killpg"):
            with contextlib.suppress(OSError):
                os.killpg(self.pid, signal.SIGKILL)
        if self.process is None:
            if self._pidfd >= 0:
                with contextlib.suppress(OSError):
                    signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
            self._reap()
        else:
            if self.process.is_alive():
                self.process.kill()
            self.process.join(timeout=5)
        self.connection.close()
        shutil.rmtree(self.scratch, ignore_errors=True)

    def exit_reason(self) -> str:
        """How the child ended, in words (call after it ended)."""
        if self.process is None:
            self._reap()
            return exit_reason(self._exit_code)
        self.process.join(timeout=5)
        return exit_reason(self.process.exitcode)

    def _reap(self) -> None:
        """Have the zygote collect the ended child's exit status (once)."""
        if self._zygote is None or self._pidfd < 0:
            return
        os.close(self._pidfd)
        self._pidfd = -1
        self._exit_code = self._zygote.reap(self.pid)


class Zygote:
    """A copy of this process, forked once, that forks the contained children.

    A child forked by the process that stores the results shares its memory
    copy-on-write: while children run, every page that process writes is
    copied first. In a batch on two cores the writer then spends about 2.5
    times the CPU on storing a trial's results, plus 2 to 3 ms on each fork,
    and the writer is the one process every trial passes through. The
    zygote, forked before the batch starts, does nothing but fork children
    (it writes no page), so the writer's pages are shared with it alone and
    copied at most once.

    Used as a context manager (the zygote ends on exit, killing any child
    it still has). Available on Linux with ``pidfd_open`` (5.3 and later),
    for a process that forks its children (:func:`zygote_available`): the
    parent watches each child through a pidfd, the zygote collects its exit
    status.

    Parameters
    ----------
    shared : tuple
        Objects the children's arguments may hold (a project, a plan): sent
        by reference to the zygote's copies, not pickled.
    protect : tuple of Path
        As for :class:`Child`: the zygote closes its descriptors into these
        folders first (it must not keep the project's writer lock).
    """

    def __init__(self, shared: tuple[Any, ...] = (), protect: tuple[Path, ...] = ()):
        context = multiprocessing.get_context("fork")
        ours, theirs = context.Pipe(duplex=True)
        self._shared_ids = {id(obj): index for index, obj in enumerate(shared)}
        self._process = context.Process(
            target=_zygote_main,
            args=(
                theirs,
                ours,
                shared,
                tuple(str(Path(p).resolve()) for p in protect),
            ),
            name="gaitlab-zygote",
        )
        self._process.start()
        theirs.close()
        self._connection = ours
        self._gone = False
        # ends it at exit before multiprocessing waits for its children
        self._finalizer = util.Finalize(
            self, Zygote._end, (ours, self._process), exitpriority=10
        )

    def __enter__(self) -> Zygote:
        return self

    def __exit__(self, *exc: object) -> None:
        self._finalizer()

    def start(
        self, child_args: tuple[Any, ...], sender: Connection
    ) -> tuple[int, int] | None:
        """Fork a child running ``_child_main(sender, *child_args)``.

        Returns
        -------
        (pid, pidfd) or None
            The child's process id, and a descriptor that becomes readable
            when it ends; None when the zygote is gone (killed by a plugin
            on a system where the sandbox cannot stop that): the caller then
            forks the child itself.
        """
        if self._gone:
            return None
        buffer = io.BytesIO()
        _SharedPickler(buffer, self._shared_ids).dump(("fork", child_args))
        try:
            self._connection.send_bytes(buffer.getvalue())
            reduction.send_handle(self._connection, sender.fileno(), self._process.pid)
            pid = int(self._connection.recv())
            return pid, os.pidfd_open(pid)
        except (OSError, EOFError) as error:
            log.warning("the zygote process is gone (%s): children are forked", error)
            self._gone = True
            return None

    def reap(self, pid: int) -> int | None:
        """Wait for an ended (or killed) child of the zygote; its exit code
        (None when unknown: the zygote is gone)."""
        if self._gone:
            return None
        try:
            self._connection.send_bytes(pickle.dumps(("reap", pid)))
            code = self._connection.recv()
        except (OSError, EOFError):
            self._gone = True
            return None
        return None if code is None else int(code)

    @staticmethod
    def _end(connection: Connection, process: BaseProcess) -> None:
        connection.close()  # the zygote reads the end of its requests, and ends
        process.join(timeout=5)
        if process.is_alive():
            process.kill()
            process.join(timeout=5)


def zygote_available() -> bool:
    """Whether this process can have its children forked by a :class:`Zygote`:
    it forks them (it has one thread) and the system has ``pidfd_open``."""
    return child_context().get_start_method() == "fork" and _has_pidfd()


@functools.cache
def _has_pidfd() -> bool:
    if not hasattr(os, "pidfd_open"):
        return False
    try:
        os.close(os.pidfd_open(os.getpid()))
    except OSError:  # a kernel before 5.3, or a sandbox refusing the call
        return False
    return True


class _SharedPickler(pickle.Pickler):
    """Pickles the zygote's shared objects as their index."""

    def __init__(self, file: io.BytesIO, shared_ids: dict[int, int]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._shared_ids = shared_ids

    def persistent_id(self, obj: Any) -> int | None:
        return self._shared_ids.get(id(obj))


class _SharedUnpickler(pickle.Unpickler):
    def __init__(self, data: bytes, shared: tuple[Any, ...]) -> None:
        super().__init__(io.BytesIO(data))
        self._shared = shared

    def persistent_load(self, pid: Any) -> Any:
        return self._shared[pid]


def _zygote_main(
    connection: Connection,
    parent_end: Connection,
    shared: tuple[Any, ...],
    protect: tuple[str, ...],
) -> None:
    """The zygote: fork a child per request until the parent closes the pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
    parent_end.close()  # else the parent closing its end would not end this loop
    _close_descriptors_into(protect)
    context = multiprocessing.get_context("fork")
    children: dict[int, Any] = {}
    try:
        while True:
            try:
                request = _SharedUnpickler(connection.recv_bytes(), shared).load()
            except EOFError:
                return
            if request[0] == "fork":
                sender = Connection(reduction.recv_handle(connection), readable=False)
                child = context.Process(
                    target=_zygote_child,
                    args=(connection, sender, *request[1]),
                    daemon=True,
                )
                child.start()
                sender.close()
                assert child.pid is not None
                children[child.pid] = child
                connection.send(child.pid)
            else:  # "reap"
                ended = children.pop(request[1], None)
                if ended is not None:
                    ended.join(timeout=5)
                connection.send(None if ended is None else ended.exitcode)
    finally:
        for child in children.values():
            child.kill()


def _zygote_child(zygote_end: Connection, *args: Any) -> None:
    """A child of the zygote: first give up the zygote's pipe (plugin code
    must not send the zygote requests), then as :func:`_child_main`."""
    zygote_end.close()
    _child_main(*args)


#: Bytes a child can send before the parent reads them (Linux pipe capacity,
#: at most /proc/sys/fs/pipe-max-size, 1 MiB by default): a 30 s trial's
#: results then fit, so a child goes on with its next plugin while the parent
#: stores another trial's results instead of waiting for it to read.
PIPE_BYTES = 2**20


def _widen_pipe(connection: Connection) -> None:
    """Give the pipe under ``connection`` :data:`PIPE_BYTES` of room (best effort)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError):  # above the system's limit: as it was
        fcntl.fcntl(connection.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)


#: Modules a fork server imports once for all its children.
_SERVER_PRELOAD = [
    "gaitlab.pipeline._forkserver_setup",
    "gaitlab.pipeline.runner",
    "scipy.signal",
    "scipy.ndimage",
    "scipy.interpolate",
]


def child_context() -> ForkContext | ForkServerContext | SpawnContext:
    """How children start: forked, or from a fork server, or spawned.

    On Linux a single-threaded parent forks (fastest). A threaded one (the
    GUI) must not fork itself: a fork server (started once, with gaitlab and
    scipy imported) forks the children, so a child does not pay the second
    or so of imports that ``spawn`` costs. Elsewhere children are spawned.
    ``GAITLAB_START_METHOD`` (:data:`~gaitlab.core.processes.START_METHOD_VARIABLE`)
    overrides the choice.
    """
    chosen = chosen_start_method()
    if chosen == "fork":
        return multiprocessing.get_context("fork")
    if chosen == "spawn" or not sys.platform.startswith("linux"):
        return multiprocessing.get_context("spawn")
    if threading.active_count() == 1 and chosen is None:
        return multiprocessing.get_context("fork")
    server = multiprocessing.get_context("forkserver")
    server.set_forkserver_preload(_SERVER_PRELOAD)
    return server


@functools.cache
def _remove_orphaned_scratch() -> None:
    """Remove scratch folders left by a gaitlab that was killed (once a process)."""
    for folder in Path(tempfile.gettempdir()).glob("gaitlab-plugin-*-*"):
        try:
            os.kill(int(folder.name.split("-")[2]), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (ValueError, IndexError, OSError):
            continue


def exit_reason(code: int | None) -> str:
    """``"exit code 3"``, ``"signal SIGSEGV"`` or ``"no exit status"``."""
    if code is None:
        return "no exit status"
    if code >= 0:
        return f"exit code {code}"
    try:
        return f"signal {signal.Signals(-code).name}"
    except ValueError:
        return f"signal {-code}"


def send(connection: Connection, message: Any) -> None:
    """Send a message to the parent (child side)."""
    connection.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))


_ALLOWED_GLOBALS = {
    ("gaitlab.core.packed", "PackedResult"),
    ("numpy", "dtype"),
    ("numpy", "ndarray"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
}


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(
                f"a plugin process sent a {module}.{name}, which is not accepted"
            )
        return super().find_class(module, name)


def loads(data: bytes) -> Any:
    """Unpickle a child's message, refusing every type but results and arrays."""
    return _RestrictedUnpickler(io.BytesIO(data)).load()


# ---------------------------------------------------------------- the child


def _child_main(
    connection: Connection,
    target: Callable[..., Any],
    args: tuple[Any, ...],
    memory_mb: float,
    scratch: str,
    protect: tuple[str, ...],
    environment: dict[str, str] | None,
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if environment is not None:  # a fork server's children have its old one
        os.environ.clear()
        os.environ.update(environment)
    faulthandler.disable()  # a crash is reported by the parent, once
    die_with_parent()
    os.environ["TMPDIR"] = scratch
    tempfile.tempdir = scratch
    if sys.platform != "win32":
        os.setpgid(0, 0)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    _limit_memory(memory_mb)
    _close_descriptors_into(protect)
    try:
        _forbid_writes(Path(scratch))
    except OSError as error:  # best effort, as documented
        log.warning("plugin file writes are not restricted: %s", error)
    target(connection, *args)
    connection.close()


def _close_descriptors_into(folders: tuple[str, ...]) -> None:
    """Close inherited descriptors of files inside ``folders`` (Linux).

    Closing this process's copy leaves the parent's open file and its lock
    untouched.
    """
    if not folders or not sys.platform.startswith("linux"):
        return
    for link in list(Path("/proc/self/fd").iterdir()):
        try:
            target = str(link.readlink())
        except OSError:
            continue
        if any(target == f or target.startswith(f + os.sep) for f in folders):
            with contextlib.suppress(OSError):
                os.close(int(link.name))


def _limit_memory(memory_mb: float) -> None:
    """Cap the address space at what the process uses now plus ``memory_mb``."""
    if not sys.platform.startswith("linux"):
        return
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return
    limit = pages * os.sysconf("SC_PAGE_SIZE") + int(memory_mb * 2**20)
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


# Landlock (Linux 5.13+): see linux/landlock.h.
_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446
_PR_SET_NO_NEW_PRIVS = 38
_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_FS_WRITE_FILE = 1 << 1
_FS_WRITES_V1 = (
    _FS_WRITE_FILE
    | (1 << 4)  # REMOVE_DIR
    | (1 << 5)  # REMOVE_FILE
    | (1 << 6)  # MAKE_CHAR
    | (1 << 7)  # MAKE_DIR
    | (1 << 8)  # MAKE_REG
    | (1 << 9)  # MAKE_SOCK
    | (1 << 10)  # MAKE_FIFO
    | (1 << 11)  # MAKE_BLOCK
    | (1 << 12)  # MAKE_SYM
)
_FS_REFER = 1 << 13  # ABI 2
_FS_TRUNCATE = 1 << 14  # ABI 3
_NET_TCP = (1 << 0) | (1 << 1)  # ABI 4: bind, connect
_SCOPE_ALL = (1 << 0) | (1 << 1)  # ABI 6: abstract unix sockets, signals


class _RulesetAttr(ctypes.Structure):
    _fields_ = (
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    )


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = (("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32))


def landlock_abi() -> int:
    """The kernel's Landlock ABI version (0: not available)."""
    if not sys.platform.startswith("linux"):
        return 0
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        version = libc.syscall(_SYS_CREATE_RULESET, None, 0, _RULESET_VERSION)
    except (OSError, AttributeError):
        return 0
    return max(int(version), 0)


def _forbid_writes(scratch: Path) -> None:
    """Allow file changes only beneath ``scratch`` and to /dev/null (Landlock).

    Best effort: without Landlock (older kernels, other systems) nothing is
    restricted here and the protection rests on the child holding no
    project and the parent writing every result.
    """
    abi = landlock_abi()
    if abi < 1:
        log.debug("Landlock not available: plugin file writes are not restricted")
        return
    writes = _FS_WRITES_V1 | (_FS_REFER if abi >= 2 else 0)
    file_writes = _FS_WRITE_FILE
    if abi >= 3:
        writes |= _FS_TRUNCATE
        file_writes |= _FS_TRUNCATE
    attr = _RulesetAttr(
        writes, _NET_TCP if abi >= 4 else 0, _SCOPE_ALL if abi >= 6 else 0
    )
    size = ctypes.sizeof(ctypes.c_uint64) * (3 if abi >= 6 else 2 if abi >= 4 else 1)
    libc = ctypes.CDLL(None, use_errno=True)
    ruleset = libc.syscall(_SYS_CREATE_RULESET, ctypes.byref(attr), size, 0)
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    try:
        for path, allowed in ((scratch, writes), (Path("/dev/null"), file_writes)):
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            try:
                rule = _PathBeneathAttr(allowed, fd)
                if libc.syscall(
                    _SYS_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(rule), 0
                ):
                    raise OSError(
                        ctypes.get_errno(), f"landlock_add_rule {path} failed"
                    )
            finally:
                os.close(fd)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0):
            raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS failed")
        if libc.syscall(_SYS_RESTRICT_SELF, ruleset, 0):
            raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    finally:
        os.close(ruleset)
