"""Reading the store's HDF5 files defensively: size limits and checksums.

A file on disk may be damaged (a flipped bit, a truncated copy) or crafted.
Every read of a project file therefore goes through a :class:`CheckedReader`:

* **Declared sizes** are checked before anything is read. None of the
  store's datasets is compressed, so an array whose declared size (elements
  x item size) exceeds the file's size cannot be genuine; it is refused
  instead of allocating it. A variable-length string takes at least 16 bytes
  of the file per element, which bounds string arrays the same way.
* **Checksums.** Since format version 2 every file carries, in its root
  attribute ``gaitlab_checksums`` (JSON), a CRC-32 of each dataset's values
  and of each object's attributes, computed when the file was written
  (:func:`seal`). A reader recomputes the CRC of what it read and refuses a
  mismatch, so a damaged file is reported rather than loaded as different
  data. Files of format version 1 (written before checksums) are read
  without them.
* Anything else that goes wrong while reading a damaged file (h5py's
  ``OSError``, ``KeyError``, ``TypeError``...) becomes a
  :class:`~gaitlab.core.errors.DamagedFileError` naming the file.

The files are also written with HDF5's version-1.10 object format, whose
metadata (object headers, B-trees, heaps of attributes) carries HDF5's own
checksums, so most damage to the file structure is refused by HDF5 itself
before it is interpreted.

CRC-32 detects accidental damage; it is no defence against a forger, who
could recompute it. The size limits are what protect against crafted files.
"""

from __future__ import annotations

import json
import math
import os
import stat
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from gaitlab.core.errors import DamagedFileError, FormatVersionError, ProjectError
from gaitlab.store.schema import FORMAT_VERSION

__all__ = [
    "CHECKSUMS_ATTR",
    "LIBVER",
    "CheckedReader",
    "open_checked",
    "seal",
]

CHECKSUMS_ATTR = "gaitlab_checksums"
"""Root attribute holding the JSON object ``{key: crc32 hex}`` of a file."""

LIBVER = ("v110", "latest")
"""HDF5 object format of written files (metadata with checksums)."""

FIRST_CHECKSUMMED_VERSION = 2
"""Format version from which every file must carry checksums."""

_VLEN_BYTES = 16  # the least a variable-length element takes in the file


def _crc(data: bytes, start: int = 0) -> int:
    return zlib.crc32(data, start)


def _plain(value: Any) -> Any:
    """An attribute value as plain JSON-able Python."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="surrogateescape")
    if isinstance(value, np.ndarray):
        return [value.dtype.str, list(value.shape), value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _attrs_digest(values: dict[str, Any]) -> str:
    text = json.dumps(
        {k: _plain(v) for k, v in values.items()},
        sort_keys=True,
        default=repr,
    )
    return f"{_crc(text.encode('utf-8', errors='surrogateescape')):08x}"


def _value_digest(value: Any) -> str:
    """CRC-32 of a dataset's value as read (array, number or string)."""
    if isinstance(value, str):
        return f"{_crc(b'str|' + value.encode('utf-8', errors='surrogateescape')):08x}"
    if isinstance(value, tuple):  # a string array
        text = json.dumps(list(value))
        return f"{_crc(b'strs|' + text.encode('utf-8', errors='surrogateescape')):08x}"
    array = np.ascontiguousarray(value)
    head = f"{array.dtype.str}|{array.shape}|".encode()
    return f"{_crc(array.data.cast('B') if array.size else b'', _crc(head)):08x}"


def _read_attr(attr_id: Any, dtype: np.dtype, shape: tuple[int, ...] | None) -> Any:
    """An attribute's value from its open id (as h5py reads it, opened once)."""
    if shape is None:  # an empty attribute
        return None
    if dtype.subdtype is not None:
        raise ValueError(f"array-typed attribute ({dtype}) is not a gaitlab attribute")
    array = np.zeros(shape, dtype=dtype)
    attr_id.read(array, mtype=h5py.h5t.py_create(dtype))
    if h5py.check_string_dtype(dtype) is not None and dtype.kind == "O":
        array = np.array(
            [
                b.decode("utf-8", "surrogateescape") if isinstance(b, bytes) else b
                for b in array.flat
            ],
            dtype=object,
        ).reshape(array.shape)
    if array.ndim == 0:
        return _plain(array[()])
    return array.astype(str) if array.dtype.kind == "O" else array


@dataclass(frozen=True)
class Node:
    """A group or dataset of a file being read, with its path (``""``: the root).

    The path is carried along because asking HDF5 for an object's name is slow.
    """

    obj: Any
    path: str


_NO_ATTRS = _attrs_digest({})


class CheckedReader:
    """Reads one open store file with size limits and checksum checks.

    Every method takes the parent :class:`Node` and a child's name;
    :attr:`root` is the file itself.

    Parameters
    ----------
    f : h5py.File
        The open file.
    path : Path
        Its name, for messages.
    """

    def __init__(self, f: h5py.File, path: Path) -> None:
        self.f = f
        self.root = Node(f, "")
        self.path = Path(path)
        self.size = os.fstat(f.id.get_vfd_handle()).st_size
        self.checksums: dict[str, str] | None = None
        root = self.attrs(self.root, verify=False)
        self.root_attrs = root
        version = root.get("gaitlab_format_version", -1)
        if not isinstance(version, int) or isinstance(version, bool):
            raise self.damaged("the format version is not a whole number")
        if version > FORMAT_VERSION:
            raise FormatVersionError(
                f"{self.path}: written by a newer gaitlab (format version "
                f"{version}; this gaitlab reads up to {FORMAT_VERSION}). Update "
                "gaitlab to open it."
            )
        if version < 1:
            raise ProjectError(f"{self.path}: not a gaitlab file (no format version)")
        self.version = version
        if version >= FIRST_CHECKSUMMED_VERSION:
            text = root.get(CHECKSUMS_ATTR)
            if not isinstance(text, str):
                raise self.damaged("its checksums are missing")
            try:
                checksums = json.loads(text)
            except ValueError:
                raise self.damaged("its checksums are unreadable") from None
            if not isinstance(checksums, dict) or not all(
                isinstance(v, str) for v in checksums.values()
            ):
                raise self.damaged("its checksums are unreadable")
            self.checksums = checksums
            self._verify(
                "/@attrs",
                _attrs_digest({k: v for k, v in root.items() if k != CHECKSUMS_ATTR}),
            )

    def damaged(self, problem: str) -> DamagedFileError:
        """The error for a damaged file (to raise)."""
        return DamagedFileError(self.path, problem)

    def _verify(self, key: str, digest: str) -> None:
        if self.checksums is None:
            return
        expected = self.checksums.get(key)
        if expected is None and key.endswith("@attrs"):
            expected = _NO_ATTRS  # sealed without: the object had none
        if expected is None:
            raise self.damaged(f"no checksum for {key}")
        if expected != digest:
            raise self.damaged(f"checksum mismatch in {key} (the data changed on disk)")

    def _check_size(
        self, name: str, shape: tuple[int, ...] | None, itemsize: int
    ) -> None:
        count = math.prod(shape) if shape else 1
        if count * max(itemsize, 1) > self.size:
            raise self.damaged(
                f"{name} declares {count} values of {itemsize} bytes, more than "
                f"the file's {self.size} bytes"
            )

    def child(self, parent: Node, name: str, kind: type = h5py.HLObject) -> Node:
        """A group or dataset in ``parent`` (refused when absent or of another kind)."""
        path = f"{parent.path}/{name}"
        try:
            item = parent.obj[name]
        except KeyError:
            item = None
        if not isinstance(item, kind):
            raise self.damaged(f"{path} is missing")
        return Node(item, path)

    def group(self, parent: Node, name: str) -> Node:
        """A subgroup (refused when absent or not a group)."""
        return self.child(parent, name, h5py.Group)

    def attrs(self, node: Node, *, verify: bool = True) -> dict[str, Any]:
        """All attributes of a group or dataset, as plain Python values."""
        values: dict[str, Any] = {}
        manager = node.obj.attrs
        for name in list(manager):
            attr_id = manager.get_id(name)
            dtype, shape = attr_id.dtype, attr_id.shape
            itemsize = _VLEN_BYTES if dtype.kind == "O" else dtype.itemsize
            self._check_size(f"attribute {node.path}@{name}", shape, itemsize)
            values[name] = _read_attr(attr_id, dtype, shape)
        if verify:
            self._verify(f"{node.path or '/'}@attrs", _attrs_digest(values))
        return values

    def array(self, parent: Node, name: str) -> np.ndarray:
        """A numeric dataset, after its size and checksum checks."""
        node = self.child(parent, name, h5py.Dataset)
        dataset = node.obj
        dtype = dataset.dtype
        if dtype.kind not in "biuf":
            raise self.damaged(f"{node.path} is not numeric ({dtype})")
        self._check_size(node.path, dataset.shape, dtype.itemsize)
        value = np.asarray(dataset[()])
        self._verify(node.path, _value_digest(value))
        return value

    def strings(self, parent: Node, name: str) -> tuple[str, ...]:
        """A one-dimensional string dataset."""
        node = self.child(parent, name, h5py.Dataset)
        dataset = node.obj
        shape = dataset.shape
        if len(shape) != 1 or h5py.check_string_dtype(dataset.dtype) is None:
            raise self.damaged(f"{node.path} is not a list of strings")
        self._check_size(node.path, shape, _VLEN_BYTES)
        value = tuple(dataset.asstr()[()].tolist()) if shape[0] else ()
        self._verify(node.path, _value_digest(value))
        return value

    def text(self, parent: Node, name: str) -> str:
        """A scalar string dataset."""
        node = self.child(parent, name, h5py.Dataset)
        dataset = node.obj
        if dataset.shape != () or h5py.check_string_dtype(dataset.dtype) is None:
            raise self.damaged(f"{node.path} is not a text")
        value = dataset.asstr()[()]
        self._verify(node.path, _value_digest(value))
        return value


@contextmanager
def open_checked(path: Path) -> Iterator[CheckedReader]:
    """Open a store file for reading; any failure becomes a clear error.

    Raises
    ------
    DamagedFileError
        When the file cannot be opened or read, or fails a check.
    FormatVersionError
        When a newer gaitlab wrote it.
    ProjectError
        When it is not a gaitlab file at all.
    """
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ProjectError(f"{path}: file not found") from None
    except OSError as error:
        raise DamagedFileError(path, f"cannot be read ({error.strerror})") from None
    if not stat.S_ISREG(mode):  # a FIFO or device would block or never end
        raise DamagedFileError(path, "not a regular file")
    try:
        f = h5py.File(path, "r", locking=False)
    except FileNotFoundError:
        raise ProjectError(f"{path}: file not found") from None
    except Exception as error:
        raise DamagedFileError(path, f"cannot be opened as HDF5 ({error})") from None
    try:
        with f:
            yield CheckedReader(f, path)
    except ProjectError:
        raise
    except MemoryError:
        raise DamagedFileError(path, "declares more data than memory holds") from None
    except Exception as error:
        raise DamagedFileError(
            path, f"cannot be read ({type(error).__name__}: {error})"
        ) from None


def seal(f: h5py.File) -> None:
    """Write the checksums of everything in the open file ``f`` (last step).

    Reads every dataset and attribute back exactly as :class:`CheckedReader`
    does and stores their CRC-32 in the root attribute ``gaitlab_checksums``
    (objects without attributes get no ``@attrs`` entry).
    """
    reader = CheckedReader.__new__(CheckedReader)
    reader.f, reader.path, reader.checksums = f, Path(f.filename), None
    reader.size = 2**63
    digests: dict[str, str] = {}

    def visit(name: str, obj: Any) -> None:
        node = Node(obj, f"/{name}")
        if len(obj.attrs):  # no entry: no attributes (keeps sealing quick)
            digests[f"{node.path}@attrs"] = _attrs_digest(
                reader.attrs(node, verify=False)
            )
        if isinstance(obj, h5py.Dataset):
            if h5py.check_string_dtype(obj.dtype) is None:
                value: Any = np.asarray(obj[()])
            elif obj.shape == ():
                value = obj.asstr()[()]
            else:
                value = tuple(obj.asstr()[()].tolist()) if obj.shape[0] else ()
            digests[node.path] = _value_digest(value)

    f.visititems(visit)
    root = reader.attrs(Node(f, ""), verify=False)
    root.pop(CHECKSUMS_ATTR, None)
    digests["/@attrs"] = _attrs_digest(root)
    f.attrs[CHECKSUMS_ATTR] = json.dumps(digests, sort_keys=True)
