#!/usr/bin/env bash
# Selects the stack the make targets act on. `local` is the kit's own: created or refreshed to point at the local
# cluster (toolchain/stack-local.sh). Any other stack is only checked and selected, never created or rewritten: its
# settings are the team's (docs/targeting-databases.md). A name that is not a stack fails with the list.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
stack="${1:-local}"
# What an interrupted deploy left (a stale lock, an empty checkpoint attributes file, a provider still running):
# repaired or named in one line with its fix, before pulumi trips over it (scheduler_kit/stack_state.py).
# shellcheck source=env.sh
( . toolchain/env.sh && exec .venv/bin/python -m scheduler_kit.stack_state preflight "$stack" )
if [ "$stack" = local ]; then
  toolchain/localdb.sh start
  exec toolchain/stack-local.sh
fi
# shellcheck source=env.sh
. toolchain/env.sh
# `stack ls` reads every stack's checkpoint: one being written by a deploy elsewhere (the file backend does not write
# atomically) can fail it with "EOF". Try again before concluding anything; never call a stack unknown on a failure.
listed=""
errors="$(mktemp)"
trap 'rm -f "$errors"' EXIT
for attempt in 1 2 3; do
  if listed="$(pulumi stack ls --json --non-interactive 2>"$errors")"; then break; fi
  if [ "$attempt" = 3 ]; then
    echo "cannot list the stacks to check '$stack': $(tail -n 1 "$errors")" >&2
    exit 1
  fi
  sleep 1
done
stacks="$(python3 -c 'import json, sys; print("\n".join(sorted(s["name"] for s in json.load(sys.stdin))))' <<<"$listed")"
if ! grep -qxF -- "$stack" <<<"$stacks"; then
  echo "no stack named '$stack'; the stacks are: $(tr '\n' ' ' <<<"$stacks" | sed 's/ *$//; s/ /, /g')" >&2
  echo "(make targets never create a stack other than local: create it with \`pulumi stack init $stack\`," \
       "see docs/targeting-databases.md)" >&2
  exit 1
fi
pulumi stack select "$stack" --non-interactive >/dev/null
echo "stack $stack (its own settings, left as they are)"
