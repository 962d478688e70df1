#!/usr/bin/env bash
# Smoke test of the desktop bundle (Linux): installs the tarball made by
# installer/build.sh into a scratch folder outside the checkout and runs it
# there with an empty HOME and no Python environment, on the demo data:
#
#   installer/smoke.sh [TARBALL]     (default: the newest dist/gaitlab-*-linux-*.tar.gz)
#
#  1. install-linux.sh into PREFIX=scratch, `gaitlab --version` (with a commit)
#  2. `gaitlab plugins list`: every built-in plugin of the checkout, a user
#     plugin from the user plugin folder and one from GAITLAB_PLUGIN_PATH (they
#     import numpy and scipy from the bundle), no load failure
#  3. `gaitlab demo` without a display: metrics printed
#  4. import -> run (2 worker processes) -> export CSV and XLSX of the demo
#     trials; the import's isolated C3D reader workers are watched: with
#     GAITLAB_START_METHOD=spawn they are spawned, i.e. the frozen executable
#     started again (`gaitlab --multiprocessing-fork ...`), as under the GUI
#  5. `gaitlab-gui --screenshot` under Xvfb, checked for real content
#     (installer/check_screenshot.py); its time is printed beside the same
#     screenshot taken by the checkout's .venv app, when there is one
#  6. install-linux.sh --uninstall removes it
# PYTHON (default: .venv/bin/python of the checkout) runs the checks that read
# CSV and PNG files; the bundle itself never sees it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
check_python=${PYTHON:-$root/.venv/bin/python}
tarball=${1:-$(ls -t "$root"/dist/gaitlab-*-linux-*.tar.gz 2>/dev/null | head -1)}
[ -f "$tarball" ] || { echo "smoke: no tarball (run installer/build.sh first)" >&2; exit 1; }
tarball=$(cd "$(dirname "$tarball")" && pwd)/$(basename "$tarball")
scratch=$(mktemp -d "${TMPDIR:-/tmp}/gaitlab-smoke.XXXXXX")
trap 'status=$?; [ $status -eq 0 ] && rm -rf "$scratch" || echo "smoke: FAILED; files kept in $scratch" >&2' EXIT
cd "$scratch"
mkdir home
step() { echo "--- smoke: $*"; }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }  # milliseconds
# the bundle runs with nothing of this shell's environment but a PATH of system tools
run() { env -i HOME="$scratch/home" PATH=/usr/bin:/bin LANG=C.UTF-8 TMPDIR="$scratch" "$@"; }
fail() { echo "smoke: $*" >&2; exit 1; }

step "install $(basename "$tarball")"
tar -xzf "$tarball"
run PREFIX="$scratch/prefix" bash "$scratch"/gaitlab-*/install-linux.sh
app=$scratch/prefix/opt/gaitlab
gaitlab=$scratch/prefix/bin/gaitlab
[ -f "$scratch/prefix/share/applications/gaitlab.desktop" ] || fail "no desktop entry installed"
grep -q "^Exec=$app/gaitlab-gui %F" "$scratch/prefix/share/applications/gaitlab.desktop" \
  || fail "the desktop entry does not run $app/gaitlab-gui"

step "gaitlab --version"
version=$(run "$gaitlab" --version)
echo "$version"
[[ $version =~ ^gaitlab\ [0-9][^\ ]*\ \(commit\ [0-9a-f]{12} ]] || fail "no version and commit in: $version"

step "user plugins: the user plugin folder and GAITLAB_PLUGIN_PATH"
user_plugins=$scratch/home/.local/share/gaitlab/plugins
mkdir -p "$user_plugins" "$scratch/path-plugins"
cp "$root/installer/smoke_plugin.py" "$user_plugins/smoke_bundle.py"
cat > "$scratch/path-plugins/smoke_path.py" <<'PLUGIN'
"""A plugin on GAITLAB_PLUGIN_PATH: scipy.stats from the bundle."""
import numpy as np
from scipy import stats

from gaitlab.api import MetricSpec, Result, RunContext, TrialView, plugin


@plugin(
    name="smoke_path",
    version="1.0.0",
    title="GAITLAB_PLUGIN_PATH smoke test",
    category="Smoke test",
    needs=("result:gait_events",),
    metrics=(MetricSpec("smoke_contact_time_median", "s", "Median contact time", per_step=False),),
)
def smoke_path(trial: TrialView, ctx: RunContext) -> Result:
    result = Result()
    times = np.array([c.to_s - c.ic_s for c in trial.contacts()])
    result.add_metric("smoke_contact_time_median", float(stats.scoreatpercentile(times, 50)))
    return result
PLUGIN
export_path() { run GAITLAB_PLUGIN_PATH="$scratch/path-plugins" "$@"; }

step "gaitlab plugins list"
export_path "$gaitlab" plugins list | tee plugins.txt || fail "gaitlab plugins list reported a failure"
for plugin in "$root"/plugins/*.py; do
  name=$(basename "$plugin" .py)
  [[ $name == _* ]] && continue
  grep -q "^$name .*builtin:$name.py@" plugins.txt || fail "built-in plugin $name not listed"
done
grep -q "^smoke_bundle .*file:$user_plugins/smoke_bundle.py@" plugins.txt || fail "user folder plugin not loaded"
grep -q "^smoke_path .*file:$scratch/path-plugins/smoke_path.py@" plugins.txt || fail "GAITLAB_PLUGIN_PATH plugin not loaded"

step "gaitlab demo (no display)"
start=$(date +%s%N)
export_path "$gaitlab" demo --project "$scratch/demo.gaitlab" | tee demo.txt
demo_ms=$(ms_since "$start")
grep -q "^  contact_time .* s$" demo.txt || fail "gaitlab demo printed no contact times"
grep -q "^  body_mass .* kg$" demo.txt || fail "gaitlab demo printed no body mass"

step "import -> run -> export"
# the import, watched: the command lines of the bundle's processes while it runs
export_path GAITLAB_START_METHOD=spawn "$gaitlab" import "$scratch/study.gaitlab" \
  "$app/_internal/gaitlab/_builtin/data" --subject s01 --workers 2 2>import-progress.txt &
importer=$!
# (bash builtins only in the sweep: a fork per process made one sweep as long as
# the whole import, so short-lived workers could be missed)
while kill -0 "$importer" 2>/dev/null; do
  for process in /proc/[0-9]*; do
    mapfile -d '' -t args 2>/dev/null <"$process/cmdline" || continue
    command="${args[*]}"
    case $command in "$app/gaitlab "*) echo "$command" ;; esac
  done
  sleep 0.01
done | sort -u >import-processes.txt
wait "$importer" || fail "gaitlab import failed: $(tail -c 500 import-progress.txt)"
cat import-processes.txt
grep -q -- "--multiprocessing-fork" import-processes.txt \
  || fail "no spawned C3D reader worker seen during the import"
start=$(date +%s%N)
export_path "$gaitlab" run "$scratch/study.gaitlab" --workers 2 --quiet \
  --plugins body_mass braking center_of_mass foot_strike gait_events lean quality \
  running_measures smoke_bundle smoke_path
run_ms=$(ms_since "$start")
export_path "$gaitlab" export "$scratch/study.gaitlab" -o "$scratch/metrics.csv"
export_path "$gaitlab" export "$scratch/study.gaitlab" -o "$scratch/metrics.xlsx"
[ -s metrics.xlsx ] && [ -s metrics.csv.provenance.json ] || fail "export wrote no XLSX or provenance"
"$check_python" - "$scratch/metrics.csv" <<'CHECK'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
trials = {r["trial_id"] for r in rows}
plugins = {r["plugin"] for r in rows if r["status"] == "ok"}
spawned = [r for r in rows if r["metric"] == "smoke_spawned"]
print(f"{len(rows)} rows, {len(trials)} trials, ok results of: {', '.join(sorted(plugins))}")
for r in spawned:
    print(f"  smoke_bundle on {r['trial_id']} ran in: {r['message']}")
missing = {"gait_events", "braking", "lean", "running_measures", "smoke_bundle", "smoke_path"} - plugins
assert not missing, f"no results of {missing}"
assert len(trials) >= 4, trials
CHECK

step "gaitlab-gui --screenshot under Xvfb"
start=$(date +%s%N)
run xvfb-run -a "$app/gaitlab-gui" "$scratch/demo.gaitlab" --screenshot "$scratch/shot.png"
gui_ms=$(ms_since "$start")
"$check_python" "$root/installer/check_screenshot.py" "$scratch/shot.png" 1600 1000
[ -f "$scratch/home/.local/state/gaitlab/log/gaitlab.log" ] || fail "the app wrote no log in the user log folder"
venv_gui=$root/.venv/bin/gaitlab-gui
if [ -x "$venv_gui" ]; then
  start=$(date +%s%N)
  env -i HOME="$scratch/home" PATH=/usr/bin:/bin LANG=C.UTF-8 TMPDIR="$scratch" \
    xvfb-run -a "$venv_gui" "$scratch/demo.gaitlab" --screenshot "$scratch/shot-venv.png" >/dev/null
  venv_ms=$(ms_since "$start")
  echo "smoke: window drawn and saved (screenshot) in $gui_ms ms by the bundle, $venv_ms ms by the .venv app"
else
  echo "smoke: window drawn and saved (screenshot) in $gui_ms ms by the bundle"
fi
echo "smoke: gaitlab demo $demo_ms ms, pipeline on $(ls "$scratch/study.gaitlab/trials" | wc -l) trials" \
  "(2 workers) $run_ms ms; installed bundle $(du -sh "$app" | cut -f1)"

step "uninstall"
run PREFIX="$scratch/prefix" bash "$scratch"/gaitlab-*/install-linux.sh --uninstall
[ ! -e "$app" ] && [ ! -e "$gaitlab" ] || fail "uninstall left $app or $gaitlab"
echo "smoke: bundle OK"
