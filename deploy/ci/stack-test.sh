#!/usr/bin/env bash
# The production stack, for real, on this machine (CI has no systemd):
#
#   deploy/install.sh into a temporary root (own system user, database, ports 8443/8080/18001)
#   → nginx (Debian's) with the installed site, in front of
#   → gunicorn and the worker, started from the installed systemd units' own ExecStart lines
#     (deploy/ci/run-unit.py), in front of PostgreSQL
#   → e2e.py: login over HTTPS, upload a list the worker imports, read the dashboard, metrics
#   → logs: JSON with request ids, and no NIK anywhere in the app's or nginx's logs
#   → with --with-restore-drill: deploy/ci/restore-drill.sh (sourced) against this install
#
# Needs root and PostgreSQL on the local socket; installs nginx and age if missing. Stops what
# it started and drops what it created, pass or fail. Usage: deploy/ci/stack-test.sh [--with-restore-drill]
set -euo pipefail
SRC="$(cd "$(dirname "$0")/../.." && pwd)"
DRILL=0; [ "${1:-}" = "--with-restore-drill" ] && DRILL=1

export STACK_USER="${STACK_USER:-jaringci}"
export STACK_DB="${STACK_DB:-jaring_stack_ci}"
HTTPS_PORT="${STACK_HTTPS_PORT:-8443}"
HTTP_PORT="${STACK_HTTP_PORT:-8080}"
BIND="${STACK_BIND:-127.0.0.1:18001}"
export STACK_ROOT="$(mktemp -d /tmp/jaring-stack.XXXXXX)"
chmod 0755 "$STACK_ROOT"
ADMIN_PASSWORD="ci-$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
PIDS=()
RESTORE_MODES=()
say() { printf '\n\033[1m=== %s\033[0m\n' "$*"; }

cleanup() {
  status=$?
  set +e
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  [ -f "$STACK_ROOT/nginx/nginx.pid" ] && nginx -p "$STACK_ROOT/nginx" -c "$STACK_ROOT/nginx/nginx.conf" -s stop 2>/dev/null
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  if [ "$status" -ne 0 ]; then
    for log in "$STACK_ROOT"/logs/*.log "$STACK_ROOT"/nginx/log/*.log; do
      [ -f "$log" ] && { echo "--- tail of $log"; tail -n 40 "$log"; }
    done
  fi
  runuser -u postgres -- dropdb --if-exists "$STACK_DB" 2>/dev/null
  runuser -u postgres -- dropdb --if-exists "${STACK_DB}_restored" 2>/dev/null
  runuser -u postgres -- dropuser --if-exists "$STACK_USER" 2>/dev/null
  id "$STACK_USER" >/dev/null 2>&1 && userdel "$STACK_USER" 2>/dev/null
  getent group "$STACK_USER" >/dev/null && groupdel "$STACK_USER" 2>/dev/null
  rm -rf "$STACK_ROOT"
  for entry in "${RESTORE_MODES[@]}"; do chmod "${entry%%:*}" "${entry#*:}"; done
  exit "$status"
}
trap cleanup EXIT INT TERM

need=()
command -v nginx >/dev/null || need+=(nginx)
command -v age >/dev/null || need+=(age)
if [ "${#need[@]}" -gt 0 ]; then
  say "Installing ${need[*]} (Debian)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
PYTHON="${PYTHON:-$(for p in python3.12 "$HOME"/.pyenv/versions/3.12*/bin/python3.12 python3.13 python3; do
  "$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo "$p"; break; }; done)}"

# The service user must be able to run that Python. On this CI machine the only Python 3.12 is
# pyenv's under /root (mode 0700); let others traverse (not list) its folders for the test and
# put the modes back afterwards. A real server's Python lives in /usr or /opt.
PYTHON="$("$PYTHON" -c 'import sys; print(sys.executable)')"   # past any pyenv shim
PYTHON_REAL="$(readlink -f "$PYTHON")"
dir="$(dirname "$PYTHON_REAL")"
while [ "$dir" != "/" ]; do
  mode="$(stat -c %a "$dir")"
  if [ $(( 0$mode & 01 )) -eq 0 ]; then
    RESTORE_MODES+=("$mode:$dir"); chmod o+x "$dir"
  fi
  dir="$(dirname "$dir")"
done

say "deploy/install.sh into $STACK_ROOT"
started=$(date +%s)
JARING_PREFIX="$STACK_ROOT/opt" JARING_ETC="$STACK_ROOT/etc" JARING_STATE="$STACK_ROOT/var" \
JARING_RUN="$STACK_ROOT/run" JARING_USER="$STACK_USER" JARING_DB_NAME="$STACK_DB" \
JARING_DOMAIN=localhost JARING_HTTPS_PORT="$HTTPS_PORT" JARING_HTTP_PORT="$HTTP_PORT" \
JARING_BIND="$BIND" JARING_SYSTEMD_DIR="$STACK_ROOT/systemd" \
JARING_NGINX_SITES="$STACK_ROOT/nginx/sites" JARING_NGINX_SNIPPETS="$STACK_ROOT/nginx/snippets" \
JARING_NGINX_LOG_DIR="$STACK_ROOT/nginx/log" JARING_SYSTEMD=0 JARING_APT=0 \
JARING_BACKUP_IDENTITY_OUT="$STACK_ROOT/backup-identity.txt" PYTHON="$PYTHON" \
  "$SRC/deploy/install.sh"
echo "install took $(( $(date +%s) - started ))s"

say "Checking the installed files"
grep -q "^ExecStart=$STACK_ROOT/opt/venv/bin/gunicorn --config $STACK_ROOT/opt/gunicorn.conf.py jaring.wsgi$" \
  "$STACK_ROOT/systemd/jaring-web.service"
grep -q "^Restart=on-failure" "$STACK_ROOT/systemd/jaring-worker.service"
grep -q "^JARING_NIK_ENCRYPTION_KEY=..*" "$STACK_ROOT/etc/jaring.env"
[ "$(stat -c %a "$STACK_ROOT/etc/jaring.env")" = 640 ]
if command -v systemd-analyze >/dev/null && systemd-analyze --help 2>/dev/null | grep -q verify; then
  systemd-analyze verify "$STACK_ROOT"/systemd/*.service 2>&1 | grep -v "not found\|Failed to" || true
fi
"$STACK_ROOT/opt/bin/jaring" check --deploy --fail-level ERROR

say "First administrator (createsuperuser, as DEPLOY.md says)"
DJANGO_SUPERUSER_PASSWORD="$ADMIN_PASSWORD" "$STACK_ROOT/opt/bin/jaring" createsuperuser \
  --noinput --username admin.ci --email admin.ci@example.go.id

say "Starting the units' ExecStart lines and nginx"
mkdir -p "$STACK_ROOT/logs"
for unit in jaring-web jaring-worker; do
  "$PYTHON" "$SRC/deploy/ci/run-unit.py" "$STACK_ROOT/systemd/$unit.service" \
    > "$STACK_ROOT/logs/$unit.log" 2>&1 &
  PIDS+=($!)
done
mkdir -p "$STACK_ROOT/nginx/tmp" "$STACK_ROOT/nginx/log"
chown www-data "$STACK_ROOT/nginx/tmp" 2>/dev/null || true
cat > "$STACK_ROOT/nginx/nginx.conf" <<EOF
# The CI's nginx main file; the site and snippets are the ones deploy/install.sh wrote.
user www-data;
worker_processes 1;
pid $STACK_ROOT/nginx/nginx.pid;
error_log $STACK_ROOT/nginx/log/error.log warn;
events { worker_connections 256; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  sendfile on;
  client_body_temp_path $STACK_ROOT/nginx/tmp/body;
  proxy_temp_path $STACK_ROOT/nginx/tmp/proxy;
  fastcgi_temp_path $STACK_ROOT/nginx/tmp/fastcgi;
  uwsgi_temp_path $STACK_ROOT/nginx/tmp/uwsgi;
  scgi_temp_path $STACK_ROOT/nginx/tmp/scgi;
  include $STACK_ROOT/nginx/sites/jaring.conf;
}
EOF
nginx -t -p "$STACK_ROOT/nginx" -c "$STACK_ROOT/nginx/nginx.conf" 2>&1 | grep -v "^$"
nginx -p "$STACK_ROOT/nginx" -c "$STACK_ROOT/nginx/nginx.conf"
sleep 5
for pid in "${PIDS[@]}"; do
  kill -0 "$pid" 2>/dev/null || { echo "FAIL a unit's process exited at start (pid $pid)"; exit 1; }
done

say "A person's path over HTTPS (deploy/ci/e2e.py)"
"$PYTHON" "$SRC/deploy/ci/e2e.py" "https://localhost:$HTTPS_PORT" "$STACK_ROOT/etc/tls/fullchain.pem" \
  admin.ci "$ADMIN_PASSWORD" --http "http://localhost:$HTTP_PORT" --upload --expect-workers 3

say "Logs: JSON lines with request ids, no NIK"
"$PYTHON" - "$STACK_ROOT/logs/jaring-web.log" "$STACK_ROOT/nginx/log/jaring.access.log" \
  "$SRC/deploy/ci" <<'EOF'
import json, re, sys
app, access = (open(p).read().splitlines() for p in sys.argv[1:3])
requests = [json.loads(l) for l in app if l.startswith("{") and '"message": "request"' in l]
assert requests, "no JSON request lines in the app log"
assert all(len(r["request_id"]) == 32 for r in requests), "a request line without request id"
nginx = [json.loads(l) for l in access]
assert {r["request_id"] for r in requests} <= {r["request_id"] for r in nginx}, \
    "app and nginx request ids do not correlate"
# A NIK is 16 digits standing alone; the same run inside a random hex request id is not one.
nik_like = re.compile(r"(?<![0-9A-Za-z])\d{16}(?![0-9A-Za-z])")
sys.path.insert(0, sys.argv[3])
from e2e import CSV  # the list e2e.py uploaded
uploaded = [line.split(";")[0] for line in CSV.splitlines()[1:]]
assert len(uploaded) == 3 and all(len(nik) == 16 for nik in uploaded)
for name, lines in (("app", app), ("nginx", access)):
    for line in lines:
        assert not nik_like.search(line), f"a NIK-like number in the {name} log: {line}"
        assert not any(nik in line for nik in uploaded), f"an uploaded NIK in the {name} log: {line}"
print(f"  ok  {len(requests)} JSON request lines, ids matching nginx's, no NIK in either log")
EOF

say "The worker restarts on failure (systemd Restart=on-failure; here: the unit says so)"
grep -q "^Restart=on-failure" "$STACK_ROOT/systemd/jaring-web.service"

if [ "$DRILL" = 1 ]; then
  . "$SRC/deploy/ci/restore-drill.sh"
fi
say "Stack test passed"
