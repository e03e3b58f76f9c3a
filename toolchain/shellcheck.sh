#!/usr/bin/env bash
# Prints the path of shellcheck for `make lint` (toolchain/lint.sh, and actionlint, which checks the workflows'
# `run:` scripts with the shellcheck it finds on PATH), installing Debian's `shellcheck` with apt-get when there is
# none and this runs as root.
#   toolchain/shellcheck.sh          # the path, or exit 1 with what to do
# $SHELLCHECK, when set, is used as it is.
set -euo pipefail
# shellcheck source=debian.sh
. "$(dirname "${BASH_SOURCE[0]}")/debian.sh"
find_shellcheck() {
  if [ -n "${SHELLCHECK:-}" ]; then command -v "$SHELLCHECK"; return; fi
  command -v shellcheck
}
if find_shellcheck; then exit 0; fi
if ! debian_can_install; then
  echo "shellcheck.sh: no shellcheck on PATH; install Debian's shellcheck (as root: apt-get install shellcheck) or set SHELLCHECK" >&2
  exit 1
fi
echo "[shellcheck] installing Debian's shellcheck with apt-get (first run only)" >&2
debian_install shellcheck \
  || { echo "shellcheck.sh: apt-get install shellcheck failed; run it by hand to see why" >&2; exit 1; }
find_shellcheck
