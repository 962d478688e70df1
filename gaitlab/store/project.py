"""The project store: a folder of HDF5 files (see :mod:`gaitlab.store.schema`).

:class:`Project` is the only way to read and change a project. Reading needs
no lock and writes nothing, so a read-only project (a colleague's share, a
mounted archive) can be read. Every change takes the project's writer lock,
an OS lock (``flock``) on the project folder itself that the OS releases when
the holder dies and that deleting ``project.lock`` cannot break; a second
writer gets a clear :class:`ProjectLockedError` naming the process that holds
it, and only the holder writes.

Importing files lives in :mod:`.importing`, the writer lock in :mod:`.lock`,
the index record in :mod:`.records`; their public names are importable from
here too.

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
import re
import shutil
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from gaitlab._version import __version__
from gaitlab.core.errors import DamagedFileError, ProjectError
from gaitlab.core.packed import PackedResult
from gaitlab.core.results import Result
from gaitlab.core.trial import Event, Subject, Trial
from gaitlab.io.readers import find_readable_files
from gaitlab.store._index import is_trial_id, read_index
from gaitlab.store._resultfile import (
    read_packed_results,
    read_results_skipping,
    write_results_file,
)
from gaitlab.store._trialfile import (
    atomic_h5,
    read_events_file,
    read_trial_attrs,
    read_trial_file,
    write_events_file,
)
from gaitlab.store.importing import ImportEvent, import_files
from gaitlab.store.lock import (
    ProjectLock,
    held_lock,
    holds_writer_lock,
    remove_temporaries_if_idle,
)
from gaitlab.store.records import (
    TrialRecord,
    record_from_trial_attrs,
    slugify,
    utc_now,
)
from gaitlab.store.schema import (
    FORMAT_VERSION,
    INDEX_BACKUP_FILE,
    INDEX_FILE,
    PROJECT_FORMAT_NAME,
    is_project,
)

log = logging.getLogger(__name__)

__all__ = [
    "ImportEvent",
    "Project",
    "TrialRecord",
    "create_project",
    "find_readable_files",
    "holds_writer_lock",
    "open_project",
    "record_from_trial_attrs",
    "slugify",
]


STATIC_TRIAL_PATTERN = re.compile(r"static|standing|stand|neutral|calib", re.IGNORECASE)
"""Trial labels that mark a static (standing) trial."""


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
    if is_project(folder):
        raise ProjectError(f"{folder}: is already a gaitlab project; open it instead")
    if folder.exists() and any(folder.iterdir()):
        raise ProjectError(f"{folder}: exists and is not empty; choose a new folder")
    for sub in ("trials", "events"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    project = Project.__new__(Project)
    project._init(folder)
    project.project_id = uuid.uuid4().hex
    project.created_utc = utc_now()
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
        The project folder, or its index file ``project.h5``.

    Examples
    --------
    >>> project = gaitlab.open_project("study.gaitlab")  # doctest: +SKIP
    >>> for event in project.import_files(["captures/"]):  # doctest: +SKIP
    ...     print(event.kind, event.path, event.message)
    >>> trial = project.load_trial(project.trial_ids[0])  # doctest: +SKIP
    """

    def __init__(self, path: str | Path) -> None:
        folder = Path(path)
        if folder.name == INDEX_FILE and is_project(folder):
            folder = folder.parent  # the path of the index names its project
        self._init(folder)
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
        index = self.path / INDEX_FILE
        if not is_project(self.path):
            raise ProjectError(f"{self.path}: not a gaitlab project (no {INDEX_FILE})")
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
        pattern: str | None = None,
        workers: int | None = None,
        timeout_s: float | None = None,
    ) -> Iterator[ImportEvent]:
        """Import files, yielding one progress event per file.

        See :func:`gaitlab.store.importing.import_files`, which this calls
        with the same arguments.
        """
        return import_files(
            self,
            paths,
            subject=subject,
            session=session,
            condition=condition,
            pattern=pattern,
            workers=workers,
            timeout_s=timeout_s,
        )

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
            if subject_id is not None and subject_id not in self._subjects:
                self._subjects[subject_id] = Subject(id=subject_id, label=subject_id)
            self._trials[trial_id] = replace(
                record,
                subject_id=record.subject_id if subject_id is None else subject_id,
                session=record.session if session is None else session,
                condition=record.condition if condition is None else condition,
            )
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
        return self._read_results(read_results_skipping, trial_id, skip)

    def load_packed_results(
        self, trial_id: str, skip: Collection[str] = ()
    ) -> tuple[list[str], dict[str, PackedResult]]:
        """As :meth:`load_results_skipping`, the results packed (for rewriting)."""
        return self._read_results(read_packed_results, trial_id, skip)

    def _read_results(
        self,
        read: Callable[[Path, Collection[str]], tuple[list[str], dict[str, Any]]],
        trial_id: str,
        skip: Collection[str],
    ) -> tuple[list[str], dict[str, Any]]:
        """``read(path, skip)`` of the trial's results file; a damaged one holds none."""
        self.record(trial_id)
        try:
            return read(self.results_path(trial_id), skip)
        except DamagedFileError as error:
            self._note(
                f"{error}; its results count as missing (stale) and the next "
                "run recomputes them"
            )
            return [], {}

    def write_results(
        self, trial_id: str, results: Mapping[str, Result | PackedResult]
    ) -> None:
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
        with atomic_h5(self.path / INDEX_FILE) as f:
            f.attrs["gaitlab_format"] = PROJECT_FORMAT_NAME
            f.attrs["gaitlab_format_version"] = FORMAT_VERSION
            f.attrs["project_id"] = self.project_id
            f.attrs["created_utc"] = self.created_utc
            f.attrs["last_written_by"] = f"gaitlab {__version__}"
            f["trials"] = json.dumps([asdict(r) for r in self._trials.values()])
            f["subjects"] = json.dumps([asdict(s) for s in self._subjects.values()])
            f["settings"] = json.dumps(self._settings, sort_keys=True)
        lock = held_lock(self.path)
        if lock is not None:
            lock.index_written = True  # copied to project.h5.bak at the end

    def _recover_orphans(self) -> None:
        """Index trial files committed before a crash stopped the index update."""
        remove_temporaries_if_idle(self.path)
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
        with ProjectLock(self.path) as lock:
            try:
                yield
            finally:
                if lock.depth == 1 and lock.index_written:
                    lock.index_written = False
                    try:
                        _copy_atomically(
                            self.path / INDEX_FILE, self.path / INDEX_BACKUP_FILE
                        )
                    except ProjectError as error:
                        self._note(f"{error}; the backup of the index is older")


def repair_hint(folder: Path) -> str:
    """What to do about a damaged index: the ``gaitlab repair`` command line."""
    source = (
        f"its last good copy {INDEX_BACKUP_FILE}"
        if (folder / INDEX_BACKUP_FILE).is_file()
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
