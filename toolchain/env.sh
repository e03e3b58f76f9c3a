# shellcheck shell=bash # sourced, never run, so no shebang; bash, as it reads BASH_SOURCE
# Sourced by the Makefile and by the tests: the offline Pulumi environment of this checkout.
# Usage: . toolchain/env.sh   (after toolchain/bootstrap.sh has run once)
_schedkit_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -f "$_schedkit_root/.local/toolchain-bin" ]; then
  PATH="$(cat "$_schedkit_root/.local/toolchain-bin"):$PATH"
fi
PATH="$_schedkit_root/.venv/bin:$PATH"
export PATH
# The language host runs the program with this interpreter (the venv).
export PULUMI_PYTHON_CMD="$_schedkit_root/.venv/bin/python"
# State in a local file backend inside the checkout (gitignored); nothing talks to a Pulumi service.
mkdir -p "$_schedkit_root/.local/state" "$_schedkit_root/.local/pulumi-home"
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$_schedkit_root/.local/state}"
export PULUMI_HOME="${PULUMI_HOME:-$_schedkit_root/.local/pulumi-home}"
# Secrets in state are encrypted with a passphrase generated per checkout (gitignored), unless one is given.
if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  if [ ! -f "$_schedkit_root/.local/passphrase" ]; then
    (umask 077; python3 -c 'import secrets; print(secrets.token_urlsafe(32))' > "$_schedkit_root/.local/passphrase")
  fi
  export PULUMI_CONFIG_PASSPHRASE_FILE="$_schedkit_root/.local/passphrase"
fi
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
# No PULUMI_SKIP_CONFIRMATIONS here: `pulumi destroy` typed in a terminal must still ask. The make targets pass
# --yes --non-interactive themselves, the tests use the Automation API (which does), and CI sets it in its workflow.
unset _schedkit_root
