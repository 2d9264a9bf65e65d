#!/usr/bin/env bash
# The reference production stack on loopback, started, load-tested through nginx over HTTPS, and
# stopped (`make prod-smoke`). Everything lives in one folder, removed afterwards:
#
#   PostgreSQL   a primary cluster of its own (initdb) on 127.0.0.1:$PRIMARY_PORT, the two roles
#                and the database made by `manage.py create_database_roles`, migrated by the
#                owner, the demo loaded; a streaming replica on $REPLICA_PORT (tools/replica.sh)
#   Redis        its own server on $REDIS_PORT: cache, rate limits and the Celery broker
#   gunicorn     two processes (deploy/gunicorn.conf.py) on $GUNICORN_PORTS
#   Celery       a worker and beat
#   metrics      /metrics for the bearer of a token made at start (both gunicorns' workers)
#   nginx        deploy/nginx.conf.template: TLS with a self-signed certificate made now by
#                openssl, static files from collectstatic (.br/.gz), the proxy to both gunicorns
#
# then bench/load_test.py against https://127.0.0.1:$HTTPS_PORT (its PASS/FAIL lines and exit
# status are the run's). Run as root (PostgreSQL runs as the `postgres` system user). Needs
# Debian's nginx, libnginx-mod-http-brotli-filter, libnginx-mod-http-brotli-static, openssl,
# redis-server, postgresql-15 and gettext-base (envsubst); `make prod-smoke` installs them.
#
# Settings (environment): PROD_SMOKE_DIR (a new temporary folder), PRIMARY_PORT (5442),
# REPLICA_PORT (5443), REDIS_PORT (6390), HTTPS_PORT (8443), HTTP_PORT (8080), GUNICORN_PORTS
# ("8101 8102"), LOAD_USERS (50), LOAD_TIME (60s), KEEP=1 leaves the folder (logs) behind.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=$ROOT/.venv/bin/python
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PRIMARY_PORT=${PRIMARY_PORT:-5442}
REPLICA_PORT=${REPLICA_PORT:-5443}
REDIS_PORT=${REDIS_PORT:-6390}
HTTPS_PORT=${HTTPS_PORT:-8443}
HTTP_PORT=${HTTP_PORT:-8080}
GUNICORN_PORTS=${GUNICORN_PORTS:-8101 8102}
LOAD_USERS=${LOAD_USERS:-50}
LOAD_TIME=${LOAD_TIME:-60s}
DIR=${PROD_SMOKE_DIR:-$(mktemp -d /tmp/aidportal-prod-smoke.XXXXXX)}
mkdir -p "$DIR"/{logs,run,nginx/tmp,static,media}
chmod 755 "$DIR"
# PostgreSQL (as the postgres system user) writes its log there too.
chown postgres:postgres "$DIR/logs"

for tool in nginx openssl redis-server redis-cli envsubst "$PG_BIN/initdb"; do
  command -v "$tool" >/dev/null || { echo "prod-smoke: $tool is missing (make prod-smoke installs it)" >&2; exit 2; }
done

say() { echo "prod-smoke: $*"; }
as_postgres() { (cd / && runuser -u postgres -- "$@"); }
random() { openssl rand -hex "$1"; }

PIDS=()
stop_all() {
  set +e
  say "stopping everything it started"
  [ -f "$DIR/nginx/nginx.pid" ] && nginx -c "$DIR/nginx/nginx.conf" -p "$DIR/nginx" -s quit 2>/dev/null
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1
  PRIMARY_PORT=$PRIMARY_PORT REPLICA_PORT=$REPLICA_PORT REPLICA_DIR=$DIR/replica \
    tools/replica.sh stop >/dev/null 2>&1
  [ -f "$DIR/primary/PG_VERSION" ] && as_postgres "$PG_BIN/pg_ctl" -D "$DIR/primary" -m fast -w stop >/dev/null 2>&1
  if [ "${KEEP:-0}" = 1 ]; then
    rm -rf "$DIR/primary" "$DIR/static" "$DIR/media" "$DIR/nginx/tmp"
    say "logs kept in $DIR/logs"
  else
    rm -rf "$DIR"
  fi
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# PostgreSQL: a primary of its own. The superuser connects from loopback without a password
# (the replica's base backup and the role setup); the portal's roles need theirs.
say "primary cluster on 127.0.0.1:$PRIMARY_PORT"
install -d -o postgres -g postgres -m 700 "$DIR/primary" "$DIR/socket"
as_postgres "$PG_BIN/initdb" -D "$DIR/primary" -U postgres --auth-local=peer \
  --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >"$DIR/logs/initdb.log"
{
  echo "port = $PRIMARY_PORT"
  echo "listen_addresses = '127.0.0.1'"
  echo "unix_socket_directories = '$DIR/socket'"
  echo "shared_buffers = 64MB"
  echo "max_connections = 60"
} >>"$DIR/primary/postgresql.conf"
hba=$DIR/primary/pg_hba.conf
{ echo "host all postgres 127.0.0.1/32 trust"; cat "$hba"; } >"$hba.new" && mv "$hba.new" "$hba"
chown postgres:postgres "$hba"
as_postgres "$PG_BIN/pg_ctl" -D "$DIR/primary" -l "$DIR/logs/primary.log" -w start >/dev/null

OWNER_PASSWORD=$(random 16)
APP_PASSWORD=$(random 16)
DB=aidportal
export DATABASE_URL="postgres://aidportal_app:$APP_PASSWORD@127.0.0.1:$PRIMARY_PORT/$DB"
export MIGRATION_DATABASE_URL="postgres://aidportal_owner:$OWNER_PASSWORD@127.0.0.1:$PRIMARY_PORT/$DB"
"$PY" manage.py create_database_roles --admin-url "postgres://postgres@127.0.0.1:$PRIMARY_PORT/postgres" \
  >"$DIR/logs/roles.log"
say "migrating as the owner and loading the demo as the runtime role"
"$PY" manage.py migrate --noinput --database owner >"$DIR/logs/migrate.log"
"$PY" manage.py load_demo >"$DIR/logs/load_demo.log"

say "streaming replica on 127.0.0.1:$REPLICA_PORT"
PRIMARY_PORT=$PRIMARY_PORT REPLICA_PORT=$REPLICA_PORT REPLICA_DIR=$DIR/replica \
  tools/replica.sh start >"$DIR/logs/replica.log"

say "Redis on 127.0.0.1:$REDIS_PORT"
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --save '' --appendonly no \
  --dir "$DIR/run" --pidfile "$DIR/run/redis.pid" --logfile "$DIR/logs/redis.log"
for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done

# The serving processes' environment (deploy/env.example): the runtime role only. The
# workers of both gunicorns write their metrics into one folder, and a scrape sums them.
METRICS_TOKEN=$(random 16)
mkdir -p "$DIR/metrics"
SERVE_ENV=$DIR/run/env
cat >"$SERVE_ENV" <<EOF
PRODUCTION=1
SECRET_KEY=$(random 32)
ALLOWED_HOSTS=127.0.0.1,localhost
CSRF_TRUSTED_ORIGINS=https://127.0.0.1:$HTTPS_PORT
SITE_URL=https://127.0.0.1:$HTTPS_PORT
NUM_PROXIES=1
DATABASE_URL=$DATABASE_URL
REPLICA_DATABASE_URL=postgres://aidportal_app:$APP_PASSWORD@127.0.0.1:$REPLICA_PORT/$DB
CONN_MAX_AGE=60
REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0
STATIC_ROOT=$DIR/static
MEDIA_ROOT=$DIR/media
GUNICORN_WORKERS=1
GUNICORN_THREADS=4
METRICS_TOKEN=$METRICS_TOKEN
PROMETHEUS_MULTIPROC_DIR=$DIR/metrics
API_RATE_ANONYMOUS=1000000/minute
API_RATE_CALLER=1000000/minute
EOF
# shellcheck disable=SC2046  # one KEY=value word per line of the file
serve() { env -u MIGRATION_DATABASE_URL $(grep -v '^#' "$SERVE_ENV") "$@"; }
# In the background: the process itself, so that its id is the one stopped at the end.
serve_bg() { exec env -u MIGRATION_DATABASE_URL $(grep -v '^#' "$SERVE_ENV") "$@"; }

say "collectstatic into $DIR/static"
serve "$PY" manage.py collectstatic --noinput >"$DIR/logs/collectstatic.log"
serve "$PY" manage.py check --deploy --fail-level WARNING >"$DIR/logs/check.log" 2>&1 || {
  cat "$DIR/logs/check.log"; exit 1; }

upstreams=""
for port in $GUNICORN_PORTS; do
  serve_bg GUNICORN_BIND=127.0.0.1:$port GUNICORN_ERROR_LOG="$DIR/logs/gunicorn-$port.log" \
    "$ROOT/.venv/bin/gunicorn" -c deploy/gunicorn.conf.py aidportal.wsgi \
    >>"$DIR/logs/gunicorn-$port.log" 2>&1 &
  PIDS+=($!)
  upstreams+="server 127.0.0.1:$port; "
done
serve_bg "$ROOT/.venv/bin/celery" -A aidportal worker --loglevel=warning --concurrency=2 \
  --logfile="$DIR/logs/celery-worker.log" >/dev/null 2>&1 &
PIDS+=($!)
serve_bg "$ROOT/.venv/bin/celery" -A aidportal beat --loglevel=warning \
  --schedule="$DIR/run/celerybeat-schedule" --logfile="$DIR/logs/celery-beat.log" >/dev/null 2>&1 &
PIDS+=($!)

# nginx marks a backend that refuses a connection as down for a while: start it only once both
# gunicorns answer.
for port in $GUNICORN_PORTS; do
  for _ in $(seq 1 240); do
    curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break
    sleep 0.5
  done
done

say "self-signed certificate and nginx on https://127.0.0.1:$HTTPS_PORT"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
  -keyout "$DIR/nginx/tls.key" -out "$DIR/nginx/tls.crt" 2>/dev/null
NGINX_PREFIX=$DIR/nginx SERVER_NAME="127.0.0.1 localhost" HTTP_PORT=$HTTP_PORT \
  HTTPS_PORT=$HTTPS_PORT TLS_CERTIFICATE=$DIR/nginx/tls.crt TLS_KEY=$DIR/nginx/tls.key \
  STATIC_ROOT=$DIR/static MEDIA_ROOT=$DIR/media UPSTREAM_SERVERS=$upstreams \
  envsubst '${NGINX_PREFIX} ${SERVER_NAME} ${HTTP_PORT} ${HTTPS_PORT} ${TLS_CERTIFICATE} ${TLS_KEY} ${STATIC_ROOT} ${MEDIA_ROOT} ${UPSTREAM_SERVERS}' \
  <deploy/nginx.conf.template >"$DIR/nginx/nginx.conf"
nginx -t -q -c "$DIR/nginx/nginx.conf" -p "$DIR/nginx"
nginx -c "$DIR/nginx/nginx.conf" -p "$DIR/nginx"

BASE=https://127.0.0.1:$HTTPS_PORT
CURL=(curl -sS --cacert "$DIR/nginx/tls.crt" -o /dev/null)
for _ in $(seq 1 120); do
  [ "$("${CURL[@]}" -w '%{http_code}' "$BASE/healthz" 2>/dev/null)" = 200 ] && break
  sleep 0.5
done
say "health: $(curl -sS --cacert "$DIR/nginx/tls.crt" "$BASE/healthz")"

# What the stack promises, checked before the load.
checks=0
check() {  # check "what" expected actual
  if [ "$2" = "$3" ]; then echo "  PASS $1"; else echo "  FAIL $1: expected $2, got $3"; checks=1; fi
}
css=$(curl -sS --cacert "$DIR/nginx/tls.crt" "$BASE/en/" | grep -o '/static/[^"]*\.css' | head -n1)
check "the home page over HTTPS" 200 "$("${CURL[@]}" -w '%{http_code}' "$BASE/")"
check "plain HTTP moves to HTTPS" "301 $BASE/" \
  "$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' "http://127.0.0.1:$HTTP_PORT/")"
check "HSTS on HTTPS answers" yes \
  "$("${CURL[@]}" -D - "$BASE/en/" | grep -qi '^strict-transport-security' && echo yes || echo no)"
check "nginx serves the stylesheet ($css) brotli-compressed" "200 br" \
  "$("${CURL[@]}" -H 'Accept-Encoding: br' -w '%{http_code} ' -D - "$BASE$css" | tr -d '\r' | awk -F': ' 'tolower($1)=="content-encoding"{print $2}' | sed 's/^/200 /' | head -n1)"
check "and gzip-compressed to a gzip-only browser" gzip \
  "$("${CURL[@]}" -H 'Accept-Encoding: gzip' -D - "$BASE$css" | tr -d '\r' | awk -F': ' 'tolower($1)=="content-encoding"{print $2}')"
check "pages compressed by the portal pass through" br \
  "$("${CURL[@]}" -H 'Accept-Encoding: br' -D - "$BASE/en/" | tr -d '\r' | awk -F': ' 'tolower($1)=="content-encoding"{print $2}')"
check "both gunicorns answer" "200 200" \
  "$(for port in $GUNICORN_PORTS; do curl -sS -o /dev/null -w '%{http_code} ' -H 'X-Forwarded-Proto: https' "http://127.0.0.1:$port/healthz"; done | sed 's/ $//')"
check "Prometheus metrics to the bearer of METRICS_TOKEN" yes \
  "$(curl -sS --cacert "$DIR/nginx/tls.crt" -H "Authorization: Bearer $METRICS_TOKEN" "$BASE/metrics" | grep -q '^django_http_requests' && echo yes || echo no)"
check "and to no one else" 401 \
  "$("${CURL[@]}" -w '%{http_code}' "$BASE/metrics")"
check "the replica is in recovery" t \
  "$("$PG_BIN/psql" -X -At -h 127.0.0.1 -p "$REPLICA_PORT" -U postgres -d postgres -c 'SELECT pg_is_in_recovery()')"
check "the Celery worker answers" yes \
  "$(serve "$ROOT/.venv/bin/celery" -A aidportal inspect ping --timeout 10 >/dev/null 2>&1 && echo yes || echo no)"
# The XLSX download: the first request queues the build (202), the worker writes the file into
# the exports storage, and a gunicorn serves it from there (200, a workbook: a zip file).
xlsx_first=$("${CURL[@]}" -w '%{http_code}' "$BASE/data/projects.xlsx")
xlsx=""
for _ in $(seq 60); do
  xlsx=$(curl -sS --cacert "$DIR/nginx/tls.crt" -o "$DIR/projects.xlsx" -w '%{http_code}' "$BASE/data/projects.xlsx")
  [ "$xlsx" = 200 ] && break
  sleep 1
done
check "the worker builds the XLSX a reader asked for (202), a gunicorn serves it" "202 200 PK" \
  "$xlsx_first $xlsx $(head -c 2 "$DIR/projects.xlsx" 2>/dev/null)"

say "load test through nginx: $LOAD_USERS users for $LOAD_TIME"
status=0
"$PY" bench/load_test.py --host "$BASE" --ca-bundle "$DIR/nginx/tls.crt" --no-prepare \
  --users "$LOAD_USERS" --run-time "$LOAD_TIME" || status=$?
if [ $checks -ne 0 ] || [ $status -ne 0 ]; then
  say "FAIL"
  exit 1
fi
say "PASS"
