#!/usr/bin/env bash
# Creates (or refreshes) the `local` stack so that it points at the kit's own cluster (toolchain/localdb.sh).
# The superuser password goes in as a Pulumi secret: encrypted in Pulumi.local.yaml and in state.
# It touches the `local` stack only: other stacks are the team's and are selected by toolchain/stack.sh, never
# rewritten to the local database.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [ "${1:-local}" != local ]; then
  echo "stack-local.sh sets up the \`local\` stack only, not '$1' (use toolchain/stack.sh $1 to select it)" >&2
  exit 2
fi
# shellcheck source=env.sh
. toolchain/env.sh
stack=local
pulumi stack select --create "$stack" --non-interactive >/dev/null
current() { pulumi config get "scheduler-kit:$1" --stack "$stack" 2>/dev/null || true; }
set_if_changed() { # key value [--secret]
  # ${3:+"$3"}: the flag when given, and no empty argument when not.
  if [ "$(current "$1")" != "$2" ]; then
    printf '%s' "$2" | pulumi config set "scheduler-kit:$1" ${3:+"$3"} --stack "$stack" --non-interactive >/dev/null
  fi
}
set_if_changed target postgres
set_if_changed host 127.0.0.1
set_if_changed port "$(toolchain/localdb.sh port)"
set_if_changed database postgres
set_if_changed user postgres
set_if_changed sslmode disable
set_if_changed password "$(toolchain/localdb.sh password)" --secret
echo "stack $stack -> $(toolchain/localdb.sh port)"
