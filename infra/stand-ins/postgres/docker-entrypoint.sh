#!/bin/sh
# Stand-in for the official postgres image's entrypoint, doing what a compose file can see:
# - POSTGRES_USER (default postgres), POSTGRES_PASSWORD (required), POSTGRES_DB (default: the
#   user); initdb into PGDATA on the first start; password (scram) authentication over TCP,
#   trust on the Unix socket;
# - on that first start, as the official one does, a temporary server that listens on the
#   Unix socket only (no TCP) creates the database and runs /docker-entrypoint-initdb.d/*.sql
#   and *.sh, then stops; only then does the real server start. A healthcheck that talks to
#   the socket can pass during that window;
# - the server runs as the postgres user, PID 1, on every address (listen_addresses '*') at
#   PGPORT or 5432. Arguments go to postgres: `postgres -c listen_addresses=127.0.0.1`.
set -eu
: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA

if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then set -- postgres "$@"; fi
if [ "$1" != postgres ]; then exec "$@"; fi
shift

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown -R postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" postgres "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  user="${POSTGRES_USER:-postgres}"
  db="${POSTGRES_DB:-$user}"
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo 'error: database is uninitialized and POSTGRES_PASSWORD is not set' >&2
    exit 1
  fi
  pwfile="$(mktemp)"
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
  initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 -D "$PGDATA"
  rm -f "$pwfile"
  printf 'host all all all scram-sha-256\n' >> "$PGDATA/pg_hba.conf"
  printf "listen_addresses = '*'\n" >> "$PGDATA/postgresql.conf"

  pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start
  export PGUSER="$user"
  if [ "$db" != postgres ]; then
    psql -v ON_ERROR_STOP=1 --dbname postgres -c "CREATE DATABASE \"$db\""
  fi
  for f in /docker-entrypoint-initdb.d/*; do
    [ -e "$f" ] || continue
    case "$f" in
      *.sh) echo "$0: running $f"; . "$f" ;;
      *.sql) echo "$0: running $f"; psql -v ON_ERROR_STOP=1 --dbname "$db" -f "$f" ;;
      *) echo "$0: ignoring $f" ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop
  unset PGUSER
  echo 'PostgreSQL init process complete; ready for start up.'
fi

exec postgres "$@"
