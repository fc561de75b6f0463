from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST

from jaring.ops import health, metrics


@never_cache
def healthz(request):
    """The process is up and answers; nothing else is checked (liveness)."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    """Ready to serve: database reachable, a worker alive, no task waiting too long."""
    ready, checks = health.readiness()
    return JsonResponse(
        {"status": "ok" if ready else "fail", "checks": checks}, status=200 if ready else 503
    )


@never_cache
def prometheus_metrics(request):
    if not metrics.allowed(request):
        raise Http404  # not a 403: outside the allow-list the endpoint does not exist
    return HttpResponse(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)
