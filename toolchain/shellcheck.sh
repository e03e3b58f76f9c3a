#!/usr/bin/env bash
# Prints the path of shellcheck for `make lint` (toolchain/lint.sh, and actionlint, which checks the workflows'
# `run:` scripts with the shellcheck it finds on PATH), installing Debian's `shellcheck` with apt-get when there is
# none and this runs as root.
#   toolchain/shellcheck.sh          # the path, or exit 1 with what to do
# $SHELLCHECK, when set, is used as it is.
set -euo pipefail
find_shellcheck() {
  if [ -n "${SHELLCHECK:-}" ]; then command -v "$SHELLCHECK"; return; fi
  command -v shellcheck
}
if find_shellcheck; then exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "shellcheck.sh: no shellcheck on PATH; install Debian's shellcheck (as root: apt-get install shellcheck) or set SHELLCHECK" >&2
  exit 1
fi
echo "[shellcheck] installing Debian's shellcheck with apt-get (first run only)" >&2
export DEBIAN_FRONTEND=noninteractive
# Another apt run on the machine may hold the lock for a while: wait for it rather than fail.
apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends shellcheck >/dev/null 2>&1 \
  || { apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null \
       && apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends shellcheck >/dev/null; } \
  || { echo "shellcheck.sh: apt-get install shellcheck failed; run it by hand to see why" >&2; exit 1; }
find_shellcheck
