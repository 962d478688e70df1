"""Reading and checking the project index ``project.h5`` (see :mod:`.schema`).

Everything in the index is checked before the project uses it: the file's
checksums and sizes (:mod:`._integrity`), then the JSON schema of the trial
records, subjects and settings. Trial ids name files, so each must be a slug
(:data:`~gaitlab.store.schema.TRIAL_ID_PATTERN`) and unique. Any problem is a
:class:`~gaitlab.core.errors.DamagedFileError` naming the file and the
problem; nothing from a damaged index reaches the rest of gaitlab.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gaitlab.core.errors import DamagedFileError, ProjectError
from gaitlab.core.trial import Subject
from gaitlab.store._integrity import open_checked
from gaitlab.store.schema import PROJECT_FORMAT_NAME, TRIAL_ID_PATTERN

__all__ = ["IndexContent", "is_trial_id", "read_index"]

_RECORD_TEXT = (
    "trial_id",
    "subject_id",
    "session",
    "condition",
    "label",
    "source_path",
    "source_sha256",
    "imported_utc",
)
_SUBJECT_KEYS = {"id", "label", "mass_kg", "height_m", "sex", "leg_length_m", "extra"}


@dataclass
class IndexContent:
    """What a valid index holds.

    Attributes
    ----------
    project_id, created_utc : str
        Root attributes.
    trials : list of dict
        Trial records (``warnings`` as a tuple), in import order.
    subjects : list of Subject
        Subject records.
    settings : dict
        Project settings (JSON).
    """

    project_id: str
    created_utc: str
    trials: list[dict[str, Any]]
    subjects: list[Subject]
    settings: dict[str, Any]


def is_trial_id(text: Any) -> bool:
    """True when ``text`` is a valid trial id (a slug that can name a file)."""
    return isinstance(text, str) and TRIAL_ID_PATTERN.fullmatch(text) is not None


def read_index(path: Path) -> IndexContent:
    """Read and check ``project.h5``.

    Parameters
    ----------
    path : Path
        The index file.

    Returns
    -------
    content : IndexContent

    Raises
    ------
    DamagedFileError
        When the file is damaged or its content breaks the schema.
    FormatVersionError
        When a newer gaitlab wrote it.
    ProjectError
        When it is not a gaitlab project index.
    """
    with open_checked(path) as reader:
        attrs = reader.root_attrs
        if attrs.get("gaitlab_format") != PROJECT_FORMAT_NAME:
            raise ProjectError(f"{path}: not a gaitlab project index")
        for key in ("project_id", "created_utc"):
            if not isinstance(attrs.get(key), str):
                raise DamagedFileError(path, f"attribute {key!r} is missing")
        texts = {
            name: reader.text(reader.root, name)
            for name in ("trials", "subjects", "settings")
            if name in reader.f or name != "settings"
        }
    data = {}
    for name, text in texts.items():
        try:
            data[name] = json.loads(text)
        except ValueError as error:
            raise DamagedFileError(
                path, f"{name!r} is not valid JSON ({error})"
            ) from None
        except RecursionError:
            raise DamagedFileError(path, f"{name!r} is nested too deeply") from None
    return IndexContent(
        project_id=attrs["project_id"],
        created_utc=attrs["created_utc"],
        trials=_check_trials(path, data["trials"]),
        subjects=_check_subjects(path, data["subjects"]),
        settings=_check_settings(path, data.get("settings", {})),
    )


def _check_trials(path: Path, trials: Any) -> list[dict[str, Any]]:
    if not isinstance(trials, list):
        raise DamagedFileError(path, "'trials' is not a list of trial records")
    checked = []
    seen: set[str] = set()
    for n, record in enumerate(trials):
        where = f"trial record {n}"
        if not isinstance(record, dict):
            raise DamagedFileError(path, f"{where} is not an object")
        unknown = set(record) - {*_RECORD_TEXT, "warnings"}
        if unknown:
            raise DamagedFileError(
                path, f"{where} has unknown fields {sorted(unknown)}"
            )
        for key in _RECORD_TEXT:
            if not isinstance(record.get(key), str):
                raise DamagedFileError(path, f"{where}: {key!r} is missing or not text")
        trial_id = record["trial_id"]
        if not is_trial_id(trial_id):
            raise DamagedFileError(
                path,
                f"{where}: trial id {trial_id[:80]!r} is not a slug of "
                "[a-z0-9_-] (it would name a file outside the project)",
            )
        if trial_id in seen:
            raise DamagedFileError(path, f"{where}: trial id {trial_id!r} twice")
        seen.add(trial_id)
        warnings = record.get("warnings", [])
        if not isinstance(warnings, list) or not all(
            isinstance(w, str) for w in warnings
        ):
            raise DamagedFileError(path, f"{where}: 'warnings' is not a list of text")
        checked.append({**record, "warnings": tuple(warnings)})
    return checked


def _number_or_none(value: Any) -> bool:
    return value is None or (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def _check_subjects(path: Path, subjects: Any) -> list[Subject]:
    if not isinstance(subjects, list):
        raise DamagedFileError(path, "'subjects' is not a list of subject records")
    checked = []
    for n, record in enumerate(subjects):
        where = f"subject record {n}"
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            raise DamagedFileError(path, f"{where} is not an object with a text 'id'")
        unknown = set(record) - _SUBJECT_KEYS
        if unknown:
            raise DamagedFileError(
                path, f"{where} has unknown fields {sorted(unknown)}"
            )
        if not isinstance(record.get("label", ""), str):
            raise DamagedFileError(path, f"{where}: 'label' is not text")
        for key in ("mass_kg", "height_m"):
            if not _number_or_none(record.get(key)):
                raise DamagedFileError(path, f"{where}: {key!r} is not a number")
        legs = record.get("leg_length_m", {})
        if not isinstance(legs, dict) or not all(
            isinstance(k, str) and _number_or_none(v) and v is not None
            for k, v in legs.items()
        ):
            raise DamagedFileError(path, f"{where}: 'leg_length_m' is not side: metres")
        if not isinstance(record.get("extra", {}), dict):
            raise DamagedFileError(path, f"{where}: 'extra' is not an object")
        try:
            checked.append(Subject(**record))
        except (TypeError, ValueError) as error:
            raise DamagedFileError(path, f"{where}: {error}") from None
    return checked


def _check_settings(path: Path, settings: Any) -> dict[str, Any]:
    if not isinstance(settings, dict):
        raise DamagedFileError(path, "'settings' is not an object")
    for key in ("pipeline", "markers"):  # their content is checked where used
        if not isinstance(settings.get(key, {}), dict):
            raise DamagedFileError(path, f"'settings.{key}' is not an object")
    static = settings.get("static_trials", {})
    if not isinstance(static, dict) or not all(
        is_trial_id(k) and (v == "" or is_trial_id(v)) for k, v in static.items()
    ):
        raise DamagedFileError(
            path, "'settings.static_trials' is not a map of trial id to trial id"
        )
    return settings
