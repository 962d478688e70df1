#!/usr/bin/env bash
# Build the desktop bundle: dist/gaitlab/ (one folder, PyInstaller) holding the
# `gaitlab` and `gaitlab-gui` executables, then on Linux the tarball
# dist/gaitlab-VERSION-linux-ARCH.tar.gz (bundle + desktop entry + install.sh).
#
#   installer/build.sh [WHEEL]
#
# WHEEL: a gaitlab wheel to bundle (default: build one from this checkout).
# The bundle is made from that wheel installed (not editable) in a private
# virtual environment, build/bundle/venv, with PyInstaller. PYTHON chooses the
# Python (default python3, >= 3.11). Runs the same on Windows (Git Bash) and
# macOS runners; there no tarball is made (see installer/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
python=${PYTHON:-python3}
work=$root/build/bundle
started=$(date +%s)

mkdir -p "$work" dist
if [ $# -ge 1 ]; then
  wheel=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
else
  rm -rf "$work/wheel"
  "$python" -m pip wheel --quiet --no-deps --wheel-dir "$work/wheel" "$root"
  wheel=$(ls "$work"/wheel/gaitlab-*.whl)
fi
echo "bundling $wheel"

venv=$work/venv
if [ ! -x "$venv/bin/python" ] && [ ! -x "$venv/Scripts/python.exe" ]; then
  "$python" -m venv "$venv"
fi
vpy=$venv/bin/python
[ -x "$vpy" ] || vpy=$venv/Scripts/python.exe
"$vpy" -m pip install --quiet --force-reinstall --no-deps "$wheel" 2> >(grep -v "is ignored: it is neither" >&2)
"$vpy" -m pip install --quiet "${wheel}[gui]" "pyinstaller>=6.10,<7" 2> >(grep -v "is ignored: it is neither" >&2)

rm -rf dist/gaitlab
# from outside the checkout, so that the installed gaitlab is bundled, not ./gaitlab
(cd "$work" && "$vpy" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$root/dist" --workpath "$work/pyinstaller" "$root/installer/gaitlab.spec")

version=$("$vpy" -c "import gaitlab; print(gaitlab.__version__)")
case "$(uname -s)" in
  Linux)
    arch=$(uname -m)
    name=gaitlab-$version-linux-$arch
    stage=$work/$name
    rm -rf "$stage" && mkdir -p "$stage"
    cp -a dist/gaitlab "$stage/gaitlab"
    cp installer/gaitlab.desktop installer/install-linux.sh installer/README.md "$stage/"
    tar -C "$work" -czf "dist/$name.tar.gz" "$name"
    rm -rf "$stage"
    echo "tarball: dist/$name.tar.gz ($(du -h "dist/$name.tar.gz" | cut -f1))"
    ;;
esac
echo "bundle: dist/gaitlab ($(du -sh dist/gaitlab | cut -f1)), built in $(($(date +%s) - started)) s"
