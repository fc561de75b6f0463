# The restore drill, sourced by stack-test.sh --with-restore-drill once the stack is up
# (it uses the running install: $STACK_ROOT, $STACK_USER, $STACK_DB, PIDS, $PYTHON).
#
#   1. jaring backup on the live install (encrypted with the install's age public key)
#   2. a new, empty database and media folder; jaring restore with the private key kept off
#      the server — it checks the manifest's row counts and that NIKs decrypt and match
#   3. independent checks: every table's count equal in both databases (psql), a known NIK
#      found by blind index and decrypted back, the uploaded file restored byte for byte
#   4. refusals: restoring into a non-empty database, and with the wrong NIK keys
#   5. the app serves the restored database: env file pointed at it, services restarted as an
#      officer would, then login, dashboard and search over HTTPS through nginx
RESTORED_DB="${STACK_DB}_restored"
ENV_FILE="$STACK_ROOT/etc/jaring.env"
IDENTITY="$STACK_ROOT/backup-identity.txt"
as_service() {  # the venv's jaring as the service user, env file plus overrides
  (set -a; . "$ENV_FILE"; set +a
   args=()
   for a in "$@"; do
     if [[ "$a" =~ ^[A-Z_][A-Z0-9_]*= ]]; then export "$a"; else args+=("$a"); fi
   done
   cd "$STACK_ROOT/var" && runuser -u "$STACK_USER" -- "$STACK_ROOT/opt/venv/bin/jaring" "${args[@]}")
}

say "Restore drill: backup"
"$STACK_ROOT/opt/bin/jaring" backup
BACKUP="$(ls -t "$STACK_ROOT"/var/backups/jaring-backup-*.tar.age | head -1)"
[ -s "$BACKUP" ] && ! grep -q "Rusni" "$BACKUP"   # encrypted: no plain text inside
echo "  ok  $(basename "$BACKUP") ($(stat -c %s "$BACKUP") bytes, encrypted)"

say "Restore drill: restore into a new, empty database"
runuser -u postgres -- createdb -O "$STACK_USER" "$RESTORED_DB"
install -d -o "$STACK_USER" -g "$STACK_USER" -m 0750 "$STACK_ROOT/var/media-restored"
cp "$IDENTITY" "$STACK_ROOT/var/identity.txt"; chown "$STACK_USER" "$STACK_ROOT/var/identity.txt"
as_service DATABASE_URL="postgres:///$RESTORED_DB" JARING_MEDIA_ROOT="$STACK_ROOT/var/media-restored" \
  restore "$BACKUP" --identity "$STACK_ROOT/var/identity.txt" --json | tee "$STACK_ROOT/restore.json"
"$PYTHON" -c "
import json, sys
r = json.load(open('$STACK_ROOT/restore.json'))
assert r['mismatched'] == {} and r['niks_failed'] == 0 and r['niks_checked'] == 3, r
assert r['media_files'] >= 1, r
print('  ok  counts match the manifest; 3 of 3 NIKs decrypt and match their blind index')"

say "Restore drill: independent checks"
counts() {
  runuser -u postgres -- psql -d "$1" -Atc "SELECT string_agg(format('%s=%s', table_name,
    (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I', table_name),
    false, true, '')))[1]::text), ',' ORDER BY table_name) FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
}
[ "$(counts "$STACK_DB")" = "$(counts "$RESTORED_DB")" ] \
  || { echo "FAIL table counts differ"; diff <(counts "$STACK_DB" | tr , '\n') <(counts "$RESTORED_DB" | tr , '\n'); exit 1; }
echo "  ok  all $(counts "$RESTORED_DB" | tr , '\n' | wc -l) tables hold the same number of rows"
as_service DATABASE_URL="postgres:///$RESTORED_DB" shell -c "
from jaring.registry.models import Worker
from jaring.core.crypto import decrypt_nik, nik_index
worker = Worker.objects.get(nik_index=nik_index('1403021505800002'))
assert decrypt_nik(worker.nik_cipher) == '1403021505800002' and worker.full_name == 'Bahtiar'
print('  ok  a NIK is found by its blind index and decrypts back to itself')"
(cd "$STACK_ROOT/var/media" && find . -type f | sort | xargs sha256sum) > "$STACK_ROOT/media.sum"
(cd "$STACK_ROOT/var/media-restored" && sha256sum --quiet -c "$STACK_ROOT/media.sum")
echo "  ok  $(wc -l < "$STACK_ROOT/media.sum") uploaded file(s) restored byte for byte"

say "Restore drill: refusals"
if as_service DATABASE_URL="postgres:///$RESTORED_DB" JARING_MEDIA_ROOT="$STACK_ROOT/var/empty" \
     restore "$BACKUP" --identity "$STACK_ROOT/var/identity.txt" 2>"$STACK_ROOT/refused.txt"; then
  echo "FAIL restore into a non-empty database was not refused"; exit 1; fi
grep -q "not empty" "$STACK_ROOT/refused.txt" && echo "  ok  a non-empty database is refused"
runuser -u postgres -- createdb -O "$STACK_USER" "${RESTORED_DB}_keys"
OTHER_KEY="$("$PYTHON" -c 'import base64,secrets;print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())')"
if as_service DATABASE_URL="postgres:///${RESTORED_DB}_keys" JARING_MEDIA_ROOT="$STACK_ROOT/var/empty" \
     JARING_NIK_ENCRYPTION_KEY="$OTHER_KEY" restore "$BACKUP" --identity "$STACK_ROOT/var/identity.txt" \
     2>"$STACK_ROOT/refused.txt"; then
  echo "FAIL restore with the wrong NIK key was not refused"; exit 1; fi
runuser -u postgres -- dropdb "${RESTORED_DB}_keys"
grep -q "fingerprints differ" "$STACK_ROOT/refused.txt" && echo "  ok  the wrong NIK keys are refused"

say "Restore drill: the app serves the restored database"
for pid in "${PIDS[@]}"; do kill -TERM "$pid"; done
for pid in "${PIDS[@]}"; do wait "$pid" || true; done
PIDS=()
sed -i -e "s#^DATABASE_URL=.*#DATABASE_URL=postgres:///$RESTORED_DB#" "$ENV_FILE"
echo "JARING_MEDIA_ROOT=$STACK_ROOT/var/media-restored" >> "$ENV_FILE"
for unit in jaring-web jaring-worker; do
  "$PYTHON" "$SRC/deploy/ci/run-unit.py" "$STACK_ROOT/systemd/$unit.service" \
    >> "$STACK_ROOT/logs/$unit.log" 2>&1 &
  PIDS+=($!)
done
"$PYTHON" "$SRC/deploy/ci/e2e.py" "https://localhost:$HTTPS_PORT" "$STACK_ROOT/etc/tls/fullchain.pem" \
  admin.ci "$ADMIN_PASSWORD" --expect-workers 3
