"""The desktop app (PySide6 + pyqtgraph) on top of :class:`gaitlab.session.Session`.

Nothing in ``gaitlab`` outside this package imports Qt. Importing it selects
the PySide6 binding for pyqtgraph.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_API", "pyside6")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
