"""The project store: a folder of HDF5 files (see :mod:`gaitlab.store.schema`)."""

from gaitlab.store.schema import is_project

__all__ = ["is_project"]
