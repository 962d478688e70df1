"""Entry point of the desktop bundle's two executables (PyInstaller).

``gaitlab`` (console) runs the command line, ``gaitlab-gui`` (windowed on
Windows) the desktop app; both are built from this script and tell which
they are by their own file name. ``multiprocessing.freeze_support()`` comes
first: the C3D reader's and the pipeline's worker processes are started by
running this same executable again (``spawn``), and such a child must become
a worker, not a second app.
"""

from __future__ import annotations

import logging
import multiprocessing
import sys
from pathlib import Path


def main() -> int:
    """Run the command line or the app, by the executable's name."""
    multiprocessing.freeze_support()
    # The bundle carries only the Zstandard and Blosc filters of hdf5plugin
    # (the ones the project store uses); its import would log each other
    # filter as missing.
    logging.getLogger("hdf5plugin").setLevel(logging.CRITICAL)
    if Path(sys.executable).stem.lower().startswith("gaitlab-gui"):
        from gaitlab.cli.cmd_gui import gui_main

        return gui_main()
    from gaitlab.cli.main import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
