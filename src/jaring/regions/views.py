from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from jaring.accounts.rules import Capability
from jaring.accounts.scoping import require
from jaring.regions import selectors


@login_required
def region_index(request):
    require(request.user, Capability.VIEW_REGIONS)
    return render(request, "regions/index.html", {"regions": selectors.top_regions(request.user)})


@login_required
def region_detail(request, code: str):
    region = selectors.region_for(request.user, code)
    return render(
        request,
        "regions/detail.html",
        {
            "region": region,
            "ancestors": selectors.ancestors_of(region),
            "children": selectors.children_of(request.user, region),
        },
    )


@login_required
def region_search(request):
    require(request.user, Capability.VIEW_REGIONS)
    query = request.GET.get("q", "").strip()
    results = selectors.search_regions(request.user, query) if query else []
    return render(request, "regions/search.html", {"query": query, "results": results})
