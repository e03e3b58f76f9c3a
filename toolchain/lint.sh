#!/usr/bin/env bash
# `make lint` (docs/linting.md): every linter runs, each one's findings are printed, and the exit status is 1 when
# any of them found something (2 when one could not run at all).
#   - shellcheck -x over every shell script of the repository (*.sh, and tracked files with a sh/bash shebang);
#   - actionlint over .github/workflows/, with shellcheck on PATH so that it checks the `run:` scripts too;
#   - pgrls over the deployed local stack's database, against lint/pgrls-allowlist.yaml (after `make up`);
#   - pgrls over the kit as a Supabase project gets it (`make sql TARGET=supabase`'s migration in a throwaway
#     database of the Supabase-shaped local cluster), against that allowlist and lint/pgrls-supabase-platform.yaml.
# LINT_DSN=... lints that database instead of the local stack's (`toolchain/localdb.sh url`).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root" || exit 2
# shellcheck source=env.sh
. toolchain/env.sh

log() { printf '[lint] %s\n' "$*" >&2; }

shellcheck_bin="$(toolchain/shellcheck.sh)" || { log "error: no shellcheck (see above)"; exit 2; }
PATH="$(dirname "$shellcheck_bin"):$PATH"
lint_bin="$(cat .local/lint-bin 2>/dev/null || true)"
if [ -z "$lint_bin" ] || [ ! -x "$lint_bin/actionlint" ]; then
  log "error: actionlint is not built; run make bootstrap (toolchain/bootstrap.sh builds it)"
  exit 2
fi
PATH="$lint_bin:$PATH"
export PATH

# The repository's shell scripts: tracked *.sh files and tracked files whose first line is a sh or bash shebang.
shell_scripts() {
  local file first
  git ls-files -z | while IFS= read -r -d '' file; do
    [ -f "$file" ] || continue
    case "$file" in
      *.sh|*.bash) printf '%s\n' "$file"; continue ;;
    esac
    IFS= read -r first < "$file" 2>/dev/null || continue
    if [[ "$first" =~ ^\#!.*(/|[[:space:]])(sh|bash|dash)([[:space:]]|$) ]]; then printf '%s\n' "$file"; fi
  done
}

status=0
note() { # <name> <exit status of the step>
  if [ "$2" = 0 ]; then log "$1: clean"
  else log "$1: FAILED (exit $2)"; if [ "$2" -gt "$status" ]; then status="$2"; fi
  fi
}

mapfile -t scripts < <(shell_scripts)
[ "${#scripts[@]}" -gt 0 ] || { log "error: no shell scripts found (is this a git checkout?)"; exit 2; }
echo "== shellcheck -x ($("$shellcheck_bin" --version | sed -n 's/^version: //p')): ${#scripts[@]} scripts"
step=0; shellcheck -x "${scripts[@]}" || step=$?
[ "$step" -le 1 ] || step=2
note shellcheck "$step"

echo "== actionlint ($(actionlint -version | head -n 1)) over .github/workflows/, with shellcheck on the run: scripts"
step=0; actionlint -shellcheck "$shellcheck_bin" || step=$?
[ "$step" -le 1 ] || step=2
note actionlint "$step"

echo "== pgrls ($(.venv/bin/python -m pgrls --version 2>/dev/null | sed -n "s/^pgrls, version /v/p")) over the deployed database, against lint/pgrls-allowlist.yaml"
dsn="${LINT_DSN:-}"
if [ -z "$dsn" ]; then
  dsn="$(toolchain/localdb.sh url)" || { log "error: no local database (run make up first)"; exit 2; }
fi
step=0; DATABASE_URL="$dsn" .venv/bin/python -m scheduler_kit.pgrls_lint --allowlist lint/pgrls-allowlist.yaml || step=$?
note pgrls "$step"

echo "== pgrls over the migration for target supabase, on a throwaway Supabase-shaped database"
step=0; .venv/bin/python -m scheduler_kit.pgrls_lint --supabase-profile || step=$?
note "pgrls (supabase profile)" "$step"

if [ "$status" = 0 ]; then log "all clean"; else log "lint failed (see above)"; fi
exit "$status"
