"""The registry of trial readers: one entry per file format.

Every way of reading a file into a :class:`~gaitlab.core.trial.Trial` goes
through this registry: :func:`read_trial` (one file, isolated), the project's
import (:mod:`gaitlab.store.importing`, in parallel isolated workers) and the
command line's file check (:func:`not_readable_reason`). C3D
(:mod:`gaitlab.io.c3d`) is the first entry.

Adding a format is one new module that calls :func:`register_reader` at
import time, plus its tests, and its name in :data:`BUILTIN_READER_MODULES`
so that it is registered whenever the registry is used. The reader's
``read(path, sha256)`` runs inside an isolated worker process
(:mod:`gaitlab.io.workers`: time and memory limits, crash containment), so it
must be a module-level function (it is sent to the worker by reference).

Examples
--------
>>> from gaitlab.io.readers import formats, reader_for
>>> "c3d" in formats()
True
>>> reader_for("walk.C3D").name
'c3d'
"""

from __future__ import annotations

import functools
import hashlib
import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from gaitlab.core.errors import C3DReadError
from gaitlab.core.trial import Trial

__all__ = [
    "BUILTIN_READER_MODULES",
    "ReadFunction",
    "Reader",
    "find_readable_files",
    "formats",
    "not_readable_reason",
    "read_trial",
    "read_trial_in_process",
    "reader_for",
    "register_reader",
    "registered_readers",
    "sha256_of",
    "unregister_reader",
]

BUILTIN_READER_MODULES = ("gaitlab.io.c3d", "gaitlab.io.trc_mot")
"""Modules that register gaitlab's own readers when imported."""

ReadFunction = Callable[[Path, str], Trial]
"""``read(path, sha256) -> Trial``: parse one file, in SI units, recording
``sha256`` (hex digest of the file's bytes) in ``trial.source.sha256``."""


@dataclass(frozen=True)
class Reader:
    """One registered file format.

    Attributes
    ----------
    name : str
        The format's name, lowercase (``"c3d"``).
    suffixes : tuple of str
        File name endings it reads, lowercase with the dot (``(".c3d",)``);
        matched case-insensitively.
    read : callable
        ``read(path, sha256) -> Trial``, run in an isolated worker process.
        It raises :class:`~gaitlab.core.errors.C3DReadError` (naming the file
        and the problem) for a file it cannot read.
    rejects : callable or None
        ``rejects(path) -> str | None``: a quick look at the file (in the
        calling process, so it must not parse it) saying why it is not of
        this format, or None when it may be. None: any file with a matching
        suffix may be.
    description : str
        One line for help texts (``"C3D motion capture file"``).
    """

    name: str
    suffixes: tuple[str, ...]
    read: ReadFunction
    rejects: Callable[[Path], str | None] | None = None
    description: str = ""

    def accepts(self, path: Path) -> bool:
        """True when ``path`` ends with one of the reader's suffixes."""
        return path.name.lower().endswith(self.suffixes)


_READERS: dict[str, Reader] = {}
_COMPANIONS: dict[str, Callable[[Path], str]] = {}
_builtin_loaded = False


def register_reader(
    name: str,
    suffixes: Iterable[str],
    read: ReadFunction,
    *,
    rejects: Callable[[Path], str | None] | None = None,
    description: str = "",
) -> Reader:
    """Register (or replace) the reader of one file format.

    Parameters
    ----------
    name : str
        The format's name (stored lowercase).
    suffixes : iterable of str
        File name endings, e.g. ``[".c3d"]`` (a missing dot is added).
    read : callable
        ``read(path, sha256) -> Trial``, a module-level function.
    rejects : callable or None
        Quick check of a file, see :class:`Reader`.
    description : str
        One line for help texts.

    Returns
    -------
    reader : Reader
        The registered entry.

    Raises
    ------
    ValueError
        When no suffix is given, or a suffix is already read by another
        format.
    """
    key = name.strip().lower()
    ends = tuple(s.lower() if s.startswith(".") else f".{s.lower()}" for s in suffixes)
    if not key or not ends:
        raise ValueError(f"reader {name!r}: a name and at least one suffix are needed")
    for other in _READERS.values():
        shared = set(ends) & set(other.suffixes)
        if other.name != key and shared:
            raise ValueError(
                f"reader {key!r}: {', '.join(sorted(shared))} already read by "
                f"format {other.name!r}"
            )
    reader = Reader(key, ends, read, rejects, description)
    _READERS[key] = reader
    return reader


def register_companion(suffix: str, explain: Callable[[Path], str]) -> None:
    """Say why files ending in ``suffix`` are not trials of their own.

    A companion file (an OpenSim MOT of forces beside its TRC of markers) is
    read with the file it accompanies; given alone, it is refused with
    ``explain(path)`` instead of "no reader for this kind of file".
    """
    end = suffix.lower() if suffix.startswith(".") else f".{suffix.lower()}"
    _COMPANIONS[end] = explain


def unregister_reader(name: str) -> None:
    """Remove a format from the registry (nothing happens if it is unknown)."""
    _READERS.pop(name.strip().lower(), None)


def formats() -> tuple[str, ...]:
    """Names of the registered formats, in registration order."""
    return tuple(_registry())


def registered_readers() -> tuple[Reader, ...]:
    """The registered readers, in registration order."""
    return tuple(_registry().values())


def reader_for(path: str | Path) -> Reader:
    """The reader of a file, chosen by its name's ending.

    Raises
    ------
    C3DReadError
        When no registered format reads such files; the message names the
        formats known.
    """
    path = Path(path)
    for reader in _registry().values():
        if reader.accepts(path):
            return reader
    explain = _COMPANIONS.get(path.suffix.lower())
    if explain is not None:
        raise C3DReadError(path, explain(path))
    raise C3DReadError(path, f"no reader for this kind of file ({_known()})")


def not_readable_reason(path: str | Path) -> str | None:
    """Why no registered reader takes a file, in words, or None when one may.

    Looks at the file's name and asks the matching reader's ``rejects``
    (which reads at most a few bytes), so a text file named ``.c3d`` is
    named as what it is not before any parser sees it.

    Raises
    ------
    OSError
        When the file cannot be opened.
    """
    path = Path(path)
    try:
        reader = reader_for(path)
    except C3DReadError as error:
        return error.reason
    return reader.rejects(path) if reader.rejects is not None else None


def find_readable_files(paths: Iterable[str | Path]) -> list[Path]:
    """Files named by ``paths``: files as given, folders searched recursively.

    In a folder, every file a registered reader takes by its name ending
    (case-insensitive: ``.c3d`` and ``.C3D``) is found. The result is sorted
    within each folder and free of duplicates (two paths to one file count
    once). Paths are absolute but keep the symbolic links the user went
    through, so messages name the path the user gave.
    """
    readers = list(_registry().values())
    found: list[Path] = []
    for entry in paths:
        path = Path(entry).expanduser()
        if path.is_dir():
            found.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if any(r.accepts(p) for r in readers) and p.is_file()
                )
            )
        else:
            found.append(path)
    unique: dict[Path, Path] = {}
    for p in found:  # one entry per file, named as the user reached it
        unique.setdefault(p.resolve(), p.absolute())
    return list(unique.values())


def read_trial(path: str | Path, *, timeout_s: float | None = None) -> Trial:
    """Read a file of any registered format, safely, into a trial.

    The reader runs in a worker process with time and memory limits
    (:class:`gaitlab.io.workers.WorkerPool`), so a file that crashes or
    hangs it becomes a :class:`C3DReadError` instead of taking the caller
    down.

    Parameters
    ----------
    path : str or Path
        The file.
    timeout_s : float or None
        Time limit in seconds; None scales it with the file size.

    Raises
    ------
    C3DReadError
        Naming the file and what is wrong with it (also for a format no
        reader takes).
    """
    from gaitlab.io.workers import shared_pool

    reader = reader_for(path)
    read = functools.partial(read_trial_in_process, read=reader.read)
    trial: Trial = shared_pool().call(read, Path(path), timeout_s=timeout_s)
    return trial


def read_trial_in_process(
    path: str | Path, *, read: ReadFunction | None = None
) -> Trial:
    """Read a file in the calling process (no isolation).

    Use :func:`read_trial` unless the caller is itself an isolated worker.

    Parameters
    ----------
    path : str or Path
        The file.
    read : callable or None
        The reader's function; None looks it up by the file's name.
    """
    path = Path(path).resolve()
    if path.is_dir():
        raise C3DReadError(path, "this is a folder, not a file")
    if not path.is_file():
        raise C3DReadError(path, "no such file")
    if read is None:
        read = reader_for(path).read
    return read(path, sha256_of(path))


def sha256_of(path: Path) -> str:
    """SHA-256 of a file's bytes, as hex."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _registry() -> dict[str, Reader]:
    """The registered readers, gaitlab's own registered first on first use."""
    global _builtin_loaded
    if not _builtin_loaded:
        _builtin_loaded = True
        for module in BUILTIN_READER_MODULES:
            importlib.import_module(module)
    return _READERS


def _known() -> str:
    return "known formats: " + ", ".join(
        f"{r.name} ({', '.join(r.suffixes)})" for r in _READERS.values()
    )
