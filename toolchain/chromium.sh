#!/usr/bin/env bash
# Prints the path of a headless-capable Chromium for the access matrix page's browser test (tests/slow/
# test_access_matrix.py), installing Debian's `chromium` with apt-get when there is none and this runs as root.
#   toolchain/chromium.sh            # the path, or exit 1 with what to do
# $CHROMIUM, when set, is used as it is. Otherwise the first of chromium, chromium-browser, google-chrome on PATH.
set -euo pipefail
# shellcheck source=debian.sh
. "$(dirname "${BASH_SOURCE[0]}")/debian.sh"
find_browser() {
  if [ -n "${CHROMIUM:-}" ]; then command -v "$CHROMIUM"; return; fi
  local name
  for name in chromium chromium-browser google-chrome google-chrome-stable; do
    if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
  done
  return 1
}
if find_browser; then exit 0; fi
if ! debian_can_install; then
  echo "chromium.sh: no Chromium on PATH; install Debian's chromium (as root: apt-get install chromium) or set CHROMIUM" >&2
  exit 1
fi
echo "[chromium] installing Debian's chromium with apt-get (first run only)" >&2
debian_install --with-recommends chromium \
  || { echo "chromium.sh: apt-get install chromium failed; run it by hand to see why" >&2; exit 1; }
find_browser
