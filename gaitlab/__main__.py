"""``python -m gaitlab`` runs the command-line interface."""

from gaitlab.cli.main import main

raise SystemExit(main())
