#!/usr/bin/env bash
# Jaring production install on Debian 12/13 or Ubuntu 24.04, run as root from a checkout:
#
#     sudo JARING_DOMAIN=jaring.bengkaliskab.go.id deploy/install.sh
#
# Idempotent: run it again after `git pull` to upgrade (it keeps the environment file and keys,
# reinstalls the locked dependencies and the code, migrates, collects static files, restarts).
# What it does, in order (docs/DEPLOY.md explains each):
#   1. Debian packages: PostgreSQL, nginx, age (backup encryption), openssl, python3-venv
#   2. system user `jaring`, folders /opt/jaring (code), /etc/jaring (secrets), /var/lib/jaring
#   3. /opt/jaring/venv from requirements.lock (pip --require-hashes), then Jaring itself
#   4. /etc/jaring/jaring.env with generated keys (only if absent) — copy the keys off the server
#   5. PostgreSQL role and database (peer authentication over the local socket: no password)
#   6. jaring upgrade (migrate, collectstatic) and the Kemendagri regions on first install
#   7. a self-signed TLS certificate if none is there (replace with certbot)
#   8. systemd units (web, worker, backup and retention timers) and the nginx site, then start them
#
# Every path and name can be changed through the environment (the CI stack test installs into a
# temporary folder with its own user, database and ports, and without systemd):
set -euo pipefail
trap 'echo "install.sh: FAILED at line $LINENO: $BASH_COMMAND" >&2' ERR

SRC="$(cd "$(dirname "$0")/.." && pwd)"
PREFIX="${JARING_PREFIX:-/opt/jaring}"
ETC="${JARING_ETC:-/etc/jaring}"
STATE="${JARING_STATE:-/var/lib/jaring}"
RUN_DIR="${JARING_RUN:-/run/jaring}"
SYSTEM_USER="${JARING_USER:-jaring}"
DB_NAME="${JARING_DB_NAME:-jaring}"
DOMAIN="${JARING_DOMAIN:-$(hostname -f 2>/dev/null || hostname)}"
HTTPS_PORT="${JARING_HTTPS_PORT:-443}"
HTTP_PORT="${JARING_HTTP_PORT:-80}"
BIND="${JARING_BIND:-127.0.0.1:8001}"
SYSTEMD_DIR="${JARING_SYSTEMD_DIR:-/etc/systemd/system}"
NGINX_SITES="${JARING_NGINX_SITES:-/etc/nginx/sites-available}"
NGINX_ENABLED="${JARING_NGINX_ENABLED:-/etc/nginx/sites-enabled}"
NGINX_SNIPPETS="${JARING_NGINX_SNIPPETS:-/etc/nginx/snippets}"
NGINX_LOG_DIR="${JARING_NGINX_LOG_DIR:-/var/log/nginx}"
PYTHON="${PYTHON:-python3}"
USE_SYSTEMD="${JARING_SYSTEMD:-1}"      # 0: write the units but do not start anything (CI)
INSTALL_PACKAGES="${JARING_APT:-1}"     # 0: the Debian packages are already there

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

[ "$(id -u)" -eq 0 ] || { echo "Run as root (sudo)."; exit 1; }

if [ "$INSTALL_PACKAGES" = 1 ]; then
  say "Debian packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    postgresql postgresql-client nginx age openssl python3-venv \
    libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core >/dev/null
fi

"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 12))' || {
  echo "Jaring needs Python 3.12 or newer (Debian 13, Ubuntu 24.04; on Debian 12 set PYTHON=" \
       "to a Python 3.12, see docs/DEPLOY.md)."; exit 1; }

say "System user $SYSTEM_USER and folders"
if ! id "$SYSTEM_USER" >/dev/null 2>&1; then
  useradd --system --home-dir "$STATE" --no-create-home --shell /usr/sbin/nologin "$SYSTEM_USER"
fi
install -d -m 0755 -o root -g root "$PREFIX"
install -d -m 0750 -o root -g "$SYSTEM_USER" "$ETC"
install -d -m 0755 -o "$SYSTEM_USER" -g "$SYSTEM_USER" "$STATE"
install -d -m 0755 -o "$SYSTEM_USER" -g "$SYSTEM_USER" "$STATE/static"
for dir in media backups cache; do
  install -d -m 0750 -o "$SYSTEM_USER" -g "$SYSTEM_USER" "$STATE/$dir"
done

say "Virtual environment from requirements.lock (hashes checked)"
[ -x "$PREFIX/venv/bin/python" ] || "$PYTHON" -m venv "$PREFIX/venv"
"$PREFIX/venv/bin/python" -m pip install --quiet --require-hashes -r "$SRC/requirements.lock" \
  2> >(grep -v "is ignored: it is neither" >&2)
build="$(mktemp -d)"
cp -a "$SRC/pyproject.toml" "$SRC/README.md" "$SRC/src" "$build/"
# Translations are compiled at build time (the .mo files are not kept in git).
for po in "$build"/src/jaring/locale/*/LC_MESSAGES/django.po; do
  "$PREFIX/venv/bin/pybabel" compile --use-fuzzy -i "$po" -o "${po%.po}.mo" >/dev/null
done
"$PREFIX/venv/bin/python" -m pip install --quiet --no-deps --no-build-isolation --no-cache-dir \
  "$build" 2> >(grep -v "is ignored: it is neither" >&2)
rm -rf "$build"
install -m 0644 "$SRC/deploy/gunicorn.conf.py" "$PREFIX/gunicorn.conf.py"
install -d -m 0755 "$PREFIX/docs"
install -m 0644 "$SRC/docs/DEPLOY.md" "$SRC/CHANGELOG.md" "$PREFIX/docs/" 2>/dev/null || true

ENV_FILE="$ETC/jaring.env"
if [ ! -f "$ENV_FILE" ]; then
  say "Environment file $ENV_FILE with new keys"
  key() { "$PREFIX/venv/bin/python" -c 'import base64,secrets;print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())'; }
  origin="https://$DOMAIN"; [ "$HTTPS_PORT" = 443 ] || origin="$origin:$HTTPS_PORT"
  touch "$ENV_FILE"; chown root:"$SYSTEM_USER" "$ENV_FILE"; chmod 0640 "$ENV_FILE"
  cat > "$ENV_FILE" <<EOF
# Jaring settings (README.md "Configuration" lists them all). Read by the systemd units.
# The three keys below were generated on $(date -u +%Y-%m-%dT%H:%MZ). COPY THEM OFF THIS SERVER
# (docs/DEPLOY.md "Keys"): without the NIK keys no stored NIK can ever be read or matched again,
# and backups are useless. Never put them in a backup next to the data.
JARING_SECRET_KEY=$("$PREFIX/venv/bin/python" -c 'import secrets;print(secrets.token_urlsafe(50))')
JARING_NIK_ENCRYPTION_KEY=$(key)
JARING_NIK_INDEX_KEY=$(key)
DATABASE_URL=postgres:///$DB_NAME
JARING_ALLOWED_HOSTS=$DOMAIN
JARING_CSRF_TRUSTED_ORIGINS=$origin
JARING_BEHIND_PROXY=1
JARING_VAR_DIR=$STATE
JARING_STATIC_ROOT=$STATE/static
JARING_METRICS_DIR=$RUN_DIR
JARING_BACKUP_DIR=$STATE/backups
JARING_BACKUP_RECIPIENTS=$ETC/backup-recipients.txt
JARING_BACKUP_KEEP=7d,4w,12m
JARING_BIND=$BIND
# JARING_REDIS_URL=redis://127.0.0.1:6379/1
# JARING_SENTRY_DSN=https://key@glitchtip.example.go.id/1
# JARING_METRICS_ALLOW=127.0.0.1/32,::1/128,10.0.0.5/32
EOF
  chown root:"$SYSTEM_USER" "$ENV_FILE"; chmod 0640 "$ENV_FILE"
  cat <<EOF

  !!! New keys were written to $ENV_FILE.
  !!! Copy that file now to a safe place OFF this server (an encrypted USB stick in the
  !!! Kepala Dinas' safe, a password manager). A backup without these keys cannot be read.

EOF
fi

# $PREFIX/bin/jaring: the `jaring` command as the service user with the service's settings, for
# the officer (`sudo /opt/jaring/bin/jaring createsuperuser`) and for this script.
install -d -m 0755 "$PREFIX/bin"
cat > "$PREFIX/bin/jaring" <<WRAPPER
#!/bin/sh
# Runs jaring as $SYSTEM_USER with $ENV_FILE (written by deploy/install.sh).
# umask 022: collected static files must be readable by nginx (uploads stay in 0750 folders).
umask 022
set -a; . "$ENV_FILE"; set +a
cd "$STATE" && exec runuser -u "$SYSTEM_USER" -- "$PREFIX/venv/bin/jaring" "\$@"
WRAPPER
chmod 0755 "$PREFIX/bin/jaring"
jaring() { "$PREFIX/bin/jaring" "$@"; }

say "PostgreSQL role and database"
if ! runuser -u postgres -- psql -Atqc "SELECT 1 FROM pg_roles WHERE rolname='$SYSTEM_USER'" | grep -q 1; then
  runuser -u postgres -- createuser "$SYSTEM_USER"
fi
if ! runuser -u postgres -- psql -Atqc "SELECT 1 FROM pg_database WHERE datname='$DB_NAME'" | grep -q 1; then
  runuser -u postgres -- createdb -O "$SYSTEM_USER" -E UTF8 "$DB_NAME"
fi

say "Database schema, reference regions and static files (jaring upgrade)"
jaring upgrade

if [ ! -f "$ETC/backup-recipients.txt" ]; then
  say "Backup encryption key"
  # The server holds only the public key: it can write backups but never read them. The private
  # key is printed once for the officer to store off the server, then removed from here.
  keydir="$(mktemp -d)"; identity="$keydir/backup-identity.txt"
  age-keygen -o "$identity" 2>/dev/null
  age-keygen -y "$identity" > "$ETC/backup-recipients.txt"
  chown root:"$SYSTEM_USER" "$ETC/backup-recipients.txt"; chmod 0640 "$ETC/backup-recipients.txt"
  if [ -n "${JARING_BACKUP_IDENTITY_OUT:-}" ]; then
    install -m 0600 "$identity" "$JARING_BACKUP_IDENTITY_OUT"
  else
    echo "  !!! The backup PRIVATE key follows. Store it off this server (needed to restore):"
    cat "$identity"
  fi
  shred -u "$identity" 2>/dev/null; rm -rf "$keydir"
fi

if [ ! -f "$ETC/tls/fullchain.pem" ]; then
  say "Self-signed TLS certificate for $DOMAIN (replace with certbot, docs/DEPLOY.md)"
  install -d -m 0750 -o root -g root "$ETC/tls"
  openssl req -x509 -newkey rsa:3072 -sha256 -days 825 -nodes -subj "/CN=$DOMAIN" \
    -addext "subjectAltName=DNS:$DOMAIN,DNS:localhost,IP:127.0.0.1" \
    -keyout "$ETC/tls/privkey.pem" -out "$ETC/tls/fullchain.pem" 2>/dev/null
  chmod 0600 "$ETC/tls/privkey.pem"
fi

say "systemd units and nginx site"
# The repository's files name the default paths; rewrite them where this install differs.
rewrite() {
  sed -e "s#/opt/jaring#$PREFIX#g" -e "s#/etc/jaring#$ETC#g" -e "s#/var/lib/jaring#$STATE#g" \
      -e "s#/run/jaring#$RUN_DIR#g" -e "s#RuntimeDirectory=jaring/#RuntimeDirectory=${RUN_DIR#/run/}/#" \
      -e "s#^User=jaring\$#User=$SYSTEM_USER#" -e "s#^Group=jaring\$#Group=$SYSTEM_USER#" \
      -e "s#jaring.example.go.id#$DOMAIN#g" -e "s#127.0.0.1:8001#$BIND#g" \
      -e "s#listen 443 #listen $HTTPS_PORT #; s#listen \[::\]:443 #listen [::]:$HTTPS_PORT #" \
      -e "s#listen 80;#listen $HTTP_PORT;#; s#listen \[::\]:80;#listen [::]:$HTTP_PORT;#" \
      -e "s#/etc/nginx/snippets#$NGINX_SNIPPETS#g" -e "s#/var/log/nginx#$NGINX_LOG_DIR#g" \
      -e "s#https://\$host\$request_uri#https://\$host:$HTTPS_PORT\$request_uri#" "$1"
}
install -d "$SYSTEMD_DIR" "$NGINX_SITES" "$NGINX_SNIPPETS"
for unit in jaring-web.service jaring-worker.service jaring-backup.service jaring-backup.timer \
  jaring-purge.service jaring-purge.timer; do
  rewrite "$SRC/deploy/systemd/$unit" > "$SYSTEMD_DIR/$unit"
done
rewrite "$SRC/deploy/nginx/jaring.conf" > "$NGINX_SITES/jaring.conf"
[ "$HTTPS_PORT" = 443 ] && sed -i "s#https://\$host:443\$request_uri#https://\$host\$request_uri#" "$NGINX_SITES/jaring.conf"
for snippet in jaring-headers.conf jaring-proxy.conf; do
  install -m 0644 "$SRC/deploy/nginx/$snippet" "$NGINX_SNIPPETS/$snippet"
done

if [ "$USE_SYSTEMD" = 1 ]; then
  install -d -m 0755 /var/www/letsencrypt
  ln -sf "$NGINX_SITES/jaring.conf" "$NGINX_ENABLED/jaring.conf"
  nginx -t
  systemctl daemon-reload
  systemctl enable --now jaring-web.service jaring-worker.service jaring-backup.timer \
    jaring-purge.timer
  systemctl restart jaring-web.service jaring-worker.service
  systemctl reload nginx || systemctl start nginx
  say "Jaring is at https://$DOMAIN$([ "$HTTPS_PORT" = 443 ] || echo ":$HTTPS_PORT")/"
  cat <<EOF
Next (docs/DEPLOY.md): create the first administrator
    sudo $PREFIX/bin/jaring createsuperuser
get a real certificate with certbot, and copy $ENV_FILE and the backup private key off the server.
EOF
else
  say "Installed without starting services (JARING_SYSTEMD=0)"
fi
