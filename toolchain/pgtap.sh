#!/usr/bin/env bash
# Makes sure the pgTAP suite can run here: the pgTAP extension in the PostgreSQL 15 installation the local clusters
# run from (toolchain/localdb.sh), and pg_prove. Both are Debian packages; as root they are installed when missing,
# otherwise the message says what to run. Prints the pg_prove path on success.
#   toolchain/pgtap.sh [--check]     (--check: install nothing, exit 1 when something is missing)
set -euo pipefail
# shellcheck source=debian.sh
. "$(dirname "${BASH_SOURCE[0]}")/debian.sh"

log() { printf '[pgtap] %s\n' "$*" >&2; }

pg_bin=""
for dir in "${PG_BIN:-}" /usr/lib/postgresql/15/bin; do
  if [ -n "$dir" ] && [ -x "$dir/pg_config" ]; then pg_bin="$dir"; break; fi
done
[ -n "$pg_bin" ] || { log "error: PostgreSQL 15 (pg_config) not found; install the Debian package postgresql-15 or set PG_BIN"; exit 1; }
major="$("$pg_bin/pg_config" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')"
# CREATE EXTENSION reads the control file from the server's own share dir: that is where the package must put it.
control="$("$pg_bin/pg_config" --sharedir)/extension/pgtap.control"
packages=()
[ -f "$control" ] || packages+=("postgresql-$major-pgtap")
command -v pg_prove >/dev/null || packages+=("libtap-parser-sourcehandler-pgtap-perl")

if [ "${#packages[@]}" -gt 0 ]; then
  if [ "${1:-}" = "--check" ]; then log "missing: ${packages[*]}"; exit 1; fi
  if ! debian_can_install; then
    log "error: pgTAP is missing for PostgreSQL $major ($control) or pg_prove is not on PATH, and this is not root."
    log "fix: sudo apt-get install -y ${packages[*]}   (then run the make target again)"
    exit 1
  fi
  log "installing ${packages[*]} (apt-get)"
  debian_install "${packages[@]}" || { log "error: apt-get install ${packages[*]} failed; run it by hand to see why"; exit 1; }
  [ -f "$control" ] || { log "error: $control is still missing after installing postgresql-$major-pgtap"; exit 1; }
fi
command -v pg_prove
