"""The project store: a folder of HDF5 files (see :mod:`gaitlab.store.schema`).

:class:`Project` is the only way to read and change a project. Reading needs
no lock; every change takes the project's writer lock, so two processes never
write the same project at once, and a second writer gets a clear
:class:`ProjectLockedError` naming the process that holds it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import h5py

from gaitlab._version import __version__
from gaitlab.core.errors import (
    C3DReadError,
    FormatVersionError,
    ProjectError,
    ProjectLockedError,
)
from gaitlab.core.results import Result
from gaitlab.core.trial import Event, Subject, Trial
from gaitlab.store._resultfile import read_results_file, write_results_file
from gaitlab.store._trialfile import (
    atomic_h5,
    read_events_file,
    read_trial_attrs,
    read_trial_file,
    write_events_file,
    write_trial_file,
)
from gaitlab.store.schema import FORMAT_VERSION, PROJECT_FORMAT_NAME

__all__ = [
    "ImportEvent",
    "Project",
    "TrialRecord",
    "create_project",
    "find_c3d_files",
    "open_project",
    "slugify",
]

_INDEX = "project.h5"
_LOCK = "project.lock"

STATIC_TRIAL_PATTERN = re.compile(r"static|standing|stand|neutral|calib", re.IGNORECASE)
"""Trial labels that mark a static (standing) trial."""


@dataclass(frozen=True)
class TrialRecord:
    """One trial in the project index.

    Attributes
    ----------
    trial_id : str
        Slug, unique in the project (also the trial file's name).
    subject_id, session, condition : str
        Grouping.
    label : str
        Display name (the C3D file's stem).
    source_path : str
        Absolute path of the C3D file at import.
    source_sha256 : str
        SHA-256 of the C3D file.
    imported_utc : str
        ISO 8601 time of import.
    warnings : tuple of str
        Problems found in the file at import.
    """

    trial_id: str
    subject_id: str
    session: str
    condition: str
    label: str
    source_path: str
    source_sha256: str
    imported_utc: str
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportEvent:
    """Progress of :meth:`Project.import_files`, one per file plus start and end.

    Attributes
    ----------
    kind : str
        ``"started"``, ``"imported"``, ``"updated"`` (same path, new content),
        ``"skipped"`` (unchanged file already in the project), ``"refused"``
        (unreadable file) or ``"finished"``.
    path : str
        The C3D file ("" for started/finished).
    done, total : int
        Files handled so far, and in all.
    trial_id : str
        The trial created or matched ("" if refused).
    message : str
        The reason for a skip or refusal, or the warnings of an import.
    warnings : tuple of str
        Problems found in an imported file.
    """

    kind: str
    path: str = ""
    done: int = 0
    total: int = 0
    trial_id: str = ""
    message: str = ""
    warnings: tuple[str, ...] = ()


@dataclass
class _ImportJob:
    path: Path
    sha256: str
    trial_id: str
    subject_id: str
    session: str
    condition: str
    replaces: bool = False
    imported_utc: str = field(default_factory=lambda: _now())


def slugify(text: str, fallback: str = "item") -> str:
    """A lowercase identifier of ``[a-z0-9_-]``.

    Examples
    --------
    >>> slugify("RBDS001 run T25.c3d")
    'rbds001-run-t25-c3d'
    """
    slug = re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-")
    return slug or fallback


def find_c3d_files(paths: Iterable[str | Path]) -> list[Path]:
    """C3D files named by ``paths``: files as given, folders searched recursively.

    The extension test is case-insensitive (``.c3d`` and ``.C3D``); the result
    is sorted within each folder and free of duplicates.
    """
    found: list[Path] = []
    for entry in paths:
        path = Path(entry).expanduser()
        if path.is_dir():
            found.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.suffix.lower() == ".c3d" and p.is_file()
                )
            )
        else:
            found.append(path)
    unique = dict.fromkeys(p.resolve() for p in found)
    return list(unique)


def create_project(path: str | Path) -> Project:
    """Create an empty project folder and open it.

    Parameters
    ----------
    path : str or Path
        Folder to create; it must not exist or be empty.

    Returns
    -------
    project : Project
        The new project.

    Examples
    --------
    >>> project = gaitlab.create_project(tmp_path / "study.gaitlab")  # doctest: +SKIP
    """
    folder = Path(path)
    if folder.exists() and any(folder.iterdir()):
        raise ProjectError(f"{folder}: exists and is not empty; choose a new folder")
    for sub in ("trials", "events"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    project = Project.__new__(Project)
    project._init(folder)
    project.project_id = uuid.uuid4().hex
    project.created_utc = _now()
    with project._writer_lock():
        project._write_index()
    return project


def open_project(path: str | Path) -> Project:
    """Open an existing project folder.

    Raises
    ------
    ProjectError
        When the folder is not a gaitlab project.
    FormatVersionError
        When it was written by a newer gaitlab.
    """
    return Project(path)


class Project:
    """A gaitlab project folder.

    Parameters
    ----------
    path : str or Path
        The project folder.

    Examples
    --------
    >>> project = gaitlab.open_project("study.gaitlab")  # doctest: +SKIP
    >>> for event in project.import_files(["captures/"]):  # doctest: +SKIP
    ...     print(event.kind, event.path, event.message)
    >>> trial = project.load_trial(project.trial_ids[0])  # doctest: +SKIP
    """

    def __init__(self, path: str | Path) -> None:
        self._init(Path(path))
        self.reload()

    def _init(self, folder: Path) -> None:
        self.path = folder
        self.project_id = ""
        self.created_utc = ""
        self._trials: dict[str, TrialRecord] = {}
        self._subjects: dict[str, Subject] = {}
        self._settings: dict[str, Any] = {}
        self.problems: list[str] = []

    # ---- Public API: reading

    @property
    def trial_ids(self) -> list[str]:
        """Identifiers of the project's trials, in import order."""
        return list(self._trials)

    @property
    def trials(self) -> list[TrialRecord]:
        """Index records of the project's trials, in import order."""
        return list(self._trials.values())

    @property
    def subjects(self) -> dict[str, Subject]:
        """The project's subjects by id."""
        return dict(self._subjects)

    def record(self, trial_id: str) -> TrialRecord:
        """The index record of one trial."""
        try:
            return self._trials[trial_id]
        except KeyError:
            raise KeyError(f"no trial {trial_id!r} in project {self.path}") from None

    def load_trial(self, trial_id: str, *, c3d_parameters: bool = False) -> Trial:
        """Load a trial's data, with its current events and project subject.

        Parameters
        ----------
        trial_id : str
            The trial.
        c3d_parameters : bool
            Also load the C3D parameter tree (JSON) into ``meta``.

        Returns
        -------
        trial : Trial
            Arrays in SI units. Events are the edited ones if the events were
            changed after import; ``subject`` is the project's subject record.
        """
        record = self.record(trial_id)
        trial = read_trial_file(
            self._trial_path(trial_id), c3d_parameters=c3d_parameters
        )
        events_path = self._events_path(trial_id)
        if events_path.exists():
            trial.events = tuple(read_events_file(events_path))
        trial.subject = self._subjects.get(record.subject_id, trial.subject)
        trial.subject_id = record.subject_id
        trial.session = record.session
        trial.condition = record.condition
        return trial

    def reload(self) -> None:
        """Re-read the index from disk (after another process changed it)."""
        index = self.path / _INDEX
        if not index.is_file():
            raise ProjectError(f"{self.path}: not a gaitlab project (no {_INDEX})")
        try:
            f = h5py.File(index, "r")
        except OSError as error:
            raise ProjectError(f"{index}: cannot be opened ({error})") from None
        with f:
            if f.attrs.get("gaitlab_format") != PROJECT_FORMAT_NAME:
                raise ProjectError(f"{self.path}: not a gaitlab project")
            version = int(f.attrs["gaitlab_format_version"])
            if version > FORMAT_VERSION:
                raise FormatVersionError(
                    f"{self.path}: written by a newer gaitlab (format version "
                    f"{version}; this gaitlab reads up to {FORMAT_VERSION}). "
                    "Update gaitlab to open it."
                )
            self.project_id = str(f.attrs["project_id"])
            self.created_utc = str(f.attrs["created_utc"])
            trials = json.loads(f["trials"].asstr()[()])
            subjects = json.loads(f["subjects"].asstr()[()])
            settings = json.loads(f["settings"].asstr()[()]) if "settings" in f else {}
        self._trials = {
            t["trial_id"]: TrialRecord(**{**t, "warnings": tuple(t["warnings"])})
            for t in trials
        }
        self._subjects = {s["id"]: Subject(**s) for s in subjects}
        self._settings = settings
        self.problems = []
        self._recover_orphans()

    # ---- Public API: changing

    def import_files(
        self,
        paths: Iterable[str | Path],
        *,
        subject: str | None = None,
        session: str = "",
        condition: str = "",
        workers: int | None = None,
        timeout_s: float | None = None,
    ) -> Iterator[ImportEvent]:
        """Import C3D files, yielding one progress event per file.

        Files are parsed in parallel, isolated worker processes; a file that
        cannot be read is refused with its reason and the others go on. An
        unchanged file already in the project is skipped; a changed file at
        a path already imported replaces that trial. Each trial is committed
        on its own, so stopping the import (or a crash) keeps every trial
        finished before it.

        Parameters
        ----------
        paths : iterable of str or Path
            Files and folders (searched recursively for ``*.c3d``).
        subject : str or None
            Subject id for every file; None takes each file's folder name.
        session, condition : str
            Grouping labels for every file.
        workers : int or None
            Parallel reader processes; None uses every CPU.
        timeout_s : float or None
            Time limit per file in seconds; None scales with file size.

        Yields
        ------
        event : ImportEvent
            ``started``, then one per file, then ``finished``.
        """
        from gaitlab.io._isolation import WorkerPool, default_timeout_s
        from gaitlab.io.c3d import sha256_of

        files = find_c3d_files(paths)
        total = len(files)
        with self._writer_lock():
            self.reload()
            yield ImportEvent("started", total=total)
            done = 0
            jobs: list[_ImportJob] = []
            by_sha = {r.source_sha256: r for r in self._trials.values()}
            by_path = {r.source_path: r for r in self._trials.values()}
            claimed: set[str] = set(self._trials)
            for path in files:
                try:
                    sha = sha256_of(path)
                except OSError as error:
                    done += 1
                    yield ImportEvent(
                        "refused",
                        str(path),
                        done,
                        total,
                        message=f"cannot be read: {error.strerror or error}",
                    )
                    continue
                if sha in by_sha:
                    done += 1
                    trial_id = by_sha[sha].trial_id
                    yield ImportEvent(
                        "skipped",
                        str(path),
                        done,
                        total,
                        trial_id,
                        message=f"unchanged; already imported as trial {trial_id!r}",
                    )
                    continue
                previous = by_path.get(str(path))
                subject_id = slugify(
                    subject if subject is not None else path.parent.name, "subject"
                )
                if previous is not None:
                    trial_id = previous.trial_id
                    subject_id, session_, condition_ = (
                        previous.subject_id,
                        previous.session,
                        previous.condition,
                    )
                else:
                    trial_id = _unique_id(slugify(path.stem, "trial"), claimed)
                    session_, condition_ = session, condition
                claimed.add(trial_id)
                by_sha[sha] = TrialRecord(
                    trial_id,
                    subject_id,
                    session_,
                    condition_,
                    path.stem,
                    str(path),
                    sha,
                    "",
                )
                jobs.append(
                    _ImportJob(
                        path,
                        sha,
                        trial_id,
                        subject_id,
                        session_,
                        condition_,
                        replaces=previous is not None,
                    )
                )
            pool = WorkerPool(
                n_workers=min(workers or os.cpu_count() or 1, max(1, len(jobs)))
            )
            tasks = [
                (
                    job,
                    (
                        job.path,
                        job.sha256,
                        self._trial_path(job.trial_id),
                        _job_attrs(job),
                    ),
                    timeout_s if timeout_s is not None else default_timeout_s(job.path),
                )
                for job in jobs
            ]
            try:
                for outcome in pool.imap_unordered(_read_and_write_trial, tasks):
                    job = outcome.key
                    done += 1
                    tmp = self._trial_path(job.trial_id).with_suffix(".h5.tmp")
                    if outcome.error is not None:
                        tmp.unlink(missing_ok=True)
                        reason = (
                            outcome.error.reason
                            if isinstance(outcome.error, C3DReadError)
                            else str(outcome.error)
                        )
                        yield ImportEvent(
                            "refused", str(job.path), done, total, message=reason
                        )
                        continue
                    self._commit_trial(job, tmp, outcome.value)
                    warnings = tuple(outcome.value["warnings"])
                    yield ImportEvent(
                        "updated" if job.replaces else "imported",
                        str(job.path),
                        done,
                        total,
                        job.trial_id,
                        message="; ".join(warnings),
                        warnings=warnings,
                    )
            finally:
                pool.close()
                for job in jobs:
                    self._trial_path(job.trial_id).with_suffix(".h5.tmp").unlink(
                        missing_ok=True
                    )
            yield ImportEvent("finished", done=done, total=total)

    def set_subject(self, subject: Subject) -> None:
        """Add or replace a subject record (mass, height, sex, leg length)."""
        with self._writer_lock():
            self.reload()
            self._subjects[subject.id] = subject
            self._write_index()

    def set_trial_info(
        self,
        trial_id: str,
        *,
        subject_id: str | None = None,
        session: str | None = None,
        condition: str | None = None,
    ) -> None:
        """Move a trial to another subject, session or condition."""
        with self._writer_lock():
            self.reload()
            record = self.record(trial_id)
            changes = {
                k: v
                for k, v in (
                    ("subject_id", subject_id),
                    ("session", session),
                    ("condition", condition),
                )
                if v is not None
            }
            if subject_id is not None and subject_id not in self._subjects:
                self._subjects[subject_id] = Subject(id=subject_id, label=subject_id)
            self._trials[trial_id] = replace(record, **changes)
            self._write_index()

    def set_events(self, trial_id: str, events: Iterable[Event]) -> None:
        """Replace a trial's events (the raw trial file is never changed)."""
        self.record(trial_id)
        with self._writer_lock():
            write_events_file(
                self._events_path(trial_id),
                tuple(sorted(events, key=lambda e: e.time_s)),
            )

    def clear_events(self, trial_id: str) -> None:
        """Forget edited events: the trial's own (imported) events apply again."""
        self.record(trial_id)
        with self._writer_lock():
            self._events_path(trial_id).unlink(missing_ok=True)

    # ---- Public API: settings, static trials, results

    @property
    def settings(self) -> dict[str, Any]:
        """Project settings (JSON-able): ``pipeline``, ``markers``, ``static_trials``."""
        return json.loads(json.dumps(self._settings))

    def set_setting(self, key: str, value: Any) -> None:
        """Store one JSON-able setting in the project (None removes it)."""
        json.dumps(value)  # refuse what cannot be stored before taking the lock
        with self._writer_lock():
            self.reload()
            if value is None:
                self._settings.pop(key, None)
            else:
                self._settings[key] = value
            self._write_index()

    def static_trial_for(self, trial_id: str) -> str | None:
        """The static (standing) trial used as reference for ``trial_id``.

        Set by hand with :meth:`set_static_trial`; otherwise the trial of the
        same subject whose label matches ``static``/``standing`` (same session
        preferred, then the most recently imported). A static trial has none.
        """
        record = self.record(trial_id)
        chosen = self._settings.get("static_trials", {})
        if trial_id in chosen:
            return chosen[trial_id] or None
        if STATIC_TRIAL_PATTERN.search(record.label):
            return None
        candidates = [
            r
            for r in self._trials.values()
            if r.subject_id == record.subject_id
            and r.trial_id != trial_id
            and STATIC_TRIAL_PATTERN.search(r.label)
        ]
        if not candidates:
            return None
        candidates.sort(
            key=lambda r: (r.session == record.session, r.imported_utc), reverse=True
        )
        return candidates[0].trial_id

    def set_static_trial(self, trial_id: str, static_id: str | None) -> None:
        """Choose the static trial of ``trial_id`` by hand (None: no static trial)."""
        self.record(trial_id)
        if static_id is not None:
            self.record(static_id)
        with self._writer_lock():
            self.reload()
            chosen = self._settings.setdefault("static_trials", {})
            chosen[trial_id] = static_id or ""
            self._write_index()

    def is_static(self, trial_id: str) -> bool:
        """True when the trial is a static (standing) trial by its label."""
        return bool(STATIC_TRIAL_PATTERN.search(self.record(trial_id).label))

    def events_digest(self, trial_id: str) -> str:
        """SHA-256 of the trial's edited events file, or ``"c3d"`` if never edited."""
        path = self._events_path(trial_id)
        if not path.exists():
            return "c3d"
        events = read_events_file(path)
        text = json.dumps([asdict(e) for e in events], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def load_results(self, trial_id: str) -> dict[str, Result]:
        """The stored analysis results of a trial, by plugin name (may be empty)."""
        self.record(trial_id)
        return read_results_file(self.results_path(trial_id))

    def write_results(self, trial_id: str, results: dict[str, Result]) -> None:
        """Replace the stored analysis results of a trial."""
        self.record(trial_id)
        with self._writer_lock():
            write_results_file(self.results_path(trial_id), trial_id, results)

    def results_path(self, trial_id: str) -> Path:
        """File holding a trial's analysis results."""
        return self.path / "results" / f"{trial_id}.h5"

    # ---- Private

    def _trial_path(self, trial_id: str) -> Path:
        return self.path / "trials" / f"{trial_id}.h5"

    def _events_path(self, trial_id: str) -> Path:
        return self.path / "events" / f"{trial_id}.h5"

    def _commit_trial(
        self, job: _ImportJob, tmp: Path, summary: dict[str, Any]
    ) -> None:
        tmp.replace(self._trial_path(job.trial_id))
        if job.replaces:
            self._events_path(job.trial_id).unlink(missing_ok=True)
        self._trials[job.trial_id] = TrialRecord(
            trial_id=job.trial_id,
            subject_id=job.subject_id,
            session=job.session,
            condition=job.condition,
            label=job.path.stem,
            source_path=str(job.path),
            source_sha256=job.sha256,
            imported_utc=job.imported_utc,
            warnings=tuple(summary["warnings"]),
        )
        self._add_subject(job.subject_id, summary.get("subject"))
        self._write_index()

    def _add_subject(self, subject_id: str, from_file: Subject | None) -> None:
        """Create the subject, or fill fields it lacks from the file's subject data."""
        current = self._subjects.get(subject_id) or Subject(
            id=subject_id, label=subject_id
        )
        if from_file is not None:
            fills = {
                name: getattr(from_file, name)
                for name in ("mass_kg", "height_m", "sex")
                if getattr(current, name) is None
                and getattr(from_file, name) is not None
            }
            if not current.leg_length_m and from_file.leg_length_m:
                fills["leg_length_m"] = dict(from_file.leg_length_m)
            missing = {
                k: v for k, v in from_file.extra.items() if k not in current.extra
            }
            if missing:
                fills["extra"] = {**current.extra, **missing}
            current = replace(current, **fills)
        self._subjects[subject_id] = current

    def _write_index(self) -> None:
        with atomic_h5(self.path / _INDEX) as f:
            f.attrs["gaitlab_format"] = PROJECT_FORMAT_NAME
            f.attrs["gaitlab_format_version"] = FORMAT_VERSION
            f.attrs["project_id"] = self.project_id
            f.attrs["created_utc"] = self.created_utc
            f.attrs["last_written_by"] = f"gaitlab {__version__}"
            f["trials"] = json.dumps([asdict(r) for r in self._trials.values()])
            f["subjects"] = json.dumps([asdict(s) for s in self._subjects.values()])
            f["settings"] = json.dumps(self._settings, sort_keys=True)

    def _recover_orphans(self) -> None:
        """Index trial files committed before a crash stopped the index update."""
        if not _another_writer(self.path):
            for tmp in (self.path / "trials").glob("*.tmp"):
                tmp.unlink(missing_ok=True)
        for trial_file in sorted((self.path / "trials").glob("*.h5")):
            trial_id = trial_file.stem
            if trial_id in self._trials:
                continue
            try:
                attrs = read_trial_attrs(trial_file)
            except (OSError, ProjectError) as error:
                self.problems.append(
                    f"{trial_file}: cannot be opened ({error}); ignored"
                )
                continue
            meta = json.loads(attrs.get("meta", "{}"))
            self._trials[trial_id] = TrialRecord(
                trial_id=trial_id,
                subject_id=attrs.get("subject_id", ""),
                session=attrs.get("session", ""),
                condition=attrs.get("condition", ""),
                label=attrs.get("label", trial_id),
                source_path=attrs.get("source_path", ""),
                source_sha256=attrs.get("source_sha256", ""),
                imported_utc=attrs.get("imported_utc", ""),
                warnings=tuple(meta.get("warnings", [])),
            )
            if attrs.get("subject_id") and attrs["subject_id"] not in self._subjects:
                self._subjects[attrs["subject_id"]] = Subject(
                    id=attrs["subject_id"], label=attrs["subject_id"]
                )

    @contextmanager
    def _writer_lock(self) -> Iterator[None]:
        with _ProjectLock(self.path):
            yield


def _read_and_write_trial(
    path: Path, sha256: str, target: Path, attrs: dict[str, Any]
) -> dict[str, Any]:
    """Import worker: parse one C3D file and write its trial file as ``.tmp``."""
    from gaitlab.io._raw import read_raw
    from gaitlab.io.c3d import trial_from_raw

    trial = trial_from_raw(read_raw(path), path, sha256)
    write_trial_file(target, trial, attrs, rename=False)
    return {"warnings": trial.warnings, "subject": trial.subject}


def _job_attrs(job: _ImportJob) -> dict[str, Any]:
    """Identity attributes written into the trial file (used to recover the index)."""
    return {
        "trial_id": job.trial_id,
        "subject_id": job.subject_id,
        "session": job.session,
        "condition": job.condition,
        "imported_utc": job.imported_utc,
    }


def _unique_id(base: str, taken: set[str]) -> str:
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# ------------------------------------------------------------------ locking


class _ProjectLock:
    """Exclusive writer lock on ``project.lock`` (released when the process dies)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / _LOCK
        self.handle: Any = None
        self.depth = 0

    _held: ClassVar[dict[Path, _ProjectLock]] = {}

    def __enter__(self) -> _ProjectLock:
        held = _ProjectLock._held.get(self.path)
        if held is not None:  # re-entrant within this process
            held.depth += 1
            return held
        handle = open(self.path, "a+")
        if not _try_lock(handle):
            handle.seek(0)
            owner = handle.read().strip() or "another process"
            handle.close()
            raise ProjectLockedError(
                f"{self.path.parent}: the project is being written by {owner}; "
                "wait for it to finish, then try again"
            )
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        self.handle = handle
        self.depth = 1
        _ProjectLock._held[self.path] = self
        return self

    def __exit__(self, *exc: Any) -> None:
        lock = _ProjectLock._held.get(self.path, self)
        lock.depth -= 1
        if lock.depth > 0:
            return
        _ProjectLock._held.pop(self.path, None)
        lock.handle.seek(0)
        lock.handle.truncate()
        _unlock(lock.handle)
        lock.handle.close()


def _another_writer(folder: Path) -> bool:
    """True when another process holds the project's writer lock."""
    path = folder / _LOCK
    if path in _ProjectLock._held or not path.exists():
        return False
    with open(path, "a+") as handle:
        if _try_lock(handle):
            _unlock(handle)
            return False
        return True


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(handle: Any) -> bool:
        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False

    def _unlock(handle: Any) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(handle: Any) -> bool:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            return False

    def _unlock(handle: Any) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
