"""The floor the coverage look-up is measured against: a bare WSGI application, no framework.

It answers ``POST /api/v1/coverage`` the way the issue's baseline did: the body's NIK
blind-indexed, then ONE statement that finds the worker by its index and writes the access-log
row (a data-modifying CTE), over one persistent psycopg connection per worker thread. No
token, no scope, no protection rule, no headers beyond the content type: what any
implementation must at least pay on this machine. Served by gunicorn exactly like jaring.wsgi
(``bench/run.py bench_api``). Reads DATABASE_URL, JARING_NIK_INDEX_KEY and BENCH_USER_ID.
"""

import base64
import hashlib
import hmac
import json
import os
import threading

import psycopg

KEY = base64.urlsafe_b64decode(os.environ["JARING_NIK_INDEX_KEY"].encode())
USER_ID = int(os.environ.get("BENCH_USER_ID", "1"))
STATEMENT = """WITH found AS (SELECT id, village_id FROM registry_worker WHERE nik_index = %s),
logged AS (
    INSERT INTO accounts_personaldataaccess (user_id, at, action, object_type, object_id,
        region_code, reason, ip_address, detail)
    SELECT %s, now(), 'search_nik', 'coverage', COALESCE((SELECT id::text FROM found), ''),
        COALESCE((SELECT village_id FROM found), ''), '', %s, '{}'
)
SELECT id, village_id FROM found"""
_local = threading.local()  # one connection per thread (gunicorn's gthread workers)


def _cursor():
    connection = getattr(_local, "connection", None)
    if connection is None or connection.closed:
        connection = _local.connection = psycopg.connect(
            os.environ["DATABASE_URL"], autocommit=True
        )
    return connection.cursor()


def application(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    nik = json.loads(environ["wsgi.input"].read(length))["nik"]
    index = hmac.new(KEY, nik.encode(), hashlib.sha256).hexdigest()
    with _cursor() as cursor:
        cursor.execute(STATEMENT, [index, USER_ID, environ.get("REMOTE_ADDR")], prepare=True)
        row = cursor.fetchone()
    if row is None:
        body, status = b'{"code": "not_found"}', "404 Not Found"
    else:
        body = json.dumps(
            {"nik": nik[:4] + "*" * 10 + nik[-4:], "covered": False, "programs": []}
        ).encode()
        status = "200 OK"
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    start_response(status, headers)
    return [body]
