"""Hatch build hook: the built-in plugins, demo data and git commit of a wheel.

* Wheels (not editable installs) get the top-level ``plugins/`` and ``data/``
  folders inside the package, as ``gaitlab/_builtin/plugins`` and
  ``gaitlab/_builtin/data``, where ``gaitlab._builtin`` finds them. An
  editable install keeps finding them at the top of the checkout (a static
  ``force-include`` would also copy them into site-packages there).
* Wheels and sdists get ``gaitlab/_build_info.json`` (read by
  ``gaitlab._version``), never written into the source tree. Built from a git
  checkout, it holds the checkout's commit; built from an sdist (no
  ``.git``), the sdist's own ``gaitlab/_build_info.json`` is already in the
  package and is kept as is.
``python installer/hatch_build.py FILE`` writes the same file (build.sh uses
it for the desktop bundle).
"""

from __future__ import annotations

import json
import runpy
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = "gaitlab/_build_info.json"
BUILTIN_FOLDERS = {
    "plugins": "gaitlab/_builtin/plugins",
    "data": "gaitlab/_builtin/data",
}
"""Top-level folder of the checkout -> its place inside the wheel."""


def build_info() -> dict[str, object] | None:
    """The checkout's commit (gaitlab._version.git_build_info), or None."""
    version = runpy.run_path(str(ROOT / "gaitlab" / "_version.py"))
    return version["git_build_info"](ROOT)


try:
    from hatchling.builders.hooks.plugin.interface import BuildHookInterface
except ImportError:  # run as a script, outside a build
    BuildHookInterface = object  # type: ignore[assignment,misc]


class CustomBuildHook(BuildHookInterface):  # type: ignore[misc,valid-type]
    """Adds the built-in folders and ``gaitlab/_build_info.json`` to the build."""

    def initialize(self, version: str, build_data: dict) -> None:
        if version == "editable":
            return  # an editable install uses the checkout's folders and git
        if self.target_name == "wheel":
            for folder, target in BUILTIN_FOLDERS.items():
                if not (ROOT / folder).is_dir():
                    raise FileNotFoundError(
                        f"{ROOT / folder}: missing, the wheel needs it"
                    )
                build_data["force_include"][str(ROOT / folder)] = target
        info = build_info()
        if info is None:
            if not (ROOT / TARGET).is_file():
                self.app.display_warning(
                    f"no .git and no {TARGET}: gaitlab --version will say "
                    "'commit unknown'"
                )
            return
        with tempfile.NamedTemporaryFile(
            "w", suffix=".json", delete=False, encoding="utf-8"
        ) as handle:
            json.dump(info, handle)
        build_data["force_include"][handle.name] = TARGET


if __name__ == "__main__":
    info = build_info() or {"commit": "unknown", "modified": False}
    Path(sys.argv[1]).write_text(json.dumps(info), encoding="utf-8")
    sys.stdout.write(f"{sys.argv[1]}: {info}\n")
