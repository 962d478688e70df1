"""The project store: a folder of HDF5 files (see :mod:`gaitlab.store.schema`).

:class:`Project` is the only way to read and change a project. Reading needs
no lock and writes nothing, so a read-only project (a colleague's share, a
mounted archive) can be read. Every change takes the project's writer lock,
an OS lock (``flock``) on the project folder itself that the OS releases when
the holder dies and that deleting ``project.lock`` cannot break; a second
writer gets a clear :class:`ProjectLockedError` naming the process that holds
it, and only the holder writes.

Everything read from disk is checked before use (:mod:`._integrity`,
:mod:`._index`): a damaged or crafted file gives a
:class:`~gaitlab.core.errors.DamagedFileError` naming it, trial ids must be
slugs, and every file path stays inside the project folder. A damaged
results or events file counts as missing (listed in :attr:`Project.problems`
and logged), so the next run recomputes it; a damaged index is restored by
:func:`gaitlab.store.repair.repair_project` (``gaitlab repair``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import sys
import time
import uuid
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from gaitlab._version import __version__
from gaitlab.core.errors import (
    C3DReadError,
    DamagedFileError,
    ProjectError,
    ProjectLockedError,
)
from gaitlab.core.results import Result
from gaitlab.core.trial import Event, Subject, Trial
from gaitlab.store._index import is_trial_id, read_index
from gaitlab.store._resultfile import read_results_skipping, write_results_file
from gaitlab.store._trialfile import (
    atomic_h5,
    read_events_file,
    read_trial_attrs,
    read_trial_file,
    write_events_file,
    write_trial_file,
)
from gaitlab.store.schema import FORMAT_VERSION, PROJECT_FORMAT_NAME

log = logging.getLogger(__name__)

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
_INDEX_BACKUP = "project.h5.bak"
_LOCK = "project.lock"
_MAX_SLUG = 180  # characters; a trial id (slug plus "-N") stays a valid file name
_INDEX_INTERVAL_S = 1.0
"""Import writes the index at most this often (and at its end): trial files
committed in between are indexed from their own attributes after a crash."""

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
    subject_from_file: bool = False


def slugify(text: str, fallback: str = "item") -> str:
    """A lowercase identifier of ``[a-z0-9_-]``.

    Examples
    --------
    >>> slugify("RBDS001 run T25.c3d")
    'rbds001-run-t25-c3d'
    """
    slug = re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-")
    return slug[:_MAX_SLUG].strip("-") or fallback


def find_c3d_files(paths: Iterable[str | Path]) -> list[Path]:
    """C3D files named by ``paths``: files as given, folders searched recursively.

    The extension test is case-insensitive (``.c3d`` and ``.C3D``); the result
    is sorted within each folder and free of duplicates (two paths to one
    file count once). Paths are absolute but keep the symbolic links the user
    went through, so messages name the path the user gave.
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
    unique: dict[Path, Path] = {}
    for p in found:  # one entry per file, named as the user reached it
        unique.setdefault(p.resolve(), p.absolute())
    return list(unique.values())


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
        self._folders_checked: set[str] = set()
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
        edited = self._edited_events(trial_id)
        if edited is not None:
            trial.events = tuple(edited)
        trial.subject = self._subjects.get(record.subject_id, trial.subject)
        trial.subject_id = record.subject_id
        trial.session = record.session
        trial.condition = record.condition
        return trial

    def reload(self) -> None:
        """Re-read the index from disk (after another process changed it).

        Raises
        ------
        ProjectError
            When the folder is not a gaitlab project.
        DamagedFileError
            When ``project.h5`` is damaged or breaks the index schema; the
            message says how ``gaitlab repair`` restores it.
        FormatVersionError
            When it was written by a newer gaitlab.
        """
        index = self.path / _INDEX
        if not index.is_file():
            raise ProjectError(f"{self.path}: not a gaitlab project (no {_INDEX})")
        try:
            content = read_index(index)
        except DamagedFileError as error:
            raise DamagedFileError(
                index, f"{error.problem}. {repair_hint(self.path)}"
            ) from None
        self.project_id = content.project_id
        self.created_utc = content.created_utc
        self._trials = {t["trial_id"]: TrialRecord(**t) for t in content.trials}
        self._subjects = {s.id: s for s in content.subjects}
        self._settings = content.settings
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
            Subject id for every file; None takes the subject the file names
            (``SUBJECTS:NAMES``, not a marker-set name such as ``CAST_ISB``:
            :func:`~gaitlab.core.subjects.subject_name_from_file`), else the
            file's folder name.
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
                        subject_from_file=subject is None and previous is None,
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
                        job.subject_from_file,
                    ),
                    timeout_s if timeout_s is not None else default_timeout_s(job.path),
                )
                for job in jobs
            ]
            unindexed = 0  # trials committed since the index was last written
            index_due = time.monotonic() + _INDEX_INTERVAL_S
            try:
                for outcome in pool.imap_unordered(_read_and_write_trial, tasks):
                    if unindexed and time.monotonic() >= index_due:
                        self._write_index()
                        unindexed = 0
                        index_due = time.monotonic() + _INDEX_INTERVAL_S
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
                    unindexed += 1
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
                if unindexed:
                    self._write_index()
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
        """SHA-256 of the trial's edited events, or ``"c3d"`` if never edited.

        A damaged events file counts as never edited (see :meth:`load_trial`).
        """
        events = self._edited_events(trial_id)
        if events is None:
            return "c3d"
        text = json.dumps([asdict(e) for e in events], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def load_results(self, trial_id: str) -> dict[str, Result]:
        """The stored analysis results of a trial, by plugin name (may be empty).

        A damaged results file counts as missing: the results are stale, the
        next run recomputes them, and the problem is added to
        :attr:`problems` and logged.
        """
        return self.load_results_skipping(trial_id, ())[1]

    def load_results_skipping(
        self, trial_id: str, skip: Collection[str]
    ) -> tuple[list[str], dict[str, Result]]:
        """Names of a trial's stored results, and those results but the ``skip`` ones.

        A runner that is about to replace some results need not read them (a
        tenth of a second on a 30 s trial). A damaged results file holds none,
        as for :meth:`load_results`.
        """
        self.record(trial_id)
        try:
            return read_results_skipping(self.results_path(trial_id), skip)
        except DamagedFileError as error:
            self._note(
                f"{error}; its results count as missing (stale) and the next "
                "run recomputes them"
            )
            return [], {}

    def write_results(self, trial_id: str, results: dict[str, Result]) -> None:
        """Replace the stored analysis results of a trial.

        Only the holder of the project's writer lock writes: in the process
        holding it the write goes ahead; elsewhere the lock is taken first
        (:class:`ProjectLockedError` if another process holds it).
        """
        self.record(trial_id)
        with self._writer_lock():
            write_results_file(self.results_path(trial_id), trial_id, results)

    def results_path(self, trial_id: str) -> Path:
        """File holding a trial's analysis results (inside the project folder)."""
        return self._inside("results", trial_id)

    # ---- Private

    def _trial_path(self, trial_id: str) -> Path:
        return self._inside("trials", trial_id)

    def _events_path(self, trial_id: str) -> Path:
        return self._inside("events", trial_id)

    def _inside(self, folder: str, trial_id: str) -> Path:
        """``<project>/<folder>/<trial_id>.h5``, refused unless inside the project.

        The id must be a slug (so it has no separators or dots), and the
        folder, symbolic links resolved, must be the project's own.
        """
        if not is_trial_id(trial_id):
            raise ProjectError(
                f"{self.path}: {str(trial_id)[:80]!r} is not a valid trial id "
                "(a slug of [a-z0-9_-]); refused"
            )
        parent = self.path / folder
        if folder not in self._folders_checked:  # once per Project: it is slow
            if parent.resolve() != self.path.resolve() / folder:
                raise ProjectError(
                    f"{parent}: leads outside the project folder "
                    f"({parent.resolve()}); refused"
                )
            self._folders_checked.add(folder)
        return parent / f"{trial_id}.h5"

    def _edited_events(self, trial_id: str) -> list[Event] | None:
        """The trial's edited events, or None if never edited or damaged."""
        path = self._events_path(trial_id)
        if not path.exists():
            return None
        try:
            return read_events_file(path)
        except DamagedFileError as error:
            self._note(
                f"{error}; the trial's imported events apply until its events "
                "are saved again"
            )
            return None

    def _note(self, problem: str) -> None:
        """Record and log a problem found while reading the project."""
        if problem not in self.problems:
            self.problems.append(problem)
            log.warning("%s", problem)

    def _commit_trial(
        self, job: _ImportJob, tmp: Path, summary: dict[str, Any]
    ) -> None:
        """Rename an imported trial file into place and record it (in memory:
        the caller writes the index)."""
        tmp.replace(self._trial_path(job.trial_id))
        job.subject_id = summary.get("subject_id") or job.subject_id
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
        """Write the index atomically (copied to ``project.h5.bak`` when the
        writer lock is released, see :meth:`_writer_lock`)."""
        with atomic_h5(self.path / _INDEX) as f:
            f.attrs["gaitlab_format"] = PROJECT_FORMAT_NAME
            f.attrs["gaitlab_format_version"] = FORMAT_VERSION
            f.attrs["project_id"] = self.project_id
            f.attrs["created_utc"] = self.created_utc
            f.attrs["last_written_by"] = f"gaitlab {__version__}"
            f["trials"] = json.dumps([asdict(r) for r in self._trials.values()])
            f["subjects"] = json.dumps([asdict(s) for s in self._subjects.values()])
            f["settings"] = json.dumps(self._settings, sort_keys=True)
        lock = _ProjectLock._held.get(self.path.resolve())
        if lock is not None:
            lock.index_written = True  # copied to project.h5.bak at the end

    def _recover_orphans(self) -> None:
        """Index trial files committed before a crash stopped the index update."""
        _remove_temporaries_if_idle(self.path)
        for trial_file in sorted((self.path / "trials").glob("*.h5")):
            trial_id = trial_file.stem
            if trial_id in self._trials:
                continue
            if not is_trial_id(trial_id) or trial_file.is_symlink():
                self.problems.append(
                    f"{trial_file}: not a trial file of this project (its name "
                    "is no trial id, or it is a link); ignored"
                )
                continue
            try:
                attrs = read_trial_attrs(trial_file)
            except (OSError, ProjectError) as error:
                self.problems.append(
                    f"{trial_file}: cannot be opened ({error}); ignored"
                )
                continue
            if attrs.get("trial_id", trial_id) != trial_id:
                self.problems.append(
                    f"{trial_file}: names trial {attrs.get('trial_id')!r}, not "
                    f"{trial_id!r}; ignored"
                )
                continue
            try:
                record = record_from_trial_attrs(trial_id, attrs)
            except ValueError as error:
                self.problems.append(f"{trial_file}: {error}; ignored")
                continue
            self._trials[trial_id] = record
            if record.subject_id and record.subject_id not in self._subjects:
                self._subjects[record.subject_id] = Subject(
                    id=record.subject_id, label=record.subject_id
                )

    @contextmanager
    def _writer_lock(self) -> Iterator[None]:
        """Hold the writer lock; on leaving, copy a changed index to the backup.

        ``project.h5.bak`` is the last index written by a finished writer: a
        previous good copy for ``gaitlab repair`` if ``project.h5`` is damaged.
        """
        with _ProjectLock(self.path) as lock:
            try:
                yield
            finally:
                if lock.depth == 1 and lock.index_written:
                    lock.index_written = False
                    try:
                        _copy_atomically(self.path / _INDEX, self.path / _INDEX_BACKUP)
                    except ProjectError as error:
                        self._note(f"{error}; the backup of the index is older")


def _read_and_write_trial(
    path: Path,
    sha256: str,
    target: Path,
    attrs: dict[str, Any],
    subject_from_file: bool = False,
) -> dict[str, Any]:
    """Import worker: parse one C3D file and write its trial file as ``.tmp``.

    With ``subject_from_file``, the subject the file names (if any) replaces
    the folder-name default in ``attrs`` and is returned as ``subject_id``.
    """
    from gaitlab.core.subjects import subject_name_from_file
    from gaitlab.io._raw import read_raw
    from gaitlab.io.c3d import trial_from_raw

    trial = trial_from_raw(read_raw(path), path, sha256)
    name = subject_name_from_file(trial.meta.get("c3d_subject_names", ()))
    if subject_from_file and name:
        attrs = {**attrs, "subject_id": slugify(name, "subject")}
    write_trial_file(target, trial, attrs, rename=False)
    return {
        "warnings": trial.warnings,
        "subject": trial.subject,
        "subject_id": attrs["subject_id"],
    }


def record_from_trial_attrs(trial_id: str, attrs: dict[str, Any]) -> TrialRecord:
    """The index record of a trial, rebuilt from its trial file's attributes.

    Raises
    ------
    ValueError
        When the attributes are not the text a trial file holds.
    """
    fields = {
        "subject_id": attrs.get("subject_id", ""),
        "session": attrs.get("session", ""),
        "condition": attrs.get("condition", ""),
        "label": attrs.get("label", trial_id),
        "source_path": attrs.get("source_path", ""),
        "source_sha256": attrs.get("source_sha256", ""),
        "imported_utc": attrs.get("imported_utc", ""),
    }
    wrong = sorted(k for k, v in fields.items() if not isinstance(v, str))
    if wrong:
        raise ValueError(f"identity attributes {wrong} are not text")
    try:
        warnings = json.loads(attrs.get("meta", "{}")).get("warnings", [])
    except (ValueError, AttributeError, TypeError):
        raise ValueError("its 'meta' attribute is not a JSON object") from None
    if not isinstance(warnings, list):
        raise ValueError("its warnings are not a list")
    return TrialRecord(
        trial_id=trial_id, warnings=tuple(str(w) for w in warnings), **fields
    )


def repair_hint(folder: Path) -> str:
    """What to do about a damaged index: the ``gaitlab repair`` command line."""
    source = (
        f"its last good copy {_INDEX_BACKUP}"
        if (folder / _INDEX_BACKUP).is_file()
        else "the trial files"
    )
    return f"Run 'gaitlab repair {folder}' to rebuild the index from {source}"


def _copy_atomically(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` via ``<target>.tmp`` and rename.

    Not fsynced: it is a spare copy, and a copy lost in a power cut leaves
    the index itself (which is fsynced) and the trial files to rebuild from.
    """
    tmp = target.with_name(target.name + ".tmp")
    try:
        shutil.copyfile(source, tmp)
        tmp.replace(target)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise ProjectError(
            f"{target}: could not be written ({error.strerror or error}); the "
            "index itself was saved"
        ) from None


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

_LOCK_PATIENCE_S = 0.5
"""How long a writer retries a held lock before refusing (a reader tidying up
temporaries holds it for a moment)."""

_OWNER = re.compile(r"pid (\d+)")


class _ProjectLock:
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

    _held: ClassVar[dict[Path, _ProjectLock]] = {}

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / _LOCK
        self.key = folder.resolve()
        self.handle: int | None = None
        self.depth = 0
        self.pid = os.getpid()
        self.index_written = False

    def __enter__(self) -> _ProjectLock:
        held = _ProjectLock._held.get(self.key)
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
        _ProjectLock._held[self.key] = self
        _remove_temporaries(self.folder)
        return self

    def __exit__(self, *exc: Any) -> None:
        lock = _ProjectLock._held.get(self.key, self)
        lock.depth -= 1
        if lock.depth > 0 or lock.handle is None:
            return
        _ProjectLock._held.pop(self.key, None)
        with suppress(OSError):  # the folder became read-only; the lock goes anyway
            _write_owner(lock.path, lock.handle, "")
        _release(lock.handle)
        lock.handle = None


def lock_owner(folder: Path) -> int | None:
    """The process id named in ``project.lock`` (None when none is named)."""
    try:
        match = _OWNER.search((folder / _LOCK).read_text(errors="replace")[:100])
    except OSError:
        return None
    return int(match.group(1)) if match else None


def holds_writer_lock(folder: Path) -> bool:
    """True when this process holds the writer lock of ``folder``."""
    lock = _ProjectLock._held.get(Path(folder).resolve())
    return lock is not None and lock.pid == os.getpid()


def _forget_inherited_locks() -> None:
    """In a forked child: drop the parent's lock handles (the parent keeps its
    lock; the child neither holds it nor keeps it alive after the parent dies)."""
    for lock in _ProjectLock._held.values():
        if lock.handle is not None:
            with suppress(OSError):
                os.close(lock.handle)
    _ProjectLock._held.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_inherited_locks)


def _acquire(handle: int, *, patience_s: float) -> bool:
    deadline = time.monotonic() + patience_s
    while not _try_lock(handle, exclusive=True):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def _release(handle: int) -> None:
    try:
        _unlock(handle)
    finally:
        os.close(handle)


def _temporaries(folder: Path) -> list[Path]:
    found = [p for p in folder.glob("*.tmp") if p.is_file()]
    for sub in ("trials", "events", "results"):
        found.extend((folder / sub).glob("*.tmp"))
    return found


def _remove_temporaries(folder: Path) -> None:
    """Remove what killed writers left (called holding the lock or its probe)."""
    for tmp in _temporaries(folder):
        with suppress(OSError):  # a read-only folder: nothing to tidy
            tmp.unlink(missing_ok=True)


def _remove_temporaries_if_idle(folder: Path) -> None:
    """A reader tidies temporaries only while no writer holds the lock.

    It holds a shared lock meanwhile, so no writer starts during the tidying;
    it writes nothing when there is nothing to tidy (a read-only project).
    """
    if holds_writer_lock(folder) or not _temporaries(folder):
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
        return os.open(folder / _LOCK, flags | getattr(os, "O_BINARY", 0))

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
