#!/usr/bin/env bash
# The kit's own throwaway PostgreSQL 15 clusters: data under .local/pg (gitignored), listening on a free loopback
# port chosen at first start, so two checkouts on one machine never collide.
#   localdb.sh [--profile postgres|supabase] start|stop|status|url|admin-url|authenticator-url|password|port|destroy
# Profiles (also SCHEDKIT_DB_PROFILE):
#   postgres  plain PostgreSQL; bootstrap superuser `postgres` (what `url` prints), plus the login role
#             `authenticator` that the policy tests' actors log in as, the way PostgREST does.
#   supabase  shaped like a Supabase project (toolchain/supabase/*.sql): bootstrap superuser `supabase_admin`,
#             the API roles, `authenticator`, default privileges, the auth schema, an application `users` table,
#             and a NON-superuser `postgres` owning the database (what `url` prints: users deploy as it).
set -euo pipefail

# -P: the checkout's physical path. A copy of the kit whose toolchain/ and .local/ link to a checkout (a `source`
# mutant's tree, tests/mutants/run.py) then names that checkout's cluster, instead of starting one of its own.
root="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
profile="${SCHEDKIT_DB_PROFILE:-postgres}"
if [ "${1:-}" = "--profile" ]; then profile="${2:-}"; shift 2; fi
case "$profile" in
  postgres) suffix="" ; superuser=postgres ;;
  supabase) suffix="-supabase" ; superuser=supabase_admin ;;
  *) echo "localdb: unknown profile '$profile'; use postgres or supabase" >&2; exit 2 ;;
esac
base="${SCHEDKIT_PG_DIR:-$root/.local/pg}$suffix"
# As root the server runs as an unprivileged user, who must be able to reach the data folder; a checkout under a
# private home (0700) cannot be reached, so its cluster lives under /tmp, named after the checkout.
if [ -z "${SCHEDKIT_PG_DIR:-}" ] && [ "$(id -u)" = 0 ] && id "${SCHEDKIT_PG_OS_USER:-postgres}" >/dev/null 2>&1 \
  && ! runuser -u "${SCHEDKIT_PG_OS_USER:-postgres}" -- test -x "$root" 2>/dev/null; then
  base="/tmp/schedkit-pg-$(printf %s "$root" | sha1sum | cut -c1-12)$suffix"
fi
data="$base/data"
log="$base/server.log"
port_file="$base/port"
password_file="$base/superuser.password"
authenticator_password_file="$base/authenticator.password"
postgres_password_file="$base/postgres.password"  # supabase profile: the non-superuser postgres
shaped_marker="$base/shaped"

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

new_password() { # <file>: a random password per checkout; it reaches Pulumi only as a secret
  if [ ! -f "$1" ]; then
    (umask 077; python3 -c 'import secrets; print(secrets.token_urlsafe(24))' > "$1")
  fi
}

init_cluster() {
  mkdir -p "$base"
  chmod 700 "$base"
  new_password "$password_file"
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
  if as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then shape; return 0; fi
  if ! as_owner "$bin/pg_ctl" -D "$data" -l "$log" -o "-p $port" -w -t 60 start >/dev/null 9>&-; then
    # The remembered port may have been taken by someone else since: pick another once.
    free_port > "$port_file"; port="$(cat "$port_file")"
    as_owner "$bin/pg_ctl" -D "$data" -l "$log" -o "-p $port" -w -t 60 start >/dev/null 9>&- || {
      echo "localdb: the server did not start, see $log" >&2; tail -20 "$log" >&2; exit 1; }
  fi
  shape
}

psql_as_superuser() { # <database> [psql args...]
  local db="$1"; shift
  PGPASSWORD="$(cat "$password_file")" "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$(cat "$port_file")" \
    -U "$superuser" -d "$db" "$@"
}

# What a fresh cluster of the profile gets once, after its first start (and clusters made before profiles existed).
shape() {
  [ -f "$shaped_marker" ] && return 0
  new_password "$authenticator_password_file"
  if [ "$profile" = postgres ]; then
    # PostgREST's login role; the kit (target postgres) adopts it and makes it a member of the API roles.
    psql_as_superuser postgres -v pw="$(cat "$authenticator_password_file")" >/dev/null <<'SQL'
SET client_min_messages = warning;
SELECT format('CREATE ROLE authenticator LOGIN NOINHERIT PASSWORD %L', :'pw')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticator') \gexec
SELECT format('ALTER ROLE authenticator LOGIN NOINHERIT PASSWORD %L', :'pw') \gexec
SQL
  else
    new_password "$postgres_password_file"
    psql_as_superuser postgres -f "$root/toolchain/supabase/cluster.sql" \
      -v postgres_password="$(cat "$postgres_password_file")" \
      -v authenticator_password="$(cat "$authenticator_password_file")" >/dev/null
    psql_as_superuser postgres -c 'ALTER DATABASE postgres OWNER TO postgres' >/dev/null
    psql_as_superuser postgres -f "$root/toolchain/supabase/database.sql" -v dbname=postgres >/dev/null
    # Test databases are copies of this template, so each carries the project's default privileges and auth schema.
    psql_as_superuser postgres -c 'CREATE DATABASE supabase_template OWNER postgres' >/dev/null
    psql_as_superuser supabase_template -f "$root/toolchain/supabase/database.sql" -v dbname=supabase_template >/dev/null
  fi
  touch "$shaped_marker"
}

stop() {
  [ -f "$data/PG_VERSION" ] || return 0
  bin="$(find_pg_bin)"
  pick_os_user
  as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
}

url_for() { # <user> <password file>
  echo "postgresql://$1:$(cat "$2")@127.0.0.1:$(cat "$port_file")/postgres"
}

# The role a user deploys as: the superuser on plain PostgreSQL, the demoted postgres on the supabase profile.
url() {
  if [ "$profile" = supabase ]; then url_for postgres "$postgres_password_file"; else url_for "$superuser" "$password_file"; fi
}

# One start at a time per cluster: `make test` starts the same profile from two pytest runs at once.
# The server started under the lock must not keep it: its descriptor is closed for pg_ctl, and the lock is released
# explicitly (a flock belongs to the open file, which a child holding a copy would otherwise keep locked).
locked() { mkdir -p "$(dirname "$base")"; exec 9>"$base.lock"; flock 9; "$@"; flock -u 9; exec 9>&-; }

case "${1:-}" in
  start) locked start ;;
  stop) stop ;;
  status) bin="$(find_pg_bin)"; pick_os_user; as_owner "$bin/pg_ctl" -D "$data" status ;;
  url) url ;;
  admin-url) url_for "$superuser" "$password_file" ;;
  authenticator-url) url_for authenticator "$authenticator_password_file" ;;
  port) cat "$port_file" ;;
  password) if [ "$profile" = supabase ]; then cat "$postgres_password_file"; else cat "$password_file"; fi ;;
  destroy) stop; rm -rf "$base" ;;
  *) echo "usage: $0 start|stop|status|url|port|password|destroy" >&2; exit 2 ;;
esac
