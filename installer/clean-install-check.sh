#!/usr/bin/env bash
# Clean-install check: does the wheel, installed the way a lab installs it,
# carry its analyses? Run by .ci/run after the tests:
#
#   installer/clean-install-check.sh [OUTDIR]     (default OUTDIR: dist/)
#
# 1. builds the sdist, then the wheel FROM that sdist (python -m build), so
#    the sdist is proven to hold what a rebuild needs; both land in OUTDIR;
# 2. installs the wheel, not editable, into a fresh virtual environment in a
#    scratch folder away from the checkout, and there, with an empty HOME and
#    the scratch folder as working directory, runs: `gaitlab --version` (the
#    checkout's commit, baked in), `gaitlab plugins list` (every built-in of
#    plugins/, loaded from the installed package), `gaitlab demo` without a
#    display (metrics printed), and import -> run -> export of a demo trial;
# 3. hides the installed built-in plugin folder and checks that `gaitlab
#    plugins list` and `gaitlab run` report it as a load failure.
# PYTHON chooses the Python (default python3, >= 3.11).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}
outdir=${1:-$root/dist}
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/gaitlab-clean-install.XXXXXX")
trap 'status=$?; [ $status -eq 0 ] && rm -rf "$scratch" || echo "clean-install: FAILED; files kept in $scratch" >&2' EXIT
step() { echo "--- clean-install: $*"; }
fail() { echo "clean-install: $*" >&2; exit 1; }
quiet_pip() { "$@" 2> >(grep -v "is ignored: it is neither" >&2); }

step "build the sdist, then the wheel from it"
"$python" -m venv "$scratch/build-env"
quiet_pip "$scratch/build-env/bin/pip" install --quiet "build>=1.2"
rm -f "$outdir"/gaitlab-*.whl "$outdir"/gaitlab-*.tar.gz
(cd "$scratch" && quiet_pip "$scratch/build-env/bin/python" -m build --outdir "$outdir" "$root" >build.log) \
  || { cat "$scratch/build.log"; fail "python -m build failed"; }
wheel=$(ls "$outdir"/gaitlab-*.whl)
sdist=$(ls "$outdir"/gaitlab-*.tar.gz)
echo "$(basename "$sdist") $(du -h "$sdist" | cut -f1), $(basename "$wheel") $(du -h "$wheel" | cut -f1)"

step "install the wheel into a fresh venv in $scratch"
cd "$scratch"
mkdir home
"$python" -m venv env
quiet_pip env/bin/pip install --quiet "$wheel"
# nothing of the checkout or of this shell's Python environment reaches it
run() { env -i HOME="$scratch/home" PATH="$scratch/env/bin:/usr/bin:/bin" LANG=C.UTF-8 TMPDIR="$scratch" "$@"; }
package=$(run python -c "import gaitlab, pathlib; print(pathlib.Path(gaitlab.__file__).parent)")
case "$package" in "$root"*) fail "gaitlab imported from the checkout: $package" ;; esac
echo "installed package: $package"

step "gaitlab --version"
version=$(run gaitlab --version)
echo "$version"
if commit=$(git -C "$root" rev-parse HEAD 2>/dev/null); then
  [[ $version == *"(commit ${commit:0:12}"* ]] || fail "--version does not name commit ${commit:0:12}"
fi

step "gaitlab plugins list"
run gaitlab plugins list | tee plugins.txt || fail "gaitlab plugins list reported load failures"
grep -q "^built-in folder  $package/_builtin/plugins$" plugins.txt || fail "built-in folder is not the installed one"
for plugin in "$root"/plugins/*.py; do
  name=$(basename "$plugin" .py)
  [[ $name == _* ]] && continue
  grep -q "^$name .*builtin:$name.py@" plugins.txt || fail "built-in plugin $name not listed"
done

step "gaitlab demo (no display)"
run gaitlab demo --project "$scratch/demo.gaitlab" | tee demo.txt
grep -q "^no display: printing the demo metrics" demo.txt || fail "gaitlab demo did not fall back to printing"
grep -q "^  contact_time .* s$" demo.txt || fail "gaitlab demo printed no contact times"
grep -q "^  trunk_lean .* deg$" demo.txt || fail "gaitlab demo printed no trunk lean"

step "import -> run -> export of a demo trial"
run gaitlab import study.gaitlab "$package/_builtin/data/demo_treadmill_run.c3d" --subject s01 --quiet
run gaitlab run study.gaitlab --quiet
run gaitlab export study.gaitlab -o metrics.csv
run python - metrics.csv <<'CHECK'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
ok = {r["plugin"] for r in rows if r["status"] == "ok" and r["metric"]}
contact = [float(r["value"]) for r in rows if r["metric"] == "contact_time" and r["statistic"] == "mean"]
print(f"{len(rows)} rows; metrics of: {', '.join(sorted(ok))}; mean contact time {contact} s")
assert {"braking", "lean", "running_measures", "foot_strike"} <= ok, ok
assert contact and 0.1 < contact[0] < 0.4, contact
CHECK

step "a missing built-in folder is reported, not an empty list"
mv "$package/_builtin/plugins" "$scratch/hidden-plugins"
if run gaitlab plugins list >missing.txt; then fail "plugins list exited 0 without built-ins"; fi
cat missing.txt
grep -q "^FAILED  builtin:.*no built-in plugins" missing.txt || fail "plugins list did not report the missing folder"
if run gaitlab run study.gaitlab --quiet >run-missing.txt 2>&1; then fail "gaitlab run exited 0 without built-ins"; fi
cat run-missing.txt
grep -q "builtin:.*no built-in plugins" run-missing.txt || fail "gaitlab run did not report the missing folder"
mv "$scratch/hidden-plugins" "$package/_builtin/plugins"
echo "clean-install: OK"
