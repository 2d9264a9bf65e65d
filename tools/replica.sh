#!/usr/bin/env bash
# A PostgreSQL streaming replica of the local cluster, on another local port.
#
#   tools/replica.sh start   copy the primary with pg_basebackup and start a hot standby
#   tools/replica.sh wait    wait until the replica has replayed every commit the primary has made
#   tools/replica.sh status  say whether it runs, and its lag
#   tools/replica.sh stop    stop it and remove its data directory
#
# Settings (environment):
#   REPLICA_PORT   the replica's port (5433)
#   REPLICA_DIR    its data directory (/var/lib/postgresql/<version>/replica-<port>)
#   PRIMARY_HOST   the primary (127.0.0.1)       PRIMARY_PORT  its port (5432)
#   PG_SUPERUSER   the primary's superuser, who replicates (postgres)
#   PG_BIN         PostgreSQL's programs (/usr/lib/postgresql/15/bin)
#   REPLICA_TIMEOUT  seconds `start` waits for the replica to accept connections, and `start`
#                  and `wait` for it to catch up (600: a large, busy cluster replays for minutes)
#   REPLICA_SLOT   the primary's replication slot for it (replica_<port>), dropped by `stop`
#
# Run as root (the server runs as the `postgres` system user) or as that user. A replica is a
# copy of the whole cluster: every database of the primary, including those created later,
# appears on it. Only `start` changes the primary, and only when it refuses replication
# connections from 127.0.0.1: it then adds one line at the top of the primary's pg_hba.conf
#   host replication <PG_SUPERUSER> 127.0.0.1/32 trust
# (once; it stays after `stop`) and reloads the primary's configuration.
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PRIMARY_HOST=${PRIMARY_HOST:-127.0.0.1}
PRIMARY_PORT=${PRIMARY_PORT:-5432}
PG_SUPERUSER=${PG_SUPERUSER:-postgres}
REPLICA_PORT=${REPLICA_PORT:-5433}
REPLICA_TIMEOUT=${REPLICA_TIMEOUT:-600}
version=$("$PG_BIN/pg_config" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
REPLICA_DIR=${REPLICA_DIR:-/var/lib/postgresql/$version/replica-$REPLICA_PORT}
# The primary keeps the WAL this replica has not received yet in a slot of this name: without it,
# a busy primary may recycle WAL between the end of the copy and the start of streaming.
SLOT=${REPLICA_SLOT:-replica_$REPLICA_PORT}

# The server and its data directory belong to the `postgres` system user.
as_postgres() {
  if [ "$(id -u)" = 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && "$@")
  fi
}

# Runs each argument as a statement of its own, in one session.
primary_sql() {
  local statement statements=()
  for statement in "$@"; do statements+=(-c "$statement"); done
  "$PG_BIN/psql" -X -At -q -v ON_ERROR_STOP=1 -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" \
    -U "$PG_SUPERUSER" -d postgres "${statements[@]}"
}

replica_sql() {
  "$PG_BIN/psql" -X -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$REPLICA_PORT" \
    -U "$PG_SUPERUSER" -d postgres -c "$1"
}

running() {
  [ -f "$REPLICA_DIR/PG_VERSION" ] && as_postgres "$PG_BIN/pg_ctl" -D "$REPLICA_DIR" status >/dev/null 2>&1
}

replication_allowed() {
  "$PG_BIN/psql" -X -At -d "host=$PRIMARY_HOST port=$PRIMARY_PORT user=$PG_SUPERUSER replication=true" \
    -c "IDENTIFY_SYSTEM" >/dev/null 2>&1
}

allow_replication() {
  replication_allowed && return 0
  local hba line
  hba=$(primary_sql "SHOW hba_file")
  line="host replication $PG_SUPERUSER 127.0.0.1/32 trust"
  if ! grep -qxF "$line" "$hba"; then
    # First: the first line that matches a connection decides, and Debian's default file asks
    # replication connections from 127.0.0.1 for a password.
    echo "replica: adding to the top of $hba: $line"
    { printf '%s\n' "$line"; cat "$hba"; } >"$hba.replica-tmp"
    cat "$hba.replica-tmp" >"$hba"
    rm -f "$hba.replica-tmp"
  fi
  primary_sql "SELECT pg_reload_conf()" >/dev/null
  for _ in $(seq 1 20); do
    replication_allowed && return 0
    sleep 0.5
  done
  echo "replica: the primary still refuses replication connections from 127.0.0.1 ($hba)" >&2
  exit 1
}

# The primary's WAL position that holds every commit made so far. A commit made with
# synchronous_commit=off may still be in the WAL buffers, past the write position. A transaction
# that writes WAL (here a one-record message nothing reads) and commits with synchronous_commit=on
# writes out all WAL before its own commit, so the write position read after it covers every
# earlier commit.
primary_committed_lsn() {
  primary_sql "SET synchronous_commit = on" \
    "SELECT pg_logical_emit_message(true, 'replica', 'wait')" \
    "SELECT pg_current_wal_lsn()" | tail -n 1
}

# Waits until the replica has replayed every commit the primary has made so far.
wait_caught_up() {
  local target deadline
  target=$(primary_committed_lsn)
  deadline=$((SECONDS + REPLICA_TIMEOUT))
  until [ "$(replica_sql "SELECT coalesce(pg_last_wal_replay_lsn() >= '$target'::pg_lsn, false)" 2>/dev/null)" = t ]; do
    if [ $SECONDS -ge $deadline ]; then
      echo "replica: not caught up with $target after ${REPLICA_TIMEOUT}s" >&2
      exit 1
    fi
    sleep 0.2
  done
}

start() {
  if running; then
    echo "replica: already running on port $REPLICA_PORT ($REPLICA_DIR)"
    return 0
  fi
  if [ -e "$REPLICA_DIR" ]; then
    echo "replica: $REPLICA_DIR exists but no server runs there; run '$0 stop' first" >&2
    exit 1
  fi
  local wal_level
  wal_level=$(primary_sql "SHOW wal_level")
  if [ "$wal_level" = minimal ] || [ "$(primary_sql "SHOW max_wal_senders")" = 0 ]; then
    echo "replica: the primary needs wal_level=replica and max_wal_senders>0 (a restart)" >&2
    exit 1
  fi
  allow_replication
  drop_slot

  mkdir -p "$(dirname "$REPLICA_DIR")"
  install -d -m 700 "$REPLICA_DIR"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$REPLICA_DIR"
  echo "replica: copying the primary ($PRIMARY_HOST:$PRIMARY_PORT) into $REPLICA_DIR"
  # -R writes standby.signal, primary_conninfo and primary_slot_name; -X stream copies the WAL
  # written meanwhile; -C -S creates the slot that keeps the rest until the replica streams it.
  as_postgres "$PG_BIN/pg_basebackup" -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$PG_SUPERUSER" \
    -D "$REPLICA_DIR" -X stream -R -C -S "$SLOT" --checkpoint=fast --no-sync

  # A hot standby needs these at least as high as its primary's.
  local setting value conf="$REPLICA_DIR/postgresql.conf"
  {
    echo "# Written by tools/replica.sh: a hot standby of $PRIMARY_HOST:$PRIMARY_PORT"
    echo "port = $REPLICA_PORT"
    echo "listen_addresses = '127.0.0.1'"
    echo "unix_socket_directories = '$REPLICA_DIR'"
    echo "hot_standby = on"
    echo "hot_standby_feedback = on"
    echo "shared_buffers = 32MB"
    echo "autovacuum = off"
    echo "logging_collector = off"
    for setting in max_connections max_worker_processes max_wal_senders \
      max_prepared_transactions max_locks_per_transaction; do
      value=$(primary_sql "SHOW $setting")
      echo "$setting = $value"
    done
  } >"$conf"
  # The primary's client rules, so that the same roles connect to the replica the same way.
  cp "$(primary_sql "SHOW hba_file")" "$REPLICA_DIR/pg_hba.conf"
  : >"$REPLICA_DIR/pg_ident.conf"
  rm -f "$REPLICA_DIR/postmaster.pid" "$REPLICA_DIR/postmaster.opts"
  if [ "$(id -u)" = 0 ]; then
    chown postgres:postgres "$conf" "$REPLICA_DIR/pg_hba.conf" "$REPLICA_DIR/pg_ident.conf"
  fi

  if ! as_postgres "$PG_BIN/pg_ctl" -D "$REPLICA_DIR" -l "$REPLICA_DIR/server.log" -w \
    -t "$REPLICA_TIMEOUT" -o "-c port=$REPLICA_PORT" start >/dev/null; then
    echo "replica: the server did not start; the end of $REPLICA_DIR/server.log:" >&2
    tail -n 20 "$REPLICA_DIR/server.log" >&2
    exit 1
  fi
  if [ "$(replica_sql "SELECT pg_is_in_recovery()")" != t ]; then
    echo "replica: the server on port $REPLICA_PORT is not in recovery" >&2
    exit 1
  fi
  wait_caught_up
  echo "replica: streaming from $PRIMARY_HOST:$PRIMARY_PORT on 127.0.0.1:$REPLICA_PORT"
}

# A slot nobody streams from keeps WAL on the primary for ever: it goes with its replica.
drop_slot() {
  primary_sql "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
    WHERE slot_name = '$SLOT' AND NOT active" >/dev/null
}

stop() {
  if running; then
    as_postgres "$PG_BIN/pg_ctl" -D "$REPLICA_DIR" -m fast -w stop >/dev/null
  fi
  for _ in $(seq 1 20); do
    [ "$(primary_sql "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$SLOT' AND active")" = 0 ] && break
    sleep 0.5
  done
  drop_slot
  if [ -e "$REPLICA_DIR" ]; then
    rm -rf "$REPLICA_DIR"
    echo "replica: stopped and removed $REPLICA_DIR"
  fi
}

status() {
  if ! running; then
    echo "replica: not running ($REPLICA_DIR)"
    return 3
  fi
  echo "replica: running on 127.0.0.1:$REPLICA_PORT ($REPLICA_DIR)"
  replica_sql "SELECT 'replayed ' || pg_last_wal_replay_lsn() || ', replay paused: ' || pg_is_wal_replay_paused()"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  wait)
    running || { echo "replica: not running ($REPLICA_DIR)" >&2; exit 1; }
    wait_caught_up
    ;;
  *)
    echo "usage: $0 start|wait|status|stop" >&2
    exit 2
    ;;
esac
