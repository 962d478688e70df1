"""Readers and writers of files; reading goes through :mod:`gaitlab.io.readers`."""

from gaitlab.io.readers import read_trial

__all__ = ["read_trial"]
