"""The ``gaitlab`` command."""
