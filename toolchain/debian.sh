# shellcheck shell=bash
# Installing Debian packages from the kit's own scripts (chromium.sh, shellcheck.sh, pgtap.sh), sourced by them:
# only as root with apt-get, waiting for another apt run's lock rather than failing, and refreshing the package
# lists once when the install fails (a machine whose lists are stale or were never fetched).

# True when this process can install packages.
debian_can_install() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1
}

#   debian_install [--with-recommends] <package>...   (non-zero when apt-get still fails)
debian_install() {
  local recommends=(--no-install-recommends)
  if [ "${1:-}" = --with-recommends ]; then recommends=(); shift; fi
  local apt=(apt-get -o DPkg::Lock::Timeout=300)
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq "${recommends[@]}" "$@" >/dev/null 2>&1 \
    || { "${apt[@]}" update -qq >/dev/null \
         && DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq "${recommends[@]}" "$@" >/dev/null; }
}
