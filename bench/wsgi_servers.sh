#!/usr/bin/env bash
# Which WSGI server the production unit runs: the same Jaring, on PostgreSQL, on this machine
# (2 cores); wrk on loopback against two pages for 15 s each:
#   /akun/masuk/   the login page: template, CSRF cookie, session, CSP — a typical light page
#   /healthz       the floor: middleware only
# VENV must hold Jaring, gunicorn and granian (granian is not in the lock: measurement only).
# Usage: VENV=/path/to/venv bench/wsgi_servers.sh   (root or a user PostgreSQL trusts)
set -euo pipefail
VENV="${VENV:?set VENV to a virtualenv with jaring, gunicorn and granian}"
DB=jaring_wsgi_bench
PORT=18100
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB" JARING_SECRET_KEY=bench-only \
  JARING_NIK_ENCRYPTION_KEY=dGVzdC1vbmx5LW5pay1lbmNyeXB0aW9uLWtleS0zMmI= \
  JARING_NIK_INDEX_KEY=dGVzdC1vbmx5LW5pay1ibGluZC1pbmRleC1rZXktMzI= \
  JARING_ALLOWED_HOSTS=127.0.0.1 JARING_TLS=0 JARING_STATIC_MANIFEST=0 JARING_ACCESS_LOG=0 \
  JARING_VAR_DIR="$(mktemp -d)" JARING_LOG_LEVEL=WARNING
psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
trap 'kill $server 2>/dev/null; wait 2>/dev/null; psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $DB"' EXIT
"$VENV/bin/jaring" migrate --noinput -v 0

run() {  # name, command...
  local name="$1"; shift
  "$@" > /dev/null 2>&1 & server=$!
  for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.5; done
  for path in /akun/masuk/ /healthz; do
    wrk -t2 -c16 -d3s "http://127.0.0.1:$PORT$path" >/dev/null  # warm-up
    out="$(wrk -t2 -c16 -d15s --latency "http://127.0.0.1:$PORT$path")"
    rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
    p50="$(awk '$1 == "50%" {print $2}' <<<"$out")"; p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
    errors="$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')"
    printf '| %s | %s | %s | %s | %s | %s |\n' "$name" "$path" "$rps" "$p50" "$p99" "${errors:-none}"
  done
  kill "$server"; wait "$server" 2>/dev/null || true
}

echo "| server | page | requests/s | p50 | p99 | errors |"
echo "|---|---|---|---|---|---|"
run "gunicorn gthread 4×4 (chosen)" "$VENV/bin/gunicorn" -b "127.0.0.1:$PORT" -k gthread -w 4 --threads 4 jaring.wsgi
run "gunicorn sync 4" "$VENV/bin/gunicorn" -b "127.0.0.1:$PORT" -w 4 jaring.wsgi
run "granian wsgi 4" "$VENV/bin/granian" --interface wsgi --host 127.0.0.1 --port "$PORT" --workers 4 jaring.wsgi:application
