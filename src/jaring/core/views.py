from django.shortcuts import render

from jaring.accounts import selectors as account_selectors


def home(request):
    if not request.user.is_authenticated:
        return render(request, "core/landing.html")
    return render(
        request,
        "core/home.html",
        {"assignments": account_selectors.role_assignments_of(request.user)},
    )
