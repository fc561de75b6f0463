"""gunicorn settings for the production install (installed as /opt/jaring/gunicorn.conf.py).

The values come from /etc/jaring/jaring.env so an officer tunes them without editing code.
Measured choice (BENCHMARKS.md, "WSGI server"): gthread workers, 2 per core with 4 threads.
"""

import multiprocessing
import os

bind = os.environ.get("JARING_BIND", "127.0.0.1:8001")
worker_class = "gthread"
workers = int(os.environ.get("JARING_WEB_WORKERS", 2 * multiprocessing.cpu_count()))
# Threads also keep several API coverage look-ups in flight per worker: each commits its
# access-log row, and PostgreSQL flushes concurrent commits together (BENCHMARKS.md, "Coverage
# look-up under load").
threads = int(os.environ.get("JARING_WEB_THREADS", "4"))
# Excel and PDF exports of a whole regency can take a while; nginx waits 300 s.
timeout = int(os.environ.get("JARING_WEB_TIMEOUT", "240"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then: bounds the damage of any slow leak in a long-lived process.
max_requests = 2000
max_requests_jitter = 200
# Requests arrive from nginx on loopback only; it sets X-Forwarded-Proto.
forwarded_allow_ips = "127.0.0.1,::1"
# The application logs one JSON line per request (with the request id); gunicorn's access log
# would repeat it with raw paths (which can hold a NIK), so it stays off.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("JARING_LOG_LEVEL", "info").lower()
proc_name = "jaring-web"
# gunicorn's own lines (start, worker boots, timeouts) as JSON too, like the application's.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
        }
    },
    # gunicorn merges this over its defaults section by section: name all its handlers.
    "handlers": {
        name: {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
        for name in ("console", "error_console")
    },
    "root": {"level": "INFO", "handlers": ["console"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
    },
}


def child_exit(server, worker):
    """prometheus-client's multiprocess mode: forget the live gauges of a worker that exited."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
