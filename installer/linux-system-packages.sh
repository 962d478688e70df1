#!/usr/bin/env bash
# The system libraries Qt loads (also for its offscreen platform) and, for the
# screenshot test, an X server (Xvfb, xvfb-run, xauth), on Debian/Ubuntu.
# Installs only what is missing; does nothing elsewhere (macOS, Windows, other
# Linux distributions: there a desktop install already has them).
set -euo pipefail

command -v apt-get >/dev/null && command -v dpkg-query >/dev/null || exit 0

packages=(
  xvfb xauth
  libgl1 libegl1 libglib2.0-0 libfontconfig1 libdbus-1-3
  libxkbcommon-x11-0 libx11-xcb1 libxcb-cursor0 libxcb-icccm4 libxcb-image0
  libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-shm0
  libxcb-sync1 libxcb-xfixes0 libxcb-xkb1
)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" \
    || missing+=("$package")
done
((${#missing[@]})) || exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "installing the system libraries Qt needs: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
for attempt in 1 2 3; do  # a mirror or the dpkg lock can be briefly unavailable
  if $sudo apt-get update -qq >/dev/null \
    && $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    exit 0
  fi
  echo "apt-get failed (attempt $attempt of 3)" >&2
  sleep $((attempt * 10))
done
echo "could not install: ${missing[*]}" >&2
exit 1
