#!/usr/bin/env bash
# Run a command with TEST_DATABASE_URL pointing at a throw-away PostgreSQL 15 server.
# The server listens on a Unix socket in a temporary folder only, and is removed afterwards.
# Installs the Debian postgresql-15 package when it is missing (CI runs on a fresh machine).
set -euo pipefail
PGBIN=/usr/lib/postgresql/15/bin
if [ ! -x "$PGBIN/initdb" ]; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-15
fi
dir=$(mktemp -d /tmp/mock-interview-pg.XXXXXX)
port=5432
# initdb refuses to run as root: as root, the cluster belongs to the postgres user.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
stop() {
  as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT
as_owner "$PGBIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
as_owner "$PGBIN/pg_ctl" -D "$dir/data" -w -l "$dir/server.log" start \
  -o "-k $dir -p $port -c listen_addresses='' -c max_connections=300 -c fsync=off" >/dev/null
export TEST_DATABASE_URL="postgresql+psycopg://postgres@/postgres?host=$dir&port=$port"
echo "PostgreSQL 15 for the tests: $TEST_DATABASE_URL" >&2
"$@"
