"""Subjects: the name a C3D file gives, and subject tables (participants.csv).

* :func:`subject_name_from_file` picks the participant's name from a file's
  ``SUBJECTS:NAMES``, skipping entries that name a marker set or model
  (Cortex writes the marker-set template there, e.g. ``CAST_ISB``; some
  Motion Analysis files ``HelenHayes``).
* :func:`read_subject_table` reads a table of participants (CSV), mapping its
  columns by name to the subject fields in SI units: the unit is taken from
  the column name (``Height_cm``, ``height [mm]``) or, when the name gives
  none, from the size of the values, and always stated in the mapping.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gaitlab.core.types import SIDES

__all__ = [
    "SUBJECT_FIELDS",
    "ColumnMapping",
    "SubjectTable",
    "read_subject_table",
    "subject_name_from_file",
]

SUBJECT_FIELDS = {
    "mass_kg": "body mass (kg)",
    "height_m": "stature (m)",
    "sex": "sex (F or M)",
    "leg_length_m": "leg length (m), both sides unless per side",
    "foot_length_m": "foot length, heel to longest toe (m)",
    "shoe_length_m": "shoe length, outsole heel to tip (m)",
}
"""Subject fields a table or the command line can set, with their units.
``foot_length_m`` and ``shoe_length_m`` are kept in ``Subject.extra``."""

_NOT_A_PERSON = frozenset(
    {
        "marker",
        "markers",
        "markerset",
        "set",
        "template",
        "model",
        "cast",
        "isb",
        "helenhayes",
        "pig",
        "plugingait",
        "fullbody",
        "lowerbody",
        "upperbody",
        "lowerextrmty",
        "lowerextremity",
        "cleveland",
        "vcmautolabel",
        "default",
        "unnamed",
        "none",
    }
)


def subject_name_from_file(names: Iterable[str]) -> str | None:
    """Return the first entry of ``SUBJECTS:NAMES`` that names a person, or None.

    An entry is taken for a marker-set or model name when one of its words
    (split at spaces, ``_``, ``-``, ``.``) is a marker-set word: ``CAST``,
    ``ISB``, ``HelenHayes``, ``PiG``, ``PlugInGait``, ``FullBody``,
    ``marker``, ``set``, ``template``, ``model`` ...

    Examples
    --------
    >>> subject_name_from_file(["CAST_ISB"]) is None
    True
    >>> subject_name_from_file(["LE marker set", "IS070607"])
    'IS070607'
    >>> subject_name_from_file(["Patient 1"])
    'Patient 1'
    """
    for name in names:
        text = str(name).strip()
        words = {w.lower() for w in re.split(r"[\s_.\-:]+", text) if w}
        if text and not words & _NOT_A_PERSON:
            return text
    return None


@dataclass(frozen=True)
class ColumnMapping:
    """How one table column is read.

    Attributes
    ----------
    column : str
        The column name in the file.
    field : str
        The subject field (a key of :data:`SUBJECT_FIELDS`).
    side : str
        ``"Left"``/``"Right"`` for a per-side leg length, else ``""``.
    unit : str
        The unit of the values in the file (``kg``, ``m``, ``cm``, ``mm``, or
        ``""`` for sex).
    how : str
        ``"named"`` (unit in the column name), ``"inferred"`` (from the
        size of the values) or ``"assumed"`` (mass without a unit: kg).
    """

    column: str
    field: str
    side: str = ""
    unit: str = ""
    how: str = "named"

    def text(self) -> str:
        """``"Height -> height_m (cm, inferred from the values)"``."""
        side = f" {self.side}" if self.side else ""
        if self.field == "sex":
            return f"{self.column} -> sex (F/female or M/male)"
        how = {
            "named": "named in the column",
            "inferred": "inferred from the values",
            "assumed": "assumed: no unit in the column name",
        }[self.how]
        return f"{self.column} -> {self.field}{side} ({self.unit}, {how})"


@dataclass
class SubjectTable:
    """A subject table read by :func:`read_subject_table`.

    Attributes
    ----------
    path : Path
        The file.
    id_column : str
        The column naming the subject (``Subject``, ``participant`` ...).
    file_column : str
        A column naming a trial file (``FileName``), or ``""``.
    mappings : list of ColumnMapping
        The columns used.
    ignored : list of str
        The columns not used.
    rows : list of (dict, dict)
        Per data row: the identity (``{"id": ..., "file": ...}``) and the
        values in SI units (``mass_kg``, ``height_m``, ``sex``,
        ``leg_length_m`` as ``{"Left": m, "Right": m}``, ``foot_length_m``,
        ``shoe_length_m``); empty cells are left out.
    """

    path: Path
    id_column: str
    file_column: str
    mappings: list[ColumnMapping]
    ignored: list[str]
    rows: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)


_ID_NAMES = (
    "subject",
    "subjectid",
    "participant",
    "participantid",
    "id",
    "name",
    "code",
)
_FILE_NAMES = ("filename", "file", "trial", "trialname", "c3d", "c3dfile")
_FIELD_NAMES = {
    "mass_kg": ("mass", "bodymass", "weight", "bodyweight", "bm"),
    "height_m": ("height", "stature", "bodyheight"),
    "sex": ("sex", "gender"),
    "leg_length_m": ("leglength", "leglen"),
    "foot_length_m": ("footlength", "footlen"),
    "shoe_length_m": ("shoelength", "shoelen"),
}
_LENGTH_UNITS = {"m": 1.0, "cm": 0.01, "mm": 0.001}
_PLAUSIBLE_M = {  # range of plausible values in metres, to infer a unit
    "height_m": (0.5, 2.5),
    "leg_length_m": (0.3, 1.4),
    "foot_length_m": (0.1, 0.4),
    "shoe_length_m": (0.1, 0.45),
}


def read_subject_table(path: str | Path) -> SubjectTable:
    """Read a participants table (CSV, comma or semicolon separated).

    Parameters
    ----------
    path : str or Path
        The file. Its header names the columns; they are matched case- and
        punctuation-insensitively: the subject (``Subject``, ``participant``,
        ``id``, ``name``), optionally a trial file (``FileName``), and
        ``mass``/``weight`` (kg; ``_g`` or ``lb`` not accepted),
        ``height``/``stature``, ``leg length`` (``L``/``R`` or
        ``left``/``right`` for one side), ``foot length``, ``shoe length`` (m,
        cm or mm: from the name, else from the values), ``sex``/``gender``.

    Returns
    -------
    table : SubjectTable

    Raises
    ------
    ValueError
        No subject column, no known value column, a value that is not a
        number, or a unit that cannot be inferred; naming the file, row and
        column.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8-sig")
    dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else ",", ",;\t")
    reader = csv.DictReader(text.splitlines(), dialect=dialect)
    columns = [c for c in (reader.fieldnames or []) if c is not None]
    keys = {c: _key(c) for c in columns}
    id_column = _first_column(columns, keys, _ID_NAMES)
    if id_column is None:
        raise ValueError(
            f"{path}: no subject column (expected one named Subject, participant, "
            f"id or name); columns: {', '.join(columns)}"
        )
    file_column = _first_column(columns, keys, _FILE_NAMES) or ""
    records = list(reader)
    mappings = []
    for column in columns:
        if column in (id_column, file_column):
            continue
        mapping = _map_column(column, keys[column])
        if mapping is None:
            continue
        if mapping.field in _PLAUSIBLE_M and not mapping.unit:
            unit = _infer_length_unit(path, column, mapping.field, records)
            mapping = ColumnMapping(
                column, mapping.field, mapping.side, unit, "inferred"
            )
        mappings.append(mapping)
    if not mappings:
        raise ValueError(
            f"{path}: no column gives a subject value (mass, height, sex, leg, "
            f"foot or shoe length); columns: {', '.join(columns)}"
        )
    used = {m.column for m in mappings} | {id_column, file_column}
    table = SubjectTable(
        path, id_column, file_column, mappings, [c for c in columns if c not in used]
    )
    for line, record in enumerate(records, start=2):
        ident = {"id": (record.get(id_column) or "").strip()}
        if file_column:
            ident["file"] = (record.get(file_column) or "").strip()
        if not ident["id"] and not ident.get("file"):
            continue
        values: dict[str, Any] = {}
        for mapping in mappings:
            cell = (record.get(mapping.column) or "").strip()
            if cell:
                _store(
                    values,
                    mapping,
                    cell,
                    f"{path}, line {line}, column {mapping.column!r}",
                )
        table.rows.append((ident, values))
    return table


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _first_column(
    columns: Sequence[str], keys: dict[str, str], names: Sequence[str]
) -> str | None:
    for name in names:
        for column in columns:
            if keys[column] == name:
                return column
    return None


def _map_column(column: str, key: str) -> ColumnMapping | None:
    """Read the field, side and unit a column name gives (None: another column).

    ``Height_cm`` -> height in cm; ``LLegLength`` -> left leg length (unit
    to infer); ``Mass`` -> mass in kg.
    """
    words = re.findall(r"[a-z]+", column.lower())
    unit = ""
    if len(words) > 1 and words[-1] in (*_LENGTH_UNITS, "kg"):
        unit = words[-1]
    stem = key[: -len(unit)] if unit and key.endswith(unit) else key
    side = ""
    for prefix, which in (
        ("left", "Left"),
        ("right", "Right"),
        ("l", "Left"),
        ("r", "Right"),
    ):
        if (
            stem.startswith(prefix)
            and stem[len(prefix) :] in _FIELD_NAMES["leg_length_m"]
        ):
            side, stem = which, stem[len(prefix) :]
            break
    for field_name, names in _FIELD_NAMES.items():
        if stem not in names:
            continue
        if field_name == "mass_kg":
            return ColumnMapping(
                column, field_name, "", "kg", "named" if unit else "assumed"
            )
        if field_name == "sex":
            return ColumnMapping(column, field_name)
        return ColumnMapping(
            column, field_name, side, unit if unit in _LENGTH_UNITS else ""
        )
    return None


def _infer_length_unit(
    path: Path, column: str, field_name: str, records: Sequence[dict[str, str]]
) -> str:
    """m, cm or mm: the unit that puts the column's median in the plausible range."""
    values = []
    for record in records:
        cell = (record.get(column) or "").strip()
        try:
            values.append(float(cell))
        except ValueError:
            continue
    values = [v for v in values if math.isfinite(v) and v > 0]
    if not values:
        return "m"
    median = sorted(values)[len(values) // 2]
    low, high = _PLAUSIBLE_M[field_name]
    for unit, scale in _LENGTH_UNITS.items():
        if low <= median * scale <= high:
            return unit
    raise ValueError(
        f"{path}: column {column!r} ({SUBJECT_FIELDS[field_name]}): values around "
        f"{median:g} are plausible in none of m, cm, mm; name the unit in the "
        f"column (e.g. {column}_cm)"
    )


def _store(
    values: dict[str, Any], mapping: ColumnMapping, cell: str, where: str
) -> None:
    if mapping.field == "sex":
        letter = cell[:1].upper()
        if letter not in ("F", "M"):
            raise ValueError(f"{where}: sex {cell!r} is not F/female or M/male")
        values["sex"] = letter
        return
    try:
        number = float(cell.replace(",", "."))
    except ValueError:
        raise ValueError(f"{where}: {cell!r} is not a number") from None
    if not number > 0:
        raise ValueError(f"{where}: {cell!r} must be > 0")
    if mapping.field == "mass_kg":
        values["mass_kg"] = number
        return
    metres = number * _LENGTH_UNITS[mapping.unit]
    if mapping.field == "leg_length_m":
        legs = values.setdefault("leg_length_m", {})
        for side in (mapping.side,) if mapping.side else SIDES:
            legs[side] = metres
        return
    values[mapping.field] = metres
