"""The writer lock of a project folder.

Every change to a project takes its writer lock, an OS lock (``flock``) on
the project folder itself that the OS releases when the holder dies and that
deleting ``project.lock`` cannot break; a second writer gets a clear
:class:`~gaitlab.core.errors.ProjectLockedError` naming the process that
holds it. The lock is re-entrant within a process, and a forked child drops
the handles it inherited. Reading needs no lock.
"""

from __future__ import annotations

import os
import re
import sys
import time
from contextlib import suppress
from pathlib import Path
from typing import Any, ClassVar

from gaitlab.core.errors import ProjectError, ProjectLockedError
from gaitlab.store.schema import LOCK_FILE

__all__ = [
    "ProjectLock",
    "held_lock",
    "holds_writer_lock",
    "lock_owner",
    "remove_temporaries_if_idle",
    "temporaries",
]

_LOCK_PATIENCE_S = 0.5
"""How long a writer retries a held lock before refusing (a reader tidying up
temporaries holds it for a moment)."""

_OWNER = re.compile(r"pid (\d+)")


class ProjectLock:
    """Exclusive writer lock of a project folder, re-entrant within a process.

    On POSIX systems the lock is ``flock`` on the project folder itself: the
    OS releases it when the holder dies, and deleting or replacing
    ``project.lock`` cannot let a second writer in (the folder cannot be
    deleted while it holds the project). ``project.lock`` only names the
    holder (``pid N``) for messages. On Windows, where a folder cannot be
    opened, the lock is ``msvcrt.locking`` on ``project.lock``, which Windows
    does not let anyone delete while it is open.

    Taking the lock removes the temporaries (``*.tmp``) a killed writer left.
    """

    _held: ClassVar[dict[Path, ProjectLock]] = {}

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / LOCK_FILE
        self.key = folder.resolve()
        self.handle: int | None = None
        self.depth = 0
        self.pid = os.getpid()
        self.index_written = False

    def __enter__(self) -> ProjectLock:
        held = ProjectLock._held.get(self.key)
        if held is not None:  # re-entrant within this process
            held.depth += 1
            return held
        try:
            handle = _open_lock_target(self.folder)
        except OSError as error:
            raise ProjectError(
                f"{self.folder}: cannot be locked for writing "
                f"({error.strerror or error}); a read-only project can be read "
                "but not changed"
            ) from None
        if not _acquire(handle, patience_s=_LOCK_PATIENCE_S):
            os.close(handle)
            owner = lock_owner(self.folder)
            raise ProjectLockedError(
                f"{self.folder}: the project is being written by "
                f"{f'pid {owner}' if owner else 'another process'}; wait for it "
                "to finish, then try again"
            )
        try:
            _write_owner(self.path, handle, f"pid {os.getpid()}")
        except OSError as error:
            _release(handle)
            raise ProjectError(
                f"{self.folder}: cannot be written ({error.strerror or error}); a "
                "read-only project can be read but not changed"
            ) from None
        self.handle, self.depth = handle, 1
        ProjectLock._held[self.key] = self
        _remove_temporaries(self.folder)
        return self

    def __exit__(self, *exc: Any) -> None:
        lock = ProjectLock._held.get(self.key, self)
        lock.depth -= 1
        if lock.depth > 0 or lock.handle is None:
            return
        ProjectLock._held.pop(self.key, None)
        with suppress(OSError):  # the folder became read-only; the lock goes anyway
            _write_owner(lock.path, lock.handle, "")
        _release(lock.handle)
        lock.handle = None


def lock_owner(folder: Path) -> int | None:
    """The process id named in ``project.lock`` (None when none is named)."""
    try:
        match = _OWNER.search((folder / LOCK_FILE).read_text(errors="replace")[:100])
    except OSError:
        return None
    return int(match.group(1)) if match else None


def holds_writer_lock(folder: Path) -> bool:
    """True when this process holds the writer lock of ``folder``."""
    lock = ProjectLock._held.get(Path(folder).resolve())
    return lock is not None and lock.pid == os.getpid()


def _forget_inherited_locks() -> None:
    """In a forked child: drop the parent's lock handles (the parent keeps its
    lock; the child neither holds it nor keeps it alive after the parent dies)."""
    for lock in ProjectLock._held.values():
        if lock.handle is not None:
            with suppress(OSError):
                os.close(lock.handle)
    ProjectLock._held.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_inherited_locks)


def _acquire(handle: int, *, patience_s: float) -> bool:
    deadline = time.monotonic() + patience_s
    while not _try_lock(handle, exclusive=True):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def held_lock(folder: Path) -> ProjectLock | None:
    """The writer lock of ``folder`` this process holds, or None."""
    return ProjectLock._held.get(Path(folder).resolve())


def _release(handle: int) -> None:
    try:
        _unlock(handle)
    finally:
        os.close(handle)


def temporaries(folder: Path) -> list[Path]:
    """Temporary files (``*.tmp``) in a project folder and its sub-folders."""
    found = [p for p in folder.glob("*.tmp") if p.is_file()]
    for sub in ("trials", "events", "results"):
        found.extend((folder / sub).glob("*.tmp"))
    return found


def _remove_temporaries(folder: Path) -> None:
    """Remove what killed writers left (called holding the lock or its probe)."""
    for tmp in temporaries(folder):
        with suppress(OSError):  # a read-only folder: nothing to tidy
            tmp.unlink(missing_ok=True)


def remove_temporaries_if_idle(folder: Path) -> None:
    """A reader tidies temporaries only while no writer holds the lock.

    It holds a shared lock meanwhile, so no writer starts during the tidying;
    it writes nothing when there is nothing to tidy (a read-only project).
    """
    if holds_writer_lock(folder) or not temporaries(folder):
        return
    try:
        handle = _open_lock_target(folder, create=False)
    except OSError:
        return
    try:
        if _try_lock(handle, exclusive=False):
            _remove_temporaries(folder)
            _unlock(handle)
    finally:
        os.close(handle)


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _open_lock_target(folder: Path, *, create: bool = True) -> int:
        flags = os.O_RDWR | (os.O_CREAT if create else 0)
        return os.open(folder / LOCK_FILE, flags | getattr(os, "O_BINARY", 0))

    def _write_owner(path: Path, handle: int, text: str) -> None:
        os.lseek(handle, 16, os.SEEK_SET)  # byte 0 is the lock byte
        os.ftruncate(handle, 16)
        os.write(handle, text.encode())

    def _try_lock(handle: int, *, exclusive: bool) -> bool:
        try:
            os.lseek(handle, 0, os.SEEK_SET)
            msvcrt.locking(handle, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False

    def _unlock(handle: int) -> None:
        os.lseek(handle, 0, os.SEEK_SET)
        msvcrt.locking(handle, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _open_lock_target(folder: Path, *, create: bool = True) -> int:
        return os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))

    def _write_owner(path: Path, handle: int, text: str) -> None:
        path.write_text(text)

    def _try_lock(handle: int, *, exclusive: bool) -> bool:
        try:
            fcntl.flock(
                handle, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
            )
            return True
        except OSError:
            return False

    def _unlock(handle: int) -> None:
        fcntl.flock(handle, fcntl.LOCK_UN)
