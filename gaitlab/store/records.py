"""The index record of a trial, and the trial ids (slugs) that name its files."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = ["TrialRecord", "record_from_trial_attrs", "slugify", "utc_now"]

_MAX_SLUG = 180  # characters; a trial id (slug plus "-N") stays a valid file name


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


def slugify(text: str, fallback: str = "item") -> str:
    """A lowercase identifier of ``[a-z0-9_-]``.

    Examples
    --------
    >>> slugify("RBDS001 run T25.c3d")
    'rbds001-run-t25-c3d'
    """
    slug = re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-")
    return slug[:_MAX_SLUG].strip("-") or fallback


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


def utc_now() -> str:
    """The current time, ISO 8601 in UTC to the second (``imported_utc``)."""
    return datetime.now(UTC).isoformat(timespec="seconds")
