#!/usr/bin/env bash
# Builds or reuses everything `pulumi up` needs, from the registries this kit may reach (PyPI, the Go module proxy):
#   - the Pulumi CLI, from github.com/pulumi/pulumi/pkg/v3 (toolchain/go/pulumi-cli);
#   - the Python language host (toolchain/go/language-host) and, beside it, the helper scripts the engine runs:
#     pulumi-language-python-exec and pulumi-resource-pulumi-python (the dynamic-provider plugin), copied out of
#     the sdk/v3 module of the CLI's version;
#   - actionlint, the workflow linter of `make lint`, from github.com/rhysd/actionlint (toolchain/go/actionlint);
#   - the project's virtualenv (.venv) from requirements.txt and requirements-lint.txt, and the policy pack's
#     (policy-pack/.venv).
# Built tools are cached outside the repo, keyed by the pins, so a second run only checks stamps. The Pulumi
# toolchain and actionlint are keyed apart (see toolchain/versions.env): bumping one never rebuilds the other.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=versions.env
. "$root/toolchain/versions.env"

log() { printf '[bootstrap] %s\n' "$*" >&2; }
die() { printf '[bootstrap] error: %s\n' "$*" >&2; exit 1; }

cache_root="${SCHEDKIT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/scheduler-kit}"
# The Pulumi toolchain's key: the pins above versions.env's lint-tools line, and the two Pulumi modules.
pulumi_mods=("$root/toolchain/go/language-host" "$root/toolchain/go/pulumi-cli")
key="$(sed '/^# --- lint tools/,$d' "$root/toolchain/versions.env" \
  | cat - "${pulumi_mods[@]/%//go.mod}" "${pulumi_mods[@]/%//go.sum}" | sha256sum | cut -c1-16)"
bin="$cache_root/toolchain-$key/bin"
mkdir -p "$bin"

command -v go >/dev/null || die "Go is not on PATH; install Go 1.24 or newer (the kit builds Pulumi from Go modules)"
command -v python3 >/dev/null || die "python3 is not on PATH; install Python 3.11 or newer"
command -v flock >/dev/null || die "flock is not on PATH; install util-linux (it serialises toolchain builds)"

build_go() { # <module dir> <package> <output> <ldflags>
  local dir="$1" pkg="$2" out="$3" ldflags="$4" tmp
  log "building $(basename "$out") (first run only; the Pulumi CLI takes a few minutes on 2 cores)"
  # A temporary directory of this run's own, so no other build can write or move the half-written binary.
  tmp="$(mktemp -d "$(dirname "$out")/.build-$(basename "$out").XXXXXX")"
  ( cd "$dir" && GOFLAGS=-mod=mod go build -trimpath -ldflags "$ldflags" -o "$tmp/$(basename "$out")" "$pkg" ) \
    || { rm -rf "$tmp"; die "go build of $pkg failed (module $dir); rerun with the output above"; }
  mv "$tmp/$(basename "$out")" "$out"
  rmdir "$tmp"
}

# Two checkouts bootstrapping at once share this cache: one builds while the other waits on the lock, then finds
# the tools built. Released when this script exits, whatever happens.
exec 9>"$cache_root/toolchain-$key.lock"
if ! flock -n 9; then
  log "another bootstrap is building the toolchain in $cache_root/toolchain-$key; waiting for it"
  flock 9
fi

# The Pulumi CLI: one already on PATH is used when it is exactly the pinned version.
if [ ! -x "$bin/pulumi" ]; then
  ambient="$(command -v pulumi 2>/dev/null || true)"
  if [ -n "$ambient" ] && [ "$("$ambient" version 2>/dev/null)" = "v$PULUMI_CLI_VERSION" ]; then
    log "using the Pulumi CLI on PATH ($ambient, v$PULUMI_CLI_VERSION)"
    ln -sf "$ambient" "$bin/pulumi"
  else
    build_go "$root/toolchain/go/pulumi-cli" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi "$bin/pulumi" \
      "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_CLI_VERSION"
  fi
fi

if [ ! -x "$bin/pulumi-language-python" ]; then
  build_go "$root/toolchain/go/language-host" github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python \
    "$bin/pulumi-language-python" \
    "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_LANGHOST_SDK_VERSION"
fi

# The helper scripts of the CLI's own version. Module-cache files are read-only and not executable: copy and chmod.
if [ ! -x "$bin/pulumi-language-python-exec" ] || [ ! -x "$bin/pulumi-resource-pulumi-python" ]; then
  sdk_dir="$(cd "$root/toolchain/go/pulumi-cli" && go mod download -json "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_CLI_VERSION" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')" || die "could not download sdk/v3@v$PULUMI_CLI_VERSION"
  for helper in cmd/pulumi-language-python-exec dist/pulumi-resource-pulumi-python; do
    tmp="$(mktemp "$bin/.$(basename "$helper").XXXXXX")"
    install -m 0755 "$sdk_dir/python/$helper" "$tmp" && mv "$tmp" "$bin/$(basename "$helper")"
  done
fi
flock -u 9

# actionlint, in the same cache under a key of its own: its pin and its module's go.mod and go.sum.
al_mod="$root/toolchain/go/actionlint"
grep -qE "^require github.com/rhysd/actionlint v$ACTIONLINT_VERSION\$" "$al_mod/go.mod" \
  || die "toolchain/go/actionlint/go.mod does not require actionlint v$ACTIONLINT_VERSION (ACTIONLINT_VERSION in versions.env); run: (cd toolchain/go/actionlint && go get github.com/rhysd/actionlint@v$ACTIONLINT_VERSION && go mod tidy)"
al_key="$(cat "$al_mod/go.mod" "$al_mod/go.sum" | sha256sum | cut -c1-16)"
lint_bin="$cache_root/actionlint-v$ACTIONLINT_VERSION-$al_key/bin"
mkdir -p "$lint_bin"
if [ ! -x "$lint_bin/actionlint" ]; then
  exec 8>"$cache_root/actionlint-v$ACTIONLINT_VERSION-$al_key.lock"
  if ! flock -n 8; then
    log "another bootstrap is building actionlint in $lint_bin; waiting for it"
    flock 8
  fi
  # Checked again under the lock: the bootstrap we waited for has built it.
  if [ ! -x "$lint_bin/actionlint" ]; then
    build_go "$al_mod" github.com/rhysd/actionlint/cmd/actionlint "$lint_bin/actionlint" \
      "-s -w -X github.com/rhysd/actionlint.version=v$ACTIONLINT_VERSION"
  fi
  flock -u 8
fi

# The virtualenv, rebuilt when requirements.txt or requirements-lint.txt (the tools of `make lint` alone) changes.
# Both in one pip run, so the lint tools' dependencies can never move the program's pins.
venv="$root/.venv"
req_key="$(cat "$root/requirements.txt" "$root/requirements-lint.txt" | sha256sum | cut -c1-16)"
if [ "$(cat "$venv/.requirements.sha" 2>/dev/null)" != "$req_key" ]; then
  log "installing Python requirements into .venv"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$root/requirements.txt" \
    -r "$root/requirements-lint.txt" || die "pip install -r requirements.txt -r requirements-lint.txt failed"
  echo "$req_key" > "$venv/.requirements.sha"
fi
# The CrossGuard policy pack's own virtualenv: pulumi-policy pins protobuf and grpcio older than the program's.
pack="$root/policy-pack"
pack_key="$(sha256sum "$pack/requirements.txt" | cut -c1-16)"
if [ "$(cat "$pack/.venv/.requirements.sha" 2>/dev/null)" != "$pack_key" ]; then
  log "installing the policy pack's requirements into policy-pack/.venv"
  [ -x "$pack/.venv/bin/python" ] || python3 -m venv "$pack/.venv"
  "$pack/.venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$pack/requirements.txt" \
    || die "pip install -r policy-pack/requirements.txt failed"
  echo "$pack_key" > "$pack/.venv/.requirements.sha"
fi
# The project root on the venv's path, so the dynamic-provider process can import the kit's modules.
site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
echo "$root" > "$site/scheduler_kit_root.pth"
# The engine runs the program and the dynamic provider with PYTHONDONTWRITEBYTECODE=1, so without this both compile
# every module of the kit from source on every preview and up (a module edited since is recompiled in memory, as
# Python checks the source's time; nothing stale runs).
"$venv/bin/python" -m compileall -q -j 0 "$root/scheduler_kit" >/dev/null || log "could not precompile scheduler_kit (slower, not wrong)"

mkdir -p "$root/.local"
echo "$bin" > "$root/.local/toolchain-bin"
echo "$lint_bin" > "$root/.local/lint-bin"
log "toolchain ready: $("$bin/pulumi" version) in $bin"
