#!/usr/bin/env bash
# Install (or remove) the gaitlab desktop bundle for the current user, from
# the unpacked tarball this script is in:
#
#   ./install-linux.sh              install into ~/.local/opt/gaitlab
#   ./install-linux.sh --uninstall  remove it again (projects, settings, logs
#                                   and user plugins are kept)
#
# PREFIX (default ~/.local) chooses where: the app goes to PREFIX/opt/gaitlab,
# the commands `gaitlab` and `gaitlab-gui` to PREFIX/bin (links), the desktop
# entry to PREFIX/share/applications. No root needed; nothing else is touched.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
prefix=${PREFIX:-$HOME/.local}
app=$prefix/opt/gaitlab
bin=$prefix/bin
entries=$prefix/share/applications

if [ "${1:-}" = "--uninstall" ]; then
  for command in gaitlab gaitlab-gui; do
    if [ -L "$bin/$command" ] && [ "$(readlink "$bin/$command")" = "$app/$command" ]; then
      rm -f "$bin/$command"
    fi
  done
  rm -f "$entries/gaitlab.desktop"
  rm -rf "$app"
  command -v update-desktop-database >/dev/null && update-desktop-database "$entries" || true
  echo "gaitlab removed from $prefix"
  exit 0
fi

[ -x "$here/gaitlab/gaitlab" ] || { echo "no gaitlab/gaitlab beside $0: unpack the whole tarball" >&2; exit 1; }
mkdir -p "$prefix/opt" "$bin" "$entries"
rm -rf "$app.new"
cp -a "$here/gaitlab" "$app.new"
rm -rf "$app" && mv "$app.new" "$app"
ln -sfn "$app/gaitlab" "$bin/gaitlab"
ln -sfn "$app/gaitlab-gui" "$bin/gaitlab-gui"
sed -e "s|^Exec=.*|Exec=$app/gaitlab-gui %F|" -e "s|^TryExec=.*|TryExec=$app/gaitlab-gui|" \
  "$here/gaitlab.desktop" > "$entries/gaitlab.desktop"
command -v update-desktop-database >/dev/null && update-desktop-database "$entries" || true
echo "gaitlab installed in $app"
echo "  commands: $bin/gaitlab, $bin/gaitlab-gui$(case ":$PATH:" in *":$bin:"*) ;; *) echo " (add $bin to PATH)";; esac)"
echo "  desktop entry: $entries/gaitlab.desktop"
"$app/gaitlab" --version
