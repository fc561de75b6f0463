#!/usr/bin/env python3
"""A person's path through the production stack, over HTTPS through nginx (stdlib only).

    e2e.py BASE_URL CA_FILE USERNAME PASSWORD [--http HTTP_URL] [--upload] [--expect-workers N]

Checks: TLS with the installed certificate (verified, not ignored), the HTTP→HTTPS redirect,
security headers sent once each, /healthz and /readyz, a login, an upload that the background
worker imports, the dashboard showing the imported workers, a NIK search, and /metrics holding
request, queue and import figures. Exits non-zero on the first failure, saying what failed.
"""

import argparse
import http.cookiejar
import json
import re
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

CSV = (
    "NIK;Nama Lengkap;Jenis Kelamin;Tanggal Lahir;Desa/Kelurahan;Kecamatan;Pekerjaan;"
    "Penghasilan;Desil;No HP\n"
    "1403014101850001;Rusni;P;01-01-1985;Kelebuk;Bengkalis;Petani;1.000.000;1;\n"
    "1403021505800002;Bahtiar;L;15/05/1980;Bantan Tua;Bantan;Nelayan;;2;\n"
    "1403010203750003;Safri Ismail;L;1975-03-02;Perapat Tunggal;Bengkalis;buruh;;1;\n"
)
SEARCHED_NIK = "1403021505800002"


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)
    print(f"  ok  {message}")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    def __init__(self, base: str, ca_file: str):
        self.base = base.rstrip("/")
        self.context = ssl.create_default_context(cafile=ca_file)
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=self.context),
            urllib.request.HTTPCookieProcessor(self.cookies),
            NoRedirect,
        )

    def request(self, method, path, data=None, headers=None):
        url = path if path.startswith("http") else self.base + path
        request = urllib.request.Request(  # noqa: S310 - https to the stack under test
            url, data=data, method=method, headers=headers or {}
        )
        request.add_header("Referer", self.base + "/")
        try:
            response = self.opener.open(request, timeout=60)
        except urllib.error.HTTPError as error:  # 3xx/4xx/5xx still have a response
            response = error
        body = response.read()
        return response.status, response.headers, body.decode("utf-8", "replace")

    def cookie(self, name):
        return next((c.value for c in self.cookies if c.name == name), "")

    def post_form(self, path, fields):
        fields = {"csrfmiddlewaretoken": self.cookie("csrftoken"), **fields}
        return self.request(
            "POST",
            path,
            urllib.parse.urlencode(fields).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )

    def post_multipart(self, path, fields, file_field, filename, content: bytes):
        boundary = uuid.uuid4().hex
        fields = {"csrfmiddlewaretoken": self.cookie("csrftoken"), **fields}
        parts = []
        for name, value in fields.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
            f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request(
            "POST",
            path,
            b"".join(parts),
            {"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )


def wait_for(what, probe, seconds=90):
    deadline = time.monotonic() + seconds
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise Failure(f"timed out waiting for {what}")
        time.sleep(1)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("ca_file")
    parser.add_argument("username")
    parser.add_argument("password")
    parser.add_argument("--http", help="the plain-HTTP address that must redirect")
    parser.add_argument("--upload", action="store_true", help="upload and import a list")
    parser.add_argument("--expect-workers", type=int, help="workers the dashboard must show")
    args = parser.parse_args()
    browser = Browser(args.base, args.ca_file)

    print("health")
    wait_for("gunicorn behind nginx", lambda: browser.request("GET", "/healthz")[0] == 200, 60)
    status, headers, body = browser.request("GET", "/healthz")
    check(status == 200 and json.loads(body)["status"] == "ok", "/healthz answers ok over TLS")
    check(
        re.fullmatch(r"[0-9a-f]{32}", headers.get("X-Request-ID", "")),
        "every response names its request (X-Request-ID from nginx)",
    )
    for header in (
        "Strict-Transport-Security",
        "X-Content-Type-Options",
        "X-Frame-Options",
        "Referrer-Policy",
        "Permissions-Policy",
    ):
        check(len(headers.get_all(header) or []) == 1, f"{header} is sent exactly once")
    status, headers, _ = browser.request("GET", "/static/jaring/does-not-exist.css")
    check(
        status == 404 and headers.get("X-Frame-Options") == "DENY",
        "nginx's own responses carry the security headers too",
    )
    if args.http:
        plain = urllib.request.build_opener(NoRedirect)
        try:
            plain.open(args.http + "/akun/masuk/", timeout=10)
            redirected = None
        except urllib.error.HTTPError as error:
            redirected = error
        check(
            redirected is not None
            and redirected.status == 301
            and redirected.headers["Location"].startswith(args.base),
            "plain HTTP redirects to HTTPS",
        )
    wait_for("/readyz", lambda: browser.request("GET", "/readyz")[0] == 200)
    status, _, body = browser.request("GET", "/readyz")
    checks = json.loads(body)["checks"]
    check(
        all(c["ok"] for c in checks.values()) and {"database", "worker", "queue"} <= set(checks),
        "/readyz: database, worker heartbeat and queue all ok",
    )

    print("login")
    status, _, page = browser.request("GET", "/akun/masuk/")
    check(status == 200 and browser.cookie("csrftoken"), "login page served with a CSRF cookie")
    static = re.search(r'href="(/static/[^"]+\.css)"', page)
    check(static is not None, "the page links a collected (hashed) stylesheet")
    status, headers, _ = browser.request("GET", static.group(1))
    check(
        status == 200 and "immutable" in headers.get("Cache-Control", ""),
        "nginx serves static files with long caching",
    )
    status, headers, _ = browser.post_form(
        "/akun/masuk/", {"username": args.username, "password": args.password}
    )
    check(status == 302 and browser.cookie("sessionid"), "logged in (302 and a session cookie)")
    session = next(c for c in browser.cookies if c.name == "sessionid")
    check(session.secure, "the session cookie is Secure (Django knows it is behind HTTPS)")

    if args.upload:
        print("upload")
        status, _, _ = browser.request("GET", "/pekerja/impor/")
        check(status == 200, "upload form")
        status, headers, body = browser.post_multipart(
            "/pekerja/impor/",
            {"region": "14.03", "source": "CI stack test"},
            "file",
            "daftar-ci.csv",
            CSV.encode(),
        )
        check(status == 302, f"upload accepted (status {status})")
        match = re.search(r"/pekerja/impor/(\d+)/", headers["Location"])
        batch = match.group(1)

        def imported():
            status, _, body = browser.request("GET", f"/pekerja/impor/{batch}/status/")
            state = json.loads(body) if status == 200 else {}
            if state.get("status") == "failed":
                raise Failure(f"the import failed: {state}")
            return state if state.get("status") == "done" else None

        state = wait_for("the worker to import the upload", imported)
        check(state["accepted"] == 3, f"the worker imported the 3 workers ({state})")

    if args.expect_workers is not None:
        print("dashboard")

        def dashboard_shows():
            status, _, page = browser.request("GET", "/laporan/14.03/")
            found = re.search(r'data-field="registered">([\d.]+)<', page)
            return (
                (status, found.group(1))
                if status == 200
                and found
                and found.group(1).replace(".", "") == str(args.expect_workers)
                else None
            )

        wait_for("the dashboard to count the workers", dashboard_shows)
        check(True, f"the dashboard shows {args.expect_workers} registered workers")
        # A NIK travels in the POST body, never in a URL (the log check below relies on it).
        status, _, page = browser.post_form("/pekerja/", {"q": SEARCHED_NIK})
        check(status == 200 and "Bahtiar" in page, "a search by full NIK (posted) finds the worker")

    print("metrics")
    status, _, text = browser.request("GET", "/metrics")
    check(status == 200, "/metrics answers the allowed address (loopback)")
    check("django_http_requests_total_by_method_total" in text, "request counters")
    check("django_http_requests_latency_seconds_by_view_method_bucket" in text, "latencies")
    check(
        "jaring_task_queue_ready" in text and "jaring_worker_heartbeat_age_seconds" in text,
        "queue length and worker heartbeat",
    )
    if args.upload:
        check(
            re.search(r'jaring_import_duration_seconds_count\{outcome="done"\} [1-9]', text),
            "the import's duration, recorded by the worker process",
        )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failure as failure:
        print(f"FAIL {failure}")
        sys.exit(1)
