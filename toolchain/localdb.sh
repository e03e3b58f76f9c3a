#!/usr/bin/env bash
# The kit's own throwaway PostgreSQL 15 cluster: data under .local/pg (gitignored), listening on a free loopback
# port chosen at first start, so two checkouts on one machine never collide.
#   localdb.sh start|stop|status|url|password|port|destroy
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base="${SCHEDKIT_PG_DIR:-$root/.local/pg}"
# As root the server runs as an unprivileged user, who must be able to reach the data folder; a checkout under a
# private home (0700) cannot be reached, so its cluster lives under /tmp, named after the checkout.
if [ -z "${SCHEDKIT_PG_DIR:-}" ] && [ "$(id -u)" = 0 ] && id "${SCHEDKIT_PG_OS_USER:-postgres}" >/dev/null 2>&1 \
  && ! runuser -u "${SCHEDKIT_PG_OS_USER:-postgres}" -- test -x "$root" 2>/dev/null; then
  base="/tmp/schedkit-pg-$(printf %s "$root" | sha1sum | cut -c1-12)"
fi
data="$base/data"
log="$base/server.log"
port_file="$base/port"
password_file="$base/superuser.password"
superuser=postgres

find_pg_bin() {
  local dir
  for dir in "${PG_BIN:-}" /usr/lib/postgresql/15/bin "$(dirname "$(command -v pg_ctl 2>/dev/null || echo /nonexistent/x)")"; do
    if [ -n "$dir" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
  done
  echo "localdb: PostgreSQL 15 server binaries (initdb, pg_ctl) not found; install the Debian package postgresql-15 or set PG_BIN" >&2
  return 1
}

# initdb and pg_ctl refuse to run as root; as root, the cluster runs as an unprivileged OS user.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    # From /, which the server user can always enter (every path given is absolute).
    (cd / && runuser -u "$os_user" -- "$@")
  else
    "$@"
  fi
}

pick_os_user() {
  if [ "$(id -u)" != 0 ]; then os_user="$(id -un)"; return; fi
  os_user="${SCHEDKIT_PG_OS_USER:-postgres}"
  if ! id "$os_user" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$os_user"
  fi
}

free_port() {
  python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

init_cluster() {
  mkdir -p "$base"
  chmod 700 "$base"
  if [ ! -f "$password_file" ]; then
    # A random superuser password per checkout; it reaches Pulumi only as a secret.
    python3 -c 'import secrets; print(secrets.token_urlsafe(24))' > "$password_file"
    chmod 600 "$password_file"
  fi
  [ -f "$port_file" ] || free_port > "$port_file"
  mkdir -p "$data"
  [ "$(id -u)" = 0 ] && chown -R "$os_user" "$base"
  local pwfile="$base/.initdb.pw"
  cp "$password_file" "$pwfile"
  [ "$(id -u)" = 0 ] && chown "$os_user" "$pwfile"
  as_owner "$bin/initdb" -D "$data" -U "$superuser" --pwfile="$pwfile" --auth=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >"$base/initdb.log" 2>&1 || {
      rm -f "$pwfile"; echo "localdb: initdb failed, see $base/initdb.log" >&2; exit 1; }
  rm -f "$pwfile"
  cat >> "$data/postgresql.conf" <<CONF
# scheduler kit: loopback only, no unix socket, sized for a 2-core test machine
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = 100
shared_buffers = 256MB
fsync = on
CONF
}

start() {
  bin="$(find_pg_bin)"
  pick_os_user
  [ -f "$data/PG_VERSION" ] || init_cluster
  [ "$(id -u)" = 0 ] && chown -R "$os_user" "$base"
  local port; port="$(cat "$port_file")"
  if as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then return 0; fi
  if ! as_owner "$bin/pg_ctl" -D "$data" -l "$log" -o "-p $port" -w -t 60 start >/dev/null; then
    # The remembered port may have been taken by someone else since: pick another once.
    free_port > "$port_file"; port="$(cat "$port_file")"
    as_owner "$bin/pg_ctl" -D "$data" -l "$log" -o "-p $port" -w -t 60 start >/dev/null || {
      echo "localdb: the server did not start, see $log" >&2; tail -20 "$log" >&2; exit 1; }
  fi
}

stop() {
  [ -f "$data/PG_VERSION" ] || return 0
  bin="$(find_pg_bin)"
  pick_os_user
  as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
}

url() {
  local pw; pw="$(cat "$password_file")"
  echo "postgresql://$superuser:$pw@127.0.0.1:$(cat "$port_file")/postgres"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) bin="$(find_pg_bin)"; pick_os_user; as_owner "$bin/pg_ctl" -D "$data" status ;;
  url) url ;;
  port) cat "$port_file" ;;
  password) cat "$password_file" ;;
  destroy) stop; rm -rf "$base" ;;
  *) echo "usage: $0 start|stop|status|url|port|password|destroy" >&2; exit 2 ;;
esac
