"""Who is asking, and how often: the caller's address and a counter per address in the cache.

The cache is the project's (Redis when configured, shared by every process; a file cache
otherwise), so a limit holds across the web workers."""

from django.conf import settings
from django.core.cache import cache


def client_address(request) -> str:
    """The caller's address: nginx's X-Real-IP when the request came through a trusted proxy."""
    remote = request.META.get("REMOTE_ADDR", "")
    if remote in settings.JARING_TRUSTED_PROXIES:
        return request.headers.get("X-Real-IP", remote).strip()
    return remote


def allow(key: str, limit: int, seconds: int) -> bool:
    """Count one more attempt under ``key``; False once there were more than ``limit`` within
    the ``seconds`` since the first."""
    cache.add(key, 0, seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # the window ended between add and incr: this attempt opens a new one
        cache.set(key, 1, seconds)
        count = 1
    return count <= limit
